package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/connectors/source/sourcetest"
)

// snapshotReads polls task until the snapshot's last read event (or stopAfter of them), storing
// each record's offset as committed, and checks Debezium's markers: one first, on the first read
// event; one last, on the last, whose offset ends the snapshot.
func snapshotReads(t *testing.T, e *env, task *Task, stopAfter int) []*api.SourceRecord {
	t.Helper()
	return sourcetest.SnapshotReads(t, task.Poll, func(r *api.SourceRecord) { e.offs.Set(r.SourceOffset) },
		func(r *api.SourceRecord) bool { return strings.HasPrefix(r.Topic, e.prefix+"."+e.schema+".") }, event,
		func(off map[string]any, last bool) bool {
			return off[keyLastSnapshot] == last && (off[source.OffsetSnapshotTable] == nil) == last
		}, stopAfter)
}

// TestParallelSnapshotSameState reads 8 tables (integer, composite and text keys, no key, a
// unique index only, empty, one row) with snapshot.max.threads=4 and with 1: the topics must end
// in the same state, with the same read events, and the markers must stay right. The 4-thread
// run imports the slot's exported snapshot on every connection; a third run is stopped half-way
// and resumed on its committed offset (the parallel progress; the resumed read exports its own
// snapshot to its connections): nothing lost, and nothing read again beyond the chunks in flight
// and the tables read whole.
func TestParallelSnapshotSameState(t *testing.T) {
	const chunk = 200
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.t1 (id int PRIMARY KEY, v text);
		CREATE TABLE %[1]s.t2 (a int, b text, v int, PRIMARY KEY (a, b));
		CREATE TABLE %[1]s.t3 (x int, v text);
		CREATE TABLE %[1]s.t4 (id int PRIMARY KEY);
		CREATE TABLE %[1]s.t5 (id bigint PRIMARY KEY, v double precision);
		CREATE TABLE %[1]s.t6 (code varchar(10) NOT NULL UNIQUE, v int);
		CREATE TABLE %[1]s.t7 (id int PRIMARY KEY, v int);
		CREATE TABLE %[1]s.t8 (code text COLLATE "C" PRIMARY KEY, v int);
		INSERT INTO %[1]s.t1 SELECT g*3-100, 'v'||g FROM generate_series(0, 2999) g;
		INSERT INTO %[1]s.t2 SELECT g%%7, 'b'||g, g FROM generate_series(0, 1999) g;
		INSERT INTO %[1]s.t3 SELECT g, 'x'||g FROM generate_series(0, 499) g;
		INSERT INTO %[1]s.t5 SELECT 9000000000000000000+g, g+0.5 FROM generate_series(0, 1499) g;
		INSERT INTO %[1]s.t6 SELECT 'c'||g, g FROM generate_series(0, 699) g;
		INSERT INTO %[1]s.t7 VALUES (1, 1);
		INSERT INTO %[1]s.t8 SELECT 'k'||g, g FROM generate_series(0, 2499) g`, e.schema))
	const rows = 3000 + 2000 + 500 + 1500 + 700 + 1 + 2500
	const whole = 500 + 700 // t3 and t6 have no primary key: read whole
	run := func(threads, stopAfter int, mode string) []*api.SourceRecord {
		task := e.start("snapshot.fetch.size", strconv.Itoa(chunk), "snapshot.max.threads", strconv.Itoa(threads),
			"snapshot.mode", mode, "max.batch.size", "256", "max.queue.size", "1024")
		defer func() { _ = task.Stop() }()
		return snapshotReads(t, e, task, stopAfter)
	}
	one := sourcetest.StateOf(e.prefix, run(1, 0, "initial_only"), event)
	e.offs = newMemOffsets()
	four := sourcetest.StateOf(e.prefix, run(4, 0, "initial"), event)
	compare := func(name string, got, want sourcetest.State, counts bool) {
		t.Helper()
		if total := sourcetest.Compare(t, name, got, want, counts); total != rows {
			t.Errorf("%s: %d rows in 1 thread, want %d", name, total, rows)
		}
	}
	compare("4 threads", four, one, true)

	// Interrupted and resumed, 4 threads each time, on the slot of the interrupted snapshot.
	e.offs = newMemOffsets()
	first := run(4, rows/2, "initial")
	t.Logf("stopped after %d read events; committed offset %v", len(first), e.offs)
	second := run(4, 0, "initial")
	resumed := sourcetest.StateOf(e.prefix, append(first, second...), event)
	w := resumed.Reads[e.schema+".t3"] + resumed.Reads[e.schema+".t6"]
	if extra := len(first) + len(second) - w - (rows - whole); extra > 4*chunk {
		t.Errorf("%d read events repeat rows (limit %d): the resume did not continue after the committed chunks", extra, 4*chunk)
	}
	compare("resumed", resumed, one, false)
}

// TestSplitTableSameState reads one table of 50,000 rows with snapshot.max.threads=4, which
// splits its key range across the 4 connections (each importing the slot's exported snapshot),
// and with 1: the topic must end in the same state with one read event per row, and the markers
// must stay right.
func TestSplitTableSameState(t *testing.T) {
	const rows = 50000
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (a int, b text, v int, PRIMARY KEY (a, b));
		INSERT INTO %[1]s.big SELECT g/10-2000, 'b'||(g%%10), g FROM generate_series(0, %[2]d) g`, e.schema, rows-1))
	run := func(threads int, mode string) []*api.SourceRecord {
		task := e.start("snapshot.fetch.size", "1000", "snapshot.max.threads", strconv.Itoa(threads),
			"snapshot.mode", mode, "max.batch.size", "1024", "max.queue.size", "4096")
		defer func() { _ = task.Stop() }()
		return snapshotReads(t, e, task, 0)
	}
	one := sourcetest.StateOf(e.prefix, run(1, "initial_only"), event)
	e.offs = newMemOffsets()
	reads4 := run(4, "initial")
	if total := sourcetest.Compare(t, "4 threads", sourcetest.StateOf(e.prefix, reads4, event), one, true); total != rows {
		t.Errorf("1 thread: %d read events, want %d", total, rows)
	}
	// Split, the rows' offsets carry the table's key ranges.
	if !sourcetest.ReadInRanges(reads4) {
		t.Error("with 4 threads the table was not read in key ranges: no offset carries them")
	}
}
