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

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/connectors/source/sourcetest"
)

// decoder decodes a record for the shared checks of sourcetest.
func decoder(t *testing.T) sourcetest.Decoder {
	return func(r *api.SourceRecord) sourcetest.Event {
		dr := decode(t, r)
		e := sourcetest.Event{Key: dr.Key}
		if dr.Value != nil {
			e.Op, _ = dr.Value["op"].(string)
			e.After, _ = dr.Value["after"].(map[string]any)
			e.Source, _ = dr.Value["source"].(map[string]any)
		}
		return e
	}
}

// TestSnapshotResumeAfterCrash stops a task in the middle of the snapshot of a large table,
// keeping only the offsets committed so far, while a writer inserts, updates and deletes rows;
// a second task on the same offsets and history must continue after the last committed chunk
// (not from zero: the count of read events is bounded) and, once it streamed the log from the
// snapshot's position, the latest event of every key must be the row in the table (no key lost,
// no deleted row back). CONNECTD_RESUME_ROWS sets the table's size (the full run is
// 1000000; the default keeps the test short). With 4 threads the one large table is split in
// key ranges read on 4 connections at once, and the resume continues each range.
func TestSnapshotResumeAfterCrash(t *testing.T) { sourcetest.Threads(t, testSnapshotResume) }

func testSnapshotResume(t *testing.T, threads int) {
	rows, chunk := sourcetest.ResumeRows(t, 20000), 500
	d := newDB(t)
	d.exec("CREATE TABLE big (id INT PRIMARY KEY, v INT NOT NULL)",
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
	prefix := "resume" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	cfg := d.config(prefix, "snapshot.fetch.size", strconv.Itoa(chunk), "max.batch.size", "256", "max.queue.size", "1024",
		"database.server.id", "6298", "snapshot.max.threads", strconv.Itoa(threads))
	bigTopic := prefix + "." + d.name + ".big"
	doneTopic := prefix + "." + d.name + ".done"

	// The writer: inserts (beyond and inside the key range), updates and deletes until stopped.
	wconn, err := client.Connect(net.JoinHostPort(d.tb.Host, strconv.Itoa(d.tb.Port)), d.tb.User, d.tb.Password, d.name)
	if err != nil {
		t.Fatal(err)
	}
	defer wconn.Close()
	w := sourcetest.StartWriter(rows, func(q string) error {
		r, err := wconn.Execute(q)
		if err == nil {
			r.Close()
		}
		return err
	}, func(op, id, n int) string {
		switch op {
		case 0:
			return fmt.Sprintf("INSERT INTO big VALUES (%d,%d) ON DUPLICATE KEY UPDATE v=%d", id, n, n)
		case 1:
			return fmt.Sprintf("UPDATE big SET v=%d WHERE id=%d", n, id)
		}
		return fmt.Sprintf("DELETE FROM big WHERE id=%d", id)
	})
	defer w.Stop()

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
			}
		}
		return n
	}

	// First run: stop in the middle of the snapshot. Every polled record counts as committed
	// (memOffsets keeps the last one); what the task read but did not hand out is lost.
	r1, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	first := r1.pollUntil(rows / 2)
	if err := r1.task.Stop(); err != nil {
		t.Fatal(err)
	}
	all = append(all, r1.all...)
	firstReads := reads(r1.all)
	stored, _ := offs.Offset(context.Background(), nil)
	if stored[offSnapshot] != "INITIAL" || stored[source.OffsetSnapshotTable] != d.name+".big" || stored[source.OffsetSnapshotKey] == nil {
		t.Fatalf("the committed offset mid-snapshot has no snapshot progress: %v", stored)
	}
	if threads > 1 && !strings.Contains(fmt.Sprint(stored[source.OffsetSnapshotProgress]), `"ranges"`) {
		t.Fatalf("with %d threads the large table was not split in key ranges: %v", threads, stored)
	}
	t.Logf("first run: %d records, %d reads, committed offset %v", len(first), firstReads, stored)

	// Second run on the same offsets and history: the rest of the snapshot, then the stream.
	r2, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	sentinel := false
	deadline := time.Now().Add(3 * time.Minute)
	for !sentinel {
		if time.Now().After(deadline) {
			t.Fatalf("no sentinel after %d records", len(r2.all))
		}
		recs, err := r2.task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			r2.all = append(r2.all, rec)
			offs.Set(rec.SourceOffset)
			if rec.Topic == bigTopic && rec.Value != nil {
				if src, ok := decode(t, rec).Value["source"].(map[string]any); ok && src["snapshot"] == "last" {
					// Let the writer go on while streaming starts, then stop it and mark the end.
					time.Sleep(500 * time.Millisecond)
					w.Stop()
					d.exec("INSERT INTO done VALUES (1)")
				}
			}
			if rec.Topic == doneTopic {
				sentinel = true
			}
		}
	}
	all = append(all, r2.all...)
	writes, werr := w.Stop()
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	secondReads := reads(r2.all)
	total := firstReads + secondReads
	t.Logf("writes %d; reads: first run %d, second run %d, total %d, distinct keys %d, of %d initial rows", writes, firstReads, secondReads, total, len(readIDs), rows)
	// Read events beyond one per key are rows read twice: at most the chunk in flight and one
	// read but not committed. Starting over would read the first run's half again.
	sourcetest.CheckRepeats(t, total, len(readIDs), secondReads, 2*chunk)
	// The writer inserts keys up to rows+rows/10, which a late chunk may read too.
	if total > rows+rows/10+2*chunk {
		t.Errorf("%d read events for a table of at most %d rows", total, rows+rows/10)
	}
	table := map[string]string{}
	for _, row := range d.m.Query("SELECT id, v FROM big") {
		table[row[0]] = row[1]
	}
	sourcetest.CheckLatest(t, sourcetest.Latest(all, bigTopic, "id", "v", decoder(t)), table)
}
