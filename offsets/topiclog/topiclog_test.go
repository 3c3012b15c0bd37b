package topiclog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/broker"
	"github.com/connectd/connectd/tests/testbed"
)

func TestEnsureCompactedCreatesChecksAndCounts(t *testing.T) {
	brokers := broker.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.MetadataMinAge(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	created := testbed.Topic(t, "created")
	n, err := EnsureCompacted(ctx, adm, []string{brokers}, TopicSpec{Name: created, Partitions: 3, ReplicationFactor: 1, Property: "x.topic", Purpose: "things"})
	if err != nil || n != 3 {
		t.Fatalf("create: %d partitions, %v", n, err)
	}
	// Checking it again finds the same topic.
	if n, err := EnsureCompacted(ctx, adm, []string{brokers}, TopicSpec{Name: created, Partitions: 1, ReplicationFactor: 1}); err != nil || n != 3 {
		t.Fatalf("existing: %d partitions, %v", n, err)
	}

	deleting := testbed.Topic(t, "delete")
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, deleting); err != nil {
		t.Fatal(err)
	}
	_, err = EnsureCompacted(ctx, adm, []string{brokers}, TopicSpec{Name: deleting, Partitions: 1, ReplicationFactor: 1, Property: "x.topic", Purpose: "things"})
	if err == nil || !strings.Contains(err.Error(), "cleanup.policy=delete") || !strings.Contains(err.Error(), "x.topic") {
		t.Fatalf("a delete-policy topic must be refused with the fix; got %v", err)
	}
}

func TestLogReadsToEndAndFollows(t *testing.T) {
	brokers := broker.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.MetadataMinAge(250*time.Millisecond), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.UnknownTopicRetries(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	topic := testbed.Topic(t, "log")
	if _, err := EnsureCompacted(ctx, kadm.NewClient(cl), []string{brokers}, TopicSpec{Name: topic, Partitions: 2, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	var got []string
	l := New(cl, topic, nil, func(r *kgo.Record) { got = append(got, string(r.Key)) })
	if err := l.ReadToEnd(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty topic: %v %v", got, err)
	}
	produce := func(p int32, keys ...string) {
		for _, k := range keys {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: p, Key: []byte(k)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	produce(0, "a", "b")
	produce(1, "c")
	if err := l.ReadToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,b,c" {
		t.Fatalf("read %v", got)
	}
	if pos := l.Position(); len(pos) != 2 || pos[0] != 2 || pos[1] != 1 {
		t.Fatalf("position %v, want [2 1]", pos)
	}
	produce(1, "d")
	if err := l.ReadToEnd(ctx); err != nil || strings.Join(got, ",") != "a,b,c,d" {
		t.Fatalf("after another record: %v %v", got, err)
	}
}
