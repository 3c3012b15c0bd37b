package converter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// stringConverter is Kafka's StringConverter: the value's string form in UTF-8 (the only encoding
// connectd supports; converter.encoding=UTF-8 is accepted).
type stringConverter struct{}

func newString(config map[string]string, _ bool) (Converter, error) {
	for _, k := range []string{"converter.encoding", "encoding"} {
		if enc, ok := config[k]; ok && !strings.EqualFold(strings.ReplaceAll(enc, "-", ""), "utf8") {
			return nil, fmt.Errorf("%s=%s is not supported: connectd's StringConverter writes UTF-8 only", k, enc)
		}
	}
	return stringConverter{}, nil
}

func (stringConverter) FromConnectData(_ string, _ *api.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	return []byte(javaString(value)), nil
}

// javaString formats a Connect value as Java's toString would, which is what StringConverter
// writes for non-string values.
func javaString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float32:
		return javaDouble(float64(x), 32)
	case float64:
		return javaDouble(x, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// javaDouble prints a float as Double.toString does for the common cases: "1.0", "0.5", "1.0E10".
func javaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-3 || abs >= 1e7) {
		s := strconv.FormatFloat(f, 'E', -1, bits)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		exp = strings.TrimPrefix(exp, "+")
		return mant + "E" + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// byteArrayConverter is Kafka's ByteArrayConverter: the value must already be bytes.
type byteArrayConverter struct{}

func newByteArray(map[string]string, bool) (Converter, error) { return byteArrayConverter{}, nil }

func (byteArrayConverter) FromConnectData(_ string, schema *api.Schema, value any) ([]byte, error) {
	if schema != nil && schema.Type != api.TypeBytes {
		return nil, fmt.Errorf("invalid schema type for ByteArrayConverter: %s; it only writes bytes (use JsonConverter or StringConverter for other data)", schema.Type)
	}
	switch x := value.(type) {
	case nil:
		return nil, nil
	case []byte:
		return x, nil
	}
	return nil, fmt.Errorf("ByteArrayConverter is not compatible with objects of type %T; it only writes []byte values", value)
}
