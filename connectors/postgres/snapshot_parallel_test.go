package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
)

// snapshotReads polls task until the snapshot's last read event (or stopAfter of them), storing
// each record's offset as committed, and checks Debezium's markers: one first, on the first read
// event; one last, on the last, whose offset ends the snapshot.
func snapshotReads(t *testing.T, e *env, task *Task, stopAfter int) []*api.SourceRecord {
	t.Helper()
	var reads []*api.SourceRecord
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no end of the snapshot after %d read events", len(reads))
		}
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			e.offs.put(r.SourcePartition, r.SourceOffset)
			d := decode(r)
			if d.tomb || !strings.HasPrefix(r.Topic, e.prefix+"."+e.schema+".") {
				continue
			}
			if d.op != "r" {
				t.Fatalf("a %s event during the snapshot: %s", d.op, describe([]*api.SourceRecord{r}))
			}
			reads = append(reads, r)
			marker := d.source["snapshot"]
			if (marker == "first") != (len(reads) == 1) {
				t.Fatalf("read event %d has marker %v", len(reads), marker)
			}
			if marker == "last" {
				if r.SourceOffset[keyLastSnapshot] != true || r.SourceOffset[source.OffsetSnapshotTable] != nil {
					t.Fatalf("the snapshot's last offset does not end the snapshot: %v", r.SourceOffset)
				}
				return reads
			}
			if r.SourceOffset[keyLastSnapshot] != false || r.SourceOffset[source.OffsetSnapshotTable] == nil {
				t.Fatalf("read event %d (%v) has no snapshot progress: %v", len(reads), marker, r.SourceOffset)
			}
			if stopAfter > 0 && len(reads) == stopAfter {
				return reads
			}
		}
	}
}

// pgSnapState is what a snapshot leaves in the topics: per table, the latest value of every key
// and the number of read events.
type pgSnapState struct {
	latest map[string]map[string]string
	reads  map[string]int
}

func pgStateOf(e *env, reads []*api.SourceRecord) pgSnapState {
	st := pgSnapState{latest: map[string]map[string]string{}, reads: map[string]int{}}
	for _, r := range reads {
		table := strings.TrimPrefix(r.Topic, e.prefix+".")
		d := decode(r)
		k, _ := json.Marshal(d.key)
		v, _ := json.Marshal(d.after)
		if st.latest[table] == nil {
			st.latest[table] = map[string]string{}
		}
		st.latest[table][string(k)] = string(v)
		st.reads[table]++
	}
	return st
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
	one := pgStateOf(e, run(1, 0, "initial_only"))
	e.offs = newMemOffsets()
	four := pgStateOf(e, run(4, 0, "initial"))
	compare := func(name string, got, want pgSnapState, counts bool) {
		t.Helper()
		total := 0
		for table, n := range want.reads {
			total += n
			if counts && got.reads[table] != n {
				t.Errorf("%s: %d read events of %s, want %d", name, got.reads[table], table, n)
			}
			for k, v := range want.latest[table] {
				if got.latest[table][k] != v {
					t.Errorf("%s: %s key %s is %s, want %s", name, table, k, got.latest[table][k], v)
				}
			}
			if len(got.latest[table]) != len(want.latest[table]) {
				t.Errorf("%s: %d keys in %s, want %d", name, len(got.latest[table]), table, len(want.latest[table]))
			}
		}
		if len(got.reads) != len(want.reads) || total != rows {
			t.Errorf("%s: read events of %d tables, want %d; %d rows in 1 thread, want %d", name, len(got.reads), len(want.reads), total, rows)
		}
	}
	compare("4 threads", four, one, true)

	// Interrupted and resumed, 4 threads each time, on the slot of the interrupted snapshot.
	e.offs = newMemOffsets()
	first := run(4, rows/2, "initial")
	t.Logf("stopped after %d read events; committed offset %v", len(first), e.offs.m)
	second := run(4, 0, "initial")
	resumed := pgStateOf(e, append(first, second...))
	w := resumed.reads[e.schema+".t3"] + resumed.reads[e.schema+".t6"]
	if extra := len(first) + len(second) - w - (rows - whole); extra > 4*chunk {
		t.Errorf("%d read events repeat rows (limit %d): the resume did not continue after the committed chunks", extra, 4*chunk)
	}
	compare("resumed", resumed, one, false)
}
