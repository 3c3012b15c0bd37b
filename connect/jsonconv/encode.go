package jsonconv

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/javafmt"
)

// ConversionError is a value that cannot be written as JSON, with the path to it inside the
// record ("after.id", "tags[2]") so the user can find the column or field at fault.
type ConversionError struct {
	Path string
	Err  error
}

// Error describes the failure and where it happened.
func (e *ConversionError) Error() string {
	if e.Path == "" {
		return "cannot convert value to JSON: " + e.Err.Error()
	}
	return fmt.Sprintf("cannot convert field %q to JSON: %v", e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *ConversionError) Unwrap() error { return e.Err }

// convErr starts a ConversionError at the innermost value; struct and array writers prefix the
// path on the way out.
func convErr(format string, args ...any) error {
	return &ConversionError{Err: fmt.Errorf(format, args...)}
}

// withPath prefixes err's path with a field name or an "[i]" element index.
func withPath(err error, name string, index bool) error {
	var ce *ConversionError
	if !errors.As(err, &ce) {
		ce = &ConversionError{Err: err}
	}
	switch {
	case ce.Path == "":
		ce.Path = name
	case ce.Path[0] == '[' || index:
		ce.Path = name + ce.Path
	default:
		ce.Path = name + "." + ce.Path
	}
	return ce
}

// IsTombstone reports whether a record part encodes to no bytes at all: Kafka's JsonConverter
// returns null (a Kafka tombstone) for a nil schema with a nil value, whatever schemas.enable
// says. Encode appends nothing in that case; callers send a null key or value.
func IsTombstone(schema *api.Schema, value any) bool { return schema == nil && value == nil }

// Encode appends the JSON for value under schema, as JsonConverter.fromConnectData:
//
//   - schemas.enable=true: {"schema":<schema JSON>,"payload":<value>}; a nil schema is written
//     as "schema":null with the value's type inferred from its Go type.
//   - schemas.enable=false: the payload alone.
//   - a nil value of an optional schema is the JSON null (inside the envelope when enabled); of a
//     schema with a default, the default (replace.null.with.default=true); of a required schema
//     without one, an error.
//   - a nil schema with a nil value appends nothing: see IsTombstone.
//
// On error dst is returned unchanged (truncated to its original length) with a
// *ConversionError naming the field.
func (c *Converter) Encode(dst []byte, schema *api.Schema, value any) ([]byte, error) {
	if schema == nil && value == nil {
		return dst, nil
	}
	start := len(dst)
	var err error
	if c.cfg.SchemasEnable {
		dst = append(dst, `{"schema":`...)
		if schema == nil {
			dst = append(dst, "null"...)
		} else {
			var sj []byte
			if sj, err = c.schemaJSONFor(schema); err != nil {
				return dst[:start], err
			}
			dst = append(dst, sj...)
		}
		dst = append(dst, `,"payload":`...)
	}
	if dst, err = c.appendValue(dst, schema, value); err != nil {
		return dst[:start], err
	}
	if c.cfg.SchemasEnable {
		dst = append(dst, '}')
	}
	return dst, nil
}

// SchemaJSON returns the JSON Kafka's JsonConverter writes for schema in the envelope's "schema"
// field. The slice is shared with the converter's cache: do not modify it.
func (c *Converter) SchemaJSON(schema *api.Schema) ([]byte, error) {
	if schema == nil {
		return []byte("null"), nil
	}
	return c.schemaJSONFor(schema)
}

// schemaJSONFor returns the cached JSON of schema, building it on first use.
func (c *Converter) schemaJSONFor(s *api.Schema) ([]byte, error) {
	if v, ok := c.schemaJSON.Load(s); ok {
		return v.([]byte), nil
	}
	b, err := c.appendSchema(nil, s)
	if err != nil {
		return nil, err
	}
	if limit := c.cacheLimit(); limit > 0 {
		if c.schemaCount.Add(1) > int64(limit) {
			c.schemaJSON.Clear()
			c.schemaCount.Store(1)
		}
		c.schemaJSON.Store(s, b)
	}
	return b, nil
}

// jsonTypeName is the "type" JsonConverter writes: Connect's type names except float32 and
// float64, which it calls "float" and "double".
func jsonTypeName(t api.Type) string {
	switch t {
	case api.TypeFloat32:
		return "float"
	case api.TypeFloat64:
		return "double"
	}
	return t.String()
}

// appendSchema appends the schema JSON in JsonConverter.asJsonSchema's field order: type, then
// items | keys, values | fields, then optional, name, version, doc, parameters, default.
func (c *Converter) appendSchema(dst []byte, s *api.Schema) ([]byte, error) {
	dst, err := c.appendSchemaBody(dst, s)
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendSchemaBody is appendSchema without the closing brace, so a struct field can add its
// "field" member last, as the Java converter does.
func (c *Converter) appendSchemaBody(dst []byte, s *api.Schema) ([]byte, error) {
	if s.Type < api.TypeInt8 || s.Type > api.TypeStruct {
		return nil, fmt.Errorf("cannot write schema %q of unknown type %d as JSON", s.Name, s.Type)
	}
	dst = append(dst, `{"type":"`...)
	dst = append(dst, jsonTypeName(s.Type)...)
	dst = append(dst, '"')
	var err error
	switch s.Type {
	case api.TypeArray:
		dst = append(dst, `,"items":`...)
		if dst, err = c.appendOptionalSchema(dst, s.ValueSchema); err != nil {
			return nil, err
		}
	case api.TypeMap:
		dst = append(dst, `,"keys":`...)
		if dst, err = c.appendOptionalSchema(dst, s.KeySchema); err != nil {
			return nil, err
		}
		dst = append(dst, `,"values":`...)
		if dst, err = c.appendOptionalSchema(dst, s.ValueSchema); err != nil {
			return nil, err
		}
	case api.TypeStruct:
		dst = append(dst, `,"fields":[`...)
		for i := range s.Fields {
			f := &s.Fields[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			if f.Schema == nil {
				return nil, fmt.Errorf("cannot write schema %s as JSON: field %q has no schema", s.Name, f.Name)
			}
			if dst, err = c.appendSchemaBody(dst, f.Schema); err != nil {
				return nil, err
			}
			dst = append(dst, `,"field":`...)
			dst = javafmt.AppendString(dst, f.Name)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if s.Optional {
		dst = append(dst, `,"optional":true`...)
	} else {
		dst = append(dst, `,"optional":false`...)
	}
	if s.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = javafmt.AppendString(dst, s.Name)
	}
	if s.Version != 0 {
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(s.Version), 10)
	}
	if s.Doc != "" {
		dst = append(dst, `,"doc":`...)
		dst = javafmt.AppendString(dst, s.Doc)
	}
	if len(s.Parameters) > 0 {
		// Kafka's SchemaBuilder never keeps an empty parameter map, so none is written.
		dst = append(dst, `,"parameters":{`...)
		for i, p := range s.Parameters {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = javafmt.AppendString(dst, p.Key)
			dst = append(dst, ':')
			dst = javafmt.AppendString(dst, p.Value)
		}
		dst = append(dst, '}')
	}
	if s.HasDefault && s.Default != nil {
		dst = append(dst, `,"default":`...)
		if dst, err = c.appendValue(dst, s, s.Default); err != nil {
			return nil, fmt.Errorf("cannot write the default value of schema %s as JSON: %w", s.Name, err)
		}
	}
	return dst, nil
}

// appendOptionalSchema writes a nested schema, or null where the Java converter would find none.
func (c *Converter) appendOptionalSchema(dst []byte, s *api.Schema) ([]byte, error) {
	if s == nil {
		return append(dst, "null"...), nil
	}
	return c.appendSchema(dst, s)
}

// appendValue appends v under schema s, as JsonConverter.convertToJson.
func (c *Converter) appendValue(dst []byte, s *api.Schema, v any) ([]byte, error) {
	if v == nil {
		return c.appendNull(dst, s)
	}
	if s == nil {
		return appendSchemaless(dst, v)
	}
	if s.Name != "" {
		switch s.Name {
		case api.DecimalName:
			return c.appendDecimal(dst, s, v)
		case api.DateName, api.TimeName, api.TimestampName:
			return appendLogicalTime(dst, s, v)
		}
	}
	switch s.Type {
	case api.TypeInt8:
		if x, ok := v.(int8); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case api.TypeInt16:
		if x, ok := v.(int16); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case api.TypeInt32:
		if x, ok := v.(int32); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case api.TypeInt64:
		if x, ok := v.(int64); ok {
			return strconv.AppendInt(dst, x, 10), nil
		}
	case api.TypeFloat32:
		if x, ok := v.(float32); ok {
			return javafmt.AppendJacksonFloat(dst, x), nil
		}
	case api.TypeFloat64:
		if x, ok := v.(float64); ok {
			return javafmt.AppendJacksonDouble(dst, x), nil
		}
	case api.TypeBoolean:
		if x, ok := v.(bool); ok {
			if x {
				return append(dst, "true"...), nil
			}
			return append(dst, "false"...), nil
		}
	case api.TypeString:
		if x, ok := v.(string); ok {
			return javafmt.AppendString(dst, x), nil
		}
	case api.TypeBytes:
		if x, ok := v.([]byte); ok {
			return javafmt.AppendBinary(dst, x), nil
		}
	case api.TypeArray:
		if x, ok := v.([]any); ok {
			return c.appendArray(dst, s, x)
		}
	case api.TypeMap:
		if x, ok := v.([]api.MapEntry); ok {
			return c.appendMap(dst, s, x)
		}
	case api.TypeStruct:
		if x, ok := v.(*api.Struct); ok {
			if x == nil {
				return c.appendNull(dst, s)
			}
			return c.appendStruct(dst, s, x)
		}
	default:
		return dst, convErr("schema %s has unknown type %d", s.Name, s.Type)
	}
	return dst, convErr("invalid Go type %T for schema %s; want %s", v, describeSchema(s), api.GoTypeName(s))
}

// appendNull writes a missing value: the schema's default when replace.null.with.default allows,
// null for an optional schema (or no schema), else an error.
func (c *Converter) appendNull(dst []byte, s *api.Schema) ([]byte, error) {
	switch {
	case s == nil:
		return append(dst, "null"...), nil
	case s.HasDefault && s.Default != nil && c.cfg.ReplaceNullWithDefault:
		return c.appendValue(dst, s, s.Default)
	case s.Optional:
		return append(dst, "null"...), nil
	}
	return dst, convErr("nil value for a required %s without a default value; make the schema optional or set the value", describeSchema(s))
}

// describeSchema names a schema in error messages.
func describeSchema(s *api.Schema) string {
	if s.Name != "" {
		return fmt.Sprintf("%s (%s)", s.Name, s.Type)
	}
	return s.Type.String()
}

// appendStruct writes a struct as an object of its fields in schema order, checking that the
// value was built for this schema (JsonConverter's "Mismatching schema.").
func (c *Converter) appendStruct(dst []byte, s *api.Schema, st *api.Struct) ([]byte, error) {
	if ss := st.Schema(); ss != s && !ss.Equal(s) {
		return dst, convErr("struct value was built for schema %s, which differs from the schema %s it is written with", describeOrNone(ss), describeSchema(s))
	}
	keys := c.fieldKeysFor(s)
	dst = append(dst, '{')
	var err error
	for i := range s.Fields {
		f := &s.Fields[i]
		if keys != nil {
			dst = append(dst, keys[i]...)
		} else {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = javafmt.AppendString(dst, f.Name)
			dst = append(dst, ':')
		}
		if dst, err = c.appendValue(dst, f.Schema, st.GetIndex(f.Index)); err != nil {
			return dst, withPath(err, f.Name, false)
		}
	}
	return append(dst, '}'), nil
}

// fieldKeysFor returns what appendStruct writes before each field's value of struct schema s
// (`"name":`, and `,"name":` from the second field on), cached by schema pointer like the
// schema JSON; nil when caching is off (schemas.cache.size=0), where the names are written as
// they come.
func (c *Converter) fieldKeysFor(s *api.Schema) [][]byte {
	limit := c.cacheLimit()
	if limit <= 0 {
		return nil
	}
	if v, ok := c.fieldKeys.Load(s); ok {
		return v.([][]byte)
	}
	keys := make([][]byte, len(s.Fields))
	var buf []byte
	for i := range s.Fields {
		start := len(buf)
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = javafmt.AppendString(buf, s.Fields[i].Name)
		buf = append(buf, ':')
		// A later append may move buf; the bytes already sliced stay where they are.
		keys[i] = buf[start:len(buf):len(buf)]
	}
	if c.keyCount.Add(1) > int64(limit) {
		c.fieldKeys.Clear()
		c.keyCount.Store(1)
	}
	c.fieldKeys.Store(s, keys)
	return keys
}

// describeOrNone is describeSchema that accepts nil.
func describeOrNone(s *api.Schema) string {
	if s == nil {
		return "<none>"
	}
	return describeSchema(s)
}

// appendArray writes an array's elements with the element schema.
func (c *Converter) appendArray(dst []byte, s *api.Schema, a []any) ([]byte, error) {
	dst = append(dst, '[')
	var err error
	for i, e := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = c.appendValue(dst, s.ValueSchema, e); err != nil {
			return dst, withPath(err, "["+strconv.Itoa(i)+"]", true)
		}
	}
	return append(dst, ']'), nil
}

// appendMap writes a map as an object when its key schema is string, else as an array of
// [key, value] pairs, as the Java converter does.
func (c *Converter) appendMap(dst []byte, s *api.Schema, m []api.MapEntry) ([]byte, error) {
	if s.KeySchema == nil || s.ValueSchema == nil {
		return dst, convErr("map schema %s lacks a key or value schema", s.Name)
	}
	var err error
	if s.KeySchema.Type == api.TypeString {
		dst = append(dst, '{')
		for i, e := range m {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = c.appendObjectKey(dst, s.KeySchema, e.Key); err != nil {
				return dst, err
			}
			dst = append(dst, ':')
			if dst, err = c.appendValue(dst, s.ValueSchema, e.Value); err != nil {
				return dst, withPath(err, "["+strconv.Itoa(i)+"]", true)
			}
		}
		return append(dst, '}'), nil
	}
	dst = append(dst, '[')
	for i, e := range m {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		if dst, err = c.appendValue(dst, s.KeySchema, e.Key); err != nil {
			return dst, withPath(err, "["+strconv.Itoa(i)+"]", true)
		}
		dst = append(dst, ',')
		if dst, err = c.appendValue(dst, s.ValueSchema, e.Value); err != nil {
			return dst, withPath(err, "["+strconv.Itoa(i)+"]", true)
		}
		dst = append(dst, ']')
	}
	return append(dst, ']'), nil
}

// appendObjectKey writes a string-schema map key as an object member name. The Java converter
// takes the text of the converted key node, so a missing optional key becomes "null".
func (c *Converter) appendObjectKey(dst []byte, ks *api.Schema, k any) ([]byte, error) {
	if k == nil {
		switch {
		case ks.HasDefault && c.cfg.ReplaceNullWithDefault:
			k = ks.Default
		case ks.Optional:
			return append(dst, `"null"`...), nil
		default:
			return dst, convErr("nil map key for a required string key schema")
		}
	}
	str, ok := k.(string)
	if !ok {
		return dst, convErr("invalid Go type %T for a map key of schema string; want string", k)
	}
	return javafmt.AppendString(dst, str), nil
}

// appendDecimal writes Kafka's Decimal: base64 of the two's-complement unscaled value (whose
// scale must equal the schema's, as Decimal.fromLogical demands) or, with decimal.format=NUMERIC,
// the number as BigDecimal.toString writes it, in the value's own scale.
func (c *Converter) appendDecimal(dst []byte, s *api.Schema, v any) ([]byte, error) {
	d, ok := v.(api.Decimal)
	if !ok {
		return dst, convErr("invalid Go type %T for Decimal; want api.Decimal", v)
	}
	if c.cfg.DecimalFormat == DecimalNumeric {
		return appendBigDecimal(dst, d), nil
	}
	p, ok := s.Param(api.DecimalScaleParam)
	if !ok {
		return dst, convErr("invalid Decimal schema: parameter %q not found", api.DecimalScaleParam)
	}
	scale, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		return dst, convErr("invalid Decimal schema: scale parameter %q is not an int", p)
	}
	if int32(scale) != d.Scale {
		return dst, convErr("decimal value %s has scale %d but its Decimal schema has scale %d; rescale the value to the schema's scale", d.String(), d.Scale, scale)
	}
	var buf [40]byte
	u := d.Unscaled
	if u == nil {
		return javafmt.AppendBinary(dst, []byte{0}), nil
	}
	return javafmt.AppendBinary(dst, api.AppendTwosComplement(buf[:0], u)), nil
}

// millisPerDay is the length of the day Kafka's Date and Time use.
const millisPerDay = 24 * 60 * 60 * 1000

// appendLogicalTime writes Kafka's Date (days since the epoch; the time must be midnight UTC),
// Time (milliseconds past midnight; the date must be 1970-01-01 UTC) and Timestamp (milliseconds
// since the epoch).
func appendLogicalTime(dst []byte, s *api.Schema, v any) ([]byte, error) {
	t, ok := v.(time.Time)
	if !ok {
		return dst, convErr("invalid Go type %T for %s; want time.Time", v, s.Name)
	}
	ms := t.UnixMilli()
	switch s.Name {
	case api.DateName:
		if ms%millisPerDay != 0 {
			return dst, convErr("Kafka Connect Date value %s has a time of day; it must be midnight UTC", t.UTC().Format(time.RFC3339Nano))
		}
		return strconv.AppendInt(dst, int64(int32(ms/millisPerDay)), 10), nil
	case api.TimeName:
		if ms < 0 || ms > millisPerDay {
			return dst, convErr("Kafka Connect Time value %s has a date; it must be on 1970-01-01 UTC", t.UTC().Format(time.RFC3339Nano))
		}
		return strconv.AppendInt(dst, ms, 10), nil
	}
	return strconv.AppendInt(dst, ms, 10), nil
}
