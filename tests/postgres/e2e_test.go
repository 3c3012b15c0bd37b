package postgres

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// TestEndToEnd is the operator's story over REST: create the connector, snapshot the existing
// rows, stream inserts, updates and deletes across tables and transactions (one of them large,
// one touching a TOASTed value), ALTER TABLE mid-stream, restart the worker with changes made
// while it is down, and continue. Every topic must hold exactly the expected events, in order,
// with no gap and no duplicate.
func TestEndToEnd(t *testing.T) {
	p := newPG(t)
	s := p.schema
	p.exec(fmt.Sprintf(`CREATE TABLE %[1]s.customers (id int PRIMARY KEY, name text NOT NULL, bio text);
		ALTER TABLE %[1]s.customers ALTER COLUMN bio SET STORAGE EXTERNAL;
		CREATE TABLE %[1]s.orders (id int PRIMARY KEY, customer int NOT NULL, qty int NOT NULL);
		INSERT INTO %[1]s.customers VALUES (1, 'alice', NULL), (2, 'bob', NULL);
		INSERT INTO %[1]s.orders VALUES (10, 1, 5)`, s))
	prefix := testbed.Topic(t, "pge2e")
	offsetsTopic := prefix + "-offsets"
	name := "inventory"
	cfg := p.config(prefix)
	custTopic, ordTopic := prefix+"."+s+".customers", prefix+"."+s+".orders"

	w := e2e.StartWorker(t, offsetsTopic)
	w.Create(name, cfg)
	w.WaitState(name, "RUNNING")
	c := e2e.NewConsumer(t, custTopic, ordTopic)
	c.WaitFor(custTopic, 2)
	c.WaitFor(ordTopic, 1)

	big := p.value(`SELECT string_agg(md5(g::text), '') FROM generate_series(1, 1500) g`) // 48 kB, TOASTed
	p.exec(fmt.Sprintf(`BEGIN; INSERT INTO %[1]s.customers VALUES (3, 'carol', NULL); UPDATE %[1]s.orders SET qty = 6 WHERE id = 10; COMMIT`, s),
		fmt.Sprintf(`DELETE FROM %s.customers WHERE id = 2`, s),
		fmt.Sprintf(`ALTER TABLE %s.customers ADD COLUMN email text`, s),
		fmt.Sprintf(`INSERT INTO %s.customers VALUES (4, 'dave', NULL, 'd@x')`, s),
		// One large transaction: 5000 rows, streamed through the bounded queue.
		fmt.Sprintf(`INSERT INTO %s.orders SELECT g, 4, g %% 7 FROM generate_series(1000, 5999) g`, s),
		fmt.Sprintf(`UPDATE %s.customers SET bio = '%s' WHERE id = 1`, s, big),
		fmt.Sprintf(`UPDATE %s.customers SET name = 'alicia' WHERE id = 1`, s))
	c.WaitFor(custTopic, 8)
	c.WaitFor(ordTopic, 5002)

	// Restart the worker; change rows while it is down. A standalone worker forgets connectors
	// created over REST, so the connector is created again and resumes from its committed offset.
	w.Stop()
	p.exec(fmt.Sprintf(`INSERT INTO %s.customers VALUES (5, 'eve', NULL, NULL)`, s),
		fmt.Sprintf(`DELETE FROM %s.orders WHERE id = 10`, s))
	w = e2e.StartWorker(t, offsetsTopic)
	w.Create(name, cfg)
	w.WaitState(name, "RUNNING")
	c.WaitFor(custTopic, 9)
	c.WaitFor(ordTopic, 5004)
	c.Settle(2 * time.Second)

	wantCust := []e2e.Event{
		ev(`{"id":1}`, "r", "null", `{"id":1,"name":"alice","bio":null}`),
		ev(`{"id":2}`, "r", "null", `{"id":2,"name":"bob","bio":null}`),
		ev(`{"id":3}`, "c", "null", `{"id":3,"name":"carol","bio":null}`),
		// REPLICA IDENTITY DEFAULT: the old row has the key only; NOT NULL name gets "" as in Debezium.
		ev(`{"id":2}`, "d", `{"id":2,"name":"","bio":null}`, "null"),
		{Key: `{"id":2}`, Op: "tombstone"},
		ev(`{"id":4}`, "c", "null", `{"id":4,"name":"dave","bio":null,"email":"d@x"}`),
		ev(`{"id":1}`, "u", "null", `{"id":1,"name":"alice","bio":"`+big+`","email":null}`),
		ev(`{"id":1}`, "u", "null", `{"id":1,"name":"alicia","bio":"__debezium_unavailable_value","email":null}`),
		ev(`{"id":5}`, "c", "null", `{"id":5,"name":"eve","bio":null,"email":null}`),
	}
	if got := e2e.Events(t, c.Records(custTopic)); !reflect.DeepEqual(got, wantCust) {
		t.Errorf("topic %s:\n got %v\nwant %v", custTopic, got, wantCust)
	}
	wantOrd := []e2e.Event{
		ev(`{"id":10}`, "r", "null", `{"id":10,"customer":1,"qty":5}`),
		ev(`{"id":10}`, "u", "null", `{"id":10,"customer":1,"qty":6}`),
	}
	for g := 1000; g <= 5999; g++ {
		wantOrd = append(wantOrd, ev(fmt.Sprintf(`{"id":%d}`, g), "c", "null", fmt.Sprintf(`{"id":%d,"customer":4,"qty":%d}`, g, g%7)))
	}
	wantOrd = append(wantOrd,
		ev(`{"id":10}`, "d", `{"id":10,"customer":0,"qty":0}`, "null"),
		e2e.Event{Key: `{"id":10}`, Op: "tombstone"})
	got := e2e.Events(t, c.Records(ordTopic))
	if len(got) != len(wantOrd) {
		t.Errorf("topic %s: %d events, want %d", ordTopic, len(got), len(wantOrd))
	}
	for i := 0; i < len(got) && i < len(wantOrd); i++ {
		if got[i] != wantOrd[i] {
			t.Errorf("topic %s event %d:\n got %v\nwant %v", ordTopic, i, got[i], wantOrd[i])
			break
		}
	}

	// Source blocks: Debezium's PostgreSQL fields; the large transaction is one txId.
	var first, last envelope
	if err := json.Unmarshal(c.Records(custTopic)[0].Value, &first); err != nil {
		t.Fatal(err)
	}
	if sb := first.Source; sb.Connector != "postgresql" || sb.Name != prefix || sb.DB != p.tb.Database || sb.Schema != s ||
		sb.Table != "customers" || sb.Snapshot != "first" || sb.LSN == nil || sb.TxID == nil {
		t.Errorf("snapshot source block: %+v", sb)
	}
	txIDs := map[int64]int{}
	for _, r := range c.Records(ordTopic)[2:5002] {
		var v envelope
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatal(err)
		}
		txIDs[*v.Source.TxID]++
		last = v
	}
	if len(txIDs) != 1 || last.Source.Snapshot != "false" || !strings.HasPrefix(last.Source.Sequence, `["`) {
		t.Errorf("large transaction spans txIds %v; last source %+v", txIDs, last.Source)
	}
}

