package mysql

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestEndToEnd is the user's story: create the connector over REST, snapshot existing rows,
// stream inserts, updates and deletes across tables and transactions, ALTER TABLE mid-stream,
// restart the worker (with changes made while it was down), continue. Every topic must hold
// exactly the expected events: no gap, no duplicate.
func TestEndToEnd(t *testing.T) {
	d := mariadb.New(t, "e2e")
	d.Exec(
		"CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)",
		"CREATE TABLE orders (id INT PRIMARY KEY, customer INT NOT NULL, qty INT NOT NULL)",
		"INSERT INTO customers VALUES (1,'alice'),(2,'bob')",
		"INSERT INTO orders VALUES (10,1,5)",
	)
	prefix := testbed.Topic(t, "e2e")
	history := prefix + "-history"
	offsetsTopic := prefix + "-offsets"
	name := "inventory"
	cfg := connectorConfig(d, prefix, history, "provide.transaction.metadata", "true")

	w := e2e.StartWorker(t, offsetsTopic)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	w.WaitState(name, "RUNNING")
	custTopic, ordTopic := prefix+"."+d.Name+".customers", prefix+"."+d.Name+".orders"
	txTopic := prefix + ".transaction"
	c := e2e.NewConsumer(t, custTopic, ordTopic, txTopic, prefix)
	c.WaitFor(custTopic, 2)
	c.WaitFor(ordTopic, 1)

	d.Exec(
		"BEGIN", "INSERT INTO customers VALUES (3,'carol')", "UPDATE orders SET qty = 6 WHERE id = 10", "COMMIT",
		"DELETE FROM customers WHERE id = 2",
		"ALTER TABLE customers ADD COLUMN email VARCHAR(30) NULL AFTER name",
		"INSERT INTO customers VALUES (4,'dave','d@x')",
		"BEGIN", "UPDATE customers SET name = 'alicia' WHERE id = 1", "INSERT INTO orders VALUES (11,4,1)", "COMMIT",
	)
	c.WaitFor(custTopic, 7)
	c.WaitFor(ordTopic, 3)

	// Restart the worker; change rows while it is down. Standalone workers forget connectors
	// created over REST, so the connector is created again: it resumes from its committed offset.
	w.Stop()
	d.Exec("INSERT INTO customers VALUES (5,'eve',NULL)", "DELETE FROM orders WHERE id = 10")
	w = e2e.StartWorker(t, offsetsTopic)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors after restart: %d %s", code, b)
	}
	w.WaitState(name, "RUNNING")
	c.WaitFor(custTopic, 8)
	c.WaitFor(ordTopic, 5)
	c.Settle(2e9)

	want := map[string][]e2e.Event{
		custTopic: {
			ev(`{"id":1}`, "r", "null", `{"id":1,"name":"alice"}`),
			ev(`{"id":2}`, "r", "null", `{"id":2,"name":"bob"}`),
			ev(`{"id":3}`, "c", "null", `{"id":3,"name":"carol"}`),
			ev(`{"id":2}`, "d", `{"id":2,"name":"bob"}`, "null"),
			{Key: `{"id":2}`, Op: "tombstone"},
			ev(`{"id":4}`, "c", "null", `{"id":4,"name":"dave","email":"d@x"}`),
			ev(`{"id":1}`, "u", `{"id":1,"name":"alice","email":null}`, `{"id":1,"name":"alicia","email":null}`),
			ev(`{"id":5}`, "c", "null", `{"id":5,"name":"eve","email":null}`),
		},
		ordTopic: {
			ev(`{"id":10}`, "r", "null", `{"id":10,"customer":1,"qty":5}`),
			ev(`{"id":10}`, "u", `{"id":10,"customer":1,"qty":5}`, `{"id":10,"customer":1,"qty":6}`),
			ev(`{"id":11}`, "c", "null", `{"id":11,"customer":4,"qty":1}`),
			ev(`{"id":10}`, "d", `{"id":10,"customer":1,"qty":6}`, "null"),
			{Key: `{"id":10}`, Op: "tombstone"},
		},
	}
	for topic, w := range want {
		got := e2e.Events(t, c.Records(topic))
		if !reflect.DeepEqual(got, w) {
			t.Errorf("topic %s:\n got %v\nwant %v", topic, got, w)
		}
	}

	// Source blocks and transaction blocks.
	type txBlock struct {
		ID         string `json:"id"`
		TotalOrder int64  `json:"total_order"`
	}
	var v struct {
		Source struct {
			Connector, Name, DB, Table, Snapshot, File string
			Gtid                                       *string
		}
		Transaction *txBlock
	}
	txOf := map[string][]int64{}
	for _, topic := range []string{custTopic, ordTopic} {
		for i, r := range c.Records(topic) {
			if r.Value == nil {
				continue
			}
			v.Transaction = nil
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatal(err)
			}
			s := v.Source
			if s.Connector != "mariadb" || s.Name != prefix || s.DB != d.Name || s.Table != topic[strings.LastIndexByte(topic, '.')+1:] || s.File == "" {
				t.Errorf("%s record %d: source %+v", topic, i, s)
			}
			// Debezium's markers: the first table's first row is "first", a later table's
			// "first_in_data_collection", and the snapshot's very last row "last".
			if i == 0 && s.Snapshot != "first" && s.Snapshot != "first_in_data_collection" && s.Snapshot != "last" {
				t.Errorf("%s first snapshot record marked %q", topic, s.Snapshot)
			}
			if i >= countReads(want[topic]) {
				if s.Snapshot != "false" || v.Transaction == nil || s.Gtid == nil || v.Transaction.ID != *s.Gtid {
					t.Errorf("%s streamed record %d: snapshot %q, transaction %+v, gtid %v", topic, i, s.Snapshot, v.Transaction, s.Gtid)
				} else {
					txOf[v.Transaction.ID] = append(txOf[v.Transaction.ID], v.Transaction.TotalOrder)
				}
			}
		}
	}
	// BEGIN and END for every transaction, with the END's count matching its events.
	ends := map[string]int64{}
	begins := map[string]bool{}
	for _, r := range c.Records(txTopic) {
		var tv struct {
			Status     string `json:"status"`
			ID         string `json:"id"`
			EventCount *int64 `json:"event_count"`
		}
		if err := json.Unmarshal(r.Value, &tv); err != nil {
			t.Fatal(err)
		}
		switch tv.Status {
		case "BEGIN":
			if begins[tv.ID] {
				t.Errorf("transaction %s began twice", tv.ID)
			}
			begins[tv.ID] = true
		case "END":
			if _, dup := ends[tv.ID]; dup {
				t.Errorf("transaction %s ended twice", tv.ID)
			}
			ends[tv.ID] = *tv.EventCount
		}
	}
	for id, orders := range txOf {
		if !begins[id] {
			t.Errorf("transaction %s has events but no BEGIN", id)
		}
		if ends[id] != int64(len(orders)) {
			t.Errorf("transaction %s: END counts %d events, %d were emitted (%v)", id, ends[id], len(orders), orders)
		}
	}
	// Seven transactions changed rows; the ALTER is a transaction without row events.
	if len(txOf) != 6 {
		t.Errorf("%d transactions with events, want 6: %v", len(txOf), txOf)
	}

	// The ALTER's schema change event.
	found := false
	for _, r := range c.Records(prefix) {
		var sc struct{ DDL string }
		_ = json.Unmarshal(r.Value, &sc)
		if strings.HasPrefix(sc.DDL, "ALTER TABLE customers ADD COLUMN email") {
			found = true
		}
	}
	if !found {
		t.Errorf("no schema change event for the ALTER on %s:\n%s", prefix, e2e.Dump(c.Records(prefix)))
	}
}

