package postgres

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connectors/source/sourcetest"
)

// TestFieldNameAdjustment: field.name.adjustment.mode renames the key and value fields of
// columns whose names are not valid Avro names, in snapshot and streamed events, the values
// staying under the renamed fields (a variable-scale NUMERIC column too, whose struct values
// carry their field's schema).
func TestFieldNameAdjustment(t *testing.T) {
	for _, c := range []struct {
		mode string
		want []string
	}{
		{"avro", []string{"id", "bad_name", "_1st", "ok_col", "n_x"}},
		{"avro_unicode", []string{"id", "bad_u002dname", "_u0031st", "ok_u005fcol", "n_u0024x"}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			e := newEnv(t)
			e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, "bad-name" int, "1st" text, ok_col int, "n$x" numeric)`, e.schema),
				fmt.Sprintf(`INSERT INTO %s.t VALUES (1, 2, 'x', 3, 1.5)`, e.schema))
			task := e.start("field.name.adjustment.mode", c.mode, "slot.drop.on.stop", "true")
			recs := e.poll(task, 1)
			e.waitStreaming(task)
			e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (4, 5, 'y', 6, 2.25)`, e.schema))
			recs = append(recs, e.poll(task, 1)...)
			for i, r := range recs {
				if got := sourcetest.FieldNames(r.ValueSchema.Field("after").Schema); !reflect.DeepEqual(got, c.want) {
					t.Fatalf("record %d: value fields %v, want %v", i, got, c.want)
				}
				if got := sourcetest.FieldNames(r.KeySchema); !reflect.DeepEqual(got, []string{"id"}) {
					t.Fatalf("record %d: key fields %v", i, got)
				}
				after := decode(r).after
				for _, f := range c.want[1:] {
					if after[f] == nil {
						t.Fatalf("record %d: no value under %s: %v", i, f, after)
					}
				}
			}
		})
	}
}

// TestSnapshotSelection: snapshot.include.collection.list leaves a captured table out of the
// snapshot (its changes still stream), and snapshot.select.statement.overrides reads another
// table's snapshot with the given SELECT (a row left out, columns in another order).
func TestSnapshotSelection(t *testing.T) {
	e := newEnv(t)
	for _, tb := range []string{"a", "b", "c"} {
		e.exec(fmt.Sprintf(`CREATE TABLE %s.%s (id int PRIMARY KEY, v text)`, e.schema, tb))
	}
	e.exec(fmt.Sprintf(`INSERT INTO %s.a VALUES (1, 'a1'), (2, 'a2')`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.b VALUES (1, 'b1'), (2, 'b2'), (3, 'b3')`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.c VALUES (1, 'c1')`, e.schema))
	task := e.start("snapshot.include.collection.list", e.schema+`\.(a|b)`,
		"snapshot.select.statement.overrides", e.schema+".b",
		"snapshot.select.statement.overrides."+e.schema+".b", fmt.Sprintf(`SELECT v, id FROM %s.b WHERE id <> 2 ORDER BY id`, e.schema),
		"snapshot.fetch.size", "1", "slot.drop.on.stop", "true")
	snap := e.poll(task, 4)
	e.waitStreaming(task)
	var got []string
	for _, r := range snap {
		d := decode(r)
		got = append(got, r.Topic[strings.LastIndexByte(r.Topic, '.')+1:]+":"+fmt.Sprint(d.after["v"])+":"+fmt.Sprint(d.source["snapshot"]))
	}
	want := []string{"a:a1:first", "a:a2:last_in_data_collection", "b:b1:first_in_data_collection", "b:b3:last"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot %v, want %v", got, want)
	}
	e.exec(fmt.Sprintf(`INSERT INTO %s.c VALUES (2, 'c2')`, e.schema))
	if d := decode(e.poll(task, 1)[0]); d.op != "c" || fmt.Sprint(d.after["v"]) != "c2" {
		t.Fatalf("streamed %+v", d)
	}
}

// TestEventProcessingFailureMode provokes a change connectd cannot convert: NaN in a NOT NULL
// NUMERIC column has no Decimal value under decimal.handling.mode=precise. Under 'fail' (the
// default) the task stops with the change's LSN and table; under 'warn' and 'skip' the change
// is skipped and the next one streams.
func TestEventProcessingFailureMode(t *testing.T) {
	for _, mode := range []string{"fail", "warn", "skip"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, n numeric NOT NULL)`, e.schema))
			task := e.start("event.processing.failure.handling.mode", mode, "slot.drop.on.stop", "true")
			e.waitStreaming(task)
			e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (1, 'NaN')`, e.schema), fmt.Sprintf(`INSERT INTO %s.t VALUES (2, 2.5)`, e.schema))
			if mode != "fail" {
				if d := decode(e.poll(task, 1)[0]); d.op != "c" || fmt.Sprint(d.after["id"]) != "2" {
					t.Fatalf("streamed %+v", d)
				}
				return
			}
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				_, err := task.Poll(context.Background())
				if err == nil {
					continue
				}
				for _, want := range []string{"cannot process the change at LSN ", "(transaction ", "in table " + e.schema + ".t", "NOT NULL"} {
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

// TestPropagateSourceTypes: column.propagate.source.type and datatype.propagate.source.type put
// the column's PostgreSQL type name (typname, upper-cased as Debezium does), length and scale, as the JDBC driver reports
// them to Debezium, and its name on the value fields they match, in snapshot and streamed
// events alike.
func TestPropagateSourceTypes(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, name varchar(20), price numeric(10,2), note text, at timestamp(3), big int8, plain numeric)`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.t VALUES (1, 'a', 1.5, 'n', '2020-01-01', 1, 1)`, e.schema))
	task := e.start("column.propagate.source.type", e.schema+`\.t\.(name|price|note|at|plain)`,
		"datatype.propagate.source.type", `.+\.int8`, "slot.drop.on.stop", "true")
	recs := e.poll(task, 1)
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (2, 'b', 2.5, 'm', '2020-01-02', 2, 2)`, e.schema))
	recs = append(recs, e.poll(task, 1)...)
	want := map[string]string{
		"id":    "[]",
		"name":  "[{__debezium.source.column.type VARCHAR} {__debezium.source.column.length 20} {__debezium.source.column.scale 0} {__debezium.source.column.name name}]",
		"price": "[{scale 2} {connect.decimal.precision 10} {__debezium.source.column.type NUMERIC} {__debezium.source.column.length 10} {__debezium.source.column.scale 2} {__debezium.source.column.name price}]",
		"note":  "[{__debezium.source.column.type TEXT} {__debezium.source.column.length 2147483647} {__debezium.source.column.scale 0} {__debezium.source.column.name note}]",
		"at":    "[{__debezium.source.column.type TIMESTAMP} {__debezium.source.column.length 26} {__debezium.source.column.scale 3} {__debezium.source.column.name at}]",
		"big":   "[{__debezium.source.column.type INT8} {__debezium.source.column.length 19} {__debezium.source.column.scale 0} {__debezium.source.column.name big}]",
		"plain": "[{__debezium.source.column.type NUMERIC} {__debezium.source.column.length 131089} {__debezium.source.column.scale 0} {__debezium.source.column.name plain}]",
	}
	for i, r := range recs {
		for _, f := range r.ValueSchema.Field("after").Schema.Fields {
			if got := fmt.Sprint(f.Schema.Parameters); got != want[f.Name] {
				t.Errorf("record %d field %s: parameters %s, want %s", i, f.Name, got, want[f.Name])
			}
		}
	}
}
