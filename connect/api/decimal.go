package api

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// Decimal is an arbitrary-precision decimal number, the value of Kafka's Decimal logical type
// (Java's BigDecimal): Unscaled × 10^-Scale. As with BigDecimal, 1.5 and 1.50 are different
// values (the scale is part of the value), and a negative scale multiplies by a power of ten.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// NewDecimal returns unscaled × 10^-scale.
func NewDecimal(unscaled int64, scale int32) Decimal {
	return Decimal{Unscaled: big.NewInt(unscaled), Scale: scale}
}

// ParseDecimal parses a decimal the way Java's new BigDecimal(String) does: an optional sign,
// digits with an optional '.', and an optional exponent ("1.50", "-0.001", "1.23E+5", "5e-3").
// The scale is the number of digits after the point minus the exponent, so "1.50" has scale 2
// and "1E+3" has scale -3.
func ParseDecimal(s string) (Decimal, error) {
	orig := s
	if s == "" {
		return Decimal{}, errors.New("cannot parse an empty string as a decimal")
	}
	exp := int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil {
			return Decimal{}, fmt.Errorf("cannot parse %q as a decimal: bad exponent", orig)
		}
		exp = e
		s = s[:i]
	}
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	// Most values (prices, amounts) have at most 18 digits: they are read into a uint64 without
	// the digit copy, its string and big.Int's string scanner, which cost four allocations.
	if n, scale, ok := smallDecimal(s); ok {
		scale -= exp
		if scale > 1<<31-1 || scale < -1<<31 {
			return Decimal{}, fmt.Errorf("cannot parse %q as a decimal: scale out of range", orig)
		}
		u := new(big.Int).SetUint64(n)
		if neg {
			u.Neg(u)
		}
		return Decimal{Unscaled: u, Scale: int32(scale)}, nil
	}
	digits := make([]byte, 0, len(s))
	scale := int64(0)
	seenPoint := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
			if seenPoint {
				scale++
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			return Decimal{}, fmt.Errorf("cannot parse %q as a decimal: unexpected character %q", orig, c)
		}
	}
	if len(digits) == 0 {
		return Decimal{}, fmt.Errorf("cannot parse %q as a decimal: no digits", orig)
	}
	scale -= exp
	if scale > 1<<31-1 || scale < -1<<31 {
		return Decimal{}, fmt.Errorf("cannot parse %q as a decimal: scale out of range", orig)
	}
	u, ok := new(big.Int).SetString(string(digits), 10)
	if !ok {
		return Decimal{}, fmt.Errorf("cannot parse %q as a decimal", orig)
	}
	if neg {
		u.Neg(u)
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}, nil
}

// smallDecimal reads unsigned digits with at most one '.' and at most 18 digits in all (which
// fit a uint64) as their value and the number of digits after the point; ok is false for
// anything else, which ParseDecimal's general path then reads or rejects.
func smallDecimal(s string) (n uint64, scale int64, ok bool) {
	digits := 0
	seenPoint := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits++; digits > 18 {
				return 0, 0, false
			}
			n = n*10 + uint64(c-'0')
			if seenPoint {
				scale++
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			return 0, 0, false
		}
	}
	return n, scale, digits > 0
}

// unscaled returns the unscaled value, treating a nil Unscaled as zero.
func (d Decimal) unscaled() *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// String returns the decimal in plain notation, as BigDecimal.toPlainString: "1.50", "-0.001",
// "1000" for 1E+3.
func (d Decimal) String() string {
	return string(d.AppendPlain(nil))
}

// AppendPlain appends the decimal in plain notation (see String).
func (d Decimal) AppendPlain(dst []byte) []byte {
	u := d.unscaled()
	var digits []byte
	if u.IsInt64() {
		var buf [20]byte
		digits = strconv.AppendInt(buf[:0], u.Int64(), 10)
	} else {
		digits = u.Append(nil, 10)
	}
	if digits[0] == '-' {
		dst = append(dst, '-')
		digits = digits[1:]
	}
	scale := int(d.Scale)
	switch {
	case scale <= 0:
		dst = append(dst, digits...)
		if u.Sign() != 0 {
			for i := 0; i < -scale; i++ {
				dst = append(dst, '0')
			}
		}
	case len(digits) > scale:
		dst = append(dst, digits[:len(digits)-scale]...)
		dst = append(dst, '.')
		dst = append(dst, digits[len(digits)-scale:]...)
	default:
		dst = append(dst, '0', '.')
		for i := 0; i < scale-len(digits); i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	}
	return dst
}

// Equal reports whether d and o have the same unscaled value and scale (BigDecimal.equals: 1.5
// and 1.50 differ).
func (d Decimal) Equal(o Decimal) bool {
	return d.Scale == o.Scale && d.unscaled().Cmp(o.unscaled()) == 0
}

// Bytes returns the unscaled value as Kafka's Decimal logical type stores it: the minimal
// big-endian two's-complement bytes of BigInteger.toByteArray (zero is one zero byte).
func (d Decimal) Bytes() []byte {
	return AppendTwosComplement(nil, d.unscaled())
}

// AppendTwosComplement appends x as the minimal big-endian two's-complement bytes Java's
// BigInteger.toByteArray returns, without allocating when dst has room.
func AppendTwosComplement(dst []byte, x *big.Int) []byte {
	if x.Sign() >= 0 {
		// One byte more than the magnitude needs whenever the top bit would read as a sign.
		n := x.BitLen()/8 + 1
		start := len(dst)
		dst = grow(dst, n)
		x.FillBytes(dst[start:])
		return dst
	}
	// Java's bitLength of a negative x is the bit length of |x|-1: one less when |x| is a power
	// of two (-128 fits in one byte).
	bl := x.BitLen()
	if x.TrailingZeroBits() == uint(bl-1) {
		bl--
	}
	n := bl/8 + 1
	start := len(dst)
	dst = grow(dst, n)
	b := dst[start:]
	// FillBytes writes the magnitude; negate it in place: invert and add one.
	x.FillBytes(b)
	carry := true
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = ^b[i]
		if carry {
			b[i]++
			carry = b[i] == 0
		}
	}
	return dst
}

// grow extends dst by n bytes; callers overwrite them (FillBytes zero-extends).
func grow(dst []byte, n int) []byte {
	return slices.Grow(dst, n)[:len(dst)+n]
}

// DecimalFromBytes reads a two's-complement big-endian unscaled value (as Kafka's Decimal
// logical type stores it) with the given scale.
func DecimalFromBytes(b []byte, scale int32) Decimal {
	u := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		// Negative: subtract 2^(8·len).
		u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return Decimal{Unscaled: u, Scale: scale}
}
