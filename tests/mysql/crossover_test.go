package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// debeziumMariaDBClass is the connector the crossover tests run on the Debezium reference worker
// (package debezium) and on ours: same name, topic.prefix, offsets topic and schema history
// topic, as a user migrating would keep them.
const debeziumMariaDBClass = "io.debezium.connector.mariadb.MariaDbConnector"

// TestCrossoverDebeziumToConnectd: Debezium snapshots a table and streams changes, among them an
// ALTER TABLE, and is stopped (its offsets committed to dbz-offsets); a row changes while nothing
// runs; connectd starts the same connector and streams on. The topics must hold every change
// exactly once, connectd's from the first change after Debezium's last, decoded with the columns
// the ALTER added (which connectd learns from Debezium's schema history).
//
// Debezium's last offset is the one of its last record: the END of a transaction (the offset from
// before the commit, which Debezium itself would replay) or, in the second case, an ALTER TABLE's
// schema change event (its GTID event with event=1, which Debezium would apply again).
func TestCrossoverDebeziumToConnectd(t *testing.T) {
	for _, c := range []struct {
		name    string
		lastDDL bool
	}{{"after_a_transaction", false}, {"after_ALTER_TABLE", true}} {
		t.Run(c.name, func(t *testing.T) {
			x := newCrossover(t, c.lastDDL)
			dbz := x.debezium
			dbz.Create(x.name, x.cfg)
			dbz.WaitTask(x.name, "RUNNING")
			x.c.WaitFor(x.topic, 3)
			x.firstRuntime()
			dbz.Stop(x.name)
			t.Logf("Debezium stopped with offsets %s", dbz.Offsets(x.name))

			x.whileStopped()
			w := e2e.StartWorker(t, debezium.OffsetsTopic)
			if code, b := w.Call("POST", "/connectors", map[string]any{"name": x.name, "config": x.cfg}); code != 201 {
				t.Fatalf("POST /connectors: %d %s", code, b)
			}
			w.WaitState(x.name, "RUNNING")
			x.secondRuntime()
			x.check("Debezium", "connectd")
		})
	}
}

// TestCrossoverConnectdToDebezium is the reverse: connectd snapshots and streams (the ALTER
// TABLE included), is stopped with PUT /stop (offsets committed to dbz-offsets), a row changes,
// and Debezium starts the same connector from connectd's offsets and schema history: no new
// snapshot, nothing repeated, nothing lost, the new columns known. connectd's last offset is the
// one after a transaction's commit (its END record) or after an ALTER TABLE.
func TestCrossoverConnectdToDebezium(t *testing.T) {
	for _, c := range []struct {
		name    string
		lastDDL bool
	}{{"after_a_transaction", false}, {"after_ALTER_TABLE", true}} {
		t.Run(c.name, func(t *testing.T) {
			x := newCrossover(t, c.lastDDL)
			dbz := x.debezium
			w := e2e.StartWorker(t, debezium.OffsetsTopic)
			if code, b := w.Call("POST", "/connectors", map[string]any{"name": x.name, "config": x.cfg}); code != 201 {
				t.Fatalf("POST /connectors: %d %s", code, b)
			}
			w.WaitState(x.name, "RUNNING")
			x.c.WaitFor(x.topic, 3)
			x.firstRuntime()
			// PUT /stop, as an operator would before handing the connector over: the task stops
			// and commits its offsets; then the worker goes away.
			if code, b := w.Call("PUT", "/connectors/"+x.name+"/stop", nil); code >= 300 {
				t.Fatalf("PUT /connectors/%s/stop: %d %s", x.name, code, b)
			}
			w.WaitState(x.name, "NO_TASK")
			_, offsets := w.Call("GET", "/connectors/"+x.name+"/offsets", nil)
			t.Logf("connectd stopped with offsets %s", offsets)
			w.Stop()

			x.whileStopped()
			dbz.Create(x.name, x.cfg)
			dbz.WaitTask(x.name, "RUNNING")
			x.secondRuntime()
			x.check("connectd", "Debezium")
		})
	}
}

// crossover is one crossover test's database, connector and topics.
type crossover struct {
	t        *testing.T
	d        *mariadb.DB
	debezium *debezium.Worker
	lastDDL  bool // the first runtime's last change is an ALTER TABLE
	name     string
	cfg      map[string]string
	prefix   string
	history  string
	topic    string // the table's change events
	txTopic  string // BEGIN and END records
	c        *e2e.Consumer
	bigRows  int // the size of TestCrossoverInsideLargeTransaction's large transaction
}

