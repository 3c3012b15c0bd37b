package runtime

import (
	"runtime"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/offsets"
)

func seqOf(t *testing.T, po api.PartitionOffset) int64 {
	t.Helper()
	return po.Offset["seq"].(int64)
}

// Offsets are committed per partition only up to the last record acknowledged together with all
// records before it, whatever order acknowledgements arrive in.
func TestSubmittedCommitsOnlyAcknowledgedPrefix(t *testing.T) {
	s := newSubmitted()
	pa := map[string]any{"p": "a"}
	pb := map[string]any{"p": "b"}
	var recs []*pendingRecord
	for i := range 5 {
		recs = append(recs, s.submit([]byte("a"), pa, map[string]any{"seq": int64(i)}))
	}
	b0 := s.submit([]byte("b"), pb, map[string]any{"seq": int64(100)})

	if got := s.collect(); len(got) != 0 {
		t.Fatalf("nothing acknowledged, yet collect returned %v", got)
	}
	recs[1].acked.Store(true)
	recs[2].acked.Store(true)
	if got := s.collect(); len(got) != 0 {
		t.Fatalf("record 0 unacknowledged, yet collect returned %v", got)
	}
	recs[0].acked.Store(true)
	b0.acked.Store(true)
	got := s.collect()
	if len(got) != 2 {
		t.Fatalf("collect = %v, want partitions a and b", got)
	}
	for _, po := range got {
		want := map[string]int64{"a": 2, "b": 100}[po.Partition["p"].(string)]
		if seqOf(t, po) != want {
			t.Errorf("partition %v committed seq %d, want %d", po.Partition, seqOf(t, po), want)
		}
	}
	if got := s.collect(); len(got) != 0 {
		t.Fatalf("a second collect without progress returned %v", got)
	}
	recs[4].acked.Store(true)
	if got := s.collect(); len(got) != 0 {
		t.Fatalf("record 3 unacknowledged, yet collect returned %v", got)
	}
	recs[3].acked.Store(true)
	if got := s.collect(); len(got) != 1 || seqOf(t, got[0]) != 4 {
		t.Fatalf("collect = %v, want a at seq 4", got)
	}
}

func TestSubmittedRetryAfterFailedWrite(t *testing.T) {
	s := newSubmitted()
	pa := map[string]any{"p": "a"}
	key := func(p map[string]any) string { k, _ := offsets.EncodeKey("c", p); return string(k) }
	kb := []byte(key(pa))
	s.submit(kb, pa, map[string]any{"seq": int64(1)}).acked.Store(true)
	got := s.collect()
	s.retry(got, key)
	again := s.collect()
	if len(again) != 1 || seqOf(t, again[0]) != 1 {
		t.Fatalf("after a failed write collect = %v, want seq 1 again", again)
	}
	// A newer offset supersedes the failed one.
	s.retry(again, key)
	s.submit(kb, pa, map[string]any{"seq": int64(2)}).acked.Store(true)
	if got := s.collect(); len(got) != 1 || seqOf(t, got[0]) != 2 {
		t.Fatalf("collect = %v, want seq 2", got)
	}
}

// Records without a chosen partition are placed exactly as the Java producer's default
// partitioner places them (murmur2 of the key), and a chosen partition is kept.
func TestPartitionerMatchesJava(t *testing.T) {
	p := newConnectPartitioner().ForTopic("t")
	for _, key := range []string{`{"seq":0}`, `{"seq":1}`, `["gen",{"task":"0"}]`, "k"} {
		r := &kgo.Record{Key: []byte(key), Partition: -1}
		if !p.RequiresConsistency(r) {
			t.Errorf("a keyed record must keep its partition")
		}
		for _, n := range []int{1, 3, 25} {
			if got, want := p.Partition(r, n), int(offsets.PartitionFor([]byte(key), int32(n))); got != want {
				t.Errorf("key %s over %d partitions: %d, want %d (Java's murmur2)", key, n, got, want)
			}
		}
	}
	r := &kgo.Record{Key: []byte("k"), Partition: 2}
	if got := p.Partition(r, 5); got != 2 {
		t.Errorf("chosen partition 2 became %d", got)
	}
}

// Acknowledged records do not wait for the next offset commit (a minute apart by default) to be
// let go: only the records still in flight stay queued, and the commit still gets the offset of
// the last acknowledged one.
func TestSubmittedDropsAcknowledgedRecordsBeforeCommit(t *testing.T) {
	s := newSubmitted()
	pa := map[string]any{"p": "a"}
	var prev *pendingRecord
	for i := range 10000 {
		p := s.submit([]byte("a"), pa, map[string]any{"seq": int64(i)})
		if prev != nil {
			prev.acked.Store(true) // the record before the newest is acknowledged
		}
		prev = p
	}
	if n := len(s.parts["a"].queue); n > 2 {
		t.Fatalf("%d records queued with all but the last acknowledged; want at most 2", n)
	}
	got := s.collect()
	if len(got) != 1 || seqOf(t, got[0]) != 9998 {
		t.Fatalf("collect = %v, want seq 9998 (the last record is not acknowledged)", got)
	}
	prev.acked.Store(true)
	if got := s.collect(); len(got) != 1 || seqOf(t, got[0]) != 9999 {
		t.Fatalf("collect = %v, want seq 9999", got)
	}
}

// BenchmarkSubmittedRetained measures what the commit tracking holds between two commits when
// Kafka acknowledges records as fast as they are submitted: retained-B/op is the live heap per
// record submitted (each carries a connector offset map like MySQL's).
func BenchmarkSubmittedRetained(b *testing.B) {
	s := newSubmitted()
	pa := map[string]any{"server": "bench"}
	var prev *pendingRecord
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := s.submit([]byte("bench"), pa, map[string]any{"file": "mysql-bin.000042", "pos": int64(i),
			"gtids": "0-1-12345", "row": int32(1), "event": int64(2), "ts_sec": int64(1765140000)})
		if prev != nil {
			prev.acked.Store(true)
		}
		prev = p
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "retained-B/op")
	runtime.KeepAlive(s)
}
