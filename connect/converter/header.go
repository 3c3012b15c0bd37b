package converter

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/javafmt"
)

// HeaderValue returns the bytes of a header value as Kafka Connect's default header converter,
// org.apache.kafka.connect.storage.SimpleHeaderConverter, writes it: nil is a null header, and
// anything else is the UTF-8 of Values.convertToString, appended by AppendHeaderValue. Debezium's
// __debezium.oldkey and __debezium.newkey headers hold key structs, which come out as
// {"id":20}, so a consumer that reads them back with Values.parseString sees the key it expects.
func HeaderValue(_ *api.Schema, value any) []byte {
	switch x := value.(type) {
	case nil:
		return nil
	case string:
		return []byte(x)
	}
	return AppendHeaderValue(nil, value)
}

// AppendHeaderValue appends value as Kafka's Values.convertToString writes it (observed on Kafka
// 4.3.1's SimpleHeaderConverter), choosing the form by the value, as Java does, not by a schema:
//
//   - a string as it is; bytes ([]byte) as standard base64; booleans and integers as text;
//     float32 and float64 as Float.toString and Double.toString (3.14, 1.0E10, NaN); an
//     api.Decimal as BigDecimal.toString (12345.67, 1E+3, 1.234E-7);
//   - a time.Time (Kafka's Date, Time and Timestamp logical types hold java.util.Date) by its
//     milliseconds since the epoch: under one day (negative included) as HH:mm:ss.SSSZ, a whole
//     number of days as yyyy-MM-dd, anything else as yyyy-MM-ddTHH:mm:ss.SSSZ, in UTC (Java
//     formats in the worker JVM's default time zone, which Kafka Connect images leave at UTC);
//   - a struct as {"name":value,...} over all its fields in schema order, a field's default when
//     it is unset, and null for unset optional fields; a list ([]any, []string) as [a,b]; a map
//     ([]api.MapEntry in its order, map[string]any in Java HashMap order) as {k:v};
//   - inside a struct, list or map, strings and base64 are quoted with only '\' and '"'
//     backslash-escaped (other characters, control characters too, are written as they are), and
//     nil is null. This is not always valid JSON, and it is what Kafka writes.
//
// Java refuses any other type with a DataException; connectd writes it with fmt's %v instead, so
// an unusual header never fails a task.
func AppendHeaderValue(dst []byte, value any) []byte {
	return appendHeader(dst, value, false)
}

// appendHeader is Values.append: embedded is set inside structs, lists and maps, where strings
// and base64 are quoted.
func appendHeader(dst []byte, value any, embedded bool) []byte {
	switch x := value.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		if embedded {
			return appendHeaderString(dst, x)
		}
		return append(dst, x...)
	case []byte:
		if embedded {
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, x)
			return append(dst, '"')
		}
		return base64.StdEncoding.AppendEncode(dst, x)
	case bool:
		return strconv.AppendBool(dst, x)
	case int8:
		return strconv.AppendInt(dst, int64(x), 10)
	case int16:
		return strconv.AppendInt(dst, int64(x), 10)
	case int32:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case float32:
		return javafmt.AppendFloat(dst, x)
	case float64:
		return javafmt.AppendDouble(dst, x)
	case api.Decimal:
		return appendBigDecimal(dst, x)
	case time.Time:
		return appendJavaDate(dst, x)
	case *api.Struct:
		if x == nil {
			return append(dst, "null"...)
		}
		return appendHeaderStruct(dst, x)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHeader(dst, e, true)
		}
		return append(dst, ']')
	case []string:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHeaderString(dst, e)
		}
		return append(dst, ']')
	case []api.MapEntry:
		dst = append(dst, '{')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHeader(dst, e.Key, true)
			dst = append(dst, ':')
			dst = appendHeader(dst, e.Value, true)
		}
		return append(dst, '}')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		dst = append(dst, '{')
		for i, k := range javafmt.DebeziumHashMapOrder(keys) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHeaderString(dst, k)
			dst = append(dst, ':')
			dst = appendHeader(dst, x[k], true)
		}
		return append(dst, '}')
	}
	return fmt.Append(dst, value)
}

// appendHeaderStruct writes every field of the schema, as Values.append iterates
// schema.fields() and reads struct.get(field), which falls back to the field's default.
func appendHeaderStruct(dst []byte, st *api.Struct) []byte {
	dst = append(dst, '{')
	if s := st.Schema(); s != nil {
		for i := range s.Fields {
			f := &s.Fields[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHeaderString(dst, f.Name)
			dst = append(dst, ':')
			v := st.GetIndex(f.Index)
			if v == nil && f.Schema != nil && f.Schema.HasDefault {
				v = f.Schema.Default
			}
			dst = appendHeader(dst, v, true)
		}
	}
	return append(dst, '}')
}

// appendHeaderString quotes s as Values.escape does: only backslashes and double quotes are
// escaped.
func appendHeaderString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', c)
			start = i + 1
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJavaDate writes a java.util.Date as Values.dateFormatFor chooses its pattern: by the
// milliseconds since the epoch, before the date is looked at, so the epoch itself (0) and every
// time before it that is not a whole day count as a time of day.
func appendJavaDate(dst []byte, t time.Time) []byte {
	const day = 24 * 60 * 60 * 1000
	ms := t.UnixMilli()
	u := time.UnixMilli(ms).UTC()
	switch {
	case ms < day:
		return u.AppendFormat(dst, "15:04:05.000Z")
	case ms%day == 0:
		return u.AppendFormat(dst, "2006-01-02")
	}
	return u.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
}

// appendBigDecimal writes d as Java's BigDecimal.toString: plain notation when the scale is not
// negative and the adjusted exponent is at least -6 ("1.50", "0.000001"), scientific otherwise
// ("1E+3", "1.234E-7").
func appendBigDecimal(dst []byte, d api.Decimal) []byte {
	var buf [24]byte
	var digits []byte
	switch u := d.Unscaled; {
	case u == nil:
		digits = append(buf[:0], '0')
	case u.IsInt64():
		digits = strconv.AppendInt(buf[:0], u.Int64(), 10)
	default:
		digits = u.Append(buf[:0], 10)
	}
	scale := int64(d.Scale)
	adjusted := -scale + int64(len(digits)-1)
	if digits[0] == '-' {
		adjusted--
	}
	if scale >= 0 && adjusted >= -6 {
		return d.AppendPlain(dst)
	}
	if digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	dst = append(dst, digits[0])
	if len(digits) > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	if adjusted != 0 {
		dst = append(dst, 'E')
		if adjusted > 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, adjusted, 10)
	}
	return dst
}
