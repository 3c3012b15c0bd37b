package mysql

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// valueModes are the Debezium settings that choose how column values are represented.
type valueModes struct {
	Decimal        envelope.DecimalMode
	Time           envelope.TimePrecisionMode
	Binary         envelope.BinaryMode
	BigintUnsigned envelope.BigintUnsignedMode
}

// columnMapping returns how a column's raw values (from the binlog decoder or the snapshot's text
// protocol) become Connect values, following Debezium's BinlogValueConverters.
func columnMapping(c *relational.Column, m valueModes) envelope.Column {
	typ, unsigned := baseType(c)
	length := -1
	if c.Length.Valid {
		length = c.Length.V
	}
	scale := 0
	if c.Scale.Valid {
		scale = c.Scale.V
	}
	col := envelope.Column{Name: c.Name}
	switch typ {
	case "BIT":
		if length <= 1 {
			col.Schema, col.Convert = api.BooleanSchema, convertBool
		} else {
			n := (length + 7) / 8
			col.Schema = api.BitsSchema(length).Build()
			col.Convert = func(raw any) (any, error) { return convertBits(raw, n) }
		}
	case "TINYINT":
		col.Schema, col.Convert = api.Int16Schema, intConverter(8, unsigned, 16)
	case "SMALLINT":
		if unsigned {
			col.Schema, col.Convert = api.Int32Schema, intConverter(16, true, 32)
		} else {
			col.Schema, col.Convert = api.Int16Schema, intConverter(16, false, 16)
		}
	case "MEDIUMINT":
		col.Schema, col.Convert = api.Int32Schema, intConverter(24, unsigned, 32)
	case "INT", "YEAR":
		if typ == "YEAR" {
			col.Schema = api.YearSchema().Build()
			col.Convert = convertYear
			break
		}
		if unsigned {
			col.Schema, col.Convert = api.Int64Schema, intConverter(32, true, 64)
		} else {
			col.Schema, col.Convert = api.Int32Schema, intConverter(32, false, 32)
		}
	case "BIGINT":
		switch {
		case unsigned && m.BigintUnsigned == envelope.BigintPrecise:
			col.Schema = api.DecimalSchema(0, 20).Build()
			col.Convert = convertUnsignedBigDecimal
		default:
			col.Schema, col.Convert = api.Int64Schema, intConverter(64, unsigned, 64)
		}
	case "FLOAT":
		if length > 24 && !c.Scale.Valid {
			// FLOAT(p) with p > 24 is a DOUBLE column on the server: a double, read as one.
			col.Schema, col.Convert = api.Float64Schema, convertFloat
			break
		}
		if c.Scale.Valid {
			// FLOAT(M,D) is a double in Debezium (BinlogValueConverters: float32 only without a
			// scale and with a length of at most 24), but the column stays single precision:
			// the binlog's float32 is widened as Java's Float.doubleValue does, and so is the
			// text the snapshot reads.
			col.Schema, col.Convert = api.Float64Schema, convertFloatAsDouble
			break
		}
		// FLOAT is single precision: Debezium's MariaDB connector gives it a float32 schema.
		col.Schema = api.Float32Schema
		col.Convert = func(raw any) (any, error) {
			if f, ok := raw.(float32); ok {
				return f, nil
			}
			f, err := convertFloat(raw)
			if err != nil {
				return nil, err
			}
			return float32(f.(float64)), nil
		}
	case "DOUBLE":
		col.Schema, col.Convert = api.Float64Schema, convertFloat
	case "DECIMAL":
		switch m.Decimal {
		case envelope.DecimalDouble:
			col.Schema, col.Convert = api.Float64Schema, convertFloat
		case envelope.DecimalString:
			col.Schema, col.Convert = api.StringSchema, convertDecimalString
		default:
			col.Schema = api.DecimalSchema(scale, length).Build()
			sc := int32(scale)
			col.Convert = func(raw any) (any, error) { return convertDecimal(raw, sc) }
		}
	case "DATE":
		if m.Time == envelope.TimeConnect {
			col.Schema = api.DateSchema().Build()
			col.Convert = func(raw any) (any, error) {
				d, err := convertDate(raw)
				if err != nil || d == nil {
					return nil, err
				}
				return api.DateValue(d.(int32)), nil
			}
		} else {
			col.Schema, col.Convert = api.DebeziumDateSchema().Build(), convertDate
		}
	case "TIME":
		if m.Time == envelope.TimeConnect {
			col.Schema = api.TimeSchema().Build()
			col.Convert = func(raw any) (any, error) {
				us, err := convertTime(raw)
				if err != nil || us == nil {
					return nil, err
				}
				ms := us.(int64) / 1000
				// Kafka Connect's Time holds milliseconds within one day; MySQL's TIME range
				// (-838:59:59 to 838:59:59) does not fit it, as in Debezium's connect mode.
				if ms < 0 || ms >= 86_400_000 {
					return nil, fmt.Errorf("TIME value %v is outside one day, which time.precision.mode=connect cannot represent: use adaptive_time_microseconds", raw)
				}
				return api.TimeValue(int32(ms)), nil
			}
		} else {
			col.Schema, col.Convert = api.MicroTimeSchema().Build(), convertTime
		}
	case "DATETIME":
		switch {
		case m.Time == envelope.TimeConnect:
			col.Schema = api.TimestampSchema().Build()
			col.Convert = func(raw any) (any, error) {
				us, err := convertDatetimeMicros(raw)
				if err != nil || us == nil {
					return nil, err
				}
				return time.UnixMicro(envelope.FloorDiv(us.(int64), 1000) * 1000).UTC(), nil
			}
		case length <= 3:
			col.Schema = api.DebeziumTimestampSchema().Build()
			col.Convert = func(raw any) (any, error) {
				us, err := convertDatetimeMicros(raw)
				if err != nil || us == nil {
					return nil, err
				}
				return envelope.FloorDiv(us.(int64), 1000), nil
			}
		default:
			col.Schema, col.Convert = api.MicroTimestampSchema().Build(), convertDatetimeMicros
		}
	case "TIMESTAMP":
		fsp := max(length, 0)
		col.Schema = api.ZonedTimestampSchema().Build()
		col.Convert = func(raw any) (any, error) { return convertZonedTimestamp(raw, fsp) }
	case "UUID":
		col.Schema, col.Convert = api.UUIDSchema().Build(), convertMariaDBBinaryText(typ)
	case "INET4", "INET6":
		col.Schema, col.Convert = api.StringSchema, convertMariaDBBinaryText(typ)
	case "CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT":
		dec := charsetDecoder(c.CharsetName)
		col.Schema = api.StringSchema
		col.Convert = func(raw any) (any, error) { return convertString(raw, dec) }
	case "JSON":
		col.Schema = api.JSONSchema().Build()
		col.Convert = func(raw any) (any, error) { return convertString(raw, nil) }
	case "ENUM":
		values := enumValues(c)
		col.Schema = api.EnumSchema(escapeEnumAllowed(values)).Build()
		col.Convert = func(raw any) (any, error) { return convertEnum(raw, values) }
	case "SET":
		values := enumValues(c)
		col.Schema = api.EnumSetSchema(escapeEnumAllowed(values)).Build()
		col.Convert = func(raw any) (any, error) { return convertSet(raw, values) }
	case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
		pad := 0
		if typ == "BINARY" && length > 0 {
			pad = length
		}
		col.Schema, col.Convert = binaryMapping(m.Binary, pad)
	case "POINT":
		// Debezium's Point builder is optional, like Geometry's.
		s := api.PointSchema().Optional().Build()
		col.Schema = s
		col.Convert = func(raw any) (any, error) { return convertPoint(raw, s) }
	case "GEOMETRY", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
		"GEOMETRYCOLLECTION", "GEOMCOLLECTION":
		s := api.GeometrySchema().Build()
		col.Schema = s
		col.Convert = func(raw any) (any, error) { return convertGeometry(raw, s) }
	default:
		// A type without a mapping is left out of the row, as Debezium drops columns its
		// converters do not know.
		col.Schema = nil
	}
	plain := col.Convert
	if col.Schema != nil && !c.Optional && isTemporal(typ) {
		col.Convert = zeroFallback(plain, epochValue(col.Schema))
	}
	if col.Schema != nil && c.HasDefaultValue && c.DefaultValueExpression.Valid {
		if d, ok := defaultValue(typ, c, col); ok {
			col.Default = d
		}
	}
	if col.Default != nil && !c.Optional && isTemporal(typ) {
		// A zero date in a NOT NULL column with a DEFAULT becomes the default, not the epoch.
		col.Convert = zeroFallback(plain, col.Default)
	}
	return col
}

