package postgres

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
)

// TestColumnTypes: every common type reads the same through the snapshot (SELECT) and the
// stream (pgoutput), with Debezium's representation and schema.
func TestColumnTypes(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE EXTENSION IF NOT EXISTS hstore`)
	e.exec(fmt.Sprintf(`CREATE TYPE %[1]s.mood AS ENUM ('sad', 'ok', 'happy');
	CREATE TABLE %[1]s.types (
		id int PRIMARY KEY,
		i2 smallint, i8 bigint, f4 real, f8 double precision, b boolean,
		n numeric(8,3), nv numeric, m money,
		t text, vc varchar(20), c char(4), by bytea, u uuid, j json, jb jsonb,
		d date, ti time, ti3 time(3), ts timestamp, ts3 timestamp(3), tstz timestamptz, ttz timetz,
		iv interval, ia int[], ta text[], mo %[1]s.mood, h hstore, bt bit(3), inet inet,
		nn text NOT NULL DEFAULT 'dflt'
	)`, e.schema))
	row := `(%d, -7, 9000000000, 1.5, 2.25, true, 12.345, 1.10, 12.34,
		'text', 'varchar', 'ab', '\x00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{"b": [1, 2]}',
		'2016-11-04', '13:51:30.123456', '13:51:30.123', '2016-11-04 13:51:30.123456', '2016-11-04 13:51:30.123',
		'2016-11-04 13:51:30.123456+02', '13:51:30.5+02', '1 year 2 months 3 days 04:05:06.78', '{1,NULL,3}', '{"a b",c}',
		'happy', '"k"=>"v", "n"=>NULL', B'101', '10.0.0.1/8', 'x')`
	e.exec(fmt.Sprintf("INSERT INTO %s.types VALUES "+row, e.schema, 1))
	task := e.start()
	snapRecs := e.poll(task, 1)
	snap := decode(snapRecs[0])
	e.exec(fmt.Sprintf("INSERT INTO %s.types VALUES "+row, e.schema, 2), fmt.Sprintf("INSERT INTO %s.types (id) VALUES (3)", e.schema))
	recs := e.poll(task, 2)
	strm := decode(recs[0])
	// Every record converts with Kafka's JsonConverter rules, schemas on: each struct value
	// carries its field's schema (the optional one for a nullable column).
	conv, err := jsonconv.New(map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(snapRecs, recs...) {
		if _, err := conv.Encode(nil, r.ValueSchema, r.Value); err != nil {
			t.Errorf("value does not convert to JSON: %v", err)
		}
		if _, err := conv.Encode(nil, r.KeySchema, r.Key); err != nil {
			t.Errorf("key does not convert to JSON: %v", err)
		}
	}

	want := map[string]any{
		"i2": int16(-7), "i8": int64(9000000000), "f4": float32(1.5), "f8": 2.25, "b": true,
		"n": "12.345", "m": "12.34",
		"t": "text", "vc": "varchar", "c": "ab  ", "by": []byte{0, 0xff}, "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"j": `{"a": 1}`, "jb": `{"b": [1, 2]}`,
		"d":    int32(17109),
		"ti":   int64(49890123456),
		"ti3":  int32(49890123),
		"ts":   time.Date(2016, 11, 4, 13, 51, 30, 123456000, time.UTC).UnixMicro(),
		"ts3":  time.Date(2016, 11, 4, 13, 51, 30, 123000000, time.UTC).UnixMilli(),
		"tstz": "2016-11-04T11:51:30.123456Z", "ttz": "11:51:30.5Z",
		"iv": int64(37091106780000), "ia": []any{int32(1), nil, int32(3)}, "ta": []any{"a b", "c"},
		"mo": "happy", "h": `{"k":"v","n":null}`, "bt": []byte{5}, "inet": "10.0.0.1/8", "nn": "x",
	}
	for name, d := range map[string]ev{"snapshot": snap, "stream": strm} {
		for col, w := range want {
			got := d.after[col]
			if !reflect.DeepEqual(got, w) && !(isBytes(got) && bytes.Equal(got.([]byte), w.([]byte))) {
				t.Errorf("%s %s = %#v, want %#v", name, col, got, w)
			}
		}
		if nv, ok := d.after["nv"].(map[string]any); !ok || nv["scale"] != int32(1) {
			t.Errorf("%s nv (VariableScaleDecimal) = %#v", name, d.after["nv"])
		}
	}
	// Schemas: the snapshot and the stream build the same value schema.
	vs := recs[0].ValueSchema.Field("after").Schema
	for col, name := range map[string]string{"tstz": api.ZonedTimestampName, "d": api.DebeziumDateName, "u": api.UUIDName,
		"j": api.JSONName, "mo": api.EnumName, "iv": api.MicroDurationName, "n": api.DecimalName, "ts3": api.DebeziumTimestampName} {
		if f := vs.Field(col); f == nil || f.Schema.Name != name {
			t.Errorf("schema of %s: %+v, want %s", col, f, name)
		}
	}
	if f := vs.Field("nn"); f.Schema.Optional || f.Schema.Default != "dflt" {
		t.Errorf("nn: optional=%v default=%v, want required with default \"dflt\"", f.Schema.Optional, f.Schema.Default)
	}
	if f := vs.Field("t"); !f.Schema.Optional {
		t.Errorf("nullable column t is not optional")
	}
}

func isBytes(v any) bool { _, ok := v.([]byte); return ok }

// TestToastAndReplicaIdentityFull: an update that leaves a TOASTed value unchanged carries
// unavailable.value.placeholder under REPLICA IDENTITY DEFAULT; under FULL the update and delete
// carry the whole old row, and the unchanged TOASTed value is taken from it.
func TestToastAndReplicaIdentityFull(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("0123456789abcdefghij", 2000) // 40 kB, stored out of line
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.docs (id int PRIMARY KEY, title text, body text, tags text[]);
		ALTER TABLE %[1]s.docs ALTER COLUMN body SET STORAGE EXTERNAL;
		ALTER TABLE %[1]s.docs ALTER COLUMN tags SET STORAGE EXTERNAL;
		CREATE TABLE %[1]s.full_docs (id int PRIMARY KEY, title text, body text);
		ALTER TABLE %[1]s.full_docs REPLICA IDENTITY FULL;
		ALTER TABLE %[1]s.full_docs ALTER COLUMN body SET STORAGE EXTERNAL`, e.schema))
	task := e.start("unavailable.value.placeholder", "__toast__")
	e.waitStreaming(task)
	bigTags := "{" + strings.TrimSuffix(strings.Repeat(`"`+strings.Repeat("t", 100)+`",`, 100), ",") + "}"
	e.exec(fmt.Sprintf(`INSERT INTO %s.docs VALUES (1, 'a', '%s', '%s')`, e.schema, big, bigTags),
		fmt.Sprintf(`UPDATE %s.docs SET title = 'b' WHERE id = 1`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.full_docs VALUES (1, 'a', '%s')`, e.schema, big),
		fmt.Sprintf(`UPDATE %s.full_docs SET title = 'b' WHERE id = 1`, e.schema),
		fmt.Sprintf(`DELETE FROM %s.full_docs WHERE id = 1`, e.schema))
	recs := e.poll(task, 6) // c, u, c, u, d, tombstone
	ins, upd := decode(recs[0]), decode(recs[1])
	if ins.after["body"] != big {
		t.Errorf("insert body has %d characters, want %d", len(fmt.Sprint(ins.after["body"])), len(big))
	}
	if upd.after["body"] != "__toast__" || upd.after["title"] != "b" {
		t.Errorf("update with unchanged TOASTed body: body=%.40v title=%v", upd.after["body"], upd.after["title"])
	}
	if !reflect.DeepEqual(upd.after["tags"], []any{"__toast__"}) {
		t.Errorf("update with unchanged TOASTed text[]: %.60v", upd.after["tags"])
	}
	fu, fd := decode(recs[3]), decode(recs[4])
	if fu.before["title"] != "a" || fu.before["body"] != big || fu.after["body"] != big || fu.after["title"] != "b" {
		t.Errorf("REPLICA IDENTITY FULL update: before.title=%v before.body len=%d after.body len=%d",
			fu.before["title"], len(fmt.Sprint(fu.before["body"])), len(fmt.Sprint(fu.after["body"])))
	}
	if fd.op != "d" || fd.before["title"] != "b" || fd.before["body"] != big {
		t.Errorf("REPLICA IDENTITY FULL delete: %v", fd.before["title"])
	}
}
