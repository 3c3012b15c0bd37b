package mysql

import (
	"reflect"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/mysql/ddl"
)

func column(t *testing.T, def string) *relational.Column {
	t.Helper()
	st, err := ddl.Parse("CREATE TABLE x (" + def + ")")
	if err != nil {
		t.Fatal(err)
	}
	c := relColumn(st.(*ddl.CreateTable).Columns[0])
	return &c
}

// TestValueModes checks the representations chosen by decimal.handling.mode,
// time.precision.mode, binary.handling.mode and bigint.unsigned.handling.mode.
func TestValueModes(t *testing.T) {
	def := valueModes{Decimal: envelope.DecimalPrecise, Time: envelope.TimeAdaptiveMicroseconds, Binary: envelope.BinaryBytes, BigintUnsigned: envelope.BigintLong}
	tests := []struct {
		def   string
		modes func(*valueModes)
		raw   any
		want  any
		name  string // schema name
	}{
		{"d DECIMAL(8,3)", nil, "1.5", api.Decimal{}, api.DecimalName},
		{"d DECIMAL(8,3)", func(m *valueModes) { m.Decimal = envelope.DecimalDouble }, "1.5", 1.5, ""},
		{"d DECIMAL(8,3)", func(m *valueModes) { m.Decimal = envelope.DecimalString }, "1.500", "1.500", ""},
		{"b VARBINARY(4)", func(m *valueModes) { m.Binary = envelope.BinaryHex }, []byte{0xca, 0xfe}, "cafe", ""},
		{"b VARBINARY(4)", func(m *valueModes) { m.Binary = envelope.BinaryBase64 }, []byte{0xca, 0xfe}, "yv4=", ""},
		{"b VARBINARY(4)", func(m *valueModes) { m.Binary = envelope.BinaryBase64URLSafe }, []byte{0xfb, 0xff}, "-_8=", ""},
		{"u BIGINT UNSIGNED", func(m *valueModes) { m.BigintUnsigned = envelope.BigintPrecise }, uint64(18446744073709551615), api.Decimal{}, api.DecimalName},
		{"u BIGINT UNSIGNED", nil, uint64(18446744073709551615), int64(-1), ""},
		{"t TIME(6)", func(m *valueModes) { m.Time = envelope.TimeConnect }, "01:00:00.5", time.UnixMilli(3600500).UTC(), api.TimeName},
		{"t DATETIME(6)", func(m *valueModes) { m.Time = envelope.TimeConnect }, "1970-01-02 00:00:00.123456", time.UnixMilli(86400123).UTC(), api.TimestampName},
		{"t DATETIME(2)", nil, "1970-01-02 00:00:00.12", int64(86400120), api.DebeziumTimestampName},
		{"t DATE", func(m *valueModes) { m.Time = envelope.TimeConnect }, "1970-01-03", time.UnixMilli(2 * 86400000).UTC(), api.DateName},
		{"t TIMESTAMP", nil, time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.FixedZone("x", 3600)), "2024-01-02T02:04:05Z", api.ZonedTimestampName},
		{"u INT UNSIGNED", nil, int32(-1), int64(4294967295), ""},
		{"s SET('a','b','c')", nil, int64(5), "a,c", api.EnumSetName},
		{"e ENUM('a','b')", nil, int64(2), "b", api.EnumName},
		{"f FLOAT", nil, float32(1.1), float32(1.1), ""},
		{"f FLOAT", nil, 3.14, float32(3.14), ""},
		{"y YEAR", nil, 0, int32(1900), api.YearName},
		{"y YEAR", nil, int64(2024), int32(2024), api.YearName},
		{"t TIMESTAMP(6)", nil, []byte("1970-01-01 00:00:01.500000"), "1970-01-01T00:00:01.5Z", api.ZonedTimestampName},
		{"t TIMESTAMP(6)", nil, "0000-00-00 00:00:00.000000", "1970-01-01T00:00:00.000000Z", api.ZonedTimestampName},
		{"t TIMESTAMP(6)", nil, time.Unix(1, 0), "1970-01-01T00:00:01.000000Z", api.ZonedTimestampName},
		{"d DATE", nil, "0000-00-00", nil, api.DebeziumDateName},
	}
	for _, tc := range tests {
		m := def
		if tc.modes != nil {
			tc.modes(&m)
		}
		col := columnMapping(column(t, tc.def), m)
		if col.Schema == nil {
			t.Errorf("%s: no schema", tc.def)
			continue
		}
		if col.Schema.Name != tc.name {
			t.Errorf("%s %+v: schema %q, want %q", tc.def, m, col.Schema.Name, tc.name)
		}
		got, err := col.Convert(tc.raw)
		if err != nil {
			t.Errorf("%s: %v", tc.def, err)
			continue
		}
		if d, ok := got.(api.Decimal); ok {
			if _, want := tc.want.(api.Decimal); !want {
				t.Errorf("%s: got decimal %v, want %v", tc.def, d, tc.want)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %+v: %#v, want %#v", tc.def, m, got, tc.want)
		}
	}
}

