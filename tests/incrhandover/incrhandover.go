// Package incrhandover drives the incremental snapshot hand-over tests of the MariaDB and
// PostgreSQL suites: one incremental snapshot under two runtimes, the first (connectd or
// Debezium) starts it through the signal table, is paused and stopped in the middle, and the
// second, started on the same connector name and offsets, finishes it from the
// incremental_snapshot_* fields of the first's offset, as a user migrating between connectd and
// Debezium would. A writer inserts, updates and deletes rows of the table all along. The suites
// give the database's side (tables, statements, configuration); the driver does the rest.
package incrhandover

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/incrtest"
	"github.com/connectd/connectd/tests/testbed"
)

const (
	// Rows is how many rows table big holds at the start (keys 1 to Rows, v 0).
	Rows = 10000
	// Chunk is the connector's incremental.snapshot.chunk.size.
	Chunk = 100
	// steps is how many times the first runtime starts or resumes the snapshot and is paused
	// again at once: it reads about one chunk each time.
	steps = 3
)

// Test is one hand-over test's database, connector and topics. The suite fills in the exported
// fields and calls Start.
type Test struct {
	// T is the test.
	T *testing.T
	// Dbz is the Debezium reference worker.
	Dbz *debezium.Worker
	// Name is the connector's name; Config its configuration, one for both runtimes: no
	// initial snapshot, the signal table dbz_signal, chunks of Chunk rows and the notifications
	// on topic Notify, in JSON without schemas.
	Name   string
	Config map[string]string
	// Topic is table big's change events, Done table done's (a row there marks a point in the
	// log), Notify the notification sink topic.
	Topic, Done, Notify string
	// Prefix is the topic prefix whose topics the cleanup deletes, with the topics History.
	Prefix  string
	History []string
	// Collection is table big as the signal's data-collections names it.
	Collection string
	// Table returns how the statements name one of the test's tables (big, dbz_signal, done).
	Table func(name string) string
	// Exec runs statements in turn; Tx runs them in one transaction.
	Exec, Tx func(qs ...string)
	// Query returns the rows of a query as text.
	Query func(sql string) [][]string
	// StartWriter starts a writer that inserts (inside and beyond the key range), updates and
	// deletes rows of table big on a connection of its own.
	StartWriter func() *incrtest.Writer
	// CheckCollections fails the test unless off, the first runtime's committed offset, holds
	// table big alone in its incremental_snapshot_collections field and correlation id ih-1.
	CheckCollections func(runtime string, off map[string]any)
	// Released, when set, waits after a runtime stops until the next one may take over.
	Released func()

	c  *e2e.Consumer
	wr *incrtest.Writer
	// Set by handedOver: where the first runtime's records end and the chunk key its offset
	// says the snapshot has emitted up to.
	firstRecords, firstNotes int
	resumeAfter              int64
	doneSeq                  int
	// alive fails the test at once when the runtime running now has failed.
	alive func()
}

