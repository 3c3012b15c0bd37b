package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

func rec(i int) *api.SourceRecord {
	return &api.SourceRecord{Topic: "t", SourceOffset: map[string]any{"i": int64(i)}}
}

func idx(r *api.SourceRecord) int { return int(r.SourceOffset["i"].(int64)) }

func TestFIFOAndBatch(t *testing.T) {
	q := New(10, 0)
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		if err := q.Put(ctx, rec(i), 1); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		max  int
		want []int
	}{
		{3, []int{0, 1, 2}},
		{10, []int{3, 4, 5, 6}},
		{5, nil},
	}
	for _, tt := range tests {
		got, err := q.Take(ctx, nil, tt.max, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("Take(%d) = %d records, want %v", tt.max, len(got), tt.want)
		}
		for i, r := range got {
			if idx(r) != tt.want[i] {
				t.Fatalf("Take(%d)[%d] = %d, want %d", tt.max, i, idx(r), tt.want[i])
			}
		}
	}
	if q.Len() != 0 || q.Bytes() != 0 {
		t.Fatalf("len %d bytes %d", q.Len(), q.Bytes())
	}
	// Wrap around the ring.
	for round := 0; round < 5; round++ {
		for i := 0; i < 8; i++ {
			if err := q.Put(ctx, rec(round*8+i), 1); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := q.Take(ctx, nil, 8, 0)
		for i, r := range got {
			if idx(r) != round*8+i {
				t.Fatalf("round %d: got %d at %d", round, idx(r), i)
			}
		}
	}
}

// startPut runs a Put in a goroutine and returns a channel with its result.
func startPut(q *Queue, ctx context.Context, r *api.SourceRecord, size int64) chan error {
	ch := make(chan error, 1)
	go func() { ch <- q.Put(ctx, r, size) }()
	return ch
}

func TestBoundsBlockPut(t *testing.T) {
	tests := []struct {
		name     string
		maxRecs  int
		maxBytes int64
		sizes    []int64 // admitted without blocking
		next     int64   // blocks
		takeN    int     // taking this many unblocks it
	}{
		{"count", 3, 0, []int64{1, 1, 1}, 1, 1},
		{"bytes", 100, 100, []int64{40, 40}, 30, 1},
		{"bytes need two", 100, 100, []int64{30, 30, 40}, 60, 2},
		{"oversized alone", 10, 10, []int64{500}, 1, 1},
	}
	for _, tt := range tests {
		q := New(tt.maxRecs, tt.maxBytes)
		ctx := context.Background()
		for i, s := range tt.sizes {
			if err := q.Put(ctx, rec(i), s); err != nil {
				t.Fatal(err)
			}
		}
		// A Put with an expired context proves it would block, without timing assumptions.
		dead, cancel := context.WithCancel(ctx)
		cancel()
		if err := q.Put(dead, rec(99), tt.next); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: Put on a full queue returned %v, want it to block", tt.name, err)
		}
		done := startPut(q, ctx, rec(99), tt.next)
		var got []*api.SourceRecord
		for len(got) < tt.takeN {
			got, _ = q.Take(ctx, got, 1, -1)
		}
		if err := <-done; err != nil {
			t.Fatalf("%s: Put after Take: %v", tt.name, err)
		}
	}
}

func TestTakeWaitsAndTimesOut(t *testing.T) {
	q := New(4, 0)
	ctx := context.Background()
	got, err := q.Take(ctx, nil, 10, time.Millisecond)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty Take = %v, %v", got, err)
	}
	done := make(chan []*api.SourceRecord)
	go func() {
		r, _ := q.Take(ctx, nil, 10, -1)
		done <- r
	}()
	if err := q.Put(ctx, rec(1), 1); err != nil {
		t.Fatal(err)
	}
	if r := <-done; len(r) != 1 || idx(r[0]) != 1 {
		t.Fatalf("waiting Take got %v", r)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := q.Take(cctx, nil, 1, -1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Take with cancelled ctx: %v", err)
	}
}

func TestClose(t *testing.T) {
	boom := errors.New("binlog reader failed")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"clean", nil, ErrClosed},
		{"failure", boom, boom},
	}
	for _, tt := range tests {
		q := New(2, 0)
		ctx := context.Background()
		q.Put(ctx, rec(1), 1)
		q.Put(ctx, rec(2), 1)
		blocked := startPut(q, ctx, rec(3), 1)
		q.Close(tt.err)
		q.Close(errors.New("second close ignored"))
		if err := <-blocked; !errors.Is(err, tt.want) {
			t.Errorf("%s: blocked Put returned %v", tt.name, err)
		}
		if err := q.Put(ctx, rec(4), 1); !errors.Is(err, tt.want) {
			t.Errorf("%s: Put after close returned %v", tt.name, err)
		}
		got, err := q.Take(ctx, nil, 10, -1)
		if err != nil || len(got) != 2 {
			t.Errorf("%s: drain got %d, %v", tt.name, len(got), err)
		}
		if _, err := q.Take(ctx, nil, 10, -1); !errors.Is(err, tt.want) {
			t.Errorf("%s: Take after drain returned %v", tt.name, err)
		}
		if !q.Closed() {
			t.Errorf("%s: not closed", tt.name)
		}
	}
}

func TestConcurrentOrderAndBounds(t *testing.T) {
	const n = 20000
	q := New(64, 64*100)
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			if err := q.Put(ctx, rec(i), int64(1+i%200)); err != nil {
				t.Error(err)
				return
			}
		}
		q.Close(nil)
	}()
	next := 0
	var batch []*api.SourceRecord
	for {
		var err error
		batch, err = q.Take(ctx, batch[:0], 50, -1)
		if l, b := q.Len(), q.Bytes(); l > 64 || (l > 1 && b > 64*100) {
			t.Fatalf("bounds passed: %d records, %d bytes", l, b)
		}
		for _, r := range batch {
			if idx(r) != next {
				t.Fatalf("got %d, want %d", idx(r), next)
			}
			next++
		}
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if next != n {
		t.Fatalf("received %d of %d", next, n)
	}
}

func TestEstimateSize(t *testing.T) {
	s := api.StructSchema().Field("a", api.StringSchema).Field("b", api.OptionalBytesSchema).Build()
	small := api.NewStruct(s)
	small.PutIndex(0, "x")
	big := api.NewStruct(s)
	big.PutIndex(0, "x")
	big.PutIndex(1, make([]byte, 10000))
	rs := &api.SourceRecord{Topic: "t", Value: small}
	rb := &api.SourceRecord{Topic: "t", Value: big}
	if a, b := EstimateSize(rs), EstimateSize(rb); a <= 0 || b < a+10000 {
		t.Fatalf("sizes %d %d", a, b)
	}
	if EstimateSize(nil) != 0 {
		t.Fatal("nil record has a size")
	}
}

func BenchmarkPutTake(b *testing.B) {
	q := New(8192, 64<<20)
	ctx := context.Background()
	r := rec(1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		batch := make([]*api.SourceRecord, 0, 2048)
		for {
			var err error
			batch, err = q.Take(ctx, batch[:0], 2048, -1)
			if err != nil {
				return
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		if err := q.Put(ctx, r, 500); err != nil {
			b.Fatal(err)
		}
	}
	q.Close(nil)
	<-done
}