// TestDefaults checks that literal column defaults become schema defaults.
func TestDefaults(t *testing.T) {
	m := valueModes{Decimal: envelope.DecimalPrecise, Time: envelope.TimeAdaptiveMicroseconds, Binary: envelope.BinaryBytes, BigintUnsigned: envelope.BigintLong}
	if c := columnMapping(column(t, "v INT NOT NULL DEFAULT 7"), m); c.Default != int32(7) {
		t.Errorf("int default %#v", c.Default)
	}
	if c := columnMapping(column(t, "v VARCHAR(5) DEFAULT 'x'"), m); c.Default != "x" {
		t.Errorf("string default %#v", c.Default)
	}
	if c := columnMapping(column(t, "v TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"), m); c.Default != "1970-01-01T00:00:00Z" {
		t.Errorf("timestamp default %#v", c.Default)
	}
	if c := columnMapping(column(t, "v DATETIME DEFAULT CURRENT_TIMESTAMP"), m); c.Default != nil {
		t.Errorf("datetime expression default %#v", c.Default)
	}
}

// intConverter gives the output type and value, unsigned columns masked, whether it returns the
// raw value as it is or a new one.
func TestIntConverterValues(t *testing.T) {
	cases := []struct {
		bits     int
		unsigned bool
		out      int
		raw      any
		want     any
	}{
		{8, false, 16, int8(-5), int16(-5)},
		{8, true, 16, int8(-1), int16(255)},
		{16, false, 16, int16(-300), int16(-300)},
		{16, true, 32, int16(-1), int32(65535)},
		{24, false, 32, int32(-8388608), int32(-8388608)},
		{24, true, 32, int32(-1), int32(16777215)},
		{32, false, 32, int32(123456789), int32(123456789)},
		{32, true, 64, int32(-1), int64(4294967295)},
		{64, false, 64, int64(-1 << 40), int64(-1 << 40)},
		{64, true, 64, int64(-1), int64(-1)},
		{64, false, 64, uint64(7), int64(7)},
		{32, false, 32, int64(70000), int32(70000)},
	}
	for _, c := range cases {
		got, err := intConverter(c.bits, c.unsigned, c.out)(c.raw)
		if err != nil || got != c.want {
			t.Errorf("intConverter(%d, %v, %d)(%T %v) = %T %v, %v; want %T %v", c.bits, c.unsigned, c.out, c.raw, c.raw, got, got, err, c.want, c.want)
		}
	}
}

// intSink keeps BenchmarkIntConverter's results on the heap, as a row's values are.
var intSink []any

func BenchmarkIntConverter(b *testing.B) {
	convs := []func(any) (any, error){intConverter(64, false, 64), intConverter(32, false, 32)}
	raws := []any{int64(1) << 40, int32(1) << 20}
	intSink = make([]any, 2)
	b.ReportAllocs()
	for b.Loop() {
		for i, conv := range convs {
			v, err := conv(raws[i])
			if err != nil {
				b.Fatal(err)
			}
			intSink[i] = v
		}
	}
}

// offsetSink keeps BenchmarkPositionOffset's maps on the heap, as records hold them.
var offsetSink map[string]any

// BenchmarkPositionOffset renders a streaming offset per row of a transaction, as the streamer
// does for every record.
func BenchmarkPositionOffset(b *testing.B) {
	p := position{serverID: 223344, tsSec: 1765140000, file: "mysql-bin.000042", restartFile: "mysql-bin.000042",
		restartPos: 123456789, restartGTIDs: "0-1-123456", restartEvents: 2, thread: -1}
	b.ReportAllocs()
	for b.Loop() {
		p.restartRows++
		offsetSink = p.offset(false)
	}
}

// The offset's values do not depend on the boxes the position kept from earlier offsets.
func TestPositionOffsetBoxes(t *testing.T) {
	p := position{serverID: 223344, tsSec: 1765140000, restartFile: "mysql-bin.000042", restartPos: 1000, restartGTIDs: "0-1-5"}
	for i := range 3 {
		p.restartRows = int64(i)
		p.restartPos += int64(i)
		got := p.offset(false)
		fresh := position{serverID: p.serverID, tsSec: p.tsSec, restartFile: p.restartFile, restartPos: p.restartPos,
			restartGTIDs: p.restartGTIDs, restartRows: p.restartRows}
		if want := fresh.offset(false); !reflect.DeepEqual(got, want) {
			t.Fatalf("offset %v, want %v", got, want)
		}
	}
}
