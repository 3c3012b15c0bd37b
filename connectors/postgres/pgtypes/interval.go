package pgtypes

import (
	"errors"
	"math"
	"strconv"

	"github.com/connectd/connectd/connect/api"
)

// daysPerMonthAvg is Debezium's MicroDuration.DAYS_PER_MONTH_AVG.
const daysPerMonthAvg = 365.25 / 12.0

var errInterval = errors.New("not an interval in IntervalStyle iso_8601")

// interval is an interval's fields as pgjdbc's PGInterval holds them.
type interval struct {
	years, months, days, hours, minutes int64
	seconds                             float64
}

// parseInterval reads IntervalStyle=iso_8601 output: "P1Y2M3DT4H5M6.78S", "P-1DT2H", "PT0S",
// "PT-1.5S". Each field carries its own sign, as PostgreSQL writes them.
func parseInterval(b []byte) (interval, error) {
	var iv interval
	if len(b) < 2 || b[0] != 'P' {
		return iv, errInterval
	}
	timePart := false
	i := 1
	for i < len(b) {
		if b[i] == 'T' {
			timePart = true
			i++
			continue
		}
		start := i
		neg := false
		if b[i] == '-' || b[i] == '+' {
			neg = b[i] == '-'
			i++
		}
		var whole int64
		nd := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			whole = whole*10 + int64(b[i]-'0')
			i++
			nd++
		}
		var micros int64
		if i < len(b) && b[i] == '.' {
			i++
			scale := int64(100000)
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				micros += int64(b[i]-'0') * scale
				scale /= 10
				i++
				nd++
			}
		}
		if nd == 0 || i >= len(b) || i == start {
			return iv, errInterval
		}
		if neg {
			whole, micros = -whole, -micros
		}
		unit := b[i]
		i++
		switch {
		case !timePart && unit == 'Y':
			iv.years = whole
		case !timePart && unit == 'M':
			iv.months = whole
		case !timePart && unit == 'W':
			iv.days += whole * 7
		case !timePart && unit == 'D':
			iv.days += whole
		case timePart && unit == 'H':
			iv.hours = whole
		case timePart && unit == 'M':
			iv.minutes = whole
		case timePart && unit == 'S':
			// pgjdbc: wholeSeconds + microSeconds / 1e6, as a double.
			iv.seconds = float64(whole) + float64(micros)/1e6
		default:
			return iv, errInterval
		}
	}
	return iv, nil
}

// micros is Debezium's MicroDuration.durationMicros with 365.25/12 days per month, computed in
// the same floating-point order so the result matches to the microsecond.
func (iv interval) micros() int64 {
	numberOfDays := float64(iv.years*12+iv.months)*daysPerMonthAvg + float64(iv.days)
	numberOfSeconds := (((numberOfDays*24+float64(iv.hours))*60)+float64(iv.minutes))*60 + iv.seconds
	return javaLong(numberOfSeconds*1e6 + 0)
}

// javaLong converts like Java's (long) cast: out-of-range values saturate (Go's conversion is
// undefined there and gives math.MinInt64 on amd64 for both ends), NaN becomes 0.
func javaLong(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= 9.223372036854775807e18:
		return math.MaxInt64
	case f <= -9.223372036854775808e18:
		return math.MinInt64
	}
	return int64(f)
}

// iso is Debezium's Interval.toIsoString: every field written, seconds without trailing zeros.
func (iv interval) iso() string {
	b := make([]byte, 0, 32)
	b = append(b, 'P')
	b = strconv.AppendInt(b, iv.years, 10)
	b = append(b, 'Y')
	b = strconv.AppendInt(b, iv.months, 10)
	b = append(b, 'M')
	b = strconv.AppendInt(b, iv.days, 10)
	b = append(b, 'D', 'T')
	b = strconv.AppendInt(b, iv.hours, 10)
	b = append(b, 'H')
	b = strconv.AppendInt(b, iv.minutes, 10)
	b = append(b, 'M')
	if iv.seconds == 0 {
		b = append(b, '0') // never "-0": BigDecimal has no negative zero
	} else {
		b = strconv.AppendFloat(b, iv.seconds, 'f', -1, 64)
	}
	return string(append(b, 'S'))
}

func (o *Options) intervalMapping() Mapping {
	if o.Interval == IntervalString {
		return Mapping{Schema: api.IntervalSchema().Build(), Zero: "P0Y0M0DT0H0M0S", decode: func(b []byte) (any, error) {
			iv, err := parseInterval(b)
			if err != nil {
				return nil, err
			}
			return iv.iso(), nil
		}}
	}
	return Mapping{Schema: api.MicroDurationSchema().Build(), Zero: int64(0), decode: func(b []byte) (any, error) {
		iv, err := parseInterval(b)
		if err != nil {
			return nil, err
		}
		return iv.micros(), nil
	}}
}
