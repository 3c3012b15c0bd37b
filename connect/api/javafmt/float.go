package javafmt

import (
	"math"
	"strconv"
)

// AppendDouble appends Double.toString(f) as specified since JDK 19, which Jackson uses to write
// a double: the shortest decimal that reads back as f (with the JDK's rule for one-digit
// results, below), in plain notation with at least one fraction digit for 1e-3 <= |f| < 1e7
// ("0.1", "100.0", "-0.0") and in computerized scientific notation otherwise ("1.0E10",
// "1.2345678E-5", "4.9E-324").
//
// NaN and the infinities come out as Java prints them: NaN, Infinity, -Infinity. They are not
// JSON numbers, so what to write for them is the caller's choice: Jackson writes them quoted
// ("NaN") by default, a strict writer refuses them.
//
// JDK 17 and older (FloatingDecimal) print some values with other digits: 1e23 as
// 9.999999999999999E22 and 2^-44 as 5.6843418860808015E-14, where JDK 19+ print 1.0E23 and
// 5.684341886080802E-14. Kafka Connect and Debezium run on JDK 21 in their images, so this
// follows JDK 19+; the golden files in testdata were written with JDK 25.
func AppendDouble(dst []byte, f float64) []byte {
	return appendJava(dst, f, 64)
}

// AppendFloat appends Float.toString(f) (JDK 19+), with AppendDouble's rules at float
// precision: the shortest decimal that reads back as the same float ("0.1", "3.4028235E38").
func AppendFloat(dst []byte, f float32) []byte {
	return appendJava(dst, float64(f), 32)
}

// AppendJacksonDouble appends f as Jackson's JsonGenerator.writeNumber(double) writes it with
// default settings, as Kafka Connect's JsonConverter does for a double: Double.toString
// (AppendDouble), except that NaN and the infinities, which JSON has no literal for, are written
// as JSON strings ("NaN", "Infinity", "-Infinity"; QUOTE_NON_NUMERIC_NUMBERS is on by default).
func AppendJacksonDouble(dst []byte, f float64) []byte {
	return appendJackson(dst, f, 64)
}

// AppendJacksonFloat is AppendJacksonDouble for a Java float: Float.toString, and NaN and the
// infinities quoted.
func AppendJacksonFloat(dst []byte, f float32) []byte {
	return appendJackson(dst, float64(f), 32)
}

func appendJackson(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		dst = append(dst, '"')
		return append(appendJava(dst, f, bits), '"')
	}
	return appendJava(dst, f, bits)
}

// appendJava formats f, a float64 or a float32 widened (bits 64 or 32).
func appendJava(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest round-trip digits, in the form d[.ddd]e±XX.
	var buf [32]byte
	digits, exp := splitE(strconv.AppendFloat(buf[:0], f, 'e', -1, bits))
	if len(digits) == 1 && isSubnormal(f, bits) {
		// When the shortest decimal has one digit, the JDK takes the two-digit decimal closest
		// to the exact value instead (Double.MIN_VALUE prints as 4.9E-324, not 5.0E-324). For
		// normal numbers that is always d.0: a one-digit decimal that reads back as f lies
		// within half an ulp of it, far closer than any other two-digit decimal. Only
		// subnormals, with few significant bits, can differ.
		var buf2 [32]byte
		two := strconv.AppendFloat(buf2[:0], f, 'e', 1, bits) // d.de±XX, correctly rounded
		if back, err := strconv.ParseFloat(string(two), bits); err == nil && back == f && two[2] != '0' {
			digits, exp = splitE(two)
		}
	}
	// digits is d[.ddd] without its point in place: value = d.ddd × 10^exp.
	if exp >= -3 && exp < 7 {
		if exp < 0 {
			dst = append(dst, '0', '.')
			for i := -1; i > exp; i-- {
				dst = append(dst, '0')
			}
			return append(dst, digits...)
		}
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
	dst = append(dst, digits[0], '.')
	if len(digits) > 1 {
		dst = append(dst, digits[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// isSubnormal reports whether f (positive) is below the smallest normal number of its precision.
func isSubnormal(f float64, bits int) bool {
	if bits == 32 {
		return f < 0x1p-126
	}
	return f < 0x1p-1022
}

// splitE splits strconv's "d.ddde±XX" (or "de±XX") in place into its significant digits, the
// point removed, and the exponent.
func splitE(s []byte) (digits []byte, exp int) {
	i := 0
	n := 0
	for ; i < len(s) && s[i] != 'e'; i++ {
		if s[i] != '.' {
			s[n] = s[i]
			n++
		}
	}
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
	return s[:n], exp
}
