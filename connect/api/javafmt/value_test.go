package javafmt

import (
	"math"
	"testing"
)

func TestAppendPrimitive(t *testing.T) {
	// What Kafka Connect's JsonConverter wrote for these Java values (offsets/testdata/golden.tsv,
	// cases "types" and "numbers").
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, "null"}, {true, "true"}, {false, "false"}, {"a\"b", `"a\"b"`},
		{int8(-4), "-4"}, {int16(3), "3"}, {int32(42), "42"}, {42, "42"},
		{int64(math.MaxInt64), "9223372036854775807"}, {int64(math.MinInt64), "-9223372036854775808"},
		{1.5, "1.5"}, {math.Copysign(0, -1), "-0.0"}, {float32(1.1), "1.1"}, {math.NaN(), `"NaN"`},
		{math.Inf(-1), `"-Infinity"`}, {[]byte{0, 1, 2, 250, 255}, `"AAEC+v8="`}, {[]byte(nil), `""`},
	} {
		got, ok := AppendPrimitive([]byte("x"), c.v)
		if !ok || string(got) != "x"+c.want {
			t.Errorf("AppendPrimitive(%#v) = %s, %v; want x%s", c.v, got, ok, c.want)
		}
	}
	for _, v := range []any{uint(1), uint64(1), map[string]any{}, []any{}, []string{}, struct{}{}} {
		if got, ok := AppendPrimitive([]byte("x"), v); ok || string(got) != "x" {
			t.Errorf("AppendPrimitive(%#v) = %s, %v; want nothing and false", v, got, ok)
		}
	}
}

func TestAppendStrings(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, "[]"}, {[]string{"a"}, `["a"]`}, {[]string{"a", "é\n"}, `["a","é\n"]`},
	} {
		if got := string(AppendStrings(nil, c.in)); got != c.want {
			t.Errorf("AppendStrings(%q) = %s; want %s", c.in, got, c.want)
		}
	}
}
