package envelope

import (
	"testing"
	"time"
)

// Inspect reads what progress reporting needs of an event and nothing of other records.
func TestInspect(t *testing.T) {
	ts := newCustomers(t)
	at := time.UnixMilli(1700000000123)
	src := NewSource(ts.SourceSchema(), &SourceInfo{Name: "dbserver1", DB: "inventory", Time: at.Add(-250 * time.Millisecond)})
	for _, c := range []struct {
		op          Op
		marker      Snapshot
		incremental bool
		lastOfTable bool
	}{{OpCreate, SnapshotFalse, false, false}, {OpRead, SnapshotTrue, false, false}, {OpRead, SnapshotIncremental, true, false},
		{OpRead, SnapshotLastInDataCollection, false, true}, {OpRead, SnapshotLast, false, true}, {OpRead, SnapshotFirst, false, false}} {
		src.PutIndex(SourceSnapshotIndex, c.marker.value())
		recs, err := ts.Records(nil, &Event{Op: c.op, After: []any{int64(1), "Sally", int64(3)}, Source: src, Time: at}, true)
		if err != nil {
			t.Fatal(err)
		}
		in, ok := Inspect(recs[0].Value)
		if !ok || in.Op != byte(c.op) || in.Source != src || in.ProcessedMs != at.UnixMilli() || in.SourceMs != at.UnixMilli()-250 || in.Incremental != c.incremental || in.LastOfTable != c.lastOfTable {
			t.Errorf("%c %s: %+v %v", c.op, c.marker, in, ok)
		}
		if n := testing.AllocsPerRun(100, func() { Inspect(recs[0].Value) }); n != 0 {
			t.Errorf("Inspect allocates %v times", n)
		}
	}
	if _, ok := Inspect(src); ok {
		t.Error("a source block is no change event")
	}
	if _, ok := Inspect(nil); ok {
		t.Error("a tombstone is no change event")
	}
}
