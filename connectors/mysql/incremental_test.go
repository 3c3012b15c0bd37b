package mysql

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/signals"
	"github.com/connectd/connectd/tests/incrtest"
	"github.com/connectd/connectd/tests/testbed"
)

// startWriter inserts (inside and beyond the key range), updates and deletes rows of table big
// until halted.
func startWriter(t *testing.T, d *db, rows int) *incrtest.Writer {
	conn, err := client.Connect(net.JoinHostPort(d.tb.Host, strconv.Itoa(d.tb.Port)), d.tb.User, d.tb.Password, d.name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return incrtest.StartWriter(7, rows, incrtest.MariaDBChanges("big"), func(q string) error {
		r, err := conn.Execute(q)
		if err == nil {
			r.Close()
		}
		return err
	})
}

// createBig creates table big with rows rows (id 1..rows, v 0), the signal table and the
// sentinel table done.
func createBig(d *db, rows int) {
	d.exec("CREATE TABLE big (id INT PRIMARY KEY, v INT NOT NULL)",
		"CREATE TABLE dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))",
		"CREATE TABLE done (id INT PRIMARY KEY)")
	for start := 1; start <= rows; start += 10000 {
		var b strings.Builder
		b.WriteString("INSERT INTO big VALUES ")
		for i := start; i < start+10000 && i <= rows; i++ {
			if i > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,0)", i)
		}
		d.exec(b.String())
	}
}

// TestIncrementalSnapshotSignalTable signals an incremental snapshot through the signal table
// while a writer inserts, updates and deletes rows; the task is stopped in the middle (keeping
// only what it handed out, as after kill -9) and a second task on the same offsets continues at
// the current chunk. The read events are at most the rows plus a chunk or two, and the latest
// event of every key is the table's row: no key lost, no deleted row back.
func TestIncrementalSnapshotSignalTable(t *testing.T) {
	rows := incrtest.Rows(t, 20000)
	const chunk = 500
	d := newDB(t)
	createBig(d, rows)
	prefix := "inc" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	cfg := d.config(prefix, "snapshot.mode", "no_data", "signal.data.collection", d.name+".dbz_signal",
		"incremental.snapshot.chunk.size", strconv.Itoa(chunk), "notification.enabled.channels", "log",
		"max.batch.size", "256", "max.queue.size", "1024", "database.server.id", "6311")
	bigTopic := prefix + "." + d.name + ".big"

	hist := &memHistory{}
	offs := &memOffsets{}
	var all []*api.SourceRecord
	readIDs := map[string]int{}
	reads := func(rs []*api.SourceRecord) int {
		n := 0
		for _, r := range rs {
			if r.Topic != bigTopic || r.Value == nil {
				continue
			}
			if dr := decode(t, r); dr.Value["op"] == "r" {
				n++
				readIDs[fmt.Sprint(dr.Key["id"])]++
				if src, _ := dr.Value["source"].(map[string]any); src["snapshot"] != "incremental" {
					t.Fatalf("a read event's source.snapshot is %v, want incremental", src["snapshot"])
				}
			}
		}
		return n
	}
	r1, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r1.waitStreaming()
	w := startWriter(t, d, rows)
	defer w.Halt()
	d.exec(`INSERT INTO dbz_signal VALUES ('ad-hoc-1', 'execute-snapshot', '{"data-collections": ["` + d.name + `.b[i]g"], "type": "incremental"}')`)
	// A malformed signal is logged and ignored; streaming goes on.
	d.exec(`INSERT INTO dbz_signal VALUES ('bad-1', 'execute-snapshot', '{"data-collections": []}')`)
	n1 := 0
	r1.pollOffsets(offs, "half the rows", func(rec *api.SourceRecord) {
		if rec.Topic == bigTopic && rec.Value != nil && decode(t, rec).Value["op"] == "r" {
			n1++
		}
	}, func() bool { return n1 >= rows/2 })
	if err := r1.task.Stop(); err != nil {
		t.Fatal(err)
	}
	all = append(all, r1.all...)
	firstReads := reads(r1.all)
	stored, _ := offs.Offset(context.Background(), nil)
	if stored[source.OffIncCollections] == nil || stored[source.OffIncPrimaryKey] == nil || stored[source.OffIncMaximumKey] == nil ||
		stored[source.OffIncCorrelationID] != "ad-hoc-1" {
		t.Fatalf("the committed offset mid-snapshot has no incremental snapshot progress: %v", stored)
	}
	if want := `[{"incremental_snapshot_collections_id":"` + d.name + `.big","incremental_snapshot_collections_additional_condition":null,"incremental_snapshot_collections_surrogate_key":null}]`; stored[source.OffIncCollections] != want {
		t.Errorf("incremental_snapshot_collections = %v, want %s", stored[source.OffIncCollections], want)
	}
	t.Logf("first run: %d records, %d reads, committed offset %v", len(r1.all), firstReads, stored)

	r2 := finishSnapshot(t, d, cfg, hist, offs, w, func(*api.SourceRecord) {})
	all = append(all, r2.all...)
	secondReads := reads(r2.all)
	total := firstReads + secondReads
	t.Logf("writes %d; reads: first run %d, second run %d, total %d, distinct keys %d, of %d initial rows", w.Changes(), firstReads, secondReads, total, len(readIDs), rows)
	if dup := total - len(readIDs); dup > 2*chunk {
		t.Errorf("%d of %d read events repeat a key (limit %d): the second run did not continue at the current chunk", dup, total, 2*chunk)
	}
	if total > rows+rows/10+2*chunk {
		t.Errorf("%d read events for a table of at most %d rows", total, rows+rows/10)
	}
	if secondReads == 0 {
		t.Error("the second run read nothing: the snapshot did not continue")
	}
	if last, _ := offs.Offset(context.Background(), nil); last[source.OffIncCollections] != nil {
		t.Errorf("the offset after the snapshot still has its progress: %v", last)
	}
	checkLatest(t, d, all, bigTopic)
}

