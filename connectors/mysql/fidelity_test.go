package mysql

import (
	"reflect"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
)

var defaultModes = valueModes{Decimal: envelope.DecimalPrecise, Time: envelope.TimeAdaptiveMicroseconds, Binary: envelope.BinaryBytes, BigintUnsigned: envelope.BigintLong}

// TestZeroDates converts MySQL's zero and partial-zero dates, as the binlog decoder and the text
// protocol deliver them, for every temporal type, precision and mode: null in a nullable column;
// in a NOT NULL column the column's default, or else the epoch (Debezium's fallback). It used to
// panic for DATETIME(0..3) and in the connect mode.
func TestZeroDates(t *testing.T) {
	modes := map[string]valueModes{"adaptive_time_microseconds": defaultModes, "connect": defaultModes}
	c := modes["connect"]
	c.Time = envelope.TimeConnect
	modes["connect"] = c
	epoch := time.Unix(0, 0).UTC()
	for _, tc := range []struct {
		def, mode string
		raw       any
		want      any
	}{
		{"DATETIME", "adaptive_time_microseconds", "0000-00-00 00:00:00", nil},
		{"DATETIME NOT NULL", "adaptive_time_microseconds", "0000-00-00 00:00:00", int64(0)},
		{"DATETIME(3) NOT NULL", "adaptive_time_microseconds", "2020-00-00 00:00:00.000", int64(0)},
		{"DATETIME(2) NOT NULL DEFAULT '2001-02-03 04:05:06'", "adaptive_time_microseconds", "2020-01-00 00:00:00.50", int64(981173106000)},
		{"DATETIME(6) NOT NULL", "adaptive_time_microseconds", "0000-00-00 00:00:00.000001", int64(0)},
		{"DATETIME(6)", "adaptive_time_microseconds", []byte("0000-05-05 00:00:00.000000"), nil},
		{"DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00'", "adaptive_time_microseconds", "0000-00-00 00:00:00", int64(0)},
		{"DATETIME(3)", "connect", "0000-00-00 00:00:00.000", nil},
		{"DATETIME(3) NOT NULL", "connect", "0000-00-00 00:00:00.000", epoch},
		{"DATE", "adaptive_time_microseconds", "2020-00-00", nil},
		{"DATE NOT NULL", "adaptive_time_microseconds", "0000-00-00", int32(0)},
		{"DATE NOT NULL DEFAULT '2000-01-01'", "adaptive_time_microseconds", "2020-00-00", int32(10957)},
		{"DATE NOT NULL", "connect", []byte("0000-00-00"), epoch},
		{"TIMESTAMP(3) NULL", "adaptive_time_microseconds", []byte("0000-00-00 00:00:00.000"), nil},
		{"TIMESTAMP NOT NULL DEFAULT '2000-01-01 00:00:00'", "adaptive_time_microseconds", []byte("0000-00-00 00:00:00"), "2000-01-01T00:00:00Z"},
		{"TIMESTAMP(6) NOT NULL DEFAULT '2000-01-01 00:00:00.000000'", "adaptive_time_microseconds", []byte("0000-00-00 00:00:00.000000"), "2000-01-01T00:00:00.000000Z"},
		// The binlog carries a zero TIMESTAMP as second 0: the epoch, as in Debezium.
		{"TIMESTAMP(3) NOT NULL DEFAULT '2000-01-01 00:00:00'", "adaptive_time_microseconds", "0000-00-00 00:00:00.000", "1970-01-01T00:00:00.000Z"},
		{"TIME(6)", "adaptive_time_microseconds", "-838:59:59.000000", int64(-3020399000000)},
		{"TIME(6)", "adaptive_time_microseconds", "838:59:59.000000", int64(3020399000000)},
		{"TIME", "adaptive_time_microseconds", "-838:59:59", int64(-3020399000000)},
		{"TIME", "connect", "23:59:59", time.UnixMilli(86399000).UTC()},
	} {
		col := columnMapping(column(t, "c "+tc.def), modes[tc.mode])
		got, err := col.Convert(tc.raw)
		if err != nil {
			t.Errorf("%s (%s) %q: %v", tc.def, tc.mode, tc.raw, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s (%s) %q: %#v, want %#v", tc.def, tc.mode, tc.raw, got, tc.want)
		}
	}
	// TIME beyond a day does not fit Kafka's Time: an error, never a wrapped-around value.
	col := columnMapping(column(t, "c TIME"), modes["connect"])
	if v, err := col.Convert("838:59:59"); err == nil {
		t.Errorf("TIME 838:59:59 in connect mode converted to %v, want an error", v)
	}
}

// TestFloatPrecision checks Debezium's rule for FLOAT: single precision without a scale and up
// to FLOAT(24), a double for FLOAT(M,D) and FLOAT(25..53), widened from float32 like Java does.
func TestFloatPrecision(t *testing.T) {
	for _, tc := range []struct {
		def  string
		typ  api.Type
		raw  any
		want any
	}{
		{"FLOAT", api.TypeFloat32, float32(3.14), float32(3.14)},
		{"FLOAT(24)", api.TypeFloat32, float32(3.14), float32(3.14)},
		{"FLOAT(7,3)", api.TypeFloat64, float32(3.14), float64(float32(3.14))},
		{"FLOAT(7,3)", api.TypeFloat64, []byte("3.140"), float64(float32(3.14))},
		{"FLOAT(30)", api.TypeFloat64, 1.000000001, 1.000000001},
		{"FLOAT(10,2) UNSIGNED", api.TypeFloat64, textValue("12345678.91"), float64(float32(12345678.91))},
	} {
		col := columnMapping(column(t, "c "+tc.def), defaultModes)
		if col.Schema.Type != tc.typ {
			t.Errorf("%s: schema type %v, want %v", tc.def, col.Schema.Type, tc.typ)
		}
		got, err := col.Convert(tc.raw)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %#v: %#v, %v; want %#v", tc.def, tc.raw, got, err, tc.want)
		}
	}
}

