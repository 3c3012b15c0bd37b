package distributed

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/tests/broker"
	"github.com/connectd/connectd/tests/testbed"
)

// fenced reports whether err is the transaction coordinator refusing a fenced producer.
func fenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) || errors.Is(err, kerr.InvalidProducerIDMapping)
}

// committedValues reads topic with a read_committed consumer until it has want records or the
// timeout, and returns the values.
func committedValues(t *testing.T, brokers, topic string, want int, timeout time.Duration) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []string
	for ctx.Err() == nil && len(out) <= want {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	return out
}

// A task of an older generation that tries to commit after its transactional id was fenced fails,
// and nothing of its open transaction is visible to read_committed consumers: once by a second
// producer with the same transactional id (the new task initializing its id), once by the
// leader's FenceProducers round.
func TestZombieTaskIsFenced(t *testing.T) {
	brokers := broker.Kafka(t)
	topic := testbed.Topic(t, "eos-fence")
	group := testbed.Topic(t, "group")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	newProducer := func(id string) *kgo.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.TransactionalID(id), kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic(topic))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	commitOne := func(cl *kgo.Client, value string) error {
		if err := cl.BeginTransaction(); err != nil {
			return err
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(value)}).FirstErr(); err != nil {
			_ = cl.EndTransaction(ctx, kgo.TryAbort)
			return err
		}
		return cl.EndTransaction(ctx, kgo.TryCommit)
	}

	// Two producers with the same transactional id: the second one's initialization fences the
	// first, whose open transaction is aborted.
	id := runtime.TransactionalID(group, "conn", 0)
	if id != group+"-conn-0" {
		t.Fatalf("transactional id %q, want Kafka Connect's ${groupId}-${connector}-${taskId}", id)
	}
	zombie := newProducer(id)
	if err := commitOne(zombie, "gen1-committed"); err != nil {
		t.Fatalf("first transaction: %v", err)
	}
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := zombie.ProduceSync(ctx, &kgo.Record{Value: []byte("gen1-open")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	successor := newProducer(id)
	if _, _, err := successor.ProducerID(ctx); err != nil {
		t.Fatalf("the successor could not initialize the transactional id: %v", err)
	}
	err := zombie.EndTransaction(ctx, kgo.TryCommit)
	if !fenced(err) {
		t.Fatalf("the zombie's commit after the successor initialized the same transactional id: %v, want fenced", err)
	}
	if err := commitOne(successor, "gen2-committed"); err != nil {
		t.Fatalf("the successor's transaction: %v", err)
	}

	// The leader's fencing round (Admin.fenceProducers' InitProducerId) fences a zombie of a task
	// id the new generation does not have.
	id1 := runtime.TransactionalID(group, "conn", 1)
	zombie1 := newProducer(id1)
	if err := zombie1.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := zombie1.ProduceSync(ctx, &kgo.Record{Value: []byte("task1-open")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	admin, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := FenceProducers(ctx, admin, []string{id, id1}); err != nil {
		t.Fatal(err)
	}
	if err := zombie1.EndTransaction(ctx, kgo.TryCommit); !fenced(err) {
		t.Fatalf("the zombie's commit after FenceProducers: %v, want fenced", err)
	}
	if err := commitOne(successor, "after-fence"); !fenced(err) {
		t.Fatalf("a producer of a fenced id must be fenced too: %v", err)
	}

	got := committedValues(t, brokers, topic, 2, 8*time.Second)
	if len(got) != 2 || got[0] != "gen1-committed" || got[1] != "gen2-committed" {
		t.Fatalf("read_committed sees %q, want only the committed transactions [gen1-committed gen2-committed]", got)
	}
}

// The leader records the task count of a fencing round as Kafka Connect's task-count record, and
// a config store reads it back.
func TestTaskCountRecord(t *testing.T) {
	brokers := broker.Kafka(t)
	topic := testbed.Topic(t, "configs")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := NewConfigStore(ConfigStoreOptions{Brokers: []string{brokers}, Topic: topic, ReplicationFactor: 1})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, ok := w.FencedTaskCount("c"); ok {
		t.Fatal("a task count before any fencing")
	}
	if err := w.PutTaskCount(ctx, "c", 3); err != nil {
		t.Fatal(err)
	}
	r := NewConfigStore(ConfigStoreOptions{Brokers: []string{brokers}, Topic: topic, ReplicationFactor: 1})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, ok := r.FencedTaskCount("c"); !ok || n != 3 {
		t.Fatalf("task count read back: %d %v, want 3", n, ok)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	fs := cl.PollFetches(ctx)
	var key, value string
	fs.EachRecord(func(rec *kgo.Record) { key, value = string(rec.Key), string(rec.Value) })
	if key != "tasks-fencing-c" || value != `{"task-count":3}` {
		t.Fatalf("record %s=%s, want Kafka Connect's tasks-fencing-c={\"task-count\":3}", key, value)
	}
}
