package source

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/connectd/connectd/connectors/envelope"
)

// memRangeReader reads memTables in key ranges too.
type memRangeReader struct {
	memReader
	splits *atomic.Int32
}

func (r memRangeReader) SplitKeys(_ context.Context, t *SnapshotTable[memTable], after []string, parts, minRows int) ([][]string, error) {
	from := 0
	if after != nil {
		from, _ = strconv.Atoi(after[0])
	}
	n := t.Data.rows - from
	if n/parts < minRows {
		parts = n / minRows
	}
	var cuts [][]string
	for i := 1; i < parts; i++ {
		cuts = append(cuts, []string{strconv.Itoa(from + n*i/parts)})
	}
	r.splits.Add(1)
	return cuts, nil
}

func (r memRangeReader) ReadRange(ctx context.Context, t *SnapshotTable[memTable], after, upTo []string, limit int, add func(memRow, []string) error) error {
	hi, err := strconv.Atoi(upTo[0])
	if err != nil {
		return err
	}
	bounded := *t
	bounded.Data.rows = min(hi, t.Data.rows)
	return r.memReader.ReadChunk(ctx, &bounded, after, limit, add)
}

// runSplit is runMem with readers that split tables.
func runSplit(t *testing.T, tables []SnapshotTable[memTable], threads int, res *SnapshotResume, stopAfter int) ([]emitted, int32, error) {
	t.Helper()
	var splits atomic.Int32
	readers := make([]ChunkReader[memTable, memRow], threads)
	for i := range readers {
		readers[i] = memRangeReader{splits: &splits}
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
	return out, splits.Load(), err
}

func splitTables() []SnapshotTable[memTable] {
	return []SnapshotTable[memTable]{
		{ID: "d.big", Keyed: true, Data: memTable{200}},
		{ID: "d.keyless", Keyed: false, Data: memTable{9}},
		{ID: "d.small", Keyed: true, Data: memTable{5}},
	}
}

// TestReadSnapshotSplitTable reads one large table on four readers: it is split, every row is
// emitted once, each range in key order, with the markers right; with as many tables as readers
// nothing is split.
func TestReadSnapshotSplitTable(t *testing.T) {
	out, splits, err := runSplit(t, splitTables(), 4, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if splits == 0 {
		t.Fatal("no table was split")
	}
	checkMarkers(t, out)
	seen := map[memRow]int{}
	for _, e := range out {
		seen[e.row]++
		if e.row.table == "d.big" && e.marker != envelope.SnapshotLast && !strings.Contains(e.off.Progress, `"ranges":{"d.big":[`) {
			t.Fatalf("row %v of the split table has progress %q", e.row, e.off.Progress)
		}
	}
	if len(out) != 214 || len(seen) != 214 {
		t.Fatalf("%d rows, %d distinct, want 214", len(out), len(seen))
	}
	var lastIn int
	for _, e := range out {
		if e.row.table == "d.big" && (e.marker == envelope.SnapshotLastInDataCollection || e.marker == envelope.SnapshotLast) {
			lastIn++
		}
	}
	if lastIn != 1 {
		t.Fatalf("the big table has %d last markers", lastIn)
	}
	_, splits, err = runSplit(t, memTables(), 4, nil, 0)
	if err != nil || splits != 0 {
		t.Fatalf("8 tables on 4 readers: %d splits, %v", splits, err)
	}
}

// TestReadSnapshotSplitResumeAnywhere interrupts a split read after every third record and
// resumes, on 4 readers and on 1: nothing committed is read again (the keyless table aside),
// nothing is lost, and a second interruption of the resumed run resumes as well.
func TestReadSnapshotSplitResumeAnywhere(t *testing.T) {
	for _, threads := range []int{4, 1} {
		for stop := 1; stop < 214; stop += 3 {
			first, _, err := runSplit(t, splitTables(), 4, nil, stop)
			if !errors.Is(err, errCrash) {
				t.Fatalf("stop=%d: %v", stop, err)
			}
			res, err := first[len(first)-1].off.Resume()
			if err != nil || res == nil {
				t.Fatalf("stop=%d: resume %v %v from %+v", stop, res, err, first[len(first)-1].off)
			}
			// Interrupt the resumed run too, then finish.
			second, _, err := runSplit(t, splitTables(), threads, res, 5)
			if err != nil && !errors.Is(err, errCrash) {
				t.Fatal(err)
			}
			var third []emitted
			if err != nil {
				res2, err := second[len(second)-1].off.Resume()
				if err != nil || res2 == nil {
					t.Fatalf("stop=%d: second resume %v %v from %+v", stop, res2, err, second[len(second)-1].off)
				}
				if third, _, err = runSplit(t, splitTables(), threads, res2, 0); err != nil {
					t.Fatal(err)
				}
				checkRunMarkers(t, third)
			} else {
				checkRunMarkers(t, second)
			}
			seen := map[memRow]int{}
			for _, run := range [][]emitted{first, second, third} {
				for _, e := range run {
					if seen[e.row] > 0 && e.row.table != "d.keyless" {
						t.Fatalf("threads=%d stop=%d: %v read again (first stop at %+v, then %+v)", threads, stop, e.row, first[len(first)-1].off, second[len(second)-1].off)
					}
					seen[e.row]++
				}
			}
			for _, tb := range splitTables() {
				for k := 1; k <= tb.Data.rows; k++ {
					if seen[memRow{tb.ID, k}] == 0 {
						t.Fatalf("threads=%d stop=%d: %s row %d lost (resume %s)", threads, stop, tb.ID, k, res)
					}
				}
			}
		}
	}
}

// checkRunMarkers is checkMarkers, but a run of one row has only the snapshot's last marker.
func checkRunMarkers(t *testing.T, out []emitted) {
	t.Helper()
	if len(out) == 1 {
		if out[0].marker != envelope.SnapshotLast {
			t.Fatalf("the only row has marker %v", out[0].marker)
		}
		return
	}
	checkMarkers(t, out)
}
