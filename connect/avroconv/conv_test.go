package avroconv

import (
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/connectd/connectd/connect/api"
)

// envelope is a Debezium-shaped change event schema: a key, before/after rows sharing one record
// schema, a source block in another namespace with an Enum that has a default.
type envelope struct {
	key, row, source, env *api.Schema
}

func newEnvelope(t testing.TB) envelope {
	t.Helper()
	var e envelope
	e.key = api.StructSchema().Name("srv.db.items.Key").Field("id", api.NewSchema(api.TypeInt32).Build()).Build()
	e.row = api.StructSchema().Name("srv.db.items.Value").Optional().
		Field("id", api.NewSchema(api.TypeInt32).Build()).
		Field("small", api.NewSchema(api.TypeInt16).Optional().Build()).
		Field("price", api.DecimalSchema(2, 10).Optional().Build()).
		Field("born", api.DateSchema().Optional().Build()).
		Field("at", api.TimestampSchema().Optional().Build()).
		Field("ts", api.MicroTimestampSchema().Build()).
		Field("name", api.NewSchema(api.TypeString).Optional().Default("none").Build()).
		Field("blob", api.NewSchema(api.TypeBytes).Optional().Build()).
		Field("ratio", api.NewSchema(api.TypeFloat64).Optional().Build()).
		Field("tags", api.ArraySchema(api.NewSchema(api.TypeString).Build()).Optional().Build()).
		Field("flag", api.NewSchema(api.TypeInt16).Default(int16(1)).Build()).
		Build()
	e.source = api.StructSchema().Name("io.debezium.connector.mysql.Source").
		Field("version", api.NewSchema(api.TypeString).Build()).
		Field("snapshot", api.NewSchema(api.TypeString).Name(api.EnumName).Version(1).Param("allowed", "true,last,false,incremental").Default("false").Optional().Build()).
		Field("ts_ms", api.NewSchema(api.TypeInt64).Build()).
		Build()
	e.env = api.StructSchema().Name("srv.db.items.Envelope").Version(2).
		Field("before", e.row).Field("after", e.row).Field("source", e.source).
		Field("op", api.NewSchema(api.TypeString).Build()).
		Field("ts_ms", api.NewSchema(api.TypeInt64).Optional().Build()).
		Build()
	for _, s := range []*api.Schema{e.key, e.row, e.source, e.env} {
		if s == nil {
			t.Fatal("a test schema did not build")
		}
	}
	return e
}

func put(t testing.TB, s *api.Schema, kv ...any) *api.Struct {
	t.Helper()
	st := api.NewStruct(s)
	for i := 0; i < len(kv); i += 2 {
		if err := st.Put(kv[i].(string), kv[i+1]); err != nil {
			t.Fatalf("put %v: %v", kv[i], err)
		}
	}
	return st
}

func (e envelope) event(t testing.TB) *api.Struct {
	born := time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)
	at := time.Date(2024, 2, 29, 12, 34, 56, 789000000, time.UTC)
	after := put(t, e.row, "id", int32(7), "small", int16(-3), "price", api.Decimal{Unscaled: big.NewInt(-12345), Scale: 2},
		"born", born, "at", at, "ts", int64(1709210096789123), "blob", []byte{0, 0xff}, "ratio", 0.25,
		"tags", []any{"a", "b"})
	src := put(t, e.source, "version", "3.0.0", "ts_ms", int64(1709210096000))
	return put(t, e.env, "after", after, "source", src, "op", "c", "ts_ms", int64(1709210096999))
}