// defaultValue converts a column's literal DEFAULT into a value of its schema, as Debezium's
// default value converter does; expressions the server evaluates give no default, except the
// CURRENT_TIMESTAMP of a NOT NULL TIMESTAMP, for which Debezium uses the epoch.
func defaultValue(typ string, c *relational.Column, col envelope.Column) (any, bool) {
	expr := c.DefaultValueExpression.V
	lower := strings.ToLower(expr)
	if strings.HasPrefix(lower, "current_timestamp") || strings.HasPrefix(lower, "now(") || strings.HasPrefix(lower, "localtime") {
		if typ == "TIMESTAMP" && !c.Optional {
			v, err := col.Convert(time.Unix(0, 0))
			return v, err == nil
		}
		return nil, false
	}
	var raw any = expr
	switch typ {
	case "BIT":
		if strings.HasPrefix(lower, "b'") {
			n, err := strconv.ParseUint(strings.Trim(expr[1:], "'"), 2, 64)
			if err != nil {
				return nil, false
			}
			raw = int64(n)
		}
	case "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
		raw = []byte(expr)
	}
	if strings.ContainsAny(expr, "()") && typ != "CHAR" && typ != "VARCHAR" && !strings.HasSuffix(typ, "TEXT") {
		return nil, false
	}
	v, err := col.Convert(raw)
	if err != nil || v == nil {
		return nil, false
	}
	return v, true
}

