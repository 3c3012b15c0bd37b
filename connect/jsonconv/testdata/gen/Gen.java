// Gen writes the golden files of connect/jsonconv: the bytes Kafka's own JsonConverter produces
// for a set of cases that golden_test.go rebuilds in Go. Run it through gen.sh.
//
// For each case it writes <case>.json (the bytes), <case>.null (the converter returned null: a
// tombstone) or <case>.err (the converter threw; the file holds Java's message, for people).
// hashmap_order.txt lists java.util.HashMap iteration orders for the test of javafmt.HashMapOrder
// (connect/api/javafmt/testdata holds a copy).

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;

public class Gen {
    static Path out;

    // Converter configurations; the suffixes match golden_test.go.
    static JsonConverter conv(boolean schemas, String decimalFormat, boolean replaceNull, boolean isKey) {
        JsonConverter c = new JsonConverter();
        Map<String, Object> props = new HashMap<>();
        props.put("schemas.enable", Boolean.toString(schemas));
        props.put("decimal.format", decimalFormat);
        props.put("replace.null.with.default", Boolean.toString(replaceNull));
        c.configure(props, isKey);
        return c;
    }

    static void write(String name, JsonConverter c, Schema schema, Object value) throws IOException {
        byte[] b;
        try {
            b = c.fromConnectData("topic", schema, value);
        } catch (RuntimeException e) {
            Files.writeString(out.resolve(name + ".err"), e.getClass().getSimpleName() + ": " + e.getMessage() + "\n");
            return;
        }
        if (b == null) {
            Files.write(out.resolve(name + ".null"), new byte[0]);
            return;
        }
        Files.write(out.resolve(name + ".json"), b);
    }

