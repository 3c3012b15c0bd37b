package transforms

import (
	"fmt"

	"github.com/connectd/connectd/connect/api"
)

// operand returns the record's key or value with its schema.
func operand(r *api.SourceRecord, key bool) (*api.Schema, any) {
	if key {
		return r.KeySchema, r.Key
	}
	return r.ValueSchema, r.Value
}

// withOperand returns a copy of r whose key or value is replaced.
func withOperand(r *api.SourceRecord, key bool, s *api.Schema, v any) *api.SourceRecord {
	cp := *r
	if key {
		cp.KeySchema, cp.Key = s, v
	} else {
		cp.ValueSchema, cp.Value = s, v
	}
	return &cp
}

// which names the operand in errors as Kafka's transforms do.
func which(key bool) string {
	if key {
		return "record key"
	}
	return "record value"
}

// get returns a struct field's value, else the field's default, as Kafka's Struct.get.
func get(st *api.Struct, f *api.Field) any {
	if v := st.GetIndex(f.Index); v != nil {
		return v
	}
	if f.Schema.HasDefault {
		return f.Schema.Default
	}
	return nil
}

// copyBasics starts a struct schema with s's name, version, doc and parameters (Kafka's
// SchemaUtil.copySchemaBasics onto SchemaBuilder.struct()): required, as Kafka's are.
func copyBasics(s *api.Schema) *api.SchemaBuilder {
	b := api.StructSchema().Name(s.Name).Version(s.Version).Doc(s.Doc)
	for _, p := range s.Parameters {
		b.Param(p.Key, p.Value)
	}
	return b
}

// requireStruct checks that a schema-ful operand is a struct, as Kafka's Requirements.requireStruct.
func requireStruct(v any, purpose string) (*api.Struct, error) {
	st, ok := v.(*api.Struct)
	if !ok {
		return nil, fmt.Errorf("Only Struct objects supported for [%s], found: %s", purpose, javaType(v))
	}
	return st, nil
}

// requireMap checks that a schemaless operand is a map, as Kafka's Requirements.requireMap.
func requireMap(v any, purpose string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Only Map objects supported in absence of schema for [%s], found: %s", purpose, javaType(v))
	}
	return m, nil
}

// javaType names a value's type as Kafka's errors do.
func javaType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *api.Struct:
		return "org.apache.kafka.connect.data.Struct"
	case string:
		return "java.lang.String"
	case map[string]any:
		return "java.util.HashMap"
	}
	return fmt.Sprintf("%T", v)
}

// cache maps an input schema to the schema derived from it, built once per schema.
type cache map[*api.Schema]*api.Schema

// structCopy makes a struct of schema s whose fields take the values of the fields named alike in
// src (their set values, not defaults).
func structCopy(s *api.Schema, src *api.Struct) *api.Struct {
	out := api.NewStruct(s)
	ss := src.Schema()
	for i := range s.Fields {
		if f := ss.Field(s.Fields[i].Name); f != nil {
			out.PutIndex(i, src.GetIndex(f.Index))
		}
	}
	return out
}

// maxCached bounds each derived-schema cache. Schemas are shared per table version, so a cache
// holds a handful; the bound only protects against a source that builds a schema per record.
const maxCached = 512

// remember caches v under k, emptying the cache first when it is full.
func remember[K comparable, V any](m map[K]V, k K, v V) {
	if len(m) >= maxCached {
		clear(m)
	}
	m[k] = v
}
