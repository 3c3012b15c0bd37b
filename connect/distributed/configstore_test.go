package distributed

import (
	"context"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/broker"
	"github.com/connectd/connectd/tests/testbed"
)

// The values connectd writes are byte for byte what Kafka's JsonConverter (schemas disabled)
// writes for KafkaConfigBackingStore's structs.
func TestConfigValueEncodings(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{string(encodeProperties(map[string]string{"name": "c", "topic": "a<b>&c"})), `{"properties":{"name":"c","topic":"a<b>&c"}}`},
		{string(encodeTargetState(herder.TargetStarted)), `{"state":"STARTED","state.v2":"STARTED"}`},
		{string(encodeTargetState(herder.TargetPaused)), `{"state":"PAUSED","state.v2":"PAUSED"}`},
		// Workers older than KIP-875 read "state" and see PAUSED.
		{string(encodeTargetState(herder.TargetStopped)), `{"state":"PAUSED","state.v2":"STOPPED"}`},
		{string(encodeStatus(herder.StateRunning, "", "127.0.0.1:8083", 7)), `{"state":"RUNNING","trace":null,"worker_id":"127.0.0.1:8083","generation":7}`},
		{string(encodeStatus(herder.StateFailed, "boom\n\"why\"", "w:1", 0)), `{"state":"FAILED","trace":"boom\n\"why\"","worker_id":"w:1","generation":0}`},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
}

func TestParseTaskKey(t *testing.T) {
	for key, want := range map[string]struct {
		name string
		n    int
		ok   bool
	}{
		"task-c-0":            {"c", 0, true},
		"task-my-conn-12":     {"my-conn", 12, true},
		"task-c":              {"", 0, false},
		"task--1":             {"", 0, false},
		"task-c-x":            {"", 0, false},
		"task-inventory-db-3": {"inventory-db", 3, true},
	} {
		name, n, ok := parseTaskKey(key)
		if name != want.name || n != want.n || ok != want.ok {
			t.Errorf("%s: got %q %d %v, want %+v", key, name, n, ok, want)
		}
	}
}

// apply feeds records to a store as if read from the topic.
func apply(s *ConfigStore, recs ...[2]string) {
	for i, kv := range recs {
		r := &kgo.Record{Key: []byte(kv[0]), Offset: int64(i)}
		if kv[1] != "null" {
			r.Value = []byte(kv[1])
		}
		s.apply(r)
	}
}

// Records as a Kafka Connect worker writes them (Java HashMap order, null property values,
// target states from workers before and after KIP-875, fencing and session-key records) give the
// view Kafka Connect would have.
func TestConfigStoreReadsKafkaConnectRecords(t *testing.T) {
	s := NewConfigStore(ConfigStoreOptions{})
	s.started = true
	apply(s,
		[2]string{"session-key", `{"key":"c2VjcmV0","algorithm":"HmacSHA256","creation-timestamp":1700000000000}`},
		[2]string{"connector-a-b", `{"properties":{"tasks.max":"2","name":"a-b","connector.class":"X","opt":null}}`},
		[2]string{"task-a-b-0", `{"properties":{"task.id":"0"}}`},
		[2]string{"task-a-b-1", `{"properties":{"task.id":"1"}}`},
		[2]string{"commit-a-b", `{"tasks":2}`},
		[2]string{"tasks-fencing-a-b", `{"task-count":2}`},
		[2]string{"target-state-a-b", `{"state":"PAUSED"}`},
		[2]string{"connector-z", `{"properties":{"name":"z"}}`},
		[2]string{"target-state-z", `{"state":"PAUSED","state.v2":"STOPPED"}`},
		[2]string{"commit-z", `{"tasks":0}`},
		[2]string{"restart-connector-a-b", `{"include-tasks":true,"only-failed":false}`},
		[2]string{"logger-cluster-org.apache", `{"level":"DEBUG"}`},
	)
	snap := s.Snapshot()
	if want := map[string]string{"tasks.max": "2", "name": "a-b", "connector.class": "X"}; !maps.Equal(snap.Connectors["a-b"], want) {
		t.Errorf("config %v, want %v", snap.Connectors["a-b"], want)
	}
	if len(snap.Tasks["a-b"]) != 2 || snap.Tasks["a-b"][1]["task.id"] != "1" {
		t.Errorf("tasks %v", snap.Tasks["a-b"])
	}
	if snap.Target("a-b") != herder.TargetPaused || snap.Target("z") != herder.TargetStopped {
		t.Errorf("targets %v", snap.Targets)
	}
	if s.Offset() != 12 {
		t.Errorf("offset %d, want 12 (next record)", s.Offset())
	}
	var kinds []ConfigEventKind
	var restart herder.RestartRequest
	for _, ev := range s.TakeEvents() {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == RestartRequested {
			restart = ev.Restart
			if ev.Offset != 10 {
				t.Errorf("restart event at offset %d, want 10 (its record's)", ev.Offset)
			}
		}
	}
	want := []ConfigEventKind{ConnectorUpdated, TasksCommitted, TargetStateChanged, ConnectorUpdated, TargetStateChanged, TasksCommitted, RestartRequested}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("events %v, want %v", kinds, want)
	}
	if restart != (herder.RestartRequest{Connector: "a-b", IncludeTasks: true}) {
		t.Errorf("restart %+v", restart)
	}

	// Deleting: tombstones for the connector and its target state.
	apply(s, [2]string{"connector-a-b", "null"}, [2]string{"target-state-a-b", "null"})
	snap = s.Snapshot()
	if snap.Contains("a-b") || len(snap.Tasks["a-b"]) != 0 || snap.Targets["a-b"] != "" {
		t.Errorf("after delete: %+v", snap)
	}
}

