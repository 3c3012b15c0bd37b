package source

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOffsetInt(t *testing.T) {
	for _, v := range []any{int64(42), 42, int32(42), uint32(42), uint64(42), float64(42), json.Number("42"), " 42"} {
		if n, err := OffsetInt(v); err != nil || n != 42 {
			t.Errorf("OffsetInt(%#v) = %d, %v; want 42", v, n, err)
		}
	}
	for _, v := range []any{nil, 4.5, "x", json.Number("4.5"), uint64(1 << 63), true} {
		if _, err := OffsetInt(v); err == nil {
			t.Errorf("OffsetInt(%#v) succeeded, want an error", v)
		}
	}
}

// TestReadSnapshotMarkers: a snapshot is running while "snapshot" is set (Debezium 3's type or
// older versions' true) and neither its last record nor its completion is marked.
func TestReadSnapshotMarkers(t *testing.T) {
	for _, tc := range []struct {
		m       map[string]any
		running bool
	}{
		{map[string]any{}, false},
		{map[string]any{"snapshot": "INITIAL"}, true},
		{map[string]any{"snapshot": true}, true},
		{map[string]any{"snapshot": "false"}, false},
		{map[string]any{"snapshot": "FALSE"}, false},
		{map[string]any{"snapshot": false}, false},
		{map[string]any{"snapshot": "INITIAL", "last_snapshot_record": true}, false},
		{map[string]any{"snapshot": "INITIAL", "last_snapshot_record": false, "snapshot_completed": false}, true},
		{map[string]any{"snapshot": "INITIAL", "snapshot_completed": true}, false},
		{map[string]any{"snapshot": true, "snapshot_completed": "true"}, false},
	} {
		if got := ReadSnapshotMarkers(tc.m).Running(); got != tc.running {
			t.Errorf("%v: running %v, want %v", tc.m, got, tc.running)
		}
	}
}

// TestOffsetFields: absent and null fields read as missing, the first bad number is the error,
// and text fields print whatever the store decoded.
func TestOffsetFields(t *testing.T) {
	f := OffsetFields{M: map[string]any{"a": float64(7), "n": nil, "bad": "x", "later": "y", "s": json.Number("12")}}
	if n, ok := f.Int("a"); n != 7 || !ok {
		t.Errorf("a: %d %v", n, ok)
	}
	if _, ok := f.Int("n"); ok {
		t.Error("a null field read as present")
	}
	if _, ok := f.Int("missing"); ok {
		t.Error("a missing field read as present")
	}
	if s := f.String("s"); s != "12" {
		t.Errorf("String(s) = %q", s)
	}
	f.Int("bad")
	f.Int("later")
	if f.Err == nil || !strings.Contains(f.Err.Error(), `offset field "bad"`) {
		t.Errorf("error %v, want the first bad field's", f.Err)
	}
}