func TestSchemaJSON(t *testing.T) {
	e := newEnvelope(t)
	js, err := Compile(e.env, true)
	if err != nil {
		t.Fatal(err)
	}
	// What Confluent's AvroData and Avro's Schema.toString give for this Connect schema: the row
	// record defined once and referenced by its short name, props after fields, an optional field
	// with a default as [T,"null"], Decimal with scale/precision and logicalType last.
	want := `{"type":"record","name":"Envelope","namespace":"srv.db.items","fields":[` +
		`{"name":"before","type":["null",{"type":"record","name":"Value","fields":[` +
		`{"name":"id","type":"int"},` +
		`{"name":"small","type":["null",{"type":"int","connect.type":"int16"}],"default":null},` +
		`{"name":"price","type":["null",{"type":"bytes","scale":2,"precision":10,"connect.version":1,"connect.parameters":{"scale":"2","connect.decimal.precision":"10"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},` +
		`{"name":"born","type":["null",{"type":"int","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}],"default":null},` +
		`{"name":"at","type":["null",{"type":"long","connect.version":1,"connect.name":"org.apache.kafka.connect.data.Timestamp","logicalType":"timestamp-millis"}],"default":null},` +
		`{"name":"ts","type":{"type":"long","connect.version":1,"connect.name":"io.debezium.time.MicroTimestamp"}},` +
		`{"name":"name","type":[{"type":"string","connect.default":"none"},"null"],"default":"none"},` +
		`{"name":"blob","type":["null","bytes"],"default":null},` +
		`{"name":"ratio","type":["null","double"],"default":null},` +
		`{"name":"tags","type":["null",{"type":"array","items":"string"}],"default":null},` +
		`{"name":"flag","type":{"type":"int","connect.default":1,"connect.type":"int16"},"default":1}` +
		`],"connect.name":"srv.db.items.Value"}],"default":null},` +
		`{"name":"after","type":["null","Value"],"default":null},` +
		`{"name":"source","type":{"type":"record","name":"Source","namespace":"io.debezium.connector.mysql","fields":[` +
		`{"name":"version","type":"string"},` +
		`{"name":"snapshot","type":[{"type":"string","connect.version":1,"connect.parameters":{"allowed":"true,last,false,incremental"},"connect.default":"false","connect.name":"io.debezium.data.Enum"},"null"],"default":"false"},` +
		`{"name":"ts_ms","type":"long"}` +
		`],"connect.name":"io.debezium.connector.mysql.Source"}},` +
		`{"name":"op","type":"string"},` +
		`{"name":"ts_ms","type":["null","long"],"default":null}` +
		`],"connect.version":2,"connect.name":"srv.db.items.Envelope"}`
	if js != want {
		t.Errorf("schema:\n got %s\nwant %s", js, want)
	}
	plain, err := Compile(e.key, false)
	if err != nil || plain != `{"type":"record","name":"Key","namespace":"srv.db.items","fields":[{"name":"id","type":"int"}]}` {
		t.Errorf("connect.meta.data=false: %s %v", plain, err)
	}
}

// decode reads Avro binary with goavro, the consumer side's reader.
func decode(t *testing.T, schemaJSON string, body []byte) map[string]any {
	t.Helper()
	codec, err := goavro.NewCodec(schemaJSON)
	if err != nil {
		t.Fatal(err)
	}
	native, rest, err := codec.NativeFromBinary(body)
	if err != nil {
		t.Fatalf("goavro cannot decode: %v", err)
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left after the record", len(rest))
	}
	return native.(map[string]any)
}

func TestEncodeDecodesWithGoavro(t *testing.T) {
	e := newEnvelope(t)
	cs, err := compileSchema(e.env, true)
	if err != nil {
		t.Fatal(err)
	}
	body, err := cs.enc(nil, e.event(t))
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, cs.json, body)
	if got["before"] != nil || got["op"] != "c" {
		t.Errorf("before/op: %v %v", got["before"], got["op"])
	}
	after := got["after"].(map[string]any)["srv.db.items.Value"].(map[string]any)
	price := after["price"].(map[string]any)["bytes.decimal"].(*big.Rat)
	if price.RatString() != "-2469/20" {
		t.Errorf("price %v", price)
	}
	if d := after["born"].(map[string]any)["int.date"].(time.Time); !d.Equal(time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("born %v", d)
	}
	if ts := after["at"].(map[string]any)["long.timestamp-millis"].(time.Time); ts.UnixMilli() != 1709210096789 {
		t.Errorf("at %v", ts)
	}
	want := map[string]any{"id": int32(7), "ts": int64(1709210096789123), "name": map[string]any{"string": "none"},
		"blob": map[string]any{"bytes": []byte{0, 0xff}}, "ratio": map[string]any{"double": 0.25},
		"small": map[string]any{"int": int32(-3)}, "tags": map[string]any{"array": []any{"a", "b"}}, "flag": int32(1)}
	for k, v := range want {
		if !reflect.DeepEqual(after[k], v) {
			t.Errorf("after.%s = %#v, want %#v", k, after[k], v)
		}
	}
	src := got["source"].(map[string]any)
	if src["snapshot"].(map[string]any)["string"] != "false" || src["ts_ms"] != int64(1709210096000) {
		t.Errorf("source %v", src)
	}
}