// After compaction removed a task record of a commit, the connector is marked inconsistent until
// a complete set is committed; a commit for a connector compaction already deleted is ignored.
func TestConfigStoreIncompleteCommit(t *testing.T) {
	s := NewConfigStore(ConfigStoreOptions{})
	apply(s,
		[2]string{"connector-c", `{"properties":{"name":"c"}}`},
		[2]string{"task-c-1", `{"properties":{"task.id":"1"}}`},
		[2]string{"commit-c", `{"tasks":2}`},
		[2]string{"task-gone-0", `{"properties":{}}`},
		[2]string{"commit-gone", `{"tasks":1}`},
	)
	snap := s.Snapshot()
	if !snap.Inconsistent["c"] || len(snap.Tasks["c"]) != 0 {
		t.Fatalf("incomplete commit: %+v", snap)
	}
	if _, ok := snap.Tasks["gone"]; ok || snap.Contains("gone") {
		t.Fatalf("a commit without its connector must be ignored: %+v", snap)
	}
	apply(s,
		[2]string{"task-c-0", `{"properties":{"task.id":"0"}}`},
		[2]string{"task-c-1", `{"properties":{"task.id":"1"}}`},
		[2]string{"commit-c", `{"tasks":2}`},
	)
	snap = s.Snapshot()
	if snap.Inconsistent["c"] || len(snap.Tasks["c"]) != 2 {
		t.Fatalf("complete commit: %+v", snap)
	}
	if len(s.TakeEvents()) != 0 {
		t.Error("records read before the store started are the starting point, not events")
	}
}

// What connectd writes reads back the same, through the real broker, and the raw records carry
// Kafka Connect's keys.
func TestConfigStoreRoundTrip(t *testing.T) {
	brokers := broker.Kafka(t)
	topic := testbed.Topic(t, "configs")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := NewConfigStore(ConfigStoreOptions{Brokers: []string{brokers}, Topic: topic, ReplicationFactor: 1})
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.PutConnectorConfig(ctx, "c", map[string]string{"name": "c", "x": "1"}, herder.TargetPaused); err != nil {
		t.Fatal(err)
	}
	if err := w.PutTaskConfigs(ctx, "c", []map[string]string{{"t": "0"}, {"t": "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.PutTargetState(ctx, "c", herder.TargetStopped); err != nil {
		t.Fatal(err)
	}
	if err := w.PutRestartRequest(ctx, herder.RestartRequest{Connector: "c", OnlyFailed: true}); err != nil {
		t.Fatal(err)
	}
	r := NewConfigStore(ConfigStoreOptions{Brokers: []string{brokers}, Topic: topic, ReplicationFactor: 1})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	snap := r.Snapshot()
	if snap.Connectors["c"]["x"] != "1" || len(snap.Tasks["c"]) != 2 || snap.Target("c") != herder.TargetStopped || snap.Offset != 7 {
		t.Fatalf("read back %+v", snap)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got [][2]string
	for len(got) < 6 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %v", got)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, [2]string{string(r.Key), string(r.Value)}) })
	}
	want := [][2]string{
		{"target-state-c", `{"state":"PAUSED","state.v2":"PAUSED"}`},
		{"connector-c", `{"properties":{"name":"c","x":"1"}}`},
		{"task-c-0", `{"properties":{"t":"0"}}`},
		{"task-c-1", `{"properties":{"t":"1"}}`},
		{"commit-c", `{"tasks":2}`},
		{"target-state-c", `{"state":"PAUSED","state.v2":"STOPPED"}`},
	}
	if !reflect.DeepEqual(got[:6], want) {
		t.Errorf("records\n%v\nwant\n%v", got, want)
	}

	// Deleting writes tombstones; a second reader sees the connector gone.
	if err := w.RemoveConnector(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Contains("c") {
		t.Error("the connector is still there after its tombstone")
	}
	adm := kadm.NewClient(cl)
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rcs[0].Configs {
		if c.Key == "cleanup.policy" && c.MaybeValue() != "compact" {
			t.Errorf("config topic created with cleanup.policy=%s", c.MaybeValue())
		}
	}
}
