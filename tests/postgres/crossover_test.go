package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// debeziumPGClass is the connector the crossover tests run on the Debezium reference worker
// (package debezium) and on ours, under the same name and on its offsets topic.
const debeziumPGClass = "io.debezium.connector.postgresql.PostgresConnector"

// TestCrossoverDebeziumToConnectd: Debezium snapshots and streams a table, is stopped (so it
// commits its offsets to dbz-offsets) while it streams a large transaction, rows change while
// nothing runs, and connectd starts the same connector (same name, slot and publication, offsets
// read from dbz-offsets). Its topic must then hold every change exactly once: Debezium's
// snapshot and stream, then ours from the first change after Debezium's last one, with no new
// snapshot, no gap and no duplicate, and the large transaction's BEGIN from Debezium and its END
// from connectd counting all of its events.
func TestCrossoverDebeziumToConnectd(t *testing.T) {
	x := newCrossover(t)
	dbz := x.debezium
	x.insert(1, 5)
	dbz.Create(x.name, x.cfg)
	dbz.WaitTask(x.name, "RUNNING")
	x.c.WaitFor(x.topic, 5)
	x.insert(6, 7)
	x.insertTx(8, 10)
	x.c.WaitFor(x.topic, 10)
	x.insertBig()
	x.c.WaitFor(x.topic, x.stopAt) // stop while the large transaction streams
	dbz.Stop(x.name)
	x.p.waitSlotInactive()
	t.Logf("Debezium stopped with offsets %s", dbz.Offsets(x.name))

	x.insert(11, 12) // while nothing runs: ours must pick these up from the slot
	w := e2e.StartWorker(t, debezium.OffsetsTopic)
	w.Create(x.name, x.cfg)
	w.WaitState(x.name, "RUNNING")
	x.insert(13, 13)
	x.insertTx(14, 15)
	x.check("Debezium", "connectd")
}

// TestCrossoverConnectdToDebezium is the reverse: connectd snapshots and streams, is stopped
// (offsets flushed to dbz-offsets) while it streams a large transaction if it is not done by
// then, rows change, and Debezium starts the same connector from our offsets. Debezium must
// neither snapshot again nor repeat or skip a change.
func TestCrossoverConnectdToDebezium(t *testing.T) {
	x := newCrossover(t)
	dbz := x.debezium
	x.insert(1, 5)
	w := e2e.StartWorker(t, debezium.OffsetsTopic)
	w.Create(x.name, x.cfg)
	w.WaitState(x.name, "RUNNING")
	x.c.WaitFor(x.topic, 5)
	x.insert(6, 7)
	x.insertTx(8, 10)
	x.c.WaitFor(x.topic, 10)
	x.insertBig()
	x.c.WaitFor(x.topic, x.stopAt)
	// PUT /stop, as an operator would before handing the connector over: the task stops and
	// commits its offsets; then the worker goes away.
	if code, b := w.Call("PUT", "/connectors/"+x.name+"/stop", nil); code >= 300 {
		t.Fatalf("PUT /connectors/%s/stop: %d %s", x.name, code, b)
	}
	w.WaitState(x.name, "NO_TASK")
	_, offsets := w.Call("GET", "/connectors/"+x.name+"/offsets", nil)
	t.Logf("connectd stopped with offsets %s", offsets)
	w.Stop()
	x.p.waitSlotInactive()

	x.insert(11, 12)
	dbz.Create(x.name, x.cfg)
	dbz.WaitTask(x.name, "RUNNING")
	x.insert(13, 13)
	x.insertTx(14, 15)
	x.check("connectd", "Debezium")
}

// crossover is one crossover test's table, connector and topic.
type crossover struct {
	t        *testing.T
	p        *pg
	debezium *debezium.Worker
	name     string
	cfg      map[string]string
	topic    string // the table's change events
	txTopic  string // BEGIN and END records
	c        *e2e.Consumer
	// stopAt is how many records the first runtime must have written before it is stopped:
	// a random point in the first part of the large transaction (see handoverPoint).
	stopAt int
}