func isTemporal(typ string) bool {
	switch typ {
	case "DATE", "TIME", "DATETIME", "TIMESTAMP":
		return true
	}
	return false
}

// zeroFallback wraps the converter of a NOT NULL temporal column so that a zero or partial-zero
// date (which reads as nothing) becomes what Debezium's JdbcValueConverters fall back to for a
// required field: the column's default when it has one, otherwise the epoch of the field's type.
// Converting the column's own DEFAULT runs through the epoch fallback, so a zero DEFAULT is the
// epoch, as Debezium's default value converter makes it.
func zeroFallback(conv func(any) (any, error), fallback any) func(any) (any, error) {
	return func(raw any) (any, error) {
		v, err := conv(raw)
		if err != nil || v != nil {
			return v, err
		}
		return fallback, nil
	}
}

// epochValue is the zero of a temporal field schema: 0 days, microseconds or milliseconds, the
// epoch instant, or the epoch as an ISO string for io.debezium.time.ZonedTimestamp.
func epochValue(s *api.Schema) any {
	switch s.Name {
	case api.DateName, api.TimeName, api.TimestampName:
		return time.Unix(0, 0).UTC()
	}
	switch s.Type {
	case api.TypeInt32:
		return int32(0)
	case api.TypeInt64:
		return int64(0)
	case api.TypeString:
		return "1970-01-01T00:00:00Z"
	}
	return nil
}

