package pgtypes

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
)

// Debezium's values for PostgreSQL's infinite timestamps: pgjdbc's PGStatement.DATE_POSITIVE_INFINITY
// and DATE_NEGATIVE_INFINITY, emitted unchanged as the epoch value.
const (
	PositiveInfinityTimestamp int64 = 9223372036825200000
	NegativeInfinityTimestamp int64 = -9223372036832400000
)

const (
	microsPerSecond = 1_000_000
	microsPerDay    = 86_400 * microsPerSecond
)

var errTemporal = errors.New("not a date/time value in ISO DateStyle")

// timePrecision is the fractional-second precision of a temporal type modifier; none means 6.
func timePrecision(typmod int32) int {
	if typmod < 0 || typmod > 6 {
		return 6
	}
	return int(typmod)
}

// civilFromDays is the inverse of envelope.EpochDay, on an astronomical year (1 BC is year 0).
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// digits reads n decimal digits at b[i:].
func digits(b []byte, i, n int) (int64, bool) {
	if i+n > len(b) {
		return 0, false
	}
	var v int64
	for _, c := range b[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// parseDate reads "YYYY-MM-DD" (the year may have more digits) at the start of b and returns
// the epoch day and the rest of b; a trailing " BC" is handled by the caller through bc.
func parseDate(b []byte) (year, month, day int64, rest []byte, ok bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i < 4 || i+6 > len(b) || b[i] != '-' || b[i+3] != '-' {
		return 0, 0, 0, nil, false
	}
	year, _ = digits(b, 0, i)
	var ok1, ok2 bool
	month, ok1 = digits(b, i+1, 2)
	day, ok2 = digits(b, i+4, 2)
	if !ok1 || !ok2 {
		return 0, 0, 0, nil, false
	}
	return year, month, day, b[i+6:], true
}

// parseClock reads "HH:MM:SS[.ffffff]" at the start of b and returns microseconds past midnight
// (24:00:00 is allowed) and the rest of b.
func parseClock(b []byte) (int64, []byte, bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, nil, false
	}
	h, ok1 := digits(b, 0, 2)
	m, ok2 := digits(b, 3, 2)
	s, ok3 := digits(b, 6, 2)
	if !ok1 || !ok2 || !ok3 {
		return 0, nil, false
	}
	us := ((h*60+m)*60 + s) * microsPerSecond
	i := 8
	if i < len(b) && b[i] == '.' {
		i++
		scale := int64(100000)
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			us += int64(b[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	return us, b[i:], true
}

// parseOffset reads a UTC offset "+HH[:MM[:SS]]" and returns it in seconds.
func parseOffset(b []byte) (int64, []byte, bool) {
	if len(b) < 3 || (b[0] != '+' && b[0] != '-') {
		return 0, nil, false
	}
	h, ok := digits(b, 1, 2)
	if !ok {
		return 0, nil, false
	}
	off := h * 3600
	i := 3
	if i+3 <= len(b) && b[i] == ':' {
		m, ok := digits(b, i+1, 2)
		if !ok {
			return 0, nil, false
		}
		off += m * 60
		i += 3
		if i+3 <= len(b) && b[i] == ':' {
			s, ok := digits(b, i+1, 2)
			if !ok {
				return 0, nil, false
			}
			off += s
			i += 3
		}
	}
	if b[0] == '-' {
		off = -off
	}
	return off, b[i:], true
}

// bcSuffix reports and strips a trailing " BC".
func bcSuffix(b []byte) ([]byte, bool) {
	if n := len(b); n >= 3 && string(b[n-3:]) == " BC" {
		return b[:n-3], true
	}
	return b, false
}

// epochDay reads a DATE's text. Infinite dates give the days Debezium's streaming emits for
// them: PostgreSQL's sentinels just past its own range, 5877611-06-21 and -5877611-06-22 (its
// snapshot emits other, wrapped-around values; see tests/compat/allowed-differences.json).
func epochDay(b []byte) (int64, error) {
	switch string(b) {
	case "infinity":
		return envelope.EpochDay(5877611, 6, 21), nil
	case "-infinity":
		return envelope.EpochDay(-5877611, 6, 22), nil
	}
	b, bc := bcSuffix(b)
	y, m, d, rest, ok := parseDate(b)
	if !ok || len(rest) != 0 || y > maxYear {
		return 0, errTemporal
	}
	if bc {
		y = 1 - y
	}
	return envelope.EpochDay(int(y), time.Month(m), int(d)), nil
}

// epochMicros reads a TIMESTAMP's text "YYYY-MM-DD HH:MM:SS[.f][ BC]" as days since the epoch
// and microseconds into that day (negative or past midnight once a UTC offset is applied); with
// tz, a UTC offset follows the clock and is applied. inf reports an infinity. Days and
// microseconds stay apart so that PostgreSQL's whole range (up to year 294276) is read without
// overflowing: the caller combines them at the precision it needs.
func epochMicros(b []byte, tz bool) (days, us int64, inf int, err error) {
	switch string(b) {
	case "infinity":
		return 0, 0, 1, nil
	case "-infinity":
		return 0, 0, -1, nil
	}
	b, bc := bcSuffix(b)
	y, m, d, rest, ok := parseDate(b)
	if !ok || len(rest) < 9 || rest[0] != ' ' || y > maxYear {
		return 0, 0, 0, errTemporal
	}
	clock, rest, ok := parseClock(rest[1:])
	if !ok {
		return 0, 0, 0, errTemporal
	}
	var off int64
	if tz {
		if off, rest, ok = parseOffset(rest); !ok {
			return 0, 0, 0, errTemporal
		}
	}
	if len(rest) != 0 {
		return 0, 0, 0, errTemporal
	}
	if bc {
		y = 1 - y
	}
	return envelope.EpochDay(int(y), time.Month(m), int(d)), clock - off*microsPerSecond, 0, nil
}

// maxYear bounds the years read, far beyond PostgreSQL's (5874897 for dates), so the day
// arithmetic cannot overflow on hostile input.
const maxYear = 100_000_000

// saturatingMicros combines days and microseconds into microseconds since the epoch, clamped to
// the int64 range: PostgreSQL's largest timestamps (year 294276) do not fit, and a clamped value
// is the nearest one that does, where wrapping around would put them in year -290278.
func saturatingMicros(days, us int64) int64 {
	carry := envelope.FloorDiv(us, microsPerDay)
	days += carry
	us -= carry * microsPerDay // now 0 <= us < microsPerDay
	const maxDays = math.MaxInt64 / microsPerDay
	const minDays = math.MinInt64 / microsPerDay // rounded toward zero: minDays*microsPerDay fits
	switch {
	case days > maxDays, days == maxDays && us > math.MaxInt64-maxDays*microsPerDay:
		return math.MaxInt64
	case days < minDays-1:
		return math.MinInt64
	case days == minDays-1:
		// (minDays-1)*microsPerDay itself does not fit; add the part of the day first.
		rest := us - microsPerDay
		if rest < math.MinInt64-minDays*microsPerDay {
			return math.MinInt64
		}
		return minDays*microsPerDay + rest
	}
	return days*microsPerDay + us
}

// epochMillis combines days and microseconds into milliseconds since the epoch (always in range
// for PostgreSQL's timestamps), rounding down as Java's Instant.toEpochMilli.
func epochMillis(days, us int64) int64 {
	return days*86_400_000 + envelope.FloorDiv(us, 1000)
}

func (o *Options) dateMapping() Mapping {
	if o.Time == envelope.TimeConnect {
		return Mapping{Schema: api.DateSchema().Build(), Zero: api.DateValue(0), decode: func(b []byte) (any, error) {
			d, err := epochDay(b)
			if err != nil {
				return nil, err
			}
			return api.DateValue(int32(d)), nil
		}}
	}
	return Mapping{Schema: api.DebeziumDateSchema().Build(), Zero: int32(0), decode: func(b []byte) (any, error) {
		d, err := epochDay(b)
		if err != nil {
			return nil, err
		}
		return int32(d), nil
	}}
}

func decodeClock(b []byte) (int64, error) {
	us, rest, ok := parseClock(b)
	if !ok || len(rest) != 0 {
		return 0, errTemporal
	}
	return us, nil
}

func (o *Options) timeMapping(precision int) Mapping {
	switch {
	case o.Time == envelope.TimeConnect:
		return Mapping{Schema: api.TimeSchema().Build(), Zero: api.TimeValue(0), decode: func(b []byte) (any, error) {
			us, err := decodeClock(b)
			if err != nil {
				return nil, err
			}
			return api.TimeValue(int32(us / 1000)), nil
		}}
	case o.Time == envelope.TimeAdaptive && precision <= 3:
		return Mapping{Schema: api.DebeziumTimeSchema().Build(), Zero: int32(0), decode: func(b []byte) (any, error) {
			us, err := decodeClock(b)
			if err != nil {
				return nil, err
			}
			return int32(us / 1000), nil
		}}
	}
	return Mapping{Schema: api.MicroTimeSchema().Build(), Zero: int64(0), decode: func(b []byte) (any, error) {
		us, err := decodeClock(b)
		if err != nil {
			return nil, err
		}
		return us, nil
	}}
}

func (o *Options) timestampMapping(precision int) Mapping {
	switch {
	case o.Time == envelope.TimeConnect:
		return Mapping{Schema: api.TimestampSchema().Build(), Zero: api.TimestampValue(0), decode: func(b []byte) (any, error) {
			days, us, inf, err := epochMicros(b, false)
			if err != nil {
				return nil, err
			}
			if inf != 0 {
				return api.TimestampValue(envelope.FloorDiv(infinityMillis(inf), 1000)), nil
			}
			return api.TimestampValue(epochMillis(days, us)), nil
		}}
	case precision <= 3:
		return Mapping{Schema: api.DebeziumTimestampSchema().Build(), Zero: int64(0), decode: func(b []byte) (any, error) {
			days, us, inf, err := epochMicros(b, false)
			if err != nil {
				return nil, err
			}
			if inf != 0 {
				return infinityMillis(inf), nil
			}
			return epochMillis(days, us), nil
		}}
	}
	return Mapping{Schema: api.MicroTimestampSchema().Build(), Zero: int64(0), decode: func(b []byte) (any, error) {
		days, us, inf, err := epochMicros(b, false)
		if err != nil {
			return nil, err
		}
		switch inf {
		case 1:
			return int64(math.MaxInt64), nil
		case -1:
			return int64(math.MinInt64), nil
		}
		return saturatingMicros(days, us), nil
	}}
}

// infinityMillis is Debezium's millisecond value of an infinite timestamp (its microsecond
// columns get Long.MAX_VALUE and Long.MIN_VALUE instead).
func infinityMillis(inf int) int64 {
	if inf > 0 {
		return PositiveInfinityTimestamp
	}
	return NegativeInfinityTimestamp
}

// timestamptzMapping maps TIMESTAMPTZ to io.debezium.time.ZonedTimestamp: ISO-8601 in UTC with
// exactly precision fractional digits, as Debezium's ZonedTimestamp.toIsoString with the
// column's fractional width ("2020-04-01T11:51:02.000000Z").
func timestamptzMapping(precision int) Mapping {
	return Mapping{Schema: api.ZonedTimestampSchema().Build(), Zero: "1970-01-01T00:00:00Z", decode: func(b []byte) (any, error) {
		days, us, inf, err := epochMicros(b, true)
		if err != nil {
			return nil, err
		}
		switch inf {
		case 1:
			return "infinity", nil
		case -1:
			return "-infinity", nil
		}
		return string(appendZonedTimestamp(make([]byte, 0, 32), days, us, precision)), nil
	}}
}

// appendYear writes a year as java.time's ISO formatter: four digits at least, '+' before a year
// of more than four digits, '-' before a negative one.
func appendYear(dst []byte, y int64) []byte {
	switch {
	case y > 9999:
		dst = append(dst, '+')
	case y < 0:
		dst = append(dst, '-')
		y = -y
	}
	s := strconv.FormatInt(y, 10)
	for i := len(s); i < 4; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func append2(dst []byte, v int64) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

// appendFraction writes the microseconds as a fraction: with width > 0 exactly that many digits,
// with width 0 the fewest digits that show it (none for zero), as java.time's formatters.
func appendFraction(dst []byte, us int64, width int) []byte {
	var buf [6]byte
	for i := 5; i >= 0; i-- {
		buf[i] = byte('0' + us%10)
		us /= 10
	}
	if width > 0 {
		if width > 6 {
			dst = append(dst, '.')
			dst = append(dst, buf[:]...)
			for i := 6; i < width; i++ {
				dst = append(dst, '0')
			}
			return dst
		}
		return append(append(dst, '.'), buf[:width]...)
	}
	n := 6
	for n > 0 && buf[n-1] == '0' {
		n--
	}
	if n == 0 {
		return dst
	}
	return append(append(dst, '.'), buf[:n]...)
}

// appendZonedTimestamp writes days since the epoch and microseconds into that day (normalised
// here) as "yyyy-MM-ddTHH:mm:ss[.f]Z".
func appendZonedTimestamp(dst []byte, days, us int64, width int) []byte {
	carry := envelope.FloorDiv(us, microsPerDay)
	days += carry
	clock := us - carry*microsPerDay
	y, m, d := civilFromDays(days)
	dst = appendYear(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = appendClock(dst, clock, width)
	return append(dst, 'Z')
}

// appendClock writes "HH:mm:ss" and the fraction.
func appendClock(dst []byte, us int64, width int) []byte {
	secs := us / microsPerSecond
	dst = append2(dst, secs/3600)
	dst = append(dst, ':')
	dst = append2(dst, secs/60%60)
	dst = append(dst, ':')
	dst = append2(dst, secs%60)
	return appendFraction(dst, us%microsPerSecond, width)
}

// timetzMapping maps TIMETZ to io.debezium.time.ZonedTime: the time moved to UTC, ISO-8601
// ("11:51:30.123789Z"), fraction as short as it can be, as java.time's ISO_OFFSET_TIME.
func timetzMapping() Mapping {
	return Mapping{Schema: api.ZonedTimeSchema().Build(), Zero: "00:00:00Z", decode: func(b []byte) (any, error) {
		us, rest, ok := parseClock(b)
		if !ok {
			return nil, errTemporal
		}
		off, rest, ok := parseOffset(rest)
		if !ok || len(rest) != 0 {
			return nil, errTemporal
		}
		if us == microsPerDay && off == 0 {
			return "24:00:00Z", nil // PostgreSQL's end-of-day boundary, kept as Debezium does
		}
		us -= off * microsPerSecond
		us = ((us % microsPerDay) + microsPerDay) % microsPerDay
		return string(append(appendClock(make([]byte, 0, 20), us, 0), 'Z')), nil
	}}
}
