package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/workerconfig"
)

// ceiling replays connectd's records of each phase (the same keys and values, so the same
// bytes) from memory through connectd's own producer (see produceAll), into a fresh LogAppendTime
// topic, and times it the same way: from the first Produce to the append time of the last record.
func ceiling(ctx context.Context, cfg Config, k *kafka, db string, ours SystemResult) ([]CeilingResult, error) {
	phases := []struct {
		name     string
		from, to int64
	}{
		{"snapshot", 0, int64(ours.SnapshotRows)},
		{"streaming", int64(ours.SnapshotRows), int64(ours.SnapshotRows + ours.StreamEvents)},
	}
	var out []CeilingResult
	for _, ph := range phases {
		if ph.to <= ph.from {
			continue
		}
		var recs []*kgo.Record
		var bytes int64
		topic := cfg.Namespace + "_ceiling_" + db + "_" + ph.name
		if err := k.readRange(ctx, ours.Topic, ph.from, ph.to, func(r *kgo.Record) {
			recs = append(recs, &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value})
			bytes += int64(len(r.Key) + len(r.Value))
		}); err != nil {
			return nil, err
		}
		cfg.logf("kafka ceiling: producing %d %s records (%d bytes) from memory", len(recs), ph.name, bytes)
		if err := k.deleteTopics(ctx, []string{topic}, nil); err != nil {
			return nil, err
		}
		if err := k.createTopic(ctx, topic); err != nil {
			return nil, err
		}
		m0 := readMachine()
		start, err := produceAll(ctx, k.bootstrap, recs)
		if err != nil {
			return nil, err
		}
		last, err := k.appendTime(ctx, topic, int64(len(recs))-1)
		if err != nil {
			return nil, err
		}
		out = append(out, CeilingResult{Phase: ph.name, Records: len(recs), Bytes: bytes, Dur: last.Sub(start), Machine: readMachine().sub(m0)})
	}
	return out, nil
}

// produceAll produces recs as fast as the client takes them and waits for every acknowledgement;
// it returns when the first record was handed to the client. The client is connectd's own worker
// producer (connect/runtime.NewProducer) with the producer settings connectd's connector runs
// with in the benchmark (TunedProperties' producer overrides), so the ceiling does the same work:
// the same batching, linger, acks, idempotence and (no) compression.
func produceAll(ctx context.Context, bootstrap string, recs []*kgo.Record) (time.Time, error) {
	props := map[string]string{"producer.client.id": "connectd-bench-ceiling"}
	for k, v := range TunedProperties {
		if rest, ok := strings.CutPrefix(k, "producer.override."); ok {
			props["producer."+rest] = v
		}
	}
	cl, err := runtime.NewProducer(&workerconfig.Worker{BootstrapServers: strings.Split(bootstrap, ","), Props: props})
	if err != nil {
		return time.Time{}, fmt.Errorf("could not create the ceiling producer: %w", err)
	}
	defer cl.Close()
	// Connect to the partition leader first, as a worker that has been running would be.
	if err := cl.Ping(ctx); err != nil {
		return time.Time{}, fmt.Errorf("ceiling producer: %w", err)
	}
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	wg.Add(len(recs))
	start := time.Now()
	for _, r := range recs {
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	if first != nil {
		return start, fmt.Errorf("ceiling producer: %w", first)
	}
	return start, nil
}