// errValue is returned for a raw value the column's mapping cannot read.
func errValue(what string, raw any) error {
	return fmt.Errorf("cannot convert %T %v to %s", raw, raw, what)
}

// asInt64 reads a raw integer of any width.
func asInt64(raw any) (int64, bool) {
	switch v := raw.(type) {
	case int64:
		return v, true
	case int32:
		return int64(v), true
	case int16:
		return int64(v), true
	case int8:
		return int64(v), true
	case int:
		return int64(v), true
	case uint64:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint8:
		return int64(v), true
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			u, err2 := strconv.ParseUint(v, 10, 64)
			if err2 != nil {
				return 0, false
			}
			return int64(u), true
		}
		return n, true
	case []byte:
		return asInt64(string(v))
	case float64:
		return int64(v), true
	}
	return 0, false
}

// intConverter returns a converter for an integer column of bits width to a Connect integer of
// out bits. Unsigned values the decoder read as signed (it did not know the column's
// signedness) are reinterpreted in the column's width.
func intConverter(bits int, unsigned bool, out int) func(any) (any, error) {
	return func(raw any) (any, error) {
		n, ok := asInt64(raw)
		if !ok {
			return nil, errValue("an integer", raw)
		}
		if unsigned && n < 0 && bits < 64 {
			n &= (int64(1) << bits) - 1
		}
		// A raw value of the output type and value is returned as it is: boxing it again
		// would allocate for every integer column of every row.
		switch out {
		case 16:
			if v, ok := raw.(int16); ok && int64(v) == n {
				return raw, nil
			}
			return int16(n), nil
		case 32:
			if v, ok := raw.(int32); ok && int64(v) == n {
				return raw, nil
			}
			return int32(n), nil
		}
		if v, ok := raw.(int64); ok && v == n {
			return raw, nil
		}
		return n, nil
	}
}

func convertBool(raw any) (any, error) {
	switch v := raw.(type) {
	case []byte:
		for _, b := range v {
			if b != 0 {
				return true, nil
			}
		}
		return false, nil
	case string:
		if len(v) == 1 && (v[0] == 0 || v[0] == 1) {
			return v[0] == 1, nil
		}
		return v == "1" || strings.EqualFold(v, "true"), nil
	case bool:
		return v, nil
	}
	n, ok := asInt64(raw)
	if !ok {
		return nil, errValue("a boolean", raw)
	}
	return n != 0, nil
}

// convertBits returns a BIT(n) value as Debezium's Bits: little-endian bytes, n/8 rounded up.
func convertBits(raw any, n int) (any, error) {
	out := make([]byte, n)
	switch v := raw.(type) {
	case []byte:
		// The text protocol sends BIT values big-endian.
		for i := 0; i < n && i < len(v); i++ {
			out[i] = v[len(v)-1-i]
		}
		return out, nil
	case string:
		return convertBits([]byte(v), n)
	}
	u, ok := asInt64(raw)
	if !ok {
		return nil, errValue("bits", raw)
	}
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(u))
	copy(out, buf[:])
	return out, nil
}

func convertUnsignedBigDecimal(raw any) (any, error) {
	var u uint64
	switch v := raw.(type) {
	case uint64:
		u = v
	case string:
		var err error
		if u, err = strconv.ParseUint(v, 10, 64); err != nil {
			return nil, errValue("an unsigned bigint", raw)
		}
	default:
		n, ok := asInt64(raw)
		if !ok {
			return nil, errValue("an unsigned bigint", raw)
		}
		u = uint64(n)
	}
	return api.Decimal{Unscaled: new(big.Int).SetUint64(u), Scale: 0}, nil
}

