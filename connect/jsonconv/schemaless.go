package jsonconv

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/connectd/connectd/connect/api"
)

// EncodeSchemaless appends v as JSON with no schema, as JsonConverter writes a value whose schema
// is null (the offsets, config and status topics use it). Supported Go values: nil, bool,
// string, int, int8, int16, int32, int64, float32, float64, []byte (base64), []any, []string,
// map[string]any, map[string]string and []api.MapEntry.
//
// A Go map has no order, while the Java converter writes a java.util.HashMap in its iteration
// order, which Debezium's partition and offset maps are: map keys are therefore written in
// JavaHashMapOrder of the sorted keys, which is exact unless two keys share a hash bucket; for
// exact bytes then, pass JavaHashMapEntries(m, putOrder). []api.MapEntry keeps its own order (also
// right for maps Java keeps in insertion order, a LinkedHashMap) and becomes an object when every
// key is a string, else an array of [key, value] pairs.
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
	var err error
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return appendString(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float32:
		return appendJavaFloat(dst, float64(x), 32), nil
	case float64:
		return appendJavaFloat(dst, x, 64), nil
	case []byte:
		return appendBase64(dst, x), nil
	case []string:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']'), nil
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
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range JavaHashMapOrder(keys) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			if dst, err = appendSchemaless(dst, x[k]); err != nil {
				return dst, withPath(err, k, false)
			}
		}
		return append(dst, '}'), nil
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range JavaHashMapOrder(keys) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendString(dst, x[k])
		}
		return append(dst, '}'), nil
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
			dst = appendString(dst, k)
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

// JavaHashMapEntries returns m's entries in the order a java.util.HashMap iterates them when its
// keys were put in putOrder (the order the Java code calls put; Debezium's MySQL offset, for
// instance, puts server_id, gtids, file, pos, event, row, ts_sec, snapshot). Keys of m missing
// from putOrder count as put afterwards, sorted; names in putOrder missing from m are skipped.
// Encode the result with EncodeSchemaless to get the Java converter's exact bytes where two keys
// share a bucket (as event and server_id do), which a plain Go map cannot tell.
func JavaHashMapEntries(m map[string]any, putOrder []string) []api.MapEntry {
	keys := make([]string, 0, len(m))
	seen := make(map[string]bool, len(putOrder))
	for _, k := range putOrder {
		if _, ok := m[k]; ok && !seen[k] {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	rest := len(keys)
	for k := range m {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys[rest:])
	out := make([]api.MapEntry, 0, len(keys))
	for _, k := range JavaHashMapOrder(keys) {
		out = append(out, api.MapEntry{Key: k, Value: m[k]})
	}
	return out
}

// JavaHashMapOrder returns keys in the order a java.util.HashMap iterates them after they were
// put, in the given order, into a map made with new HashMap<>():
//
//   - each key's hash is String.hashCode over its UTF-16 code units, spread as h ^ (h >>> 16);
//   - the table starts at 16 buckets and doubles whenever the size exceeds 0.75 × buckets;
//   - iteration goes bucket by bucket (hash & (buckets-1)), and within a bucket in insertion
//     order, which resizes preserve.
//
// That is exact for HashMaps filled by put, except for a bucket holding 8 or more keys in a table
// of 64 or more buckets, which Java turns into a tree with a different order: with realistic key
// sets (offset maps have about ten keys) it does not happen. A map built another way (copy
// constructor, putAll into a presized map, Map.of) can iterate differently. When the insertion
// order is unknown (a Go map), pass the keys sorted: ties inside a bucket are then broken by key,
// an approximation of Java's insertion order. The input slice is not modified.
func JavaHashMapOrder(keys []string) []string {
	n := len(keys)
	buckets := 16
	for float64(n) > 0.75*float64(buckets) {
		buckets *= 2
	}
	type entry struct {
		key    string
		bucket int
		pos    int
	}
	es := make([]entry, n)
	for i, k := range keys {
		es[i] = entry{key: k, bucket: int(javaHash(k)) & (buckets - 1), pos: i}
	}
	slices.SortStableFunc(es, func(a, b entry) int { return a.bucket - b.bucket })
	out := make([]string, n)
	for i := range es {
		out[i] = es[i].key
	}
	return out
}

// javaHash is HashMap.hash(key): String.hashCode spread by h ^ (h >>> 16), as an unsigned value
// so masking gives the bucket index.
func javaHash(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			// A supplementary character is two UTF-16 code units, a surrogate pair.
			r -= 0x10000
			h = 31*h + uint32(0xD800+(r>>10))
			h = 31*h + uint32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + uint32(r)
	}
	return h ^ (h >> 16)
}
