package signals

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseMalformed(t *testing.T) {
	cases := []struct {
		name, id, typ, data, want string
	}{
		{"no id", "", "execute-snapshot", `{"data-collections":["db.t"]}`, "no id"},
		{"blank id", "  ", "log", `{"message":"x"}`, "no id"},
		{"no type", "1", "", `{}`, "no type"},
		{"unknown type", "1", "explode", `{}`, "unknown signal type"},
		{"data not json", "1", "execute-snapshot", `{data-collections:`, "not a JSON object"},
		{"data a list", "1", "execute-snapshot", `["db.t"]`, "not a JSON object"},
		{"data a string", "1", "log", `"hello"`, "not a JSON object"},
		{"execute without collections", "1", "execute-snapshot", `{"type":"incremental"}`, `no "data-collections"`},
		{"execute without data", "1", "execute-snapshot", ``, `no "data-collections"`},
		{"execute collections empty", "1", "execute-snapshot", `{"data-collections":[]}`, "is empty"},
		{"execute collections not a list", "1", "execute-snapshot", `{"data-collections":"db.t"}`, "not a list of strings"},
		{"execute collections numbers", "1", "execute-snapshot", `{"data-collections":[1,2]}`, "not a list of strings"},
		{"execute collection empty name", "1", "execute-snapshot", `{"data-collections":["db.t",""]}`, "empty name"},
		{"execute collection bad regex", "1", "execute-snapshot", `{"data-collections":["db.(t"]}`, "not a valid regular expression"},
		{"execute bad type", "1", "execute-snapshot", `{"data-collections":["db.t"],"type":"parallel"}`, "neither incremental nor blocking"},
		{"execute type not string", "1", "execute-snapshot", `{"data-collections":["db.t"],"type":3}`, "not a string"},
		{"conditions not a list", "1", "execute-snapshot", `{"data-collections":["db.t"],"additional-conditions":"id>3"}`, "not a list"},
		{"condition without collection", "1", "execute-snapshot", `{"data-collections":["db.t"],"additional-conditions":[{"filter":"id>3"}]}`, `no "data-collection"`},
		{"condition without filter", "1", "execute-snapshot", `{"data-collections":["db.t"],"additional-conditions":[{"data-collection":"db.t"}]}`, `no "filter"`},
		{"condition empty filter", "1", "execute-snapshot", `{"data-collections":["db.t"],"additional-conditions":[{"data-collection":"db.t","filter":" "}]}`, `no "filter"`},
		{"condition bad regex", "1", "execute-snapshot", `{"data-collections":["db.t"],"additional-conditions":[{"data-collection":"db.[","filter":"a=1"}]}`, "not a valid regular expression"},
		{"surrogate key not string", "1", "execute-snapshot", `{"data-collections":["db.t"],"surrogate-key":7}`, `"surrogate-key" is not a string`},
		{"stop collections not a list", "1", "stop-snapshot", `{"data-collections":"db.t"}`, "not a list of strings"},
		{"stop bad type", "1", "stop-snapshot", `{"type":"x"}`, "neither incremental nor blocking"},
		{"pause blocking", "1", "pause-snapshot", `{"type":"blocking"}`, "incremental snapshots only"},
		{"resume bad type", "1", "resume-snapshot", `{"type":"x"}`, "neither incremental nor blocking"},
		{"log without message", "1", "log", `{}`, `no "message"`},
		{"log message not string", "1", "log", `{"message":5}`, "not a string"},
		{"log message empty", "1", "log", `{"message":""}`, "is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Parse(Signal{ID: c.id, Type: c.typ, Data: c.data})
			if err == nil {
				t.Fatalf("Parse accepted it: %#v", a)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
	if _, err := Parse(Signal{ID: "1", Type: "nope"}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("an unknown type is %v, want ErrUnknownType", err)
	}
}

func TestParseValid(t *testing.T) {
	a, err := Parse(Signal{ID: "ad-hoc-1", Type: "execute-snapshot", Data: `{"data-collections": ["inventory.products", "inventory\\.ord.*"],
		"type": "INCREMENTAL", "additional-conditions": [{"data-collection": "inventory.products", "filter": "color='blue'"}],
		"surrogate-key": " sk "}`})
	if err != nil {
		t.Fatal(err)
	}
	e := a.(*ExecuteSnapshot)
	if e.Type != Incremental || !reflect.DeepEqual(e.DataCollections, []string{"inventory.products", `inventory\.ord.*`}) || e.SurrogateKey != "sk" {
		t.Fatalf("got %+v", e)
	}
	if ConditionFor(e.Conditions, "inventory.products") != "color='blue'" || ConditionFor(e.Conditions, "inventory.productsX") != "" {
		t.Errorf("conditions %+v", e.Conditions)
	}
	if a, err := Parse(Signal{ID: "2", Type: "execute-snapshot", Data: `{"data-collections":["a.b"],"type":"blocking"}`}); err != nil || a.(*ExecuteSnapshot).Type != Blocking {
		t.Errorf("blocking: %v %v", a, err)
	}
	if a, err := Parse(Signal{ID: "3", Type: "stop-snapshot", Data: `{"type":"INCREMENTAL"}`}); err != nil || len(a.(*StopSnapshot).DataCollections) != 0 {
		t.Errorf("stop: %v %v", a, err)
	}
	if a, err := Parse(Signal{ID: "4", Type: "pause-snapshot"}); err != nil || a.(*PauseSnapshot).Type != Incremental {
		t.Errorf("pause: %v %v", a, err)
	}
	if a, err := Parse(Signal{ID: "5", Type: "resume-snapshot", Data: "null"}); err != nil {
		t.Errorf("resume: %v %v", a, err)
	}
	if a, err := Parse(Signal{ID: "6", Type: "log", Data: `{"message":"hello {}"}`}); err != nil || a.(*Log).Message != "hello {}" {
		t.Errorf("log: %v %v", a, err)
	}
	a, err = Parse(Signal{ID: "0b6e3c1e-9a5e-4b0e-8f43-1d1c7a1b2c3d-close", Type: "snapshot-window-close"})
	if w := a.(*Window); err != nil || w.Open || w.ChunkID != "0b6e3c1e-9a5e-4b0e-8f43-1d1c7a1b2c3d" {
		t.Errorf("window: %+v %v", a, err)
	}
}

func TestMatch(t *testing.T) {
	captured := []string{"db.a", "db.ab", "db.b", "other.a"}
	tables, missing := Match([]string{"db.a.*", "other.a", "db.a", "nope.x"}, captured)
	if !reflect.DeepEqual(tables, []string{"db.a", "db.ab", "other.a"}) || !reflect.DeepEqual(missing, []string{"nope.x"}) {
		t.Fatalf("tables %v missing %v", tables, missing)
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(map[string]string{"topic.prefix": "p", "signal.enabled.channels": "source,kafka,file",
		"signal.kafka.topic": "sig", "signal.kafka.bootstrap.servers": "k1:9092,k2:9092", "signal.consumer.client.id": "me",
		"incremental.snapshot.chunk.size": "10", "notification.enabled.channels": "sink,log", "notification.sink.topic.name": "n"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Enabled("kafka") || !c.Enabled("FILE") || c.Enabled("rest") || c.ChunkSize != 10 || len(c.KafkaBootstrap) != 2 ||
		c.Consumer["client.id"] != "me" || !c.NotifyEnabled("sink") || c.File != "file-signals.txt" {
		t.Fatalf("%+v", c)
	}
	for _, bad := range []map[string]string{
		{"signal.enabled.channels": "kafka"},
		{"signal.enabled.channels": "pigeon"},
		{"signal.enabled.channels": "jmx"},
		{"incremental.snapshot.chunk.size": "0"},
		{"notification.enabled.channels": "sink"},
		{"notification.enabled.channels": "email"},
	} {
		if _, err := ParseConfig(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestFileChannelAndREST(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signals.txt")
	cfg := &Config{Channels: []string{"file"}, File: path, TopicPrefix: "p"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, err := OpenHub(ctx, cfg, "conn-file", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := os.WriteFile(path, []byte("not json\n"+`{"id":"f1","type":"execute-snapshot","data":{"data-collections":["db.t"]}}`+"\n"+
		`{"id":"f2","type":"log","data":"{\"message\":\"m\"}"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []Signal
	timeout := time.After(10 * time.Second)
	for len(got) < 2 {
		select {
		case s := <-h.C:
			got = append(got, s)
		case <-timeout:
			t.Fatalf("file signals: got %v", got)
		}
	}
	if got[0].ID != "f1" || got[0].Data != `{"data-collections":["db.t"]}` || got[1].Data != `{"message":"m"}` || got[1].Channel != ChannelFile {
		t.Fatalf("got %+v", got)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("the signal file was not emptied: %q", b)
	}

	if err := Deliver("conn-file", Signal{ID: "r1", Type: "log", Data: `{"message":"over rest"}`}); err != nil {
		t.Fatal(err)
	}
	if s := <-h.C; s.ID != "r1" || s.Channel != ChannelREST {
		t.Fatalf("rest signal %+v", s)
	}
	if err := Deliver("conn-file", Signal{ID: "r2", Type: "log"}); err == nil {
		t.Error("a malformed REST signal was accepted")
	}
	if err := Deliver("nobody", Signal{ID: "r3", Type: "log", Data: `{"message":"x"}`}); !errors.Is(err, ErrNoTask) {
		t.Errorf("no task: %v", err)
	}
}

func TestNotificationRecord(t *testing.T) {
	n := NewNotifier(&Config{Notify: []string{"sink", "log"}, NotifyTopic: "notes", TopicPrefix: "p"}, "conn-n", slog.Default())
	defer n.Close()
	r := n.Notify("id1", AggregateIncremental, StatusStarted, map[string]string{"data_collections": "db.t"}, map[string]any{"server": "p"}, nil)
	if r == nil || r.Topic != "notes" {
		t.Fatalf("record %+v", r)
	}
	if err := r.Value.(interface{ Validate() error }).Validate(); err != nil {
		t.Fatal(err)
	}
	if got := Notifications("conn-n"); len(got) != 1 || got[0].AdditionalData["connector_name"] != "p" {
		t.Fatalf("recent %+v", got)
	}
}