// convertFloatAsDouble reads a single-precision value into a double the way Java widens a
// Float: a text value is first rounded to float32.
func convertFloatAsDouble(raw any) (any, error) {
	switch v := raw.(type) {
	case float32:
		return float64(v), nil
	case float64:
		return float64(float32(v)), nil
	case string, []byte, textValue:
		s, _ := rawText(raw)
		if tv, ok := raw.(textValue); ok {
			s = string(tv)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
		if err != nil {
			return nil, errValue("a float", raw)
		}
		return float64(float32(f)), nil
	}
	f, err := convertFloat(raw)
	if err != nil {
		return nil, err
	}
	return float64(float32(f.(float64))), nil
}

func convertFloat(raw any) (any, error) {
	switch v := raw.(type) {
	case float64:
		return v, nil
	case float32:
		return float64(v), nil
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, errValue("a float", raw)
		}
		return f, nil
	case []byte:
		return convertFloat(string(v))
	}
	n, ok := asInt64(raw)
	if !ok {
		return nil, errValue("a float", raw)
	}
	return float64(n), nil
}

func decimalText(raw any) (string, bool) {
	switch v := raw.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	case fmt.Stringer:
		return v.String(), true
	}
	return "", false
}

// convertDecimal reads a decimal with the column's scale, so 1.5 in DECIMAL(10,2) is 1.50.
func convertDecimal(raw any, scale int32) (any, error) {
	s, ok := decimalText(raw)
	if !ok {
		if n, ok := asInt64(raw); ok {
			s = strconv.FormatInt(n, 10)
		} else {
			return nil, errValue("a decimal", raw)
		}
	}
	d, err := api.ParseDecimal(s)
	if err != nil {
		return nil, err
	}
	if d.Scale < scale {
		// MySQL's decimals have at most 65 digits: a value needing more padding than that is
		// not one (an exponent the server never writes), and would make the padding huge.
		if int64(scale)-int64(d.Scale) > 130 {
			return nil, errValue("a decimal", raw)
		}
		d.Unscaled = new(big.Int).Mul(d.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil))
		d.Scale = scale
	}
	return d, nil
}

func convertDecimalString(raw any) (any, error) {
	s, ok := decimalText(raw)
	if !ok {
		return nil, errValue("a decimal", raw)
	}
	return s, nil
}

// parseDigits reads a run of ASCII digits as an int.
func parseDigits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseDate reads YYYY-MM-DD.
func parseDate(s string) (y, m, d int, ok bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	y, ok1 := parseDigits(s[0:4])
	m, ok2 := parseDigits(s[5:7])
	d, ok3 := parseDigits(s[8:10])
	return y, m, d, ok1 && ok2 && ok3
}

func rawText(raw any) (string, bool) {
	switch v := raw.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// convertDate returns days since the epoch; MySQL's zero date becomes nil (null), as in Debezium.
func convertDate(raw any) (any, error) {
	if t, ok := raw.(time.Time); ok {
		return int32(envelope.EpochDay(t.Year(), t.Month(), t.Day())), nil
	}
	s, ok := rawText(raw)
	if !ok {
		return nil, errValue("a date", raw)
	}
	y, m, d, ok := parseDate(s)
	if !ok {
		return nil, errValue("a date", raw)
	}
	if y == 0 || m == 0 || d == 0 {
		return nil, nil
	}
	return int32(envelope.EpochDay(y, time.Month(m), d)), nil
}

// parseFraction reads the digits after a decimal point as microseconds.
func parseFraction(s string) int64 {
	var us int64
	for i := 0; i < 6; i++ {
		us *= 10
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			us += int64(s[i] - '0')
		}
	}
	return us
}

