package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/testbed"
)

// The Debezium reference worker (deploy/testbed/debezium-up): Kafka Connect with Debezium 3.5's
// MariaDB plugin, its offsets in dbz-offsets. The crossover tests run one connector under both
// runtimes: same name, topic.prefix, offsets topic and schema history topic, as a user migrating
// would keep them.
const (
	debeziumREST         = "http://127.0.0.1:8183"
	debeziumOffsetsTopic = "dbz-offsets"
	debeziumMariaDBClass = "io.debezium.connector.mariadb.MariaDbConnector"
	runIDHeader          = "__debezium.context.runId"
)

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
			dbz.create(x.name, x.cfg)
			dbz.waitTask(x.name, "RUNNING")
			x.c.waitFor(x.topic, 3)
			x.firstRuntime()
			dbz.stop(x.name)
			t.Logf("Debezium stopped with offsets %s", dbz.offsets(x.name))

			x.whileStopped()
			w := startWorker(t, debeziumOffsetsTopic)
			if code, b := w.call("POST", "/connectors", map[string]any{"name": x.name, "config": x.cfg}); code != 201 {
				t.Fatalf("POST /connectors: %d %s", code, b)
			}
			w.waitState(x.name, "RUNNING")
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
			w := startWorker(t, debeziumOffsetsTopic)
			if code, b := w.call("POST", "/connectors", map[string]any{"name": x.name, "config": x.cfg}); code != 201 {
				t.Fatalf("POST /connectors: %d %s", code, b)
			}
			w.waitState(x.name, "RUNNING")
			x.c.waitFor(x.topic, 3)
			x.firstRuntime()
			// PUT /stop, as an operator would before handing the connector over: the task stops
			// and commits its offsets; then the worker goes away.
			if code, b := w.call("PUT", "/connectors/"+x.name+"/stop", nil); code >= 300 {
				t.Fatalf("PUT /connectors/%s/stop: %d %s", x.name, code, b)
			}
			w.waitState(x.name, "NO_TASK")
			_, offsets := w.call("GET", "/connectors/"+x.name+"/offsets", nil)
			t.Logf("connectd stopped with offsets %s", offsets)
			w.stop()

			x.whileStopped()
			dbz.create(x.name, x.cfg)
			dbz.waitTask(x.name, "RUNNING")
			x.secondRuntime()
			x.check("connectd", "Debezium")
		})
	}
}

// crossover is one crossover test's database, connector and topics.
type crossover struct {
	t        *testing.T
	d        *db
	debezium *debezium
	lastDDL  bool // the first runtime's last change is an ALTER TABLE
	name     string
	cfg      map[string]string
	prefix   string
	history  string
	topic    string // the table's change events
	txTopic  string // BEGIN and END records
	c        *consumer
}

