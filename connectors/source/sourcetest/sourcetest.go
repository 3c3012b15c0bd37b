// Package sourcetest is test scaffolding the relational connectors' tests share: what a
// snapshot leaves in the topics, the comparison of two such states, a writer changing rows while
// a snapshot runs and the check that the latest event of every key is the table's row. The
// connectors' tests supply what is database-specific (how to run a statement, how to decode a
// record); nothing here talks to a database.
package sourcetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
)

// Event is the part of a change event the shared checks look at.
type Event struct {
	// Op is the envelope's op; "" for a tombstone.
	Op     string
	Key    map[string]any
	After  map[string]any
	Source map[string]any
}

// Decoder turns a record into an Event, the connector's own way.
type Decoder func(*api.SourceRecord) Event

// State is what a snapshot leaves in the topics: per table, the latest after image of every key
// (as JSON) and the number of read events.
type State struct {
	Latest map[string]map[string]string
	Reads  map[string]int
}

// StateOf returns the state the read events leave, tables named by their topic less prefix.
func StateOf(prefix string, reads []*api.SourceRecord, decode Decoder) State {
	st := State{Latest: map[string]map[string]string{}, Reads: map[string]int{}}
	for _, r := range reads {
		table := strings.TrimPrefix(r.Topic, prefix+".")
		e := decode(r)
		k, _ := json.Marshal(e.Key)
		v, _ := json.Marshal(e.After)
		if st.Latest[table] == nil {
			st.Latest[table] = map[string]string{}
		}
		st.Latest[table][string(k)] = string(v)
		st.Reads[table]++
	}
	return st
}

// Compare fails t where got differs from want: a key's latest value, the keys of a table, the
// tables, and with counts the number of read events of each table. It returns the read events
// of want.
func Compare(t testing.TB, name string, got, want State, counts bool) int {
	t.Helper()
	total := 0
	for table, n := range want.Reads {
		total += n
		if counts && got.Reads[table] != n {
			t.Errorf("%s: %d read events of %s, want %d", name, got.Reads[table], table, n)
		}
		for k, v := range want.Latest[table] {
			if got.Latest[table][k] != v {
				t.Errorf("%s: %s key %s is %s, want %s", name, table, k, got.Latest[table][k], v)
			}
		}
		if len(got.Latest[table]) != len(want.Latest[table]) {
			t.Errorf("%s: %d keys in %s, want %d", name, len(got.Latest[table]), table, len(want.Latest[table]))
		}
	}
	if len(got.Reads) != len(want.Reads) {
		t.Errorf("%s: read events of %d tables, want %d", name, len(got.Reads), len(want.Reads))
	}
	return total
}

// SnapshotReads polls until the snapshot's last read event (or stopAfter of them, 0: no
// limit), handing every record to commit first, and checks Debezium's markers: one first, on
// the first read event; one last, on the last. isRow says a record is a row event of the
// snapshot's tables; offsetOK checks a read event's offset (last: the snapshot's last record).
func SnapshotReads(t testing.TB, poll func(context.Context) ([]*api.SourceRecord, error), commit func(*api.SourceRecord),
	isRow func(*api.SourceRecord) bool, decode Decoder, offsetOK func(off map[string]any, last bool) bool, stopAfter int) []*api.SourceRecord {
	t.Helper()
	var reads []*api.SourceRecord
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no end of the snapshot after %d read events", len(reads))
		}
		recs, err := poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			commit(r)
			if r.Value == nil || !isRow(r) {
				continue
			}
			e := decode(r)
			if e.Op != "r" {
				t.Fatalf("a %q event during the snapshot on %s: %v", e.Op, r.Topic, e.After)
			}
			reads = append(reads, r)
			marker := e.Source["snapshot"]
			if (marker == "first") != (len(reads) == 1) {
				t.Fatalf("read event %d has marker %v", len(reads), marker)
			}
			last := marker == "last"
			if !offsetOK(r.SourceOffset, last) {
				t.Fatalf("read event %d (marker %v) has offset %v", len(reads), marker, r.SourceOffset)
			}
			if last || stopAfter > 0 && len(reads) == stopAfter {
				return reads
			}
		}
	}
}

// ResumeRows is the size of the large table of the resume tests: CONNECTD_RESUME_ROWS
// (1000000 for the run), else def.
func ResumeRows(t testing.TB, def int) int {
	t.Helper()
	s := os.Getenv("CONNECTD_RESUME_ROWS")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1000 {
		t.Fatalf("CONNECTD_RESUME_ROWS=%q: want an integer of at least 1000", s)
	}
	return n
}

