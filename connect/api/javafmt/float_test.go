package javafmt

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// javaArrays reads a golden {"d":[...],"f":[...]} and returns the texts of both arrays as
// Jackson wrote them (NaN and the infinities quoted).
func javaArrays(t *testing.T, name string) (ds, fs []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(data))
	d, f, ok := strings.Cut(strings.TrimPrefix(s, `{"d":[`), `],"f":[`)
	if !ok || !strings.HasSuffix(f, "]}") {
		t.Fatalf("%s is not {\"d\":[...],\"f\":[...]}", name)
	}
	return strings.Split(d, ","), strings.Split(strings.TrimSuffix(f, "]}"), ",")
}

// addF and mulF do float arithmetic at run time, as Java does, rather than Go's exact constant
// arithmetic.
func addF(a, b float64) float64 { return a + b }
func mulF(a, b float64) float64 { return a * b }

// TestJavaFloatGolden checks hand-picked edge cases (plain/scientific boundaries, subnormals, the
// values JDK 17 prints differently) against what Java wrote (testdata/floats_s0.json).
func TestJavaFloatGolden(t *testing.T) {
	doubles := []float64{0.1, 1e20, math.Copysign(0, -1), 0.0, 1.0e-7, 1e7, 9999999.0, 9999999.999, 0.001, 0.00099999,
		1e-4, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64, 0x1p-1022, 1e23, math.Pow(2, -44),
		100.0, 1.0, -1.5, 3.0e10, 4.35, 2.0 / 3, 1e21, 1e-5, 12345678.9, 0.3, 1e-310, 2.5e-320, 9007199254740993.0,
		1e16, 123e300, -2.2250738585072014e-308, mulF(5e-324, 3), addF(0.1, 0.2), 1e22, 8.41e21, mulF(5.0e-324, 7),
		math.NaN(), math.Inf(1), math.Inf(-1)}
	floats := []float32{0.1, 1e10, math.MaxFloat32, math.SmallestNonzeroFloat32,
		0x1p-126, 16777216, 1.0e-5, 0.33333334, 100, float32(math.Copysign(0, -1)),
		1e7, 9999999, 0.001, 3.14, 2.7182817, 1e-40, 1.0e-3,
		123456.79, 8.5e-44, 1e38, 7e-45,
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	wantD, wantF := javaArrays(t, "floats_s0.json")
	if len(wantD) != len(doubles) || len(wantF) != len(floats) {
		t.Fatalf("%d/%d values, %d/%d in the golden file", len(doubles), len(floats), len(wantD), len(wantF))
	}
	for i, d := range doubles {
		if got := string(AppendJacksonDouble(nil, d)); got != wantD[i] {
			t.Errorf("AppendJacksonDouble(%b) = %s, Java %s", d, got, wantD[i])
		}
		// Double.toString is the same text, unquoted.
		if got, want := string(AppendDouble(nil, d)), strings.Trim(wantD[i], `"`); got != want {
			t.Errorf("AppendDouble(%b) = %s, Java %s", d, got, want)
		}
	}
	for i, f := range floats {
		if got := string(AppendJacksonFloat(nil, f)); got != wantF[i] {
			t.Errorf("AppendJacksonFloat(%b) = %s, Java %s", f, got, wantF[i])
		}
		if got, want := string(AppendFloat(nil, f)), strings.Trim(wantF[i], `"`); got != want {
			t.Errorf("AppendFloat(%b) = %s, Java %s", f, got, want)
		}
	}
}

// TestJavaFloatRandomGolden checks 6,000 random doubles and floats against Java's text
// (testdata/floats_random_s0.json, bits in floats_random_bits.txt).
func TestJavaFloatRandomGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "floats_random_bits.txt"))
	if err != nil {
		t.Fatal(err)
	}
	wantD, wantF := javaArrays(t, "floats_random_s0.json")
	var nd, nf int
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		kind, hex, _ := strings.Cut(line, " ")
		v, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			t.Fatalf("bad line %q in floats_random_bits.txt", line)
		}
		if kind == "d" {
			d := math.Float64frombits(v)
			if got := string(AppendDouble(nil, d)); nd >= len(wantD) || got != wantD[nd] {
				t.Fatalf("double %d (%s): AppendDouble = %s, Java %s", nd, hex, got, wantD[min(nd, len(wantD)-1)])
			}
			nd++
			continue
		}
		f := math.Float32frombits(uint32(v))
		if got := string(AppendFloat(nil, f)); nf >= len(wantF) || got != wantF[nf] {
			t.Fatalf("float %d (%s): AppendFloat = %s, Java %s", nf, hex, got, wantF[min(nf, len(wantF)-1)])
		}
		nf++
	}
	if nd != len(wantD) || nf != len(wantF) || nd < 2900 || nf < 2900 {
		t.Fatalf("checked %d doubles and %d floats of %d and %d", nd, nf, len(wantD), len(wantF))
	}
}

func TestJavaFloatCases(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {100, "100.0"}, {1234567, "1234567.0"}, {9999999.5, "9999999.5"},
		{1e7, "1.0E7"}, {12345678.9, "1.23456789E7"}, {0.001, "0.001"}, {0.00099, "9.9E-4"},
		{-2.5, "-2.5"}, {1e-300, "1.0E-300"}, {math.MaxFloat64, "1.7976931348623157E308"},
		{5e-324, "4.9E-324"}, {0.1, "0.1"}, {0.0001, "1.0E-4"}, {1.2345678e-5, "1.2345678E-5"},
		{-1e10, "-1.0E10"}, {123.456, "123.456"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
	} {
		if got := string(AppendDouble(nil, c.f)); got != c.want {
			t.Errorf("AppendDouble(%v) = %s, want %s", c.f, got, c.want)
		}
	}
	for _, c := range []struct {
		f    float32
		want string
	}{
		{1.1, "1.1"}, {3.4028235e38, "3.4028235E38"}, {float32(math.NaN()), "NaN"}, {float32(math.Inf(-1)), "-Infinity"},
	} {
		if got := string(AppendFloat(nil, c.f)); got != c.want {
			t.Errorf("AppendFloat(%v) = %s, want %s", c.f, got, c.want)
		}
	}
	if got := string(AppendDouble([]byte("keep:"), 2)); got != "keep:2.0" {
		t.Errorf("AppendDouble does not append: %s", got)
	}
}

// TestJavaFloatReadsBack checks that, whatever the value, the text reads back as the same value.
func TestJavaFloatReadsBack(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := string(AppendDouble(nil, f))
		if back, err := strconv.ParseFloat(s, 64); err != nil || back != f {
			t.Fatalf("AppendDouble(%b) = %s, reads back as %v (%v)", f, s, back, err)
		}
		g := math.Float32frombits(r.Uint32())
		if g != g || math.IsInf(float64(g), 0) {
			continue
		}
		s = string(AppendFloat(nil, g))
		if back, err := strconv.ParseFloat(s, 32); err != nil || float32(back) != g {
			t.Fatalf("AppendFloat(%b) = %s, reads back as %v (%v)", g, s, back, err)
		}
	}
}

func TestJavaFloatAllocatesNothing(t *testing.T) {
	dst := make([]byte, 0, 64)
	for _, f := range []float64{1.5, 1e-320, 123456.789e100} {
		if n := testing.AllocsPerRun(100, func() { AppendDouble(dst[:0], f) }); n != 0 {
			t.Errorf("AppendDouble(%v) allocates %v times", f, n)
		}
	}
}