func newCrossover(t *testing.T, lastDDL bool) *crossover {
	t.Helper()
	kafka := testbed.Kafka(t)
	dbz := startDebezium(t)
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)",
		"INSERT INTO t VALUES (1,'one'),(2,'two'),(3,'three')")
	prefix := "xo_" + d.name
	x := &crossover{t: t, d: d, debezium: dbz, lastDDL: lastDDL, name: "xo-" + d.name, prefix: prefix,
		history: "schema-history." + prefix, topic: prefix + "." + d.name + ".t", txTopic: prefix + ".transaction"}
	// One configuration for both runtimes. Transaction metadata puts transaction_id and the
	// per-table counters into the offsets each side must read; only this database's DDL goes
	// into the history; JSON without schemas keeps the assertions short.
	x.cfg = connectorConfig(d, prefix, x.history,
		"database.server.id", serverID(d.name),
		"snapshot.mode", "initial",
		"provide.transaction.metadata", "true",
		"schema.history.internal.store.only.captured.databases.ddl", "true",
		"key.converter", "org.apache.kafka.connect.json.JsonConverter",
		"value.converter", "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable", "false",
		"value.converter.schemas.enable", "false")
	t.Cleanup(func() {
		// Remove the connector and its offsets (ours too: same key) from the Debezium worker,
		// then the topics.
		dbz.remove(x.name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{prefix}, []string{x.history}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	x.c = newConsumer(t, x.topic, x.txTopic, prefix, x.history)
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
	x.d.exec(
		"INSERT INTO t VALUES (4,'four')",
		"UPDATE t SET v = 'uno' WHERE id = 1",
		"BEGIN", "INSERT INTO t VALUES (5,'five')", "INSERT INTO t VALUES (6,'six')", "COMMIT",
		alterW,
		"INSERT INTO t VALUES (7,'seven',7)",
		"BEGIN", "UPDATE t SET w = 2 WHERE id = 2", "DELETE FROM t WHERE id = 3", "COMMIT",
	)
	recs := x.c.waitFor(x.topic, firstRecords)
	x.waitEnd(recs[len(recs)-2]) // the delete; the tombstone carries no transaction
	if x.lastDDL {
		x.d.exec(alterX)
		x.waitDDL(alterX)
	}
}

// firstRecords is how many records the first runtime writes to the table's topic: three read by
// the snapshot, eight streamed (a delete and its tombstone among them).
const firstRecords = 11

// whileStopped changes a row while no runtime runs.
func (x *crossover) whileStopped() {
	x.d.exec("INSERT INTO t (id, v, w) VALUES (8,'eight',8)")
}

// secondRuntime makes the changes the second runtime streams after those it picks up.
func (x *crossover) secondRuntime() {
	x.d.exec(
		"INSERT INTO t (id, v) VALUES (9,'nine')",
		"BEGIN", "INSERT INTO t (id, v) VALUES (10,'ten')", "UPDATE t SET v = 'vier' WHERE id = 4", "COMMIT",
	)
}

// want is every change of the workload in order, as the table's topic must hold it.
func (x *crossover) want() []event {
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
	return []event{
		{key(1), "r", "null", row(1, "one", "")},
		{key(2), "r", "null", row(2, "two", "")},
		{key(3), "r", "null", row(3, "three", "")},
		{key(4), "c", "null", row(4, "four", "")},
		{key(1), "u", row(1, "one", ""), row(1, "uno", "")},
		{key(5), "c", "null", row(5, "five", "")},
		{key(6), "c", "null", row(6, "six", "")},
		{key(7), "c", "null", row(7, "seven", "7")},
		{key(2), "u", row(2, "two", "null"), row(2, "two", "2")},
		{key(3), "d", row(3, "three", "null"), "null"},
		{Key: key(3), Op: "tombstone"},
		// The second runtime's: the row changed while nothing ran first.
		{key(8), "c", "null", strings.TrimSuffix(row(8, "eight", "8"), "}") + x2 + "}"},
		{key(9), "c", "null", strings.TrimSuffix(row(9, "nine", "null"), "}") + x2 + "}"},
		{key(10), "c", "null", strings.TrimSuffix(row(10, "ten", "null"), "}") + x2 + "}"},
		{key(4), "u", strings.TrimSuffix(row(4, "four", "null"), "}") + x2 + "}", strings.TrimSuffix(row(4, "vier", "null"), "}") + x2 + "}"},
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
	recs := x.c.waitFor(x.topic, len(want))
	x.c.settle(3 * time.Second) // a duplicate or a second snapshot would show up by now
	recs = x.c.recs[x.topic]
	got := events(t, recs)
	if len(got) != len(want) {
		t.Errorf("topic %s: %d records, want %d", x.topic, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("topic %s record %d: %v, want %v (the first difference; %s handed over to %s at record %d)\n%s",
				x.topic, i, got[i], want[i], first, second, handover(recs), dump(recs))
		}
	}
	if t.Failed() {
		t.Fatalf("records:\n%s", dump(recs))
	}
	firstRun, secondRun := header(recs[0], runIDHeader), header(recs[len(recs)-1], runIDHeader)
	if at := handover(recs); at != firstRecords || firstRun == "" || secondRun == "" {
		t.Fatalf("run ids: %s wrote %q, %s %q from record %d on; want two, changing at record %d",
			first, firstRun, second, secondRun, at, firstRecords)
	}
	for i, r := range recs {
		want := firstRun
		if i >= firstRecords {
			want = secondRun
		}
		if h := header(r, runIDHeader); h != want {
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
		for _, r := range x.c.recs[topic] {
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
	for _, r := range x.c.recs[x.txTopic] {
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
		for _, r := range x.c.recs[topic] {
			if ok(r) {
				return
			}
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("topic %s: no record of %s after 90 s", topic, what)
		}
		x.c.settle(300 * time.Millisecond)
	}
}

// handover returns the index of the first record whose run id differs from the first record's.
func handover(recs []*kgo.Record) int {
	for i, r := range recs {
		if header(r, runIDHeader) != header(recs[0], runIDHeader) {
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

// debezium is a client of the Debezium reference worker's REST API.
type debezium struct {
	t   *testing.T
	url string
}

// startDebezium returns the Debezium reference worker, starting it with
// deploy/testbed/debezium-up when it does not answer (about 15 s; the first time also fetches
// Debezium's plugins from Maven Central). Outside CI a worker that cannot be started skips the
// test; under CI=true it fails it.
func startDebezium(t *testing.T) *debezium {
	t.Helper()
	d := &debezium{t: t, url: debeziumREST}
	if d.ready() {
		return d
	}
	script := filepath.Join(testbed.RepoRoot(t), "deploy", "testbed", "debezium-up")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", script).CombinedOutput()
	if err != nil || !d.ready() {
		msg := fmt.Sprintf("the Debezium reference worker could not be started with %s: %v\n%s", script, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return d
}

// ready reports whether the worker answers and offers Debezium's MariaDB connector.
func (d *debezium) ready() bool {
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(d.url + "/connector-plugins")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == 200 && bytes.Contains(b, []byte(`"`+debeziumMariaDBClass+`"`))
}

func (d *debezium) call(method, path string, body any) (int, []byte) {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 90 * time.Second}).Do(req)
	if err != nil {
		d.t.Fatalf("Debezium worker: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (d *debezium) create(name string, cfg map[string]string) {
	d.t.Helper()
	if code, b := d.call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		d.t.Fatalf("Debezium worker: POST /connectors: %d %s", code, b)
	}
}

// status returns the connector's state and its first task's state and trace.
func (d *debezium) status(name string) (connector, task, trace string) {
	code, b := d.call("GET", "/connectors/"+name+"/status", nil)
	if code != 200 {
		return "", "", string(b)
	}
	var st struct {
		Connector struct{ State string }
		Tasks     []struct{ State, Trace string }
	}
	_ = json.Unmarshal(b, &st)
	if len(st.Tasks) == 0 {
		return st.Connector.State, "", ""
	}
	return st.Connector.State, st.Tasks[0].State, st.Tasks[0].Trace
}

func (d *debezium) waitTask(name, state string) {
	d.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, task, trace := d.status(name)
		if task == state {
			return
		}
		if task == "FAILED" || time.Now().After(deadline) {
			d.t.Fatalf("Debezium connector %s: task %s, want %s; %s", name, task, state, trace)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop stops the connector (PUT /stop: its task stops and commits its offsets) and waits until
// the worker reports it STOPPED with no task left.
func (d *debezium) stop(name string) {
	d.t.Helper()
	if code, b := d.call("PUT", "/connectors/"+name+"/stop", nil); code >= 300 {
		d.t.Fatalf("Debezium worker: PUT /connectors/%s/stop: %d %s", name, code, b)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		conn, task, _ := d.status(name)
		if conn == "STOPPED" && task == "" {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("Debezium connector %s: %s (task %s) two minutes after PUT /stop", name, conn, task)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// offsets returns GET /connectors/{c}/offsets (Kafka Connect serves it in any state).
func (d *debezium) offsets(name string) string {
	_, b := d.call("GET", "/connectors/"+name+"/offsets", nil)
	return string(b)
}

// remove deletes the connector and its offsets from the Debezium worker, if it has it.
func (d *debezium) remove(name string) {
	if code, _ := d.call("GET", "/connectors/"+name, nil); code == 404 {
		return
	}
	if conn, _, _ := d.status(name); conn != "STOPPED" {
		d.call("PUT", "/connectors/"+name+"/stop", nil)
		for i := 0; i < 300; i++ {
			if conn, task, _ := d.status(name); conn == "STOPPED" && task == "" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if code, b := d.call("DELETE", "/connectors/"+name+"/offsets", nil); code >= 300 {
		d.t.Logf("Debezium worker: could not delete the offsets of %s: %d %s", name, code, b)
	}
	if code, b := d.call("DELETE", "/connectors/"+name, nil); code >= 300 {
		d.t.Logf("Debezium worker: could not delete %s: %d %s", name, code, b)
	}
}
