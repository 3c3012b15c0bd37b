package postgres

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
)

// TestSnapshotResumeAfterCrash stops a task in the middle of the snapshot of a large table,
// keeping only the offset of the last record handed out (what a kill -9 leaves committed),
// while a writer inserts, updates and deletes; a second task on the same offsets and slot must
// continue after the last committed row (read events repeat at most two chunks of keys: the
// test fails if it starts from zero) and, once it streamed from the snapshot's position, the
// latest event of every key must be the table's row (no key lost: fails if a chunk is skipped;
// no deleted row back). CONNECTD_RESUME_ROWS sets the table's size (1000000 for the run).
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
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (id int PRIMARY KEY, v int NOT NULL);
		CREATE TABLE %[1]s.done (id int PRIMARY KEY);
		INSERT INTO %[1]s.big SELECT g, 0 FROM generate_series(1, %[2]d) g`, e.schema, rows))
	bigTopic := e.prefix + "." + e.schema + ".big"
	doneTopic := e.prefix + "." + e.schema + ".done"
	kv := []string{"snapshot.fetch.size", strconv.Itoa(chunk), "max.batch.size", "256", "max.queue.size", "1024"}

	c, err := ParseConfig(e.config())
	if err != nil {
		t.Fatal(err)
	}
	wconn, err := c.connect(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(wconn)
	stopWriter := make(chan struct{})
	var wg sync.WaitGroup
	var writes int
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		rnd := rand.New(rand.NewSource(3))
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
				q = fmt.Sprintf("INSERT INTO %s.big VALUES (%d,%d) ON CONFLICT (id) DO UPDATE SET v = %d", e.schema, id, n, n)
			case 1:
				q = fmt.Sprintf("UPDATE %s.big SET v = %d WHERE id = %d", e.schema, n, id)
			default:
				q = fmt.Sprintf("DELETE FROM %s.big WHERE id = %d", e.schema, id)
			}
			if _, err := simpleQuery(context.Background(), wconn, q); err != nil {
				werr = err
				return
			}
			writes++
			time.Sleep(2 * time.Millisecond)
		}
	}()
	writerStopped := false
	stop := func() {
		if !writerStopped {
			writerStopped = true
			close(stopWriter)
			wg.Wait()
		}
	}
	defer stop()

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
			e.offs.put(r.SourcePartition, r.SourceOffset)
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
			e.offs.put(r.SourcePartition, r.SourceOffset)
			if d := decode(r); r.Topic == bigTopic && d.source["snapshot"] == "last" {
				time.Sleep(500 * time.Millisecond)
				stop()
				e.exec(fmt.Sprintf("INSERT INTO %s.done VALUES (1)", e.schema))
			}
			if r.Topic == doneTopic {
				sentinel = true
			}
		}
	}
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}

	reads, readKeys := 0, map[string]bool{}
	latest := map[string]string{}
	for _, r := range all {
		if r.Topic != bigTopic {
			continue
		}
		d := decode(r)
		id := fmt.Sprint(d.key["id"])
		switch {
		case d.tomb || d.op == "d":
			latest[id] = ""
		case d.op == "r":
			reads++
			readKeys[id] = true
			latest[id] = fmt.Sprint(d.after["v"])
		default:
			latest[id] = fmt.Sprint(d.after["v"])
		}
	}
	t.Logf("%d writes; %d records before the stop, %d after; %d read events, %d distinct keys read", writes, firstRun, len(all)-firstRun, reads, len(readKeys))
	if dup := reads - len(readKeys); dup > 2*chunk {
		t.Errorf("%d read events repeat a key (limit %d): the second run did not continue after the committed chunk", dup, 2*chunk)
	}
	ctx := context.Background()
	res, err := query(ctx, e.admin, "SELECT id::text, v::text FROM "+e.schema+".big")
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]string{}
	for _, r := range res {
		table[string(r[0])] = string(r[1])
	}
	lost, back, wrong := 0, 0, 0
	for id, v := range table {
		got := latest[id]
		switch {
		case got == "":
			if lost++; lost <= 5 {
				t.Errorf("key %s is in the table (v=%s) but has no live latest event", id, v)
			}
		case got != v:
			if wrong++; wrong <= 5 {
				t.Errorf("key %s: table v=%s, latest event v=%s", id, v, got)
			}
		}
	}
	for id, v := range latest {
		if _, ok := table[id]; !ok && v != "" {
			if back++; back <= 5 {
				t.Errorf("key %s was deleted but its latest event has v=%s", id, v)
			}
		}
	}
	if lost+back+wrong > 0 {
		t.Fatalf("%d keys lost, %d deleted rows back, %d wrong among %d rows", lost, back, wrong, len(table))
	}
}
