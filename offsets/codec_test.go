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
