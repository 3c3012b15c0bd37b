package source

import (
	"reflect"
	"strings"
	"testing"
)

func TestJavaKeyRoundTrip(t *testing.T) {
	// new Object[]{Integer.valueOf(1)} as Java's ObjectOutputStream writes it.
	const one = "aced0005757200135b4c6a6176612e6c616e672e4f626a6563743b90ce589f1073296c0200007870000000017372" +
		"00116a6176612e6c616e672e496e746567657212e2a0a4f781873802000149000576616c7565787200106a6176612e6c616e672e4e756d62657286ac951d0b94e08b02000078700000" + "0001"
	got, err := EncodeJavaKey([]any{int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got != one {
		t.Fatalf("Integer key:\n got %s\nwant %s", got, one)
	}
	for _, key := range [][]any{
		{int32(1)}, {int64(-5), int32(7), int32(9)}, {"ab€c", int64(1) << 40, int16(3)}, {int32(1), int32(2), int64(3), int64(4), "x", "y"}, {nil, int32(0)},
	} {
		s, err := EncodeJavaKey(key)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeJavaKey(s)
		if err != nil {
			t.Fatalf("%v: %v", key, err)
		}
		if !reflect.DeepEqual(back, key) {
			t.Fatalf("round trip of %v gave %v", key, back)
		}
	}
	// Debezium's incremental_snapshot_primary_key before a table's first row is sent.
	if k, err := DecodeJavaKey("aced000570"); err != nil || k != nil {
		t.Errorf("a serialized null decoded as %v, %v; want a nil key", k, err)
	}
	for _, bad := range []string{"", "zz", "aced0005", one[:len(one)-4], strings.Replace(one, "7372", "7772", 1)} {
		if _, err := DecodeJavaKey(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

// TestChunkRowValue: a value is found at the model's position or by name (ignoring case only
// when asked), and a column the row lacks is reported as a structure change.
func TestChunkRowValue(t *testing.T) {
	c := &Collection{ID: "db.t"}
	r := &ChunkRow{Values: []any{1, "a", "b"}, Columns: []string{"id", "Name", "note"}}
	for _, tc := range []struct {
		i    int
		name string
		fold bool
		want any
	}{
		{0, "id", false, 1},
		{1, "Name", false, "a"},
		{0, "note", false, "b"},
		{2, "name", true, "a"},
	} {
		if got, err := r.Value(c, tc.i, tc.name, tc.fold); err != nil || got != tc.want {
			t.Errorf("Value(%d, %q, %v) = %v, %v; want %v", tc.i, tc.name, tc.fold, got, err, tc.want)
		}
	}
	if _, err := r.Value(c, 1, "name", false); err == nil || !strings.Contains(err.Error(), "the structure of db.t changed while a chunk was read (column name)") {
		t.Errorf("a missing column: %v", err)
	}
}
