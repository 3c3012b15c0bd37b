package jsonconv

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/connectd/connectd/connect/api"
)

// Decode reads JSON written by Encode or by Kafka's JsonConverter, as JsonConverter.toConnectData:
//
//   - nil data (a tombstone) gives a nil schema and value;
//   - schemas.enable=true: the data must be {"schema":...,"payload":...} and nothing else; the
//     schema is rebuilt (equal schema texts give the same *api.Schema) and the payload read
//     into the Go types listed on api.Schema; with schema.content set, the data is a bare
//     payload read with that schema;
//   - schemas.enable=false (or a null schema): generic values as the Java converter makes them:
//     map[string]any for objects, []any, int64 for integral numbers, float64 for others,
//     string, bool, nil.
//
// Decode is stricter than the Java converter where Java silently turns bad data into zeros (a
// string where an int32 is expected); it reports the field instead. Quoted "NaN", "Infinity"
// and "-Infinity" read back as floats for float schemas, so Encode's output round-trips.
func (c *Converter) Decode(data []byte) (*api.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	n, err := parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot decode JSON record: %w", err)
	}
	if !c.cfg.SchemasEnable {
		v, err := c.toConnect(nil, &n)
		return nil, v, err
	}
	if c.fixedSchema != nil {
		v, err := c.toConnect(c.fixedSchema, &n)
		return c.fixedSchema, v, err
	}
	sn, pn := n.get("schema"), n.get("payload")
	if n.kind != kindObject || len(n.keys) != 2 || sn == nil || pn == nil {
		return nil, nil, errors.New("JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields; " +
			"if you are reading plain JSON data, set schemas.enable=false in the converter configuration")
	}
	schema, err := c.schemaFromNode(sn, data)
	if err != nil {
		return nil, nil, err
	}
	v, err := c.toConnect(schema, pn)
	if err != nil {
		return nil, nil, err
	}
	return schema, v, nil
}

// DecodeSchema reads a schema from its JSON (the envelope's "schema" field); "null" gives nil.
func (c *Converter) DecodeSchema(data []byte) (*api.Schema, error) {
	n, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("cannot decode JSON schema: %w", err)
	}
	return c.schemaFromNode(&n, data)
}

// schemaFromNode rebuilds a schema, through the cache of schema texts.
func (c *Converter) schemaFromNode(n *node, data []byte) (*api.Schema, error) {
	if n.kind == kindNull || n.kind == kindMissing {
		return nil, nil
	}
	raw := data[n.start:n.end]
	c.mu.Lock()
	s, ok := c.decoded[string(raw)]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := c.toConnectSchema(n)
	if err != nil {
		return nil, err
	}
	if limit := c.cacheLimit(); limit > 0 {
		c.mu.Lock()
		if len(c.decoded) >= limit {
			clear(c.decoded)
		}
		c.decoded[string(raw)] = s
		c.mu.Unlock()
	}
	return s, nil
}

// schemaTypes maps JsonConverter's type names to Connect types.
var schemaTypes = map[string]api.Type{
	"boolean": api.TypeBoolean, "int8": api.TypeInt8, "int16": api.TypeInt16, "int32": api.TypeInt32,
	"int64": api.TypeInt64, "float": api.TypeFloat32, "double": api.TypeFloat64, "bytes": api.TypeBytes,
	"string": api.TypeString, "array": api.TypeArray, "map": api.TypeMap, "struct": api.TypeStruct,
}

