package source

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/connectd/connectd/connectors/envelope"
)

// marks runs the driver over tables of the given sizes and returns "row:marker" in order.
func marks(t *testing.T, sizes ...int) string {
	t.Helper()
	var out []string
	s := NewSnapshotMarks(func(_ context.Context, row string, m envelope.Snapshot) error {
		out = append(out, row+":"+m.String())
		return nil
	})
	ctx := context.Background()
	for ti, n := range sizes {
		for i := 0; i < n; i++ {
			if err := s.Add(ctx, fmt.Sprintf("t%dr%d", ti, i)); err != nil {
				t.Fatal(err)
			}
		}
		if got := s.EndTable(); got != int64(n) {
			t.Fatalf("EndTable = %d, want %d", got, n)
		}
	}
	if err := s.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func TestSnapshotMarks(t *testing.T) {
	for _, c := range []struct {
		sizes []int
		want  string
	}{
		{nil, ""},
		{[]int{0, 0}, ""},
		{[]int{1}, "t0r0:last"},
		{[]int{3}, "t0r0:first t0r1:true t0r2:last"},
		{[]int{2, 3}, "t0r0:first t0r1:last_in_data_collection t1r0:first_in_data_collection t1r1:true t1r2:last"},
		{[]int{1, 1, 1}, "t0r0:first t1r0:last_in_data_collection t2r0:last"},
		// The last table is empty: the previous table's last row is the snapshot's last.
		{[]int{2, 2, 0}, "t0r0:first t0r1:last_in_data_collection t1r0:first_in_data_collection t1r1:last"},
		{[]int{0, 2}, "t1r0:first t1r1:last"},
	} {
		if got := marks(t, c.sizes...); got != c.want {
			t.Errorf("tables %v:\n got %s\nwant %s", c.sizes, got, c.want)
		}
	}
}
