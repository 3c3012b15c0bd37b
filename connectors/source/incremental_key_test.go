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
