package jsonconv

import (
	"strconv"

	"github.com/connectd/connectd/connect/api"
)

// appendBigDecimal appends d as Java's BigDecimal.toString, which Jackson uses for a decimal
// number node: plain notation when the scale is not negative and the adjusted exponent is at
// least -6 ("1.50", "0.000001"), scientific otherwise ("1E+3", "1.23E-8", "1.00E+4").
func appendBigDecimal(dst []byte, d api.Decimal) []byte {
	var buf [24]byte
	var digits []byte
	u := d.Unscaled
	switch {
	case u == nil:
		digits = append(buf[:0], '0')
	case u.IsInt64():
		digits = strconv.AppendInt(buf[:0], u.Int64(), 10)
	default:
		digits = u.Append(buf[:0], 10)
	}
	if digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	scale := int64(d.Scale)
	adjusted := -scale + int64(len(digits)-1)
	if scale >= 0 && adjusted >= -6 {
		return appendPlainDigits(dst, digits, int(scale))
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

// appendPlainDigits appends the unsigned digits of an unscaled value with a non-negative scale
// in plain notation ("150", 2 → "1.50"; "5", 3 → "0.005").
func appendPlainDigits(dst, digits []byte, scale int) []byte {
	switch {
	case scale == 0:
		return append(dst, digits...)
	case len(digits) > scale:
		dst = append(dst, digits[:len(digits)-scale]...)
		dst = append(dst, '.')
		return append(dst, digits[len(digits)-scale:]...)
	}
	dst = append(dst, '0', '.')
	for i := 0; i < scale-len(digits); i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}
