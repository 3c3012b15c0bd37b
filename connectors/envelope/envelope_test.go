package envelope

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
)

func fieldNames(s *api.Schema) string {
	var n []string
	for _, f := range s.Fields {
		n = append(n, f.Name)
	}
	return strings.Join(n, ",")
}

func mysqlSource(t testing.TB) *api.Schema {
	t.Helper()
	s, err := SourceSchemaBuilder("io.debezium.connector.mysql.Source").
		Field("table", api.OptionalStringSchema).
		Field("server_id", api.Int64Schema).
		Field("gtid", api.OptionalStringSchema).
		Field("file", api.StringSchema).
		Field("pos", api.Int64Schema).
		Field("row", api.Int32Schema).
		Field("thread", api.OptionalInt64Schema).
		Field("query", api.OptionalStringSchema).
		BuildChecked()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func customers(t testing.TB) (*relational.Table, []Column) {
	t.Helper()
	tbl, err := relational.NewTable(relational.TableID{Catalog: "inventory", Table: "customers"}, []relational.Column{
		{Name: "id", JDBCType: relational.TypeInteger, TypeName: "INT"},
		{Name: "name", JDBCType: relational.TypeVarchar, TypeName: "VARCHAR", Optional: true, Comment: "full name"},
		{Name: "score", JDBCType: relational.TypeBigInt, TypeName: "BIGINT", HasDefaultValue: true, DefaultValueExpression: relational.String("7")},
	}, []string{"id"}, "utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	cols := []Column{
		{Name: "id", Schema: api.Int32Schema, Convert: func(v any) (any, error) {
			i, ok := v.(int64)
			if !ok {
				return nil, errors.New("not an int64")
			}
			return int32(i), nil
		}},
		{Name: "name", Schema: api.StringSchema},
		{Name: "score", Schema: api.Int64Schema, Default: int64(7)},
	}
	return tbl, cols
}

func newCustomers(t testing.TB) *TableSchema {
	t.Helper()
	tbl, cols := customers(t)
	ts, err := NewTable(TableSpec{Table: tbl, Columns: cols, Topic: TopicName("dbserver1", "inventory", "customers"), Source: mysqlSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestSchemas(t *testing.T) {
	ts := newCustomers(t)
	if ts.Topic() != "dbserver1.inventory.customers" {
		t.Fatalf("topic %q", ts.Topic())
	}
	k := ts.KeySchema()
	if k.Name != "dbserver1.inventory.customers.Key" || k.Optional || k.Version != 0 || fieldNames(k) != "id" || k.Fields[0].Schema.Optional {
		t.Errorf("key schema %+v", k)
	}
	v := ts.ValueSchema()
	if v.Name != "dbserver1.inventory.customers.Value" || !v.Optional || fieldNames(v) != "id,name,score" {
		t.Errorf("value schema %+v", v)
	}
	if f := v.Field("name").Schema; !f.Optional || f.Doc != "full name" {
		t.Errorf("name field %+v", f)
	}
	if f := v.Field("id").Schema; f.Optional {
		t.Errorf("id field optional")
	}
	if f := v.Field("score").Schema; !f.HasDefault || f.Default != int64(7) || f.Optional {
		t.Errorf("score field %+v", f)
	}
	if api.Int64Schema.HasDefault || api.StringSchema.Optional {
		t.Fatal("NewTable modified a shared schema")
	}
	e := ts.EnvelopeSchema()
	if e.Name != "dbserver1.inventory.customers.Envelope" || e.Version != 2 || e.Optional ||
		fieldNames(e) != "before,after,source,transaction,op,ts_ms,ts_us,ts_ns" {
		t.Errorf("envelope schema %s v%d %s", e.Name, e.Version, fieldNames(e))
	}
	if e.Field("before").Schema != v || e.Field("source").Schema != ts.SourceSchema() {
		t.Error("envelope does not share the row/source schemas")
	}
	if f := e.Field("op").Schema; f.Type != api.TypeString || f.Optional {
		t.Errorf("op %+v", f)
	}
	for _, n := range []string{"ts_ms", "ts_us", "ts_ns"} {
		if f := e.Field(n).Schema; f.Type != api.TypeInt64 || !f.Optional {
			t.Errorf("%s %+v", n, f)
		}
	}
	tx := e.Field("transaction").Schema
	if tx.Name != "event.block" || tx.Version != 1 || !tx.Optional || fieldNames(tx) != "id,total_order,data_collection_order" {
		t.Errorf("transaction block %+v", tx)
	}
}

func TestSourceSchema(t *testing.T) {
	s := mysqlSource(t)
	want := "version,connector,name,ts_ms,snapshot,db,sequence,ts_us,ts_ns,table,server_id,gtid,file,pos,row,thread,query"
	if got := fieldNames(s); got != want {
		t.Fatalf("fields %s\nwant   %s", got, want)
	}
	if s.Version != 1 || s.Name != "io.debezium.connector.mysql.Source" {
		t.Errorf("source %s v%d", s.Name, s.Version)
	}
	sn := s.Field("snapshot").Schema
	if sn.Name != "io.debezium.data.Enum" || sn.Version != 1 || !sn.Optional || sn.Default != "false" {
		t.Errorf("snapshot schema %+v", sn)
	}
	if a, _ := sn.Param("allowed"); a != "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental" {
		t.Errorf("allowed %q", a)
	}
	opt := map[string]bool{"sequence": true, "ts_us": true, "ts_ns": true, "snapshot": true}
	for _, f := range s.Fields[:SourceCommonFields] {
		if f.Schema.Optional != opt[f.Name] {
			t.Errorf("%s optional=%v", f.Name, f.Schema.Optional)
		}
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	st := NewSource(s, &SourceInfo{Version: "3.4.0.Final", Connector: "mysql", Name: "dbserver1", Time: at, DB: "inventory", Snapshot: SnapshotLast})
	st.PutIndex(SourceCommonFields+1, int64(223344))
	st.PutIndex(SourceCommonFields+3, "mysql-bin.000003")
	st.PutIndex(SourceCommonFields+4, int64(154))
	st.PutIndex(SourceCommonFields+5, int32(0))
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	if st.Get("ts_ms") != at.UnixMilli() || st.Get("ts_us") != int64(1714979289123456) || st.Get("ts_ns") != int64(1714979289123456789) {
		t.Errorf("timestamps %v %v %v", st.Get("ts_ms"), st.Get("ts_us"), st.Get("ts_ns"))
	}
	if st.Get("snapshot") != "last" || st.Get("sequence") != nil {
		t.Errorf("snapshot %v sequence %v", st.Get("snapshot"), st.Get("sequence"))
	}
	streamed := NewSource(s, &SourceInfo{Name: "x", Time: at})
	if streamed.GetWithoutDefault("snapshot") != nil || streamed.Get("snapshot") != "false" {
		t.Errorf("streamed snapshot %v", streamed.GetWithoutDefault("snapshot"))
	}
	for i, n := range snapshotNames {
		if ParseSnapshot(n) != Snapshot(i) {
			t.Errorf("ParseSnapshot(%q)", n)
		}
	}
}

func TestRecords(t *testing.T) {
	ts := newCustomers(t)
	src := NewSource(ts.SourceSchema(), &SourceInfo{Name: "dbserver1", DB: "inventory"})
	src.PutIndex(SourceCommonFields+1, int64(1))
	src.PutIndex(SourceCommonFields+3, "mysql-bin.000003")
	src.PutIndex(SourceCommonFields+4, int64(154))
	src.PutIndex(SourceCommonFields+5, int32(0))
	part := map[string]any{"server": "dbserver1"}
	off := map[string]any{"file": "mysql-bin.000003", "pos": int64(154)}
	at := time.UnixMilli(1700000000123)
	row1 := []any{int64(1), "Sally", int64(3)}
	row1b := []any{int64(1), nil, nil}
	row2 := []any{int64(2), "Sally", int64(3)}

	type want struct {
		op      string
		key     any // int32 id or nil for no key
		before  bool
		after   bool
		header  string
		isTomb  bool
		noKeySc bool
	}
	tests := []struct {
		name string
		ev   Event
		tomb bool
		want []want
	}{
		{"create", Event{Op: OpCreate, After: row1}, true, []want{{op: "c", key: int32(1), after: true}}},
		{"read", Event{Op: OpRead, After: row1}, true, []want{{op: "r", key: int32(1), after: true}}},
		{"update", Event{Op: OpUpdate, Before: row1, After: row1b}, true, []want{{op: "u", key: int32(1), before: true, after: true}}},
		{"update without before", Event{Op: OpUpdate, After: row1}, true, []want{{op: "u", key: int32(1), after: true}}},
		{"delete+tombstone", Event{Op: OpDelete, Before: row1}, true, []want{{op: "d", key: int32(1), before: true}, {key: int32(1), isTomb: true}}},
		{"delete no tombstone", Event{Op: OpDelete, Before: row1}, false, []want{{op: "d", key: int32(1), before: true}}},
		{"pk change", Event{Op: OpUpdate, Before: row1, After: row2}, true, []want{
			{op: "d", key: int32(1), before: true, header: HeaderNewKey}, {key: int32(1), isTomb: true, header: HeaderNewKey},
			{op: "c", key: int32(2), after: true, header: HeaderOldKey}}},
		{"pk change no tombstone", Event{Op: OpUpdate, Before: row1, After: row2}, false, []want{
			{op: "d", key: int32(1), before: true, header: HeaderNewKey}, {op: "c", key: int32(2), after: true, header: HeaderOldKey}}},
		{"truncate", Event{Op: OpTruncate}, true, []want{{op: "t", noKeySc: true}}},
	}
	for _, tt := range tests {
		ev := tt.ev
		ev.Source, ev.Partition, ev.Offset, ev.Time = src, part, off, at
		recs, err := ts.Records(nil, &ev, tt.tomb)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(recs) != len(tt.want) {
			t.Fatalf("%s: %d records, want %d", tt.name, len(recs), len(tt.want))
		}
		for i, w := range tt.want {
			r := recs[i]
			if r.Topic != "dbserver1.inventory.customers" || r.Partition != -1 || r.SourcePartition["server"] != "dbserver1" || r.SourceOffset["pos"] != int64(154) {
				t.Errorf("%s[%d]: record %+v", tt.name, i, r)
			}
			if w.key == nil {
				if r.Key != nil {
					t.Errorf("%s[%d]: key %v, want none", tt.name, i, r.Key)
				}
			} else if k, ok := r.Key.(*api.Struct); !ok || k.Get("id") != w.key {
				t.Errorf("%s[%d]: key %v, want id=%v", tt.name, i, r.Key, w.key)
			}
			if (r.KeySchema == nil) != w.noKeySc {
				t.Errorf("%s[%d]: key schema %v", tt.name, i, r.KeySchema)
			}
			if w.header != "" && (len(r.Headers) != 1 || r.Headers[0].Key != w.header || r.Headers[0].Schema != ts.KeySchema()) {
				t.Errorf("%s[%d]: headers %+v, want %s", tt.name, i, r.Headers, w.header)
			}
			if w.header == "" && len(r.Headers) != 0 {
				t.Errorf("%s[%d]: headers %+v", tt.name, i, r.Headers)
			}
			if w.isTomb {
				if r.Value != nil || r.ValueSchema != nil {
					t.Errorf("%s[%d]: tombstone has value %v", tt.name, i, r.Value)
				}
				continue
			}
			v := r.Value.(*api.Struct)
			if err := v.Validate(); err != nil {
				t.Errorf("%s[%d]: %v", tt.name, i, err)
			}
			if v.Get("op") != w.op || (v.Get("before") != nil) != w.before || (v.Get("after") != nil) != w.after {
				t.Errorf("%s[%d]: envelope %v", tt.name, i, v)
			}
			if v.Get("source") != src || v.Get("ts_ms") != int64(1700000000123) || v.Get("ts_us") != int64(1700000000123000) || v.Get("ts_ns") != int64(1700000000123000000) {
				t.Errorf("%s[%d]: envelope %v", tt.name, i, v)
			}
		}
	}
	// The nullable column's nil stays nil; the required column with a default gets the default.
	_, after, err := ts.KeyValue(row1b)
	if err != nil {
		t.Fatal(err)
	}
	if after.GetWithoutDefault("name") != nil || after.GetWithoutDefault("score") != int64(7) {
		t.Errorf("after %v", after)
	}
}

func TestNoPrimaryKey(t *testing.T) {
	tbl, err := relational.NewTable(relational.TableID{Schema: "public", Table: "log"}, []relational.Column{
		{Name: "msg", JDBCType: relational.TypeVarchar, Optional: true},
	}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := NewTable(TableSpec{Table: tbl, Columns: []Column{{Name: "msg", Schema: api.StringSchema}}, Topic: "pg.public.log", Source: mysqlSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	if ts.KeySchema() != nil {
		t.Fatal("key schema for a table without primary key")
	}
	recs, err := ts.Records(nil, &Event{Op: OpDelete, Before: []any{"x"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Key != nil || recs[0].KeySchema != nil || recs[1].Key != nil || recs[1].Value != nil {
		t.Fatalf("records %+v", recs)
	}
	k, err := ts.Key([]any{"x"})
	if k != nil || err != nil {
		t.Fatal(k, err)
	}
}

func TestConvertErrors(t *testing.T) {
	ts := newCustomers(t)
	tests := []struct {
		row  []any
		want string
	}{
		{[]any{"one", "x", int64(1)}, "cannot convert the value of column inventory.customers.id"},
		{[]any{nil, "x", int64(1)}, "inventory.customers.id is NOT NULL"},
		{[]any{int64(1), "x"}, "has 2 values, the table has 3 columns"},
	}
	for _, tt := range tests {
		_, _, err := ts.KeyValue(tt.row)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("KeyValue(%v) error %v, want %q", tt.row, err, tt.want)
		}
		if _, err := ts.Records(nil, &Event{Op: OpCreate, After: tt.row}, true); err == nil {
			t.Errorf("Records(%v) succeeded", tt.row)
		}
	}
}

func TestSpecErrors(t *testing.T) {
	tbl, cols := customers(t)
	src := mysqlSource(t)
	bad := append([]Column(nil), cols...)
	bad[0].Schema = nil
	wrongDefault := append([]Column(nil), cols...)
	wrongDefault[2].Default = "seven"
	tests := []struct {
		spec TableSpec
		want string
	}{
		{TableSpec{Columns: cols, Topic: "t", Source: src}, "no table"},
		{TableSpec{Table: tbl, Columns: cols, Topic: "t"}, "no source schema"},
		{TableSpec{Table: tbl, Columns: cols, Source: src}, "no topic"},
		{TableSpec{Table: tbl, Columns: cols[:2], Topic: "t", Source: src}, "2 column mappings for 3 columns"},
		{TableSpec{Table: tbl, Columns: bad, Topic: "t", Source: src}, "key column cannot be excluded"},
		{TableSpec{Table: tbl, Columns: wrongDefault, Topic: "t", Source: src}, "default value"},
		{TableSpec{Table: tbl, Columns: []Column{cols[1], cols[0], cols[2]}, Topic: "t", Source: src}, "is for column"},
	}
	for _, tt := range tests {
		_, err := NewTable(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrSpec) {
			t.Errorf("NewTable error %v, want %q", err, tt.want)
		}
	}
}

func TestExcludedColumn(t *testing.T) {
	tbl, cols := customers(t)
	cols[1].Schema = nil
	ts, err := NewTable(TableSpec{Table: tbl, Columns: cols, Topic: "s.inventory.customers", Source: mysqlSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	if fieldNames(ts.ValueSchema()) != "id,score" {
		t.Fatal(fieldNames(ts.ValueSchema()))
	}
	v, err := ts.Value([]any{int64(5), "secret", int64(1)})
	if err != nil || v.Get("score") != int64(1) || v.Get("id") != int32(5) {
		t.Fatal(v, err)
	}
}

func TestTopicNames(t *testing.T) {
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"server1", "inventory", "customers"}, "server1.inventory.customers"},
		{[]string{"server1", "", "dbo", "orders"}, "server1.dbo.orders"},
		{[]string{"server1", "my db", "tab$le"}, "server1.my_db.tab_le"},
		{[]string{"s", "ü", "t"}, "s._.t"},
		{[]string{"s", "😀"}, "s.__"},
		{[]string{"."}, "_"},
		{[]string{".."}, "__"},
		{[]string{strings.Repeat("a", 300)}, strings.Repeat("a", 249)},
	}
	for _, tt := range tests {
		if got := TopicName(tt.parts...); got != tt.want {
			t.Errorf("TopicName(%q) = %q, want %q", tt.parts, got, tt.want)
		}
	}
	if !ValidTopicPrefix("dbserver1.a-b_c") || ValidTopicPrefix("") || ValidTopicPrefix("a b") {
		t.Error("ValidTopicPrefix")
	}
}

func TestOps(t *testing.T) {
	for _, s := range []string{"c", "u", "d", "r", "t"} {
		o, err := ParseOp(s)
		if err != nil || o.String() != s {
			t.Errorf("ParseOp(%q) = %v, %v", s, o, err)
		}
	}
	if _, err := ParseOp("x"); err == nil {
		t.Error("ParseOp(x) succeeded")
	}
}

func BenchmarkRecordsCreate(b *testing.B) {
	ts := newCustomers(b)
	src := NewSource(ts.SourceSchema(), &SourceInfo{Name: "dbserver1", DB: "inventory"})
	ev := &Event{Op: OpCreate, After: []any{int64(1), "Sally", int64(3)}, Source: src, Time: time.Now()}
	dst := make([]*api.SourceRecord, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = ts.Records(dst[:0], ev, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSourceBlock builds a MySQL-like source block per event (the common fields plus
// table, server id, file, position and row) without and with a SourceCache: with it, the values
// that repeat from one event to the next are boxed once.
func BenchmarkSourceBlock(b *testing.B) {
	schema := SourceSchemaBuilder("io.debezium.connector.mysql.Source").
		Field("table", api.OptionalStringSchema).Field("server_id", api.Int64Schema).
		Field("file", api.StringSchema).Field("pos", api.Int64Schema).Field("row", api.Int32Schema).Build()
	at := time.Unix(1765140000, 0)
	file := strings.Clone("mysql-bin.000042")
	for _, cached := range []bool{false, true} {
		b.Run("cache="+strconv.FormatBool(cached), func(b *testing.B) {
			var c *SourceCache
			if cached {
				c = new(SourceCache)
			}
			b.ReportAllocs()
			row := 0
			for b.Loop() {
				st := c.NewSource(schema, &SourceInfo{Version: "3.5.0.Final", Connector: "mariadb", Name: "bench", Time: at, DB: "connectd_bench"})
				i := SourceCommonFields
				st.PutIndex(i, c.String(i, "events"))
				st.PutIndex(i+1, c.Int64(i+1, 223344))
				st.PutIndex(i+2, c.String(i+2, file))
				st.PutIndex(i+3, c.Int64(i+3, 123456789))
				st.PutIndex(i+4, int32(row%100))
				row++
			}
		})
	}
}

// A cached source block holds the same values as one built without a cache.
func TestSourceCacheSameValues(t *testing.T) {
	schema := SourceSchemaBuilder("io.debezium.connector.mysql.Source").Field("table", api.OptionalStringSchema).Build()
	c := new(SourceCache)
	for _, info := range []SourceInfo{
		{Version: "v", Connector: "mysql", Name: "a", Time: time.Unix(1, 0), DB: "db1", Snapshot: SnapshotTrue},
		{Version: "v", Connector: "mysql", Name: "a", Time: time.Unix(1, 0), DB: "db1", Snapshot: SnapshotLast},
		{Version: "v", Connector: "mysql", Name: "a", Time: time.Unix(2, 5), DB: "db2", Sequence: "[1,2]"},
		{Version: "v", Connector: "mysql", Name: "a", Time: time.Unix(2, 5), DB: "db2"},
	} {
		want := NewSource(schema, &info)
		got := c.NewSource(schema, &info)
		got.PutIndex(SourceCommonFields, c.String(SourceCommonFields, "t"+info.DB))
		want.PutIndex(SourceCommonFields, "t"+info.DB)
		if !got.Equal(want) {
			t.Fatalf("cached source %v, want %v", got, want)
		}
	}
	if SnapshotLast.Boxed() != "last" || SnapshotFalse.Boxed() != "false" || Snapshot(99).Boxed() != "false" {
		t.Fatal("Boxed differs from String")
	}
}
