package envelope

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// parseMode matches s case-insensitively against names (index = mode); empty gives def.
func parseMode(prop, s string, names []string, def int) (int, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return def, nil
	}
	for i, n := range names {
		if n != "" && strings.EqualFold(n, t) {
			return i, nil
		}
	}
	valid := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			valid = append(valid, n)
		}
	}
	return 0, fmt.Errorf("%s=%q is not supported; use one of %s", prop, s, strings.Join(valid, ", "))
}

// ---- decimal.handling.mode ----

// DecimalMode is decimal.handling.mode.
type DecimalMode uint8

// The decimal handling modes.
const (
	// DecimalPrecise writes Kafka's Decimal (bytes, scale and connect.decimal.precision params).
	DecimalPrecise DecimalMode = iota + 1
	// DecimalDouble writes float64, losing precision.
	DecimalDouble
	// DecimalString writes the plain decimal string ("1234.50").
	DecimalString
)

var decimalModeNames = []string{DecimalPrecise: "precise", DecimalDouble: "double", DecimalString: "string"}

// String returns the mode's configuration value.
func (m DecimalMode) String() string { return modeName(decimalModeNames, int(m)) }

func modeName(names []string, i int) string {
	if i > 0 && i < len(names) {
		return names[i]
	}
	return "unknown(" + strconv.Itoa(i) + ")"
}

// ParseDecimalMode reads decimal.handling.mode (case-insensitive; empty is precise).
func ParseDecimalMode(s string) (DecimalMode, error) {
	i, err := parseMode("decimal.handling.mode", s, decimalModeNames, int(DecimalPrecise))
	return DecimalMode(i), err
}

// DecimalModeNames lists decimal.handling.mode's values.
func DecimalModeNames() []string { return []string{"precise", "double", "string"} }

// DecimalFieldSchema starts the schema of a DECIMAL(precision, scale) column, as Debezium's
// SpecialValueDecimal.builder: Kafka Decimal with params scale and connect.decimal.precision,
// float64, or string.
func DecimalFieldSchema(mode DecimalMode, precision, scale int) *api.SchemaBuilder {
	switch mode {
	case DecimalDouble:
		return api.NewSchema(api.TypeFloat64)
	case DecimalString:
		return api.NewSchema(api.TypeString)
	}
	return api.DecimalSchema(scale, precision)
}

// DecimalFieldValue converts d for a column declared with scale: in precise mode d is brought to
// the column's scale (Kafka's Decimal requires the value's scale to equal the schema's); an exact
// rescale is always possible upwards, and downwards only when the dropped digits are zeros.
func DecimalFieldValue(mode DecimalMode, d api.Decimal, scale int) (any, error) {
	switch mode {
	case DecimalDouble:
		return DecimalToFloat64(d), nil
	case DecimalString:
		return d.String(), nil
	}
	return Rescale(d, int32(scale))
}

