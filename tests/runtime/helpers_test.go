// Package runtime_test drives connectd like a user: it starts a worker with the test generator
// connector, talks to its REST API and reads what lands in the test bed's Kafka.
package runtime_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// client talks to one worker's REST API.
type client struct{ *e2e.Client }

// committed returns the committed seq per generator task, from GET /connectors/{c}/offsets.
func (c client) committed(name string) map[string]int64 {
	c.T.Helper()
	return e2e.GeneratorSeqs(c.T, c.Expect(200, "GET", "/connectors/"+name+"/offsets", ""))
}

// buildTestBinary builds tests/cmd/connectd-test (connectd plus the generator) once per run.
func buildTestBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "connectd-test")
	cmd := exec.Command("go", "build", "-o", out, "./tests/cmd/connectd-test")
	cmd.Dir = testbed.RepoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// endOffsets returns the end offset of every partition of topic.
func endOffsets(t *testing.T, brokers, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

type genRecord struct {
	Seq  int64 `json:"seq"`
	Task int   `json:"task"`
}

// readFrom reads generator records of topic from the given offsets (nil: from the start) until
// enough(records) holds.
func readFrom(t *testing.T, brokers, topic string, from map[int32]int64, enough func([]genRecord) bool) []genRecord {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(brokers)}
	if from == nil {
		opts = append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	} else {
		parts := map[int32]kgo.Offset{}
		for p, o := range from {
			parts[p] = kgo.NewOffset().At(o)
		}
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out []genRecord
	for !enough(out) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("timed out reading %s: %d records so far", topic, len(out))
		}
		fs.EachRecord(func(r *kgo.Record) {
			var g genRecord
			if err := json.Unmarshal(r.Value, &g); err != nil {
				t.Fatalf("record value %q: %v", r.Value, err)
			}
			out = append(out, g)
		})
	}
	return out
}

// minSeq returns the lowest seq of task among records.
func minSeq(recs []genRecord, task int) (int64, bool) {
	var m int64
	found := false
	for _, r := range recs {
		if r.Task == task && (!found || r.Seq < m) {
			m, found = r.Seq, true
		}
	}
	return m, found
}

func countTask(recs []genRecord, task int) int {
	n := 0
	for _, r := range recs {
		if r.Task == task {
			n++
		}
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
