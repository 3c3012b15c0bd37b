package avro

import (
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/converter"
	"github.com/connectd/connectd/tests/testbed"
)

// TestConverterRegistryModes drives the converters, as the worker builds them from a connector's
// properties, against the real registry: auto.register.schemas=false, use.latest.version, and
// Apicurio's converter class configured with the registry's native API URL.
func TestConverterRegistryModes(t *testing.T) {
	reg := newRegistry(t)
	topic := avroName(testbed.Topic(t, "conv"))
	v1 := api.StructSchema().Name(topic+".Value").Field("id", api.NewSchema(api.TypeInt64).Build()).Build()
	v2 := api.StructSchema().Name(topic+".Value").Field("id", api.NewSchema(api.TypeInt64).Build()).
		Field("note", api.NewSchema(api.TypeString).Optional().Build()).Build()
	val := func(s *api.Schema) *api.Struct {
		st := api.NewStruct(s)
		st.PutIndex(0, int64(42))
		return st
	}
	build := func(class string, kv ...string) converter.Converter {
		t.Helper()
		props := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			props[kv[i]] = kv[i+1]
		}
		c, err := converter.New(class, props, false)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	subject := topic + "-value"

	// Not registered and auto-registration off: the error names the subject and the setting.
	lookup := build(converter.AvroClass, "schema.registry.url", reg.url, "auto.register.schemas", "false")
	if _, err := lookup.FromConnectData(topic, v1, val(v1)); err == nil || !strings.Contains(err.Error(), "subject "+subject) || !strings.Contains(err.Error(), "auto.register.schemas=false") {
		t.Errorf("lookup of an unregistered schema: %v", err)
	}
	auto := build(converter.AvroClass, "schema.registry.url", reg.url)
	b1, err := auto.FromConnectData(topic, v1, val(v1))
	if err != nil {
		t.Fatal(err)
	}
	id1 := reg.decode(b1).id
	// Now the lookup finds it (a new converter, so not from a cache).
	lookup = build(converter.AvroClass, "schema.registry.url", reg.url, "auto.register.schemas", "false")
	if b, err := lookup.FromConnectData(topic, v1, val(v1)); err != nil || reg.decode(b).id != id1 {
		t.Errorf("lookup: %v", err)
	}
	latest := build(converter.AvroClass, "schema.registry.url", reg.url, "auto.register.schemas", "false", "use.latest.version", "true")
	if b, err := latest.FromConnectData(topic, v1, val(v1)); err != nil || reg.decode(b).id != id1 {
		t.Errorf("use.latest.version with the latest schema: %v", err)
	}
	// A second version registered elsewhere: the old schema no longer matches the latest.
	b2, err := auto.FromConnectData(topic, v2, val(v2))
	if err != nil {
		t.Fatal(err)
	}
	if reg.decode(b2).id == id1 {
		t.Error("the evolved schema got the first schema's id")
	}
	if vs := reg.versions(subject); len(vs) != 2 {
		t.Errorf("versions %v, want 2", vs)
	}
	latest = build(converter.AvroClass, "schema.registry.url", reg.url, "use.latest.version", "true")
	if _, err := latest.FromConnectData(topic, v1, val(v1)); err == nil || !strings.Contains(err.Error(), "differs from the record's schema") {
		t.Errorf("use.latest.version with an older schema: %v", err)
	}

	// Apicurio's converter class with the native API URL writes the same bytes.
	apicurioURL := strings.TrimSuffix(reg.url, "/apis/ccompat/v7") + "/apis/registry/v2"
	ap := build(converter.ApicurioAvroClass, "apicurio.registry.url", apicurioURL, "apicurio.registry.auto-register", "true",
		"apicurio.registry.as-confluent", "true", "apicurio.registry.use-id", "contentId")
	b, err := ap.FromConnectData(topic, v2, val(v2))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Errorf("Apicurio converter: % x, Confluent converter: % x", b, b2)
	}
}