func newCrossover(t *testing.T) *crossover {
	t.Helper()
	kafka := testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumPGClass)
	p := newPG(t)
	p.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, v text NOT NULL)`, p.schema))
	prefix := "srv_" + p.name
	x := &crossover{t: t, p: p, debezium: dbz, name: "xo-" + p.name, topic: prefix + "." + p.schema + ".t",
		txTopic: prefix + ".transaction"}
	// One configuration for both runtimes, as a user migrating would keep it. The publication
	// holds only this table (filtered), so Debezium's publication never reaches other tests'
	// tables; JSON without schemas keeps the assertions short. Transaction metadata puts
	// transaction_id and the per-table counters into the offsets each side must read.
	x.cfg = p.config(prefix, append([]string{
		"table.include.list", p.schema + ".t",
		"publication.autocreate.mode", "filtered",
		"snapshot.mode", "initial",
		"provide.transaction.metadata", "true"}, schemalessJSON...)...)
	delete(x.cfg, "poll.interval.ms") // a connectd-only tuning Debezium would log as unknown
	t.Cleanup(func() {
		// Remove the connector from the Debezium worker with its offsets (Kafka Connect refuses to
		// delete the offsets of a running connector, so stop it first), then the topics.
		dbz.Remove(x.name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{prefix}, nil); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	x.c = e2e.NewConsumer(t, x.topic, x.txTopic)
	x.stopAt = 10 + handoverPoint(t, bigRows/100, bigRows/10)
	return x
}

// handoverPoint returns a random number in [lo, hi], seeded from CONNECTD_CROSSOVER_SEED or
// else the clock, and logs the seed so that a failing handover can be repeated.
func handoverPoint(t *testing.T, lo, hi int) int {
	t.Helper()
	seed := time.Now().UnixNano()
	if s := os.Getenv("CONNECTD_CROSSOVER_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("CONNECTD_CROSSOVER_SEED=%q is not an integer: %v", s, err)
		}
		seed = v
	}
	n := lo + rand.New(rand.NewSource(seed)).Intn(hi-lo+1)
	t.Logf("handover requested after %d events of the large transaction (seed %d; CONNECTD_CROSSOVER_SEED=%d repeats it)", n, seed, seed)
	return n
}

// insert adds rows from..to, one autocommit statement each.
func (x *crossover) insert(from, to int) {
	x.t.Helper()
	for id := from; id <= to; id++ {
		x.p.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (%d, 'row %d')`, x.p.schema, id, id))
	}
}

// insertTx adds rows from..to in one transaction, one statement per row.
func (x *crossover) insertTx(from, to int) {
	x.t.Helper()
	var b strings.Builder
	b.WriteString("BEGIN;")
	for id := from; id <= to; id++ {
		fmt.Fprintf(&b, `INSERT INTO %s.t VALUES (%d, 'row %d');`, x.p.schema, id, id)
	}
	b.WriteString("COMMIT")
	x.p.exec(b.String())
}

// bigRows is the size of the large transaction (ids bigFirst...), long enough to stream that the
// first runtime is usually stopped in the middle of it: its offset then points inside the
// transaction (lsn_commit before lsn), and the second runtime must skip exactly the events
// already written.
const (
	bigRows  = 20000
	bigFirst = 100
)

// insertBig adds rows bigFirst.. in one transaction, one statement.
func (x *crossover) insertBig() {
	x.t.Helper()
	x.p.exec(fmt.Sprintf(`INSERT INTO %s.t SELECT g, 'row ' || g FROM generate_series(%d, %d) g`,
		x.p.schema, bigFirst, bigFirst+bigRows-1))
}

