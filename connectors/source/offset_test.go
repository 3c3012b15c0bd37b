package source

import (
	"encoding/json"
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