    // both writes a case with schemas enabled (_s1) and disabled (_s0), default settings.
    static void both(String name, Schema schema, Object value) throws IOException {
        write(name + "_s1", conv(true, "BASE64", true, false), schema, value);
        write(name + "_s0", conv(false, "BASE64", true, false), schema, value);
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    static BigDecimal dec(String unscaled, int scale) {
        return new BigDecimal(new BigInteger(unscaled), scale);
    }

    public static void main(String[] args) throws Exception {
        out = Path.of(args[0]);
        Files.createDirectories(out);

        // --- primitives -------------------------------------------------------------------------
        Schema prim = SchemaBuilder.struct().name("test.Primitives").version(1).doc("all primitive types")
                .field("i8", Schema.INT8_SCHEMA).field("i16", Schema.INT16_SCHEMA)
                .field("i32", Schema.INT32_SCHEMA).field("i64", Schema.INT64_SCHEMA)
                .field("f32", Schema.FLOAT32_SCHEMA).field("f64", Schema.FLOAT64_SCHEMA)
                .field("bool", Schema.BOOLEAN_SCHEMA).field("str", Schema.STRING_SCHEMA)
                .field("bytes", Schema.BYTES_SCHEMA)
                .field("oi8", Schema.OPTIONAL_INT8_SCHEMA).field("oi16", Schema.OPTIONAL_INT16_SCHEMA)
                .field("oi32", Schema.OPTIONAL_INT32_SCHEMA).field("oi64", Schema.OPTIONAL_INT64_SCHEMA)
                .field("of32", Schema.OPTIONAL_FLOAT32_SCHEMA).field("of64", Schema.OPTIONAL_FLOAT64_SCHEMA)
                .field("obool", Schema.OPTIONAL_BOOLEAN_SCHEMA).field("ostr", Schema.OPTIONAL_STRING_SCHEMA)
                .field("obytes", Schema.OPTIONAL_BYTES_SCHEMA)
                .build();
        Struct p1 = new Struct(prim).put("i8", (byte) -128).put("i16", (short) 32767)
                .put("i32", Integer.MIN_VALUE).put("i64", Long.MAX_VALUE).put("f32", 3.14f)
                .put("f64", 2.718281828459045).put("bool", true).put("str", "héllo wörld")
                .put("bytes", bytes(0, 1, 2, 0xfe, 0xff));
        both("prim_nulls", prim, p1);
        write("prim_nulls_key_s1", conv(true, "BASE64", true, true), prim, p1);
        Struct p2 = new Struct(prim).put("i8", (byte) 127).put("i16", (short) -32768)
                .put("i32", Integer.MAX_VALUE).put("i64", Long.MIN_VALUE).put("f32", -1.5f)
                .put("f64", -0.0).put("bool", false).put("str", "").put("bytes", new byte[0])
                .put("oi8", (byte) 0).put("oi16", (short) -1).put("oi32", 42).put("oi64", -9223372036854775807L)
                .put("of32", -0.0f).put("of64", 1e20).put("obool", false).put("ostr", "x").put("obytes", bytes(0x80));
        both("prim_set", prim, p2);

        // --- defaults ---------------------------------------------------------------------------
        Schema defaults = SchemaBuilder.struct().name("test.Defaults")
                .field("d_i32", SchemaBuilder.int32().optional().defaultValue(42).build())
                .field("d_str", SchemaBuilder.string().optional().defaultValue("dflt").build())
                .field("d_bool", SchemaBuilder.bool().optional().defaultValue(true).build())
                .field("d_f64", SchemaBuilder.float64().optional().defaultValue(0.1).build())
                .field("d_f32", SchemaBuilder.float32().optional().defaultValue(1.0f).build())
                .field("d_bytes", SchemaBuilder.bytes().optional().defaultValue(bytes(1, 2, 3)).build())
                .field("d_dec", Decimal.builder(2).optional().defaultValue(dec("1234", 2)).build())
                .field("d_date", Date.builder().optional().defaultValue(new java.util.Date(10957L * 86400000L)).build())
                .field("d_time", Time.builder().optional().defaultValue(new java.util.Date(3723004L)).build())
                .field("d_ts", Timestamp.builder().optional().defaultValue(new java.util.Date(1700000000123L)).build())
                .field("d_arr", SchemaBuilder.array(Schema.INT32_SCHEMA).optional().defaultValue(List.of(1, 2)).build())
                .field("d_map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).optional()
                        .defaultValue(Map.of("a", 1)).build())
                .field("o_nodef", Schema.OPTIONAL_INT32_SCHEMA)
                .field("r_i64", SchemaBuilder.int64().defaultValue(-7L).build())
                .build();
        Struct dnull = new Struct(defaults);
        both("defaults_null", defaults, dnull);
        write("defaults_null_keepnull_s1", conv(true, "BASE64", false, false), defaults, dnull);
        write("defaults_null_numeric_s1", conv(true, "NUMERIC", true, false), defaults, dnull);
        Struct dset = new Struct(defaults).put("d_i32", 1).put("d_str", "set").put("d_bool", false)
                .put("d_f64", 2.5).put("d_f32", 0.5f).put("d_bytes", bytes(9)).put("d_dec", dec("-5", 2))
                .put("d_date", new java.util.Date(0L)).put("d_time", new java.util.Date(0L))
                .put("d_ts", new java.util.Date(-1L)).put("d_arr", List.of()).put("d_map", Map.of())
                .put("o_nodef", 3).put("r_i64", 8L);
        both("defaults_set", defaults, dset);
        Schema optDefaults = SchemaBuilder.struct().name("test.OptDefaults")
                .field("a", SchemaBuilder.int32().optional().defaultValue(1).build())
                .field("b", SchemaBuilder.string().optional().defaultValue("x").build()).build();
        write("opt_defaults_keepnull_s1", conv(true, "BASE64", false, false), optDefaults, new Struct(optDefaults));
        write("opt_defaults_s1", conv(true, "BASE64", true, false), optDefaults, new Struct(optDefaults));
        // A required field with a default and a null value: written as the default, or an error
        // when replace.null.with.default=false.
        Schema reqDefault = SchemaBuilder.struct().name("test.ReqDefault")
                .field("r", SchemaBuilder.int32().defaultValue(5).build()).build();
        write("required_default_s1", conv(true, "BASE64", true, false), reqDefault, new Struct(reqDefault));
        write("required_default_keepnull_s1", conv(true, "BASE64", false, false), reqDefault, new Struct(reqDefault));

        // --- nested structs, arrays -------------------------------------------------------------
        Schema inner = SchemaBuilder.struct().name("test.Inner").field("a", Schema.STRING_SCHEMA)
                .field("b", Schema.OPTIONAL_INT64_SCHEMA).build();
        Schema optInner = SchemaBuilder.struct().name("test.Inner").optional().field("a", Schema.STRING_SCHEMA)
                .field("b", Schema.OPTIONAL_INT64_SCHEMA).build();
        Schema outer = SchemaBuilder.struct().name("test.Outer")
                .field("id", Schema.INT32_SCHEMA)
                .field("inner", inner)
                .field("opt_inner", optInner)
                .field("list", SchemaBuilder.array(inner).build())
                .field("tags", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional().build())
                .field("matrix", SchemaBuilder.array(SchemaBuilder.array(Schema.INT32_SCHEMA).build()).build())
                .build();
        Struct o1 = new Struct(outer).put("id", 7).put("inner", new Struct(inner).put("a", "x"))
                .put("list", List.of(new Struct(inner).put("a", "p").put("b", 1L), new Struct(inner).put("a", "q").put("b", 2L)))
                .put("tags", Arrays.asList("t1", null, "t3"))
                .put("matrix", List.of(List.of(1, 2), List.of(), List.of(3)));
        both("nested", outer, o1);
        Struct o2 = new Struct(outer).put("id", 8).put("inner", new Struct(inner).put("a", "y").put("b", 9L))
                .put("opt_inner", new Struct(optInner).put("a", "z")).put("list", List.of())
                .put("matrix", List.of());
        both("nested_opt", outer, o2);

        // --- maps -------------------------------------------------------------------------------
        Schema maps = SchemaBuilder.struct().name("test.Maps")
                .field("smap", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build())
                .field("imap", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build())
                .field("sstruct", SchemaBuilder.map(Schema.STRING_SCHEMA, inner).build())
                .field("omap", SchemaBuilder.map(Schema.INT64_SCHEMA, Schema.OPTIONAL_FLOAT64_SCHEMA).optional().build())
                .field("bmap", SchemaBuilder.map(Schema.BOOLEAN_SCHEMA, SchemaBuilder.array(Schema.INT8_SCHEMA).build()).build())
                .build();
        Map<String, String> smap = new LinkedHashMap<>();
        smap.put("k1", "v1");
        smap.put("z", "last");
        smap.put("a", "first");
        smap.put("esc\"aped\n", "\t");
        Map<Integer, String> imap = new LinkedHashMap<>();
        imap.put(3, "three");
        imap.put(-1, "minus one");
        imap.put(2, "two");
        Map<String, Struct> sstruct = new LinkedHashMap<>();
        sstruct.put("one", new Struct(inner).put("a", "a1").put("b", 1L));
        Map<Boolean, List<Byte>> bmap = new LinkedHashMap<>();
        bmap.put(true, List.of((byte) 1, (byte) -1));
        bmap.put(false, List.of());
        Struct m1 = new Struct(maps).put("smap", smap).put("imap", imap).put("sstruct", sstruct).put("bmap", bmap);
        both("maps", maps, m1);
        Map<Long, Double> omap = new LinkedHashMap<>();
        omap.put(10000000000L, 0.5);
        omap.put(-3L, null);
        Struct m2 = new Struct(maps).put("smap", Map.of()).put("imap", Map.of()).put("sstruct", Map.of())
                .put("omap", omap).put("bmap", Map.of());
        both("maps_empty", maps, m2);

        // --- Kafka logical types ----------------------------------------------------------------
        Schema logical = SchemaBuilder.struct().name("test.Logical")
                .field("dec2", SchemaBuilder.array(Decimal.builder(2).parameter("connect.decimal.precision", "40").build()).build())
                .field("dec0", SchemaBuilder.array(Decimal.builder(0).build()).build())
                .field("decneg", Decimal.builder(-2).build())
                .field("dec10", Decimal.builder(10).build())
                .field("dec7", Decimal.builder(7).build())
                .field("dec6", Decimal.builder(6).build())
                .field("odec", Decimal.builder(3).optional().build())
                .field("dates", SchemaBuilder.array(Date.SCHEMA).build())
                .field("times", SchemaBuilder.array(Time.SCHEMA).build())
                .field("tss", SchemaBuilder.array(Timestamp.SCHEMA).build())
                .field("odate", Date.builder().optional().build())
                .build();
        List<BigDecimal> dec2 = new ArrayList<>();
        for (String u : new String[]{"0", "123", "-123", "128", "-128", "255", "-129", "100", "12345678901234567890123456789012", "-1"}) {
            dec2.add(dec(u, 2));
        }
        List<BigDecimal> dec0 = new ArrayList<>();
        for (String u : new String[]{"0", "127", "128", "-128", "-129", "255", "256", "-256", "32767", "-32768", "65535", "-65536", "8388608"}) {
            dec0.add(dec(u, 0));
        }
        Struct l1 = new Struct(logical).put("dec2", dec2).put("dec0", dec0)
                .put("decneg", dec("123", -2)).put("dec10", dec("123", 10)).put("dec7", dec("1", 7))
                .put("dec6", dec("1", 6))
                .put("dates", List.of(new java.util.Date(19782L * 86400000L), new java.util.Date(-86400000L), new java.util.Date(0L)))
                .put("times", List.of(new java.util.Date(49556789L), new java.util.Date(0L), new java.util.Date(86399999L)))
                .put("tss", List.of(new java.util.Date(1709210096789L), new java.util.Date(-1L), new java.util.Date(0L),
                        new java.util.Date(-62135596800000L)));
        for (String fmt : new String[]{"BASE64", "NUMERIC"}) {
            String f = fmt.toLowerCase();
            write("logical_" + f + "_s1", conv(true, fmt, true, false), logical, l1);
            write("logical_" + f + "_s0", conv(false, fmt, true, false), logical, l1);
        }
        // Decimal scale must match the schema's in BASE64; NUMERIC writes the value as it is.
        Schema dec2Schema = Decimal.builder(2).build();
        write("decimal_scale_mismatch_base64_s1", conv(true, "BASE64", true, false), dec2Schema, dec("15", 1));
        write("decimal_scale_mismatch_numeric_s1", conv(true, "NUMERIC", true, false), dec2Schema, dec("15", 1));
        write("date_not_midnight_s1", conv(true, "BASE64", true, false), Date.SCHEMA, new java.util.Date(1000L));
        write("time_with_date_s1", conv(true, "BASE64", true, false), Time.SCHEMA, new java.util.Date(86400001L));

        // --- Debezium semantic types (schemas as Debezium 3.6 builds them) -----------------------
        Schema vsd = SchemaBuilder.struct().name("io.debezium.data.VariableScaleDecimal").version(1)
                .doc("Variable scaled decimal").field("scale", Schema.INT32_SCHEMA).field("value", Schema.BYTES_SCHEMA).build();
        Schema geom = SchemaBuilder.struct().name("io.debezium.data.geometry.Geometry").version(1).doc("Geometry")
                .optional().field("wkb", Schema.BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA).build();
        Schema geog = SchemaBuilder.struct().name("io.debezium.data.geometry.Geography").version(1).doc("Geography")
                .field("wkb", Schema.BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA).build();
        Schema point = SchemaBuilder.struct().name("io.debezium.data.geometry.Point").version(1).doc("Geometry (POINT)")
                .field("x", Schema.FLOAT64_SCHEMA).field("y", Schema.FLOAT64_SCHEMA)
                .field("wkb", Schema.OPTIONAL_BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA).build();
        Schema dbz = SchemaBuilder.struct().name("test.Debezium")
                .field("date", SchemaBuilder.int32().name("io.debezium.time.Date").version(1).build())
                .field("time", SchemaBuilder.int32().name("io.debezium.time.Time").version(1).build())
                .field("microtime", SchemaBuilder.int64().name("io.debezium.time.MicroTime").version(1).build())
                .field("nanotime", SchemaBuilder.int64().name("io.debezium.time.NanoTime").version(1).build())
                .field("ts", SchemaBuilder.int64().name("io.debezium.time.Timestamp").version(1).build())
                .field("microts", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").version(1).build())
                .field("nanots", SchemaBuilder.int64().name("io.debezium.time.NanoTimestamp").version(1).build())
                .field("zts", SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").version(1).build())
                .field("ztime", SchemaBuilder.string().name("io.debezium.time.ZonedTime").version(1).optional().build())
                .field("year", SchemaBuilder.int32().name("io.debezium.time.Year").version(1).build())
                .field("microdur", SchemaBuilder.int64().name("io.debezium.time.MicroDuration").version(1).build())
                .field("interval", SchemaBuilder.string().name("io.debezium.time.Interval").version(1).build())
                .field("json", SchemaBuilder.string().name("io.debezium.data.Json").version(1).build())
                .field("uuid", SchemaBuilder.string().name("io.debezium.data.Uuid").version(1).build())
                .field("xml", SchemaBuilder.string().name("io.debezium.data.Xml").version(1).build())
                .field("bits", SchemaBuilder.bytes().name("io.debezium.data.Bits").version(1).parameter("length", "10").build())
                .field("enum", SchemaBuilder.string().name("io.debezium.data.Enum").version(1).parameter("allowed", "a,b,c").build())
                .field("enumset", SchemaBuilder.string().name("io.debezium.data.EnumSet").version(1).parameter("allowed", "x,y,z").build())
                .field("vsd", vsd)
                .field("geom", geom)
                .field("geog", geog)
                .field("point", point)
                .field("money", Decimal.builder(4).parameter("connect.decimal.precision", "19").optional()
                        .defaultValue(dec("0", 4)).build())
                .build();
        Struct d1 = new Struct(dbz).put("date", 19782).put("time", 45296789).put("microtime", 45296789123L)
                .put("nanotime", 45296789123456L).put("ts", 1709210096789L).put("microts", 1709210096789123L)
                .put("nanots", 1709210096789123456L).put("zts", "2024-02-29T12:34:56.789Z").put("ztime", "12:34:56Z")
                .put("year", 2024).put("microdur", 36993000000L).put("interval", "P1Y2M3DT4H5M6.78S")
                .put("json", "{\"a\":[1,2,{\"b\":null}]}").put("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
                .put("xml", "<a href=\"x\">t&amp;</a>").put("bits", bytes(0x01, 0x02)).put("enum", "b").put("enumset", "x,z")
                .put("vsd", new Struct(vsd).put("scale", 3).put("value", dec("-12345", 3).unscaledValue().toByteArray()))
                .put("geom", new Struct(geom).put("wkb", bytes(1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f)).put("srid", 4326))
                .put("geog", new Struct(geog).put("wkb", bytes(1, 2)))
                .put("point", new Struct(point).put("x", 1.5).put("y", -2.25));
        both("debezium_types", dbz, d1);
        write("debezium_types_numeric_s1", conv(true, "NUMERIC", true, false), dbz, d1);

        // --- floating point ---------------------------------------------------------------------
        List<Double> doubles = Arrays.asList(0.1, 1e20, -0.0, 0.0, 1.0E-7, 1e7, 9999999.0, 9999999.999, 0.001, 0.00099999,
                1e-4, 123456789.123, Double.MAX_VALUE, Double.MIN_VALUE, Double.MIN_NORMAL, 1e23, Math.pow(2, -44),
                100.0, 1.0, -1.5, 3.0E10, 4.35, 2.0 / 3, 1e21, 1e-5, 12345678.9, 0.3, 1e-310, 2.5e-320, 9007199254740993.0,
                1e16, 123e300, -2.2250738585072014E-308, 5e-324 * 3, 0.1 + 0.2, 1e22, 8.41e21, 5.0E-324 * 7,
                Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        List<Float> floats = Arrays.asList(0.1f, 1e10f, Float.MAX_VALUE, Float.MIN_VALUE, Float.MIN_NORMAL, 16777216f,
                1.0E-5f, 0.33333334f, 100f, -0.0f, 1e7f, 9999999f, 0.001f, 3.14f, 2.7182817f, 1e-40f, 1.0E-3f, 123456.79f,
                8.5e-44f, 1e38f, 7e-45f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
        Schema fl = SchemaBuilder.struct().name("test.Floats")
                .field("d", SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build())
                .field("f", SchemaBuilder.array(Schema.FLOAT32_SCHEMA).build()).build();
        both("floats", fl, new Struct(fl).put("d", doubles).put("f", floats));
        writeRandomFloats();
        both("top_double", Schema.FLOAT64_SCHEMA, 0.1);
        both("top_float", Schema.OPTIONAL_FLOAT32_SCHEMA, 1.0E10f);

        // --- strings ----------------------------------------------------------------------------
        StringBuilder controls = new StringBuilder();
        for (char ch = 0; ch < 0x20; ch++) controls.append(ch);
        List<String> strings = Arrays.asList("", "plain", "quote\"", "back\\slash", "slash/", controls.toString(),
                "\u007f", "é中文😀", "\u2028\u2029", "<script>&'", "\ufffd", "\u00a0\u0080\u07ff\u0800\uffff",
                "mixed \"q\" \\ \n end");
        both("strings", SchemaBuilder.array(Schema.STRING_SCHEMA).build(), strings);

        // --- schema metadata --------------------------------------------------------------------
        Schema meta = SchemaBuilder.int64().name("my.Type").version(3).doc("doc with \"quotes\"\n")
                .parameter("b", "2").parameter("a", "1").parameter("é", "ü").defaultValue(7L).build();
        both("schema_meta", meta, 9L);
        Schema emptyParams = SchemaBuilder.string().parameters(new HashMap<>()).build();
        both("schema_empty_params", emptyParams, "v");
        both("top_array", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build(), List.of("a", "b"));
        Map<Integer, Integer> tm = new LinkedHashMap<>();
        tm.put(2, 4);
        tm.put(1, 1);
        both("top_map_intkeys", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.INT32_SCHEMA).build(), tm);
        both("top_bytes", Schema.BYTES_SCHEMA, bytes(0xde, 0xad, 0xbe, 0xef, 0x00));
        both("top_bool", Schema.BOOLEAN_SCHEMA, true);

        // --- nulls ------------------------------------------------------------------------------
        both("null_optional", Schema.OPTIONAL_STRING_SCHEMA, null);
        both("null_noschema", null, null);
        both("null_required", Schema.STRING_SCHEMA, null);
        both("null_optional_struct", optInner, null);
        both("null_default", SchemaBuilder.int32().defaultValue(5).build(), null);
        write("null_default_keepnull_s1", conv(true, "BASE64", false, false), SchemaBuilder.int32().defaultValue(5).build(), null);
        write("null_default_optional_keepnull_s1", conv(true, "BASE64", false, false),
                SchemaBuilder.int32().optional().defaultValue(5).build(), null);
        write("wrong_type_s1", conv(true, "BASE64", true, false), Schema.INT32_SCHEMA, 5L);

        // --- schemaless values (schema null) ----------------------------------------------------
        Map<String, Object> serverPart = new HashMap<>();
        serverPart.put("server", "dbserver1");
        both("offset_key_mysql", null, Arrays.asList("inventory-connector", serverPart));
        Map<String, Object> sqlPart = new HashMap<>();
        sqlPart.put("server", "srv");
        sqlPart.put("database", "testDB");
        both("offset_key_sqlserver", null, Arrays.asList("conn", sqlPart));
        Map<String, Object> mysqlOffset = new HashMap<>();
        // Debezium's put order (BinlogOffsetContext.getOffset).
        mysqlOffset.put("server_id", 223344L);
        mysqlOffset.put("gtids", "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5");
        mysqlOffset.put("file", "mysql-bin.000003");
        mysqlOffset.put("pos", 154L);
        mysqlOffset.put("event", 2L);
        mysqlOffset.put("row", 1);
        mysqlOffset.put("ts_sec", 1709210096L);
        mysqlOffset.put("snapshot", "INITIAL");
        both("offset_value_mysql", null, mysqlOffset);
        Map<String, Object> pgOffset = new HashMap<>();
        pgOffset.put("lsn", 24023128L);
        pgOffset.put("lsn_proc", 24023128L);
        pgOffset.put("lsn_commit", 24023064L);
        pgOffset.put("txId", 555L);
        pgOffset.put("ts_usec", 1709210096789123L);
        both("offset_value_postgres", null, pgOffset);
        Map<String, Object> nested = new HashMap<>();
        nested.put("x", "y");
        Map<String, Object> mixed = new HashMap<>();
        mixed.put("i", 1L);
        mixed.put("f", 1.5);
        mixed.put("b", true);
        mixed.put("n", null);
        mixed.put("l", Arrays.asList(1L, "two", 3.0, null));
        mixed.put("bytes", bytes(1, 2, 3));
        mixed.put("nested", nested);
        mixed.put("float", 0.1f);
        both("noschema_mixed", null, mixed);
        Map<String, Object> mixedSorted = new HashMap<>();
        for (String k : new java.util.TreeSet<>(mixed.keySet())) mixedSorted.put(k, mixed.get(k));
        both("noschema_mixed_sorted", null, mixedSorted);
        Map<Integer, String> intKeys = new HashMap<>();
        intKeys.put(1, "a");
        intKeys.put(2, "b");
        both("noschema_intkeys", null, intKeys);
        both("noschema_string", null, "hello");
        both("noschema_struct", null, new Struct(inner).put("a", "x"));
        both("noschema_decimal", null, dec("1", 0));

        // --- a Debezium change event ------------------------------------------------------------
        Schema keySchema = SchemaBuilder.struct().name("dbserver1.inventory.customers.Key")
                .field("id", Schema.INT32_SCHEMA).build();
        Schema row = SchemaBuilder.struct().name("dbserver1.inventory.customers.Value").optional()
                .field("id", Schema.INT32_SCHEMA)
                .field("first_name", Schema.STRING_SCHEMA)
                .field("last_name", Schema.STRING_SCHEMA)
                .field("email", Schema.STRING_SCHEMA)
                .field("balance", Decimal.builder(2).parameter("connect.decimal.precision", "10").optional().build())
                .field("score", Schema.OPTIONAL_FLOAT64_SCHEMA)
                .field("active", SchemaBuilder.bool().defaultValue(true).build())
                .field("created_at", SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").version(1).optional().build())
                .field("updated_at", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").version(1).optional().build())
                .field("birth", SchemaBuilder.int32().name("io.debezium.time.Date").version(1).optional().build())
                .field("notes", Schema.OPTIONAL_STRING_SCHEMA)
                .build();
        Schema source = SchemaBuilder.struct().name("io.debezium.connector.mysql.Source").version(1)
                .field("version", Schema.STRING_SCHEMA)
                .field("connector", Schema.STRING_SCHEMA)
                .field("name", Schema.STRING_SCHEMA)
                .field("ts_ms", Schema.INT64_SCHEMA)
                .field("snapshot", SchemaBuilder.string().name("io.debezium.data.Enum").version(1)
                        .parameter("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")
                        .defaultValue("false").optional().build())
                .field("db", Schema.STRING_SCHEMA)
                .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
                .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
                .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
                .field("table", Schema.OPTIONAL_STRING_SCHEMA)
                .field("server_id", Schema.INT64_SCHEMA)
                .field("gtid", Schema.OPTIONAL_STRING_SCHEMA)
                .field("file", Schema.STRING_SCHEMA)
                .field("pos", Schema.INT64_SCHEMA)
                .field("row", Schema.INT32_SCHEMA)
                .field("thread", Schema.OPTIONAL_INT64_SCHEMA)
                .field("query", Schema.OPTIONAL_STRING_SCHEMA)
                .build();
        Schema block = SchemaBuilder.struct().name("event.block").version(1).optional()
                .field("id", Schema.STRING_SCHEMA)
                .field("total_order", Schema.INT64_SCHEMA)
                .field("data_collection_order", Schema.INT64_SCHEMA)
                .build();
        Schema envelope = SchemaBuilder.struct().name("dbserver1.inventory.customers.Envelope").version(2)
                .field("before", row)
                .field("after", row)
                .field("source", source)
                .field("transaction", block)
                .field("op", Schema.STRING_SCHEMA)
                .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
                .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
                .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
                .build();
        Struct before = new Struct(row).put("id", 1004).put("first_name", "Anne").put("last_name", "Kretchmar")
                .put("email", "annek@noanswer.org").put("balance", dec("123456", 2)).put("score", 0.75)
                .put("created_at", "2024-02-29T12:34:56.789Z").put("updated_at", 1709210096789123L).put("birth", 3650);
        Struct after = new Struct(row).put("id", 1004).put("first_name", "Anne Marie").put("last_name", "Kretchmar")
                .put("email", "annek@noanswer.org").put("balance", dec("-50", 2)).put("score", 1.0E-7)
                .put("active", false).put("created_at", "2024-02-29T12:34:56.789Z").put("updated_at", 1709210100000000L)
                .put("birth", -365).put("notes", "línea 1\nline \"2\"\ttab");
        Struct src = new Struct(source).put("version", "3.6.1.Final").put("connector", "mysql").put("name", "dbserver1")
                .put("ts_ms", 1709210100000L).put("snapshot", "false").put("db", "inventory").put("ts_us", 1709210100000000L)
                .put("ts_ns", 1709210100000000000L).put("table", "customers").put("server_id", 223344L)
                .put("gtid", "3E11FA47-71CA-11E1-9E33-C80AA9429562:23").put("file", "mysql-bin.000003").put("pos", 484L)
                .put("row", 0).put("thread", 7L);
        Struct update = new Struct(envelope).put("before", before).put("after", after).put("source", src)
                .put("op", "u").put("ts_ms", 1709210100123L).put("ts_us", 1709210100123456L).put("ts_ns", 1709210100123456789L);
        both("envelope_key", keySchema, new Struct(keySchema).put("id", 1004));
        write("envelope_key_iskey_s1", conv(true, "BASE64", true, true), keySchema, new Struct(keySchema).put("id", 1004));
        both("envelope_update", envelope, update);
        write("envelope_update_numeric_s1", conv(true, "NUMERIC", true, false), envelope, update);
        Struct srcSnap = new Struct(source).put("version", "3.6.1.Final").put("connector", "mysql").put("name", "dbserver1")
                .put("ts_ms", 0L).put("db", "inventory").put("server_id", 0L).put("file", "").put("pos", 0L).put("row", 0);
        Struct del = new Struct(envelope).put("before", before).put("source", srcSnap).put("op", "d")
                .put("transaction", new Struct(block).put("id", "file=mysql-bin.000003,pos=484").put("total_order", 1L)
                        .put("data_collection_order", 1L));
        both("envelope_delete", envelope, del);
        write("envelope_delete_keepnull_s1", conv(true, "BASE64", false, false), envelope, del);

        writeHashMapOrders();
    }

    // writeRandomFloats writes many doubles and floats, random bit patterns and random short
    // decimals, through the converter (floats_random_s0.json) with their bits, one hex word a line
    // (floats_random_bits.txt: "d <16 hex digits>" or "f <8 hex digits>"), so the Go test can
    // rebuild the same values.
    static void writeRandomFloats() throws IOException {
        Random r = new Random(7);
        List<Double> ds = new ArrayList<>();
        List<Float> fs = new ArrayList<>();
        StringBuilder bits = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            double d;
            if (i % 3 == 0) {
                d = Double.longBitsToDouble(r.nextLong());
            } else if (i % 3 == 1) {
                d = (r.nextInt(2000001) - 1000000) / Math.pow(10, r.nextInt(12));
            } else {
                d = r.nextDouble() * Math.pow(10, r.nextInt(40) - 20);
            }
            if (Double.isNaN(d)) continue;
            ds.add(d);
            bits.append(String.format("d %016x%n", Double.doubleToRawLongBits(d)));
        }
        for (int i = 0; i < 3000; i++) {
            float f;
            if (i % 3 == 0) {
                f = Float.intBitsToFloat(r.nextInt());
            } else if (i % 3 == 1) {
                f = (float) ((r.nextInt(2000001) - 1000000) / Math.pow(10, r.nextInt(9)));
            } else {
                f = (float) (r.nextDouble() * Math.pow(10, r.nextInt(20) - 10));
            }
            if (Float.isNaN(f)) continue;
            fs.add(f);
            bits.append(String.format("f %08x%n", Float.floatToRawIntBits(f)));
        }
        Schema s = SchemaBuilder.struct().name("test.RandomFloats")
                .field("d", SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build())
                .field("f", SchemaBuilder.array(Schema.FLOAT32_SCHEMA).build()).build();
        write("floats_random_s0", conv(false, "BASE64", true, false), s, new Struct(s).put("d", ds).put("f", fs));
        Files.writeString(out.resolve("floats_random_bits.txt"), bits.toString());
    }

    // writeHashMapOrders records java.util.HashMap iteration orders: for each key set, a line
    // "in: k1 k2 ..." (insertion order) and a line "out: ..." (iteration order).
    static void writeHashMapOrders() throws IOException {
        List<List<String>> sets = new ArrayList<>();
        sets.add(List.of("server"));
        sets.add(List.of("server", "database"));
        sets.add(List.of("file", "pos", "gtids", "event", "row", "server_id", "ts_sec", "snapshot"));
        sets.add(List.of("lsn", "lsn_proc", "lsn_commit", "txId", "ts_usec"));
        sets.add(List.of("commit_lsn", "change_lsn", "event_serial_no", "snapshot", "snapshot_completed"));
        sets.add(List.of("lsn", "lsn_proc", "lsn_commit", "txId", "ts_usec", "snapshot", "last_snapshot_record",
                "incremental_snapshot_collections", "incremental_snapshot_primary_key", "incremental_snapshot_maximum_key",
                "incremental_snapshot_correlation_id", "messageType"));
        sets.add(List.of("file", "pos", "gtids", "event", "row", "server_id", "ts_sec", "snapshot", "transaction_id",
                "incremental_snapshot_collections", "incremental_snapshot_primary_key", "incremental_snapshot_maximum_key",
                "snapshot_completed"));
        // Equal hash codes ("Aa" and "BB"): the tie goes to insertion order.
        sets.add(List.of("BB", "Aa", "AaAa", "BBBB", "AaBB", "BBAa"));
        sets.add(List.of("é", "中文", "😀", "a😀b", "\u0000"));
        Random r = new Random(42);
        String alphabet = "abcdefghijklmnopqrstuvwxyz_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (int n : new int[]{20, 100}) {
            List<String> keys = new ArrayList<>();
            while (keys.size() < n) {
                int len = 1 + r.nextInt(12);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < len; i++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
                if (!keys.contains(sb.toString())) keys.add(sb.toString());
            }
            sets.add(keys);
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> keys : sets) {
            Map<String, Object> m = new HashMap<>();
            for (String k : keys) m.put(k, Boolean.TRUE);
            sb.append("in:");
            for (String k : keys) sb.append(' ').append(escape(k));
            sb.append("\nout:");
            for (String k : m.keySet()) sb.append(' ').append(escape(k));
            sb.append('\n');
        }
        Files.write(out.resolve("hashmap_order.txt"), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    // escape writes NUL as \0 so every key is one visible, space-free token.
    static String escape(String k) {
        return k.replace("\u0000", "\\0");
    }
}