func newCrossover(t *testing.T, lastDDL bool) *crossover {
	t.Helper()
	kafka := testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumMariaDBClass)
	d := mariadb.New(t, "e2e")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)",
		"INSERT INTO t VALUES (1,'one'),(2,'two'),(3,'three')")
	prefix := "xo_" + d.Name
	x := &crossover{t: t, d: d, debezium: dbz, lastDDL: lastDDL, name: "xo-" + d.Name, prefix: prefix,
		history: "schema-history." + prefix, topic: prefix + "." + d.Name + ".t", txTopic: prefix + ".transaction"}
	// One configuration for both runtimes. Transaction metadata puts transaction_id and the
	// per-table counters into the offsets each side must read; only this database's DDL goes
	// into the history; JSON without schemas keeps the assertions short.
	x.cfg = connectorConfig(d, prefix, x.history, append([]string{
		"database.server.id", serverID(d.Name),
		"snapshot.mode", "initial",
		"provide.transaction.metadata", "true",
		"schema.history.internal.store.only.captured.databases.ddl", "true"}, schemalessJSON...)...)
	t.Cleanup(func() {
		// Remove the connector and its offsets (ours too: same key) from the Debezium worker,
		// then the topics.
		dbz.Remove(x.name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{prefix}, []string{x.history}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	x.c = e2e.NewConsumer(t, x.topic, x.txTopic, prefix, x.history)
	return x
}

// serverID is the replication client id of the connector of database name: unique per test
// run, as two binlog readers with one id on one server disconnect each other.
func serverID(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return strconv.Itoa(10000 + int(h.Sum32()%1000000))
}

const (
	alterW = "ALTER TABLE t ADD COLUMN w INT NULL"
	alterX = "ALTER TABLE t ADD COLUMN x VARCHAR(5) NULL"
)

// firstRuntime makes the changes the first runtime streams and waits until it has written them
// all: its last record is the END of the last transaction, or the ALTER TABLE's schema change.
func (x *crossover) firstRuntime() {
	x.d.Exec(
		"INSERT INTO t VALUES (4,'four')",
		"UPDATE t SET v = 'uno' WHERE id = 1",
		"BEGIN", "INSERT INTO t VALUES (5,'five')", "INSERT INTO t VALUES (6,'six')", "COMMIT",
		alterW,
		"INSERT INTO t VALUES (7,'seven',7)",
		"BEGIN", "UPDATE t SET w = 2 WHERE id = 2", "DELETE FROM t WHERE id = 3", "COMMIT",
	)
	recs := x.c.WaitFor(x.topic, firstRecords)
	x.waitEnd(recs[len(recs)-2]) // the delete; the tombstone carries no transaction
	if x.lastDDL {
		x.d.Exec(alterX)
		x.waitDDL(alterX)
	}
}

// firstRecords is how many records the first runtime writes to the table's topic: three read by
// the snapshot, eight streamed (a delete and its tombstone among them).
const firstRecords = 11

// whileStopped changes a row while no runtime runs.
func (x *crossover) whileStopped() {
	x.d.Exec("INSERT INTO t (id, v, w) VALUES (8,'eight',8)")
}

// secondRuntime makes the changes the second runtime streams after those it picks up.
func (x *crossover) secondRuntime() {
	x.d.Exec(
		"INSERT INTO t (id, v) VALUES (9,'nine')",
		"BEGIN", "INSERT INTO t (id, v) VALUES (10,'ten')", "UPDATE t SET v = 'vier' WHERE id = 4", "COMMIT",
	)
}

// want is every change of the workload in order, as the table's topic must hold it.
func (x *crossover) want() []e2e.Event {
	x2 := ""
	if x.lastDDL {
		x2 = `,"x":null`
	}
	row := func(id int, v, w string) string {
		if w == "" {
			return fmt.Sprintf(`{"id":%d,"v":%q}`, id, v)
		}
		return fmt.Sprintf(`{"id":%d,"v":%q,"w":%s}`, id, v, w)
	}
	key := func(id int) string { return fmt.Sprintf(`{"id":%d}`, id) }
	return []e2e.Event{
		ev(key(1), "r", "null", row(1, "one", "")),
		ev(key(2), "r", "null", row(2, "two", "")),
		ev(key(3), "r", "null", row(3, "three", "")),
		ev(key(4), "c", "null", row(4, "four", "")),
		ev(key(1), "u", row(1, "one", ""), row(1, "uno", "")),
		ev(key(5), "c", "null", row(5, "five", "")),
		ev(key(6), "c", "null", row(6, "six", "")),
		ev(key(7), "c", "null", row(7, "seven", "7")),
		ev(key(2), "u", row(2, "two", "null"), row(2, "two", "2")),
		ev(key(3), "d", row(3, "three", "null"), "null"),
		{Key: key(3), Op: "tombstone"},
		// The second runtime's: the row changed while nothing ran first.
		ev(key(8), "c", "null", strings.TrimSuffix(row(8, "eight", "8"), "}")+x2+"}"),
		ev(key(9), "c", "null", strings.TrimSuffix(row(9, "nine", "null"), "}")+x2+"}"),
		ev(key(10), "c", "null", strings.TrimSuffix(row(10, "ten", "null"), "}")+x2+"}"),
		ev(key(4), "u", strings.TrimSuffix(row(4, "four", "null"), "}")+x2+"}", strings.TrimSuffix(row(4, "vier", "null"), "}")+x2+"}"),
	}
}

// check waits for every change and asserts that the table's topic holds each exactly once, in
// order; that the first runtime wrote the first firstRecords records and the second the rest
// (the run id header changes once, there); that every streamed transaction has one BEGIN and one
// END counting its events; and that every DDL statement is on the schema change topic and in the
// schema history once.
func (x *crossover) check(first, second string) {
	t := x.t
	t.Helper()
	want := x.want()
	recs := x.c.WaitFor(x.topic, len(want))
	x.c.Settle(3 * time.Second) // a duplicate or a second snapshot would show up by now
	recs = x.c.Records(x.topic)
	got := e2e.Events(t, recs)
	if len(got) != len(want) {
		t.Errorf("topic %s: %d records, want %d", x.topic, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("topic %s record %d: %v, want %v (the first difference; %s handed over to %s at record %d)\n%s",
				x.topic, i, got[i], want[i], first, second, handover(recs), e2e.Dump(recs))
		}
	}
	if t.Failed() {
		t.Fatalf("records:\n%s", e2e.Dump(recs))
	}
	firstRun, secondRun := header(recs[0], debezium.RunIDHeader), header(recs[len(recs)-1], debezium.RunIDHeader)
	if at := handover(recs); at != firstRecords || firstRun == "" || secondRun == "" {
		t.Fatalf("run ids: %s wrote %q, %s %q from record %d on; want two, changing at record %d",
			first, firstRun, second, secondRun, at, firstRecords)
	}
	for i, r := range recs {
		want := firstRun
		if i >= firstRecords {
			want = secondRun
		}
		if h := header(r, debezium.RunIDHeader); h != want {
			t.Fatalf("record %d (%v) has run id %q, want %q: the run id changes more than once", i, got[i], h, want)
		}
	}
	ddlGTIDs := x.checkDDL()
	x.checkTransactions(recs, ddlGTIDs)
	t.Logf("%s wrote records 0-%d, %s records %d-%d; no gap, no duplicate", first, firstRecords-1, second, firstRecords, len(recs)-1)
}

// checkDDL asserts every statement on the schema change topic and in the schema history appears
// once (the snapshot's and the ALTER TABLEs), and returns the GTIDs of the streamed ones.
func (x *crossover) checkDDL() []string {
	t := x.t
	t.Helper()
	var gtids []string
	for _, topic := range []string{x.prefix, x.history} {
		seen := map[string]int{}
		for _, r := range x.c.Records(topic) {
			var v struct {
				DDL    string
				Source struct{ Gtid *string }
			}
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatalf("%s: %.300s: %v", topic, r.Value, err)
			}
			seen[v.DDL]++
			if topic == x.prefix && v.Source.Gtid != nil {
				gtids = append(gtids, *v.Source.Gtid)
			}
		}
		ddls := []string{alterW}
		if x.lastDDL {
			ddls = append(ddls, alterX)
		}
		for _, ddl := range ddls {
			if seen[ddl] == 0 {
				t.Errorf("topic %s lacks %q", topic, ddl)
			}
		}
		for ddl, n := range seen {
			if n > 1 {
				t.Errorf("topic %s holds %q %d times, want once", topic, ddl, n)
			}
		}
	}
	return gtids
}

// checkTransactions asserts that every streamed transaction of the table has exactly one BEGIN
// and one END on the transaction topic, across the handover, the END counting all its events,
// numbered 1..n (transaction.total_order) on the change events; and that each ALTER TABLE has
// one BEGIN and no END, as Debezium 3.5 writes them. Other transactions of the server (other
// clients') are left out.
func (x *crossover) checkTransactions(changes []*kgo.Record, ddlGTIDs []string) {
	t := x.t
	t.Helper()
	var txs []string
	counts := map[string]int{}
	for _, r := range changes {
		if r.Value == nil {
			continue
		}
		var v struct {
			Transaction *struct {
				ID         string
				TotalOrder int `json:"total_order"`
			}
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatal(err)
		}
		if v.Transaction == nil {
			continue // the snapshot's events carry no transaction
		}
		id := v.Transaction.ID
		if counts[id] == 0 {
			txs = append(txs, id)
		}
		counts[id]++
		if v.Transaction.TotalOrder != counts[id] {
			t.Errorf("transaction %s: event %d has total_order %d", id, counts[id], v.Transaction.TotalOrder)
		}
	}
	if len(txs) != 8 {
		t.Errorf("the streamed rows came in transactions %v, want 8", counts)
	}
	ours := map[string]bool{}
	for _, id := range txs {
		ours[id] = true
	}
	for _, id := range ddlGTIDs {
		ours[id] = true
	}
	var got []string
	for _, r := range x.c.Records(x.txTopic) {
		var v struct {
			Status     string
			ID         string
			EventCount *int `json:"event_count"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%.300s: %v", r.Value, err)
		}
		if !ours[v.ID] {
			continue
		}
		if v.EventCount != nil {
			got = append(got, fmt.Sprintf("%s %s %d", v.ID, v.Status, *v.EventCount))
		} else {
			got = append(got, v.ID+" "+v.Status)
		}
	}
	var want []string
	for _, id := range txs {
		want = append(want, id+" BEGIN", fmt.Sprintf("%s END %d", id, counts[id]))
	}
	for _, id := range ddlGTIDs {
		want = append(want, id+" BEGIN")
	}
	// Order by GTID sequence: the DDL BEGINs sit between the transactions.
	sortByGTID(want)
	sortByGTID(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("topic %s, this table's transactions:\n got:\n  %s\nwant:\n  %s", x.txTopic, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// sortByGTID orders "domain-server-seq STATUS ..." lines by sequence number, keeping the order
// of lines of one transaction (BEGIN before END).
func sortByGTID(lines []string) {
	seq := func(l string) int64 {
		id, _, _ := strings.Cut(l, " ")
		var d, s, n int64
		fmt.Sscanf(id, "%d-%d-%d", &d, &s, &n)
		return n
	}
	for i := 1; i < len(lines); i++ {
		for j := i; j > 0 && seq(lines[j]) < seq(lines[j-1]); j-- {
			lines[j], lines[j-1] = lines[j-1], lines[j]
		}
	}
}

// waitEnd waits until the transaction of change event r has its END on the transaction topic.
func (x *crossover) waitEnd(r *kgo.Record) {
	x.t.Helper()
	var v struct{ Transaction struct{ ID string } }
	if err := json.Unmarshal(r.Value, &v); err != nil || v.Transaction.ID == "" {
		x.t.Fatalf("record %.300s has no transaction id (%v)", r.Value, err)
	}
	x.waitUntil(x.txTopic, func(r *kgo.Record) bool {
		var e struct{ Status, ID string }
		return json.Unmarshal(r.Value, &e) == nil && e.Status == "END" && e.ID == v.Transaction.ID
	}, "the END of transaction "+v.Transaction.ID)
}

// waitDDL waits until the schema change topic holds ddl.
func (x *crossover) waitDDL(ddl string) {
	x.t.Helper()
	x.waitUntil(x.prefix, func(r *kgo.Record) bool {
		var e struct{ DDL string }
		return json.Unmarshal(r.Value, &e) == nil && e.DDL == ddl
	}, "the schema change "+ddl)
}

func (x *crossover) waitUntil(topic string, ok func(*kgo.Record) bool, what string) {
	x.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		for _, r := range x.c.Records(topic) {
			if ok(r) {
				return
			}
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("topic %s: no record of %s after 90 s", topic, what)
		}
		x.c.Settle(300 * time.Millisecond)
	}
}

// handover returns the index of the first record whose run id differs from the first record's.
func handover(recs []*kgo.Record) int {
	for i, r := range recs {
		if header(r, debezium.RunIDHeader) != header(recs[0], debezium.RunIDHeader) {
			return i
		}
	}
	return len(recs)
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