// check waits for every change and asserts the topic holds each row exactly once and in the
// order of the workload: rows 1-5 read by the first runtime's snapshot (op r), then 6-10, the
// large transaction and 11-15 streamed (op c). The first records carry the first runtime's run
// id, the rest the second's: the handover is where the run id changes, once.
func (x *crossover) check(first, second string) {
	t := x.t
	t.Helper()
	var ids []int
	for id := 1; id <= 10; id++ {
		ids = append(ids, id)
	}
	for id := bigFirst; id < bigFirst+bigRows; id++ {
		ids = append(ids, id)
	}
	for id := 11; id <= 15; id++ {
		ids = append(ids, id)
	}
	x.c.WaitFor(x.topic, len(ids))
	x.c.Settle(3 * time.Second) // a duplicate or a second snapshot would show up by now
	recs := x.c.Records(x.topic)
	var got, want []string
	for i, r := range recs {
		var v struct {
			Op    string
			After struct {
				ID int
				V  string
			}
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("record %d: %.300s: %v", i, r.Value, err)
		}
		got = append(got, fmt.Sprintf("%s %s %d %s", r.Key, v.Op, v.After.ID, v.After.V))
	}
	for _, id := range ids {
		op := "c"
		if id <= 5 {
			op = "r"
		}
		want = append(want, fmt.Sprintf(`{"id":%d} %s %d row %d`, id, op, id, id))
	}
	if len(got) != len(want) {
		t.Errorf("topic %s: %d records, want %d", x.topic, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("topic %s record %d: %s, want %s (the first difference; %s handed over to %s at record %d)",
				x.topic, i, got[i], want[i], first, second, handover(recs))
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	x.checkTransactions(recs)
	// Who wrote what: one run id for the first runtime's records, another for the second's.
	at := handover(recs)
	firstRun, secondRun := header(recs[0], debezium.RunIDHeader), header(recs[len(recs)-1], debezium.RunIDHeader)
	if firstRun == secondRun {
		t.Fatalf("run ids: %s wrote %q, %s wrote %q from record %d on; want two different ones", first, firstRun, second, secondRun, at)
	}
	// The handover must fall inside the large transaction: the second runtime resumes from an
	// offset in the middle of it (lsn_commit ahead of lsn) and must skip exactly what the first
	// wrote. A handover after it would leave that untested.
	if at < x.stopAt || at >= 10+bigRows {
		t.Fatalf("%s handed over to %s at record %d, want inside the large transaction (records %d-%d) and not before the %d requested",
			first, second, at, 11, 10+bigRows-1, x.stopAt)
	}
	for i, r := range recs {
		want := firstRun
		if i >= at {
			want = secondRun
		}
		if h := header(r, debezium.RunIDHeader); h != want {
			t.Fatalf("record %d (%s) has run id %q, want %q: the run id changes more than once", i, got[i], h, want)
		}
	}
	where := fmt.Sprintf("inside the large transaction, after %d of its %d events", at-10, bigRows)
	t.Logf("%s wrote records 0-%d, %s records %d-%d (handover %s); no gap, no duplicate",
		first, at-1, second, at, len(recs)-1, where)
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

// checkTransactions asserts that every streamed transaction has exactly one BEGIN and one END
// on the transaction topic, across the handover, with its own events counted and numbered
// 1..n (transaction.total_order) on the change events.
func (x *crossover) checkTransactions(changes []*kgo.Record) {
	t := x.t
	t.Helper()
	type txRecord struct {
		Status     string
		ID         string
		EventCount *int `json:"event_count"`
	}
	var got []string
	for _, r := range x.c.Records(x.txTopic) {
		var v txRecord
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%.300s: %v", r.Value, err)
		}
		txID, _, _ := strings.Cut(v.ID, ":")
		if v.EventCount != nil {
			got = append(got, fmt.Sprintf("%s %s %d", txID, v.Status, *v.EventCount))
		} else {
			got = append(got, txID+" "+v.Status)
		}
	}
	// The streamed transactions in the order and with the server's transaction numbers
	// (source.txId) the change events show.
	var txs []string
	counts := map[string]int{}
	var orders []string
	for _, r := range changes {
		var v struct {
			Source      struct{ TxID int64 }
			Transaction *struct {
				TotalOrder int64 `json:"total_order"`
			}
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatal(err)
		}
		if v.Transaction == nil {
			continue // the snapshot's events carry no transaction
		}
		tx := fmt.Sprint(v.Source.TxID)
		if counts[tx] == 0 {
			txs = append(txs, tx)
		}
		counts[tx]++
		orders = append(orders, fmt.Sprint(v.Transaction.TotalOrder))
	}
	var want []string
	for _, tx := range txs {
		want = append(want, tx+" BEGIN", fmt.Sprintf("%s END %d", tx, counts[tx]))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("topic %s:\n got:\n  %s\nwant:\n  %s", x.txTopic, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	var wantOrders []string
	for _, tx := range txs {
		for i := 1; i <= counts[tx]; i++ {
			wantOrders = append(wantOrders, fmt.Sprint(i))
		}
	}
	if o, w := strings.Join(orders, " "), strings.Join(wantOrders, " "); o != w {
		t.Errorf("transaction.total_order of the streamed events:\n got %.400s\nwant %.400s", o, w)
	}
	// Rows 6, 7, 8-10, the large transaction, 11, 12, 13, 14-15.
	if len(txs) != 8 || counts[txs[3]] != bigRows {
		t.Errorf("the streamed rows came in transactions of %v events, want 1 1 3 %d 1 1 1 2", counts, bigRows)
	}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// waitSlotInactive waits until no walsender holds the test's slot, so the next runtime can take it.
func (p *pg) waitSlotInactive() {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for p.value(fmt.Sprintf(`SELECT active FROM pg_replication_slots WHERE slot_name = '%s'`, p.slot)) == "t" {
		if time.Now().After(deadline) {
			p.t.Fatalf("slot %s is still in use a minute after its connector stopped", p.slot)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMain stops the Debezium reference worker after the package's tests if they started it,
// so its JVM does not hold memory while the next packages' tests run.
func TestMain(m *testing.M) {
	code := m.Run()
	debezium.StopIfStarted()
	os.Exit(code)
}
