package offsets

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeKeyDebezium(t *testing.T) {
	for _, c := range []struct {
		connector string
		partition map[string]any
		want      string
	}{
		{"inventory-connector", map[string]any{"server": "dbserver1"}, `["inventory-connector",{"server":"dbserver1"}]`},
		// SQL Server's two-field partition: Java's HashMap puts "server" (bucket 1) before "database" (bucket 2).
		{"sqlserver-connector", map[string]any{"database": "testDB", "server": "server1"}, `["sqlserver-connector",{"server":"server1","database":"testDB"}]`},
		// map[string]string partitions (what a connector may build) encode the same.
		{"c", map[string]any{"x": map[string]string{"server": "s", "database": "d"}}, `["c",{"x":{"server":"s","database":"d"}}]`},
	} {
		got, err := EncodeKey(c.connector, c.partition)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("got %s want %s", got, c.want)
		}
	}
	if _, err := EncodeKey("c", nil); err == nil {
		t.Error("nil partition accepted")
	}
	if _, err := EncodeKey("c", map[string]any{"ch": make(chan int)}); err == nil || !strings.Contains(err.Error(), `"ch"`) {
		t.Errorf("unsupported type: %v", err)
	}
	if _, err := EncodeOffset(map[string]any{"u": uint64(math.MaxUint64)}); err == nil {
		t.Error("uint64 beyond a Java long accepted")
	}
	if b, err := EncodeOffset(nil); err != nil || b != nil {
		t.Errorf("nil offset must be a tombstone: %q %v", b, err)
	}
}

func TestJavaFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		bits int
		want string
	}{
		{1, 64, "1.0"}, {100, 64, "100.0"}, {1234567, 64, "1234567.0"}, {9999999.5, 64, "9999999.5"},
		{1e7, 64, "1.0E7"}, {12345678.9, 64, "1.23456789E7"}, {0.001, 64, "0.001"}, {0.00099, 64, "9.9E-4"},
		{-2.5, 64, "-2.5"}, {1e-300, 64, "1.0E-300"}, {math.MaxFloat64, 64, "1.7976931348623157E308"},
		{5e-324, 64, "4.9E-324"}, {0.1, 64, "0.1"}, {math.Copysign(0, -1), 64, "-0.0"}, {0, 64, "0.0"},
		{float64(float32(1.1)), 32, "1.1"}, {float64(float32(3.4028235e38)), 32, "3.4028235E38"},
		{math.NaN(), 64, `"NaN"`}, {math.Inf(-1), 64, `"-Infinity"`},
	} {
		if got := string(appendJavaFloat(nil, c.f, c.bits)); got != c.want {
			t.Errorf("%v: got %s want %s", c.f, got, c.want)
		}
	}
}

func TestAppendStringJackson(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           `"plain"`,
		"q\"b\\s/":        `"q\"b\\s/"`,
		"\b\t\n\f\r":      `"\b\t\n\f\r"`,
		"\x00\x0b\x1f":    `"\u0000\u000B\u001F"`,
		"\x7f é€":         "\"\x7f é€\"",
		"😀":               `"\uD83D\uDE00"`,
		"bad\xffutf8":     "\"bad\uFFFDutf8\"",
		"</script>\u2028": "\"</script>\u2028\"",
	} {
		if got := string(appendString(nil, in)); got != want {
			t.Errorf("%q: got %s want %s", in, got, want)
		}
	}
}

func TestJavaStringHash(t *testing.T) {
	// Values of "...".hashCode() printed by jshell.
	for s, want := range map[string]int32{
		"":          0,
		"server":    -905826493,
		"database":  1789464955,
		"pos":       111188,
		"é":         233,
		"😀":         1772899,
		"gtids":     98682539,
		"server_id": -197437545,
	} {
		if got := javaStringHash(s); got != want {
			t.Errorf("%q: got %d want %d", s, got, want)
		}
	}
}

func TestJavaHashMapOrderResizes(t *testing.T) {
	if javaTableSize(12) != 16 || javaTableSize(13) != 32 || javaTableSize(24) != 32 || javaTableSize(25) != 64 {
		t.Error("table sizes do not follow HashMap's 0.75 load factor")
	}
	// Order is a function of the key set only.
	a := javaHashMapOrder([]string{"file", "pos", "row", "event", "server_id", "gtids", "ts_sec"})
	b := javaHashMapOrder([]string{"ts_sec", "gtids", "server_id", "event", "row", "pos", "file"})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("order depends on input order: %v vs %v", a, b)
	}
}

