package jsonconv

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/connectd/connectd/connect/api"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(map[string]string{"unknown.property": "x"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !c.SchemasEnable || c.DecimalFormat != DecimalBase64 || !c.ReplaceNullWithDefault || c.SchemasCacheSize != 1000 || !c.IsKey {
		t.Fatalf("defaults = %+v", c)
	}
	c, err = ParseConfig(map[string]string{SchemasEnableConfig: " FALSE ", DecimalFormatConfig: "numeric",
		ReplaceNullWithDefaultConfig: "False", SchemasCacheSizeConfig: " 5 ", ConverterTypeConfig: "value"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.SchemasEnable || c.DecimalFormat != DecimalNumeric || c.ReplaceNullWithDefault || c.SchemasCacheSize != 5 {
		t.Fatalf("parsed = %+v", c)
	}
	for prop, bad := range map[string]string{SchemasEnableConfig: "yes", DecimalFormatConfig: "HEX",
		ReplaceNullWithDefaultConfig: "1", SchemasCacheSizeConfig: "many", ConverterTypeConfig: "sideways"} {
		_, err := New(map[string]string{prop: bad}, false)
		if err == nil || !strings.Contains(err.Error(), prop) {
			t.Errorf("%s=%s: error %v does not name the property", prop, bad, err)
		}
	}
	if _, err := New(map[string]string{SchemaContentConfig: `{"type":"nope"}`}, false); err == nil || !strings.Contains(err.Error(), SchemaContentConfig) {
		t.Errorf("bad schema.content accepted: %v", err)
	}
}

func TestEncodeErrorNamesField(t *testing.T) {
	inner := api.StructSchema().Name("In").Field("tags", api.ArraySchema(api.StringSchema).Build()).Build()
	outer := api.StructSchema().Name("Out").Field("after", inner).Build()
	in := api.NewStruct(inner)
	in.PutIndex(0, []any{"ok", nil})
	out := api.NewStruct(outer)
	out.PutIndex(0, in)
	conv, _ := New(nil, false)
	_, err := conv.Encode(nil, outer, out)
	var ce *ConversionError
	if err == nil || !errorsAs(err, &ce) || ce.Path != "after.tags[1]" {
		t.Fatalf("Encode error = %v; want a ConversionError at after.tags[1]", err)
	}
	if !strings.Contains(err.Error(), `"after.tags[1]"`) {
		t.Errorf("message %q does not name the path", err)
	}
}

func errorsAs(err error, target **ConversionError) bool {
	ce, ok := err.(*ConversionError)
	if ok {
		*target = ce
	}
	return ok
}

func TestDecodeErrors(t *testing.T) {
	conv, _ := New(nil, false)
	for data, want := range map[string]string{
		`{"schema":null}`:                   `requires "schema" and "payload"`,
		`{"schema":null,"payload":1,"x":2}`: `requires "schema" and "payload"`,
		`[1]`:                               `requires "schema" and "payload"`,
		`{"schema":{"type":"int32","optional":false},"payload":"x"}`:                                  "integer",
		`{"schema":{"type":"int8","optional":false},"payload":300}`:                                   "out of range",
		`{"schema":{"type":"int32","optional":false},"payload":null}`:                                 "null value for required",
		`{"schema":{"optional":false},"payload":1}`:                                                   "'type'",
		`{"schema":{"type":"int32","parameters":{"a":1}},"payload":1}`:                                "string values",
		`{"schema":{"type":"struct","fields":[{"type":"int32","field":"id"}]},"payload":{"id":true}}`: `field "id"`,
		`{"schema":{"type":"array"},"payload":[]}`:                                                    "element type",
		`{"schema":{"type":"bytes"},"payload":"!!"}`:                                                  "base64",
		`{"schema":null,"payload":1`:                                                                  "invalid JSON",
		`{"schema":null,"payload":"\u00zz"}`:                                                          "invalid JSON",
		`{"schema":null,"payload":1} x`:                                                               "after the JSON value",
		strings.Repeat("[", 2000) + strings.Repeat("]", 2000):                                         "nesting",
	} {
		_, _, err := conv.Decode([]byte(data))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%.60s) = %v; want an error containing %q", data, err, want)
		}
	}
	s, v, err := conv.Decode(nil)
	if s != nil || v != nil || err != nil {
		t.Errorf("Decode(nil) = %v, %v, %v; want a tombstone", s, v, err)
	}
}

