// Package incrtest holds what the connectors' incremental snapshot tests share: the size of the
// table they read, a writer that changes its rows while a snapshot runs, and the check that the
// latest event of every key equals the table's row (no key lost, no deleted row brought back).
package incrtest

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source/sourcetest"
)

// Rows is the size of the table an incremental snapshot test reads: CONNECTD_INCREMENTAL_ROWS
// sets it (the full run is 200000), else def keeps the test short on a shared machine.
func Rows(t testing.TB, def int) int {
	t.Helper()
	s := os.Getenv("CONNECTD_INCREMENTAL_ROWS")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1000 {
		t.Fatalf("CONNECTD_INCREMENTAL_ROWS=%q: want an integer of at least 1000", s)
	}
	return n
}

// Op is one kind of change the writer makes.
type Op int

// The changes a writer makes, in turn.
const (
	Upsert Op = iota // insert the row, or update it when it exists
	Update           // update the row, when it exists
	Delete           // delete the row, when it exists
)

// Writer changes rows of a table with random keys until halted.
type Writer struct {
	stop chan struct{}
	wg   sync.WaitGroup
	err  error
	n    int
}

// StartWriter runs exec on the statements stmt writes, one a millisecond, until Halt: change n
// (counting from 1) is op n%3 on key id, a random key in 1..keys+keys/10 (so inserts also land
// beyond the table's first rows).
func StartWriter(seed int64, keys int, stmt func(op Op, n, id int) string, exec func(q string) error) *Writer {
	return StartPacedWriter(seed, keys, time.Millisecond, stmt, exec)
}

// StartPacedWriter is StartWriter with pause after each change instead of a millisecond.
func StartPacedWriter(seed int64, keys int, pause time.Duration, stmt func(op Op, n, id int) string, exec func(q string) error) *Writer {
	w := &Writer{stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		rnd := rand.New(rand.NewSource(seed))
		for n := 1; ; n++ {
			select {
			case <-w.stop:
				return
			default:
			}
			id := 1 + rnd.Intn(keys+keys/10)
			if err := exec(stmt(Op(n%3), n, id)); err != nil {
				w.err = err
				return
			}
			w.n++
			time.Sleep(pause)
		}
	}()
	return w
}

// Halt stops the writer (again is fine) and returns the error that stopped it early, if any.
func (w *Writer) Halt() error {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.wg.Wait()
	return w.err
}

// Changes returns how many changes the writer made; call it after Halt.
func (w *Writer) Changes() int { return w.n }

// Event is a change event of the checked table, as the connector's test decodes it.
type Event struct {
	// Key is the row's key as text.
	Key string
	// Value is the checked column's value as text; ignored when Deleted.
	Value string
	// Deleted is set for a delete event or a tombstone.
	Deleted bool
}

// Events decodes the records of topic in order with decode.
func Events(all []*api.SourceRecord, topic string, decode func(r *api.SourceRecord) Event) []Event {
	var out []Event
	for _, r := range all {
		if r.Topic == topic {
			out = append(out, decode(r))
		}
	}
	return out
}

// CheckLatest compares the latest event of every key with the table's rows (key to value, as
// text): a row without a live latest event is lost, a live latest event without a row brings a
// deleted row back (sourcetest.CheckLatest).
func CheckLatest(t testing.TB, events []Event, table map[string]string) {
	t.Helper()
	latest := map[string]string{} // key -> value, "" for deleted
	for _, e := range events {
		if e.Deleted {
			latest[e.Key] = ""
		} else {
			latest[e.Key] = e.Value
		}
	}
	sourcetest.CheckLatest(t, latest, table)
}

// MariaDBChanges writes the writer's changes to table (id, v) in MariaDB's SQL.
func MariaDBChanges(table string) func(op Op, n, id int) string {
	return func(op Op, n, id int) string {
		switch op {
		case Upsert:
			return fmt.Sprintf("INSERT INTO %s VALUES (%d,%d) ON DUPLICATE KEY UPDATE v=%d", table, id, n, n)
		case Update:
			return fmt.Sprintf("UPDATE %s SET v=%d WHERE id=%d", table, n, id)
		}
		return fmt.Sprintf("DELETE FROM %s WHERE id=%d", table, id)
	}
}

// PostgresChanges writes the writer's changes to table (id, v) in PostgreSQL's SQL.
func PostgresChanges(table string) func(op Op, n, id int) string {
	return func(op Op, n, id int) string {
		switch op {
		case Upsert:
			return fmt.Sprintf("INSERT INTO %s VALUES (%d,%d) ON CONFLICT (id) DO UPDATE SET v=%d", table, id, n, n)
		case Update:
			return fmt.Sprintf("UPDATE %s SET v=%d WHERE id=%d", table, n, id)
		}
		return fmt.Sprintf("DELETE FROM %s WHERE id=%d", table, id)
	}
}