// convertTime reads [-]HHH:MM:SS[.ffffff] as microseconds (MySQL TIME is a duration that may be
// negative or exceed a day).
func convertTime(raw any) (any, error) {
	if d, ok := raw.(time.Duration); ok {
		return d.Microseconds(), nil
	}
	s, ok := rawText(raw)
	if !ok {
		return nil, errValue("a time", raw)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	frac := int64(0)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac = parseFraction(s[i+1:])
		s = s[:i]
	}
	parts := strings.Split(s, ":")
	// MySQL's TIME has at most 838 hours; more digits than that could only overflow.
	if len(parts) != 3 || len(parts[0]) > 4 || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return nil, errValue("a time", raw)
	}
	h, ok1 := parseDigits(parts[0])
	mi, ok2 := parseDigits(parts[1])
	se, ok3 := parseDigits(parts[2])
	if !ok1 || !ok2 || !ok3 {
		return nil, errValue("a time", raw)
	}
	us := (int64(h)*3600+int64(mi)*60+int64(se))*1_000_000 + frac
	if neg {
		us = -us
	}
	return us, nil
}

// parseDatetime reads YYYY-MM-DD[ HH:MM:SS[.ffffff]] as microseconds since the epoch of that
// wall-clock time in UTC; zero reports MySQL's zero date.
func parseDatetime(s string) (us int64, zero bool, ok bool) {
	y, m, d, ok := parseDate(s)
	if !ok {
		return 0, false, false
	}
	if y == 0 || m == 0 || d == 0 {
		return 0, true, true
	}
	var hh, mm, ss int
	var frac int64
	if len(s) >= 19 {
		var ok1, ok2, ok3 bool
		hh, ok1 = parseDigits(s[11:13])
		mm, ok2 = parseDigits(s[14:16])
		ss, ok3 = parseDigits(s[17:19])
		if !ok1 || !ok2 || !ok3 {
			return 0, false, false
		}
		if len(s) > 20 && s[19] == '.' {
			frac = parseFraction(s[20:])
		}
	}
	days := envelope.EpochDay(y, time.Month(m), d)
	return (days*86400+int64(hh)*3600+int64(mm)*60+int64(ss))*1_000_000 + frac, false, true
}

// convertDatetimeMicros returns a DATETIME as microseconds since the epoch, reading its wall
// clock as UTC (Debezium's treatment of DATETIME, which has no time zone).
func convertDatetimeMicros(raw any) (any, error) {
	if t, ok := raw.(time.Time); ok {
		// The binlog decoder builds DATETIME values in UTC.
		return t.UnixMicro(), nil
	}
	s, ok := rawText(raw)
	if !ok {
		return nil, errValue("a datetime", raw)
	}
	us, zero, ok := parseDatetime(s)
	if !ok {
		return nil, errValue("a datetime", raw)
	}
	if zero {
		return nil, nil
	}
	return us, nil
}

// convertZonedTimestamp formats a TIMESTAMP as io.debezium.time.ZonedTimestamp: ISO-8601 in UTC
// with as many fraction digits as the column's precision.
func convertZonedTimestamp(raw any, fsp int) (any, error) {
	// The two paths format differently, as Debezium does: a binlog value (time.Time, or the
	// decoder's zero-date string) has exactly the column's fraction digits and the zero
	// timestamp is the epoch; a snapshot value (text bytes) has the fraction without trailing
	// zeros, like Java's ISO formatter, and the zero timestamp is null.
	var t time.Time
	trim := false
	switch v := raw.(type) {
	case time.Time:
		t = v.UTC()
	case string:
		if us, zero, ok := parseDatetime(v); ok && !zero {
			t = time.UnixMicro(us).UTC()
		} else {
			t = time.Unix(0, 0).UTC()
		}
	default:
		s, ok := rawText(raw)
		if !ok {
			return nil, errValue("a timestamp", raw)
		}
		// The snapshot session runs with time_zone='+00:00', so text timestamps are UTC.
		us, zero, ok := parseDatetime(s)
		if !ok {
			return nil, errValue("a timestamp", raw)
		}
		if zero {
			return nil, nil
		}
		t = time.UnixMicro(us).UTC()
		trim = true
	}
	b := make([]byte, 0, 32)
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	frac := strconv.FormatInt(int64(t.Nanosecond()/1000)+1_000_000, 10)[1:]
	if trim {
		frac = strings.TrimRight(frac, "0")
	} else {
		frac = frac[:min(fsp, 6)]
	}
	if frac != "" {
		b = append(b, '.')
		b = append(b, frac...)
	}
	b = append(b, 'Z')
	return string(b), nil
}

