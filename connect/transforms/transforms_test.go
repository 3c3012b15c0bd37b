package transforms

import (
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
)

var (
	addrSchema = api.StructSchema().Name("addr").Optional().
			Field("city", api.OptionalStringSchema).
			Field("zip", api.Int32Schema).Build()
	rowSchema = api.StructSchema().Name("db.inv.customers.Value").Version(2).
			Field("id", api.Int64Schema).
			Field("name", api.OptionalStringSchema).
			Field("score", api.OptionalFloat64Schema).
			Field("addr", addrSchema).Build()
	keySchema = api.StructSchema().Name("db.inv.customers.Key").Field("id", api.Int64Schema).Build()
)

func row(id int64, name string) *api.SourceRecord {
	a := api.NewStruct(addrSchema)
	must(a.Put("city", "Paris"))
	must(a.Put("zip", int32(75001)))
	v := api.NewStruct(rowSchema)
	must(v.Put("id", id))
	must(v.Put("name", name))
	must(v.Put("score", 1.5))
	must(v.Put("addr", a))
	k := api.NewStruct(keySchema)
	must(k.Put("id", id))
	return &api.SourceRecord{Topic: "db.inv.customers", Partition: -1, KeySchema: keySchema, Key: k, ValueSchema: rowSchema, Value: v,
		SourcePartition: map[string]any{"server": "db"}, SourceOffset: map[string]any{"pos": int64(id)},
		Timestamp: time.Date(2026, 12, 7, 10, 11, 12, 0, time.UTC)}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// encode is the record as JsonConverter writes it (schemas enabled), key and value.
func encode(t *testing.T, r *api.SourceRecord) (string, string) {
	t.Helper()
	c, err := jsonconv.New(map[string]string{}, false)
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.Encode(nil, r.KeySchema, r.Key)
	if err != nil {
		t.Fatalf("encode key: %v", err)
	}
	v, err := c.Encode(nil, r.ValueSchema, r.Value)
	if err != nil {
		t.Fatalf("encode value: %v", err)
	}
	return string(k), string(v)
}

func chain(t *testing.T, kv ...string) *Chain {
	t.Helper()
	cfg := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	c, probs := New(cfg)
	if len(probs) > 0 {
		t.Fatalf("New: %v", probs)
	}
	return c
}

func apply(t *testing.T, c *Chain, r *api.SourceRecord) *api.SourceRecord {
	t.Helper()
	out, err := c.Apply(r)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return out
}

func TestChainProblems(t *testing.T) {
	_, probs := New(map[string]string{
		"transforms": "a,b,c,d", "transforms.b.type": "org.example.Nope",
		"transforms.c.type": kafkaPkg + "RegexRouter", "transforms.c.regex": "(x",
		"transforms.d.type": kafkaPkg + "Filter", "transforms.d.predicate": "p",
	})
	_, more := New(map[string]string{"transforms": "e", "transforms.e.type": kafkaPkg + "ExtractField$Value",
		"transforms.e.field": "a.b", "transforms.e.field.syntax.version": "V2"})
	probs = append(probs, more...)
	var got []string
	for _, p := range probs {
		got = append(got, p.Key+": "+p.Msg)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`transforms.a.type: Missing required configuration "transforms.a.type"`,
		"transforms.b.type: Invalid value org.example.Nope for configuration transforms.b.type: Class org.example.Nope could not be found",
		"transforms.c.type: Invalid configuration of transformation c (org.apache.kafka.connect.transforms.RegexRouter): Invalid value (x for configuration regex",
		"transforms.d.predicate: Invalid value p for configuration transforms.d.predicate: The predicate alias p is not listed in predicates",
		"transforms.e.type: Invalid configuration of transformation e (org.apache.kafka.connect.transforms.ExtractField$Value): field.syntax.version=V2 (nested field paths) is not supported by connectd",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not contain %q:\n%s", want, all)
		}
	}
	if c, probs := New(map[string]string{"name": "x"}); c != nil || probs != nil {
		t.Errorf("no transforms: %v %v", c, probs)
	}
}

