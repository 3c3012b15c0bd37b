package pgtypes

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
)

// numericTypmod splits NUMERIC's type modifier into precision and scale; ok is false for a
// NUMERIC without declared precision (typmod -1), which Debezium maps to VariableScaleDecimal.
func numericTypmod(typmod int32) (precision, scale int, ok bool) {
	if typmod < 4 {
		return 0, 0, false
	}
	t := typmod - 4
	precision = int((t >> 16) & 0xffff)
	// PostgreSQL 15 allows a negative scale: 11 bits, sign-extended.
	scale = int(((t & 0x7ff) ^ 1024) - 1024)
	return precision, scale, true
}

// numericMapping maps NUMERIC under decimal.handling.mode.
func (o *Options) numericMapping(typmod int32) Mapping {
	precision, scale, fixed := numericTypmod(typmod)
	switch o.Decimal {
	case envelope.DecimalDouble:
		return Mapping{Schema: api.Float64Schema, Zero: float64(0), decode: decodeFloat64}
	case envelope.DecimalString:
		return Mapping{Schema: api.StringSchema, Zero: "0", decode: func(b []byte) (any, error) {
			if isNaN(b) {
				return "NaN", nil
			}
			d, err := parseNumericText(b)
			if err != nil {
				return nil, err
			}
			if fixed {
				d = setScale(d, int32(scale))
			}
			return d.String(), nil
		}}
	}
	if !fixed {
		bind := func(s *api.Schema) (func([]byte) (any, error), any) {
			return func(b []byte) (any, error) {
				if isSpecialNumeric(b) {
					return nil, nil // NaN and infinities have no Decimal form; Debezium emits null
				}
				d, err := parseNumericText(b)
				if err != nil {
					return nil, err
				}
				return api.VariableScaleDecimalValue(s, stripZeros(d)), nil
			}, api.VariableScaleDecimalValue(s, api.NewDecimal(0, 0))
		}
		s := api.VariableScaleDecimalSchema().Build()
		m := Mapping{Schema: s, rebind: bind}
		m.decode, m.Zero = bind(s)
		return m
	}
	return Mapping{Schema: api.DecimalSchema(scale, precision).Build(), Zero: api.NewDecimal(0, int32(scale)),
		decode: func(b []byte) (any, error) {
			if isSpecialNumeric(b) {
				return nil, nil
			}
			d, err := parseDecimalFast(b)
			if err != nil {
				return nil, err
			}
			return setScale(d, int32(scale)), nil
		}}
}

func isNaN(b []byte) bool { return string(b) == "NaN" }

func isSpecialNumeric(b []byte) bool {
	switch string(b) {
	case "NaN", "Infinity", "-Infinity":
		return true
	}
	return false
}

// parseDecimalFast parses a plain decimal ("-123.45"), without exponent, with an int64 fast path.
func parseDecimalFast(b []byte) (api.Decimal, error) {
	if len(b) > 0 && len(b) < 19 {
		var n int64
		neg := false
		scale := int32(-1)
		ok := true
		for i, c := range b {
			switch {
			case c >= '0' && c <= '9':
				n = n*10 + int64(c-'0')
				if scale >= 0 {
					scale++
				}
			case c == '-' && i == 0:
				neg = true
			case c == '.' && scale < 0:
				scale = 0
			default:
				ok = false
			}
		}
		if ok && (len(b) > 1 || !neg) {
			if scale < 0 {
				scale = 0
			}
			if neg {
				n = -n
			}
			return api.NewDecimal(n, scale), nil
		}
	}
	return parseNumericText(b)
}

// parseNumericText parses NUMERIC's text output, which is always plain digits: an exponent
// ("1e999999999", never sent by the server) is refused, since expanding it would take time and
// memory without bound.
func parseNumericText(b []byte) (api.Decimal, error) {
	for _, c := range b {
		if c == 'e' || c == 'E' {
			return api.Decimal{}, fmt.Errorf("numeric with an exponent")
		}
	}
	return api.ParseDecimal(bstr(b))
}

var bigTen = big.NewInt(10)

// pow10 returns 10^n.
func pow10(n int32) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

// setScale returns d with scale s, rounding half up (away from zero on ties) when digits are
// dropped, as BigDecimal.setScale(s, RoundingMode.HALF_UP).
func setScale(d api.Decimal, s int32) api.Decimal {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	switch {
	case d.Scale == s:
		return api.Decimal{Unscaled: u, Scale: s}
	case d.Scale < s:
		return api.Decimal{Unscaled: new(big.Int).Mul(u, pow10(s-d.Scale)), Scale: s}
	}
	div := pow10(d.Scale - s)
	q, r := new(big.Int).QuoRem(u, div, new(big.Int))
	// Round half up: |r|*2 >= div moves one away from zero.
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(div) >= 0 {
		if u.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return api.Decimal{Unscaled: q, Scale: s}
}

// stripZeros removes trailing zeros of the unscaled value, keeping the scale at least 0, as
// Debezium does for VariableScaleDecimal (stripTrailingZeros, then setScale(0) if negative).
func stripZeros(d api.Decimal) api.Decimal {
	u := new(big.Int).Set(d.Unscaled)
	s := d.Scale
	if u.Sign() == 0 {
		return api.Decimal{Unscaled: u, Scale: 0}
	}
	r := new(big.Int)
	for s > 0 {
		q, rem := new(big.Int).QuoRem(u, bigTen, r)
		if rem.Sign() != 0 {
			break
		}
		u = q
		s--
	}
	return api.Decimal{Unscaled: u, Scale: s}
}

// moneyMapping maps MONEY: a Decimal with money.fraction.digits as its scale (precise), a
// double, or a plain string.
func (o *Options) moneyMapping() Mapping {
	fd := int32(o.MoneyFractionDigits)
	parse := func(b []byte) (api.Decimal, error) { return parseMoney(b, fd) }
	switch o.Decimal {
	case envelope.DecimalDouble:
		return Mapping{Schema: api.Float64Schema, Zero: float64(0), decode: func(b []byte) (any, error) {
			d, err := parse(b)
			if err != nil {
				return nil, err
			}
			f, _ := strconv.ParseFloat(d.String(), 64)
			return f, nil
		}}
	case envelope.DecimalString:
		return Mapping{Schema: api.StringSchema, Zero: setScale(api.NewDecimal(0, 0), fd).String(), decode: func(b []byte) (any, error) {
			d, err := parse(b)
			if err != nil {
				return nil, err
			}
			return d.String(), nil
		}}
	}
	return Mapping{Schema: api.KafkaDecimalSchema(int(fd)).Build(), Zero: api.NewDecimal(0, fd), decode: func(b []byte) (any, error) {
		d, err := parse(b)
		if err != nil {
			return nil, err
		}
		return d, nil
	}}
}

// parseMoney reads MONEY's locale-formatted output ("$1,234.56", "-$1,234.56", "($1.00)") by
// keeping its digits, the '.' decimal point and the sign; it assumes an lc_monetary whose
// decimal point is '.', as the C and English locales have.
func parseMoney(b []byte, scale int32) (api.Decimal, error) {
	digits := make([]byte, 0, len(b)+1)
	neg := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c == '.':
			digits = append(digits, c)
		case c == '-', c == '(':
			neg = true
		}
	}
	if len(digits) == 0 {
		return api.Decimal{}, fmt.Errorf("no digits in money value")
	}
	d, err := api.ParseDecimal(string(digits))
	if err != nil {
		return api.Decimal{}, err
	}
	if neg {
		d.Unscaled.Neg(d.Unscaled)
	}
	return setScale(d, scale), nil
}