// Writer inserts, updates and deletes rows of a table keyed 1..rows (and up to a tenth beyond)
// until stopped, so a snapshot runs under changes.
type Writer struct {
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	writes int
	err    error
}

// StartWriter runs exec with the statement sql returns for each change: op 0 inserts (or
// updates an existing key), 1 updates, 2 deletes key id; n numbers the change.
func StartWriter(rows int, exec func(string) error, sql func(op, id, n int) string) *Writer {
	w := &Writer{stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		rnd := rand.New(rand.NewSource(3))
		for n := 1; ; n++ {
			select {
			case <-w.stop:
				return
			default:
			}
			if err := exec(sql(n%3, 1+rnd.Intn(rows+rows/10), n)); err != nil {
				w.err = err
				return
			}
			w.writes++
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return w
}

// Stop stops the writer (once) and returns the number of changes made and its error.
func (w *Writer) Stop() (int, error) {
	w.once.Do(func() { close(w.stop); w.wg.Wait() })
	return w.writes, w.err
}

// Latest returns, for the events of topic, the latest value of field of every key (key field
// id), "" for a deleted key.
func Latest(all []*api.SourceRecord, topic, id, field string, decode Decoder) map[string]string {
	latest := map[string]string{}
	for _, r := range all {
		if r.Topic != topic {
			continue
		}
		e := decode(r)
		k := fmt.Sprint(e.Key[id])
		if e.Op == "" || e.Op == "d" {
			latest[k] = ""
			continue
		}
		latest[k] = fmt.Sprint(e.After[field])
	}
	return latest
}

// CheckLatest fails t unless the latest event of every key is the table's row: no key of the
// table without a live latest event, no deleted key with one, no other value.
func CheckLatest(t testing.TB, latest, table map[string]string) {
	t.Helper()
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
		t.Fatalf("%d keys lost, %d deleted rows back, %d wrong values among %d rows", lost, back, wrong, len(table))
	}
}

// CheckRepeats fails t when read events repeat keys more often than limit allows (the resume
// started over), or when the second run read nothing (it did not continue).
func CheckRepeats(t testing.TB, reads, distinct, secondRun, limit int) {
	t.Helper()
	if dup := reads - distinct; dup > limit {
		t.Errorf("%d of %d read events repeat a key (limit %d): the second run did not continue after the committed chunks", dup, reads, limit)
	}
	if secondRun == 0 {
		t.Error("the second run read nothing: the snapshot did not continue")
	}
}

// ReadInRanges says some read event's offset describes key ranges of a table split across the
// snapshot's connections.
func ReadInRanges(reads []*api.SourceRecord) bool {
	for _, r := range reads {
		if p, _ := r.SourceOffset[source.OffsetSnapshotProgress].(string); strings.Contains(p, `"ranges"`) {
			return true
		}
	}
	return false
}

// TopicsSeen polls until done says the topics seen so far (topic -> the name of its key schema,
// "-" for none) are all a test waits for, calling after once per poll with them.
func TopicsSeen(t testing.TB, poll func(context.Context) ([]*api.SourceRecord, error), done func(seen map[string]string) bool, after func(seen map[string]string)) map[string]string {
	t.Helper()
	seen := map[string]string{}
	deadline := time.Now().Add(60 * time.Second)
	for !done(seen) {
		if time.Now().After(deadline) {
			t.Fatalf("topics seen: %v", seen)
		}
		recs, err := poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			name := "-"
			if r.KeySchema != nil {
				name = r.KeySchema.Name
			}
			seen[r.Topic] = name
		}
		after(seen)
	}
	return seen
}

// CheckTopics fails t unless the key schema of the data topic is named after the topic, as
// Debezium names it, and no topic but data and allowed was seen.
func CheckTopics(t testing.TB, seen map[string]string, data string, allowed ...string) {
	t.Helper()
	if seen[data] != data+".Key" {
		t.Errorf("key schema %q, want %s.Key", seen[data], data)
	}
	for topic := range seen {
		if topic != data && !slices.Contains(allowed, topic) {
			t.Errorf("unexpected topic %s", topic)
		}
	}
}

// With returns m with the key/value pairs kv (key, value, key, value...) set, for the
// configurations tests build.
func With(m map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Threads runs test as subtests with 1 and with 4 snapshot threads.
func Threads(t *testing.T, test func(t *testing.T, threads int)) {
	for _, threads := range []int{1, 4} {
		t.Run("threads="+strconv.Itoa(threads), func(t *testing.T) { test(t, threads) })
	}
}

// FieldNames lists the names of a struct schema's fields in order.
func FieldNames(s *api.Schema) []string {
	var out []string
	for _, f := range s.Fields {
		out = append(out, f.Name)
	}
	return out
}
