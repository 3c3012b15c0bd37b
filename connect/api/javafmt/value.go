package javafmt

import (
	"encoding/base64"
	"strconv"
)

// AppendPrimitive appends v as the JSON Jackson writes for the Java value that a Go value of a
// basic type stands for, as Kafka Connect's JsonConverter does without a schema:
//
//   - nil is null, a bool true or false, a string quoted by AppendString;
//   - int8, int16, int32, int and int64 (Java's Byte, Short, Integer and Long) are decimal
//     integers;
//   - float32 and float64 go through AppendJacksonFloat and AppendJacksonDouble;
//   - []byte (byte[]) goes through AppendBinary.
//
// For any other type it appends nothing and reports false: unsigned integers, which Java has no
// type for, and maps and lists are for the caller to write or refuse.
func AppendPrimitive(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case string:
		return AppendString(dst, x), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), true
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), true
	case float64:
		return AppendJacksonDouble(dst, x), true
	case float32:
		return AppendJacksonFloat(dst, x), true
	case []byte:
		return AppendBinary(dst, x), true
	}
	return dst, false
}

// AppendBinary appends b as Jackson writes a byte[] (a BinaryNode): a JSON string of standard
// base64 with padding and no line breaks, Jackson's default variant (MIME_NO_LINEFEEDS).
func AppendBinary(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// AppendStrings appends ss as a compact JSON array of strings, each quoted by AppendString.
func AppendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, s)
	}
	return append(dst, ']')
}
