package diff

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/testbed"
)

// TestReadKafka writes a small connector's worth of records to the real broker (a data topic, the
// schema change topic, a history topic and a multi-partition offsets topic holding two
// connectors' offsets), then reads them back as a dump, the way compatdiff dump does.
func TestReadKafka(t *testing.T) {
	brokers := []string{testbed.Kafka(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.Itoa(os.Getpid())
	prefix := "compatdiff_" + run
	data, history, offsets := prefix+".db.t", "history-"+run, "offsets-"+run

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.UnknownTopicRetries(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, offsets); err != nil {
		t.Fatal(err)
	}
	// Created up front: records name their partition, and auto-creation would race with that.
	for _, topic := range []string{data, prefix, history, prefix + "_other.db.t"} {
		if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := DeleteTopics(ctx, brokers, []string{prefix}, []string{history, offsets}); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})

	// The offsets topic already holds a record of this connector from an "earlier run".
	produce := func(rs ...*kgo.Record) {
		t.Helper()
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(&kgo.Record{Topic: offsets, Partition: 1, Key: []byte(`["c1",{"server":"x"}]`), Value: []byte(`{"old":true}`)})
	start, err := EndOffsets(ctx, brokers, offsets)
	if err != nil {
		t.Fatal(err)
	}
	if len(start) != 3 || start[1] != 1 {
		t.Fatalf("EndOffsets = %v, want 3 partitions with 1 record in partition 1", start)
	}
	produce(
		&kgo.Record{Topic: data, Key: []byte(`{"id":1}`), Value: []byte(`{"op":"c"}`),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}},
		&kgo.Record{Topic: data, Key: []byte(`{"id":1}`)}, // tombstone
		&kgo.Record{Topic: prefix, Key: []byte(`{"databaseName":"db"}`), Value: []byte(`{"ddl":"CREATE TABLE t"}`)},
		&kgo.Record{Topic: history, Value: []byte(`{"ddl":"CREATE TABLE t"}`)},
		&kgo.Record{Topic: offsets, Partition: 1, Key: []byte(`["c1",{"server":"x"}]`), Value: []byte(`{"pos":1}`)},
		&kgo.Record{Topic: offsets, Partition: 2, Key: []byte(`["other",{"server":"x"}]`), Value: []byte(`{"pos":9}`)},
	)
	// The topic of another prefix that merely starts with the same letters is not ours.
	produce(&kgo.Record{Topic: prefix + "_other.db.t", Value: []byte(`{}`)})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = DeleteTopics(ctx, brokers, []string{prefix + "_other"}, nil)
	})

	n, err := WaitQuiet(ctx, brokers, []string{prefix}, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("WaitQuiet counted %d records in the prefix's topics, want 3", n)
	}

	d, err := ReadKafka(ctx, Source{
		Brokers:      brokers,
		Manifest:     Manifest{Prefix: prefix, Connector: "c1", OffsetsTopic: offsets, HistoryTopic: history},
		OffsetsStart: start,
		Idle:         2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for name, rs := range d.Topics {
		s := ""
		for _, r := range rs {
			s += fmt.Sprintf("%s|%s|%d;", r.Key, r.Value, len(r.Headers))
		}
		got[name] = s
	}
	want := map[string]string{
		"${prefix}.db.t": `{"id":1}|{"op":"c"}|1;{"id":1}|null|0;`,
		"${prefix}":      `{"databaseName":"db"}|{"ddl":"CREATE TABLE t"}|0;`,
		HistoryTopic:     `null|{"ddl":"CREATE TABLE t"}|0;`,
		OffsetsTopic:     `["c1",{"server":"x"}]|{"pos":1}|0;`,
	}
	if len(got) != len(want) {
		t.Errorf("topics read: %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("topic %s: got %s, want %s", k, got[k], v)
		}
	}

	del, err := DeleteTopics(ctx, brokers, []string{prefix}, []string{history})
	if err != nil {
		t.Fatal(err)
	}
	if len(del) != 3 {
		t.Errorf("DeleteTopics deleted %v, want the prefix's two topics and the history topic", del)
	}
	topics, err := PrefixTopics(ctx, adm, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(topics) != 0 {
		t.Errorf("topics left after DeleteTopics: %v", topics)
	}
}
