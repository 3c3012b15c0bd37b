package pgtypes

import (
	"bytes"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
)

func micros(y int, mo time.Month, d, h, mi, s, us int) int64 {
	return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC).UnixMicro()
}

// The expected values are Debezium's (AbstractRecordsProducerTest and friends in
// debezium-connector-postgres), for the text the server writes under the connector's session
// settings.
func TestDecodeDefaults(t *testing.T) {
	o := DefaultOptions()
	reg := NewRegistry()
	tests := []struct {
		name   string
		oid    uint32
		typmod int32
		text   string
		want   any
		schema string // schema name, "" for none
	}{
		{"bool", oidBool, -1, "t", true, ""},
		{"int2", oidInt2, -1, "-32768", int16(-32768), ""},
		{"int4", oidInt4, -1, "2147483647", int32(2147483647), ""},
		{"int8", oidInt8, -1, "-9223372036854775808", int64(-9223372036854775808), ""},
		{"oid", oidOID, -1, "4294967295", int64(4294967295), ""},
		{"float4", oidFloat4, -1, "3.3", float32(3.3), ""},
		{"float8", oidFloat8, -1, "-Infinity", negInf(), ""},
		{"text", oidText, -1, "héllo", "héllo", ""},
		{"bpchar", oidBPChar, 9, "abc  ", "abc  ", ""},
		{"json", oidJSON, -1, `{"a": 1}`, `{"a": 1}`, api.JSONName},
		{"uuid", oidUUID, -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", api.UUIDName},
		{"bytea", oidBytea, -1, `\x010203`, []byte{1, 2, 3}, ""},
		{"date", oidDate, -1, "2016-11-04", int32(17109), api.DebeziumDateName},
		{"date BC", oidDate, -1, "0044-03-15 BC", int32(envelope.EpochDay(-43, 3, 15)), api.DebeziumDateName},
		{"time", oidTime, -1, "13:51:30", int64(49890000000), api.MicroTimeName},
		{"time(3)", oidTime, 3, "13:51:30.123", int32(49890123), api.DebeziumTimeName},
		{"time 24:00", oidTime, -1, "24:00:00", int64(86400000000), api.MicroTimeName},
		{"timestamp", oidTimestamp, -1, "2016-11-04 13:51:30.123456", micros(2016, 11, 4, 13, 51, 30, 123456), api.MicroTimestampName},
		{"timestamp(3)", oidTimestamp, 3, "2016-11-04 13:51:30.123", micros(2016, 11, 4, 13, 51, 30, 123000) / 1000, api.DebeziumTimestampName},
		{"timestamp neg", oidTimestamp, -1, "1936-10-25 22:10:12.608", micros(1936, 10, 25, 22, 10, 12, 608000), api.MicroTimestampName},
		{"timestamp max", oidTimestamp, -1, "294247-01-01 23:59:59.999999", int64(9223371331200000000 - 1), api.MicroTimestampName},
		{"timestamp inf", oidTimestamp, -1, "infinity", int64(math.MaxInt64), api.MicroTimestampName},
		{"timestamp -inf", oidTimestamp, -1, "-infinity", int64(math.MinInt64), api.MicroTimestampName},
		{"timestamp(3) inf", oidTimestamp, 3, "infinity", PositiveInfinityTimestamp, api.DebeziumTimestampName},
		{"timestamp(3) -inf", oidTimestamp, 3, "-infinity", NegativeInfinityTimestamp, api.DebeziumTimestampName},
		{"timestamp max saturates", oidTimestamp, -1, "294276-12-31 23:59:59.999999", int64(math.MaxInt64), api.MicroTimestampName},
		{"timestamp(3) max", oidTimestamp, 3, "294276-12-31 23:59:59.999", int64(9224318015999999), api.DebeziumTimestampName},
		{"timestamp min", oidTimestamp, -1, "4714-11-24 00:00:00 BC", int64(-210866803200000000), api.MicroTimestampName},
		{"timestamptz max", oidTimestamptz, -1, "294276-12-31 23:59:59.999999+00", "+294276-12-31T23:59:59.999999Z", api.ZonedTimestampName},
		{"timestamptz BC", oidTimestamptz, -1, "4713-01-01 00:00:00+00 BC", "-4712-01-01T00:00:00.000000Z", api.ZonedTimestampName},
		{"timestamptz year 0", oidTimestamptz, -1, "0001-12-31 23:59:59.999999+00 BC", "0000-12-31T23:59:59.999999Z", api.ZonedTimestampName},
		{"date inf", oidDate, -1, "infinity", int32(2146033979), api.DebeziumDateName},
		{"date -inf", oidDate, -1, "-infinity", int32(-2147472691), api.DebeziumDateName},
		{"date BC", oidDate, -1, "4713-01-01 BC", int32(-2440550), api.DebeziumDateName},
		{"date year 1", oidDate, -1, "0001-01-01", int32(-719162), api.DebeziumDateName},
		{"date max", oidDate, -1, "5874897-12-31", int32(2145042905), api.DebeziumDateName},
		{"tsvector", oidTSVector, -1, "'a':1 'b':2", "'a':1 'b':2", TsvectorName},
		{"timestamptz", oidTimestamptz, -1, "2016-11-04 11:51:30.123456+00", "2016-11-04T11:51:30.123456Z", api.ZonedTimestampName},
		{"timestamptz zero fraction", oidTimestamptz, -1, "2020-04-01 11:51:02+00", "2020-04-01T11:51:02.000000Z", api.ZonedTimestampName},
		{"timestamptz offset", oidTimestamptz, -1, "2016-11-04 13:51:30.123456+02", "2016-11-04T11:51:30.123456Z", api.ZonedTimestampName},
		{"timestamptz large", oidTimestamptz, -1, "21016-11-04 06:51:30.123456+00", "+21016-11-04T06:51:30.123456Z", api.ZonedTimestampName},
		{"timestamptz max", oidTimestamptz, -1, "294247-01-01 23:59:59.999999+00", "+294247-01-01T23:59:59.999999Z", api.ZonedTimestampName},
		{"timestamptz BC", oidTimestamptz, -1, "4714-12-31 23:59:59.999999+00 BC", "-4713-12-31T23:59:59.999999Z", api.ZonedTimestampName},
		{"timestamptz(0)", oidTimestamptz, 0, "2019-07-09 02:28:57+00", "2019-07-09T02:28:57Z", api.ZonedTimestampName},
		{"timestamptz(1)", oidTimestamptz, 1, "2019-07-09 02:28:57.1+00", "2019-07-09T02:28:57.1Z", api.ZonedTimestampName},
		{"timestamptz inf", oidTimestamptz, -1, "infinity", "infinity", api.ZonedTimestampName},
		{"timetz", oidTimetz, -1, "13:51:30.123789+02", "11:51:30.123789Z", api.ZonedTimeName},
		{"timetz(3)", oidTimetz, 3, "13:51:30.123+02", "11:51:30.123Z", api.ZonedTimeName},
		{"timetz whole", oidTimetz, -1, "11:51:02+00", "11:51:02Z", api.ZonedTimeName},
		{"timetz wraps", oidTimetz, -1, "01:00:00+02", "23:00:00Z", api.ZonedTimeName},
		{"interval", oidInterval, -1, "P1Y2M3DT4H5M6.78S", int64(37091106780000), api.MicroDurationName},
		{"interval zero", oidInterval, -1, "PT0S", int64(0), api.MicroDurationName},
		{"interval saturates", oidInterval, -1, "P178000000Y", int64(9223372036854775807), api.MicroDurationName},
		{"interval saturates negative", oidInterval, -1, "P-178000000Y", int64(-9223372036854775808), api.MicroDurationName},
		{"numeric(5,2)", oidNumeric, (5<<16 | 2) + 4, "123.40", api.NewDecimal(12340, 2), api.DecimalName},
		{"numeric(5,2) negative", oidNumeric, (5<<16 | 2) + 4, "-1.5", api.NewDecimal(-150, 2), api.DecimalName},
		{"money", oidMoney, -1, "$1,234.11", api.NewDecimal(123411, 2), api.DecimalName},
		{"money negative", oidMoney, -1, "-$1,234.11", api.NewDecimal(-123411, 2), api.DecimalName},
		{"bit(1)", oidBit, 1, "1", true, ""},
		{"bit(2)", oidBit, 2, "11", []byte{3}, api.BitsName},
		{"bit(7)", oidBit, 7, "1000000", []byte{64}, api.BitsName},
		{"varbit(2) zero", oidVarbit, 2, "00", []byte{}, api.BitsName},
		{"varbit(24)", oidVarbit, 24, "000000110000001000000001", []byte{1, 2, 3}, api.BitsName},
		{"int4[]", 1007, -1, "{1,2,NULL,-4}", []any{int32(1), int32(2), nil, int32(-4)}, ""},
		{"text[]", 1009, -1, `{one,"two, three","with \"quote\"",NULL}`, []any{"one", "two, three", `with "quote"`, nil}, ""},
		{"inet", oidInet, -1, "192.168.1.1/24", "192.168.1.1/24", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := o.Map(reg, tt.oid, tt.typmod)
			if m.Schema == nil {
				t.Fatalf("no schema")
			}
			if m.Schema.Name != tt.schema {
				t.Errorf("schema name = %q, want %q", m.Schema.Name, tt.schema)
			}
			got, err := m.Decode([]byte(tt.text))
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.text, err)
			}
			if !valueEqual(got, tt.want) {
				t.Errorf("Decode(%q) = %#v, want %#v", tt.text, got, tt.want)
			}
			if err := api.ValidateValue(m.Schema, got); err != nil {
				t.Errorf("value does not fit its schema: %v", err)
			}
		})
	}
}

