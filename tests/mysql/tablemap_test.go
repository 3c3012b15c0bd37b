package mysql

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestTableMapMismatchOverREST is the operator's story of a schema history that no longer
// describes a table (here: tampered with while the worker was down, a latin1 column recorded as
// utf8mb4 and two columns swapped). With binlog_row_metadata=FULL the connector compares its model
// with the binlog's table map: by default the task is FAILED with both descriptions, the DDL and
// what to do; with schema.mismatch.handling.mode=rebuild it rebuilds the model from the binlog,
// records that in the history and streams the rows as the server has them.
func TestTableMapMismatchOverREST(t *testing.T) {
	d := mariadb.New(t, "tm")
	if meta := d.Query("SELECT @@binlog_row_metadata"); meta[0][0] != "FULL" {
		t.Fatalf("the test bed must run with binlog_row_metadata=FULL, has %q", meta[0][0])
	}
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10) CHARACTER SET latin1, n INT UNSIGNED, e ENUM('x','y')) DEFAULT CHARSET=utf8mb4",
		"INSERT INTO t VALUES (1,'café',7,'x')")
	prefix := testbed.Topic(t, "tm")
	history := prefix + "-history"
	offsetsTopic := prefix + "-offsets"
	name := "tablemap"
	cfg := connectorConfig(d, prefix, history, "database.server.id", "7391")
	topic := prefix + "." + d.Name + ".t"

	w := e2e.StartWorker(t, offsetsTopic)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	w.WaitState(name, "RUNNING")
	c := e2e.NewConsumer(t, topic, history)
	c.WaitFor(topic, 1)
	d.Exec("INSERT INTO t VALUES (2,'crème',8,'y')")
	c.WaitFor(topic, 2)
	w.Stop()

	// Tamper: append a copy of the snapshot's record of t with a wrong model. Its position is
	// the snapshot's, before the stored offset, so the next start replays it last.
	var tampered map[string]any
	for _, r := range c.WaitFor(history, 1) {
		var rec map[string]any
		if err := json.Unmarshal(r.Value, &rec); err != nil {
			t.Fatal(err)
		}
		if tcs, _ := rec["tableChanges"].([]any); len(tcs) == 1 && strings.HasSuffix(tcs[0].(map[string]any)["id"].(string), `."t"`) {
			tampered = rec
		}
	}
	if tampered == nil {
		t.Fatal("no history record describes table t")
	}
	cols := tampered["tableChanges"].([]any)[0].(map[string]any)["table"].(map[string]any)["columns"].([]any)
	cols[1].(map[string]any)["charsetName"] = "utf8mb4"
	cols[2], cols[3] = cols[3], cols[2]
	cols[2].(map[string]any)["position"], cols[3].(map[string]any)["position"] = 3, 4
	b, err := json.Marshal(tampered)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(testbed.Kafka(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: history, Value: b}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	d.Exec("INSERT INTO t VALUES (3,'señor',9,'x')")

	w = e2e.StartWorker(t, offsetsTopic)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors after the tampering: %d %s", code, b)
	}
	trace := w.WaitState(name, "FAILED")
	for _, want := range []string{
		"does not match the binlog's table map",
		`column "name" has charset utf8mb4 in the model but latin1 in the binlog`,
		`column 3 is "e" in the model but "n" in the binlog`,
		"Binlog: `id` INT, `name` VARCHAR(10 bytes) CHARSET latin1, `n` INT UNSIGNED, `e` ENUM('x','y')",
		"Model: `id` INT(11), `name` VARCHAR(10) CHARSET utf8mb4, `e` ENUM('x','y')",
		"The model was produced by: CREATE TABLE `t`",
		"schema.mismatch.handling.mode=rebuild", "schema_only_recovery",
	} {
		if !strings.Contains(trace, want) {
			t.Errorf("the FAILED task's trace lacks %q:\n%s", want, trace)
		}
	}
	c.Settle(time.Second)
	if n := len(c.Records(topic)); n != 2 {
		t.Fatalf("%d events on %s, want the 2 from before the tampering: a row was decoded with the wrong model\n%s", n, topic, e2e.Dump(c.Records(topic)))
	}

	// The operator opts into rebuilding: the task restarts with the new configuration.
	cfg["schema.mismatch.handling.mode"] = "rebuild"
	reconfigure(t, w, name, cfg)
	// Rows after the last committed offset may come again (at-least-once): every event of a row
	// must carry the server's values, and the row must be there.
	waitRow(t, c, topic, ev(`{"id":3}`, "c", "null", `{"id":3,"name":"señor","n":9,"e":"x"}`))
	deadline := time.Now().Add(30 * time.Second)
	for {
		var found bool
		for _, r := range c.Records(history) {
			var rec struct {
				DDL          string
				TableChanges []struct{ Type, ID string } `json:"tableChanges"`
			}
			_ = json.Unmarshal(r.Value, &rec)
			if strings.Contains(rec.DDL, "rebuilt from binlog TABLE_MAP metadata") && len(rec.TableChanges) == 1 &&
				rec.TableChanges[0].Type == "ALTER" && strings.HasSuffix(rec.TableChanges[0].ID, `."t"`) {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the history has no rebuild record:\n%s", e2e.Dump(c.Records(history)))
		}
		c.Settle(500 * time.Millisecond)
	}
	d.Exec("INSERT INTO t VALUES (4,'über',10,'y')")
	waitRow(t, c, topic, ev(`{"id":4}`, "c", "null", `{"id":4,"name":"über","n":10,"e":"y"}`))
	for _, e := range e2e.Events(t, c.Records(topic)) {
		if e.Key == `{"id":2}` && e.After != `{"id":2,"name":"crème","n":8,"e":"y"}` {
			t.Errorf("row 2 decoded as %v", e)
		}
	}
}

// waitRow waits until topic holds want, failing on any other event of the same key.
func waitRow(t *testing.T, c *e2e.Consumer, topic string, want e2e.Event) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		found := false
		for _, e := range e2e.Events(t, c.Records(topic)) {
			if e.Key != want.Key {
				continue
			}
			if e != want {
				t.Fatalf("event %v, want %v", e, want)
			}
			found = true
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event %v on %s:\n%s", want, topic, e2e.Dump(c.Records(topic)))
		}
		c.Settle(300 * time.Millisecond)
	}
}
