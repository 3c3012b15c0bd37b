package jsonconv

import (
	"math"
	"strconv"

	"github.com/connectd/connectd/connect/api"
)

// appendJavaFloat appends f as Jackson writes a Java double (bits 64) or float (bits 32):
// Double.toString / Float.toString as specified since JDK 19 (the shortest decimal that reads
// back as the same value, with the JDK's rule for one-digit results), in plain notation for
// 1e-3 <= |f| < 1e7 ("0.1", "100.0") and computerized scientific notation otherwise ("1.0E10",
// "1.2345678E-5"). NaN and the infinities are written as the quoted strings "NaN", "Infinity",
// "-Infinity", as Jackson does by default (JSON has no literal for them).
//
// JDK 17's Double.toString (the old FloatingDecimal) sometimes prints another digit string: 1e23
// as 9.999999999999999E22 and 2^-44 as 5.6843418860808015E-14, where JDK 19+ print 1.0E23 and
// 5.684341886080802E-14. Kafka Connect on JDK 21 (the Kafka and Debezium images) writes the
// shortest form, which is what this follows; the golden files were made with JDK 25, and 6,000
// random doubles and floats among them agree.
func appendJavaFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	var buf [32]byte
	// Shortest round-trip digits in the form [-]d[.ddd]e±XX.
	s := strconv.AppendFloat(buf[:0], f, 'e', -1, bits)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var digBuf [24]byte
	digits, exp := splitE(s, digBuf[:0])
	if len(digits) == 1 && isSubnormal(f, bits) {
		// The JDK chooses among decimals of length 1 or 2 the one closest to the exact value
		// when the shortest has one digit (Double.MIN_VALUE prints 4.9E-324, not 5.0E-324).
		// For normal numbers the two agree: a one-digit decimal that reads back as f lies
		// within half an ulp of it, far closer than the next two-digit decimal.
		var buf2 [32]byte
		s2 := strconv.AppendFloat(buf2[:0], math.Abs(f), 'e', 1, bits)
		if back, err := strconv.ParseFloat(string(s2), bits); err == nil && back == math.Abs(f) {
			var digBuf2 [24]byte
			d2, e2 := splitE(s2, digBuf2[:0])
			for len(d2) > 1 && d2[len(d2)-1] == '0' {
				d2 = d2[:len(d2)-1]
			}
			digits, exp = d2, e2
			copy(digBuf[:], d2)
			digits = digBuf[:len(d2)]
		}
	}
	if neg {
		dst = append(dst, '-')
	}
	// exp is the exponent of the first digit: value = d.ddd × 10^exp.
	if exp >= -3 && exp < 7 {
		if exp >= 0 {
			intLen := exp + 1
			if len(digits) <= intLen {
				dst = append(dst, digits...)
				for i := len(digits); i < intLen; i++ {
					dst = append(dst, '0')
				}
				return append(dst, '.', '0')
			}
			dst = append(dst, digits[:intLen]...)
			dst = append(dst, '.')
			return append(dst, digits[intLen:]...)
		}
		dst = append(dst, '0', '.')
		for i := 0; i < -exp-1; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[0], '.')
	if len(digits) > 1 {
		dst = append(dst, digits[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// isSubnormal reports whether f is below the smallest normal number of its precision.
func isSubnormal(f float64, bits int) bool {
	if bits == 32 {
		return math.Abs(f) < 0x1p-126
	}
	return math.Abs(f) < 0x1p-1022
}

// splitE splits strconv's "d.ddde±XX" into its digits (appended to digits) and exponent.
func splitE(s []byte, digits []byte) ([]byte, int) {
	i := 0
	for ; i < len(s) && s[i] != 'e'; i++ {
		if s[i] != '.' {
			digits = append(digits, s[i])
		}
	}
	exp := 0
	neg := false
	for i++; i < len(s); i++ {
		switch c := s[i]; {
		case c == '-':
			neg = true
		case c >= '0' && c <= '9':
			exp = exp*10 + int(c-'0')
		}
	}
	if neg {
		exp = -exp
	}
	return digits, exp
}

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