// toConnectSchema is JsonConverter.asConnectSchema.
func (c *Converter) toConnectSchema(n *node) (*api.Schema, error) {
	if n.kind == kindNull {
		return nil, nil
	}
	tn := n.get("type")
	if tn == nil || tn.kind != kindString {
		return nil, errors.New("schema must contain a 'type' field")
	}
	t, ok := schemaTypes[tn.str]
	if !ok {
		return nil, fmt.Errorf("unknown schema type %q", tn.str)
	}
	b := api.NewSchema(t)
	switch t {
	case api.TypeArray:
		items := n.get("items")
		if items == nil || items.kind == kindNull {
			return nil, errors.New("array schema did not specify the element type")
		}
		elem, err := c.toConnectSchema(items)
		if err != nil {
			return nil, err
		}
		b = api.ArraySchema(elem)
	case api.TypeMap:
		kn, vn := n.get("keys"), n.get("values")
		if kn == nil || kn.kind == kindNull {
			return nil, errors.New("map schema did not specify the key type")
		}
		if vn == nil || vn.kind == kindNull {
			return nil, errors.New("map schema did not specify the value type")
		}
		ks, err := c.toConnectSchema(kn)
		if err != nil {
			return nil, err
		}
		vs, err := c.toConnectSchema(vn)
		if err != nil {
			return nil, err
		}
		b = api.MapSchema(ks, vs)
	case api.TypeStruct:
		fields := n.get("fields")
		if fields == nil || fields.kind != kindArray {
			return nil, errors.New("struct schema's \"fields\" argument is not an array")
		}
		for i := range fields.elems {
			fn := &fields.elems[i]
			name := fn.get("field")
			if name == nil || name.kind != kindString {
				return nil, errors.New("struct schema's field name not specified properly")
			}
			fs, err := c.toConnectSchema(fn)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", name.str, err)
			}
			b.Field(name.str, fs)
		}
	}
	if on := n.get("optional"); on != nil && on.kind == kindBool && on.b {
		b.Optional()
	}
	if nn := n.get("name"); nn != nil && nn.kind == kindString {
		b.Name(nn.str)
	}
	if vn := n.get("version"); vn != nil && vn.kind == kindNumber && vn.integral {
		v, err := strconv.ParseInt(vn.str, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("schema version %s is not an int", vn.str)
		}
		b.Version(int(v))
	}
	if dn := n.get("doc"); dn != nil && dn.kind == kindString {
		b.Doc(dn.str)
	}
	if pn := n.get("parameters"); pn != nil && pn.kind == kindObject {
		for i, k := range pn.keys {
			if pn.elems[i].kind != kindString {
				return nil, errors.New("schema parameters must have string values")
			}
			b.Param(k, pn.elems[i].str)
		}
	}
	if err := b.Err(); err != nil {
		return nil, err
	}
	if dn := n.get("default"); dn != nil {
		s := b.Build()
		v, err := c.toConnect(s, dn)
		if err != nil {
			return nil, fmt.Errorf("schema default value: %w", err)
		}
		b.Default(v)
	}
	return b.BuildChecked()
}

// toConnect is JsonConverter.convertToConnect: the value of n under schema s (nil: infer).
func (c *Converter) toConnect(s *api.Schema, n *node) (any, error) {
	if s == nil {
		return toGeneric(n)
	}
	if n == nil || n.kind == kindNull || n.kind == kindMissing {
		switch {
		case s.HasDefault && c.cfg.ReplaceNullWithDefault:
			return s.Default, nil
		case s.Optional:
			return nil, nil
		}
		return nil, fmt.Errorf("invalid null value for required %s field", describeSchema(s))
	}
	switch s.Name {
	case api.DecimalName:
		return decodeDecimal(s, n)
	case api.DateName:
		v, err := intOf(n, math.MinInt32, math.MaxInt32, "Date")
		if err != nil {
			return nil, err
		}
		return api.DateValue(int32(v)), nil
	case api.TimeName:
		v, err := intOf(n, math.MinInt32, math.MaxInt32, "Time")
		if err != nil {
			return nil, err
		}
		return api.TimeValue(int32(v)), nil
	case api.TimestampName:
		v, err := intOf(n, math.MinInt64, math.MaxInt64, "Timestamp")
		if err != nil {
			return nil, err
		}
		return api.TimestampValue(v), nil
	}
	switch s.Type {
	case api.TypeBoolean:
		if n.kind != kindBool {
			return nil, fmt.Errorf("expected a boolean, found %s", n.kind)
		}
		return n.b, nil
	case api.TypeInt8:
		v, err := intOf(n, math.MinInt8, math.MaxInt8, "int8")
		return int8(v), err
	case api.TypeInt16:
		v, err := intOf(n, math.MinInt16, math.MaxInt16, "int16")
		return int16(v), err
	case api.TypeInt32:
		v, err := intOf(n, math.MinInt32, math.MaxInt32, "int32")
		return int32(v), err
	case api.TypeInt64:
		return intOf(n, math.MinInt64, math.MaxInt64, "int64")
	case api.TypeFloat32:
		f, err := floatOf(n, 32)
		return float32(f), err
	case api.TypeFloat64:
		return floatOf(n, 64)
	case api.TypeString:
		if n.kind != kindString {
			return nil, fmt.Errorf("expected a string, found %s", n.kind)
		}
		return n.str, nil
	case api.TypeBytes:
		return bytesOf(n)
	case api.TypeArray:
		if n.kind != kindArray {
			return nil, fmt.Errorf("expected an array, found %s", n.kind)
		}
		out := make([]any, len(n.elems))
		for i := range n.elems {
			v, err := c.toConnect(s.ValueSchema, &n.elems[i])
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = v
		}
		return out, nil
	case api.TypeMap:
		return c.decodeMap(s, n)
	case api.TypeStruct:
		if n.kind != kindObject {
			return nil, fmt.Errorf("structs should be encoded as JSON objects, but found %s", n.kind)
		}
		st := api.NewStruct(s)
		for i := range s.Fields {
			f := &s.Fields[i]
			v, err := c.toConnect(f.Schema, n.get(f.Name))
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			st.PutIndex(f.Index, v)
		}
		return st, nil
	}
	return nil, fmt.Errorf("unknown schema type %d", s.Type)
}

