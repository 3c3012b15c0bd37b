package mysql

import (
	"reflect"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/source"
)

func TestChunkKey(t *testing.T) {
	tbl := &relational.Table{Columns: []relational.Column{{Name: "v", TypeName: "VARCHAR", CharsetName: "utf8mb4"}, {Name: "id", TypeName: "BIGINT UNSIGNED"},
		{Name: "n", TypeName: "INT"}, {Name: "d", TypeName: "DATE"}, {Name: "ts", TypeName: "TIMESTAMP"}, {Name: "f", TypeName: "DOUBLE"},
		{Name: "b", TypeName: "CHAR", CharsetName: "binary"}}, PrimaryKeyColumnNames: []string{"ID", "n"}}
	for _, c := range []struct {
		pk    []string
		idx   []int
		kinds []keyKind
	}{
		{[]string{"ID", "n"}, []int{1, 2}, []keyKind{keyInt, keyInt}},
		{[]string{"v"}, []int{0}, []keyKind{keyString}},
		{[]string{"d", "v"}, []int{3, 0}, []keyKind{keyTemporal, keyString}},
		{[]string{"ts"}, nil, nil},
		{[]string{"f"}, nil, nil},
		{[]string{"b"}, nil, nil},
		{nil, nil, nil},
	} {
		tbl.PrimaryKeyColumnNames = c.pk
		idx, kinds := chunkKey(tbl)
		if !reflect.DeepEqual(idx, c.idx) || !reflect.DeepEqual(kinds, c.kinds) {
			t.Errorf("key %v: got %v %v, want %v %v", c.pk, idx, kinds, c.idx, c.kinds)
		}
	}
}

func TestKeyLiteral(t *testing.T) {
	for _, c := range []struct {
		s    string
		k    keyKind
		want string
	}{
		{"-7", keyInt, "-7"},
		{"ab' OR 1=1 -- \\", keyString, "_utf8mb4 X'616227204f5220313d31202d2d205c'"},
		{"", keyString, "_utf8mb4 X''"},
		{"2024-02-29", keyTemporal, "_utf8mb4 X'323032342d30322d3239'"},
	} {
		if got := keyLiteral(c.s, c.k); got != c.want {
			t.Errorf("keyLiteral(%q) = %s, want %s", c.s, got, c.want)
		}
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