func TestDecodeNumbers(t *testing.T) {
	off, err := DecodeOffset([]byte(`{"i":154,"n":-7,"big":9223372036854775807,"f":1.0,"e":1e2,"z":-0}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"i": int64(154), "n": int64(-7), "big": int64(math.MaxInt64), "f": 1.0, "e": 100.0, "z": int64(0)}
	if !reflect.DeepEqual(off, want) {
		t.Errorf("got %#v", off)
	}
	if _, err := DecodeOffset([]byte(`{"x":9223372036854775808}`)); err == nil || !strings.Contains(err.Error(), "64-bit") {
		t.Errorf("integer overflow: %v", err)
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	for _, c := range []struct {
		key       string
		connector string // expected connector even though the key is bad; "" when unknown
		problem   string
	}{
		{`not json`, "", "not valid JSON"},
		{`{"a":1}`, "", "JSON object, not the list"},
		{`[]`, "", "empty list"},
		{`[1,{}]`, "", "first element"},
		{`["c"]`, "c", "1 elements"},
		{`["c",{},3]`, "c", "3 elements"},
		{`["c","server"]`, "c", "second element"},
		{`["c",null]`, "c", "second element"},
		{`["c",{"server":"s"}`, "c", "end of input"},
		{`[ "c" , {"server" "s"}]`, "c", "expected ':'"},
		{`["c",{"server":"s"}]x`, "c", "after the end"},
		{`["c",{"server":'s'}]`, "c", "expected a value"},
		{`["c",{"a":01}]`, "c", "leading zero"},
		{`["c",{"a":"\x"}]`, "c", "invalid escape"},
		{"[\"c\",{\"a\":\"tab\tinside\"}]", "c", "control character"},
		{"[\"c\xff\",{}]", "", "not valid UTF-8"},
	} {
		conn, part, known, err := decodeKey([]byte(c.key))
		if err == nil {
			t.Errorf("%s: accepted as %q %v", c.key, conn, part)
			continue
		}
		if !strings.Contains(err.Error(), c.problem) {
			t.Errorf("%s: error %q does not say %q", c.key, err, c.problem)
		}
		if (c.connector != "") != known || conn != c.connector {
			t.Errorf("%s: connector %q known=%v, want %q", c.key, conn, known, c.connector)
		}
	}
	if _, _, err := DecodeKey(nil); err == nil {
		t.Error("null key accepted")
	}
}

func TestDecodeKeyNormalises(t *testing.T) {
	conn, part, err := DecodeKey([]byte("\n[ \"sqlserver-connector\" ,\n {\"database\" : \"testDB\", \"server\":\"server1\"} ]\n"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := EncodeKey(conn, part)
	if string(key) != `["sqlserver-connector",{"server":"server1","database":"testDB"}]` {
		t.Errorf("normalised to %s", key)
	}
	// Escapes decode to the same string Jackson would, surrogate pairs included.
	_, part, err = DecodeKey([]byte(`["c",{"s":"\u00e9\/\ud83d\ude00\ud800x"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if part["s"] != "é/😀\uFFFDx" {
		t.Errorf("escapes decoded to %q", part["s"])
	}
}

func TestDecodeOffsetShapes(t *testing.T) {
	if m, err := DecodeOffset(nil); m != nil || err != nil {
		t.Errorf("tombstone: %v %v", m, err)
	}
	if m, err := DecodeOffset([]byte(" null ")); m != nil || err != nil {
		t.Errorf("JSON null: %v %v", m, err)
	}
	if _, err := DecodeOffset([]byte{}); err == nil || !strings.Contains(err.Error(), "tombstone") {
		t.Errorf("empty value: %v", err)
	}
	if _, err := DecodeOffset([]byte(`[1]`)); err == nil || !strings.Contains(err.Error(), "list") {
		t.Errorf("list value: %v", err)
	}
	deep := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	if _, err := DecodeOffset([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Errorf("deep nesting: %v", err)
	}
}

func TestValidateOffsetMap(t *testing.T) {
	if err := ValidateOffsetMap("offset", map[string]any{"a": int64(1), "b": "x", "c": nil, "d": []byte{1}, "e": 1.5, "f": true}); err != nil {
		t.Error(err)
	}
	if err := ValidateOffsetMap("offset", map[string]any{"nested": map[string]any{}}); err == nil || !strings.Contains(err.Error(), "primitive") {
		t.Errorf("nested map: %v", err)
	}
}

// FuzzDecode checks that no input makes the decoder panic, and that whatever decodes re-encodes to
// bytes that decode to the same value (the canonical form is a fixed point).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`["inventory-connector",{"server":"dbserver1"}]`,
		`[ "c" , { "database":"d","server":"s" } ]`,
		`{"file":"mysql-bin.000003","pos":154,"gtids":null,"snapshot":true,"f":1.5e-7}`,
		`{"s":"\u00e9\ud83d\ude00\n"}`,
		`["c",{"a":[1,2,{"b":null}]}]`,
		`["c",{"server":"s"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if conn, part, err := DecodeKey(data); err == nil {
			key, err := EncodeKey(conn, part)
			if err != nil {
				t.Fatalf("decoded key does not encode: %v", err)
			}
			conn2, part2, err := DecodeKey(key)
			if err != nil || conn2 != conn || !equalJSON(part, part2) {
				t.Fatalf("key %q -> %s does not round trip", data, key)
			}
		}
		if off, err := DecodeOffset(data); err == nil && off != nil {
			value, err := EncodeOffset(off)
			if err != nil {
				t.Fatalf("decoded offset does not encode: %v", err)
			}
			off2, err := DecodeOffset(value)
			if err != nil || !equalJSON(off, off2) {
				t.Fatalf("offset %q -> %s does not round trip", data, value)
			}
		}
	})
}

// equalJSON is reflect.DeepEqual that treats NaN as equal to NaN (it cannot come from JSON, but
// ±Inf can, from huge exponents, and encodes as a string).
func equalJSON(a, b map[string]any) bool {
	ka, _ := EncodeOffset(a)
	kb, _ := EncodeOffset(b)
	return string(ka) == string(kb)
}