// Start registers the test's cleanup (writer, Debezium's connector, topics) and starts reading
// its topics.
func (h *Test) Start() {
	t := h.T
	t.Helper()
	kafka := testbed.Kafka(t)
	t.Cleanup(func() {
		if h.wr != nil {
			_ = h.wr.Halt()
		}
		h.Dbz.Remove(h.Name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{h.Prefix}, h.History); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	h.c = e2e.NewConsumer(t, h.Topic, h.Done, h.Notify)
}

// ConnectdToDebezium runs the test with connectd starting the snapshot and Debezium finishing it.
func (h *Test) ConnectdToDebezium() {
	t := h.T
	t.Helper()
	w := e2e.StartWorker(t, debezium.OffsetsTopic)
	w.Create(h.Name, h.Config)
	w.WaitState(h.Name, "RUNNING")
	h.first("connectd")
	if code, b := w.Call("PUT", "/connectors/"+h.Name+"/stop", nil); code >= 300 {
		t.Fatalf("PUT /connectors/%s/stop: %d %s", h.Name, code, b)
	}
	w.WaitState(h.Name, "NO_TASK")
	_, offsets := w.Call("GET", "/connectors/"+h.Name+"/offsets", nil)
	w.Stop()
	h.released()
	h.handedOver("connectd", string(offsets))

	h.Dbz.Create(h.Name, h.Config)
	h.Dbz.WaitTask(h.Name, "RUNNING")
	h.alive = h.dbzAlive
	h.second("Debezium")
}

// DebeziumToConnectd runs the test with Debezium starting the snapshot and connectd finishing it.
func (h *Test) DebeziumToConnectd() {
	t := h.T
	t.Helper()
	h.Dbz.Create(h.Name, h.Config)
	h.Dbz.WaitTask(h.Name, "RUNNING")
	h.alive = h.dbzAlive
	h.first("Debezium")
	h.Dbz.Stop(h.Name)
	h.released()
	h.handedOver("Debezium", h.Dbz.Offsets(h.Name))

	w := e2e.StartWorker(t, debezium.OffsetsTopic)
	w.Create(h.Name, h.Config)
	w.WaitState(h.Name, "RUNNING")
	h.second("connectd")
}

func (h *Test) released() {
	if h.Released != nil {
		h.Released()
	}
}

// first runs the first runtime's part: once it streams, the writer starts and the snapshot is
// signalled together with pause-snapshot (one transaction), then resumed and paused again
// (one transaction each) steps-1 times. Both runtimes read a chunk when a snapshot starts or
// resumes before they look at the next signal, so the snapshot is a few chunks in, mid-way,
// whatever the machine's speed. A row of table done then marks a log position after the last
// pause, so the offset the runtime commits when it stops lies beyond it.
func (h *Test) first(runtime string) {
	t := h.T
	t.Helper()
	h.mark() // the runtime streams
	h.wr = h.StartWriter()
	sig := func(id, typ, data string) string {
		if data == "" {
			return "INSERT INTO " + h.Table("dbz_signal") + " VALUES ('" + id + "', '" + typ + "', NULL)"
		}
		return "INSERT INTO " + h.Table("dbz_signal") + " VALUES ('" + id + "', '" + typ + "', '" + data + "')"
	}
	exec := sig("ih-1", "execute-snapshot", `{"data-collections": ["`+h.Collection+`"], "type": "incremental"}`)
	h.Tx(exec, sig("ih-pause-1", "pause-snapshot", ""))
	h.waitNotes(0, "PAUSED", 1)
	for step := 2; step <= steps; step++ {
		h.waitNotes(0, "IN_PROGRESS", step-1) // the chunk in flight is read
		n := strconv.Itoa(step)
		h.Tx(sig("ih-resume-"+n, "resume-snapshot", ""), sig("ih-pause-"+n, "pause-snapshot", ""))
		h.waitNotes(0, "PAUSED", step)
	}
	h.mark()
	t.Logf("%s paused the snapshot after %d read events", runtime, h.reads(h.c.Records(h.Topic)))
}

// dbzAlive fails the test when Debezium's task has failed.
func (h *Test) dbzAlive() {
	h.T.Helper()
	if _, task, trace := h.Dbz.Status(h.Name); task == "FAILED" {
		h.T.Fatalf("Debezium's task failed: %s", trace)
	}
}

// handedOver checks the first runtime's committed offset holds a running snapshot and notes
// where its records end.
func (h *Test) handedOver(runtime, offsets string) {
	t := h.T
	t.Helper()
	t.Logf("%s stopped with offsets %s", runtime, offsets)
	var resp struct {
		Offsets []struct {
			Offset map[string]any
		}
	}
	if err := json.Unmarshal([]byte(offsets), &resp); err != nil || len(resp.Offsets) != 1 {
		t.Fatalf("GET /connectors/%s/offsets: %v, want one partition's offset", h.Name, err)
	}
	off := resp.Offsets[0].Offset
	h.CheckCollections(runtime, off)
	pk, _ := off[source.OffIncPrimaryKey].(string)
	key, err := source.DecodeJavaKey(pk)
	if err != nil || len(key) != 1 {
		t.Fatalf("%s's %s = %q: %v, want a serialized key of one Integer", runtime, source.OffIncPrimaryKey, pk, err)
	}
	k, ok := key[0].(int32)
	if !ok {
		t.Fatalf("%s's %s is %T %v, want an Integer", runtime, source.OffIncPrimaryKey, key[0], key[0])
	}
	max, _ := off[source.OffIncMaximumKey].(string)
	if mk, err := source.DecodeJavaKey(max); err != nil || len(mk) != 1 {
		t.Fatalf("%s's %s = %q: %v %v, want a serialized key of one Integer", runtime, source.OffIncMaximumKey, max, mk, err)
	} else if _, ok := mk[0].(int32); !ok {
		t.Fatalf("%s's %s is %T %v, want an Integer", runtime, source.OffIncMaximumKey, mk[0], mk[0])
	}
	h.resumeAfter = int64(k)
	h.c.Settle(time.Second)
	h.firstRecords, h.firstNotes = len(h.c.Records(h.Topic)), len(h.c.Records(h.Notify))
	if int(k) >= Rows {
		t.Fatalf("%s's offset says the snapshot emitted up to key %d of %d: not mid-way", runtime, k, Rows)
	}
}

// second waits until the second runtime completes the snapshot, stops the writer, and checks
// that the latest event of every key is the table's row, that the second runtime continued
// after the first's position (no read event at or before the offset's key), and that every row
// the writer left alone was read by one runtime or the other.
func (h *Test) second(runtime string) {
	t := h.T
	t.Helper()
	h.waitNotes(h.firstNotes, "COMPLETED", 1)
	if err := h.wr.Halt(); err != nil {
		t.Fatalf("writer: %v", err)
	}
	h.mark()
	recs := DrainTopic(t, h.c, h.Topic)
	firstReads, secondReads := h.reads(recs[:h.firstRecords]), h.reads(recs[h.firstRecords:])
	minID := int64(-1)
	for _, r := range recs[h.firstRecords:] {
		if id, ok := ReadID(t, r); ok && (minID < 0 || id < minID) {
			minID = id
		}
	}
	t.Logf("%d writes; read events: first runtime %d, %s %d (keys from %d, its offset's key %d)",
		h.wr.Changes(), firstReads, runtime, secondReads, minID, h.resumeAfter)
	if secondReads == 0 {
		t.Fatalf("%s completed the snapshot without a read event", runtime)
	}
	if minID <= h.resumeAfter {
		t.Errorf("%s read key %d, at or before %d where the first runtime's offset says the snapshot was: it did not continue from the offset", runtime, minID, h.resumeAfter)
	}
	if total := firstReads + secondReads; total > Rows+Rows/10+2*Chunk {
		t.Errorf("%d read events in all for a table of at most %d rows", total, Rows+Rows/10)
	}
	// Every key the writer never touched must have been read, by one runtime or the other.
	read := map[int64]bool{}
	for _, r := range recs {
		if id, ok := ReadID(t, r); ok {
			read[id] = true
		}
	}
	untouched := 0
	for _, row := range h.Query("SELECT id FROM " + h.Table("big") + " WHERE v = 0") {
		id, _ := strconv.ParseInt(row[0], 10, 64)
		untouched++
		if !read[id] {
			t.Fatalf("row %d, never changed, has no read event: the snapshot lost it in the hand-over", id)
		}
	}
	h.checkLatest(recs)
	t.Logf("the %d rows the writer left alone were all read; the latest event of every key equals the table", untouched)
}

// checkLatest compares the latest event of every key with table big.
func (h *Test) checkLatest(recs []*kgo.Record) {
	t := h.T
	t.Helper()
	events := make([]incrtest.Event, 0, len(recs))
	for _, r := range recs {
		var k struct{ ID json.Number }
		if err := json.Unmarshal(r.Key, &k); err != nil {
			t.Fatalf("key %s: %v", r.Key, err)
		}
		e := incrtest.Event{Key: k.ID.String(), Deleted: true}
		if r.Value != nil {
			var v struct {
				Op    string
				After *struct{ V json.Number }
			}
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatalf("%.300s: %v", r.Value, err)
			}
			if v.Op != "d" && v.After != nil {
				e = incrtest.Event{Key: e.Key, Value: v.After.V.String()}
			}
		}
		events = append(events, e)
	}
	table := map[string]string{}
	for _, row := range h.Query("SELECT id, v FROM " + h.Table("big")) {
		table[row[0]] = row[1]
	}
	incrtest.CheckLatest(t, events, table)
}

// mark inserts a row into table done and waits until its change event is in the topic: the
// runtime has streamed every change before it. A runtime that has just started may not stream
// yet (a task is RUNNING before its stream has a position), so a row that does not show up
// within a few seconds is followed by another.
func (h *Test) mark() {
	h.T.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h.doneSeq++
		h.Exec(fmt.Sprintf("INSERT INTO %s VALUES (%d)", h.Table("done"), h.doneSeq))
		want := fmt.Sprintf(`{"id":%d}`, h.doneSeq)
		for retry := time.Now().Add(5 * time.Second); time.Now().Before(retry); {
			for _, r := range h.c.Records(h.Done) {
				if string(r.Key) == want {
					return
				}
			}
			if h.alive != nil {
				h.alive()
			}
			h.c.Settle(200 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			h.T.Fatalf("topic %s: no event of row %d of table done after two minutes", h.Done, h.doneSeq)
		}
	}
}

// reads counts the read events among recs.
func (h *Test) reads(recs []*kgo.Record) int {
	n := 0
	for _, r := range recs {
		if _, ok := ReadID(h.T, r); ok {
			n++
		}
	}
	return n
}

// waitNotes waits for n Incremental Snapshot notifications of type typ among the
// notification topic's records after its first from.
func (h *Test) waitNotes(from int, typ string, n int) {
	h.T.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		recs := h.c.Records(h.Notify)
		seen := 0
		for _, r := range recs[min(from, len(recs)):] {
			var n struct {
				Type          string
				AggregateType string `json:"aggregate_type"`
			}
			if json.Unmarshal(r.Value, &n) == nil && n.Type == typ && n.AggregateType == "Incremental Snapshot" {
				seen++
			}
		}
		if seen >= n {
			return
		}
		if h.alive != nil {
			h.alive()
		}
		if time.Now().After(deadline) {
			h.T.Fatalf("topic %s: %d %s notifications after three minutes, want %d; notifications:\n%s", h.Notify, seen, typ, n, e2e.Dump(recs))
		}
		h.c.Settle(200 * time.Millisecond)
	}
}

// DrainTopic waits until the consumer has read topic up to its end offsets and returns its
// records. A runtime writes each topic on its own, so a later record on another topic (a row of
// table done) does not say that this topic's last records are readable yet.
func DrainTopic(t *testing.T, c *e2e.Consumer, topic string) []*kgo.Record {
	t.Helper()
	c.Settle(time.Second)
	ends, err := e2e.Admin(t).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatalf("could not list the end offsets of %s: %v", topic, err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	return c.WaitFor(topic, int(total))
}

// ReadID returns the key (JSON {"id": n}) of a read event; false for any other record.
func ReadID(t *testing.T, r *kgo.Record) (int64, bool) {
	if r.Value == nil || !strings.Contains(string(r.Value), `"op":"r"`) {
		return 0, false
	}
	var k struct{ ID int64 }
	if err := json.Unmarshal(r.Key, &k); err != nil {
		t.Fatalf("key %s: %v", r.Key, err)
	}
	return k.ID, true
}
