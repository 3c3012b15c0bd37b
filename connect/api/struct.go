package api

import (
	"errors"
	"fmt"
)

// Struct is a value of a struct schema, as Kafka Connect's Struct: one slot per field, in field
// order. Put checks each value against its field's schema; PutIndex does not, for encoders that
// were built from the schema and so already produce the right Go types.
//
// A Struct is not safe for concurrent writes; once filled it may be read from any goroutine.
type Struct struct {
	schema *Schema
	values []any
}

// NewStruct returns an empty struct of schema s. A nil or non-struct schema gives a struct that
// holds no fields, whose Put and Validate report the mistake.
func NewStruct(s *Schema) *Struct {
	if s == nil || s.Type != TypeStruct {
		return &Struct{schema: s}
	}
	// A change event builds several structs per row (key, row, source, envelope): the struct and
	// its values are allocated together, one allocation instead of two, for the common sizes.
	n := len(s.Fields)
	var st *Struct
	var vals []any
	switch {
	case n == 0:
		return &Struct{schema: s, values: []any{}}
	case n <= 1:
		b := new(struct1)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 2:
		b := new(struct2)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 4:
		b := new(struct4)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 6:
		b := new(struct6)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 8:
		b := new(struct8)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 10:
		b := new(struct10)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 12:
		b := new(struct12)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 14:
		b := new(struct14)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 16:
		b := new(struct16)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 18:
		b := new(struct18)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 20:
		b := new(struct20)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 24:
		b := new(struct24)
		st, vals = &b.st, b.vals[:n:n]
	case n <= 32:
		b := new(struct32)
		st, vals = &b.st, b.vals[:n:n]
	default:
		return &Struct{schema: s, values: make([]any, n)}
	}
	st.schema, st.values = s, vals
	return st
}

// structN is a Struct and the array behind its values, allocated together; the sizes follow
// Go's allocation size classes closely enough that little is wasted.
type (
	struct1 struct {
		st   Struct
		vals [1]any
	}
	struct2 struct {
		st   Struct
		vals [2]any
	}
	struct4 struct {
		st   Struct
		vals [4]any
	}
	struct6 struct {
		st   Struct
		vals [6]any
	}
	struct8 struct {
		st   Struct
		vals [8]any
	}
	struct10 struct {
		st   Struct
		vals [10]any
	}
	struct12 struct {
		st   Struct
		vals [12]any
	}
	struct14 struct {
		st   Struct
		vals [14]any
	}
	struct16 struct {
		st   Struct
		vals [16]any
	}
	struct18 struct {
		st   Struct
		vals [18]any
	}
	struct20 struct {
		st   Struct
		vals [20]any
	}
	struct24 struct {
		st   Struct
		vals [24]any
	}
	struct32 struct {
		st   Struct
		vals [32]any
	}
)

// Schema returns the struct's schema.
func (st *Struct) Schema() *Schema { return st.schema }

// checkSchema reports a struct built on something other than a struct schema.
func (st *Struct) checkSchema() error {
	if st.schema == nil {
		return errors.New("struct has no schema")
	}
	if st.schema.Type != TypeStruct {
		return fmt.Errorf("struct was created with schema %s, which is not a struct schema", describe(st.schema))
	}
	return nil
}

// Put sets field name to v after checking v against the field's schema (nil only for optional
// fields, the Go type listed on Schema, a nested struct whose schema equals the field's and whose
// required fields are set). It returns the struct's schema error, an unknown-field error or a
// validation error naming the field; on error the field keeps its previous value.
func (st *Struct) Put(name string, v any) error {
	if err := st.checkSchema(); err != nil {
		return fmt.Errorf("cannot set field %q: %w", name, err)
	}
	f := st.schema.Field(name)
	if f == nil {
		return fmt.Errorf("cannot set field %q: schema %s has no such field", name, describe(st.schema))
	}
	if err := validateValue(f.Schema, v, fmt.Sprintf("field %q", name)); err != nil {
		return fmt.Errorf("cannot set field %q: %w", name, err)
	}
	st.values[f.Index] = v
	return nil
}

// PutIndex sets the field at index i to v without any check: the fast path for encoders built
// from the schema. An index out of range is ignored rather than panicking.
func (st *Struct) PutIndex(i int, v any) {
	if i >= 0 && i < len(st.values) {
		st.values[i] = v
	}
}

// Get returns the value of field name: the value set, else the field's default (as Kafka's
// Struct.get), else nil. An unknown field gives nil; use Schema().Field to tell them apart.
func (st *Struct) Get(name string) any {
	if st.schema == nil {
		return nil
	}
	f := st.schema.Field(name)
	if f == nil || f.Index >= len(st.values) {
		return nil
	}
	if v := st.values[f.Index]; v != nil {
		return v
	}
	if f.Schema.HasDefault {
		return f.Schema.Default
	}
	return nil
}

// GetWithoutDefault returns the value set on field name, or nil (Kafka's getWithoutDefault).
func (st *Struct) GetWithoutDefault(name string) any {
	if st.schema == nil {
		return nil
	}
	f := st.schema.Field(name)
	if f == nil || f.Index >= len(st.values) {
		return nil
	}
	return st.values[f.Index]
}

// GetIndex returns the value set at field index i, or nil, without applying defaults: the fast
// path for converters, which apply defaults themselves according to their configuration.
func (st *Struct) GetIndex(i int) any {
	if i < 0 || i >= len(st.values) {
		return nil
	}
	return st.values[i]
}

// Validate checks that every required field without a default is set and that every set value
// fits its field's schema, as Kafka's Struct.validate. The error names the first bad field.
func (st *Struct) Validate() error {
	if err := st.checkSchema(); err != nil {
		return err
	}
	for i := range st.schema.Fields {
		f := &st.schema.Fields[i]
		v := st.values[f.Index]
		if v == nil && (f.Schema.Optional || f.Schema.HasDefault) {
			continue
		}
		if err := validateValue(f.Schema, v, fmt.Sprintf("field %q", f.Name)); err != nil {
			return err
		}
	}
	return nil
}

// Equal reports whether two structs have equal schemas and equal values (see ValueEqual).
func (st *Struct) Equal(o *Struct) bool {
	if st == o {
		return true
	}
	if st == nil || o == nil || !st.schema.Equal(o.schema) || len(st.values) != len(o.values) {
		return false
	}
	for i := range st.values {
		if !ValueEqual(st.values[i], o.values[i]) {
			return false
		}
	}
	return true
}

// String renders the struct for logs and test failures, as Kafka's Struct.toString:
// Struct{id=1,name=x}, skipping unset fields.
func (st *Struct) String() string {
	if st == nil {
		return "<nil>"
	}
	b := []byte("Struct{")
	first := true
	if st.schema != nil {
		for i := range st.schema.Fields {
			f := &st.schema.Fields[i]
			if f.Index >= len(st.values) || st.values[f.Index] == nil {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = fmt.Appendf(b, "%s=%v", f.Name, st.values[f.Index])
		}
	}
	return string(append(b, '}'))
}
