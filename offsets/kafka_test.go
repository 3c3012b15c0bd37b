package offsets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/tests/broker"
	"github.com/connectd/connectd/tests/testbed"
)

// testCtx bounds a test's calls so a broken broker fails the test instead of hanging it.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// logSink is a slog handler that keeps records, so tests can assert on what the store logged.
type logSink struct {
	mu      sync.Mutex
	records []slog.Record
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, r.Clone())
	return nil
}
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *logSink) WithGroup(string) slog.Handler      { return s }

// find returns the attributes of the first record whose message contains msg.
func (s *logSink) find(msg string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.records {
		if strings.Contains(r.Message, msg) {
			attrs := map[string]any{}
			r.Attrs(func(a slog.Attr) bool {
				attrs[a.Key] = a.Value.Any()
				return true
			})
			return attrs, true
		}
	}
	return nil, false
}

type kafkaFixture struct {
	brokers []string
	topic   string
	sink    *logSink
	raw     *kgo.Client
	adm     *kadm.Client
}

func newKafkaFixture(t testing.TB) *kafkaFixture {
	t.Helper()
	addr := broker.Kafka(t)
	raw, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.UnknownTopicRetries(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(raw.Close)
	return &kafkaFixture{brokers: []string{addr}, topic: testbed.Topic(t, "offsets"), sink: &logSink{}, raw: raw, adm: kadm.NewClient(raw)}
}

// store starts a new store on the fixture's topics (a second call gives a second, independent
// store, as another worker or a restarted one).
func (f *kafkaFixture) store(t testing.TB, mods ...func(*KafkaConfig)) *KafkaStore {
	t.Helper()
	cfg := KafkaConfig{Brokers: f.brokers, Topic: f.topic, ReplicationFactor: 1, Logger: slog.New(f.sink)}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := NewKafkaStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// produce writes a raw record to the offsets topic at the partition Java's partitioner would pick
// for its key (or at partition p when p >= 0), and returns it as acknowledged.
func (f *kafkaFixture) produce(t *testing.T, key, value []byte, p int32) *kgo.Record {
	t.Helper()
	if p < 0 {
		p = PartitionFor(key, DefaultPartitions)
	}
	r := &kgo.Record{Topic: f.topic, Partition: p, Key: key, Value: value}
	if err := f.raw.ProduceSync(testCtx(t), r).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return r
}

// consumeAll reads every record of a topic with a plain consumer.
func consumeAll(t *testing.T, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	ctx := testCtx(t)
	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ends, err := kadm.NewClient(adm).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for int64(len(out)) < total {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("consuming %s: %v", topic, err)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

var mysqlPartition = map[string]any{"server": "dbserver1"}

func mysqlOffset(pos int64) map[string]any {
	return map[string]any{"file": "mysql-bin.000003", "pos": pos, "row": int64(1), "server_id": int64(223344), "ts_sec": int64(1700000000)}
}

func TestKafkaStoreSetGetDelete(t *testing.T) {
	f := newKafkaFixture(t)
	s := f.store(t)
	ctx := testCtx(t)
	other := map[string]any{"server": "other"}

	got, err := s.Get(ctx, "inventory-connector", []map[string]any{mysqlPartition})
	if err != nil || got[0] != nil {
		t.Fatalf("empty store: %v, %v", got, err)
	}
	if err := s.Set(ctx, "inventory-connector", []api.PartitionOffset{
		{Partition: mysqlPartition, Offset: mysqlOffset(154)},
		{Partition: other, Offset: map[string]any{"pos": 7}},
	}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(ctx, "inventory-connector", []map[string]any{other, mysqlPartition, {"server": "none"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got[1], mysqlOffset(154)) || !reflect.DeepEqual(got[0], map[string]any{"pos": int64(7)}) || got[2] != nil {
		t.Fatalf("got %v", got)
	}

	// A second store (another worker, or this one restarted) reads the same from the topic.
	s2 := f.store(t)
	list, err := s2.List(ctx, "inventory-connector")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !reflect.DeepEqual(list[0].Partition, mysqlPartition) || !reflect.DeepEqual(list[0].Offset, mysqlOffset(154)) {
		t.Fatalf("list from a fresh store: %v", list)
	}
	// Other connectors see nothing of it.
	if list, _ := s2.List(ctx, "someone-else"); len(list) != 0 {
		t.Fatalf("other connector: %v", list)
	}

	// A write by one store is seen by the other's next Get (read to the end first).
	if err := s.Set(ctx, "inventory-connector", []api.PartitionOffset{{Partition: mysqlPartition, Offset: mysqlOffset(999)}}); err != nil {
		t.Fatal(err)
	}
	got, _ = s2.Get(ctx, "inventory-connector", []map[string]any{mysqlPartition})
	if !reflect.DeepEqual(got[0], mysqlOffset(999)) {
		t.Fatalf("second store did not see the new offset: %v", got[0])
	}

	if err := s2.Delete(ctx, "inventory-connector", []map[string]any{mysqlPartition}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(ctx, "inventory-connector", []map[string]any{mysqlPartition, other})
	if got[0] != nil || got[1] == nil {
		t.Fatalf("after delete: %v", got)
	}
	s3 := f.store(t)
	if list, _ := s3.List(ctx, "inventory-connector"); len(list) != 1 {
		t.Fatalf("after delete, a fresh store lists %v", list)
	}
}

// TestKafkaStoreRecordBytes checks what a plain consumer sees: the key bytes Kafka Connect would
// write (the golden from Java's JsonConverter), on the partition Java's partitioner picks, and a
// null value for a delete.
func TestKafkaStoreRecordBytes(t *testing.T) {
	f := newKafkaFixture(t)
	s := f.store(t)
	ctx := testCtx(t)
	sqlserver := map[string]any{"database": "testDB", "server": "server1"}
	if err := s.Set(ctx, "inventory-connector", []api.PartitionOffset{{Partition: mysqlPartition, Offset: map[string]any{"pos": int64(154)}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "sqlserver-connector", []api.PartitionOffset{{Partition: sqlserver, Offset: map[string]any{"commit_lsn": "00000025:00000d98:00a2"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "sqlserver-connector", []map[string]any{sqlserver}); err != nil {
		t.Fatal(err)
	}
	recs := consumeAll(t, f.brokers, f.topic)
	if len(recs) != 3 {
		t.Fatalf("want 3 records, got %d", len(recs))
	}
	// Golden bytes and partitions from testdata/golden.tsv (Java JsonConverter + Utils.murmur2).
	want := []struct {
		key, value string
		partition  int32
	}{
		{`["inventory-connector",{"server":"dbserver1"}]`, `{"pos":154}`, 11},
		{`["sqlserver-connector",{"server":"server1","database":"testDB"}]`, `{"commit_lsn":"00000025:00000d98:00a2"}`, 22},
		{`["sqlserver-connector",{"server":"server1","database":"testDB"}]`, "", 22},
	}
	for _, w := range want {
		found := false
		for _, r := range recs {
			if string(r.Key) == w.key && string(r.Value) == w.value && (w.value != "" || r.Value == nil) {
				found = true
				if r.Partition != w.partition {
					t.Errorf("%s landed on partition %d, Kafka Connect would use %d", w.key, r.Partition, w.partition)
				}
			}
		}
		if !found {
			t.Errorf("no record %s -> %q among %v", w.key, w.value, recs)
		}
	}
}

func TestKafkaStoreCreatesCompactedTopics(t *testing.T) {
	f := newKafkaFixture(t)
	f.store(t, func(c *KafkaConfig) { c.Partitions = 5 })
	ctx := testCtx(t)
	for _, topic := range []string{f.topic, f.topic + "-history"} {
		rcs, err := f.adm.DescribeTopicConfigs(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := rcs.On(topic, nil)
		if err != nil {
			t.Fatal(err)
		}
		policy := ""
		for _, c := range rc.Configs {
			if c.Key == "cleanup.policy" {
				policy = c.MaybeValue()
			}
		}
		if policy != "compact" {
			t.Errorf("%s: cleanup.policy=%q", topic, policy)
		}
	}
	tds, err := f.adm.ListTopics(ctx, f.topic)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tds[f.topic].Partitions); n != 5 {
		t.Errorf("offsets topic has %d partitions, want 5", n)
	}
}

func TestKafkaStoreRefusesDeletePolicy(t *testing.T) {
	f := newKafkaFixture(t)
	ctx := testCtx(t)
	del := "delete"
	if _, err := f.adm.CreateTopic(ctx, 3, 1, map[string]*string{"cleanup.policy": &del}, f.topic); err != nil {
		t.Fatal(err)
	}
	s, err := NewKafkaStore(KafkaConfig{Brokers: f.brokers, Topic: f.topic, ReplicationFactor: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start(ctx)
	if err == nil {
		_ = s.Close()
		t.Fatal("a topic with cleanup.policy=delete was accepted")
	}
	for _, want := range []string{f.topic, "cleanup.policy=delete", "kafka-configs", "--add-config cleanup.policy=compact"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	// Calls on a store that did not start are refused, not a panic.
	if _, err := s.Get(ctx, "c", []map[string]any{{"a": "b"}}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Get on an unstarted store: %v", err)
	}
}

// TestKafkaStoreBadRecords writes malformed records by hand and checks who is affected.
func TestKafkaStoreBadRecords(t *testing.T) {
	f := newKafkaFixture(t)
	s := f.store(t)
	ctx := testCtx(t)
	good := map[string]any{"server": "ok"}
	if err := s.Set(ctx, "healthy", []api.PartitionOffset{{Partition: good, Offset: map[string]any{"pos": 1}}}); err != nil {
		t.Fatal(err)
	}

	// A key nobody can attribute: logged with its position and skipped.
	garbage := f.produce(t, []byte(`not json at all`), []byte(`{"pos":1}`), 3)
	// A key whose JSON breaks after the connector name: charged to that connector.
	truncated := f.produce(t, []byte(`["typo-key",{"server":"s"}`), []byte(`{"pos":1}`), -1)
	// A good key with a bad value.
	badValueKey, _ := EncodeKey("typo-value", map[string]any{"server": "s"})
	badValue := f.produce(t, badValueKey, []byte(`{"pos": 12,}`), -1)

	got, err := s.Get(ctx, "healthy", []map[string]any{good})
	if err != nil || got[0]["pos"] != int64(1) {
		t.Fatalf("a healthy connector is affected by others' bad records: %v, %v", got, err)
	}
	attrs, ok := f.sink.find("whose connector cannot be told")
	if !ok {
		t.Fatal("the unattributable record was not logged")
	}
	if attrs["topic"] != f.topic || attrs["partition"] != int64(garbage.Partition) || attrs["offset"] != garbage.Offset {
		t.Errorf("log does not name the record's position: %v (want %s/%d/%d)", attrs, f.topic, garbage.Partition, garbage.Offset)
	}

	for _, c := range []struct {
		connector string
		rec       *kgo.Record
		problem   string
	}{
		{"typo-key", truncated, "not valid JSON"},
		{"typo-value", badValue, "not valid JSON"},
	} {
		_, err := s.Get(ctx, c.connector, []map[string]any{{"server": "s"}})
		var bad *BadRecordError
		if !errors.As(err, &bad) {
			t.Fatalf("%s: want a BadRecordError, got %v", c.connector, err)
		}
		if bad.Topic != f.topic || bad.Partition != c.rec.Partition || bad.Offset != c.rec.Offset || bad.Connector != c.connector {
			t.Errorf("%s: error names %s/%d/%d, record is at %s/%d/%d", c.connector, bad.Topic, bad.Partition, bad.Offset, f.topic, c.rec.Partition, c.rec.Offset)
		}
		msg := err.Error()
		for _, want := range []string{f.topic, fmt.Sprintf("partition %d", c.rec.Partition), fmt.Sprintf("offset %d", c.rec.Offset), c.problem} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message lacks %q: %s", c.connector, want, msg)
			}
		}
		if _, err := s.List(ctx, c.connector); !errors.As(err, &bad) {
			t.Errorf("%s: List does not fail: %v", c.connector, err)
		}
	}

	// A fresh store reading the same topic reaches the same verdicts (no crash, same errors).
	s2 := f.store(t)
	if _, err := s2.Get(ctx, "typo-value", []map[string]any{{"server": "s"}}); err == nil {
		t.Error("a fresh store ignores the bad value")
	}
	if got, err := s2.Get(ctx, "healthy", []map[string]any{good}); err != nil || got[0] == nil {
		t.Errorf("a fresh store: healthy connector %v, %v", got, err)
	}

	// The operator fixes the value (same key) and deletes the broken key with a tombstone.
	f.produce(t, badValueKey, []byte(`{"pos":12}`), -1)
	f.produce(t, truncated.Key, nil, truncated.Partition)
	got, err = s.Get(ctx, "typo-value", []map[string]any{{"server": "s"}})
	if err != nil || got[0]["pos"] != int64(12) {
		t.Errorf("after the fix: %v, %v", got, err)
	}
	if _, err := s.Get(ctx, "typo-key", []map[string]any{{"server": "s"}}); err != nil {
		t.Errorf("after the tombstone: %v", err)
	}
}

// TestKafkaStoreHandWrittenKeys: the same partition written with other spacing or field order is
// recognised; the newest record wins; our next Set removes the odd spelling.
func TestKafkaStoreHandWrittenKeys(t *testing.T) {
	f := newKafkaFixture(t)
	s := f.store(t)
	ctx := testCtx(t)
	part := map[string]any{"server": "server1", "database": "testDB"}
	if err := s.Set(ctx, "sqlserver-connector", []api.PartitionOffset{{Partition: part, Offset: map[string]any{"event_serial_no": 1}}}); err != nil {
		t.Fatal(err)
	}
	spaced := []byte(`[ "sqlserver-connector", { "database": "testDB", "server": "server1" } ]`)
	f.produce(t, spaced, []byte(`{ "event_serial_no" : 5 }`), -1)
	got, err := s.Get(ctx, "sqlserver-connector", []map[string]any{part})
	if err != nil || got[0]["event_serial_no"] != int64(5) {
		t.Fatalf("the hand-written spelling was not honoured: %v, %v", got, err)
	}
	if list, _ := s.List(ctx, "sqlserver-connector"); len(list) != 1 {
		t.Fatalf("two spellings listed as two partitions: %v", list)
	}
	if err := s.Set(ctx, "sqlserver-connector", []api.PartitionOffset{{Partition: part, Offset: map[string]any{"event_serial_no": 6}}}); err != nil {
		t.Fatal(err)
	}
	// The odd spelling got a tombstone, so a fresh reader cannot be misled by it.
	var tomb bool
	for _, r := range consumeAll(t, f.brokers, f.topic) {
		if string(r.Key) == string(spaced) && r.Value == nil {
			tomb = true
		}
	}
	if !tomb {
		t.Error("no tombstone for the hand-written spelling")
	}
	got, _ = f.store(t).Get(ctx, "sqlserver-connector", []map[string]any{part})
	if got[0]["event_serial_no"] != int64(6) {
		t.Errorf("fresh store: %v", got)
	}
}

// TestKafkaStoreTransactions: offsets written in Kafka transactions (as with exactly-once
// support) count once committed, aborted ones never, and reading to the end finishes even though
// the last offsets of the partition are transaction markers.
func TestKafkaStoreTransactions(t *testing.T) {
	f := newKafkaFixture(t)
	s := f.store(t)
	ctx := testCtx(t)
	txn, err := kgo.NewClient(kgo.SeedBrokers(f.brokers...), kgo.TransactionalID(f.topic+"-txn"), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.UnknownTopicRetries(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Close()
	key, _ := EncodeKey("eos", mysqlPartition)
	marker, _ := EncodeKey("eos", map[string]any{"server": "marker"})
	part := PartitionFor(key, DefaultPartitions)
	write := func(k []byte, pos int64, commit kgo.TransactionEndTry) {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		value, _ := EncodeOffset(mysqlOffset(pos))
		// Both keys go to one partition, so the marker's commit decides the aborted record too.
		if err := txn.ProduceSync(ctx, &kgo.Record{Topic: f.topic, Partition: part, Key: k, Value: value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := txn.EndTransaction(ctx, commit); err != nil {
			t.Fatal(err)
		}
	}
	// The coordinator writes commit markers after EndTransaction returns; until then the last
	// stable offset is below the record and readers (ours and Kafka Connect's) do not see it yet.
	waitFor := func(st *KafkaStore, partition map[string]any, pos int64) {
		t.Helper()
		for {
			got, err := st.Get(ctx, "eos", []map[string]any{partition})
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != nil && got[0]["pos"] == pos {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("offset pos=%d never became visible; last %v", pos, got[0])
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	write(key, 100, kgo.TryCommit)
	waitFor(s, mysqlPartition, 100)
	write(key, 200, kgo.TryAbort)
	write(marker, 1, kgo.TryCommit)
	waitFor(s, map[string]any{"server": "marker"}, 1)
	got, err := s.Get(ctx, "eos", []map[string]any{mysqlPartition})
	if err != nil || !reflect.DeepEqual(got[0], mysqlOffset(100)) {
		t.Fatalf("aborted transaction was applied: %v, %v", got, err)
	}
	got, err = f.store(t).Get(ctx, "eos", []map[string]any{mysqlPartition, {"server": "marker"}})
	if err != nil || !reflect.DeepEqual(got[0], mysqlOffset(100)) || got[1] == nil {
		t.Fatalf("fresh store: %v, %v", got, err)
	}
}

func TestKafkaStoreHistory(t *testing.T) {
	f := newKafkaFixture(t)
	ctx := testCtx(t)
	clock := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s := f.store(t, func(c *KafkaConfig) { c.HistorySize = 3 })
	s.now = func() time.Time { clock = clock.Add(time.Minute); return clock }

	// Debezium (or an operator) wrote an offset before connectd took over.
	key, _ := EncodeKey("inventory-connector", mysqlPartition)
	value, _ := EncodeOffset(mysqlOffset(4))
	pre := f.produce(t, key, value, -1)
	_ = pre

	for _, pos := range []int64{10, 10, 20, 30} { // the repeated 10 is not a change
		if err := s.Set(ctx, "inventory-connector", []api.PartitionOffset{{Partition: mysqlPartition, Offset: mysqlOffset(pos)}}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(st *KafkaStore) {
		t.Helper()
		h, err := st.History(ctx, "inventory-connector")
		if err != nil {
			t.Fatal(err)
		}
		// Limit 3: the pre-existing 4 and 10 were pushed out by 20 and 30... 4,10,20,30 -> last 3.
		var poss []int64
		for _, e := range h {
			poss = append(poss, e.Offset["pos"].(int64))
			if !reflect.DeepEqual(e.Partition, mysqlPartition) {
				t.Errorf("history partition %v", e.Partition)
			}
		}
		if !reflect.DeepEqual(poss, []int64{10, 20, 30}) {
			t.Fatalf("history positions %v, want [10 20 30]", poss)
		}
		if !h[0].Time.Before(h[1].Time) || !h[1].Time.Before(h[2].Time) {
			t.Errorf("history not in time order: %v", h)
		}
		// Rewinding to a point in time.
		at, ok := OffsetAt(h, mysqlPartition, h[1].Time.Add(30*time.Second))
		if !ok || at["pos"] != int64(20) {
			t.Errorf("OffsetAt: %v %v", at, ok)
		}
	}
	check(s)
	check(f.store(t, func(c *KafkaConfig) { c.HistorySize = 3 }))

	// The pre-existing offset is recorded when history is not yet full.
	s2f := newKafkaFixture(t)
	s2 := s2f.store(t)
	s2f.produce(t, key, value, -1)
	if err := s2.Set(ctx, "inventory-connector", []api.PartitionOffset{{Partition: mysqlPartition, Offset: mysqlOffset(10)}}); err != nil {
		t.Fatal(err)
	}
	h, _ := s2.History(ctx, "inventory-connector")
	if len(h) != 2 || h[0].Offset["pos"] != int64(4) || h[1].Offset["pos"] != int64(10) {
		t.Fatalf("history should start with the offset found in the topic: %v", h)
	}
	// A delete is recorded too.
	if err := s2.Delete(ctx, "inventory-connector", []map[string]any{mysqlPartition}); err != nil {
		t.Fatal(err)
	}
	h, _ = s2.History(ctx, "inventory-connector")
	if len(h) != 3 || h[2].Offset != nil {
		t.Fatalf("delete not in history: %v", h)
	}
}

// TestKafkaStoreUnreachable: no broker at the address gives a clear error once ctx ends, no hang.
func TestKafkaStoreUnreachable(t *testing.T) {
	port := freePort(t)
	s, err := NewKafkaStore(KafkaConfig{Brokers: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = s.Start(ctx)
	if err == nil {
		t.Fatal("started without a broker")
	}
	if !strings.Contains(err.Error(), "cannot reach Kafka at 127.0.0.1:") {
		t.Errorf("unclear error: %v", err)
	}
}

func TestNewKafkaStoreConfig(t *testing.T) {
	if _, err := NewKafkaStore(KafkaConfig{}); err == nil {
		t.Error("no brokers accepted")
	}
	if _, err := NewKafkaStore(KafkaConfig{Brokers: []string{"x:1"}, ReplicationFactor: -2}); err == nil {
		t.Error("replication factor -2 accepted")
	}
	if _, err := NewKafkaStore(KafkaConfig{Brokers: []string{"x:1"}, Topic: "t", HistoryTopic: "t"}); err == nil {
		t.Error("history topic equal to the offsets topic accepted")
	}
	s, err := NewKafkaStore(KafkaConfig{Brokers: []string{"x:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Topic() != "connect-offsets" || s.HistoryTopic() != "connect-offsets-history" || s.cfg.Partitions != 25 || s.cfg.ReplicationFactor != 3 {
		t.Errorf("defaults: %+v", s.cfg)
	}
}