func TestPredicatesAndFilter(t *testing.T) {
	c := chain(t, "transforms", "drop", "transforms.drop.type", kafkaPkg+"Filter", "transforms.drop.predicate", "isCust",
		"predicates", "isCust,tomb", "predicates.isCust.type", kafkaPkg+"predicates.TopicNameMatches", "predicates.isCust.pattern", `db\.inv\.cust.*`,
		"predicates.tomb.type", kafkaPkg+"predicates.RecordIsTombstone")
	if out := apply(t, c, row(1, "a")); out != nil {
		t.Errorf("the matching record was not dropped: %v", out)
	}
	r := row(1, "a")
	r.Topic = "x.db.inv.customers" // matches only in part: Java's matches() needs the whole name
	if out := apply(t, c, r); out != r {
		t.Errorf("a record of another topic changed: %v", out)
	}
	neg := chain(t, "transforms", "keep", "transforms.keep.type", kafkaPkg+"Filter", "transforms.keep.predicate", "h", "transforms.keep.negate", "true",
		"predicates", "h", "predicates.h.type", kafkaPkg+"predicates.HasHeaderKey", "predicates.h.name", "keepme")
	r = row(2, "b")
	if out := apply(t, neg, r); out != nil {
		t.Error("a record without the header was kept")
	}
	r.Headers = []api.Header{{Key: "keepme", Schema: api.StringSchema, Value: "1"}}
	if out := apply(t, neg, r); out != r {
		t.Error("a record with the header was dropped")
	}
}

func TestRouters(t *testing.T) {
	c := chain(t, "transforms", "route,ts", "transforms.route.type", kafkaPkg+"RegexRouter", "transforms.route.regex", `([^.]+)\.([^.]+)\.([^.]+)`,
		"transforms.route.replacement", "$3_$2\\$x",
		"transforms.ts.type", kafkaPkg+"TimestampRouter", "transforms.ts.topic.format", "${topic}-${timestamp}", "transforms.ts.timestamp.format", "yyyy-MM-dd'T'HH")
	in := row(1, "a")
	out := apply(t, c, in)
	if out.Topic != "customers_inv$x-2026-12-07T10" {
		t.Errorf("topic = %q", out.Topic)
	}
	if in.Topic != "db.inv.customers" {
		t.Error("the input record was modified")
	}
}

