package source

import (
	"io"
	"log/slog"
	"testing"

	"github.com/connectd/connectd/signals"
)

// TestIncrementalFormat37 checks the fields Debezium 3.7 adds to 3.5's incremental snapshot
// format, written only under signals.Config.Debezium37, and that either runtime's offsets load.
func TestIncrementalFormat37(t *testing.T) {
	m := windowMeta{open: "2026-12-07T23:00:00.123Z", correlation: `a"b`, collection: "s.big"}
	if got, want := m.data(""), `{"openWindowTimestamp": "2026-12-07T23:00:00.123Z", "correlationId": "a\"b", "dataCollectionId": "s.big"}`; got != want {
		t.Errorf("open data %s, want %s", got, want)
	}
	if got, want := (windowMeta{open: "o"}).data("c"), `{"openWindowTimestamp": "o", "closeWindowTimestamp": "c"}`; got != want {
		t.Errorf("3.5 close data %s, want %s", got, want)
	}
	// Debezium 3.7's offset, as its worker stores it.
	off := map[string]any{
		OffIncCollections:   `[{"incremental_snapshot_collections_id":"s.big","incremental_snapshot_collections_additional_condition":null,"incremental_snapshot_collections_surrogate_key":null,"incremental_snapshot_collections_correlation_id":"isr-1"}]`,
		OffIncPrimaryKey:    mustKey(t, []any{int64(100)}),
		OffIncMaximumKey:    mustKey(t, []any{int64(10050)}),
		OffIncCorrelationID: "isr-1",
		OffIncTotalRows:     "10050",
	}
	for _, v37 := range []bool{true, false} {
		e := NewIncremental(&windowDB{}, &signals.Config{ChunkSize: 100, Debezium37: v37}, "", nil, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := e.Load(off); err != nil {
			t.Fatal(err)
		}
		got := map[string]any{}
		e.mu.Lock()
		e.addOffsetFieldsLocked(got)
		e.mu.Unlock()
		if v37 {
			for k, v := range off {
				if got[k] != v {
					t.Errorf("3.7: %s %v, want %v", k, got[k], v)
				}
			}
			continue
		}
		if _, ok := got[OffIncTotalRows]; ok {
			t.Errorf("3.5: %s written", OffIncTotalRows)
		}
		if want := `[{"incremental_snapshot_collections_id":"s.big","incremental_snapshot_collections_additional_condition":null,"incremental_snapshot_collections_surrogate_key":null}]`; got[OffIncCollections] != want {
			t.Errorf("3.5: %s %v, want %s", OffIncCollections, got[OffIncCollections], want)
		}
	}
}

func mustKey(t *testing.T, k []any) string {
	t.Helper()
	s, err := EncodeJavaKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
