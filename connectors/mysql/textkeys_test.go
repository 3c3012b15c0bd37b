package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/incrtest"
)

// textKey is the key of row i of table tk: the spellings vary so that the byte order (upper case
// first) and utf8mb4_general_ci's order (case-insensitive, accents ignored, trailing spaces
// ignored) disagree, and a chunk bound compared byte by byte would skip or repeat rows.
func textKey(i int) string {
	base := fmt.Sprintf("k%05d", i)
	switch i % 5 {
	case 0:
		return strings.ToUpper(base)
	case 2:
		return base + " "
	case 3:
		return "é" + base
	case 4:
		return "Z" + base
	}
	return base
}

// createKeyTables creates tk (text key under utf8mb4_general_ci) and dk (a DATE and INT key),
// rows rows each, and the signal and sentinel tables.
func createKeyTables(d *db, rows int) {
	d.exec("CREATE TABLE tk (k VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY, v INT NOT NULL)",
		"CREATE TABLE dk (d DATE, n INT, v INT NOT NULL, PRIMARY KEY (d, n))",
		"CREATE TABLE dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))",
		"CREATE TABLE done (id INT PRIMARY KEY)")
	var tb, db strings.Builder
	tb.WriteString("INSERT INTO tk VALUES ")
	db.WriteString("INSERT INTO dk VALUES ")
	for i := 1; i <= rows; i++ {
		if i > 1 {
			tb.WriteByte(',')
			db.WriteByte(',')
		}
		fmt.Fprintf(&tb, "('%s',0)", textKey(i))
		fmt.Fprintf(&db, "('2020-01-01' + INTERVAL %d DAY,%d,0)", i/3, i%3)
	}
	d.exec(tb.String(), db.String())
}

// keyOf returns a decoded record's key as text.
func keyOf(t *testing.T, rec *api.SourceRecord) string {
	k := decode(t, rec).Key
	if v, ok := k["k"]; ok {
		return fmt.Sprint(v)
	}
	return fmt.Sprint(k["d"], "/", k["n"])
}

// TestSnapshotResumeTextKeys stops a task in the middle of the initial snapshot of a table keyed
// on text under a case-insensitive collation and of one keyed on a date: a second task on the
// same offsets continues after the last committed key of the table under way instead of reading
// it again from its start, and every row is read.
func TestSnapshotResumeTextKeys(t *testing.T) {
	const rows, chunk = 1500, 100
	d := newDB(t)
	createKeyTables(d, rows)
	prefix := "txk" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	cfg := d.config(prefix, "snapshot.fetch.size", strconv.Itoa(chunk), "max.batch.size", "64", "max.queue.size", "256",
		"database.server.id", "6315")
	topics := map[string]string{prefix + "." + d.name + ".tk": "tk", prefix + "." + d.name + ".dk": "dk"}
	hist, offs := &memHistory{}, &memOffsets{}
	read := map[string]map[string]int{"tk": {}, "dk": {}}
	n := 0
	count := func(rec *api.SourceRecord) {
		if tbl, ok := topics[rec.Topic]; ok && rec.Value != nil && decode(t, rec).Value["op"] == "r" {
			read[tbl][keyOf(t, rec)]++
			n++
		}
	}
	r1, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r1.pollOffsets(offs, "part of the snapshot", count, func() bool { return n >= rows*2/5 })
	if err := r1.task.Stop(); err != nil {
		t.Fatal(err)
	}
	first := n
	stored, _ := offs.Offset(context.Background(), nil)
	key, _ := stored[source.OffsetSnapshotKey].(string)
	var parts []any
	if err := json.Unmarshal([]byte(key), &parts); err != nil || len(parts) == 0 {
		t.Fatalf("the offset mid-snapshot has no resumable key: %v", stored)
	}
	if _, isText := parts[0].(string); !isText {
		t.Errorf("%s = %s: the key of a text or date keyed table must be kept as JSON strings", source.OffsetSnapshotKey, key)
	}
	t.Logf("first run: %d reads, offset %v", first, stored)

	r2, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	inserted, sentinel := false, false
	r2.pollOffsets(offs, "the sentinel", func(rec *api.SourceRecord) {
		count(rec)
		sentinel = sentinel || rec.Topic == prefix+"."+d.name+".done"
	}, func() bool {
		if !inserted && r2.task.streaming.Load() {
			inserted = true
			d.exec("INSERT INTO done VALUES (1)")
		}
		return sentinel
	})
	for tbl, keys := range read {
		if len(keys) != rows {
			t.Errorf("table %s: %d distinct keys read, want %d", tbl, len(keys), rows)
		}
	}
	if n > 2*rows+chunk {
		t.Errorf("%d reads (%d in the first run) for 2×%d rows: the second run did not continue after the committed key", n, first, rows)
	}
	for i := 1; i <= rows; i++ {
		if read["tk"][textKey(i)] == 0 {
			t.Errorf("key %q was never read", textKey(i))
			break
		}
	}
}