// signalTopic creates a Kafka topic for the signal channel, deleted when the test ends, and
// returns a client, the bootstrap servers and the topic.
func signalTopic(t *testing.T, name string) (*kgo.Client, string, string) {
	t.Helper()
	brokers := testbed.Kafka(t)
	topic := testbed.Topic(t, name)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, resp.Err)
	}
	t.Cleanup(func() { _, _ = kadm.NewClient(cl).DeleteTopics(context.Background(), topic) })
	return cl, brokers, topic
}

// finishSnapshot starts a task on the offsets of one stopped in the middle of an incremental
// snapshot, checks that it resumes the snapshot, and polls (handing each record to each) until
// the snapshot ends, the writer is halted and the sentinel row of table done came through.
func finishSnapshot(t *testing.T, d *db, cfg map[string]string, hist *memHistory, offs *memOffsets, w *incrtest.Writer, each func(*api.SourceRecord)) *runner {
	t.Helper()
	r, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	if !r.task.Signals.Inc.Running() {
		t.Fatal("the second task did not resume the incremental snapshot from the offsets")
	}
	doneTopic := cfg["topic.prefix"] + "." + d.name + ".done"
	stopped, sentinel := false, false
	r.pollOffsets(offs, "the end of the snapshot", func(rec *api.SourceRecord) {
		each(rec)
		if !stopped && !r.task.Signals.Inc.Running() {
			stopped = true
			if err := w.Halt(); err != nil {
				t.Fatalf("writer: %v", err)
			}
			d.exec("INSERT INTO done VALUES (1)")
		}
		sentinel = sentinel || rec.Topic == doneTopic
	}, func() bool { return sentinel })
	return r
}

// pollOffsets polls until done says so (asked before every poll), handing each record to each,
// keeping it in r.all and its offset in offs as a worker commits them.
func (r *runner) pollOffsets(offs *memOffsets, what string, each func(rec *api.SourceRecord), done func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s after %d records", what, len(r.all))
		}
		recs, err := r.task.Poll(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		for _, rec := range recs {
			r.all = append(r.all, rec)
			if rec.SourceOffset != nil {
				offs.Set(rec.SourceOffset)
			}
			each(rec)
		}
	}
}

// checkLatest compares the latest event of every key of topic with table big.
func checkLatest(t *testing.T, d *db, all []*api.SourceRecord, topic string) {
	t.Helper()
	table := map[string]string{}
	for _, row := range d.m.Query("SELECT id, v FROM big") {
		table[row[0]] = row[1]
	}
	incrtest.CheckLatest(t, incrtest.Events(all, topic, func(rec *api.SourceRecord) incrtest.Event { return event(t, rec, "id") }), table)
}

// event decodes a change event of a table whose checked column is v, keyed on column key.
func event(t *testing.T, rec *api.SourceRecord, key string) incrtest.Event {
	dr := decode(t, rec)
	e := incrtest.Event{Key: fmt.Sprint(dr.Key[key]), Deleted: dr.Value == nil || dr.Value["op"] == "d"}
	if !e.Deleted {
		after, _ := dr.Value["after"].(map[string]any)
		e.Value = fmt.Sprint(after["v"])
	}
	return e
}