func TestDecodeSchemaless(t *testing.T) {
	conv, _ := New(map[string]string{SchemasEnableConfig: "false"}, false)
	_, v, err := conv.Decode([]byte(`["conn",{"server":"x","pos":00154,"f":1.5,"e":1e2,"n":null,"b":false,"s":"\ud83d\ude00\u00e9"}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"conn", map[string]any{"server": "x", "pos": int64(154), "f": 1.5, "e": 100.0, "n": nil, "b": false, "s": "😀é"}}
	if !api.ValueEqual(v, want) {
		t.Fatalf("Decode = %#v; want %#v", v, want)
	}
	if _, v, err := conv.Decode([]byte{}); v != nil || err != nil {
		t.Fatalf("Decode of empty data = %v, %v; want nil, nil as Jackson's missing node", v, err)
	}
	if _, _, err := conv.Decode([]byte(`123456789012345678901234567890`)); err == nil {
		t.Fatal("an integer beyond int64 decoded without error")
	}
}

func TestSchemaContent(t *testing.T) {
	conv, err := New(map[string]string{SchemaContentConfig: `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"K"}`}, true)
	if err != nil {
		t.Fatal(err)
	}
	s, v, err := conv.Decode([]byte(`{"id":5}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "K" || v.(*api.Struct).Get("id") != int32(5) {
		t.Fatalf("Decode with schema.content = %v, %v", s, v)
	}
}

func TestSchemalessValues(t *testing.T) {
	got, err := EncodeSchemaless([]byte("x"), []any{nil, map[string]string{"b": "2", "a": "1"}, []string{"s"}, 7, int8(-1), float32(0.5), []byte{}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `x[null,{"a":"1","b":"2"},["s"],7,-1,0.5,""]`; string(got) != want {
		t.Fatalf("EncodeSchemaless = %s; want %s", got, want)
	}
	for _, bad := range []any{uint(1), api.NewDecimal(1, 0), struct{}{}, map[string]any{"k": []any{uint8(1)}}} {
		out, err := EncodeSchemaless([]byte("keep"), bad)
		if err == nil || string(out) != "keep" {
			t.Errorf("EncodeSchemaless(%#v) = %q, %v; want an error and dst untouched", bad, out, err)
		}
	}
	_, err = EncodeSchemaless(nil, map[string]any{"k": []any{uint8(1)}})
	var ce *ConversionError
	if !errorsAs(err, &ce) || ce.Path != "k[0]" {
		t.Errorf("error path = %v", err)
	}
}

// TestEncodeSchemalessDebeziumOrder writes Debezium's MySQL offset from a Go map, which has no
// put order: event and server_id share a hash bucket, and Debezium puts server_id first, so
// Kafka Connect wrote it first (golden offset_value_mysql_s0, from a HashMap filled in
// Debezium's order).
func TestEncodeSchemalessDebeziumOrder(t *testing.T) {
	want, _, _ := golden(t, "offset_value_mysql_s0")
	offset := map[string]any{"file": "mysql-bin.000003", "pos": int64(154),
		"gtids": "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5", "event": int64(2), "row": int32(1),
		"server_id": int64(223344), "ts_sec": int64(1709210096), "snapshot": "INITIAL"}
	got, err := EncodeSchemaless(nil, offset)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// TestConcurrentEncode shares one converter between goroutines with a tiny schema cache, so
// cache fills, clears and reads race (run with -race).
func TestConcurrentEncode(t *testing.T) {
	conv, _ := New(map[string]string{SchemasCacheSizeConfig: "2"}, false)
	var schemas []*api.Schema
	var values []any
	var want [][]byte
	for i := range 6 {
		s := api.StructSchema().Name(fmt.Sprintf("S%d", i)).Field("v", api.Int32Schema).Build()
		v := api.NewStruct(s)
		v.PutIndex(0, int32(i))
		b, err := conv.Encode(nil, s, v)
		if err != nil {
			t.Fatal(err)
		}
		schemas, values, want = append(schemas, s), append(values, v), append(want, b)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			var dst []byte
			for n := range 2000 {
				i := (n + g) % len(schemas)
				var err error
				if dst, err = conv.Encode(dst[:0], schemas[i], values[i]); err != nil || !bytes.Equal(dst, want[i]) {
					errs <- fmt.Errorf("goroutine %d: Encode = %s, %v; want %s", g, dst, err, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestEncodeStructSchemaMismatch(t *testing.T) {
	a := api.StructSchema().Name("A").Field("x", api.Int32Schema).Build()
	b := api.StructSchema().Name("B").Field("x", api.Int32Schema).Build()
	v := api.NewStruct(a)
	v.PutIndex(0, int32(1))
	conv, _ := New(nil, false)
	if _, err := conv.Encode(nil, b, v); err == nil || !strings.Contains(err.Error(), "built for schema A") {
		t.Fatalf("Encode with another schema = %v", err)
	}
	// An equal schema built separately is fine (Kafka compares with equals).
	a2 := api.StructSchema().Name("A").Field("x", api.Int32Schema).Build()
	if _, err := conv.Encode(nil, a2, v); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"schema":{"type":"int32","optional":false},"payload":1}`, `[1,"a",{"b":null}]`,
		`{"schema":{"type":"map","keys":{"type":"int8"},"values":{"type":"string"}},"payload":[[1,"a"]]}`} {
		f.Add([]byte(s))
	}
	on, _ := New(nil, false)
	off, _ := New(map[string]string{SchemasEnableConfig: "false"}, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, v, err := on.Decode(data); err == nil {
			if _, err := on.Encode(nil, s, v); err != nil && s != nil {
				// A schema and value that decoded must encode again.
				t.Fatalf("decoded %q but cannot encode it again: %v", data, err)
			}
		}
		if _, v, err := off.Decode(data); err == nil {
			if _, err := EncodeSchemaless(nil, v); err != nil {
				t.Fatalf("decoded %q but cannot encode it again: %v", data, err)
			}
		}
	})
}