func negInf() float64 { return -1 / zero() }
func zero() float64   { return 0 }

func valueEqual(a, b any) bool {
	switch x := a.(type) {
	case api.Decimal:
		y, ok := b.(api.Decimal)
		return ok && x.Scale == y.Scale && x.Unscaled.Cmp(y.Unscaled) == 0
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	return reflect.DeepEqual(a, b)
}

func TestVariableScaleDecimal(t *testing.T) {
	o := DefaultOptions()
	m := o.Map(NewRegistry(), oidNumeric, -1)
	if m.Schema.Name != api.VariableScaleDecimalName {
		t.Fatalf("schema %q", m.Schema.Name)
	}
	v, err := m.Decode([]byte("1.100"))
	if err != nil {
		t.Fatal(err)
	}
	st := v.(*api.Struct)
	if st.Get("scale") != int32(1) || !bytes.Equal(st.Get("value").([]byte), big.NewInt(11).Bytes()) {
		t.Errorf("got %v", st)
	}
	v, _ = m.Decode([]byte("1200"))
	if st := v.(*api.Struct); st.Get("scale") != int32(0) {
		t.Errorf("1200 scale = %v, want 0 (no negative scale)", st.Get("scale"))
	}
	if v, _ := m.Decode([]byte("NaN")); v != nil {
		t.Errorf("NaN = %v, want nil", v)
	}
}

func TestIntervalString(t *testing.T) {
	o := DefaultOptions()
	o.Interval = IntervalString
	m := o.Map(NewRegistry(), oidInterval, -1)
	for text, want := range map[string]string{
		"P1Y2M3DT4H5M6.78S": "P1Y2M3DT4H5M6.78S",
		"PT0S":              "P0Y0M0DT0H0M0S",
		"P-1Y-3MT-4H-1.5S":  "P-1Y-3M0DT-4H0M-1.5S",
	} {
		got, err := m.Decode([]byte(text))
		if err != nil || got != want {
			t.Errorf("Decode(%q) = %v, %v; want %q", text, got, err, want)
		}
	}
}

func TestModes(t *testing.T) {
	reg := NewRegistry()
	o := DefaultOptions()
	o.Decimal = envelope.DecimalString
	o.Binary = envelope.BinaryBase64
	o.Time = envelope.TimeConnect
	num := o.Map(reg, oidNumeric, (10<<16|3)+4)
	if v, _ := num.Decode([]byte("1.5")); v != "1.500" {
		t.Errorf("numeric string = %v", v)
	}
	ba := o.Map(reg, oidBytea, -1)
	if v, _ := ba.Decode([]byte(`\x010203`)); v != "AQID" {
		t.Errorf("bytea base64 = %v", v)
	}
	m := o.Map(reg, oidTimestamp, -1)
	if m.Schema.Name != api.TimestampName {
		t.Errorf("connect timestamp schema %q", m.Schema.Name)
	}
	if v, _ := m.Decode([]byte("2016-11-04 13:51:30.123456")); !v.(time.Time).Equal(time.UnixMilli(micros(2016, 11, 4, 13, 51, 30, 123000) / 1000)) {
		t.Errorf("connect timestamp = %v", v)
	}
	o.Decimal = envelope.DecimalDouble
	dbl := o.Map(reg, oidNumeric, -1)
	if v, _ := dbl.Decode([]byte("2.25")); v != 2.25 {
		t.Errorf("numeric double = %v", v)
	}
}

func TestEnumDomainAndHStore(t *testing.T) {
	reg := NewRegistry()
	reg.Put(
		&Type{OID: 90001, Name: "mood", Namespace: "public", Kind: 'e', EnumLabels: []string{"sad", "ok", "happy"}},
		&Type{OID: 90002, Name: "_mood", Namespace: "public", Kind: 'b', Category: 'A', Elem: 90001},
		&Type{OID: 90003, Name: "price", Namespace: "public", Kind: 'd', Base: oidNumeric, BaseTypmod: (8<<16 | 2) + 4},
		&Type{OID: 90004, Name: "hstore", Namespace: "public", Kind: 'b'},
	)
	o := DefaultOptions()
	m := o.Map(reg, 90001, -1)
	if m.Schema.Name != api.EnumName || m.Schema.Parameters[0].Value != "sad,ok,happy" {
		t.Errorf("enum schema %+v", m.Schema)
	}
	m = o.Map(reg, 90002, -1)
	if m.Schema.Type != api.TypeArray || m.Schema.ValueSchema.Name != api.EnumName || m.Schema.ValueSchema.Optional {
		t.Errorf("enum array schema %+v", m.Schema)
	}
	m = o.Map(reg, 90003, -1)
	if v, err := m.Decode([]byte("9.5")); err != nil || !valueEqual(v, api.NewDecimal(950, 2)) {
		t.Errorf("domain over numeric(8,2) = %v, %v", v, err)
	}
	m = o.Map(reg, 90004, -1)
	v, err := m.Decode([]byte(`"a"=>"1", "b"=>NULL, "key \"q\""=>"x\\y"`))
	if err != nil {
		t.Fatal(err)
	}
	// java.util.HashMap iterates "a" (bucket 1), "b" (bucket 2), then the long key.
	want := `{"a":"1","b":null,"key \"q\"":"x\\y"}`
	if v != want {
		t.Errorf("hstore json = %s, want %s", v, want)
	}
	if m.Toast != `{"__debezium_unavailable_value":"__debezium_unavailable_value"}` {
		t.Errorf("hstore toast = %v", m.Toast)
	}
	// More keys than a 16-bucket table holds at 3/4 load, control characters and an emoji: the
	// JSON Jackson's writer-based generator wrote for a java.util.HashMap filled in this order.
	var text []string
	for _, k := range []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "emoji😀", "tab\tnl\n"} {
		v := `"v` + k + `"`
		if strings.HasPrefix(k, "k1") {
			v = "NULL"
		}
		text = append(text, `"`+k+`"=>`+v)
	}
	v, err = m.Decode([]byte(strings.Join(text, ", ")))
	if err != nil {
		t.Fatal(err)
	}
	want = `{"k1":null,"k2":"vk2","emoji😀":"vemoji😀","k3":"vk3","k4":"vk4","k5":"vk5","k6":"vk6","k10":null,` +
		`"tab\tnl\n":"vtab\tnl\n","k7":"vk7","k8":"vk8","k9":"vk9"}`
	if v != want {
		t.Errorf("hstore json = %s, want %s", v, want)
	}
}

