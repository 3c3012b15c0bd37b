package api

import (
	"math/big"
	"strings"
	"testing"
)

// The uint64 path of ParseDecimal gives what the general one does: the digits without the point
// read as a big integer, the scale the digits after the point minus the exponent.
func TestParseDecimalSmallMatchesGeneral(t *testing.T) {
	for _, in := range []string{"0", "-0", "+0", "0.00", "-0.00", "007.50", "12345.67", "-12345.67",
		"999999999999999999", "-999999999999999999", "9999999999999999.99", "1000000000000000000",
		"12345678901234567890.5", ".5", "1.", "-.25", "1.5E+3", "2e-2", "123456789012345678e5"} {
		got, err := ParseDecimal(in)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", in, err)
		}
		mant, exp := in, int64(0)
		if i := strings.IndexAny(in, "eE"); i >= 0 {
			mant = in[:i]
			e, _ := new(big.Int).SetString(strings.TrimPrefix(in[i+1:], "+"), 10)
			exp = e.Int64()
		}
		scale := int64(0)
		if i := strings.IndexByte(mant, '.'); i >= 0 {
			scale = int64(len(mant) - i - 1)
			mant = mant[:i] + mant[i+1:]
		}
		want, ok := new(big.Int).SetString(strings.TrimPrefix(mant, "+"), 10)
		if !ok {
			t.Fatalf("bad test input %q", in)
		}
		if got.Unscaled.Cmp(want) != 0 || int64(got.Scale) != scale-exp {
			t.Errorf("ParseDecimal(%q) = %s scale %d; want %s scale %d", in, got.Unscaled, got.Scale, want, scale-exp)
		}
	}
	for _, bad := range []string{"", ".", "-", "1.2.3", "1,5", "1e", "--1", "12a"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) succeeded", bad)
		}
	}
}

func BenchmarkParseDecimal(b *testing.B) {
	for _, in := range []string{"12345.67", "-98765432109876.54321", "123456789012345678901234567890.12"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseDecimal(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
