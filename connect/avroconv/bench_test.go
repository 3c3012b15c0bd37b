package avroconv

import (
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
)

// benchEvent is a Debezium-shaped insert event whose row is about 600 bytes of text, decimal,
// dates and numbers, the size of the JSON converter's benchmark row.
func benchEvent(b *testing.B) (*api.Schema, *api.Struct) {
	e := newEnvelope(b)
	ev := e.event(b)
	after := ev.Get("after").(*api.Struct)
	if err := after.Put("name", strings.Repeat("Customer since 2019, prefers e-mail; ", 15)); err != nil {
		b.Fatal(err)
	}
	return e.env, ev
}

// primed returns a converter whose cache already holds the schema's id, so the benchmark measures
// the per-record path (cache lookup, header, encoding) and not the one-off registry call.
func primed(b *testing.B, topic string, s *api.Schema) *Converter {
	c, err := NewWithConfig(Config{URLs: []string{"http://127.0.0.1:1"}, AutoRegister: true, ConnectMetaData: true}, false)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := compileSchema(s, true)
	if err != nil {
		b.Fatal(err)
	}
	e := &entry{enc: cs.enc}
	e.header[4] = 1
	c.bySchema[schemaKey{topic, s}] = e
	return c
}

// BenchmarkEncode compares Avro (Confluent wire format) with Kafka's JsonConverter on the same
// change events; events/s per core is 1e9 / ns/op (the benchmark runs on one goroutine):
//
//	go test -run '^$' -bench BenchmarkEncode -benchmem ./connect/avroconv/
func BenchmarkEncode(b *testing.B) {
	schema, value := benchEvent(b)
	const topic = "srv.db.items"
	avro := primed(b, topic, schema)
	jsonSchemas, err := jsonconv.New(map[string]string{jsonconv.SchemasEnableConfig: "true"}, false)
	if err != nil {
		b.Fatal(err)
	}
	jsonPlain, err := jsonconv.New(map[string]string{jsonconv.SchemasEnableConfig: "false"}, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		enc  func() ([]byte, error)
	}{
		{"avro", func() ([]byte, error) { return avro.FromConnectData(topic, schema, value) }},
		{"json/schemas.enable=true", func() ([]byte, error) { return jsonSchemas.Encode(make([]byte, 0, 256), schema, value) }},
		{"json/schemas.enable=false", func() ([]byte, error) { return jsonPlain.Encode(make([]byte, 0, 256), schema, value) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			out, err := tc.enc()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := tc.enc(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
