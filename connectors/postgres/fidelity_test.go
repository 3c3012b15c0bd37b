package postgres

import (
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
	"github.com/connectd/connectd/connectors/postgres/pgtypes"
)

// TestGeometricTemporalAndSerialValues: geometric types, tsvector, serial columns and the
// temporal edge values read the same through the snapshot and the stream, as Debezium 3.7's
// (tests/compat/reference/postgres, tables type_zoo and temporal_edges), and never overflow.
func TestGeometricTemporalAndSerialValues(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.geo (
		id serial PRIMARY KEY, big bigserial, small smallserial,
		p point, l line, s lseg, b box, pa path, po polygon, c circle, tv tsvector,
		d date, ts timestamp, ts3 timestamp(3), tstz timestamptz, ttz timetz, ia int[][]
	)`, e.schema))
	row := `('(1.5,-2.25)', '{1,-1,0.5}', '[(0,0),(3,4)]', '(3,4),(1,2)', '[(0,0),(1,1),(2,0)]', '((0,0),(1,1),(1,0))',
		'<(1,2),3.5>', 'b:2 a:1', %s, %s, %s, %s, '12:00:00-00:00:30', '{{1,2},{3,NULL}}')`
	cols := `(p, l, s, b, pa, po, c, tv, d, ts, ts3, tstz, ttz, ia)`
	edges := [][4]string{
		{`'infinity'`, `'infinity'`, `'infinity'`, `'infinity'`},
		{`'-infinity'`, `'-infinity'`, `'-infinity'`, `'-infinity'`},
		{`'4713-01-01 BC'`, `'294276-12-31 23:59:59.999999'`, `'294276-12-31 23:59:59.999'`, `'294276-12-31 23:59:59.999999+00'`},
	}
	insert := func() {
		for _, v := range edges {
			e.exec(fmt.Sprintf("INSERT INTO %s.geo %s VALUES "+row, e.schema, cols, v[0], v[1], v[2], v[3]))
		}
	}
	insert()
	task := e.start()
	snap := e.poll(task, 3)
	e.waitStreaming(task)
	insert()
	strm := e.poll(task, 3)

	conv, err := jsonconv.New(map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	wkb := func(s string) []byte {
		b, _ := base64.StdEncoding.DecodeString(s)
		return b
	}
	want := []map[string]any{{
		"d": int32(2146033979), "ts": int64(math.MaxInt64), "ts3": pgtypes.PositiveInfinityTimestamp, "tstz": "infinity",
	}, {
		"d": int32(-2147472691), "ts": int64(math.MinInt64), "ts3": pgtypes.NegativeInfinityTimestamp, "tstz": "-infinity",
	}, {
		"d": int32(-2440550), "ts": int64(math.MaxInt64), "ts3": int64(9224318015999999), "tstz": "+294276-12-31T23:59:59.999999Z",
	}}
	for phase, recs := range map[string][]*api.SourceRecord{"snapshot": snap, "stream": strm} {
		for i, r := range recs {
			if _, err := conv.Encode(nil, r.ValueSchema, r.Value); err != nil {
				t.Errorf("%s record %d does not convert to JSON: %v", phase, i, err)
			}
			a := decode(r).after
			for col, w := range want[i] {
				if !reflect.DeepEqual(a[col], w) {
					t.Errorf("%s row %d: %s = %#v, want %#v", phase, i, col, a[col], w)
				}
			}
			if p := a["p"].(map[string]any); p["x"] != 1.5 || p["y"] != -2.25 || !reflect.DeepEqual(p["wkb"], wkb("AQEAAAAAAAAAAAD4PwAAAAAAAALA")) {
				t.Errorf("%s point = %v", phase, p)
			}
			if l := a["l"].(map[string]any); l["a"] != 1.0 || l["b"] != -1.0 || l["c"] != 0.5 {
				t.Errorf("%s line = %v", phase, l)
			}
			if b := a["b"].(map[string]any); !reflect.DeepEqual(b["wkb"], wkb("AQMAAAABAAAABQAAAAAAAAAAAAhAAAAAAAAAEEAAAAAAAAAIQAAAAAAAAABAAAAAAAAA8D8AAAAAAAAAQAAAAAAAAPA/AAAAAAAAEEAAAAAAAAAIQAAAAAAAABBA")) ||
				!reflect.DeepEqual(b["extensions"], []api.MapEntry{{Key: "type", Value: "box"}}) {
				t.Errorf("%s box = %v", phase, b)
			}
			if pa := a["pa"].(map[string]any); !reflect.DeepEqual(pa["extensions"], []api.MapEntry{{Key: "type", Value: "path"}, {Key: "closed", Value: "false"}}) {
				t.Errorf("%s path = %v", phase, pa)
			}
			if c := a["c"].(map[string]any); c["radius"] != 3.5 || c["center"].(map[string]any)["x"] != 1.0 {
				t.Errorf("%s circle = %v", phase, c)
			}
			if a["tv"] != "'a':1 'b':2" || a["ttz"] != "12:00:30Z" {
				t.Errorf("%s tsvector %v, timetz %v", phase, a["tv"], a["ttz"])
			}
			if !reflect.DeepEqual(a["ia"], []any{int32(1), int32(2), int32(3), nil}) {
				t.Errorf("%s int[][] = %v, want the elements flattened", phase, a["ia"])
			}
		}
		vs := recs[0].ValueSchema.Field("after").Schema
		for col, name := range map[string]string{"p": pgtypes.PointName, "l": pgtypes.LineName, "s": pgtypes.GeometryName,
			"b": pgtypes.GeometryName, "pa": pgtypes.GeometryName, "po": pgtypes.GeometryName, "c": pgtypes.CircleName, "tv": pgtypes.TsvectorName} {
			if f := vs.Field(col); f == nil || f.Schema.Name != name || !f.Schema.Optional {
				t.Errorf("%s schema of %s: %+v, want optional %s", phase, col, f, name)
			}
		}
		for col, def := range map[string]any{"id": int32(0), "big": int64(0), "small": int16(0)} {
			if f := vs.Field(col); f == nil || f.Schema.Default != def || f.Schema.Optional {
				t.Errorf("%s serial column %s: %+v, want required with default %#v", phase, col, f, def)
			}
		}
	}
}

// TestKeylessTableKeyedByUniqueIndex: a table without a primary key is keyed on its first unique
// index by name whose columns are plain columns (an expression index is skipped), nullable or
// not and whatever the replica identity, as Debezium 3.7 (tests/compat reference, keyless_ri);
// a change of that key is a delete, a tombstone and a create.
func TestKeylessTableKeyedByUniqueIndex(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.ku (code varchar(10) NOT NULL, alt int, qty int);
		CREATE UNIQUE INDEX aa_ku_expr ON %[1]s.ku (lower(code));
		CREATE UNIQUE INDEX bb_ku_alt ON %[1]s.ku (alt, code);
		CREATE UNIQUE INDEX cc_ku_code ON %[1]s.ku (code);
		ALTER TABLE %[1]s.ku REPLICA IDENTITY FULL;
		CREATE TABLE %[1]s.nokey (a int, b int);
		ALTER TABLE %[1]s.nokey REPLICA IDENTITY FULL;
		INSERT INTO %[1]s.ku VALUES ('a', 1, 1);
		INSERT INTO %[1]s.nokey VALUES (1, 1)`, e.schema))
	task := e.start()
	snap := e.poll(task, 2)
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`UPDATE %[1]s.ku SET code = 'b' WHERE code = 'a'`, e.schema),
		fmt.Sprintf(`INSERT INTO %[1]s.nokey VALUES (2, 2)`, e.schema))
	strm := e.poll(task, 4) // d, tombstone, c; c
	k := decode(snap[0])
	if k.topic != e.prefix+"."+e.schema+".ku" || !reflect.DeepEqual(k.key, map[string]any{"alt": int32(1), "code": "a"}) {
		t.Errorf("snapshot key of ku: %s %v", k.topic, k.key)
	}
	ks := snap[0].KeySchema
	if f := ks.Field("alt"); f == nil || !f.Schema.Optional || ks.Fields[0].Name != "alt" {
		t.Errorf("key schema %+v: want alt (nullable, so optional) then code", ks)
	}
	if n := decode(snap[1]); n.key != nil || snap[1].KeySchema != nil {
		t.Errorf("table without key or unique index has key %v", n.key)
	}
	d, tomb, c := decode(strm[0]), decode(strm[1]), decode(strm[2])
	if d.op != "d" || !reflect.DeepEqual(d.key, map[string]any{"alt": int32(1), "code": "a"}) || !tomb.tomb ||
		c.op != "c" || !reflect.DeepEqual(c.key, map[string]any{"alt": int32(1), "code": "b"}) {
		t.Errorf("key change: %s", describe(strm[:3]))
	}
	if n := decode(strm[3]); n.key != nil || n.op != "c" {
		t.Errorf("keyless insert: %s", describe(strm[3:]))
	}
}

