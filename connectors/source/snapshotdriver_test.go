package source

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/connectd/connectd/connectors/envelope"
)

// memTable is a table of integer keys 1..rows for the driver tests.
type memTable struct{ rows int }

type memRow struct {
	table string
	key   int
}

// memReader reads memTables; it yields between rows so that tables read on several readers
// interleave.
type memReader struct{}

func (memReader) ReadChunk(ctx context.Context, t *SnapshotTable[memTable], after []string, limit int, add func(memRow, []string) error) error {
	from := 1
	if after != nil {
		k, err := strconv.Atoi(after[0])
		if err != nil {
			return err
		}
		from = k + 1
	}
	n := 0
	for k := from; k <= t.Data.rows && (limit == 0 || n < limit); k++ {
		var key []string
		if t.Keyed {
			key = []string{strconv.Itoa(k)}
		}
		if err := add(memRow{t.ID, k}, key); err != nil {
			return err
		}
		n++
		runtime.Gosched()
	}
	return nil
}

type emitted struct {
	row    memRow
	marker envelope.Snapshot
	off    SnapshotOffset
}

var errCrash = errors.New("crash")

// runMem reads tables on threads readers, resuming from res, and stops with errCrash after
// stopAfter records (0: never).
func runMem(t *testing.T, tables []SnapshotTable[memTable], threads int, res *SnapshotResume, stopAfter int) ([]emitted, error) {
	t.Helper()
	readers := make([]ChunkReader[memTable, memRow], threads)
	for i := range readers {
		readers[i] = memReader{}
	}
	var out []emitted
	_, err := ReadSnapshot(context.Background(), readers, tables, SnapshotOptions{ChunkSize: 7, NumericKeys: true, Resume: res},
		func(_ context.Context, r memRow, m envelope.Snapshot, off SnapshotOffset) error {
			if stopAfter > 0 && len(out) == stopAfter {
				return errCrash
			}
			out = append(out, emitted{r, m, off})
			return nil
		})
	return out, err
}

func memTables() []SnapshotTable[memTable] {
	var ts []SnapshotTable[memTable]
	for i, n := range []int{30, 0, 17, 1, 45, 0, 12, 25} {
		ts = append(ts, SnapshotTable[memTable]{ID: fmt.Sprintf("d.t%d", 7-i), Keyed: i != 3, Data: memTable{n}})
	}
	return ts
}

// checkMarkers checks Debezium's markers: one first, one last (the last record), and per table
// first_in/last_in where the table has more than one row.
func checkMarkers(t *testing.T, out []emitted) {
	t.Helper()
	if len(out) == 0 {
		t.Fatal("nothing emitted")
	}
	counts := map[envelope.Snapshot]int{}
	for i, e := range out {
		counts[e.marker]++
		if (e.marker == envelope.SnapshotLast) != (i == len(out)-1) {
			t.Fatalf("record %d (%v) has marker %v", i, e.row, e.marker)
		}
		if (e.marker == envelope.SnapshotLast) != (e.off == SnapshotOffset{}) {
			t.Fatalf("record %d: offset progress %+v with marker %v", i, e.off, e.marker)
		}
	}
	if out[0].marker != envelope.SnapshotFirst || counts[envelope.SnapshotFirst] != 1 || counts[envelope.SnapshotLast] != 1 {
		t.Fatalf("markers: %v", counts)
	}
}

func TestReadSnapshotAllRowsAndMarkers(t *testing.T) {
	for _, threads := range []int{1, 4} {
		out, err := runMem(t, memTables(), threads, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkMarkers(t, out)
		next := map[string]int{}
		for _, e := range out {
			if e.row.key != next[e.row.table]+1 {
				t.Fatalf("threads=%d: table %s row %d after %d", threads, e.row.table, e.row.key, next[e.row.table])
			}
			next[e.row.table] = e.row.key
		}
		if len(out) != 130 {
			t.Fatalf("threads=%d: %d rows, want 130", threads, len(out))
		}
		if threads == 1 {
			for _, e := range out[:len(out)-1] {
				if e.off.Progress != "" {
					t.Fatalf("a sequential snapshot wrote progress %q", e.off.Progress)
				}
			}
		}
	}
}

// TestReadSnapshotResumeAnywhere interrupts the snapshot after every possible record and
// resumes from that record's offset: every row is emitted at least once overall, no row that was
// committed before the interruption is read again except those of keyless tables, and a
// sequential snapshot reads nothing twice.
func TestReadSnapshotResumeAnywhere(t *testing.T) {
	for _, threads := range []int{1, 4} {
		for stop := 1; stop < 130; stop += 3 {
			first, err := runMem(t, memTables(), threads, nil, stop)
			if !errors.Is(err, errCrash) {
				t.Fatalf("threads=%d stop=%d: %v", threads, stop, err)
			}
			res, err := first[len(first)-1].off.Resume()
			if err != nil || res == nil {
				t.Fatalf("threads=%d stop=%d: resume %v %v from %+v", threads, stop, res, err, first[len(first)-1].off)
			}
			second, err := runMem(t, memTables(), threads, res, 0)
			if err != nil {
				t.Fatal(err)
			}
			checkMarkers(t, second)
			seen := map[memRow]int{}
			for _, e := range first {
				seen[e.row]++
			}
			for _, e := range second {
				if seen[e.row] > 0 && e.row.table != "d.t4" {
					t.Fatalf("threads=%d stop=%d: %v read again after the resume from %+v", threads, stop, e.row, first[len(first)-1].off)
				}
				seen[e.row]++
			}
			for _, tb := range memTables() {
				for k := 1; k <= tb.Data.rows; k++ {
					if seen[memRow{tb.ID, k}] == 0 {
						t.Fatalf("threads=%d stop=%d: %s row %d lost (resume %s)", threads, stop, tb.ID, k, res)
					}
				}
			}
		}
	}
}

func TestSnapshotKeyCodec(t *testing.T) {
	for _, c := range []struct {
		key     []string
		numeric bool
		want    string
	}{
		{[]string{"5", "-6"}, true, "[5,-6]"},
		{[]string{"a\"b", "x\\\n"}, false, `["a\"b","x\\\u000a"]`},
	} {
		got := EncodeSnapshotKey(c.key, c.numeric)
		if got != c.want {
			t.Fatalf("encode %q = %s, want %s", c.key, got, c.want)
		}
		back, err := DecodeSnapshotKey(got)
		if err != nil || fmt.Sprint(back) != fmt.Sprint(c.key) {
			t.Fatalf("decode %s = %q, %v", got, back, err)
		}
	}
	for _, bad := range []string{"", "[]", "[x]", "{}", "[true]", "17"} {
		if _, err := DecodeSnapshotKey(bad); err == nil {
			t.Fatalf("%q decoded", bad)
		}
	}
	if _, err := (SnapshotOffset{Table: "d.t", Progress: "{"}).Resume(); err == nil {
		t.Fatal("a broken progress field was accepted")
	}
	r, err := (SnapshotOffset{Table: "d.m", Key: "[42]"}).Resume()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    string
		skip  bool
		after string
	}{{"d.a", true, "[]"}, {"d.m", false, "[42]"}, {"d.z", false, "[]"}} {
		skip, after := r.From(c.id)
		if skip != c.skip || fmt.Sprint(after) != c.after {
			t.Fatalf("From(%s) = %v %v", c.id, skip, after)
		}
	}
}