// countReads returns how many of the expected events are snapshot reads.
func countReads(evs []e2e.Event) int {
	n := 0
	for _, e := range evs {
		if e.Op == "r" {
			n++
		}
	}
	return n
}

// TestPurgeOverREST stops the connector, flushes and purges the binlog files behind its offset,
// and resumes it: under initial the task fails with a message naming what it needed, what the
// server has and the two ways out; switched to when_needed it snapshots again and streams.
func TestPurgeOverREST(t *testing.T) {
	d := mariadb.New(t, "e2e")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	prefix := testbed.Topic(t, "purge")
	cfg := connectorConfig(d, prefix, prefix+"-history")
	w := e2e.StartWorker(t, prefix+"-offsets")
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": "p", "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	topic := prefix + "." + d.Name + ".t"
	c := e2e.NewConsumer(t, topic)
	c.WaitFor(topic, 1)
	d.Exec("INSERT INTO t VALUES (2)")
	c.WaitFor(topic, 2)

	if code, b := w.Call("PUT", "/connectors/p/stop", nil); code != 204 && code != 202 {
		t.Fatalf("stop: %d %s", code, b)
	}
	d.Exec("FLUSH BINARY LOGS", "INSERT INTO t VALUES (3)", "FLUSH BINARY LOGS")
	last := d.Query("SHOW MASTER STATUS")[0][0]
	// The server keeps a file another reader is still on (tests of other packages stream from
	// the same server), so purge until only the last file is left.
	for i := 0; ; i++ {
		d.Exec("PURGE BINARY LOGS TO '" + last + "'")
		if d.Query("SHOW BINARY LOGS")[0][0] == last {
			break
		}
		if i == 300 {
			t.Fatalf("the binlog files before %s could not be purged: still %v", last, d.Query("SHOW BINARY LOGS"))
		}
		time.Sleep(200 * time.Millisecond)
	}

	if code, b := w.Call("PUT", "/connectors/p/resume", nil); code != 202 && code != 204 {
		t.Fatalf("resume: %d %s", code, b)
	}
	trace := w.WaitState("p", "FAILED")
	t.Logf("failure trace: %s", trace)
	for _, s := range []string{"no longer on the server", last, "when_needed", "offsets"} {
		if !strings.Contains(trace, s) {
			t.Errorf("the failure trace lacks %q:\n%s", s, trace)
		}
	}

	cfg["snapshot.mode"] = "when_needed"
	if code, b := w.Call("PUT", "/connectors/p/config", cfg); code != 200 && code != 201 {
		t.Fatalf("PUT config: %d %s", code, b)
	}
	if code, b := w.Call("POST", "/connectors/p/restart?includeTasks=true", nil); code >= 300 {
		t.Fatalf("restart: %d %s", code, b)
	}
	w.WaitState("p", "RUNNING")
	got := e2e.Events(t, c.WaitFor(topic, 5))[2:]
	var ops []string
	for _, e := range got {
		ops = append(ops, e.Op+e.Key)
	}
	if want := []string{`r{"id":1}`, `r{"id":2}`, `r{"id":3}`}; !reflect.DeepEqual(ops, want) {
		t.Fatalf("after when_needed: %v, want a new snapshot %v", ops, want)
	}
	d.Exec("INSERT INTO t VALUES (4)")
	if e := e2e.Events(t, c.WaitFor(topic, 6))[5]; e.Op != "c" || e.Key != `{"id":4}` {
		t.Fatalf("streaming after the new snapshot: %v", e)
	}
}

