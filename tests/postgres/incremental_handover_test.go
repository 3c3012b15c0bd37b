package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// The hand-over tests run one incremental snapshot under two runtimes: the first starts it
// (signal table), is paused and stopped in the middle, and the second, started on the same
// connector name, slot, publication and offsets topic, finishes it from the
// incremental_snapshot_* fields of the first's offset, as a user migrating between connectd and
// Debezium would. A writer inserts, updates and deletes rows of the table all along.
const (
	handoverRows  = 10000
	handoverChunk = 100
	// handoverSteps is how many times the first runtime starts or resumes the snapshot and is
	// paused again at once: it reads about one chunk each time.
	handoverSteps = 3
)

// TestIncrementalHandoverConnectdToDebezium: connectd starts the snapshot; Debezium finishes it.
func TestIncrementalHandoverConnectdToDebezium(t *testing.T) {
	h := newIncHandover(t)
	w := e2e.StartWorker(t, debezium.OffsetsTopic)
	w.Create(h.name, h.cfg)
	w.WaitState(h.name, "RUNNING")
	h.first("connectd")
	if code, b := w.Call("PUT", "/connectors/"+h.name+"/stop", nil); code >= 300 {
		t.Fatalf("PUT /connectors/%s/stop: %d %s", h.name, code, b)
	}
	w.WaitState(h.name, "NO_TASK")
	_, offsets := w.Call("GET", "/connectors/"+h.name+"/offsets", nil)
	w.Stop()
	h.p.waitSlotInactive()
	h.handedOver("connectd", string(offsets))

	h.dbz.Create(h.name, h.cfg)
	h.dbz.WaitTask(h.name, "RUNNING")
	h.alive = h.dbzAlive
	h.second("Debezium")
}

// TestIncrementalHandoverDebeziumToConnectd: Debezium starts the snapshot; connectd finishes it.
func TestIncrementalHandoverDebeziumToConnectd(t *testing.T) {
	h := newIncHandover(t)
	h.dbz.Create(h.name, h.cfg)
	h.dbz.WaitTask(h.name, "RUNNING")
	h.alive = h.dbzAlive
	h.first("Debezium")
	h.dbz.Stop(h.name)
	h.p.waitSlotInactive()
	h.handedOver("Debezium", h.dbz.Offsets(h.name))

	w := e2e.StartWorker(t, debezium.OffsetsTopic)
	w.Create(h.name, h.cfg)
	w.WaitState(h.name, "RUNNING")
	h.second("connectd")
}

// incHandover is one hand-over test's schema, connector and topics.
type incHandover struct {
	t      *testing.T
	p      *pg
	dbz    *debezium.Worker
	name   string
	cfg    map[string]string
	topic  string // table big's change events
	done   string // table done's: a row there marks a point in the log
	notify string // the notification sink topic
	c      *e2e.Consumer
	wr     *handoverWriter
	// Set by handedOver: where the first runtime's records end and the chunk key its offset
	// says the snapshot has emitted up to.
	firstRecords, firstNotes int
	resumeAfter              int64
	doneSeq                  int
	// alive fails the test at once when the runtime running now has failed.
	alive func()
}

