package e2e

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// NewConsumerAt is NewConsumer on the Kafka at brokers (a test's own broker, say), with more
// client options: kgo.FetchIsolationLevel(kgo.ReadCommitted()) for what an exactly-once reader sees.
func NewConsumerAt(t *testing.T, brokers string, opts []kgo.Opt, topics ...string) *Consumer {
	t.Helper()
	all := append([]kgo.Opt{kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.MetadataMinAge(250 * time.Millisecond),
		kgo.FetchMaxBytes(64 << 20)}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &Consumer{t: t, cl: cl, recs: map[string][]*kgo.Record{}}
}
