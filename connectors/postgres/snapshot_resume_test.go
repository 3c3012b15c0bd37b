package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/connectors/source/sourcetest"
)

// event decodes a record for the shared checks of sourcetest.
func event(r *api.SourceRecord) sourcetest.Event {
	d := decode(r)
	return sourcetest.Event{Op: d.op, Key: d.key, After: d.after, Source: d.source}
}

// TestSnapshotResumeAfterCrash stops a task in the middle of the snapshot of a large table,
// keeping only the offset of the last record handed out (what a kill -9 leaves committed),
// while a writer inserts, updates and deletes; a second task on the same offsets and slot must
// continue after the last committed row (read events repeat at most two chunks of keys: the
// test fails if it starts from zero) and, once it streamed from the snapshot's position, the
// latest event of every key must be the table's row (no key lost: fails if a chunk is skipped;
// no deleted row back). CONNECTD_RESUME_ROWS sets the table's size (1000000 for the run).
// With 4 threads the one large table is split in key ranges read on 4 connections at once, and
// the resume continues each range.
func TestSnapshotResumeAfterCrash(t *testing.T) { sourcetest.Threads(t, testSnapshotResume) }

func testSnapshotResume(t *testing.T, threads int) {
	rows, chunk := sourcetest.ResumeRows(t, 20000), 500
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (id int PRIMARY KEY, v int NOT NULL);
		CREATE TABLE %[1]s.done (id int PRIMARY KEY);
		INSERT INTO %[1]s.big SELECT g, 0 FROM generate_series(1, %[2]d) g`, e.schema, rows))
	bigTopic := e.prefix + "." + e.schema + ".big"
	doneTopic := e.prefix + "." + e.schema + ".done"
	kv := []string{"snapshot.fetch.size", strconv.Itoa(chunk), "max.batch.size", "256", "max.queue.size", "1024",
		"snapshot.max.threads", strconv.Itoa(threads)}

	c, err := ParseConfig(e.config())
	if err != nil {
		t.Fatal(err)
	}
	wconn, err := c.connect(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(wconn)
	w := sourcetest.StartWriter(rows, func(q string) error {
		_, err := simpleQuery(context.Background(), wconn, q)
		return err
	}, func(op, id, n int) string {
		switch op {
		case 0:
			return fmt.Sprintf("INSERT INTO %s.big VALUES (%d,%d) ON CONFLICT (id) DO UPDATE SET v = %d", e.schema, id, n, n)
		case 1:
			return fmt.Sprintf("UPDATE %s.big SET v = %d WHERE id = %d", e.schema, n, id)
		}
		return fmt.Sprintf("DELETE FROM %s.big WHERE id = %d", e.schema, id)
	})
	defer w.Stop()

	var all []*api.SourceRecord
	// First run: every record handed out counts as committed; then the task stops.
	task := e.start(kv...)
	for n := 0; n < rows/2; {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			all = append(all, r)
			e.offs.Set(r.SourceOffset)
			if r.Topic == bigTopic {
				n++
			}
		}
	}
	_ = task.Stop()
	firstRun := len(all)
	last := all[len(all)-1].SourceOffset
	if last[source.OffsetSnapshotTable] != e.schema+".big" || last[source.OffsetSnapshotKey] == nil {
		t.Fatalf("the committed offset mid-snapshot has no snapshot progress: %v", last)
	}
	if threads > 1 && !strings.Contains(fmt.Sprint(last[source.OffsetSnapshotProgress]), `"ranges"`) {
		t.Fatalf("with %d threads the large table was not split in key ranges: %v", threads, last)
	}

	task = e.start(kv...)
	deadline := time.Now().Add(3 * time.Minute)
	for sentinel := false; !sentinel; {
		if time.Now().After(deadline) {
			t.Fatalf("no sentinel after %d records", len(all)-firstRun)
		}
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			all = append(all, r)
			e.offs.Set(r.SourceOffset)
			if d := decode(r); r.Topic == bigTopic && d.source["snapshot"] == "last" {
				time.Sleep(500 * time.Millisecond)
				w.Stop()
				e.exec(fmt.Sprintf("INSERT INTO %s.done VALUES (1)", e.schema))
			}
			if r.Topic == doneTopic {
				sentinel = true
			}
		}
	}
	writes, werr := w.Stop()
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}

	reads, secondReads, readKeys := 0, 0, map[string]bool{}
	for i, r := range all {
		if d := decode(r); r.Topic == bigTopic && d.op == "r" {
			reads++
			readKeys[fmt.Sprint(d.key["id"])] = true
			if i >= firstRun {
				secondReads++
			}
		}
	}
	t.Logf("%d writes; %d records before the stop, %d after; %d read events, %d distinct keys read", writes, firstRun, len(all)-firstRun, reads, len(readKeys))
	sourcetest.CheckRepeats(t, reads, len(readKeys), secondReads, 2*chunk)
	res, err := query(context.Background(), e.admin, "SELECT id::text, v::text FROM "+e.schema+".big")
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]string{}
	for _, r := range res {
		table[string(r[0])] = string(r[1])
	}
	sourcetest.CheckLatest(t, sourcetest.Latest(all, bigTopic, "id", "v", event), table)
}
