package mysql

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connectors/source/sourcetest"
)

// TestFieldNameAdjustment: field.name.adjustment.mode renames the key and value fields of
// columns whose names are not valid Avro names, in snapshot and streamed events alike, and the
// values stay under the renamed fields.
func TestFieldNameAdjustment(t *testing.T) {
	for _, c := range []struct {
		mode string
		want []string
	}{
		{"avro", []string{"id", "bad_name", "_1st", "ok_col"}},
		{"avro_unicode", []string{"id", "bad_u002dname", "_u0031st", "ok_u005fcol"}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			d := newDB(t)
			d.exec("CREATE TABLE t (id INT PRIMARY KEY, `bad-name` INT, `1st` VARCHAR(10), ok_col INT)", "INSERT INTO t VALUES (1, 2, 'x', 3)")
			r, err := startTask(t, d.config("srvfna", "field.name.adjustment.mode", c.mode), &memHistory{}, &memOffsets{})
			if err != nil {
				t.Fatal(err)
			}
			recs := r.pollUntil(1)
			r.waitStreaming()
			d.exec("INSERT INTO t VALUES (4, 5, 'y', 6)")
			recs = append(recs, r.pollUntil(1)...)
			for i, rec := range recs {
				after := rec.ValueSchema.Field("after").Schema
				if got := sourcetest.FieldNames(after); !reflect.DeepEqual(got, c.want) {
					t.Fatalf("record %d: value fields %v, want %v", i, got, c.want)
				}
				if got := sourcetest.FieldNames(rec.KeySchema); !reflect.DeepEqual(got, []string{"id"}) {
					t.Fatalf("record %d: key fields %v", i, got)
				}
				v := decode(t, rec).Value["after"].(map[string]any)
				if v[c.want[1]] == nil || v[c.want[2]] == nil || v[c.want[3]] == nil {
					t.Fatalf("record %d: values missing under the adjusted names: %v", i, v)
				}
			}
		})
	}
}

// TestSnapshotSelection: snapshot.include.collection.list leaves a captured table out of the
// snapshot (its changes still stream), and snapshot.select.statement.overrides reads another
// table's snapshot with the given SELECT (here one leaving a row out, its columns in another
// order), in one read although the table has an integer key.
func TestSnapshotSelection(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO a VALUES (1, 'a1'), (2, 'a2')",
		"CREATE TABLE b (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO b VALUES (1, 'b1'), (2, 'b2'), (3, 'b3')",
		"CREATE TABLE c (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO c VALUES (1, 'c1')")
	cfg := d.config("srvsel",
		"snapshot.include.collection.list", d.name+`\.(a|b)`,
		"snapshot.select.statement.overrides", d.name+".b",
		"snapshot.select.statement.overrides."+d.name+".b", "SELECT v, id FROM "+d.name+".b WHERE id <> 2",
		"snapshot.fetch.size", "1")
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	snap := r.pollUntil(4)
	r.waitStreaming()
	var got []string
	for _, rec := range snap {
		v := decode(t, rec).Value
		got = append(got, rec.Topic[strings.LastIndexByte(rec.Topic, '.')+1:]+":"+v["after"].(map[string]any)["v"].(string)+":"+v["source"].(map[string]any)["snapshot"].(string))
	}
	want := []string{"a:a1:first", "a:a2:last_in_data_collection", "b:b1:first_in_data_collection", "b:b3:last"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot %v, want %v", got, want)
	}
	d.exec("INSERT INTO c VALUES (2, 'c2')")
	if got := ops(t, r.pollUntil(1), "id"); !reflect.DeepEqual(got, []string{"c:2"}) {
		t.Fatalf("streamed %v", got)
	}
}

// TestSnapshotSelectionErrors: an override without its statement, and a statement returning a
// column the table does not have, are refused with errors naming the table.
func TestSnapshotSelectionErrors(t *testing.T) {
	d := newDB(t)
	_, err := parseConfig(d.config("srvselx", "snapshot.select.statement.overrides", d.name+".b"), FlavorMariaDB)
	if err == nil || !strings.Contains(err.Error(), "snapshot.select.statement.overrides."+d.name+".b is not set") {
		t.Fatalf("want an error naming the missing statement, got %v", err)
	}
	d.exec("CREATE TABLE b (id INT PRIMARY KEY)", "INSERT INTO b VALUES (1)")
	r, err := startTask(t, d.config("srvselx", "snapshot.select.statement.overrides", d.name+".b",
		"snapshot.select.statement.overrides."+d.name+".b", "SELECT id, 1 AS nope FROM "+d.name+".b"), &memHistory{}, &memOffsets{})
	if err == nil {
		deadline := time.Now().Add(30 * time.Second)
		for err == nil && time.Now().Before(deadline) {
			_, err = r.task.Poll(context.Background())
		}
	}
	if err == nil || !strings.Contains(err.Error(), `returns column "nope"`) {
		t.Fatalf("want an error naming the unknown column, got %v", err)
	}
}

// TestEventProcessingFailureMode provokes rows events the binlog decoder cannot read (MariaDB's
// COMPRESSED columns in a captured table): under 'fail' (the default) the task stops with the
// event's binlog file, position and GTID; under 'warn' and 'skip' the event is skipped and the
// changes after it stream.
func TestEventProcessingFailureMode(t *testing.T) {
	for _, mode := range []string{"fail", "warn", "skip"} {
		t.Run(mode, func(t *testing.T) {
			d := newDB(t)
			d.exec("CREATE TABLE z (id INT PRIMARY KEY, b TEXT COMPRESSED)", "CREATE TABLE ok (id INT PRIMARY KEY)")
			r, err := startTask(t, d.config("srvepf", "event.processing.failure.handling.mode", mode), &memHistory{}, &memOffsets{})
			if err != nil {
				t.Fatal(err)
			}
			r.waitStreaming()
			d.exec("INSERT INTO z VALUES (1, 'abc')", "INSERT INTO ok VALUES (7)")
			if mode != "fail" {
				if got := ops(t, r.pollUntil(1), "id"); !reflect.DeepEqual(got, []string{"c:7"}) {
					t.Fatalf("ops %v", got)
				}
				return
			}
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				_, err := r.task.Poll(context.Background())
				if err == nil {
					continue
				}
				for _, want := range []string{"cannot decode the rows event at binlog file ", ", position ", ", GTID ", "table " + d.name + ".z"} {
					if !strings.Contains(err.Error(), want) {
						t.Fatalf("error %q does not say %q", err, want)
					}
				}
				return
			}
			t.Fatal("no error within 30 s")
		})
	}
}
