package envelope

import (
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

func TestParseModes(t *testing.T) {
	if m, err := ParseDecimalMode(""); err != nil || m != DecimalPrecise {
		t.Error("decimal default", m, err)
	}
	if m, err := ParseDecimalMode("STRING"); err != nil || m != DecimalString || m.String() != "string" {
		t.Error("decimal string", m, err)
	}
	if _, err := ParseDecimalMode("exact"); err == nil || !strings.Contains(err.Error(), "decimal.handling.mode") || !strings.Contains(err.Error(), "precise, double, string") {
		t.Error("decimal bad", err)
	}
	if m, err := ParseTimePrecisionMode("adaptive_time_microseconds"); err != nil || m != TimeAdaptiveMicroseconds {
		t.Error("time", m, err)
	}
	if _, err := ParseTimePrecisionMode("isostring"); err == nil {
		t.Error("isostring accepted")
	}
	if m, err := ParseBinaryMode("base64-url-safe"); err != nil || m != BinaryBase64URLSafe {
		t.Error("binary", m, err)
	}
	if m, err := ParseBigintUnsignedMode("Precise"); err != nil || m != BigintPrecise {
		t.Error("bigint", m, err)
	}
	for _, n := range DecimalModeNames() {
		if _, err := ParseDecimalMode(n); err != nil {
			t.Error(err)
		}
	}
	for _, n := range BinaryModeNames() {
		if _, err := ParseBinaryMode(n); err != nil {
			t.Error(err)
		}
	}
	for _, n := range TimePrecisionModeNames() {
		if _, err := ParseTimePrecisionMode(n); err != nil {
			t.Error(err)
		}
	}
}

func dec(s string) api.Decimal {
	d, err := api.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestDecimal(t *testing.T) {
	s := DecimalFieldSchema(DecimalPrecise, 10, 2).Build()
	if s.Name != api.DecimalName || s.Type != api.TypeBytes || s.Version != 1 ||
		len(s.Parameters) != 2 || s.Parameters[0] != (api.Param{Key: "scale", Value: "2"}) || s.Parameters[1] != (api.Param{Key: "connect.decimal.precision", Value: "10"}) {
		t.Errorf("precise schema %+v", s)
	}
	if DecimalFieldSchema(DecimalDouble, 10, 2).Build().Type != api.TypeFloat64 || DecimalFieldSchema(DecimalString, 10, 2).Build().Type != api.TypeString {
		t.Error("double/string schemas")
	}
	tests := []struct {
		mode  DecimalMode
		in    string
		scale int
		want  any // string for decimals: their plain form with scale
		err   bool
	}{
		{DecimalPrecise, "1.5", 2, "1.50", false},
		{DecimalPrecise, "-0.001", 3, "-0.001", false},
		{DecimalPrecise, "12", 0, "12", false},
		{DecimalPrecise, "1.500", 2, "1.50", false},
		{DecimalPrecise, "1.505", 2, nil, true},
		{DecimalDouble, "1234.5", 2, 1234.5, false},
		{DecimalString, "1234.50", 2, "1234.50", false},
	}
	for _, tt := range tests {
		got, err := DecimalFieldValue(tt.mode, dec(tt.in), tt.scale)
		if tt.err {
			if err == nil {
				t.Errorf("%v %s: no error", tt.mode, tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v %s: %v", tt.mode, tt.in, err)
			continue
		}
		if d, ok := got.(api.Decimal); ok {
			if d.String() != tt.want || int(d.Scale) != tt.scale {
				t.Errorf("%v %s = %s (scale %d), want %v", tt.mode, tt.in, d, d.Scale, tt.want)
			}
			if err := api.ValidateValue(DecimalFieldSchema(tt.mode, 10, tt.scale).Build(), got); err != nil {
				t.Error(err)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%v %s = %#v, want %#v", tt.mode, tt.in, got, tt.want)
		}
	}
	vs := VariableDecimalFieldSchema(DecimalPrecise).Build()
	v := VariableDecimalFieldValue(DecimalPrecise, vs, dec("-12.345")).(*api.Struct)
	if v.Get("scale") != int32(3) || string(v.Get("value").([]byte)) != string(api.NewDecimal(-12345, 3).Bytes()) {
		t.Errorf("variable decimal %v", v)
	}
	if VariableDecimalFieldValue(DecimalString, nil, dec("1.10")) != "1.10" {
		t.Error("variable string")
	}
}

func TestBigintUnsigned(t *testing.T) {
	const max = uint64(18446744073709551615)
	if BigintUnsignedFieldValue(BigintLong, max) != int64(-1) {
		t.Error("long wrap")
	}
	d := BigintUnsignedFieldValue(BigintPrecise, max).(api.Decimal)
	if d.String() != "18446744073709551615" || d.Scale != 0 {
		t.Error("precise", d)
	}
	s := BigintUnsignedFieldSchema(BigintPrecise).Build()
	if p, _ := s.Param("connect.decimal.precision"); p != "20" {
		t.Error("precision", s.Parameters)
	}
	if err := api.ValidateValue(s, d); err != nil {
		t.Error(err)
	}
	if BigintUnsignedFieldSchema(BigintLong).Build().Type != api.TypeInt64 {
		t.Error("long schema")
	}
}

func TestBinary(t *testing.T) {
	b := []byte{0xfb, 0xff, 0x00, 'a'}
	tests := []struct {
		mode BinaryMode
		want any
		typ  api.Type
	}{
		{BinaryBytes, b, api.TypeBytes},
		{BinaryBase64, "+/8AYQ==", api.TypeString},
		{BinaryBase64URLSafe, "-_8AYQ==", api.TypeString},
		{BinaryHex, "fbff0061", api.TypeString},
	}
	for _, tt := range tests {
		got := BinaryFieldValue(tt.mode, b)
		if !api.ValueEqual(got, tt.want) {
			t.Errorf("%v: %#v, want %#v", tt.mode, got, tt.want)
		}
		if BinaryFieldSchema(tt.mode).Build().Type != tt.typ {
			t.Errorf("%v: schema type", tt.mode)
		}
	}
}

func TestEpochDay(t *testing.T) {
	tests := []struct {
		y    int
		m    time.Month
		d    int
		want int64
	}{
		{1970, 1, 1, 0}, {1969, 12, 31, -1}, {2000, 3, 1, 11017}, {2024, 2, 29, 19782}, {1, 1, 1, -719162}, {9999, 12, 31, 2932896},
		{1900, 3, 1, -25508},
	}
	for _, tt := range tests {
		if got := EpochDay(tt.y, tt.m, tt.d); got != tt.want {
			t.Errorf("EpochDay(%d-%d-%d) = %d, want %d", tt.y, tt.m, tt.d, got, tt.want)
		}
		if tt.y >= 1 {
			ref := time.Date(tt.y, tt.m, tt.d, 0, 0, 0, 0, time.UTC).Unix() / 86400
			if ref != tt.want {
				t.Errorf("reference %d", ref)
			}
		}
	}
}

func TestTemporalSchemas(t *testing.T) {
	tests := []struct {
		name string
		s    *api.Schema
		want string
		typ  api.Type
	}{
		{"date adaptive", DateFieldSchema(TimeAdaptive).Build(), api.DebeziumDateName, api.TypeInt32},
		{"date connect", DateFieldSchema(TimeConnect).Build(), api.DateName, api.TypeInt32},
		{"time 0", TimeFieldSchema(TimeAdaptive, 0).Build(), api.DebeziumTimeName, api.TypeInt32},
		{"time 3", TimeFieldSchema(TimeAdaptive, 3).Build(), api.DebeziumTimeName, api.TypeInt32},
		{"time 6", TimeFieldSchema(TimeAdaptive, 6).Build(), api.MicroTimeName, api.TypeInt64},
		{"time 9", TimeFieldSchema(TimeAdaptive, 9).Build(), api.NanoTimeName, api.TypeInt64},
		{"time micro 0", TimeFieldSchema(TimeAdaptiveMicroseconds, 0).Build(), api.MicroTimeName, api.TypeInt64},
		{"time connect", TimeFieldSchema(TimeConnect, 6).Build(), api.TimeName, api.TypeInt32},
		{"ts 0", TimestampFieldSchema(TimeAdaptive, 0).Build(), api.DebeziumTimestampName, api.TypeInt64},
		{"ts 4", TimestampFieldSchema(TimeAdaptive, 4).Build(), api.MicroTimestampName, api.TypeInt64},
		{"ts 9", TimestampFieldSchema(TimeAdaptiveMicroseconds, 9).Build(), api.NanoTimestampName, api.TypeInt64},
		{"ts micro 2", TimestampFieldSchema(TimeAdaptiveMicroseconds, 2).Build(), api.DebeziumTimestampName, api.TypeInt64},
		{"ts connect", TimestampFieldSchema(TimeConnect, 6).Build(), api.TimestampName, api.TypeInt64},
		{"zoned", ZonedTimestampFieldSchema().Build(), api.ZonedTimestampName, api.TypeString},
		{"year", YearFieldSchema(TimeAdaptive).Build(), api.YearName, api.TypeInt32},
		{"year connect", YearFieldSchema(TimeConnect).Build(), "", api.TypeInt32},
	}
	for _, tt := range tests {
		if tt.s.Name != tt.want || tt.s.Type != tt.typ {
			t.Errorf("%s: %s %s, want %s %s", tt.name, tt.s.Name, tt.s.Type, tt.want, tt.typ)
		}
	}
}

func TestTemporalValues(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	ts := time.Date(2018, 6, 20, 13, 37, 3, 123456789, paris) // wall clock taken as is
	pre := time.Date(1969, 12, 31, 23, 59, 59, 999500000, time.UTC)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"date", DateFieldValue(TimeAdaptive, ts), int32(17702)},
		{"date connect", DateFieldValue(TimeConnect, ts), time.Date(2018, 6, 20, 0, 0, 0, 0, time.UTC)},
		{"date pre-epoch", DateFieldValue(TimeAdaptive, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)), int32(-1)},
		{"time ms", TimeFieldValue(TimeAdaptive, 3, 13*time.Hour+500*time.Millisecond), int32(46800500)},
		{"time us", TimeFieldValue(TimeAdaptive, 6, time.Hour+time.Microsecond), int64(3600000001)},
		{"time ns", TimeFieldValue(TimeAdaptive, 9, time.Second+1), int64(1000000001)},
		{"time micro mode", TimeFieldValue(TimeAdaptiveMicroseconds, 0, 2*time.Second), int64(2000000)},
		{"time negative", TimeFieldValue(TimeAdaptiveMicroseconds, 0, -838*time.Hour), int64(-838 * 3600 * 1000000)},
		{"time connect", TimeFieldValue(TimeConnect, 3, 1500*time.Millisecond), time.UnixMilli(1500).UTC()},
		{"ts ms", TimestampFieldValue(TimeAdaptive, 3, ts), int64(1529501823123)},
		{"ts us", TimestampFieldValue(TimeAdaptive, 6, ts), int64(1529501823123456)},
		{"ts ns", TimestampFieldValue(TimeAdaptive, 7, ts), int64(1529501823123456789)},
		{"ts pre-epoch ms", TimestampFieldValue(TimeAdaptive, 3, pre), int64(-1)},
		{"ts pre-epoch us", TimestampFieldValue(TimeAdaptive, 6, pre), int64(-500)},
		{"ts connect", TimestampFieldValue(TimeConnect, 6, ts), time.UnixMilli(1529501823123).UTC()},
		{"zoned utc", ZonedTimestampString(time.Date(2018, 6, 20, 13, 37, 3, 0, time.UTC), 0), "2018-06-20T13:37:03Z"},
		{"zoned fraction", ZonedTimestampString(time.Date(2018, 6, 20, 13, 37, 3, 120000000, time.UTC), 0), "2018-06-20T13:37:03.12Z"},
		{"zoned width", ZonedTimestampString(time.Date(2018, 6, 20, 13, 37, 3, 120000000, time.UTC), 6), "2018-06-20T13:37:03.120000Z"},
		{"zoned width zero", ZonedTimestampString(time.Date(2018, 6, 20, 13, 37, 3, 0, time.UTC), 3), "2018-06-20T13:37:03.000Z"},
		{"zoned offset", ZonedTimestampString(ts, 0), "2018-06-20T13:37:03.123456789+01:00"},
		{"zoned negative offset", ZonedTimestampString(time.Date(2020, 1, 2, 3, 4, 5, 0, time.FixedZone("x", -(5*3600+30*60+15))), 0), "2020-01-02T03:04:05-05:30:15"},
		{"zoned year 10000", ZonedTimestampString(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), 0), "+10000-01-01T00:00:00Z"},
		{"zoned time", ZonedTimeString(time.Date(0, 1, 1, 8, 15, 0, 500000000, time.FixedZone("x", 7200))), "08:15:00.5+02:00"},
		{"micro duration", MicroDurationValue(90 * time.Minute), int64(5400000000)},
	}
	for _, tt := range tests {
		if !api.ValueEqual(tt.got, tt.want) {
			t.Errorf("%s: %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

func BenchmarkZonedTimestamp(b *testing.B) {
	ts := time.Date(2018, 6, 20, 13, 37, 3, 123456000, time.UTC)
	for b.Loop() {
		ZonedTimestampString(ts, 6)
	}
}
