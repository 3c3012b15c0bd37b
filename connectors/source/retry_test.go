package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/progress"
)

var quiet = slog.New(slog.DiscardHandler)

func TestSupervisePermanentStopsAtOnce(t *testing.T) {
	calls := 0
	perm := api.Permanent(errors.New("bad row"))
	err := Supervise(context.Background(), RetryPolicy{MaxRetries: -1, Initial: time.Millisecond, Max: time.Millisecond}, quiet, "test",
		func(context.Context) (bool, error) { calls++; return true, perm }, nil)
	if !errors.Is(err, perm) || calls != 1 {
		t.Fatalf("got %v after %d calls, want the permanent error after 1", err, calls)
	}
}

func TestSuperviseUnmarkedIsPermanent(t *testing.T) {
	calls := 0
	err := Supervise(context.Background(), RetryPolicy{MaxRetries: -1, Initial: time.Millisecond}, quiet, "test",
		func(context.Context) (bool, error) { calls++; return false, errors.New("no idea") }, nil)
	if err == nil || calls != 1 {
		t.Fatalf("got %v after %d calls, want failure after 1", err, calls)
	}
}

func TestSuperviseMaxRetries(t *testing.T) {
	calls := 0
	err := Supervise(context.Background(), RetryPolicy{MaxRetries: 3, Initial: time.Millisecond, Max: 2 * time.Millisecond}, quiet, "test",
		func(context.Context) (bool, error) { calls++; return false, io.ErrUnexpectedEOF }, nil)
	if calls != 4 || !api.IsPermanent(err) || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "errors.max.retries=3") {
		t.Fatalf("got %v after %d calls, want a permanent error naming errors.max.retries after 4 calls", err, calls)
	}
	calls = 0
	err = Supervise(context.Background(), RetryPolicy{MaxRetries: 0}, quiet, "test",
		func(context.Context) (bool, error) { calls++; return false, io.EOF }, nil)
	if calls != 1 || err == nil {
		t.Fatalf("errors.max.retries=0: got %v after %d calls, want failure after 1", err, calls)
	}
}

// Progress resets the count: a connection that breaks after receiving events is never failed
// for breaks that are not in a row.
func TestSuperviseProgressResets(t *testing.T) {
	calls := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := Supervise(ctx, RetryPolicy{MaxRetries: 1, Initial: time.Millisecond, Max: time.Millisecond}, quiet, "test",
		func(context.Context) (bool, error) {
			calls++
			if calls == 10 {
				cancel()
				return false, nil
			}
			return true, api.Retriable(errors.New("dropped"))
		}, func() []any { return []any{"at", calls} })
	if err != nil || calls != 10 {
		t.Fatalf("got %v after %d calls, want nil after 10", err, calls)
	}
}

// SuperviseStream shows the connection up only from the attempt's Connected call to its end, so
// the Connected metric is down while the server refuses reconnections.
func TestSuperviseStreamConnected(t *testing.T) {
	prog := progress.New("c", 0)
	ctx, cancel := context.WithCancel(progress.NewContext(context.Background(), prog))
	defer cancel()
	var seen []bool
	calls := 0
	err := SuperviseStream(ctx, RetryPolicy{MaxRetries: -1, Initial: time.Millisecond, Max: time.Millisecond}, quiet, "test",
		func(ctx context.Context) (bool, error) {
			calls++
			seen = append(seen, prog.View().Streaming.Connected)
			if calls == 3 {
				Connected(ctx)
				seen = append(seen, prog.View().Streaming.Connected)
				cancel()
				return true, nil
			}
			return false, api.Retriable(errors.New("connection refused"))
		}, nil)
	if err != nil || fmt.Sprint(seen) != "[false false false true]" || prog.View().Streaming.Connected {
		t.Fatalf("got %v, connected %v during the attempts and %v after, want nil, [false false false true] and false",
			err, seen, prog.View().Streaming.Connected)
	}
}

func TestRetryWaits(t *testing.T) {
	p := RetryPolicy{Initial: 300 * time.Millisecond, Max: time.Second}
	var got []time.Duration
	w := time.Duration(0)
	for range 5 {
		w = p.next(w)
		got = append(got, w)
	}
	want := []time.Duration{300 * time.Millisecond, 600 * time.Millisecond, time.Second, time.Second, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
}

func TestHeaders(t *testing.T) {
	h := ContextHeaders("srv", 3, "mysql")
	if len(h) != 4 || h[0].Value != "srv" || h[1].Value != "3" || h[2].Value != "mysql" {
		t.Fatalf("headers %v", h)
	}
	id := h[3].Value.(string)
	if len(id) != 36 || id[14] != '7' || NewRunID() == id {
		t.Fatalf("run id %q is not a fresh version 7 UUID", id)
	}
	r := &api.SourceRecord{}
	AddHeaders(r, h)
	if len(r.Headers) != 4 {
		t.Fatal("headers not added")
	}
	own := &api.SourceRecord{Headers: []api.Header{{Key: "k"}}}
	AddHeaders(own, h)
	if len(own.Headers) != 5 || own.Headers[0].Key != "k" || len(h) != 4 {
		t.Fatalf("own headers first, context after: %v", own.Headers)
	}
}