// TestOffsetRewrite stops the connector, rewrites its offset to an earlier binlog position with
// the real kafka-console-producer, and resumes it: the events since that position come again,
// each decoded with the table structure of its time although an ALTER came in between.
func TestOffsetRewrite(t *testing.T) {
	d := mariadb.New(t, "e2e")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY)")
	prefix := testbed.Topic(t, "rewrite")
	cfg := connectorConfig(d, prefix, prefix+"-history", "snapshot.mode", "no_data")
	offsetsTopic := prefix + "-offsets"
	w := e2e.StartWorker(t, offsetsTopic)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": "rw", "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	w.WaitState("rw", "RUNNING")
	topic := prefix + "." + d.Name + ".t"
	c := e2e.NewConsumer(t, topic)
	d.Exec("INSERT INTO t VALUES (1)")
	c.WaitFor(topic, 1)
	st := d.Query("SHOW MASTER STATUS")[0]
	gtids := d.Query("SELECT @@global.gtid_binlog_pos")[0][0]
	d.Exec("INSERT INTO t VALUES (2)", "ALTER TABLE t ADD COLUMN v INT", "INSERT INTO t VALUES (3, 30)")
	c.WaitFor(topic, 3)

	if code, b := w.Call("PUT", "/connectors/rw/stop", nil); code != 204 && code != 202 {
		t.Fatalf("stop: %d %s", code, b)
	}
	w.WaitConnector("rw", "STOPPED")
	consoleProduce(t, offsetsTopic,
		fmt.Sprintf(`["rw",{"server":"%s"}]|{"file":"%s","pos":%s,"gtids":"%s","server_id":1}`, prefix, st[0], st[1], gtids))
	if code, b := w.Call("PUT", "/connectors/rw/resume", nil); code != 202 && code != 204 {
		t.Fatalf("resume: %d %s", code, b)
	}
	// The replayed insert of 2 predates the ALTER: it is decoded with the structure of its time,
	// rebuilt from the schema history topic, and the insert of 3 with the new one.
	got := e2e.Events(t, c.WaitFor(topic, 5))
	var keys []string
	for _, e := range got {
		keys = append(keys, e.Op+e.After)
	}
	want := []string{`c{"id":1}`, `c{"id":2}`, `c{"id":3,"v":30}`, `c{"id":2}`, `c{"id":3,"v":30}`}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("after the rewrite: %v, want %v", keys, want)
	}
}
