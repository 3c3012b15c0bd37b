package api

import (
	"bytes"
	"fmt"
	"time"
)

// ValidateValue checks that v is a valid value of schema s, as Kafka's
// ConnectSchema.validateValue: nil only for an optional schema; the Go type listed on Schema for
// the schema's type (Decimal for Kafka's Decimal logical type, time.Time for its
// Date/Time/Timestamp); array elements and map keys/values recursively; a struct's schema equal
// to s and its required fields present.
func ValidateValue(s *Schema, v any) error {
	return validateValue(s, v, "value")
}

// validateValue is ValidateValue with the location used in error messages ("field \"id\"",
// "element of array field \"tags\"").
func validateValue(s *Schema, v any, loc string) error {
	if s == nil {
		return fmt.Errorf("no schema for %s", loc)
	}
	if v == nil {
		if !s.Optional {
			return fmt.Errorf("nil used for required %s, schema type %s", loc, s.Type)
		}
		return nil
	}
	if !goTypeMatches(s, v) {
		return fmt.Errorf("invalid Go value of type %T for %s with schema %s; want %s", v, loc, describe(s), GoTypeName(s))
	}
	switch s.Type {
	case TypeStruct:
		st := v.(*Struct)
		if st == nil {
			if !s.Optional {
				return fmt.Errorf("nil used for required %s, schema type %s", loc, s.Type)
			}
			return nil
		}
		if !st.schema.Equal(s) {
			return fmt.Errorf("struct schema %s does not match the schema %s of %s", describe(st.schema), describe(s), loc)
		}
		if err := st.Validate(); err != nil {
			return fmt.Errorf("%s: %w", loc, err)
		}
	case TypeArray:
		eloc := "element of array " + loc
		for _, e := range v.([]any) {
			if err := validateValue(s.ValueSchema, e, eloc); err != nil {
				return err
			}
		}
	case TypeMap:
		kloc, vloc := "key of map "+loc, "value of map "+loc
		for _, e := range v.([]MapEntry) {
			if err := validateValue(s.KeySchema, e.Key, kloc); err != nil {
				return err
			}
			if err := validateValue(s.ValueSchema, e.Value, vloc); err != nil {
				return err
			}
		}
	}
	return nil
}

// goTypeMatches reports whether v has the Go type that represents values of s.
func goTypeMatches(s *Schema, v any) bool {
	switch s.Name {
	case DecimalName:
		_, ok := v.(Decimal)
		return ok
	case DateName, TimeName, TimestampName:
		_, ok := v.(time.Time)
		return ok
	}
	var ok bool
	switch s.Type {
	case TypeInt8:
		_, ok = v.(int8)
	case TypeInt16:
		_, ok = v.(int16)
	case TypeInt32:
		_, ok = v.(int32)
	case TypeInt64:
		_, ok = v.(int64)
	case TypeFloat32:
		_, ok = v.(float32)
	case TypeFloat64:
		_, ok = v.(float64)
	case TypeBoolean:
		_, ok = v.(bool)
	case TypeString:
		_, ok = v.(string)
	case TypeBytes:
		_, ok = v.([]byte)
	case TypeArray:
		_, ok = v.([]any)
	case TypeMap:
		_, ok = v.([]MapEntry)
	case TypeStruct:
		_, ok = v.(*Struct)
	}
	return ok
}

// GoTypeName names the Go type that represents values of s, for error messages.
func GoTypeName(s *Schema) string {
	switch s.Name {
	case DecimalName:
		return "api.Decimal"
	case DateName, TimeName, TimestampName:
		return "time.Time"
	}
	switch s.Type {
	case TypeInt8:
		return "int8"
	case TypeInt16:
		return "int16"
	case TypeInt32:
		return "int32"
	case TypeInt64:
		return "int64"
	case TypeFloat32:
		return "float32"
	case TypeFloat64:
		return "float64"
	case TypeBoolean:
		return "bool"
	case TypeString:
		return "string"
	case TypeBytes:
		return "[]byte"
	case TypeArray:
		return "[]any"
	case TypeMap:
		return "[]api.MapEntry"
	case TypeStruct:
		return "*api.Struct"
	}
	return "unknown"
}

// Equal reports whether s and o describe the same schema, as Kafka's ConnectSchema.equals: type,
// optionality, default, version, name, doc, parameters (in order), fields, key and value
// schemas. Identical pointers are equal without a deeper look.
func (s *Schema) Equal(o *Schema) bool {
	if s == o {
		return true
	}
	if s == nil || o == nil {
		return false
	}
	if s.Type != o.Type || s.Optional != o.Optional || s.Version != o.Version || s.Name != o.Name ||
		s.Doc != o.Doc || s.HasDefault != o.HasDefault || len(s.Parameters) != len(o.Parameters) ||
		len(s.Fields) != len(o.Fields) {
		return false
	}
	for i := range s.Parameters {
		if s.Parameters[i] != o.Parameters[i] {
			return false
		}
	}
	for i := range s.Fields {
		a, b := &s.Fields[i], &o.Fields[i]
		if a.Name != b.Name || a.Index != b.Index || !a.Schema.Equal(b.Schema) {
			return false
		}
	}
	if !s.KeySchema.Equal(o.KeySchema) || !s.ValueSchema.Equal(o.ValueSchema) {
		return false
	}
	return !s.HasDefault || ValueEqual(s.Default, o.Default)
}

// ValueEqual reports whether two Connect values are equal, comparing byte slices by content,
// decimals with Decimal.Equal, times with time.Time.Equal, and structs, arrays and maps deeply.
func ValueEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Decimal:
		y, ok := b.(Decimal)
		return ok && x.Equal(y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case *Struct:
		y, ok := b.(*Struct)
		return ok && x.Equal(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !ValueEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case []MapEntry:
		y, ok := b.([]MapEntry)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !ValueEqual(x[i].Key, y[i].Key) || !ValueEqual(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !ValueEqual(v, w) {
				return false
			}
		}
		return true
	case float64:
		// NaN equals NaN here: values, not arithmetic, are compared.
		y, ok := b.(float64)
		return ok && (x == y || (x != x && y != y))
	case float32:
		y, ok := b.(float32)
		return ok && (x == y || (x != x && y != y))
	case int8, int16, int32, int64, int, bool, string:
		return a == b
	}
	return false
}