// charsetDecoder returns the decoder for a column charset whose bytes are not UTF-8, or nil.
func charsetDecoder(cs string) *encoding.Decoder {
	switch strings.ToLower(cs) {
	case "latin1":
		return charmap.Windows1252.NewDecoder()
	case "latin2":
		return charmap.ISO8859_2.NewDecoder()
	case "cp1250":
		return charmap.Windows1250.NewDecoder()
	case "cp1251":
		return charmap.Windows1251.NewDecoder()
	case "cp1256":
		return charmap.Windows1256.NewDecoder()
	case "cp1257":
		return charmap.Windows1257.NewDecoder()
	case "greek":
		return charmap.ISO8859_7.NewDecoder()
	case "hebrew":
		return charmap.ISO8859_8.NewDecoder()
	case "koi8r":
		return charmap.KOI8R.NewDecoder()
	case "koi8u":
		return charmap.KOI8U.NewDecoder()
	case "cp850":
		return charmap.CodePage850.NewDecoder()
	case "cp866":
		return charmap.CodePage866.NewDecoder()
	case "ucs2", "utf16":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
	case "utf16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
	}
	return nil
}

// convertString returns a character value as a Go string. Binlog values arrive in the column's
// charset (dec decodes them); snapshot values arrive in the session charset, utf8mb4, as a
// textValue, so they are not decoded twice.
func convertString(raw any, dec *encoding.Decoder) (any, error) {
	switch v := raw.(type) {
	case string:
		if dec != nil {
			out, err := dec.String(v)
			if err != nil {
				return nil, err
			}
			return out, nil
		}
		return strings.Clone(v), nil
	case []byte:
		if dec != nil {
			out, err := dec.Bytes(v)
			if err != nil {
				return nil, err
			}
			return string(out), nil
		}
		return string(v), nil
	case textValue:
		return string(v), nil
	}
	return fmt.Sprint(raw), nil
}

// textValue is a character value already decoded to UTF-8 (the snapshot's session charset).
type textValue string

func convertEnum(raw any, values []string) (any, error) {
	if s, ok := rawText(raw); ok {
		return s, nil
	}
	if s, ok := raw.(textValue); ok {
		return string(s), nil
	}
	n, ok := asInt64(raw)
	if !ok {
		return nil, errValue("an enum", raw)
	}
	if n <= 0 || int(n) > len(values) {
		return "", nil
	}
	return values[n-1], nil
}

func convertSet(raw any, values []string) (any, error) {
	if s, ok := rawText(raw); ok {
		return s, nil
	}
	if s, ok := raw.(textValue); ok {
		return string(s), nil
	}
	n, ok := asInt64(raw)
	if !ok {
		return nil, errValue("a set", raw)
	}
	var b strings.Builder
	for i, v := range values {
		if i < 64 && n&(1<<uint(i)) != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(v)
		}
	}
	return b.String(), nil
}

// eventBytes is a large binary value of a binlog rows event, which binaryMapping keeps instead of
// copying: go-mysql reads every event into a buffer of its own and never reuses it, so the
// value can refer to the event. Copying a 10 MB blob would hold it twice (the event and the
// copy) while the record waits for room in the queue, and such an event is mostly this value.
type eventBytes []byte

// shareBlobBytes is the size from which a binlog binary value is an eventBytes. Smaller ones are
// copied, so that one record does not keep a rows event of many rows alive.
const shareBlobBytes = 256 << 10

