package sqlserver

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
)

// TestTypeMapping feeds each column type the Go value go-mssqldb v1.11.2 returns for it (its
// types.go: readFixedType gives int64 for tinyint/smallint/int/bigint, bool for bit, float64 for
// real and float; decodeMoney and decodeDecimal give the decimal's text as []byte; decodeGuid the
// 16 wire bytes; the date and time decoders time.Time) and checks the Connect schema and value
// against Debezium's SQL Server data type mappings (sqlserver.adoc, "Data type mappings",
// time.precision.mode=adaptive, decimal.handling.mode=precise).
func TestTypeMapping(t *testing.T) {
	cfg, err := ParseConfig(baseConfig())
	if err != nil {
		t.Fatal(err)
	}
	d := newDialect(cfg)
	n := func(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }
	none := sql.NullInt64{}
	ts := time.Date(2019, 6, 5, 10, 11, 12, 123456700, time.UTC)
	cases := []struct {
		name, typ                    string
		length, prec, scale, dtPrec  sql.NullInt64
		raw                          any
		schemaType, schemaName, want string
	}{
		{"b", "bit", none, none, none, none, true, "boolean", "", "true"},
		{"ti", "tinyint", none, n(3), n(0), none, int64(255), "int16", "", "255"},
		{"si", "smallint", none, n(5), n(0), none, int64(-32768), "int16", "", "-32768"},
		{"i", "int", none, n(10), n(0), none, int64(1005), "int32", "", "1005"},
		{"bi", "bigint", none, n(19), n(0), none, int64(1) << 40, "int64", "", "1099511627776"},
		{"r", "real", none, n(24), none, none, float64(float32(1.5)), "float32", "", "1.5"},
		{"f", "float", none, n(53), none, none, 2.25, "float64", "", "2.25"},
		{"dec", "decimal", none, n(10), n(2), none, []byte("12.30"), "bytes", "org.apache.kafka.connect.data.Decimal", "12.30"},
		{"m", "money", none, n(19), n(4), none, []byte("-3.5000"), "bytes", "org.apache.kafka.connect.data.Decimal", "-3.5000"},
		{"vc", "varchar", n(255), none, none, none, "john", "string", "", "john"},
		{"nvc", "nvarchar", n(50), none, none, none, "žluťoučký", "string", "", "žluťoučký"},
		{"x", "xml", n(-1), none, none, none, "<a/>", "string", "io.debezium.data.Xml", "<a/>"},
		// 6F9619FF-8B86-D011-B42D-00C04FC964FF on the wire: the first three groups little-endian.
		{"g", "uniqueidentifier", none, none, none, none, []byte{0xff, 0x19, 0x96, 0x6f, 0x86, 0x8b, 0x11, 0xd0, 0xb4, 0x2d, 0x00, 0xc0, 0x4f, 0xc9, 0x64, 0xff}, "string", "", "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
		{"vb", "varbinary", n(16), none, none, none, []byte{1, 2}, "bytes", "", "\x01\x02"},
		{"dt", "date", none, none, none, n(0), time.Date(2019, 6, 5, 0, 0, 0, 0, time.UTC), "int32", "io.debezium.time.Date", "18052"},
		{"t3", "time", none, none, none, n(3), time.Date(1, 1, 1, 10, 11, 12, 123000000, time.UTC), "int32", "io.debezium.time.Time", "36672123"},
		{"t7", "time", none, none, none, n(7), time.Date(1, 1, 1, 10, 11, 12, 123456700, time.UTC), "int64", "io.debezium.time.NanoTime", "36672123456700"},
		{"dtm", "datetime", none, none, none, n(3), ts.Truncate(time.Millisecond), "int64", "io.debezium.time.Timestamp", "1559729472123"},
		{"dt2", "datetime2", none, none, none, n(7), ts, "int64", "io.debezium.time.NanoTimestamp", "1559729472123456700"},
		{"dt26", "datetime2", none, none, none, n(6), ts.Truncate(time.Microsecond), "int64", "io.debezium.time.MicroTimestamp", "1559729472123456"},
		{"dto", "datetimeoffset", none, none, none, n(7), time.Date(2019, 6, 5, 10, 11, 12, 0, time.FixedZone("", 2*3600)), "string", "io.debezium.time.ZonedTimestamp", "2019-06-05T10:11:12+02:00"},
	}
	for _, c := range cases {
		col := column(c.name, c.typ, c.length, c.prec, c.scale, c.dtPrec, true, sql.NullString{}, false, false)
		m, err := d.mapColumn(&col)
		if err != nil || m.Schema == nil {
			t.Errorf("%s: %v (schema %v)", c.typ, err, m.Schema)
			continue
		}
		if fmt.Sprint(m.Schema.Type) != c.schemaType {
			t.Errorf("%s: schema type %s, want %s", c.typ, m.Schema.Type, c.schemaType)
		}
		if m.Schema.Name != c.schemaName {
			t.Errorf("%s: schema name %q, want %q", c.typ, m.Schema.Name, c.schemaName)
		}
		v, err := m.Convert(c.raw)
		if err != nil {
			t.Errorf("%s: %v", c.typ, err)
			continue
		}
		got := ""
		switch x := v.(type) {
		case api.Decimal:
			got = x.String()
		case []byte:
			got = string(x)
		default:
			got = fmtAny(x)
		}
		if got != c.want {
			t.Errorf("%s: value %s, want %s", c.typ, got, c.want)
		}
	}
	// A type Debezium does not map either is left out of the row rather than failing.
	geo := relational.Column{Name: "g", TypeName: "geography"}
	if m, err := d.mapColumn(&geo); err != nil || m.Schema != nil {
		t.Errorf("geography: %v %v", m.Schema, err)
	}
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case string:
		return x
	}
	return jsonOf(v)
}