// DecimalToFloat64 returns the float64 nearest to d, as BigDecimal.doubleValue.
func DecimalToFloat64(d api.Decimal) float64 {
	// ParseFloat rounds correctly; out of range it returns ±Inf with an error, as doubleValue
	// returns ±Infinity, so the error carries nothing more.
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

var bigTen = big.NewInt(10)

// Rescale returns d with the given scale without changing its value; it fails when that would
// drop non-zero digits (Java's setScale without rounding throws the same way).
func Rescale(d api.Decimal, scale int32) (api.Decimal, error) {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	switch {
	case d.Scale == scale:
		return api.Decimal{Unscaled: u, Scale: scale}, nil
	case d.Scale < scale:
		m := new(big.Int).Exp(bigTen, big.NewInt(int64(scale-d.Scale)), nil)
		return api.Decimal{Unscaled: m.Mul(m, u), Scale: scale}, nil
	}
	m := new(big.Int).Exp(bigTen, big.NewInt(int64(d.Scale-scale)), nil)
	q, r := new(big.Int).QuoRem(u, m, new(big.Int))
	if r.Sign() != 0 {
		return api.Decimal{}, fmt.Errorf("decimal %s has more than %d digits after the point; its column's declared scale cannot hold it", d, scale)
	}
	return api.Decimal{Unscaled: q, Scale: scale}, nil
}

// VariableDecimalFieldSchema starts the schema of a decimal column without a fixed scale
// (PostgreSQL NUMERIC): io.debezium.data.VariableScaleDecimal in precise mode.
func VariableDecimalFieldSchema(mode DecimalMode) *api.SchemaBuilder {
	switch mode {
	case DecimalDouble:
		return api.NewSchema(api.TypeFloat64)
	case DecimalString:
		return api.NewSchema(api.TypeString)
	}
	return api.VariableScaleDecimalSchema()
}

// VariableDecimalFieldValue converts d for a field built by VariableDecimalFieldSchema (schema
// is that field's built schema, needed for the struct in precise mode).
func VariableDecimalFieldValue(mode DecimalMode, schema *api.Schema, d api.Decimal) any {
	switch mode {
	case DecimalDouble:
		return DecimalToFloat64(d)
	case DecimalString:
		return d.String()
	}
	return api.VariableScaleDecimalValue(schema, d)
}

// ---- bigint.unsigned.handling.mode ----

// BigintUnsignedMode is MySQL's bigint.unsigned.handling.mode.
type BigintUnsignedMode uint8

// The BIGINT UNSIGNED handling modes.
const (
	// BigintLong writes int64; values above 2^63-1 wrap to negative numbers, as Debezium's long.
	BigintLong BigintUnsignedMode = iota + 1
	// BigintPrecise writes Kafka's Decimal with scale 0 and precision 20.
	BigintPrecise
)

var bigintModeNames = []string{BigintLong: "long", BigintPrecise: "precise"}

// String returns the mode's configuration value.
func (m BigintUnsignedMode) String() string { return modeName(bigintModeNames, int(m)) }

// ParseBigintUnsignedMode reads bigint.unsigned.handling.mode (empty is long).
func ParseBigintUnsignedMode(s string) (BigintUnsignedMode, error) {
	i, err := parseMode("bigint.unsigned.handling.mode", s, bigintModeNames, int(BigintLong))
	return BigintUnsignedMode(i), err
}

// BigintUnsignedFieldSchema starts the schema of a BIGINT UNSIGNED column.
func BigintUnsignedFieldSchema(mode BigintUnsignedMode) *api.SchemaBuilder {
	if mode == BigintPrecise {
		return api.DecimalSchema(0, 20)
	}
	return api.NewSchema(api.TypeInt64)
}

// BigintUnsignedFieldValue converts a BIGINT UNSIGNED value.
func BigintUnsignedFieldValue(mode BigintUnsignedMode, v uint64) any {
	if mode == BigintPrecise {
		return api.Decimal{Unscaled: new(big.Int).SetUint64(v), Scale: 0}
	}
	return int64(v)
}

// ---- binary.handling.mode ----

// BinaryMode is binary.handling.mode.
type BinaryMode uint8

// The binary handling modes.
const (
	BinaryBytes BinaryMode = iota + 1
	BinaryBase64
	BinaryBase64URLSafe
	BinaryHex
)

var binaryModeNames = []string{BinaryBytes: "bytes", BinaryBase64: "base64", BinaryBase64URLSafe: "base64-url-safe", BinaryHex: "hex"}

// String returns the mode's configuration value.
func (m BinaryMode) String() string { return modeName(binaryModeNames, int(m)) }

// ParseBinaryMode reads binary.handling.mode (empty is bytes).
func ParseBinaryMode(s string) (BinaryMode, error) {
	i, err := parseMode("binary.handling.mode", s, binaryModeNames, int(BinaryBytes))
	return BinaryMode(i), err
}

// BinaryModeNames lists binary.handling.mode's values.
func BinaryModeNames() []string { return []string{"bytes", "base64", "base64-url-safe", "hex"} }

// BinaryFieldSchema starts the schema of a binary column: bytes, or string for the text modes.
func BinaryFieldSchema(mode BinaryMode) *api.SchemaBuilder {
	if mode == BinaryBytes || mode == 0 {
		return api.NewSchema(api.TypeBytes)
	}
	return api.NewSchema(api.TypeString)
}

// BinaryFieldValue converts binary data: the bytes themselves, standard base64 with padding
// (Java's Base64.getEncoder), URL-safe base64 with padding (getUrlEncoder), or lower-case hex
// (Debezium's HexConverter).
func BinaryFieldValue(mode BinaryMode, b []byte) any {
	switch mode {
	case BinaryBase64:
		return base64.StdEncoding.EncodeToString(b)
	case BinaryBase64URLSafe:
		return base64.URLEncoding.EncodeToString(b)
	case BinaryHex:
		return hex.EncodeToString(b)
	}
	return b
}

// ---- time.precision.mode ----

// TimePrecisionMode is time.precision.mode.
type TimePrecisionMode uint8

// The temporal precision modes connectd supports (Debezium 3.x also has isostring,
// microseconds, nanoseconds and structured; they are refused by ParseTimePrecisionMode).
const (
	// TimeAdaptive picks millis, micros or nanos from the column's precision.
	TimeAdaptive TimePrecisionMode = iota + 1
	// TimeAdaptiveMicroseconds is adaptive, except TIME columns are always MicroTime.
	TimeAdaptiveMicroseconds
	// TimeConnect uses Kafka Connect's Date, Time and Timestamp (millisecond precision).
	TimeConnect
)

var timeModeNames = []string{TimeAdaptive: "adaptive", TimeAdaptiveMicroseconds: "adaptive_time_microseconds", TimeConnect: "connect"}

// String returns the mode's configuration value.
func (m TimePrecisionMode) String() string { return modeName(timeModeNames, int(m)) }

// ParseTimePrecisionMode reads time.precision.mode (empty is adaptive).
func ParseTimePrecisionMode(s string) (TimePrecisionMode, error) {
	i, err := parseMode("time.precision.mode", s, timeModeNames, int(TimeAdaptive))
	return TimePrecisionMode(i), err
}

// TimePrecisionModeNames lists time.precision.mode's supported values.
func TimePrecisionModeNames() []string {
	return []string{"adaptive", "adaptive_time_microseconds", "connect"}
}

// DateFieldSchema starts the schema of a DATE column: io.debezium.time.Date, or Kafka's Date in
// connect mode.
func DateFieldSchema(mode TimePrecisionMode) *api.SchemaBuilder {
	if mode == TimeConnect {
		return api.DateSchema()
	}
	return api.DebeziumDateSchema()
}

// EpochDay returns the number of days from 1970-01-01 to the calendar date y-m-d (negative
// before), in the proleptic Gregorian calendar as java.time.LocalDate.toEpochDay.
func EpochDay(y int, m time.Month, d int) int64 {
	// Days from civil, Howard Hinnant's algorithm: exact for every year, no time.Time range limits.
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mp := (int64(m) + 9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// DateFieldValue converts a date given as the calendar date of t (its location is ignored).
func DateFieldValue(mode TimePrecisionMode, t time.Time) any {
	y, m, d := t.Date()
	days := EpochDay(y, m, d)
	if mode == TimeConnect {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return int32(days)
}

// TimeFieldSchema starts the schema of a TIME(precision) column: io.debezium.time.Time (up to
// 3 digits), MicroTime (up to 6) or NanoTime in adaptive mode; always MicroTime in
// adaptive_time_microseconds; Kafka's Time in connect mode.
func TimeFieldSchema(mode TimePrecisionMode, precision int) *api.SchemaBuilder {
	switch mode {
	case TimeConnect:
		return api.TimeSchema()
	case TimeAdaptiveMicroseconds:
		return api.MicroTimeSchema()
	}
	switch {
	case precision <= 3:
		return api.DebeziumTimeSchema()
	case precision <= 6:
		return api.MicroTimeSchema()
	}
	return api.NanoTimeSchema()
}

// TimeFieldValue converts a time of day given as the duration since midnight (MySQL's TIME may
// be negative or past 24h; the duration is kept as is, as Debezium does).
func TimeFieldValue(mode TimePrecisionMode, precision int, d time.Duration) any {
	switch mode {
	case TimeConnect:
		return api.TimeValue(int32(d.Milliseconds()))
	case TimeAdaptiveMicroseconds:
		return d.Microseconds()
	}
	switch {
	case precision <= 3:
		return int32(d.Milliseconds())
	case precision <= 6:
		return d.Microseconds()
	}
	return d.Nanoseconds()
}

// TimestampFieldSchema starts the schema of a TIMESTAMP(precision) column without time zone
// (MySQL DATETIME, PostgreSQL timestamp): io.debezium.time.Timestamp (up to 3 digits),
// MicroTimestamp (up to 6) or NanoTimestamp in both adaptive modes; Kafka's Timestamp in connect
// mode.
func TimestampFieldSchema(mode TimePrecisionMode, precision int) *api.SchemaBuilder {
	if mode == TimeConnect {
		return api.TimestampSchema()
	}
	switch {
	case precision <= 3:
		return api.DebeziumTimestampSchema()
	case precision <= 6:
		return api.MicroTimestampSchema()
	}
	return api.NanoTimestampSchema()
}

// wallUTC returns the epoch seconds and nanos of t's wall-clock reading taken as UTC: a
// timestamp without time zone is the local date-time Debezium converts with ZoneOffset.UTC.
func wallUTC(t time.Time) (sec int64, nsec int64) {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	sec = EpochDay(y, m, d)*86400 + int64(hh)*3600 + int64(mm)*60 + int64(ss)
	return sec, int64(t.Nanosecond())
}

// FloorDiv divides rounding toward negative infinity, as Java's Math.floorDiv: epoch arithmetic
// on instants before 1970 must round down, where Go's / truncates toward zero.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// TimestampFieldValue converts a timestamp without time zone given as t's wall-clock reading
// (t's location is ignored, so a value read in any zone keeps its digits): epoch milliseconds,
// microseconds or nanoseconds by precision, or a time.Time in UTC in connect mode.
func TimestampFieldValue(mode TimePrecisionMode, precision int, t time.Time) any {
	sec, ns := wallUTC(t)
	if mode == TimeConnect {
		return time.Unix(sec, ns-ns%1_000_000).UTC() // Kafka's Timestamp holds milliseconds
	}
	switch {
	case precision <= 3:
		return sec*1000 + FloorDiv(ns, 1_000_000)
	case precision <= 6:
		return sec*1_000_000 + FloorDiv(ns, 1000)
	}
	return sec*1_000_000_000 + ns
}

// ZonedTimestampFieldSchema starts io.debezium.time.ZonedTimestamp (MySQL TIMESTAMP,
// PostgreSQL timestamptz), the same in every time.precision.mode.
func ZonedTimestampFieldSchema() *api.SchemaBuilder { return api.ZonedTimestampSchema() }

// ZonedTimestampString formats t in its own location as Debezium's ZonedTimestamp: ISO-8601
// date, 'T', HH:mm:ss, the fraction, then the offset ("Z" for UTC, "+05:30"). fractionWidth 1..9
// prints exactly that many digits (MySQL passes the column's precision); otherwise the fraction
// is printed with as few digits as needed and left out when zero (ISO_OFFSET_DATE_TIME). Convert
// t to UTC first to get Debezium's UTC output for MySQL TIMESTAMP and PostgreSQL timestamptz.
func ZonedTimestampString(t time.Time, fractionWidth int) string {
	b := make([]byte, 0, 40)
	b = appendISODate(b, t)
	b = append(b, 'T')
	b = appendISOTime(b, t, fractionWidth)
	_, off := t.Zone()
	return string(appendOffsetID(b, off))
}

// ZonedTimeString formats a time of day with its offset as Debezium's ZonedTime
// (ISO_OFFSET_TIME): HH:mm:ss, the minimal fraction, the offset.
func ZonedTimeString(t time.Time) string {
	b := appendISOTime(make([]byte, 0, 24), t, 0)
	_, off := t.Zone()
	return string(appendOffsetID(b, off))
}

func appendPad(b []byte, v int64, width int) []byte {
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendISODate writes ISO_LOCAL_DATE: four-digit year ('+' above 9999, '-' before year 0),
// month, day.
func appendISODate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	switch {
	case y > 9999:
		b = append(b, '+')
		b = strconv.AppendInt(b, int64(y), 10)
	case y < 0:
		b = append(b, '-')
		b = appendPad(b, int64(-y), 4)
	default:
		b = appendPad(b, int64(y), 4)
	}
	b = append(b, '-')
	b = appendPad(b, int64(m), 2)
	b = append(b, '-')
	return appendPad(b, int64(d), 2)
}

func appendISOTime(b []byte, t time.Time, fractionWidth int) []byte {
	hh, mm, ss := t.Clock()
	b = appendPad(b, int64(hh), 2)
	b = append(b, ':')
	b = appendPad(b, int64(mm), 2)
	b = append(b, ':')
	b = appendPad(b, int64(ss), 2)
	ns := t.Nanosecond()
	if fractionWidth >= 1 && fractionWidth <= 9 {
		b = append(b, '.')
		digits := strconv.AppendInt(nil, int64(ns)+1_000_000_000, 10)[1:] // nine digits
		return append(b, digits[:fractionWidth]...)
	}
	if ns == 0 {
		return b
	}
	digits := strconv.AppendInt(nil, int64(ns)+1_000_000_000, 10)[1:]
	n := len(digits)
	for n > 0 && digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
}

// appendOffsetID writes java.time's ZoneOffset id: "Z", or ±HH:MM, with :ss when non-zero.
func appendOffsetID(b []byte, off int) []byte {
	if off == 0 {
		return append(b, 'Z')
	}
	if off < 0 {
		b = append(b, '-')
		off = -off
	} else {
		b = append(b, '+')
	}
	b = appendPad(b, int64(off/3600), 2)
	b = append(b, ':')
	b = appendPad(b, int64(off/60%60), 2)
	if s := off % 60; s != 0 {
		b = append(b, ':')
		b = appendPad(b, int64(s), 2)
	}
	return b
}

// YearFieldSchema starts io.debezium.time.Year (MySQL YEAR in adaptive modes); connect mode uses
// a plain int32 as Debezium's MySQL connector does.
func YearFieldSchema(mode TimePrecisionMode) *api.SchemaBuilder {
	if mode == TimeConnect {
		return api.NewSchema(api.TypeInt32)
	}
	return api.YearSchema()
}

// MicroDurationValue converts an interval given as a duration to io.debezium.time.MicroDuration
// (int64 microseconds).
func MicroDurationValue(d time.Duration) int64 { return d.Microseconds() }