// TestEnumValueAddedWhileStreaming: ALTER TYPE ... ADD VALUE changes no table, so no Relation
// message follows; the first change carrying the new label rebuilds the table's schema with the
// labels the catalog has then, as Debezium 3.7 does (tests/compat reference, type_zoo c_color).
func TestEnumValueAddedWhileStreaming(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TYPE %[1]s.color AS ENUM ('red', 'green');
		CREATE TABLE %[1]s.paint (id int PRIMARY KEY, c %[1]s.color);
		INSERT INTO %[1]s.paint VALUES (1, 'red')`, e.schema))
	task := e.start()
	e.poll(task, 1)
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.paint VALUES (2, 'green')`, e.schema),
		fmt.Sprintf(`ALTER TYPE %[1]s.color ADD VALUE 'blue'`, e.schema),
		fmt.Sprintf(`ALTER TYPE %[1]s.color ADD VALUE 'amber' BEFORE 'green'`, e.schema),
		fmt.Sprintf(`INSERT INTO %[1]s.paint VALUES (3, 'red')`, e.schema),
		fmt.Sprintf(`INSERT INTO %[1]s.paint VALUES (4, 'blue')`, e.schema))
	recs := e.poll(task, 3)
	allowed := func(r *api.SourceRecord) string {
		v, _ := r.ValueSchema.Field("after").Schema.Field("c").Schema.Param(api.EnumAllowedParam)
		return v
	}
	// Row 3 carries a known label: the schema is not refreshed yet (Debezium's rule).
	for i, w := range []string{"red,green", "red,green", "red,amber,green,blue"} {
		if got := allowed(recs[i]); got != w {
			t.Errorf("record %d: allowed %q, want %q", i, got, w)
		}
	}
	if a := decode(recs[2]).after; a["c"] != "blue" {
		t.Errorf("new label: %v", a)
	}
}

