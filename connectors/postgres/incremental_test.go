package postgres

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/signals"
	"github.com/connectd/connectd/tests/incrtest"
)

// TestIncrementalSnapshotSignalTable signals an incremental snapshot through the signal table
// while a writer inserts, updates and deletes rows; the task is stopped in the middle (keeping
// only what it handed out, as after kill -9) and a second task on the same offsets and slot
// continues at the current chunk: read events are at most the rows plus a chunk or two, and the
// latest event of every key is the table's row. CONNECTD_INCREMENTAL_ROWS sets the table's
// size (200000 for the run; the default keeps the test short).
func TestIncrementalSnapshotSignalTable(t *testing.T) {
	rows := incrtest.Rows(t, 20000)
	const chunk = 500
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (id int PRIMARY KEY, v int NOT NULL);
		CREATE TABLE %[1]s.done (id int PRIMARY KEY);
		CREATE TABLE %[1]s.dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
		INSERT INTO %[1]s.big SELECT g, 0 FROM generate_series(1, %[2]d) g`, e.schema, rows))
	bigTopic := e.prefix + "." + e.schema + ".big"
	doneTopic := e.prefix + "." + e.schema + ".done"
	kv := []string{"snapshot.mode", "no_data", "signal.data.collection", e.schema + ".dbz_signal",
		"incremental.snapshot.chunk.size", strconv.Itoa(chunk), "notification.enabled.channels", "log",
		"max.batch.size", "256", "max.queue.size", "1024"}

	c, err := ParseConfig(e.config())
	if err != nil {
		t.Fatal(err)
	}

	var all []*api.SourceRecord
	pollUntil := func(task *Task, until func(*api.SourceRecord) bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %d records", len(all))
			}
			recs, err := task.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				all = append(all, r)
				if r.SourceOffset != nil {
					e.offs.Set(r.SourceOffset)
				}
				if until(r) {
					return
				}
			}
		}
	}
	isRead := func(r *api.SourceRecord) bool { return r.Topic == bigTopic && r.Value != nil && decode(r).op == "r" }

	task := e.start(kv...)
	e.waitStreaming(task)
	w := startWriter(t, e, 5, rows)
	defer w.Halt()
	writerStopped := false
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.dbz_signal VALUES ('bad-1', 'execute-snapshot', '{"data-collections": "%[1]s.big"}');
		INSERT INTO %[1]s.dbz_signal VALUES ('ad-hoc-1', 'execute-snapshot', '{"data-collections": ["%[1]s\\.big"], "type": "INCREMENTAL"}')`, e.schema))
	n1 := 0
	pollUntil(task, func(r *api.SourceRecord) bool {
		if isRead(r) {
			n1++
		}
		if n1 > 0 && !task.Signals.Inc.Running() {
			t.Fatalf("the incremental snapshot ended after %d reads", n1)
		}
		return n1 >= rows/2
	})
	_ = task.Stop()
	firstRun := len(all)
	stored, _ := e.offs.Offset(context.Background(), c.partition())
	if stored[source.OffIncCollections] == nil || stored[source.OffIncPrimaryKey] == nil || stored[source.OffIncCorrelationID] != "ad-hoc-1" {
		t.Fatalf("the committed offset mid-snapshot has no incremental snapshot progress: %v", stored)
	}

	task = e.start(kv...)
	if !task.Signals.Inc.Running() {
		t.Fatal("the second task did not resume the incremental snapshot from the offsets")
	}
	pollUntil(task, func(r *api.SourceRecord) bool {
		if !writerStopped && !task.Signals.Inc.Running() {
			writerStopped = true
			if err := w.Halt(); err != nil {
				t.Fatalf("writer: %v", err)
			}
			e.exec(fmt.Sprintf("INSERT INTO %s.done VALUES (1)", e.schema))
		}
		return r.Topic == doneTopic
	})
	reads, readKeys := 0, map[string]bool{}
	secondReads := 0
	for i, r := range all {
		if r.Topic != bigTopic {
			continue
		}
		if d := decode(r); d.op == "r" {
			if d.source["snapshot"] != "incremental" {
				t.Fatalf("a read event's source.snapshot is %v, want incremental", d.source["snapshot"])
			}
			reads++
			if i >= firstRun {
				secondReads++
			}
			readKeys[fmt.Sprint(d.key["id"])] = true
		}
	}
	writes := w.Changes()
	t.Logf("%d writes; %d read events (%d after the restart), %d distinct keys read, of %d rows", writes, reads, secondReads, len(readKeys), rows)
	if dup := reads - len(readKeys); dup > 2*chunk {
		t.Errorf("%d read events repeat a key (limit %d): the second run did not continue at the current chunk", dup, 2*chunk)
	}
	if reads > rows+rows/10+2*chunk || secondReads == 0 {
		t.Errorf("%d read events (%d in the second run) for a table of at most %d rows", reads, secondReads, rows+rows/10)
	}
	checkLatest(t, e, all, bigTopic)
}