func TestEncodeErrorsNameTheField(t *testing.T) {
	e := newEnvelope(t)
	cs, err := compileSchema(e.env, true)
	if err != nil {
		t.Fatal(err)
	}
	ev := e.event(t)
	ev.PutIndex(3, nil) // op is required
	if _, err := cs.enc(nil, ev); err == nil || !strings.Contains(err.Error(), "field op is required") {
		t.Errorf("missing op: %v", err)
	}
	bad := e.event(t)
	after := bad.Get("after").(*api.Struct)
	after.PutIndex(2, api.NewDecimal(5, 3))
	if _, err := cs.enc(nil, bad); err == nil || !strings.Contains(err.Error(), "field after.price") {
		t.Errorf("wrong decimal scale: %v", err)
	}
	if _, err := Compile(api.StructSchema().Name("bad-name.X").Build(), true); err == nil || !strings.Contains(err.Error(), "not valid Avro") {
		t.Errorf("invalid Avro name: %v", err)
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		class string
		props map[string]string
		key   bool
		err   string
		check func(Config) bool
	}{
		{ConfluentClass, map[string]string{}, false, "schema.registry.url is not set", nil},
		{ConfluentClass, map[string]string{"schema.registry.url": "http://a:1/, http://b:2"}, false, "",
			func(c Config) bool {
				return reflect.DeepEqual(c.URLs, []string{"http://a:1", "http://b:2"}) && c.AutoRegister && !c.UseLatestVersion
			}},
		{ConfluentClass, map[string]string{"schema.registry.url": "http://a", "key.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy"}, true, "",
			func(c Config) bool { return c.Strategy == StrategyRecord && c.subject("t", "a.B", true) == "a.B" }},
		{ConfluentClass, map[string]string{"schema.registry.url": "http://a", "value.subject.name.strategy": "TopicRecordNameStrategy"}, false, "",
			func(c Config) bool { return c.subject("t", "a.B", false) == "t-a.B" }},
		{ConfluentClass, map[string]string{"schema.registry.url": "http://a"}, true, "",
			func(c Config) bool { return c.subject("t", "a.B", true) == "t-key" }},
		{ConfluentClass, map[string]string{"schema.registry.url": "http://a", "value.subject.name.strategy": "x.Mine"}, false, "is not supported", nil},
		{ConfluentClass, map[string]string{"schema.registry.url": "http://a", "basic.auth.credentials.source": "USER_INFO", "basic.auth.user.info": "u:p:q"}, false, "",
			func(c Config) bool { return c.User == "u" && c.Password == "p:q" }},
		{ConfluentClass, map[string]string{"schema.registry.url": "http://a", "basic.auth.user.info": "u:p"}, false, "credentials.source is not", nil},
		{ConfluentClass, map[string]string{"schema.registry.url": "http://a", "auto.register.schemas": "yes"}, false, "not a boolean", nil},
		{ApicurioClass, map[string]string{"apicurio.registry.url": "http://r:8080/apis/registry/v2"}, false, "as-confluent=true", nil},
		{ApicurioClass, map[string]string{"apicurio.registry.url": "http://r:8080/apis/registry/v2", "apicurio.registry.auto-register": "true",
			"apicurio.registry.as-confluent": "true", "apicurio.registry.use-id": "contentId"}, false, "",
			func(c Config) bool { return c.URLs[0] == "http://r:8080/apis/ccompat/v7" && c.AutoRegister }},
	} {
		c, err := ParseConfig(tc.class, tc.props, tc.key)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.props, err, tc.err)
			}
			continue
		}
		if err != nil || !tc.check(c) {
			t.Errorf("%v: %+v %v", tc.props, c, err)
		}
	}
}

func TestDecimalLengths(t *testing.T) {
	s := api.DecimalSchema(0, 200).Build()
	enc, err := compile(s, "d")
	if err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(`{"type":"bytes","logicalType":"decimal","precision":200,"scale":0}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, digits := range []int{1, 150, 160, 190} {
		n, _ := new(big.Int).SetString("-"+strings.Repeat("9", digits), 10)
		b, err := enc(nil, api.Decimal{Unscaled: n, Scale: 0})
		if err != nil {
			t.Fatal(err)
		}
		got, rest, err := codec.NativeFromBinary(b)
		if err != nil || len(rest) != 0 || got.(*big.Rat).Num().Cmp(n) != 0 {
			t.Errorf("%d digits: %v %v %d bytes left", digits, got, err, len(rest))
		}
	}
}