// TestPartitionedTableSnapshot: the snapshot reads a partitioned table into its own topic (all
// its partitions' rows) as well as each partition, as Debezium 3.7 does; streamed changes come
// under the partitions' names (the publication does not publish via the root).
func TestPartitionedTableSnapshot(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.m (id int NOT NULL, region text NOT NULL, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
		CREATE TABLE %[1]s.m_eu PARTITION OF %[1]s.m FOR VALUES IN ('eu');
		CREATE TABLE %[1]s.m_us PARTITION OF %[1]s.m FOR VALUES IN ('us');
		INSERT INTO %[1]s.m VALUES (1, 'eu', 10), (2, 'us', 20)`, e.schema))
	task := e.start()
	snap := e.poll(task, 4)
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.m VALUES (3, 'us', 30)`, e.schema))
	strm := e.poll(task, 1)
	var topics []string
	for _, r := range snap {
		topics = append(topics, r.Topic)
	}
	p := e.prefix + "." + e.schema + "."
	if !reflect.DeepEqual(topics, []string{p + "m", p + "m", p + "m_eu", p + "m_us"}) {
		t.Errorf("snapshot topics %v", topics)
	}
	if strm[0].Topic != p+"m_us" || decode(strm[0]).after["v"] != int32(30) {
		t.Errorf("streamed: %s", describe(strm))
	}
}
