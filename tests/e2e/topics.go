package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/testbed"
)

// Consumer reads topics of the test bed's Kafka from their beginning and keeps every record.
type Consumer struct {
	t    *testing.T
	cl   *kgo.Client
	recs map[string][]*kgo.Record
}

// NewConsumer returns a consumer of topics, closed at the test's cleanup.
func NewConsumer(t *testing.T, topics ...string) *Consumer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(testbed.Kafka(t)), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.MetadataMinAge(250*time.Millisecond),
		kgo.FetchMaxBytes(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &Consumer{t: t, cl: cl, recs: map[string][]*kgo.Record{}}
}

func (c *Consumer) fetch(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	fs := c.cl.PollFetches(ctx)
	fs.EachRecord(func(r *kgo.Record) { c.recs[r.Topic] = append(c.recs[r.Topic], r) })
}

// Records returns the records of topic read so far.
func (c *Consumer) Records(topic string) []*kgo.Record { return c.recs[topic] }

// WaitFor polls until topic holds at least n records and returns them; the deadline only guards
// against a hang.
func (c *Consumer) WaitFor(topic string, n int) []*kgo.Record {
	c.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for len(c.recs[topic]) < n {
		if time.Now().After(deadline) {
			c.t.Fatalf("topic %s: %d of %d records; last ones:\n%s", topic, len(c.recs[topic]), n, Dump(Tail(c.recs[topic], 10)))
		}
		c.fetch(500 * time.Millisecond)
	}
	return c.recs[topic]
}

// Settle polls a little longer so records beyond the expected ones would show up.
func (c *Consumer) Settle(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		c.fetch(300 * time.Millisecond)
	}
}

// Tail returns the last n records of rs.
func Tail(rs []*kgo.Record, n int) []*kgo.Record {
	if len(rs) > n {
		return rs[len(rs)-n:]
	}
	return rs
}

// Dump formats records one a line, key | value, for a failure message.
func Dump(rs []*kgo.Record) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s | %.300s\n", r.Key, r.Value)
	}
	return b.String()
}

// Event is a change event reduced to what the assertions compare.
type Event struct {
	Key    string
	Op     string
	Before string
	After  string
}

// String formats the event for a failure message.
func (e Event) String() string {
	return fmt.Sprintf("%s %s %.80s->%.80s", e.Op, e.Key, e.Before, e.After)
}

// Events decodes change events (JSON without schemas); a tombstone has Op "tombstone".
func Events(t *testing.T, rs []*kgo.Record) []Event {
	t.Helper()
	out := make([]Event, 0, len(rs))
	for _, r := range rs {
		e := Event{Key: string(r.Key)}
		if r.Value == nil {
			e.Op = "tombstone"
			out = append(out, e)
			continue
		}
		var v struct {
			Op            string
			Before, After json.RawMessage
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%.300s: %v", r.Value, err)
		}
		e.Op, e.Before, e.After = v.Op, string(v.Before), string(v.After)
		out = append(out, e)
	}
	return out
}
