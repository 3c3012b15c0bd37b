package mysql

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
)

// TestSnapshotResumeAfterCrash stops a task in the middle of the snapshot of a large table,
// keeping only the offsets committed so far, while a writer inserts, updates and deletes rows;
// a second task on the same offsets and history must continue after the last committed chunk
// (not from zero: the count of read events is bounded) and, once it streamed the log from the
// snapshot's position, the latest event of every key must be the row in the table (no key lost,
// no deleted row back). CONNECTD_RESUME_ROWS sets the table's size (the full run is
// 1000000; the default keeps the test short).
func TestSnapshotResumeAfterCrash(t *testing.T) {
	rows := 20000
	if s := os.Getenv("CONNECTD_RESUME_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			t.Fatalf("CONNECTD_RESUME_ROWS=%q: want an integer of at least 1000", s)
		}
		rows = n
	}
	const chunk = 500
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
		"database.server.id", "6298")
	bigTopic := prefix + "." + d.name + ".big"
	doneTopic := prefix + "." + d.name + ".done"

	// The writer: inserts (beyond and inside the key range), updates and deletes until stopped.
	wconn, err := client.Connect(net.JoinHostPort(d.tb.Host, strconv.Itoa(d.tb.Port)), d.tb.User, d.tb.Password, d.name)
	if err != nil {
		t.Fatal(err)
	}
	defer wconn.Close()
	stopWriter := make(chan struct{})
	var wg sync.WaitGroup
	var writes int
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		rnd := rand.New(rand.NewSource(1))
		for n := 1; ; n++ {
			select {
			case <-stopWriter:
				return
			default:
			}
			id := 1 + rnd.Intn(rows+rows/10)
			var q string
			switch n % 3 {
			case 0:
				q = fmt.Sprintf("INSERT INTO big VALUES (%d,%d) ON DUPLICATE KEY UPDATE v=%d", id, n, n)
			case 1:
				q = fmt.Sprintf("UPDATE big SET v=%d WHERE id=%d", n, id)
			default:
				q = fmt.Sprintf("DELETE FROM big WHERE id=%d", id)
			}
			r, err := wconn.Execute(q)
			if err != nil {
				werr = err
				return
			}
			r.Close()
			writes++
			time.Sleep(2 * time.Millisecond)
		}
	}()

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
	t.Logf("first run: %d records, %d reads, committed offset %v", len(first), firstReads, stored)

	// Second run on the same offsets and history: the rest of the snapshot, then the stream.
	r2, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	snapshotDone := false
	sentinel := false
	deadline := time.Now().Add(3 * time.Minute)
	for !sentinel {
		if time.Now().After(deadline) {
			t.Fatalf("no end of snapshot (%v) or sentinel after %d records", snapshotDone, len(r2.all))
		}
		recs, err := r2.task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			r2.all = append(r2.all, rec)
			offs.mu.Lock()
			offs.offset = rec.SourceOffset
			offs.mu.Unlock()
			if rec.Topic == bigTopic && rec.Value != nil {
				if src, ok := decode(t, rec).Value["source"].(map[string]any); ok && src["snapshot"] == "last" {
					snapshotDone = true
					// Let the writer go on while streaming starts, then stop it and mark the end.
					time.Sleep(500 * time.Millisecond)
					close(stopWriter)
					wg.Wait()
					d.exec("INSERT INTO done VALUES (1)")
				}
			}
			if rec.Topic == doneTopic {
				sentinel = true
			}
		}
	}
	all = append(all, r2.all...)
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	secondReads := reads(r2.all)
	total := firstReads + secondReads
	t.Logf("writes %d; reads: first run %d, second run %d, total %d, distinct keys %d, of %d initial rows", writes, firstReads, secondReads, total, len(readIDs), rows)
	// Read events beyond one per key are rows read twice: at most the chunk in flight and one
	// read but not committed. Starting over would read the first run's half again.
	if dup := total - len(readIDs); dup > 2*chunk {
		t.Errorf("%d of %d read events repeat a key (limit %d): the second run did not continue after the committed chunk", dup, total, 2*chunk)
	}
	// The writer inserts keys up to rows+rows/10, which a late chunk may read too.
	if total > rows+rows/10+2*chunk {
		t.Errorf("%d read events for a table of at most %d rows", total, rows+rows/10)
	}
	if secondReads == 0 {
		t.Error("the second run read nothing: the snapshot did not continue")
	}

	// The latest event of every key must be the table's row.
	latest := map[string]string{} // id -> v, "" for deleted
	for _, rec := range all {
		if rec.Topic != bigTopic {
			continue
		}
		dr := decode(t, rec)
		id := fmt.Sprint(dr.Key["id"])
		if dr.Value == nil {
			latest[id] = ""
			continue
		}
		if dr.Value["op"] == "d" {
			latest[id] = ""
			continue
		}
		after, _ := dr.Value["after"].(map[string]any)
		latest[id] = fmt.Sprint(after["v"])
	}
	table := map[string]string{}
	for _, row := range d.m.Query("SELECT id, v FROM big") {
		table[row[0]] = row[1]
	}
	lost, back, wrong := 0, 0, 0
	for id, v := range table {
		got, ok := latest[id]
		switch {
		case !ok || got == "":
			lost++
			if lost < 5 {
				t.Errorf("key %s is in the table (v=%s) but its latest event is %q (seen: %v)", id, v, got, ok)
			}
		case got != v:
			wrong++
			if wrong < 5 {
				t.Errorf("key %s: table v=%s, latest event v=%s", id, v, got)
			}
		}
	}
	for id, v := range latest {
		if _, ok := table[id]; !ok && v != "" {
			back++
			if back < 5 {
				t.Errorf("key %s was deleted but its latest event has v=%s", id, v)
			}
		}
	}
	if lost+back+wrong > 0 {
		t.Fatalf("%d keys lost, %d deleted rows back, %d wrong values among %d rows", lost, back, wrong, len(table))
	}
}