func TestStructTransforms(t *testing.T) {
	cases := []struct {
		name      string
		kv        []string
		key, want string
	}{
		{"ReplaceField", []string{"type", kafkaPkg + "ReplaceField$Value", "exclude", "score,addr", "renames", "name:full_name"}, "",
			`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"full_name"}],"optional":false,"name":"db.inv.customers.Value","version":2},"payload":{"id":7,"full_name":"ann"}}`},
		{"InsertField", []string{"type", kafkaPkg + "InsertField$Value", "topic.field", "t", "static.field", "s!", "static.value", "v", "timestamp.field", "ts"}, "",
			`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"score"},{"type":"struct","fields":[{"type":"string","optional":true,"field":"city"},{"type":"int32","optional":false,"field":"zip"}],"optional":true,"name":"addr","field":"addr"},{"type":"string","optional":true,"field":"t"},{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"},{"type":"string","optional":false,"field":"s"}],"optional":false,"name":"db.inv.customers.Value","version":2},"payload":{"id":7,"name":"ann","score":1.5,"addr":{"city":"Paris","zip":75001},"t":"db.inv.customers","ts":1796638272000,"s":"v"}}`},
		{"Flatten", []string{"type", kafkaPkg + "Flatten$Value", "delimiter", "_"}, "",
			`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"score"},{"type":"string","optional":true,"field":"addr_city"},{"type":"int32","optional":true,"field":"addr_zip"}],"optional":false,"name":"db.inv.customers.Value","version":2},"payload":{"id":7,"name":"ann","score":1.5,"addr_city":"Paris","addr_zip":75001}}`},
		{"MaskField", []string{"type", kafkaPkg + "MaskField$Value", "fields", "name,score"}, "",
			`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"score"},{"type":"struct","fields":[{"type":"string","optional":true,"field":"city"},{"type":"int32","optional":false,"field":"zip"}],"optional":true,"name":"addr","field":"addr"}],"optional":false,"name":"db.inv.customers.Value","version":2},"payload":{"id":7,"name":"","score":0.0,"addr":{"city":"Paris","zip":75001}}}`},
		{"Cast", []string{"type", kafkaPkg + "Cast$Value", "spec", "id:string,score:int32"}, "",
			`{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"int32","optional":true,"field":"score"},{"type":"struct","fields":[{"type":"string","optional":true,"field":"city"},{"type":"int32","optional":false,"field":"zip"}],"optional":true,"name":"addr","field":"addr"}],"optional":false,"name":"db.inv.customers.Value","version":2},"payload":{"id":"7","name":"ann","score":1,"addr":{"city":"Paris","zip":75001}}}`},
		{"ExtractField", []string{"type", kafkaPkg + "ExtractField$Value", "field", "addr"}, "",
			`{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"city"},{"type":"int32","optional":false,"field":"zip"}],"optional":true,"name":"addr"},"payload":{"city":"Paris","zip":75001}}`},
		{"ValueToKey", []string{"type", kafkaPkg + "ValueToKey", "fields", "name,id"},
			`{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"name"},{"type":"int64","optional":false,"field":"id"}],"optional":false},"payload":{"name":"ann","id":7}}`, ""},
		{"HoistField", []string{"type", kafkaPkg + "HoistField$Key", "field", "k"},
			`{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false,"name":"db.inv.customers.Key","field":"k"}],"optional":false},"payload":{"k":{"id":7}}}`, ""},
		{"SetSchemaMetadata", []string{"type", kafkaPkg + "SetSchemaMetadata$Key", "schema.name", "my.Key", "schema.version", "3"},
			`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false,"name":"my.Key","version":3},"payload":{"id":7}}`, ""},
		{"TimestampConverter", []string{"type", kafkaPkg + "TimestampConverter$Value", "field", "id", "target.type", "string", "format", "yyyy-MM-dd HH:mm:ss.SSS"}, "",
			`{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},{"type":"double","optional":true,"field":"score"},{"type":"struct","fields":[{"type":"string","optional":true,"field":"city"},{"type":"int32","optional":false,"field":"zip"}],"optional":true,"name":"addr","field":"addr"}],"optional":false,"name":"db.inv.customers.Value","version":2},"payload":{"id":"1970-01-01 00:00:00.007","name":"ann","score":1.5,"addr":{"city":"Paris","zip":75001}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kv := []string{"transforms", "x"}
			for i := 0; i+1 < len(tc.kv); i += 2 {
				kv = append(kv, "transforms.x."+tc.kv[i], tc.kv[i+1])
			}
			c := chain(t, kv...)
			in := row(7, "ann")
			inK, inV := encode(t, in)
			// Twice: the second run takes the cached schema.
			for range 2 {
				k, v := encode(t, apply(t, c, in))
				if tc.key != "" && k != tc.key {
					t.Errorf("key:\n got %s\nwant %s", k, tc.key)
				}
				if tc.want != "" && v != tc.want {
					t.Errorf("value:\n got %s\nwant %s", v, tc.want)
				}
			}
			if k, v := encode(t, in); k != inK || v != inV {
				t.Error("the input record was modified")
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	c := chain(t, "transforms", "from,ins,drop", "transforms.from.type", kafkaPkg+"HeaderFrom$Value", "transforms.from.fields", "id,name",
		"transforms.from.headers", "h_id,h_name", "transforms.from.operation", "move",
		"transforms.ins.type", kafkaPkg+"InsertHeader", "transforms.ins.header", "lit", "transforms.ins.value.literal", "42",
		"transforms.drop.type", kafkaPkg+"DropHeaders", "transforms.drop.headers", "h_name")
	out := apply(t, c, row(7, "ann"))
	var got []string
	for _, h := range out.Headers {
		got = append(got, h.Key+"="+string(encodeHeader(h)))
	}
	if strings.Join(got, ",") != "h_id=7,lit=42" {
		t.Errorf("headers = %v", got)
	}
	if _, v := encode(t, out); !strings.Contains(v, `"payload":{"score":1.5,"addr":{"city":"Paris","zip":75001}}`) {
		t.Errorf("the moved fields are still in the value: %s", v)
	}
}

func encodeHeader(h api.Header) []byte {
	switch v := h.Value.(type) {
	case int64:
		return []byte(strings.TrimSpace(strings.Repeat(" ", 0) + itoa(v)))
	case string:
		return []byte(v)
	}
	return nil
}

func itoa(v int64) string {
	var b []byte
	if v == 0 {
		return "0"
	}
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}

func TestErrorsAreReturned(t *testing.T) {
	c := chain(t, "transforms", "x", "transforms.x.type", kafkaPkg+"Cast$Value", "transforms.x.spec", "name:int32")
	_, err := c.Apply(row(1, "not a number"))
	if err == nil || !strings.Contains(err.Error(), "transformation x (org.apache.kafka.connect.transforms.Cast$Value) failed") {
		t.Fatalf("err = %v", err)
	}
}

// BenchmarkExtractNewRecordState is the per-record cost of the most used SMT (rewrite mode with
// added fields) on a Debezium change event read from the golden inputs.
func BenchmarkExtractNewRecordState(b *testing.B) {
	conv, err := jsonconv.New(map[string]string{}, false)
	if err != nil {
		b.Fatal(err)
	}
	_, recs := readGoldenInputs(b, conv, "")
	r := recs[1] // an insert into orders
	c, probs := New(map[string]string{"transforms": "u", "transforms.u.type": "io.debezium.transforms.ExtractNewRecordState",
		"transforms.u.delete.tombstone.handling.mode": "rewrite", "transforms.u.add.fields": "op,table,source.ts_ms", "transforms.u.add.headers": "op"})
	if len(probs) > 0 {
		b.Fatal(probs)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Apply(r); err != nil {
			b.Fatal(err)
		}
	}
}

// In the rewrite modes ExtractNewRecordState adds __deleted through Kafka's InsertField, which
// gives a null field its default unless replace.null.with.default=false.
func TestExtractNewRecordStateReplaceNullWithDefault(t *testing.T) {
	row := api.StructSchema().Name("s.t.Value").Optional().
		Field("id", api.Int32Schema).
		Field("note", api.NewSchema(api.TypeString).Optional().Default("n/a").Build()).Build()
	env := api.StructSchema().Name("s.t.Envelope").Field("before", row).Field("after", row).Field("op", api.StringSchema).Build()
	after := api.NewStruct(row)
	after.PutIndex(0, int32(1))
	v := api.NewStruct(env)
	v.PutIndex(1, after)
	v.PutIndex(2, "c")
	r := &api.SourceRecord{Topic: "s.t", Partition: -1, ValueSchema: env, Value: v}
	for replace, want := range map[string]any{"true": "n/a", "false": nil} {
		c := chain(t, "transforms", "u", "transforms.u.type", "io.debezium.transforms.ExtractNewRecordState",
			"transforms.u.delete.tombstone.handling.mode", "rewrite", "transforms.u.replace.null.with.default", replace)
		out := apply(t, c, r).Value.(*api.Struct)
		if got := out.GetWithoutDefault("note"); got != want || out.GetWithoutDefault("__deleted") != "false" {
			t.Errorf("replace.null.with.default=%s: note = %v, __deleted = %v", replace, got, out.GetWithoutDefault("__deleted"))
		}
	}
}