// startWriter inserts (inside and beyond the key range), updates and deletes rows of table big
// until halted.
func startWriter(t *testing.T, e *env, seed int64, rows int) *incrtest.Writer {
	c, err := ParseConfig(e.config())
	if err != nil {
		t.Fatal(err)
	}
	wconn, err := c.connect(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeConn(wconn) })
	return incrtest.StartWriter(seed, rows, incrtest.PostgresChanges(e.schema+".big"), func(q string) error {
		_, err := simpleQuery(context.Background(), wconn, q)
		return err
	})
}

// checkLatest compares the latest event of every key of topic with table big.
func checkLatest(t *testing.T, e *env, all []*api.SourceRecord, topic string) {
	t.Helper()
	events := incrtest.Events(all, topic, func(r *api.SourceRecord) incrtest.Event {
		d := decode(r)
		return incrtest.Event{Key: fmt.Sprint(d.key["id"]), Value: fmt.Sprint(d.after["v"]), Deleted: d.tomb || d.op == "d"}
	})
	res, err := query(context.Background(), e.admin, "SELECT id::text, v::text FROM "+e.schema+".big")
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]string{}
	for _, r := range res {
		table[string(r[0])] = string(r[1])
	}
	incrtest.CheckLatest(t, events, table)
}

func TestChunkSnapshotVisibility(t *testing.T) {
	s, err := parseSnapshot("100:110:102,105")
	if err != nil {
		t.Fatal(err)
	}
	for xid, want := range map[uint32]bool{99: false, 100: false, 101: false, 102: true, 105: true, 109: false, 110: true, 4000: true} {
		if got := s.invisible(xid); got != want {
			t.Errorf("xid %d invisible=%v, want %v", xid, got, want)
		}
	}
	// Full transaction ids past the first epoch: pgoutput's 32-bit ids are placed in xmax's epoch.
	s, _ = parseSnapshot("4294967290:4294967300:4294967295")
	for xid, want := range map[uint32]bool{4294967280: false, 4294967295: true, 2: false, 4: true} {
		if got := s.invisible(xid); got != want {
			t.Errorf("epoch-crossing xid %d invisible=%v, want %v", xid, got, want)
		}
	}
	for _, bad := range []string{"", "1:2", "a:2:", "1:2:x"} {
		if _, err := parseSnapshot(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestBlockingSnapshotREST signals a blocking snapshot over the REST channel while a writer
// changes the table: the table is read whole (source.snapshot "true", the last "last"), streaming
// goes on from where it paused, and the latest event of every key is the table's row.
func TestBlockingSnapshotREST(t *testing.T) {
	const rows = 3000
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (id int PRIMARY KEY, v int NOT NULL);
		CREATE TABLE %[1]s.done (id int PRIMARY KEY);
		CREATE TABLE %[1]s.dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
		INSERT INTO %[1]s.big SELECT g, 0 FROM generate_series(1, %[2]d) g`, e.schema, rows))
	bigTopic := e.prefix + "." + e.schema + ".big"
	doneTopic := e.prefix + "." + e.schema + ".done"
	task := e.start("snapshot.mode", "no_data", "signal.data.collection", e.schema+".dbz_signal",
		"incremental.snapshot.chunk.size", "400", "notification.enabled.channels", "sink", "notification.sink.topic.name", "notes")
	e.waitStreaming(task)
	w := startWriter(t, e, 9, rows)
	defer w.Halt()
	time.Sleep(200 * time.Millisecond)
	if err := signals.Deliver("pg-test", signals.Signal{ID: "b-1", Type: "execute-snapshot",
		Data: `{"data-collections":["` + e.schema + `.big"],"type":"blocking"}`}); err != nil {
		t.Fatal(err)
	}
	var all []*api.SourceRecord
	var notes []string
	reads, lasts := 0, 0
	deadline := time.Now().Add(3 * time.Minute)
	for done := false; !done; {
		if time.Now().After(deadline) {
			t.Fatalf("timed out; notifications %v", notes)
		}
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			all = append(all, r)
			switch {
			case r.Topic == "notes":
				v := r.Value.(*api.Struct)
				notes = append(notes, fmt.Sprint(v.Get("type")))
				if v.Get("type") == "COMPLETED" {
					if err := w.Halt(); err != nil {
						t.Fatalf("writer: %v", err)
					}
					e.exec(fmt.Sprintf("INSERT INTO %s.done VALUES (1)", e.schema))
				}
			case r.Topic == bigTopic && r.Value != nil:
				if d := decode(r); d.op == "r" {
					reads++
					switch d.source["snapshot"] {
					case "last":
						lasts++
					case "true":
					default:
						t.Fatalf("a blocking snapshot read has source.snapshot %v", d.source["snapshot"])
					}
				}
			case r.Topic == doneTopic:
				done = true
			}
		}
	}
	t.Logf("reads %d, notifications %v", reads, notes)
	if lasts != 1 || reads < rows*8/10 || reads > rows+rows/10 {
		t.Errorf("%d reads (%d marked last) for a table of about %d rows", reads, lasts, rows)
	}
	checkLatest(t, e, all, bigTopic)
}