// TestIncrementalSnapshotChannels runs incremental snapshots signalled through a Kafka topic and
// through the REST channel while a writer changes the table, pauses, resumes and stops one, and
// checks the notifications on the sink topic and the table's final state in the events.
func TestIncrementalSnapshotChannels(t *testing.T) {
	rows := incrtest.Rows(t, 20000) / 2
	const chunk = 200
	d := newDB(t)
	createBig(d, rows)
	cl, brokers, sigTopic := signalTopic(t, "signals")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	prefix := "incch" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	const noteTopic = "notifications-test"
	cfg := d.config(prefix, "snapshot.mode", "no_data", "signal.data.collection", d.name+".dbz_signal",
		"signal.enabled.channels", "source,kafka", "signal.kafka.topic", sigTopic, "signal.kafka.bootstrap.servers", brokers,
		"incremental.snapshot.chunk.size", strconv.Itoa(chunk), "notification.enabled.channels", "sink,log",
		"notification.sink.topic.name", noteTopic, "database.server.id", "6312")
	bigTopic := prefix + "." + d.name + ".big"
	doneTopic := prefix + "." + d.name + ".done"
	offs := &memOffsets{}
	r, err := startTask(t, cfg, &memHistory{}, offs)
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	w := startWriter(t, d, rows)
	defer w.Halt()

	var notes []string // "<id> <type>"
	reads := 0
	poll := func(what string, until func() bool) {
		t.Helper()
		r.pollOffsets(offs, what, func(rec *api.SourceRecord) {
			if rec.Topic == noteTopic {
				v := rec.Value.(*api.Struct)
				if v.Get("aggregate_type") != "Incremental Snapshot" || rec.Key.(*api.Struct).Get("id") != v.Get("id") {
					t.Fatalf("notification %v", v)
				}
				notes = append(notes, fmt.Sprint(v.Get("id"), " ", v.Get("type")))
			}
			if rec.Topic == bigTopic && rec.Value != nil && rec.Value.(*api.Struct).Get("op") == "r" {
				reads++
			}
		}, until)
	}
	has := func(note string) func() bool {
		return func() bool {
			for _, n := range notes {
				if n == note {
					return true
				}
			}
			return false
		}
	}

	// Kafka: a record keyed by topic.prefix; one keyed otherwise is another connector's.
	for _, rec := range []*kgo.Record{
		{Topic: sigTopic, Key: []byte("someone-else"), Value: []byte(`{"type":"execute-snapshot","data":{"data-collections":["nope.nope"]}}`)},
		{Topic: sigTopic, Key: []byte(prefix), Value: []byte(`{"id":"k-1","type":"execute-snapshot","data":{"data-collections":["` + d.name + `.big"],"type":"INCREMENTAL"}}`)},
	} {
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	poll("the Kafka-signalled snapshot", has("k-1 COMPLETED"))
	if !has("k-1 STARTED")() || !has("k-1 TABLE_SCAN_COMPLETED")() {
		t.Errorf("notifications %v lack STARTED or TABLE_SCAN_COMPLETED", notes)
	}
	kafkaReads := reads
	if kafkaReads < rows*8/10 || kafkaReads > rows+rows/10 {
		t.Errorf("the Kafka-signalled snapshot read %d rows of about %d", kafkaReads, rows)
	}

	// REST: execute, pause after a few chunks, resume, let it finish.
	deliver := func(id, typ, data string) {
		t.Helper()
		if err := signals.Deliver("test", signals.Signal{ID: id, Type: typ, Data: data}); err != nil {
			t.Fatalf("%s %s: %v", id, typ, err)
		}
	}
	deliver("r-1", "execute-snapshot", `{"data-collections":["`+d.name+`.big"]}`)
	poll("reads of the REST-signalled snapshot", func() bool { return reads >= kafkaReads+3*chunk })
	deliver("p-1", "pause-snapshot", "")
	poll("PAUSED", has("r-1 PAUSED"))
	atPause := reads
	end := time.Now().Add(2 * time.Second)
	poll("a paused snapshot", func() bool { return time.Now().After(end) })
	if reads-atPause > chunk {
		t.Errorf("%d reads after the pause (at most the chunk in flight, %d)", reads-atPause, chunk)
	}
	deliver("q-1", "resume-snapshot", "")
	poll("the resumed snapshot to finish", has("r-1 COMPLETED"))
	if !has("r-1 RESUMED")() {
		t.Errorf("no RESUMED notification: %v", notes)
	}
	restReads := reads - kafkaReads

	// Stop: a third snapshot stopped after its first chunks.
	deliver("s-1", "execute-snapshot", `{"data-collections":["`+d.name+`.big"]}`)
	poll("reads of the snapshot to stop", func() bool { return reads >= kafkaReads+restReads+chunk })
	deliver("x-1", "stop-snapshot", `{"data-collections":["`+d.name+`.big"],"type":"incremental"}`)
	poll("ABORTED", has("x-1 ABORTED"))
	atStop := reads
	end = time.Now().Add(2 * time.Second)
	poll("a stopped snapshot", func() bool { return time.Now().After(end) })
	if reads-atStop > chunk {
		t.Errorf("%d reads after the stop (at most the chunk in flight, %d)", reads-atStop, chunk)
	}
	if r.task.Signals.Inc.Running() {
		t.Error("the stopped snapshot still runs")
	}
	if err := signals.Deliver("test", signals.Signal{ID: "m-1", Type: "execute-snapshot", Data: `{"data-collections":[]}`}); err == nil {
		t.Error("a malformed REST signal was accepted")
	}

	if err := w.Halt(); err != nil {
		t.Fatalf("writer: %v", err)
	}
	d.exec("INSERT INTO done VALUES (1)")
	poll("the sentinel", func() bool {
		return len(r.all) > 0 && r.all[len(r.all)-1].Topic == doneTopic
	})
	t.Logf("writes %d; reads: kafka %d, rest %d, stopped %d; notifications %v", w.Changes(), kafkaReads, restReads, reads-kafkaReads-restReads, notes)
	checkLatest(t, d, r.all, bigTopic)
}

// TestBlockingSnapshot signals a blocking snapshot over REST while a writer changes the table:
// streaming pauses, the table is read whole (source.snapshot "true", the last "last"), streaming
// goes on from where it paused, and the latest event of every key is the table's row.
func TestBlockingSnapshot(t *testing.T) {
	rows := 3000
	const chunk = 500
	d := newDB(t)
	createBig(d, rows)
	prefix := "blk" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	cfg := d.config(prefix, "snapshot.mode", "no_data", "signal.data.collection", d.name+".dbz_signal",
		"incremental.snapshot.chunk.size", strconv.Itoa(chunk), "notification.enabled.channels", "sink",
		"notification.sink.topic.name", "notes", "database.server.id", "6313")
	bigTopic := prefix + "." + d.name + ".big"
	doneTopic := prefix + "." + d.name + ".done"
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	w := startWriter(t, d, rows)
	defer w.Halt()
	time.Sleep(300 * time.Millisecond)
	if err := signals.Deliver("test", signals.Signal{ID: "b-1", Type: "execute-snapshot",
		Data: `{"data-collections":["` + d.name + `.big"],"type":"blocking"}`}); err != nil {
		t.Fatal(err)
	}
	var notes []string
	completed, sentinel := false, false
	reads, lasts := 0, 0
	deadline := time.Now().Add(3 * time.Minute)
	for !sentinel {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; notifications %v", notes)
		}
		recs, err := r.task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			r.all = append(r.all, rec)
			switch {
			case rec.Topic == "notes":
				v := rec.Value.(*api.Struct)
				if v.Get("aggregate_type") != "Initial Snapshot" {
					t.Errorf("notification %v", v)
				}
				notes = append(notes, fmt.Sprint(v.Get("type")))
				if v.Get("type") == "COMPLETED" && !completed {
					completed = true
					if err := w.Halt(); err != nil {
						t.Fatalf("writer: %v", err)
					}
					d.exec("INSERT INTO done VALUES (1)")
				}
			case rec.Topic == bigTopic && rec.Value != nil:
				dr := decode(t, rec)
				if dr.Value["op"] != "r" {
					continue
				}
				reads++
				switch src, _ := dr.Value["source"].(map[string]any); src["snapshot"] {
				case "last":
					lasts++
				case "true":
				default:
					t.Fatalf("a blocking snapshot read has source.snapshot %v", src["snapshot"])
				}
			case rec.Topic == doneTopic:
				sentinel = true
			}
		}
	}
	t.Logf("writes %d, reads %d, notifications %v", w.Changes(), reads, notes)
	if lasts != 1 || reads < rows*8/10 || reads > rows+rows/10 {
		t.Errorf("%d reads (%d marked last) for a table of about %d rows", reads, lasts, rows)
	}
	if len(notes) < 3 || notes[0] != "STARTED" || notes[len(notes)-1] != "COMPLETED" {
		t.Errorf("notifications %v", notes)
	}
	checkLatest(t, d, r.all, bigTopic)
}
