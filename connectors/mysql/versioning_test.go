package mysql

import (
	"reflect"
	"testing"
)

// TestSystemVersionedTables streams tables whose row images carry MariaDB's system-versioning
// columns: hidden ones (implicitly versioned: after the declared columns in every row image)
// and declared invisible ones, through a snapshot, a streamed CREATE and an ALTER. Events of
// the implicitly versioned tables leave the hidden columns out; every value lands in its own
// field.
func TestSystemVersionedTables(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
		"CREATE TABLE u (id INT PRIMARY KEY, rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE, "+
			"re TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE, v INT, PERIOD FOR SYSTEM_TIME(rs, re)) WITH SYSTEM VERSIONING",
		"INSERT INTO t VALUES (1, 10)", "INSERT INTO u (id, v) VALUES (1, 11)")
	r, err := startTask(t, d.config("srvsv"), &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got rec, want map[string]any, wantFields int) {
		t.Helper()
		after, _ := got.Value["after"].(map[string]any)
		if len(after) != wantFields {
			t.Errorf("%s: after has %d fields, want %d: %v", what, len(after), wantFields, after)
		}
		for k, v := range want {
			if after[k] != v {
				t.Errorf("%s: after.%s = %v, want %v (after %v)", what, k, after[k], v, after)
			}
		}
		if _, ok := after[hiddenRowStart]; ok {
			t.Errorf("%s: the hidden row start column is in the event: %v", what, after)
		}
	}
	snap := r.pollUntil(2)
	for _, e := range snap {
		v := decode(t, e)
		switch e.Topic {
		case "srvsv." + d.name + ".t":
			check("snapshot of t", v, map[string]any{"id": float64(1), "v": float64(10)}, 2)
		case "srvsv." + d.name + ".u":
			check("snapshot of u", v, map[string]any{"id": float64(1), "v": float64(11)}, 4)
		}
	}
	r.waitStreaming()
	d.exec("SET @@system_versioning_alter_history = KEEP",
		"ALTER TABLE t ADD COLUMN w VARCHAR(5)",
		"INSERT INTO t VALUES (2, 20, 'x')",
		"CREATE TABLE n (id INT PRIMARY KEY, s VARCHAR(4)) WITH SYSTEM VERSIONING",
		"INSERT INTO n VALUES (3, 'abc')",
		"INSERT INTO u (id, v) VALUES (2, 22)")
	evs := r.pollUntil(3)
	check("t after ALTER", decode(t, evs[0]), map[string]any{"id": float64(2), "v": float64(20), "w": "x"}, 3)
	check("streamed CREATE n", decode(t, evs[1]), map[string]any{"id": float64(3), "s": "abc"}, 2)
	check("u", decode(t, evs[2]), map[string]any{"id": float64(2), "v": float64(22)}, 4)
	if k := decode(t, evs[2]).Key; len(k) != 2 || k["id"] != float64(2) || k["re"] == nil {
		t.Errorf("key of u is %v, want id and re (MariaDB adds the row end column to the primary key)", k)
	}

	// MariaDB logs an UPDATE of t as an update plus the insert of a history row, and a DELETE
	// as an update closing row_end: the events are those of the current data.
	d.exec("UPDATE t SET v = 21 WHERE id = 2", "DELETE FROM t WHERE id = 2", "DELETE HISTORY FROM t",
		"INSERT INTO t VALUES (3, 30, 'y')")
	evs = r.pollUntil(4)
	if got := ops(t, evs, "id"); !reflect.DeepEqual(got, []string{"u:2", "d:2", "tomb:2", "c:3"}) {
		t.Fatalf("ops on the versioned table %v, want u:2 d:2 tomb:2 c:3", got)
	}
	check("update", decode(t, evs[0]), map[string]any{"id": float64(2), "v": float64(21), "w": "x"}, 3)
	if b := decode(t, evs[1]).Value["before"].(map[string]any); b["v"] != float64(21) || len(b) != 3 {
		t.Errorf("delete's before is %v", b)
	}
}