// shareLargeBlobs marks the large values of binary columns in rows as eventBytes. Only a rows event
// of at least shareBlobBytes can hold one, so the caller skips the others.
func shareLargeBlobs(tbl *relational.Table, rows [][]any) {
	if tbl == nil {
		return
	}
	for _, row := range rows {
		if len(row) != len(tbl.Columns) {
			continue // reported by the caller
		}
		for j, v := range row {
			b, ok := v.([]byte)
			if !ok || len(b) < shareBlobBytes {
				continue
			}
			switch typ, _ := baseType(&tbl.Columns[j]); typ {
			case "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB":
				row[j] = eventBytes(b)
			}
		}
	}
}

// binaryMapping returns the schema and converter of a binary column under binary.handling.mode.
// pad is BINARY(n)'s length: the binlog drops its trailing zero bytes, which MySQL returns.
func binaryMapping(m envelope.BinaryMode, pad int) (*api.Schema, func(any) (any, error)) {
	toBytes := func(raw any) ([]byte, error) {
		var b []byte
		switch v := raw.(type) {
		case []byte:
			// The snapshot's reader overwrites these bytes with the next row's.
			b = append([]byte(nil), v...)
		case eventBytes:
			b = v[:len(v):len(v)]
		case string:
			b = []byte(v)
		case textValue:
			b = []byte(v)
		default:
			return nil, errValue("bytes", raw)
		}
		if pad > 0 && len(b) < pad {
			b = append(b, make([]byte, pad-len(b))...)
		}
		return b, nil
	}
	if m == 0 {
		m = envelope.BinaryBytes // a zero valueModes means Debezium's defaults
	}
	schema := api.BytesSchema
	if m != envelope.BinaryBytes {
		schema = api.StringSchema
	}
	return schema, func(raw any) (any, error) {
		b, err := toBytes(raw)
		if err != nil {
			return nil, err
		}
		return envelope.BinaryFieldValue(m, b), nil
	}
}

// convertGeometry splits MySQL's internal geometry format (4-byte little-endian SRID, then WKB)
// into Debezium's Geometry struct.
func convertGeometry(raw any, s *api.Schema) (any, error) {
	var b []byte
	switch v := raw.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return nil, errValue("a geometry", raw)
	}
	if len(b) < 4 {
		return nil, errValue("a geometry", raw)
	}
	st := api.NewStruct(s)
	st.PutIndex(0, append([]byte(nil), b[4:]...))
	srid := int32(binary.LittleEndian.Uint32(b[:4]))
	if srid != 0 {
		st.PutIndex(1, srid)
	} else {
		st.PutIndex(1, nil)
	}
	return st, nil
}

// convertYear reads a YEAR. The binlog decoder gives an int and reads the zero year as 0, which
// Debezium reports as 1900 (its decoder adds 1900 to the stored byte); the snapshot's text
// protocol gives an int64.
func convertYear(raw any) (any, error) {
	if n, ok := raw.(int); ok && n == 0 {
		return int32(1900), nil
	}
	n, ok := asInt64(raw)
	if !ok {
		return nil, errValue("a year", raw)
	}
	return int32(n), nil
}

// convertPoint reads a POINT (SRID, then WKB) as Debezium's Point struct {x, y, wkb, srid}.
func convertPoint(raw any, s *api.Schema) (any, error) {
	var b []byte
	switch v := raw.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return nil, errValue("a point", raw)
	}
	if len(b) < 4+21 {
		return nil, errValue("a point", raw)
	}
	wkb := b[4:]
	var order binary.ByteOrder = binary.LittleEndian
	if wkb[0] == 0 {
		order = binary.BigEndian
	}
	st := api.NewStruct(s)
	st.PutIndex(0, math.Float64frombits(order.Uint64(wkb[5:13])))
	st.PutIndex(1, math.Float64frombits(order.Uint64(wkb[13:21])))
	st.PutIndex(2, append([]byte(nil), wkb...))
	if srid := int32(binary.LittleEndian.Uint32(b[:4])); srid != 0 {
		st.PutIndex(3, srid)
	} else {
		st.PutIndex(3, nil)
	}
	return st, nil
}