// TestEnumAllowedEscaping checks the allowed parameter of Enum and EnumSet (Debezium's
// EnumeratedValues: backslash and comma escaped) and that values stay as stored.
func TestEnumAllowedEscaping(t *testing.T) {
	// Like Debezium's parser, the model unescapes only quotes in members ('it''s', 'it\'s'), so
	// the SQL literal 'b\\s' is the member b\\s, and each of its backslashes is escaped.
	col := columnMapping(column(t, `c ENUM('plain','with,comma','it''s','b\\s','dq"x')`), defaultModes)
	if got, want := param(col.Schema), `plain,with\,comma,it's,b\\\\s,dq"x`; got != want {
		t.Errorf("allowed %q, want %q", got, want)
	}
	if v, err := col.Convert(int64(2)); err != nil || v != "with,comma" {
		t.Errorf("member 2: %#v, %v", v, err)
	}
	col = columnMapping(column(t, `c SET('a''b','c')`), defaultModes)
	if got, want := param(col.Schema), `a'b,c`; got != want {
		t.Errorf("set allowed %q, want %q", got, want)
	}
}

// TestKeyChoice checks which columns key a table, as Debezium's MariaDB parser chooses them, for
// CREATE TABLE, CREATE UNIQUE INDEX and ALTER TABLE ... ADD UNIQUE.
func TestKeyChoice(t *testing.T) {
	for _, tc := range []struct {
		ddl  []string
		want []string
	}{
		{[]string{"CREATE TABLE t (a INT NULL, b INT NOT NULL, c VARCHAR(3) NOT NULL, UNIQUE KEY ua (a), UNIQUE KEY ubc (b, c))"}, []string{"b", "c"}},
		{[]string{"CREATE TABLE t (a INT NOT NULL, b INT NOT NULL, UNIQUE (a), PRIMARY KEY (b))"}, []string{"b"}},
		{[]string{"CREATE TABLE t (Code CHAR(3) NOT NULL UNIQUE, x INT)"}, []string{"Code"}},
		// Debezium takes an inline UNIQUE while reading the column, whatever its nullability.
		{[]string{"CREATE TABLE t (a INT UNIQUE, b INT NOT NULL, UNIQUE KEY ub (b))"}, []string{"a"}},
		{[]string{"CREATE TABLE t (a INT, b INT, UNIQUE KEY ua (a, b))"}, nil},
		{[]string{"CREATE TABLE t (x INT NOT NULL, y INT)", "CREATE UNIQUE INDEX ux ON t (X)"}, []string{"x"}},
		{[]string{"CREATE TABLE t (x INT NOT NULL, y INT)", "CREATE UNIQUE INDEX uy ON t (y)"}, nil},
		{[]string{"CREATE TABLE t (p INT NOT NULL, q INT)", "ALTER TABLE t ADD UNIQUE KEY uq (q), ADD UNIQUE KEY up (p)"}, []string{"p"}},
		{[]string{"CREATE TABLE t (p INT NOT NULL, q INT NOT NULL, UNIQUE (q))", "ALTER TABLE t ADD PRIMARY KEY (p)"}, []string{"p"}},
		{[]string{"CREATE TABLE t (p INT NOT NULL)", "ALTER TABLE t ADD COLUMN u INT UNIQUE"}, []string{"u"}},
	} {
		s := newSchemaModel(&Config{}, nil)
		for _, q := range tc.ddl {
			if _, err := s.applyDDL(s.tables, "db", q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		tb := s.tables.Get(relational.TableID{Catalog: "db", Table: "t"})
		if !reflect.DeepEqual(tb.PrimaryKeyColumnNames, tc.want) && !(len(tb.PrimaryKeyColumnNames) == 0 && len(tc.want) == 0) {
			t.Errorf("%v: key %v, want %v", tc.ddl, tb.PrimaryKeyColumnNames, tc.want)
		}
	}
}

// TestColumnAttributes checks the history attributes Debezium's parser gives columns: generated
// only for AUTO_INCREMENT, and the implicit NULL default of a nullable column.
func TestColumnAttributes(t *testing.T) {
	s := newSchemaModel(&Config{}, nil)
	if _, err := s.applyDDL(s.tables, "db", "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT, a INT NOT NULL, "+
		"v VARCHAR(5), g INT AS (a * 2) VIRTUAL, d INT DEFAULT 3, PRIMARY KEY (id))"); err != nil {
		t.Fatal(err)
	}
	tb := s.tables.Get(relational.TableID{Catalog: "db", Table: "t"})
	want := map[string][2]bool{ // generated, hasDefaultValue
		"id": {true, false}, "a": {false, false}, "v": {false, true}, "g": {false, true}, "d": {false, true},
	}
	for _, c := range tb.Columns {
		if got := [2]bool{c.Generated, c.HasDefaultValue}; got != want[c.Name] {
			t.Errorf("column %s: generated, hasDefaultValue = %v, want %v", c.Name, got, want[c.Name])
		}
	}
}

// TestBinlogHarness makes sure FuzzBinlogValues really decodes: the seeds' edge values come out
// of go-mysql as the streamer sees them.
func TestBinlogHarness(t *testing.T) {
	got := decodeBinlogRow(binlogCases[caseIndex(gomysql.MYSQL_TYPE_DATETIME2, 0)], 3, datetime2Bytes(2020, 0, 0, 0, 0, 0, 3, 0))
	if len(got) != 1 || got[0] != "2020-00-00 00:00:00.000" {
		t.Fatalf("DATETIME(3) 2020-00-00 decoded to %#v", got)
	}
	got = decodeBinlogRow(binlogCases[caseIndex(gomysql.MYSQL_TYPE_TIME2, 0)], 0, time2Bytes(true, 838, 59, 59))
	if len(got) != 1 || got[0] != "-838:59:59" {
		t.Fatalf("TIME -838:59:59 decoded to %#v", got)
	}
	got = decodeBinlogRow(binlogCases[caseIndex(gomysql.MYSQL_TYPE_DATE, 0)], 0, dateBytes(0, 0, 0))
	if len(got) != 1 || got[0] != "0000-00-00" {
		t.Fatalf("DATE zero decoded to %#v", got)
	}
}

func param(s *api.Schema) string {
	v, _ := s.Param(api.EnumAllowedParam)
	return v
}