func newIncHandover(t *testing.T) *incHandover {
	t.Helper()
	kafka := testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumPGClass)
	p := newPG(t)
	p.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (id int PRIMARY KEY, v int NOT NULL);
		INSERT INTO %[1]s.big SELECT g, 0 FROM generate_series(1, %[2]d) g;
		CREATE TABLE %[1]s.dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
		CREATE TABLE %[1]s.done (id int PRIMARY KEY)`, p.schema, handoverRows))
	prefix := "ih_" + p.name
	h := &incHandover{t: t, p: p, dbz: dbz, name: "ih-" + p.name, topic: prefix + "." + p.schema + ".big",
		done: prefix + "." + p.schema + ".done", notify: prefix + ".notifications"}
	// One configuration for both runtimes: the publication holds only this test's tables (the
	// signal table among them: its inserts come back through the log), no initial snapshot,
	// small chunks so the snapshot is mid-way when it is paused, and the notifications on a
	// topic, which says when each runtime paused and completed.
	h.cfg = p.config(prefix,
		"table.include.list", p.schema+".big,"+p.schema+".dbz_signal,"+p.schema+".done",
		"publication.autocreate.mode", "filtered",
		"snapshot.mode", "no_data",
		"signal.data.collection", p.schema+".dbz_signal",
		"incremental.snapshot.chunk.size", strconv.Itoa(handoverChunk),
		"notification.enabled.channels", "sink",
		"notification.sink.topic.name", h.notify,
		"key.converter", "org.apache.kafka.connect.json.JsonConverter",
		"value.converter", "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable", "false",
		"value.converter.schemas.enable", "false")
	delete(h.cfg, "poll.interval.ms") // a connectd-only tuning Debezium would log as unknown
	t.Cleanup(func() {
		if h.wr != nil {
			_ = h.wr.halt()
		}
		dbz.Remove(h.name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{prefix}, nil); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	h.c = e2e.NewConsumer(t, h.topic, h.done, h.notify)
	return h
}

// first runs the first runtime's part: once it streams, the writer starts and the snapshot is
// signalled together with pause-snapshot (one transaction), then resumed and paused again
// (one transaction each) handoverSteps-1 times. Both runtimes read a chunk when a snapshot
// starts or resumes before they look at the next signal, so the snapshot is a few chunks in,
// mid-way, whatever the machine's speed. A row of table done then marks a log position after
// the last pause, so the offset the runtime commits when it stops lies beyond it.
func (h *incHandover) first(runtime string) {
	t := h.t
	t.Helper()
	h.mark() // the runtime streams
	h.wr = startHandoverWriter(t, h.p)
	tx := func(qs ...string) {
		t.Helper()
		h.p.exec("BEGIN;" + strings.Join(qs, ";") + ";COMMIT")
	}
	sig := func(id, typ, data string) string {
		if data == "" {
			return fmt.Sprintf("INSERT INTO %s.dbz_signal VALUES ('%s', '%s', NULL)", h.p.schema, id, typ)
		}
		return fmt.Sprintf("INSERT INTO %s.dbz_signal VALUES ('%s', '%s', '%s')", h.p.schema, id, typ, data)
	}
	exec := sig("ih-1", "execute-snapshot", `{"data-collections": ["`+h.p.schema+`.big"], "type": "incremental"}`)
	tx(exec, sig("ih-pause-1", "pause-snapshot", ""))
	h.waitNotes(0, "PAUSED", 1)
	for step := 2; step <= handoverSteps; step++ {
		h.waitNotes(0, "IN_PROGRESS", step-1) // the chunk in flight is read
		n := strconv.Itoa(step)
		tx(sig("ih-resume-"+n, "resume-snapshot", ""), sig("ih-pause-"+n, "pause-snapshot", ""))
		h.waitNotes(0, "PAUSED", step)
	}
	h.mark()
	t.Logf("%s paused the snapshot after %d read events", runtime, h.reads(h.c.Records(h.topic)))
}

// dbzAlive fails the test when Debezium's task has failed.
func (h *incHandover) dbzAlive() {
	h.t.Helper()
	if _, task, trace := h.dbz.Status(h.name); task == "FAILED" {
		h.t.Fatalf("Debezium's task failed: %s", trace)
	}
}

// handedOver checks the first runtime's committed offset holds a running snapshot and notes
// where its records end.
func (h *incHandover) handedOver(runtime, offsets string) {
	t := h.t
	t.Helper()
	t.Logf("%s stopped with offsets %s", runtime, offsets)
	var resp struct {
		Offsets []struct {
			Offset map[string]any
		}
	}
	if err := json.Unmarshal([]byte(offsets), &resp); err != nil || len(resp.Offsets) != 1 {
		t.Fatalf("GET /connectors/%s/offsets: %v, want one partition's offset", h.name, err)
	}
	off := resp.Offsets[0].Offset
	// Debezium 3.7 adds each collection's correlation id to the list; the fields both write
	// must hold the same.
	var colls []map[string]*string
	s, _ := off[source.OffIncCollections].(string)
	if err := json.Unmarshal([]byte(s), &colls); err != nil || len(colls) != 1 || colls[0]["incremental_snapshot_collections_id"] == nil ||
		*colls[0]["incremental_snapshot_collections_id"] != h.p.schema+".big" || off[source.OffIncCorrelationID] != "ih-1" {
		t.Fatalf("%s's committed offset has %s = %v and %s = %v, want %s.big and ih-1: no snapshot to hand over",
			runtime, source.OffIncCollections, s, source.OffIncCorrelationID, off[source.OffIncCorrelationID], h.p.schema)
	}
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
	h.firstRecords, h.firstNotes = len(h.c.Records(h.topic)), len(h.c.Records(h.notify))
	if int(k) >= handoverRows {
		t.Fatalf("%s's offset says the snapshot emitted up to key %d of %d: not mid-way", runtime, k, handoverRows)
	}
}

// second waits until the second runtime completes the snapshot, stops the writer, and checks
// that the latest event of every key is the table's row, that the second runtime continued
// after the first's position (no read event at or before the offset's key), and that every row
// the writer left alone was read by one runtime or the other.
func (h *incHandover) second(runtime string) {
	t := h.t
	t.Helper()
	h.waitNotes(h.firstNotes, "COMPLETED", 1)
	if err := h.wr.halt(); err != nil {
		t.Fatalf("writer: %v", err)
	}
	h.mark()
	recs := drainTopic(t, h.c, h.topic)
	firstReads, secondReads := h.reads(recs[:h.firstRecords]), h.reads(recs[h.firstRecords:])
	minID := int64(-1)
	for _, r := range recs[h.firstRecords:] {
		if id, ok := readID(t, r); ok && (minID < 0 || id < minID) {
			minID = id
		}
	}
	t.Logf("%d writes; read events: first runtime %d, %s %d (keys from %d, its offset's key %d)",
		h.wr.n, firstReads, runtime, secondReads, minID, h.resumeAfter)
	if secondReads == 0 {
		t.Fatalf("%s completed the snapshot without a read event", runtime)
	}
	if minID <= h.resumeAfter {
		t.Errorf("%s read key %d, at or before %d where the first runtime's offset says the snapshot was: it did not continue from the offset", runtime, minID, h.resumeAfter)
	}
	if total := firstReads + secondReads; total > handoverRows+handoverRows/10+2*handoverChunk {
		t.Errorf("%d read events in all for a table of at most %d rows", total, handoverRows+handoverRows/10)
	}
	read := map[int64]bool{}
	for _, r := range recs {
		if id, ok := readID(t, r); ok {
			read[id] = true
		}
	}
	untouched := 0
	for _, row := range h.query(fmt.Sprintf("SELECT id FROM %s.big WHERE v = 0", h.p.schema)) {
		id, _ := strconv.ParseInt(row[0], 10, 64)
		untouched++
		if !read[id] {
			t.Fatalf("row %d, never changed, has no read event: the snapshot lost it in the hand-over", id)
		}
	}
	h.checkLatest(recs)
	t.Logf("the %d rows the writer left alone were all read; the latest event of every key equals the table", untouched)
}

// query returns the rows of a query as text.
func (h *incHandover) query(sql string) [][]string {
	h.t.Helper()
	res, err := h.p.conn.Exec(context.Background(), sql).ReadAll()
	if err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	var out [][]string
	for _, row := range res[len(res)-1].Rows {
		r := make([]string, len(row))
		for i, v := range row {
			r[i] = string(v)
		}
		out = append(out, r)
	}
	return out
}

// checkLatest compares the latest event of every key with table big.
func (h *incHandover) checkLatest(recs []*kgo.Record) {
	t := h.t
	t.Helper()
	latest := map[string]string{} // id -> v, "" once deleted
	for _, r := range recs {
		var k struct{ ID json.Number }
		if err := json.Unmarshal(r.Key, &k); err != nil {
			t.Fatalf("key %s: %v", r.Key, err)
		}
		if r.Value == nil {
			latest[k.ID.String()] = ""
			continue
		}
		var v struct {
			Op    string
			After *struct{ V json.Number }
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%.300s: %v", r.Value, err)
		}
		if v.Op == "d" || v.After == nil {
			latest[k.ID.String()] = ""
			continue
		}
		latest[k.ID.String()] = v.After.V.String()
	}
	table := map[string]string{}
	for _, row := range h.query(fmt.Sprintf("SELECT id, v FROM %s.big", h.p.schema)) {
		table[row[0]] = row[1]
	}
	bad := 0
	for id, v := range table {
		if got := latest[id]; got != v {
			if bad++; bad <= 5 {
				t.Errorf("key %s: the table has v=%s, the latest event %q (empty: none or deleted)", id, v, got)
			}
		}
	}
	for id, v := range latest {
		if _, ok := table[id]; !ok && v != "" {
			if bad++; bad <= 5 {
				t.Errorf("key %s was deleted but its latest event has v=%s", id, v)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d keys of %d differ between the topic and the table", bad, len(table))
	}
}

// mark inserts a row into table done and waits until its change event is in the topic: the
// runtime has streamed every change before it. A runtime that has just started may not stream
// yet (a task is RUNNING before its stream has a position), so a row that does not show up
// within a few seconds is followed by another.
func (h *incHandover) mark() {
	h.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h.doneSeq++
		h.p.exec(fmt.Sprintf("INSERT INTO %s.done VALUES (%d)", h.p.schema, h.doneSeq))
		want := fmt.Sprintf(`{"id":%d}`, h.doneSeq)
		for retry := time.Now().Add(5 * time.Second); time.Now().Before(retry); {
			for _, r := range h.c.Records(h.done) {
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
			h.t.Fatalf("topic %s: no event of row %d of table done after two minutes", h.done, h.doneSeq)
		}
	}
}

// reads counts the read events among recs.
func (h *incHandover) reads(recs []*kgo.Record) int {
	n := 0
	for _, r := range recs {
		if _, ok := readID(h.t, r); ok {
			n++
		}
	}
	return n
}

// waitNotes waits for n Incremental Snapshot notifications of type typ among the
// notification topic's records after its first from.
func (h *incHandover) waitNotes(from int, typ string, n int) {
	h.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		recs := h.c.Records(h.notify)
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
			h.t.Fatalf("topic %s: %d %s notifications after three minutes, want %d; notifications:\n%s", h.notify, seen, typ, n, e2e.Dump(recs))
		}
		h.c.Settle(200 * time.Millisecond)
	}
}

// drainTopic waits until the consumer has read topic up to its end offsets and returns its
// records. A runtime writes each topic on its own, so a later record on another topic (a row of
// table done) does not say that this topic's last records are readable yet.
func drainTopic(t *testing.T, c *e2e.Consumer, topic string) []*kgo.Record {
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

// readID returns the key of a read event.
func readID(t *testing.T, r *kgo.Record) (int64, bool) {
	if r.Value == nil || !strings.Contains(string(r.Value), `"op":"r"`) {
		return 0, false
	}
	var k struct{ ID int64 }
	if err := json.Unmarshal(r.Key, &k); err != nil {
		t.Fatalf("key %s: %v", r.Key, err)
	}
	return k.ID, true
}

// handoverWriter inserts (inside and beyond the key range), updates and deletes rows of table
// big until halted, on a connection of its own.
type handoverWriter struct {
	stop chan struct{}
	wg   sync.WaitGroup
	err  error
	n    int
}

func startHandoverWriter(t *testing.T, p *pg) *handoverWriter {
	t.Helper()
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", p.tb.Host, p.tb.Port, p.tb.User, p.tb.Password, p.tb.Database)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	w := &handoverWriter{stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer conn.Close(context.Background())
		rnd := rand.New(rand.NewSource(time.Now().UnixNano()))
		for n := 1; ; n++ {
			select {
			case <-w.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			id := 1 + rnd.Intn(handoverRows+handoverRows/10)
			var q string
			switch n % 3 {
			case 0:
				q = fmt.Sprintf("INSERT INTO %s.big VALUES (%d,%d) ON CONFLICT (id) DO UPDATE SET v=%d", p.schema, id, n, n)
			case 1:
				q = fmt.Sprintf("UPDATE %s.big SET v=%d WHERE id=%d", p.schema, n, id)
			default:
				q = fmt.Sprintf("DELETE FROM %s.big WHERE id=%d", p.schema, id)
			}
			if _, err := conn.Exec(context.Background(), q).ReadAll(); err != nil {
				w.err = err
				return
			}
			w.n++
		}
	}()
	return w
}

// halt stops the writer and returns its error; a second call returns the same.
func (w *handoverWriter) halt() error {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.wg.Wait()
	return w.err
}
