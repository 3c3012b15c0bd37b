package jsonconv

import (
	"math"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/javafmt"
)

// The cases of golden_test.go, built exactly as testdata/gen/Gen.java builds them in Java. Keep
// the two in step: a case added here needs its golden file from gen.sh.

// goldenCase is one converter call: the configuration, the schema and the value.
type goldenCase struct {
	name   string
	props  map[string]string
	isKey  bool
	schema *api.Schema
	value  any
}

// caseSet collects cases.
type caseSet struct {
	t     testing.TB
	cases []goldenCase
}

func props(schemas bool, decimalFormat string, replaceNull bool) map[string]string {
	return map[string]string{
		SchemasEnableConfig:          boolStr(schemas),
		DecimalFormatConfig:          decimalFormat,
		ReplaceNullWithDefaultConfig: boolStr(replaceNull),
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (cs *caseSet) write(name string, p map[string]string, isKey bool, s *api.Schema, v any) {
	cs.cases = append(cs.cases, goldenCase{name: name, props: p, isKey: isKey, schema: s, value: v})
}

// both adds the case with schemas enabled (_s1) and disabled (_s0).
func (cs *caseSet) both(name string, s *api.Schema, v any) {
	cs.write(name+"_s1", props(true, "BASE64", true), false, s, v)
	cs.write(name+"_s0", props(false, "BASE64", true), false, s, v)
}

// st builds a struct with checked Puts: name, value, name, value...
func st(t testing.TB, s *api.Schema, kv ...any) *api.Struct {
	t.Helper()
	x := api.NewStruct(s)
	for i := 0; i < len(kv); i += 2 {
		if err := x.Put(kv[i].(string), kv[i+1]); err != nil {
			t.Fatalf("building %s: %v", s.Name, err)
		}
	}
	return x
}

func dec(unscaled string, scale int32) api.Decimal {
	u, ok := new(big.Int).SetString(unscaled, 10)
	if !ok {
		panic("bad test decimal " + unscaled)
	}
	return api.Decimal{Unscaled: u, Scale: scale}
}

func ms(m int64) time.Time { return time.UnixMilli(m).UTC() }

func build(t testing.TB, b *api.SchemaBuilder) *api.Schema {
	t.Helper()
	s, err := b.BuildChecked()
	if err != nil {
		t.Fatalf("building schema: %v", err)
	}
	return s
}

// envelopeSchemas are the schemas of a Debezium MySQL change event for a customers table.
type envelopeSchemas struct {
	key, row, source, block, envelope *api.Schema
}

func newEnvelopeSchemas(t testing.TB) envelopeSchemas {
	var e envelopeSchemas
	e.key = build(t, api.StructSchema().Name("dbserver1.inventory.customers.Key").Field("id", api.Int32Schema))
	e.row = build(t, api.StructSchema().Name("dbserver1.inventory.customers.Value").Optional().
		Field("id", api.Int32Schema).
		Field("first_name", api.StringSchema).
		Field("last_name", api.StringSchema).
		Field("email", api.StringSchema).
		Field("balance", build(t, api.DecimalSchema(2, 10).Optional())).
		Field("score", api.OptionalFloat64Schema).
		Field("active", build(t, api.NewSchema(api.TypeBoolean).Default(true))).
		Field("created_at", build(t, api.ZonedTimestampSchema().Optional())).
		Field("updated_at", build(t, api.MicroTimestampSchema().Optional())).
		Field("birth", build(t, api.DebeziumDateSchema().Optional())).
		Field("notes", api.OptionalStringSchema))
	e.source = build(t, api.StructSchema().Name("io.debezium.connector.mysql.Source").Version(1).
		Field("version", api.StringSchema).
		Field("connector", api.StringSchema).
		Field("name", api.StringSchema).
		Field("ts_ms", api.Int64Schema).
		Field("snapshot", build(t, api.EnumSchema(strings.Split("true,first,first_in_data_collection,last_in_data_collection,last,false,incremental", ",")).
			Default("false").Optional())).
		Field("db", api.StringSchema).
		Field("sequence", api.OptionalStringSchema).
		Field("ts_us", api.OptionalInt64Schema).
		Field("ts_ns", api.OptionalInt64Schema).
		Field("table", api.OptionalStringSchema).
		Field("server_id", api.Int64Schema).
		Field("gtid", api.OptionalStringSchema).
		Field("file", api.StringSchema).
		Field("pos", api.Int64Schema).
		Field("row", api.Int32Schema).
		Field("thread", api.OptionalInt64Schema).
		Field("query", api.OptionalStringSchema))
	e.block = build(t, api.StructSchema().Name("event.block").Version(1).Optional().
		Field("id", api.StringSchema).
		Field("total_order", api.Int64Schema).
		Field("data_collection_order", api.Int64Schema))
	e.envelope = build(t, api.StructSchema().Name("dbserver1.inventory.customers.Envelope").Version(2).
		Field("before", e.row).
		Field("after", e.row).
		Field("source", e.source).
		Field("transaction", e.block).
		Field("op", api.StringSchema).
		Field("ts_ms", api.OptionalInt64Schema).
		Field("ts_us", api.OptionalInt64Schema).
		Field("ts_ns", api.OptionalInt64Schema))
	return e
}

func (e envelopeSchemas) source1(t testing.TB) *api.Struct {
	return st(t, e.source, "version", "3.6.1.Final", "connector", "mysql", "name", "dbserver1",
		"ts_ms", int64(1709210100000), "snapshot", "false", "db", "inventory", "ts_us", int64(1709210100000000),
		"ts_ns", int64(1709210100000000000), "table", "customers", "server_id", int64(223344),
		"gtid", "3E11FA47-71CA-11E1-9E33-C80AA9429562:23", "file", "mysql-bin.000003", "pos", int64(484),
		"row", int32(0), "thread", int64(7))
}

func (e envelopeSchemas) before(t testing.TB) *api.Struct {
	return st(t, e.row, "id", int32(1004), "first_name", "Anne", "last_name", "Kretchmar",
		"email", "annek@noanswer.org", "balance", dec("123456", 2), "score", 0.75,
		"created_at", "2024-02-29T12:34:56.789Z", "updated_at", int64(1709210096789123), "birth", int32(3650))
}

func (e envelopeSchemas) after(t testing.TB) *api.Struct {
	return st(t, e.row, "id", int32(1004), "first_name", "Anne Marie", "last_name", "Kretchmar",
		"email", "annek@noanswer.org", "balance", dec("-50", 2), "score", 1.0e-7, "active", false,
		"created_at", "2024-02-29T12:34:56.789Z", "updated_at", int64(1709210100000000), "birth", int32(-365),
		"notes", "línea 1\nline \"2\"\ttab")
}

func goldenCases(t testing.TB) []goldenCase {
	cs := &caseSet{t: t}

	// --- primitives ---
	prim := build(t, api.StructSchema().Name("test.Primitives").Version(1).Doc("all primitive types").
		Field("i8", api.Int8Schema).Field("i16", api.Int16Schema).
		Field("i32", api.Int32Schema).Field("i64", api.Int64Schema).
		Field("f32", api.Float32Schema).Field("f64", api.Float64Schema).
		Field("bool", api.BooleanSchema).Field("str", api.StringSchema).
		Field("bytes", api.BytesSchema).
		Field("oi8", api.OptionalInt8Schema).Field("oi16", api.OptionalInt16Schema).
		Field("oi32", api.OptionalInt32Schema).Field("oi64", api.OptionalInt64Schema).
		Field("of32", api.OptionalFloat32Schema).Field("of64", api.OptionalFloat64Schema).
		Field("obool", api.OptionalBooleanSchema).Field("ostr", api.OptionalStringSchema).
		Field("obytes", api.OptionalBytesSchema))
	p1 := st(t, prim, "i8", int8(-128), "i16", int16(32767), "i32", int32(math.MinInt32),
		"i64", int64(math.MaxInt64), "f32", float32(3.14), "f64", 2.718281828459045, "bool", true,
		"str", "héllo wörld", "bytes", []byte{0, 1, 2, 0xfe, 0xff})
	cs.both("prim_nulls", prim, p1)
	cs.write("prim_nulls_key_s1", props(true, "BASE64", true), true, prim, p1)
	p2 := st(t, prim, "i8", int8(127), "i16", int16(-32768), "i32", int32(math.MaxInt32),
		"i64", int64(math.MinInt64), "f32", float32(-1.5), "f64", math.Copysign(0, -1), "bool", false,
		"str", "", "bytes", []byte{}, "oi8", int8(0), "oi16", int16(-1), "oi32", int32(42),
		"oi64", int64(-9223372036854775807), "of32", float32(math.Copysign(0, -1)), "of64", 1e20,
		"obool", false, "ostr", "x", "obytes", []byte{0x80})
	cs.both("prim_set", prim, p2)

	// --- defaults ---
	defaults := build(t, api.StructSchema().Name("test.Defaults").
		Field("d_i32", build(t, api.NewSchema(api.TypeInt32).Optional().Default(int32(42)))).
		Field("d_str", build(t, api.NewSchema(api.TypeString).Optional().Default("dflt"))).
		Field("d_bool", build(t, api.NewSchema(api.TypeBoolean).Optional().Default(true))).
		Field("d_f64", build(t, api.NewSchema(api.TypeFloat64).Optional().Default(0.1))).
		Field("d_f32", build(t, api.NewSchema(api.TypeFloat32).Optional().Default(float32(1.0)))).
		Field("d_bytes", build(t, api.NewSchema(api.TypeBytes).Optional().Default([]byte{1, 2, 3}))).
		Field("d_dec", build(t, api.KafkaDecimalSchema(2).Optional().Default(dec("1234", 2)))).
		Field("d_date", build(t, api.DateSchema().Optional().Default(api.DateValue(10957)))).
		Field("d_time", build(t, api.TimeSchema().Optional().Default(ms(3723004)))).
		Field("d_ts", build(t, api.TimestampSchema().Optional().Default(ms(1700000000123)))).
		Field("d_arr", build(t, api.ArraySchema(api.Int32Schema).Optional().Default([]any{int32(1), int32(2)}))).
		Field("d_map", build(t, api.MapSchema(api.StringSchema, api.Int32Schema).Optional().
			Default([]api.MapEntry{{Key: "a", Value: int32(1)}}))).
		Field("o_nodef", api.OptionalInt32Schema).
		Field("r_i64", build(t, api.NewSchema(api.TypeInt64).Default(int64(-7)))))
	dnull := api.NewStruct(defaults)
	cs.both("defaults_null", defaults, dnull)
	cs.write("defaults_null_keepnull_s1", props(true, "BASE64", false), false, defaults, dnull)
	cs.write("defaults_null_numeric_s1", props(true, "NUMERIC", true), false, defaults, dnull)
	dset := st(t, defaults, "d_i32", int32(1), "d_str", "set", "d_bool", false, "d_f64", 2.5,
		"d_f32", float32(0.5), "d_bytes", []byte{9}, "d_dec", dec("-5", 2), "d_date", ms(0), "d_time", ms(0),
		"d_ts", ms(-1), "d_arr", []any{}, "d_map", []api.MapEntry{}, "o_nodef", int32(3), "r_i64", int64(8))
	cs.both("defaults_set", defaults, dset)
	optDefaults := build(t, api.StructSchema().Name("test.OptDefaults").
		Field("a", build(t, api.NewSchema(api.TypeInt32).Optional().Default(int32(1)))).
		Field("b", build(t, api.NewSchema(api.TypeString).Optional().Default("x"))))
	cs.write("opt_defaults_keepnull_s1", props(true, "BASE64", false), false, optDefaults, api.NewStruct(optDefaults))
	cs.write("opt_defaults_s1", props(true, "BASE64", true), false, optDefaults, api.NewStruct(optDefaults))
	reqDefault := build(t, api.StructSchema().Name("test.ReqDefault").
		Field("r", build(t, api.NewSchema(api.TypeInt32).Default(int32(5)))))
	cs.write("required_default_s1", props(true, "BASE64", true), false, reqDefault, api.NewStruct(reqDefault))
	cs.write("required_default_keepnull_s1", props(true, "BASE64", false), false, reqDefault, api.NewStruct(reqDefault))

	// --- nested structs, arrays ---
	inner := build(t, api.StructSchema().Name("test.Inner").Field("a", api.StringSchema).Field("b", api.OptionalInt64Schema))
	optInner := build(t, api.StructSchema().Name("test.Inner").Optional().Field("a", api.StringSchema).Field("b", api.OptionalInt64Schema))
	outer := build(t, api.StructSchema().Name("test.Outer").
		Field("id", api.Int32Schema).
		Field("inner", inner).
		Field("opt_inner", optInner).
		Field("list", build(t, api.ArraySchema(inner))).
		Field("tags", build(t, api.ArraySchema(api.OptionalStringSchema).Optional())).
		Field("matrix", build(t, api.ArraySchema(build(t, api.ArraySchema(api.Int32Schema))))))
	o1 := st(t, outer, "id", int32(7), "inner", st(t, inner, "a", "x"),
		"list", []any{st(t, inner, "a", "p", "b", int64(1)), st(t, inner, "a", "q", "b", int64(2))},
		"tags", []any{"t1", nil, "t3"},
		"matrix", []any{[]any{int32(1), int32(2)}, []any{}, []any{int32(3)}})
	cs.both("nested", outer, o1)
	o2 := st(t, outer, "id", int32(8), "inner", st(t, inner, "a", "y", "b", int64(9)),
		"opt_inner", st(t, optInner, "a", "z"), "list", []any{}, "matrix", []any{})
	cs.both("nested_opt", outer, o2)

	// --- maps ---
	maps := build(t, api.StructSchema().Name("test.Maps").
		Field("smap", build(t, api.MapSchema(api.StringSchema, api.StringSchema))).
		Field("imap", build(t, api.MapSchema(api.Int32Schema, api.StringSchema))).
		Field("sstruct", build(t, api.MapSchema(api.StringSchema, inner))).
		Field("omap", build(t, api.MapSchema(api.Int64Schema, api.OptionalFloat64Schema).Optional())).
		Field("bmap", build(t, api.MapSchema(api.BooleanSchema, build(t, api.ArraySchema(api.Int8Schema))))))
	m1 := st(t, maps,
		"smap", []api.MapEntry{{Key: "k1", Value: "v1"}, {Key: "z", Value: "last"}, {Key: "a", Value: "first"}, {Key: "esc\"aped\n", Value: "\t"}},
		"imap", []api.MapEntry{{Key: int32(3), Value: "three"}, {Key: int32(-1), Value: "minus one"}, {Key: int32(2), Value: "two"}},
		"sstruct", []api.MapEntry{{Key: "one", Value: st(t, inner, "a", "a1", "b", int64(1))}},
		"bmap", []api.MapEntry{{Key: true, Value: []any{int8(1), int8(-1)}}, {Key: false, Value: []any{}}})
	cs.both("maps", maps, m1)
	m2 := st(t, maps, "smap", []api.MapEntry{}, "imap", []api.MapEntry{}, "sstruct", []api.MapEntry{},
		"omap", []api.MapEntry{{Key: int64(10000000000), Value: 0.5}, {Key: int64(-3), Value: nil}},
		"bmap", []api.MapEntry{})
	cs.both("maps_empty", maps, m2)

	// --- Kafka logical types ---
	logical := build(t, api.StructSchema().Name("test.Logical").
		Field("dec2", build(t, api.ArraySchema(build(t, api.DecimalSchema(2, 40))))).
		Field("dec0", build(t, api.ArraySchema(build(t, api.KafkaDecimalSchema(0))))).
		Field("decneg", build(t, api.KafkaDecimalSchema(-2))).
		Field("dec10", build(t, api.KafkaDecimalSchema(10))).
		Field("dec7", build(t, api.KafkaDecimalSchema(7))).
		Field("dec6", build(t, api.KafkaDecimalSchema(6))).
		Field("odec", build(t, api.KafkaDecimalSchema(3).Optional())).
		Field("dates", build(t, api.ArraySchema(build(t, api.DateSchema())))).
		Field("times", build(t, api.ArraySchema(build(t, api.TimeSchema())))).
		Field("tss", build(t, api.ArraySchema(build(t, api.TimestampSchema())))).
		Field("odate", build(t, api.DateSchema().Optional())))
	var dec2, dec0 []any
	for _, u := range []string{"0", "123", "-123", "128", "-128", "255", "-129", "100", "12345678901234567890123456789012", "-1"} {
		dec2 = append(dec2, dec(u, 2))
	}
	for _, u := range []string{"0", "127", "128", "-128", "-129", "255", "256", "-256", "32767", "-32768", "65535", "-65536", "8388608"} {
		dec0 = append(dec0, dec(u, 0))
	}
	l1 := st(t, logical, "dec2", dec2, "dec0", dec0, "decneg", dec("123", -2), "dec10", dec("123", 10),
		"dec7", dec("1", 7), "dec6", dec("1", 6),
		"dates", []any{api.DateValue(19782), ms(-86400000), ms(0)},
		"times", []any{ms(49556789), ms(0), ms(86399999)},
		"tss", []any{ms(1709210096789), ms(-1), ms(0), ms(-62135596800000)})
	for _, f := range []string{"BASE64", "NUMERIC"} {
		lf := strings.ToLower(f)
		cs.write("logical_"+lf+"_s1", props(true, f, true), false, logical, l1)
		cs.write("logical_"+lf+"_s0", props(false, f, true), false, logical, l1)
	}
	dec2Schema := build(t, api.KafkaDecimalSchema(2))
	cs.write("decimal_scale_mismatch_base64_s1", props(true, "BASE64", true), false, dec2Schema, dec("15", 1))
	cs.write("decimal_scale_mismatch_numeric_s1", props(true, "NUMERIC", true), false, dec2Schema, dec("15", 1))
	cs.write("date_not_midnight_s1", props(true, "BASE64", true), false, build(t, api.DateSchema()), ms(1000))
	cs.write("time_with_date_s1", props(true, "BASE64", true), false, build(t, api.TimeSchema()), ms(86400001))

	// --- Debezium semantic types ---
	vsd := build(t, api.VariableScaleDecimalSchema())
	geom := build(t, api.GeometrySchema())
	geog := build(t, api.GeographySchema())
	point := build(t, api.PointSchema())
	dbz := build(t, api.StructSchema().Name("test.Debezium").
		Field("date", build(t, api.DebeziumDateSchema())).
		Field("time", build(t, api.DebeziumTimeSchema())).
		Field("microtime", build(t, api.MicroTimeSchema())).
		Field("nanotime", build(t, api.NanoTimeSchema())).
		Field("ts", build(t, api.DebeziumTimestampSchema())).
		Field("microts", build(t, api.MicroTimestampSchema())).
		Field("nanots", build(t, api.NanoTimestampSchema())).
		Field("zts", build(t, api.ZonedTimestampSchema())).
		Field("ztime", build(t, api.ZonedTimeSchema().Optional())).
		Field("year", build(t, api.YearSchema())).
		Field("microdur", build(t, api.MicroDurationSchema())).
		Field("interval", build(t, api.IntervalSchema())).
		Field("json", build(t, api.JSONSchema())).
		Field("uuid", build(t, api.UUIDSchema())).
		Field("xml", build(t, api.XMLSchema())).
		Field("bits", build(t, api.BitsSchema(10))).
		Field("enum", build(t, api.EnumSchema([]string{"a", "b", "c"}))).
		Field("enumset", build(t, api.EnumSetSchema([]string{"x", "y", "z"}))).
		Field("vsd", vsd).
		Field("geom", geom).
		Field("geog", geog).
		Field("point", point).
		Field("money", build(t, api.DecimalSchema(4, 19).Optional().Default(dec("0", 4)))))
	d1 := st(t, dbz, "date", int32(19782), "time", int32(45296789), "microtime", int64(45296789123),
		"nanotime", int64(45296789123456), "ts", int64(1709210096789), "microts", int64(1709210096789123),
		"nanots", int64(1709210096789123456), "zts", "2024-02-29T12:34:56.789Z", "ztime", "12:34:56Z",
		"year", int32(2024), "microdur", int64(36993000000), "interval", "P1Y2M3DT4H5M6.78S",
		"json", `{"a":[1,2,{"b":null}]}`, "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"xml", `<a href="x">t&amp;</a>`, "bits", []byte{0x01, 0x02}, "enum", "b", "enumset", "x,z",
		"vsd", api.VariableScaleDecimalValue(vsd, dec("-12345", 3)),
		"geom", st(t, geom, "wkb", []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}, "srid", int32(4326)),
		"geog", st(t, geog, "wkb", []byte{1, 2}),
		"point", st(t, point, "x", 1.5, "y", -2.25))
	cs.both("debezium_types", dbz, d1)
	cs.write("debezium_types_numeric_s1", props(true, "NUMERIC", true), false, dbz, d1)

	// --- floating point ---
	doubles := []any{0.1, 1e20, math.Copysign(0, -1), 0.0, 1.0e-7, 1e7, 9999999.0, 9999999.999, 0.001, 0.00099999,
		1e-4, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64, 0x1p-1022, 1e23, math.Pow(2, -44),
		100.0, 1.0, -1.5, 3.0e10, 4.35, 2.0 / 3, 1e21, 1e-5, 12345678.9, 0.3, 1e-310, 2.5e-320, 9007199254740993.0,
		1e16, 123e300, -2.2250738585072014e-308, 5e-324 * 3, 0.1 + 0.2, 1e22, 8.41e21, 5.0e-324 * 7,
		math.NaN(), math.Inf(1), math.Inf(-1)}
	// 0.1 + 0.2 and 5e-324*3 are constant expressions in Go (exact), computed at run time in Java.
	doubles[34] = addF(0.1, 0.2)
	doubles[33] = mulF(5e-324, 3)
	doubles[37] = mulF(5e-324, 7)
	floats := []any{float32(0.1), float32(1e10), float32(math.MaxFloat32), float32(math.SmallestNonzeroFloat32),
		float32(0x1p-126), float32(16777216), float32(1.0e-5), float32(0.33333334), float32(100), float32(math.Copysign(0, -1)),
		float32(1e7), float32(9999999), float32(0.001), float32(3.14), float32(2.7182817), float32(1e-40), float32(1.0e-3),
		float32(123456.79), float32(8.5e-44), float32(1e38), float32(7e-45),
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	fl := build(t, api.StructSchema().Name("test.Floats").
		Field("d", build(t, api.ArraySchema(api.Float64Schema))).
		Field("f", build(t, api.ArraySchema(api.Float32Schema))))
	cs.both("floats", fl, st(t, fl, "d", doubles, "f", floats))
	ds, fs := randomFloats(t)
	rf := build(t, api.StructSchema().Name("test.RandomFloats").
		Field("d", build(t, api.ArraySchema(api.Float64Schema))).
		Field("f", build(t, api.ArraySchema(api.Float32Schema))))
	cs.write("floats_random_s0", props(false, "BASE64", true), false, rf, st(t, rf, "d", ds, "f", fs))
	cs.both("top_double", api.Float64Schema, 0.1)
	cs.both("top_float", api.OptionalFloat32Schema, float32(1.0e10))

	// --- strings ---
	var controls []byte
	for c := byte(0); c < 0x20; c++ {
		controls = append(controls, c)
	}
	strs := []any{"", "plain", "quote\"", "back\\slash", "slash/", string(controls),
		"\u007f", "é中文😀", "\u2028\u2029", "<script>&'", "\ufffd", "\u00a0\u0080\u07ff\u0800\uffff",
		"mixed \"q\" \\ \n end"}
	cs.both("strings", build(t, api.ArraySchema(api.StringSchema)), strs)

	// --- schema metadata ---
	meta := build(t, api.NewSchema(api.TypeInt64).Name("my.Type").Version(3).Doc("doc with \"quotes\"\n").
		Param("b", "2").Param("a", "1").Param("é", "ü").Default(int64(7)))
	cs.both("schema_meta", meta, int64(9))
	cs.both("schema_empty_params", &api.Schema{Type: api.TypeString, Parameters: []api.Param{}}, "v")
	cs.both("top_array", build(t, api.ArraySchema(api.StringSchema).Optional()), []any{"a", "b"})
	cs.both("top_map_intkeys", build(t, api.MapSchema(api.Int32Schema, api.Int32Schema)),
		[]api.MapEntry{{Key: int32(2), Value: int32(4)}, {Key: int32(1), Value: int32(1)}})
	cs.both("top_bytes", api.BytesSchema, []byte{0xde, 0xad, 0xbe, 0xef, 0x00})
	cs.both("top_bool", api.BooleanSchema, true)

	// --- nulls ---
	cs.both("null_optional", api.OptionalStringSchema, nil)
	cs.both("null_noschema", nil, nil)
	cs.both("null_required", api.StringSchema, nil)
	cs.both("null_optional_struct", optInner, nil)
	cs.both("null_default", build(t, api.NewSchema(api.TypeInt32).Default(int32(5))), nil)
	cs.write("null_default_keepnull_s1", props(true, "BASE64", false), false, build(t, api.NewSchema(api.TypeInt32).Default(int32(5))), nil)
	cs.write("null_default_optional_keepnull_s1", props(true, "BASE64", false), false,
		build(t, api.NewSchema(api.TypeInt32).Optional().Default(int32(5))), nil)
	cs.write("wrong_type_s1", props(true, "BASE64", true), false, api.Int32Schema, int64(5))

	// --- schemaless values ---
	cs.both("offset_key_mysql", nil, []any{"inventory-connector", map[string]any{"server": "dbserver1"}})
	cs.both("offset_key_sqlserver", nil, []any{"conn", map[string]any{"server": "srv", "database": "testDB"}})
	mysqlOffset := map[string]any{"file": "mysql-bin.000003", "pos": int64(154),
		"gtids": "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5", "event": int64(2), "row": int32(1),
		"server_id": int64(223344), "ts_sec": int64(1709210096), "snapshot": "INITIAL"}
	// event and server_id share a bucket: Debezium's put order decides, so give it.
	cs.both("offset_value_mysql", nil, putOrderEntries(t, mysqlOffset,
		[]string{"server_id", "gtids", "file", "pos", "event", "row", "ts_sec", "snapshot"}))
	cs.both("offset_value_postgres", nil, map[string]any{"lsn": int64(24023128), "lsn_proc": int64(24023128),
		"lsn_commit": int64(24023064), "txId": int64(555), "ts_usec": int64(1709210096789123)})
	mixed := map[string]any{"i": int64(1), "f": 1.5, "b": true, "n": nil,
		"l": []any{int64(1), "two", 3.0, nil}, "bytes": []byte{1, 2, 3}, "nested": map[string]any{"x": "y"},
		"float": float32(0.1)}
	// f and bytes share a bucket; Java put them in this order.
	cs.both("noschema_mixed", nil, putOrderEntries(t, mixed, []string{"i", "f", "b", "n", "l", "bytes", "nested", "float"}))
	// Put in sorted order in Java, which a plain Go map reproduces.
	cs.both("noschema_mixed_sorted", nil, mixed)
	cs.both("noschema_intkeys", nil, []api.MapEntry{{Key: int32(1), Value: "a"}, {Key: int32(2), Value: "b"}})
	cs.both("noschema_string", nil, "hello")
	cs.both("noschema_struct", nil, st(t, inner, "a", "x"))
	cs.both("noschema_decimal", nil, dec("1", 0))

	// --- a Debezium change event ---
	e := newEnvelopeSchemas(t)
	key := st(t, e.key, "id", int32(1004))
	cs.both("envelope_key", e.key, key)
	cs.write("envelope_key_iskey_s1", props(true, "BASE64", true), true, e.key, key)
	update := st(t, e.envelope, "before", e.before(t), "after", e.after(t), "source", e.source1(t),
		"op", "u", "ts_ms", int64(1709210100123), "ts_us", int64(1709210100123456), "ts_ns", int64(1709210100123456789))
	cs.both("envelope_update", e.envelope, update)
	cs.write("envelope_update_numeric_s1", props(true, "NUMERIC", true), false, e.envelope, update)
	srcSnap := st(t, e.source, "version", "3.6.1.Final", "connector", "mysql", "name", "dbserver1",
		"ts_ms", int64(0), "db", "inventory", "server_id", int64(0), "file", "", "pos", int64(0), "row", int32(0))
	del := st(t, e.envelope, "before", e.before(t), "source", srcSnap, "op", "d",
		"transaction", st(t, e.block, "id", "file=mysql-bin.000003,pos=484", "total_order", int64(1),
			"data_collection_order", int64(1)))
	cs.both("envelope_delete", e.envelope, del)
	cs.write("envelope_delete_keepnull_s1", props(true, "BASE64", false), false, e.envelope, del)

	return cs.cases
}

// addF and mulF do float arithmetic at run time, as Java does, rather than Go's exact constant
// arithmetic.
func addF(a, b float64) float64 { return a + b }
func mulF(a, b float64) float64 { return a * b }

// randomFloats reads the doubles and floats Gen.java drew at random, from their bits.
func randomFloats(t testing.TB) (ds, fs []any) {
	t.Helper()
	data, err := os.ReadFile("testdata/golden/floats_random_bits.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		kind, hex, _ := strings.Cut(line, " ")
		v, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			t.Fatalf("bad line %q in floats_random_bits.txt", line)
		}
		if kind == "d" {
			ds = append(ds, math.Float64frombits(v))
		} else {
			fs = append(fs, math.Float32frombits(uint32(v)))
		}
	}
	return ds, fs
}

// putOrderEntries returns m's entries in the order a java.util.HashMap iterates them when its
// keys were put in putOrder, which must name every key of m once: the value Java's converter
// writes for a map built that way.
func putOrderEntries(t testing.TB, m map[string]any, putOrder []string) []api.MapEntry {
	t.Helper()
	out := make([]api.MapEntry, 0, len(putOrder))
	for _, k := range javafmt.HashMapOrder(slices.Clone(putOrder)) {
		v, ok := m[k]
		if !ok {
			t.Fatalf("the put order names %q, which the map does not hold", k)
		}
		out = append(out, api.MapEntry{Key: k, Value: v})
	}
	if len(out) != len(m) {
		t.Fatalf("the put order %q misses keys of the map", putOrder)
	}
	return out
}
