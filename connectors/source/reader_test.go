package source

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// While the queue is full, Put keeps calling idle (PostgreSQL's keepalive) until there is room.
func TestReaderPutIdlesWhileFull(t *testing.T) {
	r := NewReader(1, 0, 1, 10*time.Millisecond)
	ctx := context.Background()
	if err := r.Put(ctx, &api.SourceRecord{Topic: "a"}, nil, 0); err != nil {
		t.Fatal(err)
	}
	var idles atomic.Int32
	idle := func() error {
		if idles.Add(1) == 3 {
			go func() { _, _ = r.Poll(ctx) }()
		}
		return nil
	}
	if err := r.Put(ctx, &api.SourceRecord{Topic: "b"}, idle, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if idles.Load() < 3 {
		t.Fatalf("idle ran %d times, want at least 3", idles.Load())
	}
	broken := errors.New("keepalive failed")
	err := r.Put(ctx, &api.SourceRecord{Topic: "c"}, func() error { return broken }, 5*time.Millisecond)
	if !errors.Is(err, broken) {
		t.Fatalf("Put = %v, want the idle error", err)
	}
}

// A reader error fails Poll after what was queued before it; a panic too; Stop ends the reader.
func TestReaderFailsThroughPoll(t *testing.T) {
	ctx := context.Background()
	r := NewReader(10, 0, 10, 10*time.Millisecond)
	boom := errors.New("boom")
	r.Start(quiet, func(ctx context.Context) error {
		if err := r.Put(ctx, &api.SourceRecord{Topic: "a"}, nil, 0); err != nil {
			return err
		}
		return boom
	}, nil)
	var got []*api.SourceRecord
	var err error
	for deadline := time.Now().Add(5 * time.Second); err == nil && time.Now().Before(deadline); {
		var recs []*api.SourceRecord
		recs, err = r.Poll(ctx)
		got = append(got, recs...)
	}
	if len(got) != 1 || !errors.Is(err, boom) {
		t.Fatalf("got %d records and %v, want 1 record then the reader's error", len(got), err)
	}
	r.Stop(time.Second)

	p := NewReader(10, 0, 10, 10*time.Millisecond)
	p.Start(quiet, func(context.Context) error { panic("bad input") }, nil)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, err = p.Poll(ctx); err != nil {
			break
		}
	}
	if !api.IsPanic(err) {
		t.Fatalf("Poll after a panic = %v, want the panic as an error", err)
	}

	var cleaned atomic.Bool
	s := NewReader(10, 0, 10, 10*time.Millisecond)
	s.Start(quiet, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, func() { cleaned.Store(true) })
	if !s.Stop(5*time.Second) || !cleaned.Load() {
		t.Fatal("Stop did not end the reader and run its cleanup")
	}
}
