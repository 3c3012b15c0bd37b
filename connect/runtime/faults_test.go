package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connectors/queue"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// panicClass is a test-only connector that panics where panic.in says: "reader" (in a goroutine
// of its own, started through api.Guard like the mysql and postgres readers, after panic.after
// records), "poll", "start", "commit", "stop" (the task's methods), "connector.start" or
// "taskconfigs" (the connector's). Its task emits records numbered from 0 with source partition
// {"p":"0"} and offset {"n":N} until it panics.
const panicClass = "io.connectd.tests.PanicConnector"

func panicPlugin() api.Plugin {
	return api.Plugin{Class: panicClass, Version: "1.0.0", Spec: api.ConfigSpec{
		{Name: "topic", Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Topic of the records."},
		{Name: "panic.in", Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Where to panic."},
		{Name: "panic.after", Type: api.ConfigInt, Default: "10", Importance: api.Low, Doc: "Records before the reader panics."},
	}, New: func() api.SourceConnector { return &panicConnector{} }}
}

type panicConnector struct{ config map[string]string }

func (c *panicConnector) Start(_ api.ConnectorContext, config map[string]string) error {
	if config["panic.in"] == "connector.start" {
		panic("boom in connector Start")
	}
	c.config = config
	return nil
}

func (c *panicConnector) TaskConfigs(int) ([]map[string]string, error) {
	if c.config["panic.in"] == "taskconfigs" {
		var m map[string]string
		m["x"] = "a nil map write, a runtime.Error panic"
	}
	return []map[string]string{c.config}, nil
}

func (c *panicConnector) NewTask() api.SourceTask { return &panicTask{} }
func (c *panicConnector) Stop() error             { return nil }

type panicTask struct {
	where  string
	topic  string
	after  int
	q      *queue.Queue
	cancel context.CancelFunc
	done   chan struct{}
}

func (t *panicTask) Start(_ context.Context, _ api.TaskContext, config map[string]string) error {
	t.where, t.topic = config["panic.in"], config["topic"]
	t.after, _ = strconv.Atoi(config["panic.after"])
	if t.where == "start" {
		panic("boom in task Start")
	}
	t.q = queue.New(100, 0)
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel, t.done = cancel, make(chan struct{})
	go func() {
		defer close(t.done)
		if err := api.Guard(func() error { return t.panickyReader(ctx) }); err != nil && (ctx.Err() == nil || api.IsPanic(err)) {
			t.q.Close(err)
		}
	}()
	return nil
}

// panickyReader stands for a connector's reader goroutine (a binlog or WAL reader).
func (t *panicTask) panickyReader(ctx context.Context) error {
	for n := 0; ; n++ {
		if t.where == "reader" && n == t.after {
			panic(fmt.Sprintf("boom in the reader goroutine after %d records", n))
		}
		r := &api.SourceRecord{SourcePartition: map[string]any{"p": "0"}, SourceOffset: map[string]any{"n": int64(n)},
			Topic: t.topic, Partition: -1, ValueSchema: api.StringSchema, Value: "rec-" + strconv.Itoa(n)}
		if err := t.q.Put(ctx, r, 100); err != nil {
			return err
		}
		if n >= t.after {
			select { // past the panic point (other modes): trickle on
			case <-ctx.Done():
				return nil
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func (t *panicTask) Poll(ctx context.Context) ([]*api.SourceRecord, error) {
	if t.where == "poll" {
		panic("boom in task Poll")
	}
	recs, err := t.q.Take(ctx, nil, 100, 100*time.Millisecond)
	if ctx.Err() != nil {
		return recs, nil
	}
	return recs, err
}

func (t *panicTask) Commit(context.Context, []api.PartitionOffset) error {
	if t.where == "commit" {
		panic("boom in task Commit")
	}
	return nil
}

func (t *panicTask) Stop() error {
	if t.cancel != nil {
		t.cancel()
		<-t.done
	}
	if t.where == "stop" {
		panic("boom in task Stop")
	}
	return nil
}

// restStatus is GET /connectors/{c}/status as a client sees it.
type restStatus struct {
	Connector struct {
		State string `json:"state"`
		Trace string `json:"trace"`
	} `json:"connector"`
	Tasks []struct {
		ID    int    `json:"id"`
		State string `json:"state"`
		Trace string `json:"trace"`
	} `json:"tasks"`
}

func getStatus(t *testing.T, base, name string) restStatus {
	t.Helper()
	resp, err := http.Get(base + "/connectors/" + name + "/status")
	if err != nil {
		t.Fatalf("GET status of %s: %v", name, err)
	}
	defer resp.Body.Close()
	var st restStatus
	if resp.StatusCode != 200 {
		t.Fatalf("GET status of %s: %s", name, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func topicEnd(t *testing.T, brokers, topic string) int64 {
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
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			n += o.Offset
		}
	})
	return n
}

// A panic anywhere in a connector — its own reader goroutine, its task's or connector's methods —
// fails that task or connector with the panic and its stack as the REST trace, while another
// connector on the same worker keeps producing into Kafka. An escaped panic would end this test
// binary.
func TestPanicFailsOnlyItsTaskWithStackInTrace(t *testing.T) {
	h := newHarness(t, nil, panicPlugin())
	srv := httptest.NewServer(rest.NewServer(rest.Options{Herder: h.herder}))
	defer srv.Close()
	genTopic := testbed.Topic(t, "gen")
	h.create(genConfig("steady", genTopic, "rate", "200", "batch.size", "10"))
	h.waitStates("steady", rest.StateRunning, rest.StateRunning)

	type want struct {
		connState, taskState string // taskState "" means no task is reported
		trace                []string
	}
	cases := map[string]want{
		"reader": {"RUNNING", "FAILED", []string{"the task failed while polling for records: panic: boom in the reader goroutine after 10 records",
			"Stack of the panic:", "(*panicTask).panickyReader", "/restart"}},
		"poll":            {"RUNNING", "FAILED", []string{"the task failed while polling for records: panic: boom in task Poll", "(*panicTask).Poll"}},
		"start":           {"RUNNING", "FAILED", []string{"the task failed to start: panic: boom in task Start", "(*panicTask).Start"}},
		"commit":          {"RUNNING", "FAILED", []string{"the task's Commit panicked after the offsets were stored: panic: boom in task Commit", "(*panicTask).Commit"}},
		"connector.start": {"FAILED", "", []string{"the connector failed to start: panic: boom in connector Start", "(*panicConnector).Start", "POST /connectors/p-connector.start/restart"}},
		"taskconfigs":     {"FAILED", "", []string{"the connector failed to generate task configurations: panic: assignment to entry in nil map", "(*panicConnector).TaskConfigs"}},
	}
	for where, w := range cases {
		name := "p-" + where
		h.create(map[string]string{"name": name, "connector.class": panicClass, "topic": testbed.Topic(t, "panic"), "panic.in": where, "panic.after": "10"})
		var st restStatus
		wait.Until(t, name+" reports the panic", func() bool {
			st = getStatus(t, srv.URL, name)
			if st.Connector.State != w.connState {
				return false
			}
			if w.taskState == "" {
				return true
			}
			return len(st.Tasks) == 1 && st.Tasks[0].State == w.taskState
		})
		trace := st.Connector.Trace
		if w.taskState != "" {
			trace = st.Tasks[0].Trace
		}
		for _, s := range w.trace {
			if !strings.Contains(trace, s) {
				t.Errorf("%s: the trace does not contain %q:\n%s", where, s, trace)
			}
		}
		if !strings.Contains(trace, "goroutine ") || !strings.Contains(trace, "faults_test.go:") {
			t.Errorf("%s: the trace has no stack pointing at the panic:\n%s", where, trace)
		}
	}
	// The records acknowledged before the reader's panic are committed, none after.
	wait.Until(t, "the offsets before the reader's panic are committed", func() bool {
		offs, err := h.herder.ConnectorOffsets(h.ctx, "p-reader")
		return err == nil && len(offs.Offsets) == 1 && offs.Offsets[0].Offset["n"] == int64(9)
	})

	// A panic in Stop while the task is being stopped is contained as well.
	h.create(map[string]string{"name": "p-stop", "connector.class": panicClass, "topic": testbed.Topic(t, "panic"), "panic.in": "stop"})
	h.waitStates("p-stop", rest.StateRunning, rest.StateRunning)
	if err := h.herder.DeleteConnector(h.ctx, "p-stop"); err != nil {
		t.Fatal(err)
	}

	// The other connector on the worker never stopped producing.
	before := topicEnd(t, h.brokers, genTopic)
	wait.Until(t, "the generator keeps producing after the panics", func() bool { return topicEnd(t, h.brokers, genTopic) >= before+50 })
	if st := getStatus(t, srv.URL, "steady"); st.Connector.State != "RUNNING" || len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
		t.Fatalf("the generator's status after the panics: %+v", st)
	}
	if resp, err := http.Get(srv.URL + "/connectors"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the worker's REST API after the panics: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