// TestIncrementalSnapshotTextKeys runs incremental snapshots of the text and date keyed tables in
// small chunks while a writer changes rows of the text keyed one, matching its keys in another
// case, changing their case and dropping their trailing spaces: no row is read twice or
// skipped, and the latest event of every key is the table's row.
func TestIncrementalSnapshotTextKeys(t *testing.T) {
	const rows, chunk = 1500, 50
	d := newDB(t)
	createKeyTables(d, rows)
	prefix := "inctk" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	cfg := d.config(prefix, "snapshot.mode", "no_data", "signal.data.collection", d.name+".dbz_signal",
		"incremental.snapshot.chunk.size", strconv.Itoa(chunk), "notification.enabled.channels", "log",
		"database.server.id", "6316")
	tkTopic, dkTopic := prefix+"."+d.name+".tk", prefix+"."+d.name+".dk"
	offs := &memOffsets{}
	r, err := startTask(t, cfg, &memHistory{}, offs)
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	conn, err := client.Connect(net.JoinHostPort(d.tb.Host, strconv.Itoa(d.tb.Port)), d.tb.User, d.tb.Password, d.name)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w := incrtest.StartWriter(3, rows, func(op incrtest.Op, n, id int) string {
		base := fmt.Sprintf("k%05d", id)
		other := base
		if n%2 == 0 {
			other = strings.ToUpper(base)
		}
		switch op {
		case incrtest.Upsert: // updates the row stored in another case, or inserts this spelling
			return fmt.Sprintf("INSERT INTO tk VALUES ('%s',%d) ON DUPLICATE KEY UPDATE v=%d", other, n, n)
		case incrtest.Update: // changes the key's case (or drops its trailing space): a new key
			return fmt.Sprintf("UPDATE tk SET v=%d, k='%s' WHERE k='%s'", n, other, base)
		}
		return fmt.Sprintf("DELETE FROM tk WHERE k='%s'", strings.ToUpper(base))
	}, func(q string) error {
		res, err := conn.Execute(q)
		if err == nil {
			res.Close()
		}
		return err
	})
	defer w.Halt()
	d.exec(`INSERT INTO dbz_signal VALUES ('tk-1', 'execute-snapshot', '{"data-collections": ["` + d.name + `.tk", "` + d.name + `.dk"]}')`)
	reads := map[string]map[string]int{tkTopic: {}, dkTopic: {}}
	started, stopped, sentinel := false, false, false
	r.pollOffsets(offs, "the end of the snapshot", func(rec *api.SourceRecord) {
		started = started || r.task.Signals.Inc.Running()
		if m, ok := reads[rec.Topic]; ok && rec.Value != nil && decode(t, rec).Value["op"] == "r" {
			k := keyOf(t, rec)
			if rec.Topic == tkTopic {
				k = strings.ToLower(strings.TrimRight(strings.ReplaceAll(k, "é", "e"), " ")) // as the collation compares
			}
			m[k]++
		}
		if started && !stopped && !r.task.Signals.Inc.Running() {
			stopped = true
			if err := w.Halt(); err != nil {
				t.Fatalf("writer: %v", err)
			}
			d.exec("INSERT INTO done VALUES (1)")
		}
		sentinel = sentinel || rec.Topic == prefix+"."+d.name+".done"
	}, func() bool { return sentinel })
	for topic, m := range reads {
		for k, n := range m {
			if n > 1 {
				t.Errorf("%s: key %q read %d times", topic, k, n)
			}
		}
	}
	if len(reads[dkTopic]) != rows {
		t.Errorf("%d keys of the date keyed table read, want %d", len(reads[dkTopic]), rows)
	}
	t.Logf("writes %d; keys read: text %d, date %d", w.Changes(), len(reads[tkTopic]), len(reads[dkTopic]))
	// The window compares the text key as utf8mb4_general_ci does, the date key exactly.
	tk, dk := &source.Collection{ID: d.name + ".tk"}, &source.Collection{ID: d.name + ".dk"}
	if a, b := r.task.Signals.DB.(source.KeyFolder).FoldKey(tk, "k", "K00007  "), r.task.Signals.DB.(source.KeyFolder).FoldKey(tk, "K", "k00007"); a != b {
		t.Errorf("the window folds the keys K00007 and k00007 of a utf8mb4_general_ci column to %q and %q", a, b)
	}
	if got := r.task.Signals.DB.(source.KeyFolder).FoldKey(dk, "d", "X "); got != "X " {
		t.Errorf("a key column without a collation folded to %q", got)
	}
	table := map[string]string{}
	for _, row := range d.m.Query("SELECT k, v FROM tk") {
		table[row[0]] = row[1]
	}
	incrtest.CheckLatest(t, incrtest.Events(r.all, tkTopic, func(rec *api.SourceRecord) incrtest.Event { return event(t, rec, "k") }), table)
}
