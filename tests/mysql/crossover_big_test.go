package mysql

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
)

// TestCrossoverInsideLargeTransaction hands a MariaDB connector over between Debezium and
// connectd, both ways, at a random point inside a large transaction (seeded, logged;
// CONNECTD_CROSSOVER_SEED repeats a run): the first runtime is stopped with PUT /stop once it
// has written a random number of the transaction's events, and the second resumes from its
// offset (transaction_id, event and row counters inside the transaction). The table's topic
// must then hold every row exactly once, in order, with the run id changing once, inside the
// transaction; the transaction's END must count all its events, once.
func TestCrossoverInsideLargeTransaction(t *testing.T) {
	// The large transaction is one INSERT ... SELECT, which MariaDB logs as many rows events of
	// many rows each, so a handover can fall between events or between the rows of one event.
	// Both runtimes stream thousands of events while PUT /stop takes effect (more on a loaded
	// machine), so the transaction is large and the stop is requested early in it.
	for _, dir := range []struct {
		name          string
		debeziumFirst bool
		first, second string
		rows, stopDiv int // the stop is requested after rows/100 to rows/stopDiv events
	}{
		{"Debezium_to_connectd", true, "Debezium", "connectd", 60000, 10},
		{"connectd_to_Debezium", false, "connectd", "Debezium", 60000, 20},
	} {
		t.Run(dir.name, func(t *testing.T) {
			x := newCrossover(t, false)
			x.bigRows = dir.rows
			dbz := x.debezium
			stopAt := 3 + crossoverPoint(t, x.bigRows/100, x.bigRows/dir.stopDiv)
			var w *e2e.Worker
			if dir.debeziumFirst {
				dbz.Create(x.name, x.cfg)
				dbz.WaitTask(x.name, "RUNNING")
			} else {
				w = e2e.StartWorker(t, debezium.OffsetsTopic)
				w.Create(x.name, x.cfg)
				w.WaitState(x.name, "RUNNING")
			}
			x.c.WaitFor(x.topic, 3)
			x.d.Exec(fmt.Sprintf("INSERT INTO t SELECT seq, CONCAT('row ', seq) FROM mysql.seq_%d_to_%d", 100, 100+x.bigRows-1))
			x.c.WaitFor(x.topic, stopAt)
			var offsets string
			if dir.debeziumFirst {
				dbz.Stop(x.name)
				offsets = dbz.Offsets(x.name)
				t.Logf("Debezium stopped with offsets %s", offsets)
			} else {
				if code, b := w.Call("PUT", "/connectors/"+x.name+"/stop", nil); code >= 300 {
					t.Fatalf("PUT /connectors/%s/stop: %d %s", x.name, code, b)
				}
				w.WaitState(x.name, "NO_TASK")
				_, b := w.Call("GET", "/connectors/"+x.name+"/offsets", nil)
				offsets = string(b)
				t.Logf("connectd stopped with offsets %s", offsets)
				w.Stop()
			}
			x.d.Exec("INSERT INTO t VALUES (8,'eight')") // while nothing runs
			if dir.debeziumFirst {
				w = e2e.StartWorker(t, debezium.OffsetsTopic)
				w.Create(x.name, x.cfg)
				w.WaitState(x.name, "RUNNING")
			} else {
				dbz.Create(x.name, x.cfg)
				dbz.WaitTask(x.name, "RUNNING")
			}
			x.d.Exec("BEGIN", "INSERT INTO t VALUES (9,'nine')", "INSERT INTO t VALUES (10,'ten')", "COMMIT")
			x.checkBig(dir.first, dir.second, x.resumeIndex(offsets))
		})
	}
}