// TestDroppedSlotOverREST: the slot is dropped while the connector is stopped. Under
// snapshot.mode=initial the task goes FAILED with a message that says what was lost and the two
// ways out; switching to when_needed takes a new snapshot and streams again.
func TestDroppedSlotOverREST(t *testing.T) {
	p := newPG(t)
	p.exec(fmt.Sprintf(`CREATE TABLE %[1]s.t (id int PRIMARY KEY); INSERT INTO %[1]s.t VALUES (1), (2)`, p.schema))
	prefix := testbed.Topic(t, "pgdrop")
	offsetsTopic := prefix + "-offsets"
	topic := prefix + "." + p.schema + ".t"
	name := "dropped"
	cfg := p.config(prefix)

	w := e2e.StartWorker(t, offsetsTopic)
	w.Create(name, cfg)
	w.WaitState(name, "RUNNING")
	c := e2e.NewConsumer(t, topic)
	c.WaitFor(topic, 2)
	p.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (3)`, p.schema))
	c.WaitFor(topic, 3)
	w.Stop()

	// Wait until the walsender released the slot, then drop it.
	for i := 0; p.value(fmt.Sprintf(`SELECT active FROM pg_replication_slots WHERE slot_name = '%s'`, p.slot)) == "t"; i++ {
		if i > 100 {
			t.Fatal("slot still active after the worker stopped")
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.exec(fmt.Sprintf(`SELECT pg_drop_replication_slot('%s')`, p.slot), fmt.Sprintf(`INSERT INTO %s.t VALUES (4)`, p.schema))

	w = e2e.StartWorker(t, offsetsTopic)
	w.Create(name, cfg)
	trace := w.WaitState(name, "FAILED")
	for _, want := range []string{"no replication slot named", p.slot, "snapshot.mode=when_needed", "/offsets"} {
		if !strings.Contains(trace, want) {
			t.Errorf("FAILED trace does not mention %q:\n%s", want, trace)
		}
	}
	if p.value(fmt.Sprintf(`SELECT count(*) FROM pg_replication_slots WHERE slot_name = '%s'`, p.slot)) != "0" {
		t.Error("a replication slot was created for the stored offset")
	}

	cfg["snapshot.mode"] = "when_needed"
	if code, b := w.Call("PUT", "/connectors/"+name+"/config", cfg); code != 200 && code != 201 {
		t.Fatalf("PUT config: %d %s", code, b)
	}
	w.Call("POST", "/connectors/"+name+"/restart?includeTasks=true", nil)
	w.WaitState(name, "RUNNING")
	c.WaitFor(topic, 7) // the first three events, then a new snapshot of rows 1-4
	p.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (5)`, p.schema))
	c.WaitFor(topic, 8)
	c.Settle(time.Second)
	var ops []string
	for _, e := range e2e.Events(t, c.Records(topic)) {
		ops = append(ops, e.Op+e.Key)
	}
	want := []string{`r{"id":1}`, `r{"id":2}`, `c{"id":3}`, `r{"id":1}`, `r{"id":2}`, `r{"id":3}`, `r{"id":4}`, `c{"id":5}`}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("events %v, want %v", ops, want)
	}
}
