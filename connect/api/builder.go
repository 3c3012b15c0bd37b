package api

import (
	"errors"
	"fmt"
	"slices"
)

// SchemaBuilder builds a Schema fluently, as Kafka Connect's SchemaBuilder:
//
//	s := api.StructSchema().Name("server1.inventory.customers.Key").
//		Field("id", api.Int32Schema).Build()
//
// Mistakes (a field on a non-struct schema, a duplicate field name, a default value whose Go type
// does not fit the schema) do not panic: the first one is kept and reported by Err and
// BuildChecked. Build ignores it, so use BuildChecked whenever the schema comes from input (a
// column default read from a database), and Build for schemas written in code, which tests cover.
type SchemaBuilder struct {
	s   Schema
	err error
}

// NewSchema starts a schema of type t (required, no name, no default). For arrays, maps and
// structs prefer ArraySchema, MapSchema and StructSchema, which set the element schemas.
func NewSchema(t Type) *SchemaBuilder {
	return &SchemaBuilder{s: Schema{Type: t}}
}

// StructSchema starts a struct schema; add fields with Field.
func StructSchema() *SchemaBuilder { return NewSchema(TypeStruct) }

// ArraySchema starts an array schema whose elements follow elem.
func ArraySchema(elem *Schema) *SchemaBuilder {
	b := NewSchema(TypeArray)
	if elem == nil {
		b.fail(errors.New("array schema needs an element schema, got nil"))
	}
	b.s.ValueSchema = elem
	return b
}

// MapSchema starts a map schema with the given key and value schemas.
func MapSchema(key, value *Schema) *SchemaBuilder {
	b := NewSchema(TypeMap)
	if key == nil || value == nil {
		b.fail(errors.New("map schema needs a key and a value schema, got nil"))
	}
	b.s.KeySchema = key
	b.s.ValueSchema = value
	return b
}

// fail keeps the first error only: later ones are usually consequences of it.
func (b *SchemaBuilder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Optional marks the schema optional: its value may be nil.
func (b *SchemaBuilder) Optional() *SchemaBuilder { b.s.Optional = true; return b }

// Required marks the schema required (the default).
func (b *SchemaBuilder) Required() *SchemaBuilder { b.s.Optional = false; return b }

// Name sets the schema's name (a logical type name, or a record name such as "<topic>.Value").
func (b *SchemaBuilder) Name(name string) *SchemaBuilder { b.s.Name = name; return b }

// Version sets the schema's version; 0 means unset and is not written.
func (b *SchemaBuilder) Version(v int) *SchemaBuilder { b.s.Version = v; return b }

// Doc sets the schema's documentation.
func (b *SchemaBuilder) Doc(doc string) *SchemaBuilder { b.s.Doc = doc; return b }

// Param adds a parameter. Parameters keep insertion order (Kafka's LinkedHashMap); setting an
// existing key replaces its value in place, as a LinkedHashMap does.
func (b *SchemaBuilder) Param(key, value string) *SchemaBuilder {
	for i := range b.s.Parameters {
		if b.s.Parameters[i].Key == key {
			b.s.Parameters[i].Value = value
			return b
		}
	}
	b.s.Parameters = append(b.s.Parameters, Param{Key: key, Value: value})
	return b
}

// Default sets the default value, used by converters in place of a nil value. The value must
// have the Go type that represents the schema (see Schema); it is checked when the schema is
// built with BuildChecked.
func (b *SchemaBuilder) Default(v any) *SchemaBuilder {
	b.s.Default = v
	b.s.HasDefault = v != nil
	return b
}

// Field appends a field to a struct schema. Field order is the order of the calls.
func (b *SchemaBuilder) Field(name string, schema *Schema) *SchemaBuilder {
	switch {
	case b.s.Type != TypeStruct:
		b.fail(fmt.Errorf("cannot add field %q to a schema of type %s: only struct schemas have fields", name, b.s.Type))
		return b
	case name == "":
		b.fail(errors.New("cannot add a field with an empty name"))
		return b
	case schema == nil:
		b.fail(fmt.Errorf("cannot add field %q without a schema", name))
		return b
	}
	for _, f := range b.s.Fields {
		if f.Name == name {
			b.fail(fmt.Errorf("cannot add field %q twice to the same struct schema", name))
			return b
		}
	}
	b.s.Fields = append(b.s.Fields, Field{Name: name, Index: len(b.s.Fields), Schema: schema})
	return b
}

// Err returns the first mistake made while building, or nil.
func (b *SchemaBuilder) Err() error {
	if b.err != nil {
		return b.err
	}
	if b.s.Type < TypeInt8 || b.s.Type > TypeStruct {
		return fmt.Errorf("unknown schema type %d", b.s.Type)
	}
	if b.s.HasDefault {
		if err := ValidateValue(&b.s, b.s.Default); err != nil {
			return fmt.Errorf("invalid default value for schema %s: %w", describe(&b.s), err)
		}
	}
	return nil
}

// Build returns the schema. It does not report mistakes (see Err and BuildChecked). The builder
// may be reused: each Build returns a new Schema that shares nothing mutable with the builder.
func (b *SchemaBuilder) Build() *Schema {
	s := b.s
	s.Parameters = slices.Clone(s.Parameters)
	s.Fields = slices.Clone(s.Fields)
	return &s
}

// BuildChecked returns the schema, or the first mistake made while building it.
func (b *SchemaBuilder) BuildChecked() (*Schema, error) {
	if err := b.Err(); err != nil {
		return nil, err
	}
	return b.Build(), nil
}

// Predefined primitive schemas, as Kafka's Schema.INT8_SCHEMA ... OPTIONAL_BYTES_SCHEMA. They are
// shared: never modify them; build a new schema instead.
var (
	Int8Schema            = &Schema{Type: TypeInt8}
	Int16Schema           = &Schema{Type: TypeInt16}
	Int32Schema           = &Schema{Type: TypeInt32}
	Int64Schema           = &Schema{Type: TypeInt64}
	Float32Schema         = &Schema{Type: TypeFloat32}
	Float64Schema         = &Schema{Type: TypeFloat64}
	BooleanSchema         = &Schema{Type: TypeBoolean}
	StringSchema          = &Schema{Type: TypeString}
	BytesSchema           = &Schema{Type: TypeBytes}
	OptionalInt8Schema    = &Schema{Type: TypeInt8, Optional: true}
	OptionalInt16Schema   = &Schema{Type: TypeInt16, Optional: true}
	OptionalInt32Schema   = &Schema{Type: TypeInt32, Optional: true}
	OptionalInt64Schema   = &Schema{Type: TypeInt64, Optional: true}
	OptionalFloat32Schema = &Schema{Type: TypeFloat32, Optional: true}
	OptionalFloat64Schema = &Schema{Type: TypeFloat64, Optional: true}
	OptionalBooleanSchema = &Schema{Type: TypeBoolean, Optional: true}
	OptionalStringSchema  = &Schema{Type: TypeString, Optional: true}
	OptionalBytesSchema   = &Schema{Type: TypeBytes, Optional: true}
)

// Field returns the struct field called name, or nil.
func (s *Schema) Field(name string) *Field {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return &s.Fields[i]
		}
	}
	return nil
}

// Param returns the value of parameter key and whether it is set.
func (s *Schema) Param(key string) (string, bool) {
	for _, p := range s.Parameters {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// describe names a schema in error messages: its name when it has one, else its type.
func describe(s *Schema) string {
	if s == nil {
		return "<none>"
	}
	if s.Name != "" {
		return fmt.Sprintf("%s (%s)", s.Name, s.Type)
	}
	return s.Type.String()
}
