package schemahistory

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/tests/testbed"
)

func kafkaAdmin(t *testing.T, broker string) (*kgo.Client, *kadm.Client) {
	t.Helper()
	// A topic this test just created can be unknown to the partition leader for a moment; keep
	// retrying instead of franz-go's default of failing after a few unknown-topic answers.
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.UnknownTopicRetries(-1), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

func openKafka(t *testing.T, broker, topic string) (*KafkaStore, error) {
	t.Helper()
	s, err := OpenKafka(t.Context(), KafkaOptions{Topic: topic, Brokers: []string{broker}, CatalogBeforeSchema: true})
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func createTopic(t *testing.T, adm *kadm.Client, topic string, partitions int32, configs map[string]string) {
	t.Helper()
	cfg := map[string]*string{}
	for k, v := range configs {
		cfg[k] = kadm.StringPtr(v)
	}
	if _, err := adm.CreateTopic(t.Context(), partitions, 1, cfg, topic); err != nil {
		t.Fatalf("creating topic %s: %v", topic, err)
	}
}

func TestKafkaStoreCreatesTopicAndReplays(t *testing.T) {
	broker := testbed.Kafka(t)
	_, adm := kafkaAdmin(t, broker)
	topic := testbed.Topic(t, "history")

	s, err := openKafka(t, broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	details, err := adm.ListTopics(t.Context(), topic)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(details[topic].Partitions); n != 1 {
		t.Errorf("created topic has %d partitions, want 1", n)
	}
	rcs, err := adm.DescribeTopicConfigs(t.Context(), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := rcs.On(topic, nil)
	got := map[string]string{}
	for _, c := range rc.Configs {
		got[c.Key] = c.MaybeValue()
	}
	for k, want := range map[string]string{"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"} {
		if got[k] != want {
			t.Errorf("created topic has %s=%q, want %q", k, got[k], want)
		}
	}
	if ok, err := s.Exists(t.Context()); err != nil || ok {
		t.Errorf("Exists on a new topic = %v, %v", ok, err)
	}

	recs := testRecords(t, 60)
	if err := s.Record(t.Context(), recs[:10]...); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[10:] {
		if err := s.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.Exists(t.Context()); err != nil || !ok {
		t.Errorf("Exists after writing = %v, %v", ok, err)
	}

	// A second connector start checks the topic it created and replays it.
	s2, err := openKafka(t, broker, topic)
	if err != nil {
		t.Fatalf("reopening the topic connectd created: %v", err)
	}
	fromKafka := relational.NewTables(false)
	st, err := Replay(t.Context(), s2, fromKafka, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mem := NewMemoryStore(true)
	if err := mem.Record(t.Context(), recs...); err != nil {
		t.Fatal(err)
	}
	fromMemory := relational.NewTables(false)
	if _, err := Replay(t.Context(), mem, fromMemory, ReplayOptions{}); err != nil {
		t.Fatal(err)
	}
	if st.Records != 60 || fromKafka.Len() != 5 || !fromKafka.Equal(fromMemory) {
		t.Errorf("replayed %v from Kafka (stats %+v), want %v", fromKafka, st, fromMemory)
	}

	// Replay stops at the connector's position: the first 30 records.
	upTo := relational.NewTables(false)
	st, err = Replay(t.Context(), s2, upTo, ReplayOptions{Include: func(r *Record) bool { return r.Position["pos"].(int64) <= 3000 }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Applied != 30 || st.Skipped != 30 || len(upTo.Get(relational.TableID{Catalog: "shop", Table: "t0"}).Columns) != 6 {
		t.Errorf("replay up to pos 3000: %+v, t0 %v", st, upTo.Get(relational.TableID{Catalog: "shop", Table: "t0"}).ColumnNames())
	}
}

func TestKafkaStoreRefusesUnsafeTopics(t *testing.T) {
	broker := testbed.Kafka(t)
	_, adm := kafkaAdmin(t, broker)
	safe := map[string]string{"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range safe {
			m[a] = b
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name       string
		partitions int32
		configs    map[string]string
		want       []string
	}{
		{"compacted", 1, with("cleanup.policy", "compact"), []string{
			"has cleanup.policy=compact", "--alter --entity-type topics --entity-name TOPIC --add-config cleanup.policy=delete"}},
		{"three partitions", 3, safe, []string{
			"has 3 partitions", "--partitions 1", "point " + PropKafkaTopic + " at it", "snapshot.mode=recovery"}},
		{"seven days retention", 1, with("retention.ms", "604800000"), []string{
			`"TOPIC" has retention.ms=604800000: Kafka would delete history the connector needs to decode old events; set it with: ` +
				"kafka-configs.sh --bootstrap-server " + broker + " --alter --entity-type topics --entity-name TOPIC --add-config retention.ms=-1"}},
		{"size retention", 1, with("retention.bytes", "1073741824"), []string{"has retention.bytes=1073741824", "--add-config retention.bytes=-1"}},
		{"broker defaults", 1, nil, []string{"has retention.ms=", "--add-config retention.ms=-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := testbed.Topic(t, "history")
			createTopic(t, adm, topic, c.partitions, c.configs)
			_, err := openKafka(t, broker, topic)
			if !errors.Is(err, ErrUnsafeTopic) {
				t.Fatalf("OpenKafka = %v, want ErrUnsafeTopic", err)
			}
			for _, w := range c.want {
				if w = strings.ReplaceAll(w, "TOPIC", topic); !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q:\n%v", w, err)
				}
			}
		})
	}

	// What Debezium creates (retention.ms=Long.MAX_VALUE) is as safe as -1.
	topic := testbed.Topic(t, "history")
	createTopic(t, adm, topic, 1, with("retention.ms", "9223372036854775807"))
	if _, err := openKafka(t, broker, topic); err != nil {
		t.Errorf("a topic set up as Debezium creates it was refused: %v", err)
	}
}

// produceRaw writes values to partition 0 of topic as Debezium's producer does: no key.
func produceRaw(t *testing.T, cl *kgo.Client, topic string, values ...[]byte) {
	t.Helper()
	var recs []*kgo.Record
	for _, v := range values {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: 0, Value: v})
	}
	if err := cl.ProduceSync(t.Context(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func TestKafkaStoreReplaysDebeziumTopic(t *testing.T) {
	broker := testbed.Kafka(t)
	cl, adm := kafkaAdmin(t, broker)
	topic := testbed.Topic(t, "history")
	createTopic(t, adm, topic, 1, map[string]string{"cleanup.policy": "delete", "retention.ms": "9223372036854775807", "retention.bytes": "-1"})
	values := kafkaValues(t)
	produceRaw(t, cl, topic, values[:7]...)
	produceRaw(t, cl, topic, nil) // a null value, which Debezium skips too
	produceRaw(t, cl, topic, values[7:]...)

	s, err := openKafka(t, broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	tables := relational.NewTables(false)
	st, err := Replay(t.Context(), s, tables, ReplayOptions{Include: binlogAtOrBefore("fx1795305130", "mariadb-bin.000005", 4078)})
	if err != nil {
		t.Fatal(err)
	}
	checkMariaDBModel(t, tables)
	if st.Records != 14 {
		t.Errorf("read %d records, want 14", st.Records)
	}

	// What connectd appends is in Debezium's layout: the raw value equals what Debezium wrote for
	// the same record.
	rec, err := UnmarshalRecord(values[13], true)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	consumer, err := kgo.NewClient(kgo.SeedBrokers(broker),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(15)}}))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	fetches := consumer.PollFetches(ctx)
	if err := fetches.Err(); err != nil {
		t.Fatal(err)
	}
	got := fetches.Records()
	if len(got) == 0 || string(got[0].Value) != string(values[13]) || got[0].Key != nil || got[0].Partition != 0 {
		t.Errorf("connectd wrote %q with key %q; want Debezium's bytes without key", got[0].Value, got[0].Key)
	}
}

func TestKafkaStoreRecoverErrors(t *testing.T) {
	broker := testbed.Kafka(t)
	cl, _ := kafkaAdmin(t, broker)
	topic := testbed.Topic(t, "history")
	s, err := openKafka(t, broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords(t, 3)
	if err := s.Record(t.Context(), recs[:2]...); err != nil {
		t.Fatal(err)
	}
	produceRaw(t, cl, topic, []byte(`{"source":{},"position":{},"tableChanges":[{"type":"CREATE"`))
	err = s.Recover(t.Context(), func(*Record) error { return nil })
	want := "schema history topic " + strconv.Quote(topic) + " partition 0 offset 2: malformed schema history record"
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) {
		t.Errorf("recovering a malformed record: %v; want %q", err, want)
	}

	// Records written while a recovery runs are not waited for: it reads to the end it saw first.
	topic = testbed.Topic(t, "history")
	s, err = openKafka(t, broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(t.Context(), recs[:2]...); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = s.Recover(t.Context(), func(*Record) error {
		if n == 0 {
			if err := s.Record(t.Context(), recs[2]); err != nil {
				return err
			}
		}
		n++
		return nil
	})
	if err != nil || n != 2 {
		t.Errorf("recovery saw %d records (%v), want the 2 present when it started", n, err)
	}
	if got := recoverAll(t, s); len(got) != 3 {
		t.Errorf("a later recovery saw %d records, want 3", len(got))
	}

	// A callback error stops the recovery and is returned as is.
	boom := errors.New("boom")
	if err := s.Recover(t.Context(), func(*Record) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("callback error: %v", err)
	}
}

func TestOpenFromConfig(t *testing.T) {
	broker := testbed.Kafka(t)
	topic := testbed.Topic(t, "history")
	cfg, err := ParseConfig(map[string]string{
		PropKafkaTopic:            topic,
		PropKafkaBootstrapServers: broker,
		PropKafkaPollInterval:     "50",
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ks, ok := s.(*KafkaStore); !ok || ks.Topic() != topic || ks.opts.PollInterval != 50*time.Millisecond {
		t.Errorf("Open gave %T %+v", s, s)
	}
}
