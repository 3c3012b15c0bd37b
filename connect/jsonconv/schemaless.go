package jsonconv

import (
	"strconv"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/javafmt"
)

// EncodeSchemaless appends v as JSON with no schema, as JsonConverter writes a value whose schema
// is null (the offsets, config and status topics use it). Supported Go values: nil, bool,
// string, int, int8, int16, int32, int64, float32, float64, []byte (base64), []any, []string,
// map[string]any, map[string]string and []api.MapEntry.
//
// A Go map has no order, while the Java converter writes a java.util.HashMap in its iteration
// order, which Debezium's partition and offset maps are: map keys are therefore written in
// javafmt.DebeziumHashMapOrder, exact for Debezium's maps and for any map whose keys do not share
// a hash bucket; other keys sharing a bucket come in byte order. For the exact bytes of a map
// whose put order is known, order its keys with javafmt.HashMapOrder and pass []api.MapEntry,
// which keeps its own order (also right for maps Java keeps in insertion order, a
// LinkedHashMap) and becomes an object when every key is a string, else an array of
// [key, value] pairs.
//
// api.Struct, api.Decimal and time.Time need a schema: the Java converter rejects them here too.
func EncodeSchemaless(dst []byte, v any) ([]byte, error) {
	start := len(dst)
	dst, err := appendSchemaless(dst, v)
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// appendSchemaless writes a value whose type is inferred from its Go type.
func appendSchemaless(dst []byte, v any) ([]byte, error) {
	if out, ok := javafmt.AppendPrimitive(dst, v); ok {
		return out, nil
	}
	var err error
	switch x := v.(type) {
	case []string:
		return javafmt.AppendStrings(dst, x), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendSchemaless(dst, e); err != nil {
				return dst, withPath(err, "["+strconv.Itoa(i)+"]", true)
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		return javafmt.AppendMap(dst, x, func(dst []byte, k string, v any) ([]byte, error) {
			dst, err := appendSchemaless(dst, v)
			if err != nil {
				return dst, withPath(err, k, false)
			}
			return dst, nil
		})
	case map[string]string:
		return javafmt.AppendStringMap(dst, x), nil
	case []api.MapEntry:
		return appendSchemalessEntries(dst, x)
	case *api.Struct:
		return dst, convErr("a struct needs its schema: write it with Encode and the struct's schema (the Java converter fails with \"Mismatching schema.\")")
	}
	return dst, convErr("Go type %T has no corresponding Connect schema type; give the value a schema", v)
}

// appendSchemalessEntries writes ordered map entries: an object when all keys are strings.
func appendSchemalessEntries(dst []byte, m []api.MapEntry) ([]byte, error) {
	objectMode := true
	for _, e := range m {
		if _, ok := e.Key.(string); !ok {
			objectMode = false
			break
		}
	}
	var err error
	if objectMode {
		dst = append(dst, '{')
		for i, e := range m {
			if i > 0 {
				dst = append(dst, ',')
			}
			k := e.Key.(string)
			dst = javafmt.AppendString(dst, k)
			dst = append(dst, ':')
			if dst, err = appendSchemaless(dst, e.Value); err != nil {
				return dst, withPath(err, k, false)
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
		if dst, err = appendSchemaless(dst, e.Key); err != nil {
			return dst, withPath(err, "["+strconv.Itoa(i)+"]", true)
		}
		dst = append(dst, ',')
		if dst, err = appendSchemaless(dst, e.Value); err != nil {
			return dst, withPath(err, "["+strconv.Itoa(i)+"]", true)
		}
		dst = append(dst, ']')
	}
	return append(dst, ']'), nil
}
