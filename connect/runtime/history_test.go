package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/offsets"
)

// Each history entry is the state of every partition right after one commit, newest first, so
// any entry can be PATCHed back as it is.
func TestOffsetHistoryStates(t *testing.T) {
	ctx := context.Background()
	store := offsets.NewMemoryStore(0)
	a, b := map[string]any{"task": "0"}, map[string]any{"task": "1"}
	set := func(entries ...api.PartitionOffset) {
		t.Helper()
		if err := store.Set(ctx, "c", entries); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // history keeps milliseconds; keep the commits apart
	}
	seq := func(n int64) map[string]any { return map[string]any{"seq": n} }
	set(api.PartitionOffset{Partition: a, Offset: seq(1)}, api.PartitionOffset{Partition: b, Offset: seq(10)})
	set(api.PartitionOffset{Partition: a, Offset: seq(2)})
	set(api.PartitionOffset{Partition: b, Offset: nil}) // deleted
	h, err := OffsetHistory(ctx, store, "c")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]any{{int64(2), nil}, {int64(2), int64(10)}, {int64(1), int64(10)}}
	if len(h.History) != len(want) {
		t.Fatalf("history = %+v, want %d states", h.History, len(want))
	}
	for i, w := range want {
		e := h.History[i]
		if len(e.Offsets) != 2 {
			t.Fatalf("state %d = %+v, want both partitions", i, e.Offsets)
		}
		for j, o := range e.Offsets {
			var got any
			if o.Offset != nil {
				got = o.Offset["seq"]
			}
			if got != w[j] {
				t.Errorf("state %d partition %v = %v, want %v", i, o.Partition, got, w[j])
			}
		}
		if i > 0 && e.TimestampMs > h.History[i-1].TimestampMs {
			t.Errorf("history is not newest first")
		}
	}
}
