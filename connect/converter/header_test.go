package converter

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// TestHeaderValueMatchesKafka checks HeaderValue against what Kafka 4.3.1's
// SimpleHeaderConverter.fromConnectHeader wrote for the same values
// (testdata/HeaderCheck.java prints them; run it with the test bed's Kafka jars on the classpath).
func TestHeaderValueMatchesKafka(t *testing.T) {
	key := api.StructSchema().Name("k.Key").Field("region", api.StringSchema).Field("id", api.Int32Schema).Build()
	newKey := func(region string, id int32) *api.Struct {
		st := api.NewStruct(key)
		st.PutIndex(0, region)
		st.PutIndex(1, id)
		return st
	}
	dec := func(s string) api.Decimal {
		d, err := api.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	const day = 24 * time.Hour
	epoch := time.Unix(0, 0).UTC()

	all := api.StructSchema().Name("x").
		Field("s", api.OptionalStringSchema).
		Field("q", api.StringSchema).
		Field("b", api.BytesSchema).
		Field("f", api.Float32Schema).
		Field("d", api.Float64Schema).
		Field("bool", api.BooleanSchema).
		Field("i8", api.Int8Schema).
		Field("i64", api.Int64Schema).
		Field("dec", api.KafkaDecimalSchema(2).Build()).
		Field("dflt", api.NewSchema(api.TypeInt32).Default(int32(42)).Build()).
		Field("arr", api.ArraySchema(api.OptionalStringSchema).Build()).
		Field("m", api.MapSchema(api.StringSchema, api.Int32Schema).Build()).
		Field("date", api.DateSchema().Build()).
		Field("ts", api.TimestampSchema().Build()).
		Field("tm", api.TimeSchema().Build()).
		Build()
	st := api.NewStruct(all)
	for name, v := range map[string]any{
		"q": "a\"b\\c\nd/é😀", "b": []byte{1, 2, 3, 255}, "f": float32(3.14), "d": 1e10, "bool": true,
		"i8": int8(-5), "i64": int64(-9223372036854775808), "dec": dec("12345.67"),
		"arr":  []any{"x", nil, "y\""},
		"m":    []api.MapEntry{{Key: "a", Value: int32(1)}, {Key: "b", Value: int32(2)}},
		"date": epoch.Add(3 * day), "ts": epoch.Add(3*day + 1234*time.Millisecond),
		"tm": epoch.Add(45296789 * time.Millisecond),
	} {
		if err := st.Put(name, v); err != nil {
			t.Fatal(err)
		}
	}
	inner := api.StructSchema().Optional().Field("z", api.Int32Schema).Build()
	nested := api.StructSchema().Field("in", key).Field("n", inner).Build()
	nst := api.NewStruct(nested)
	nst.PutIndex(0, newKey("x", 1))

	for _, tc := range []struct {
		name  string
		value any
		want  string
	}{
		{"struct", newKey("eu", 3), `{"region":"eu","id":3}`},
		{"struct-all", st, "{\"s\":null,\"q\":\"a\\\"b\\\\c\nd/é😀\",\"b\":\"AQID/w==\",\"f\":3.14,\"d\":1.0E10,\"bool\":true," +
			"\"i8\":-5,\"i64\":-9223372036854775808,\"dec\":12345.67,\"dflt\":42,\"arr\":[\"x\",null,\"y\\\"\"]," +
			"\"m\":{\"a\":1,\"b\":2},\"date\":1970-01-04,\"ts\":1970-01-04T00:00:01.234Z,\"tm\":12:34:56.789Z}"},
		{"nested", nst, `{"in":{"region":"x","id":1},"n":null}`},
		{"string", "a\"b\\c", "a\"b\\c"},
		{"bytes", []byte("hi"), "aGk="},
		{"int", int32(5), "5"},
		{"double", 1e-5, "1.0E-5"},
		{"double2", 100.0, "100.0"},
		{"float", float32(1e10), "1.0E10"},
		{"nan", math.NaN(), "NaN"},
		{"bool", false, "false"},
		{"dec", dec("1.50"), "1.50"},
		{"decE", dec("1E+3"), "1E+3"},
		{"decsmall", dec("0.0000001234"), "1.234E-7"},
		{"list", []any{int32(1), int32(2), int32(3)}, "[1,2,3]"},
		{"liststr", []any{"a", "b"}, `["a","b"]`},
		{"emptylist", []any{}, "[]"},
		{"map", []api.MapEntry{{Key: "k", Value: "v"}, {Key: "n", Value: nil}}, `{"k":"v","n":null}`},
		{"mapint", []api.MapEntry{{Key: int32(1), Value: true}}, "{1:true}"},
		{"date", epoch.Add(3 * day), "1970-01-04"},
		{"ts", epoch.Add(3*day + 1234*time.Millisecond), "1970-01-04T00:00:01.234Z"},
		{"tm", epoch.Add(45296789 * time.Millisecond), "12:34:56.789Z"},
		{"ts0", epoch, "00:00:00.000Z"},
		{"tsneg", epoch.Add(-400*day + 5*time.Millisecond), "00:00:00.005Z"},
		{"emptystruct", api.NewStruct(api.StructSchema().Build()), "{}"},
		{"listnested", []any{newKey("a", 1), nil}, `[{"region":"a","id":1},null]`},
		{"bytesinlist", []any{[]byte{0, 1}}, `["AAE="]`},
		{"floatsmall", float32(1e-4), "1.0E-4"},
		{"i16", int16(-7), "-7"},
	} {
		got := HeaderValue(nil, tc.value)
		if string(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	if HeaderValue(nil, nil) != nil {
		t.Error("a nil value must give a null header")
	}
}

// TestHeaderValueExtras covers what the Kafka comparison does not: Go-only representations and
// BigDecimal.toString's corners.
func TestHeaderValueExtras(t *testing.T) {
	for _, tc := range []struct {
		value any
		want  string
	}{
		{[]string{`a"`, "b"}, `["a\"","b"]`},
		{map[string]any{"id": int64(1)}, `{"id":1}`},
		{(*api.Struct)(nil), "null"},
		{api.NewDecimal(0, 10), "0E-10"},
		{api.NewDecimal(-15, 1), "-1.5"},
		{api.NewDecimal(-1234, 10), "-1.234E-7"},
		{api.NewDecimal(5, -2), "5E+2"},
		{api.Decimal{}, "0"},
		{time.Date(2024, 2, 29, 0, 0, 0, 0, time.FixedZone("x", 3600)), "2024-02-28T23:00:00.000Z"},
		{uint8(7), "7"}, // no Java type: written with %v rather than failing the task
	} {
		if got := string(HeaderValue(nil, tc.value)); got != tc.want {
			t.Errorf("%#v: got %s, want %s", tc.value, got, tc.want)
		}
	}
	if !strings.HasPrefix(string(AppendHeaderValue([]byte("x="), "y")), "x=y") {
		t.Error("AppendHeaderValue must append to dst")
	}
}
