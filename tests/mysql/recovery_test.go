package mysql

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestSchemaHistoryRecoveryOverREST is the operator's story of a lost schema history topic, with
// both names of the mode (Debezium 1.x/2.x schema_only_recovery and 3.x recovery): the connector
// streams, the worker stops, the history topic is deleted. Started again with snapshot.mode=initial
// the task fails and names the recovery mode; with the recovery mode it rebuilds the history from
// the live schema and streams on from its offset: the row inserted while it was down, and rows
// after an ALTER TABLE made after the recovery, carry the right columns, and so they do after one
// more restart that replays the rebuilt history.
func TestSchemaHistoryRecoveryOverREST(t *testing.T) {
	for i, mode := range []string{"schema_only_recovery", "recovery"} {
		t.Run(mode, func(t *testing.T) {
			d := mariadb.New(t, "rc")
			d.Exec("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10))", "INSERT INTO t VALUES (1,'one')")
			prefix := testbed.Topic(t, "rc")
			history, offsetsTopic := prefix+"-history", prefix+"-offsets"
			name := "recovery"
			cfg := connectorConfig(d, prefix, history, "database.server.id", strconv.Itoa(7511+i))
			topic := prefix + "." + d.Name + ".t"

			w := e2e.StartWorker(t, offsetsTopic)
			if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
				t.Fatalf("POST /connectors: %d %s", code, b)
			}
			w.WaitState(name, "RUNNING")
			c := e2e.NewConsumer(t, topic)
			waitEvent(t, c, topic, ev(`{"id":1}`, "r", "null", `{"id":1,"a":"one"}`))
			// A change of structure while the history still exists: the rebuilt history must have it.
			d.Exec("ALTER TABLE t ADD COLUMN b INT", "INSERT INTO t VALUES (2,'two',2)")
			waitEvent(t, c, topic, ev(`{"id":2}`, "c", "null", `{"id":2,"a":"two","b":2}`))
			w.Stop()

			deleteTopic(t, history)
			d.Exec("INSERT INTO t VALUES (3,'three',3)")

			w = e2e.StartWorker(t, offsetsTopic)
			if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
				t.Fatalf("POST /connectors without a history: %d %s", code, b)
			}
			if trace := w.WaitState(name, "FAILED"); !strings.Contains(trace, "recovery") {
				t.Fatalf("the task without its history failed without naming the recovery mode:\n%s", trace)
			}
			cfg["snapshot.mode"] = mode
			reconfigure(t, w, name, cfg)
			waitEvent(t, c, topic, ev(`{"id":3}`, "c", "null", `{"id":3,"a":"three","b":3}`))
			waitHistory(t, history, func(ddl string) bool { return strings.Contains(ddl, "CREATE TABLE") && strings.Contains(ddl, "`b`") },
				"a CREATE TABLE of t with column b (the recovered schema)")

			// After the recovery the structure changes again; the stream must follow it.
			d.Exec("ALTER TABLE t DROP COLUMN a, ADD COLUMN c VARCHAR(10) DEFAULT 'x'",
				"INSERT INTO t (id, b, c) VALUES (4, 4, 'four')", "UPDATE t SET b = 20 WHERE id = 2")
			waitEvent(t, c, topic, ev(`{"id":4}`, "c", "null", `{"id":4,"b":4,"c":"four"}`))
			waitEvent(t, c, topic, ev(`{"id":2}`, "u", `{"id":2,"b":2,"c":"x"}`, `{"id":2,"b":20,"c":"x"}`))
			waitHistory(t, history, func(ddl string) bool { return strings.Contains(ddl, "DROP COLUMN a") },
				"the ALTER TABLE made after the recovery")
			w.Stop()

			// One more start, in the default mode, replays the rebuilt history.
			d.Exec("INSERT INTO t (id, b, c) VALUES (5, 5, 'five')")
			cfg["snapshot.mode"] = "initial"
			w = e2e.StartWorker(t, offsetsTopic)
			if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
				t.Fatalf("POST /connectors after the recovery: %d %s", code, b)
			}
			w.WaitState(name, "RUNNING")
			waitEvent(t, c, topic, ev(`{"id":5}`, "c", "null", `{"id":5,"b":5,"c":"five"}`))
			for _, e := range e2e.Events(t, c.Records(topic)) {
				if e.Op == "r" && e.Key != `{"id":1}` {
					t.Errorf("the recovery read rows again: %v", e)
				}
			}
		})
	}
}

// reconfigure puts cfg as the connector's configuration, restarts its task if it had failed, and
// waits until it runs.
func reconfigure(t *testing.T, w *e2e.Worker, name string, cfg map[string]string) {
	t.Helper()
	if code, b := w.Call("PUT", "/connectors/"+name+"/config", cfg); code != 200 {
		t.Fatalf("PUT config: %d %s", code, b)
	}
	if s, _ := w.TaskState(name); s == "FAILED" {
		if code, b := w.Call("POST", "/connectors/"+name+"/restart?includeTasks=true&onlyFailed=true", nil); code != 202 && code != 204 {
			t.Fatalf("restart: %d %s", code, b)
		}
	}
	w.WaitState(name, "RUNNING")
}

// waitEvent waits until want is among topic's events (others of the same key may come before
// it, or again after a restart).
func waitEvent(t *testing.T, c *e2e.Consumer, topic string, want e2e.Event) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !slices.Contains(e2e.Events(t, c.Records(topic)), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no event %v on %s:\n%s", want, topic, e2e.Dump(c.Records(topic)))
		}
		c.Settle(300 * time.Millisecond)
	}
}

// waitHistory waits until the schema history topic holds a record whose DDL satisfies ok.
func waitHistory(t *testing.T, topic string, ok func(ddl string) bool, what string) {
	t.Helper()
	c := e2e.NewConsumer(t, topic)
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, r := range c.Records(topic) {
			var rec struct{ DDL string }
			if json.Unmarshal(r.Value, &rec) == nil && ok(rec.DDL) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the schema history has no record of %s:\n%s", what, e2e.Dump(c.Records(topic)))
		}
		c.Settle(300 * time.Millisecond)
	}
}

// deleteTopic deletes topic and waits until the broker no longer lists it.
func deleteTopic(t *testing.T, topic string) {
	t.Helper()
	adm := e2e.Admin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := adm.DeleteTopics(ctx, topic)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("cannot delete topic %s: %v", topic, err)
	}
	for {
		td, err := adm.ListTopics(ctx, topic)
		if err == nil && !td.Has(topic) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("topic %s is still listed after its deletion: %v", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