// decodeMap reads a string-keyed map from an object, any other map from [key, value] pairs.
func (c *Converter) decodeMap(s *api.Schema, n *node) (any, error) {
	if s.KeySchema != nil && s.KeySchema.Type == api.TypeString {
		if n.kind != kindObject {
			return nil, fmt.Errorf("maps with string fields should be encoded as JSON objects, but found %s", n.kind)
		}
		out := make([]api.MapEntry, len(n.keys))
		for i, k := range n.keys {
			v, err := c.toConnect(s.ValueSchema, &n.elems[i])
			if err != nil {
				return nil, fmt.Errorf("map value %q: %w", k, err)
			}
			out[i] = api.MapEntry{Key: k, Value: v}
		}
		return out, nil
	}
	if n.kind != kindArray {
		return nil, fmt.Errorf("maps with non-string fields should be encoded as JSON array of tuples, but found %s", n.kind)
	}
	out := make([]api.MapEntry, len(n.elems))
	for i := range n.elems {
		e := &n.elems[i]
		if e.kind != kindArray || len(e.elems) != 2 {
			return nil, fmt.Errorf("map entry %d is not a [key, value] array", i)
		}
		k, err := c.toConnect(s.KeySchema, &e.elems[0])
		if err != nil {
			return nil, fmt.Errorf("map key %d: %w", i, err)
		}
		v, err := c.toConnect(s.ValueSchema, &e.elems[1])
		if err != nil {
			return nil, fmt.Errorf("map value %d: %w", i, err)
		}
		out[i] = api.MapEntry{Key: k, Value: v}
	}
	return out, nil
}

// toGeneric reads a value without a schema, as the Java converter does: objects become maps,
// integral numbers int64 (Java's Long), other numbers float64 (Double).
func toGeneric(n *node) (any, error) {
	switch n.kind {
	case kindMissing, kindNull:
		return nil, nil
	case kindBool:
		return n.b, nil
	case kindString:
		return n.str, nil
	case kindNumber:
		if n.integral {
			v, err := strconv.ParseInt(n.str, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("integer %s does not fit in an int64", n.str)
			}
			return v, nil
		}
		return strconv.ParseFloat(n.str, 64)
	case kindArray:
		out := make([]any, len(n.elems))
		for i := range n.elems {
			v, err := toGeneric(&n.elems[i])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case kindObject:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			v, err := toGeneric(&n.elems[i])
			if err != nil {
				return nil, fmt.Errorf("member %q: %w", k, err)
			}
			out[k] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected JSON node %s", n.kind)
}

// intOf reads an integral number within [lo, hi].
func intOf(n *node, lo, hi int64, what string) (int64, error) {
	if n.kind != kindNumber || !n.integral {
		return 0, fmt.Errorf("invalid type for %s, underlying representation should be an integer but was %s", what, describeNode(n))
	}
	v, err := strconv.ParseInt(n.str, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("integer %s is out of range for %s", n.str, what)
	}
	return v, nil
}

// describeNode names a node's JSON type, with its text for numbers.
func describeNode(n *node) string {
	if n.kind == kindNumber {
		return "the number " + n.str
	}
	return n.kind.String()
}

// floatOf reads a number, or the quoted non-finite values Jackson writes.
func floatOf(n *node, bits int) (float64, error) {
	switch n.kind {
	case kindNumber:
		return strconv.ParseFloat(n.str, bits)
	case kindString:
		switch n.str {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return 0, fmt.Errorf("expected a number, found %s", n.kind)
}

// bytesOf reads base64 (Jackson's default variant: standard alphabet, padding optional on read).
func bytesOf(n *node) ([]byte, error) {
	if n.kind != kindString {
		return nil, fmt.Errorf("expected base64 bytes in a string, found %s", n.kind)
	}
	b, err := base64.StdEncoding.DecodeString(n.str)
	if err != nil {
		if b2, err2 := base64.RawStdEncoding.DecodeString(n.str); err2 == nil {
			return b2, nil
		}
		return nil, fmt.Errorf("invalid base64 bytes: %w", err)
	}
	return b, nil
}

// decodeDecimal reads Kafka's Decimal from a number (its own scale, as Jackson's decimalValue) or
// from base64 bytes with the schema's scale.
func decodeDecimal(s *api.Schema, n *node) (any, error) {
	switch n.kind {
	case kindNumber:
		d, err := api.ParseDecimal(n.str)
		if err != nil {
			return nil, fmt.Errorf("invalid Decimal number: %w", err)
		}
		return d, nil
	case kindString:
		p, ok := s.Param(api.DecimalScaleParam)
		if !ok {
			return nil, errors.New("invalid Decimal schema: scale parameter not found")
		}
		scale, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("invalid Decimal schema: scale %q is not an int", p)
		}
		b, err := bytesOf(n)
		if err != nil {
			return nil, fmt.Errorf("invalid bytes for Decimal field: %w", err)
		}
		return api.DecimalFromBytes(b, int32(scale)), nil
	}
	return nil, fmt.Errorf("invalid type for Decimal, underlying representation should be numeric or bytes but was %s", n.kind)
}