// crossoverPoint returns a random number in [lo, hi], seeded from CONNECTD_CROSSOVER_SEED or
// else the clock, and logs the seed so that a failing handover can be repeated.
func crossoverPoint(t *testing.T, lo, hi int) int {
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

// checkBig asserts the table's topic holds rows 1-3 (snapshot), the large transaction's rows,
// 8, 9 and 10, in order: the first runtime's records without gap or duplicate, the second's
// from resume (the index of the record after the first runtime's committed offset) to the end;
// that the run id changed once, inside the large transaction; and that the large transaction
// has one END counting all its events.
func (x *crossover) checkBig(first, second string, resume int) {
	t := x.t
	t.Helper()
	var want []string
	for id := 1; id <= 3; id++ {
		want = append(want, fmt.Sprintf("r %d", id))
	}
	for id := 100; id < 100+x.bigRows; id++ {
		want = append(want, fmt.Sprintf("c %d", id))
	}
	for _, id := range []int{8, 9, 10} {
		want = append(want, fmt.Sprintf("c %d", id))
	}
	x.c.WaitFor(x.topic, len(want))
	x.c.Settle(3 * time.Second) // a duplicate would show up by now
	recs := x.c.Records(x.topic)
	got := make([]string, 0, len(recs))
	bigTx := ""
	orderErr := map[int]string{} // record index: what is wrong with its transaction block
	for i, r := range recs {
		var v struct {
			Op    string
			After struct {
				ID int
				V  string
			}
			Transaction *struct {
				ID         string
				TotalOrder int `json:"total_order"`
			}
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("record %d: %.300s: %v", i, r.Value, err)
		}
		got = append(got, fmt.Sprintf("%s %d", v.Op, v.After.ID))
		if v.After.ID >= 100 && v.Transaction != nil {
			if bigTx == "" {
				bigTx = v.Transaction.ID
			}
			if want := v.After.ID - 100 + 1; v.Transaction.ID != bigTx || v.Transaction.TotalOrder != want {
				orderErr[i] = fmt.Sprintf("record %d (row %d): transaction %s total_order %d, want %s and %d", i, v.After.ID, v.Transaction.ID, v.Transaction.TotalOrder, bigTx, want)
			}
		}
	}
	// The first runtime's records must be the workload's first ones, without gap or duplicate;
	// the second's must continue from resume, the record after the first runtime's committed
	// offset, to the end. Records the first runtime wrote after its committed offset are written
	// again: Kafka Connect delivers at least once, and a task stopped with records in flight
	// commits only the offsets of those acknowledged.
	at := handover(recs)
	for i := range min(at, len(want)) {
		if got[i] != want[i] {
			t.Fatalf("topic %s record %d: %s, want %s (written by %s, which handed over to %s at record %d)", x.topic, i, got[i], want[i], first, second, at)
		}
	}
	if at <= 3 || at >= 3+x.bigRows {
		t.Fatalf("%s handed over to %s at record %d, want inside the large transaction (records 4-%d)", first, second, at, 3+x.bigRows-1)
	}
	if first == "connectd" && resume != at {
		t.Fatalf("connectd wrote records 0-%d but its committed offset resumes at record %d: PUT /stop must commit the offset of every record written", at-1, resume)
	}
	if resume > at || resume < 3 {
		t.Fatalf("%s's committed offset resumes at record %d, but it wrote records 0-%d: a gap", first, resume, at-1)
	}
	if len(got)-at != len(want)-resume {
		t.Fatalf("topic %s: %s wrote %d records from record %d, want %d (from row %s on)", x.topic, second, len(got)-at, at, len(want)-resume, want[resume])
	}
	for i := at; i < len(got); i++ {
		if w := want[resume+i-at]; got[i] != w {
			t.Fatalf("topic %s record %d: %s, want %s (the first difference after %s resumed from %s's offset at %s)", x.topic, i, got[i], w, second, first, want[resume])
		}
	}
	// transaction.total_order numbers the transaction's events 1..n across the handover. Only
	// connectd is held to it as the second runtime: Debezium 3.5, resuming inside a transaction
	// from connectd's offset, starts again at 1 and its END counts only what it wrote after the
	// resumption, which is logged.
	var orderNote string
	for i := range len(recs) {
		if e, bad := orderErr[i]; bad {
			if i < at || second == "connectd" {
				t.Fatal(e)
			}
			if orderNote == "" {
				orderNote = e
			}
		}
	}
	if orderNote != "" {
		t.Logf("%s's transaction block after the handover: %s", second, orderNote)
	}
	firstRun, secondRun := header(recs[0], debezium.RunIDHeader), header(recs[len(recs)-1], debezium.RunIDHeader)
	for i, r := range recs {
		want := firstRun
		if i >= at {
			want = secondRun
		}
		if h := header(r, debezium.RunIDHeader); h != want {
			t.Fatalf("record %d (%s) has run id %q, want %q: the run id changes more than once", i, got[i], h, want)
		}
	}
	var begins, ends []string
	for _, r := range x.c.Records(x.txTopic) {
		var v struct {
			Status     string
			ID         string
			EventCount *int `json:"event_count"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%.300s: %v", r.Value, err)
		}
		if v.ID != bigTx {
			continue
		}
		switch {
		case v.Status == "BEGIN":
			begins = append(begins, string(r.Value))
		case v.Status == "END" && v.EventCount != nil:
			ends = append(ends, strconv.Itoa(*v.EventCount))
		}
	}
	if second != "connectd" {
		t.Logf("transaction %s: %s wrote END records counting %v events", bigTx, second, ends)
	} else if len(ends) != 1 || ends[0] != strconv.Itoa(x.bigRows) {
		t.Errorf("transaction %s: END records counting %v events, want one counting %d", bigTx, ends, x.bigRows)
	}
	t.Logf("%s wrote records 0-%d, %s records %d-%d from its offset at record %d (handover inside the large transaction, after %d of its %d events; %d records written again past the committed offset; %d BEGIN records for it); no gap, no duplicate past the offset",
		first, at-1, second, at, len(recs)-1, resume, at-3, x.bigRows, at-resume, len(begins))
}

// resumeIndex returns the index in the table's topic of the first record a runtime resuming
// from offsets (GET /connectors/{c}/offsets) writes: inside the large transaction, the three
// snapshot records plus the events the offset's per-table counter says were written; after it
// (no transaction_id), the end of the transaction.
func (x *crossover) resumeIndex(offsets string) int {
	x.t.Helper()
	var o struct {
		Offsets []struct {
			Offset map[string]any
		}
	}
	if err := json.Unmarshal([]byte(offsets), &o); err != nil || len(o.Offsets) != 1 {
		x.t.Fatalf("offsets %s: want one (%v)", offsets, err)
	}
	off := o.Offsets[0].Offset
	if _, inTx := off["transaction_id"]; !inTx {
		return 3 + x.bigRows
	}
	n, ok := off["transaction_data_collection_order_"+x.d.Name+".t"].(float64)
	if !ok {
		x.t.Fatalf("offset %v inside a transaction has no counter for table %s.t", off, x.d.Name)
	}
	return 3 + int(n)
}
