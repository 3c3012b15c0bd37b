package runtime

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/panicking"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

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
	h := newHarness(t, nil, panicking.Plugin())
	srv := httptest.NewServer(rest.NewServer(rest.Options{Herder: h.herder}))
	defer srv.Close()
	genTopic := testbed.Topic(t, "gen")
	h.create(genConfig("steady", genTopic, "rate", "200", "batch.size", "10"))
	h.waitStates("steady", herder.StateRunning, herder.StateRunning)

	type want struct {
		connState, taskState string // taskState "" means no task is reported
		trace                []string
	}
	cases := map[string]want{
		"reader": {"RUNNING", "FAILED", []string{"the task failed while polling for records: panic: boom in the reader goroutine after 10 records",
			"Stack of the panic:", "panicking.(*Task).panickyReader", "/restart"}},
		"poll":            {"RUNNING", "FAILED", []string{"the task failed while polling for records: panic: boom in task Poll", "panicking.(*Task).Poll"}},
		"start":           {"RUNNING", "FAILED", []string{"the task failed to start: panic: boom in task Start", "panicking.(*Task).Start"}},
		"commit":          {"RUNNING", "FAILED", []string{"the task's Commit panicked after the offsets were stored: panic: boom in task Commit", "panicking.(*Task).Commit"}},
		"connector.start": {"FAILED", "", []string{"the connector failed to start: panic: boom in connector Start", "panicking.(*Connector).Start", "POST /connectors/p-connector.start/restart"}},
		"taskconfigs":     {"FAILED", "", []string{"the connector failed to generate task configurations: panic: assignment to entry in nil map", "panicking.(*Connector).TaskConfigs"}},
	}
	for where, w := range cases {
		name := "p-" + where
		h.create(map[string]string{"name": name, "connector.class": panicking.Class, "topic": testbed.Topic(t, "panic"), "panic.in": where, "panic.after": "10"})
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
		if !strings.Contains(trace, "goroutine ") || !strings.Contains(trace, "panicking.go:") {
			t.Errorf("%s: the trace has no stack pointing at the panic:\n%s", where, trace)
		}
	}
	// The records acknowledged before the reader's panic are committed, none after.
	wait.Until(t, "the offsets before the reader's panic are committed", func() bool {
		offs, err := h.herder.ConnectorOffsets(h.ctx, "p-reader")
		return err == nil && len(offs.Offsets) == 1 && offs.Offsets[0].Offset["n"] == int64(9)
	})

	// A panic in Stop while the task is being stopped is contained as well.
	h.create(map[string]string{"name": "p-stop", "connector.class": panicking.Class, "topic": testbed.Topic(t, "panic"), "panic.in": "stop"})
	h.waitStates("p-stop", herder.StateRunning, herder.StateRunning)
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
