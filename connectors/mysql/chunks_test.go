package mysql

import (
	"reflect"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
)

func TestChunkQuery(t *testing.T) {
	cols := []string{"`a`", "`b`", "`v`"}
	if got, want := chunkQuery("`d`.`t`", cols, []string{"`a`"}, nil, 5),
		"SELECT `a`, `b`, `v` FROM `d`.`t` ORDER BY `a` LIMIT 5"; got != want {
		t.Errorf("first chunk:\n got %s\nwant %s", got, want)
	}
	if got, want := chunkQuery("`d`.`t`", cols, []string{"`a`"}, []string{"-7"}, 5),
		"SELECT `a`, `b`, `v` FROM `d`.`t` WHERE (`a` > -7) ORDER BY `a` LIMIT 5"; got != want {
		t.Errorf("next chunk:\n got %s\nwant %s", got, want)
	}
	if got, want := chunkQuery("`d`.`t`", cols, []string{"`a`", "`b`"}, []string{"3", "9"}, 100),
		"SELECT `a`, `b`, `v` FROM `d`.`t` WHERE (`a` > 3) OR (`a` = 3 AND `b` > 9) ORDER BY `a`, `b` LIMIT 100"; got != want {
		t.Errorf("composite key:\n got %s\nwant %s", got, want)
	}
}

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

func TestChunkKeyCodec(t *testing.T) {
	k := []string{"3", "-9", "18446744073709551615"}
	got, err := decodeChunkKey(encodeChunkKey(k))
	if err != nil || !reflect.DeepEqual(got, k) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "3", "[a]", "[1 OR 1=1]", "[\"x\"]"} {
		if _, err := decodeChunkKey(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestResumeFrom(t *testing.T) {
	var none *snapResume
	if skip, after := none.resumeFrom("d.a"); skip || after != nil {
		t.Error("no progress: read everything")
	}
	r := &snapResume{table: "d.m", key: []string{"42"}}
	for _, c := range []struct {
		id    string
		skip  bool
		after []string
	}{{"d.a", true, nil}, {"d.m", false, []string{"42"}}, {"d.z", false, nil}} {
		skip, after := r.resumeFrom(c.id)
		if skip != c.skip || !reflect.DeepEqual(after, c.after) {
			t.Errorf("%s: got %v %v", c.id, skip, after)
		}
	}
}

func TestParseOffsetSnapshotProgress(t *testing.T) {
	o, err := parseOffset(map[string]any{"file": "b.000001", "pos": int64(4), "snapshot": "INITIAL",
		offSnapTable: "d.t", offSnapKey: "[5,6]"})
	if err != nil || o.SnapTable != "d.t" || !reflect.DeepEqual(o.SnapKey, []string{"5", "6"}) || !o.Snapshot {
		t.Fatalf("got %+v %v", o, err)
	}
	// A finished snapshot's progress fields mean nothing.
	o, err = parseOffset(map[string]any{"file": "b.000001", "pos": int64(4), offSnapTable: "d.t", offSnapKey: "[5]"})
	if err != nil || o.SnapTable != "" || o.SnapKey != nil {
		t.Fatalf("got %+v %v", o, err)
	}
}
