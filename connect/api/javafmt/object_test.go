package javafmt

import (
	"errors"
	"strconv"
	"testing"
)

func TestAppendMap(t *testing.T) {
	// Debezium's MySQL offset: event and server_id share a bucket, and Debezium puts server_id
	// first (Kafka Connect's bytes, offsets/testdata/golden.tsv case "mysql").
	offset := map[string]int64{"server_id": 223344, "ts_sec": 1700000000, "pos": 154, "row": 1, "event": 2}
	got, err := AppendMap([]byte("x"), offset, func(dst []byte, _ string, v int64) ([]byte, error) {
		return strconv.AppendInt(dst, v, 10), nil
	})
	if want := `x{"ts_sec":1700000000,"pos":154,"row":1,"server_id":223344,"event":2}`; err != nil || string(got) != want {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
	if got := string(AppendStringMap(nil, map[string]string{"database": "d\"b", "server": "😀"})); got != `{"server":"\uD83D\uDE00","database":"d\"b"}` {
		t.Errorf("AppendStringMap = %s", got)
	}
	if got := string(AppendStringMap(nil, nil)); got != "{}" {
		t.Errorf("empty map = %s", got)
	}
	bad := errors.New("bad")
	_, err = AppendMap(nil, map[string]int{"a": 1}, func(dst []byte, key string, _ int) ([]byte, error) {
		return dst, errors.Join(errors.New(key), bad)
	})
	if !errors.Is(err, bad) {
		t.Errorf("error %v is not appendValue's", err)
	}
}

func TestAppendMapAllocatesNothing(t *testing.T) {
	m := map[string]string{"server": "dbserver1", "database": "inventory"}
	dst := make([]byte, 0, 128)
	if n := testing.AllocsPerRun(100, func() { AppendStringMap(dst[:0], m) }); n != 0 {
		t.Errorf("AppendStringMap allocates %v times", n)
	}
	depth := 3
	anyMap := map[string]any{"a": "x", "b": "y"}
	if n := testing.AllocsPerRun(100, func() {
		_, _ = AppendMap(dst[:0], anyMap, func(dst []byte, _ string, v any) ([]byte, error) {
			if depth > 10 {
				return dst, errors.New("deep")
			}
			return AppendString(dst, v.(string)), nil
		})
	}); n != 0 {
		t.Errorf("AppendMap with a capturing closure allocates %v times", n)
	}
}
