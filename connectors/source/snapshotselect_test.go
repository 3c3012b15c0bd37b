package source

import (
	"reflect"
	"strings"
	"testing"
)

// TestSnapshotSelection: the include list keeps matching tables only; an overridden table gets
// its statement (trailing ';' removed) and is read whole; nothing set gives nil.
func TestSnapshotSelection(t *testing.T) {
	if s, err := ParseSnapshotSelection(map[string]string{}); s != nil || err != nil {
		t.Fatalf("empty: %v %v", s, err)
	}
	s, err := ParseSnapshotSelection(map[string]string{
		PropSnapshotInclude:                  `db\.(a|b)`,
		PropSnapshotOverrides:                "db.b",
		PropSnapshotOverrides + ".db.b":      "SELECT * FROM db.b WHERE x > 1;",
		PropSnapshotOverrides + ".db.unused": "SELECT 1",
	})
	if err != nil {
		t.Fatal(err)
	}
	tables := []SnapshotTable[int]{{ID: "db.a", Keyed: true}, {ID: "db.b", Keyed: true}, {ID: "db.c", Keyed: true}}
	got := selectTables(s, tables)
	want := []SnapshotTable[int]{{ID: "db.a", Keyed: true}, {ID: "db.b", Select: "SELECT * FROM db.b WHERE x > 1"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := ParseSnapshotSelection(map[string]string{PropSnapshotOverrides: "db.a,db.b", PropSnapshotOverrides + ".db.a": "SELECT 1"}); err == nil ||
		!strings.Contains(err.Error(), PropSnapshotOverrides+".db.b is not set") {
		t.Fatalf("want an error naming the missing statement, got %v", err)
	}
	if _, err := ParseSnapshotSelection(map[string]string{PropSnapshotInclude: "("}); err == nil {
		t.Fatal("a bad pattern was accepted")
	}
}