func TestUnknownTypes(t *testing.T) {
	o := DefaultOptions()
	if m := o.Map(NewRegistry(), 2970, -1); m.Schema != nil { // txid_snapshot
		t.Errorf("txid_snapshot mapped to %+v without include.unknown.datatypes", m.Schema)
	}
	// The arrays Debezium 3.7's PostgresValueConverter leaves unmapped.
	for _, oid := range []uint32{791, 1003, 1187, 1563, 143, 1017} {
		if m := o.Map(NewRegistry(), oid, -1); m.Schema != nil {
			t.Errorf("array type %d mapped to %+v without include.unknown.datatypes", oid, m.Schema)
		}
	}
	o.IncludeUnknown = true
	m := o.Map(NewRegistry(), 2970, -1)
	if v, err := m.Decode([]byte("10:20:")); err != nil || !bytes.Equal(v.([]byte), []byte("10:20:")) {
		t.Errorf("unknown as bytes = %v, %v", v, err)
	}
}

func TestToastPlaceholders(t *testing.T) {
	o := DefaultOptions()
	reg := NewRegistry()
	if m := o.Map(reg, oidText, -1); m.Toast != DefaultPlaceholder {
		t.Errorf("text toast = %v", m.Toast)
	}
	if m := o.Map(reg, oidBytea, -1); !bytes.Equal(m.Toast.([]byte), []byte(DefaultPlaceholder)) {
		t.Errorf("bytea toast = %v", m.Toast)
	}
	if m := o.Map(reg, 1009, -1); !reflect.DeepEqual(m.Toast, []any{DefaultPlaceholder}) {
		t.Errorf("text[] toast = %v", m.Toast)
	}
	m := o.Map(reg, 1007, -1)
	arr := m.Toast.([]any)
	if len(arr) != len(DefaultPlaceholder) || arr[0] != int32('_') {
		t.Errorf("int4[] toast = %v", m.Toast)
	}
	if err := api.ValidateValue(m.Schema, m.Toast); err != nil {
		t.Errorf("int4[] toast does not fit: %v", err)
	}
	// UUID.nameUUIDFromBytes("__debezium_unavailable_value"), as Java computes it.
	if m := o.Map(reg, 2951, -1); len(m.Toast.([]any)[0].(string)) != 36 {
		t.Errorf("uuid[] toast = %v", m.Toast)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	o := DefaultOptions()
	reg := NewRegistry()
	for _, c := range []struct {
		oid  uint32
		text string
	}{
		{oidInt4, "12x"}, {oidInt2, "40000"}, {oidBool, "yes"}, {oidDate, "04/11/2016"},
		{oidTimestamp, "2016-11-04"}, {oidTimestamptz, "2016-11-04 11:51:30"}, {oidBytea, "abc"},
		{oidInterval, "1 day"}, {1007, "1,2"}, {oidNumeric, "1.2.3"},
	} {
		m := o.Map(reg, c.oid, -1)
		if v, err := m.Decode([]byte(c.text)); err == nil {
			t.Errorf("%s %q decoded to %v, want an error", m.TypeName, c.text, v)
		}
	}
}

func BenchmarkDecodeRow(b *testing.B) {
	o := DefaultOptions()
	reg := NewRegistry()
	cols := []struct {
		m    Mapping
		text []byte
	}{
		{o.Map(reg, oidInt4, -1), []byte("123456")},
		{o.Map(reg, oidText, -1), []byte("some customer name")},
		{o.Map(reg, oidNumeric, (10<<16|2)+4), []byte("12345.67")},
		{o.Map(reg, oidTimestamptz, -1), []byte("2024-01-02 03:04:05.123456+00")},
		{o.Map(reg, oidBool, -1), []byte("t")},
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for j := range cols {
			if _, err := cols[j].m.Decode(cols[j].text); err != nil {
				b.Fatal(err)
			}
		}
	}
}
