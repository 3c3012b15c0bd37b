package mysql

import (
	"reflect"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/source"
)

func TestChunkKey(t *testing.T) {
	tbl := &relational.Table{Columns: []relational.Column{{Name: "v", TypeName: "VARCHAR"}, {Name: "id", TypeName: "BIGINT UNSIGNED"}, {Name: "n", TypeName: "INT"}},
		PrimaryKeyColumnNames: []string{"ID", "n"}}
	if got := chunkKey(tbl); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("integer key: got %v", got)
	}
	tbl.PrimaryKeyColumnNames = []string{"v"}
	if got := chunkKey(tbl); got != nil {
		t.Errorf("text key must be read whole, got %v", got)
	}
	tbl.PrimaryKeyColumnNames = nil
	if got := chunkKey(tbl); got != nil {
		t.Errorf("keyless table must be read whole, got %v", got)
	}
}

func TestIsIntLiteral(t *testing.T) {
	for _, ok := range []string{"3", "-9", "18446744073709551615"} {
		if !isIntLiteral(ok) {
			t.Errorf("%q: want an integer", ok)
		}
	}
	for _, bad := range []string{"", "x", "1 OR 1=1", "1e3", "18446744073709551616"} {
		if isIntLiteral(bad) {
			t.Errorf("%q: not an integer", bad)
		}
	}
}

func TestParseOffsetSnapshotProgress(t *testing.T) {
	o, err := parseOffset(map[string]any{"file": "b.000001", "pos": int64(4), "snapshot": "INITIAL",
		source.OffsetSnapshotTable: "d.t", source.OffsetSnapshotKey: "[5,6]"})
	if err != nil || !o.Snapshot || o.Resume == nil {
		t.Fatalf("got %+v %v", o, err)
	}
	if skip, after := o.Resume.From("d.t"); skip || !reflect.DeepEqual(after, []string{"5", "6"}) {
		t.Fatalf("d.t: %v %v", skip, after)
	}
	if skip, _ := o.Resume.From("d.a"); !skip {
		t.Fatal("d.a comes before d.t: finished")
	}
	// A finished snapshot's progress fields mean nothing.
	o, err = parseOffset(map[string]any{"file": "b.000001", "pos": int64(4), source.OffsetSnapshotTable: "d.t", source.OffsetSnapshotKey: "[5]"})
	if err != nil || o.Resume != nil {
		t.Fatalf("got %+v %v", o, err)
	}
}
