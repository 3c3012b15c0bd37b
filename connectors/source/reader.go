package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/progress"
	"github.com/connectd/connectd/connectors/queue"
)

// Reader is a source task's reader goroutine (snapshot, then stream) and the bounded queue
// between it and Poll. An error of the reader, or a panic in it, fails the task through Poll once
// what was queued before it is taken, never the worker.
type Reader struct {
	// Queue is what the reader fills and Poll drains.
	Queue *queue.Queue
	// Progress is the task's progress (Observe sets it); nil when metrics are off, and every
	// progress method is then a no-op.
	Progress *progress.Task
	maxBatch int
	poll     time.Duration

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// NewReader returns a reader whose queue holds maxQueue records and maxQueueBytes estimated bytes
// and whose Poll returns at most maxBatch records, waiting up to poll for the first.
func NewReader(maxQueue int, maxQueueBytes int64, maxBatch int, poll time.Duration) *Reader {
	return &Reader{Queue: queue.New(maxQueue, maxQueueBytes), maxBatch: maxBatch, poll: poll}
}

// Start runs run on its own goroutine, with a context Stop cancels; after, when set, runs on that
// goroutine once run returned (cleanup of what the reader owns). An error run returns while its
// context is alive, or any panic, closes the queue with it.
func (r *Reader) Start(log *slog.Logger, run func(ctx context.Context) error, after func()) {
	ctx, cancel := context.WithCancel(progress.NewContext(context.Background(), r.Progress))
	r.mu.Lock()
	r.cancel, r.done = cancel, make(chan struct{})
	done := r.done
	r.mu.Unlock()
	go func() {
		defer close(done)
		if after != nil {
			defer after()
		}
		err := api.Guard(func() error { return run(ctx) })
		r.Progress.SnapshotAborted() // a snapshot still running when the reader ends did not finish
		r.Progress.SetConnected(false)
		if err != nil && (ctx.Err() == nil || api.IsPanic(err)) {
			log.Error("connector task failed", "error", err)
			r.Queue.Close(err)
		}
	}()
}

// Put queues a record, blocking while the queue is full. A reader that must keep its connection
// alive meanwhile (PostgreSQL confirms its position to the server on every status interval)
// passes idle, which runs every interval while Put waits; an error from it ends the wait.
func (r *Reader) Put(ctx context.Context, rec *api.SourceRecord, idle func() error, interval time.Duration) error {
	if r.Progress != nil {
		r.observe(rec)
	}
	q := r.Queue
	size := queue.EstimateSize(rec)
	// The reader is the queue's only producer: with room now, Put cannot block.
	if idle == nil || q.Len() < q.Cap() && (q.MaxBytes() <= 0 || q.Len() == 0 || q.Bytes()+size <= q.MaxBytes()) {
		return q.Put(ctx, rec, size)
	}
	for {
		pctx, cancel := context.WithTimeout(ctx, interval)
		err := q.Put(pctx, rec, size)
		cancel()
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if err := idle(); err != nil {
			return fmt.Errorf("while waiting for room in the queue: %w", err)
		}
	}
}

// Poll returns the next batch of records; an ended wait is no error, the runtime polls again.
func (r *Reader) Poll(ctx context.Context) ([]*api.SourceRecord, error) {
	recs, err := r.Queue.Take(ctx, nil, r.maxBatch, r.poll)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return recs, nil
	}
	return recs, err
}

// Stop cancels the reader and waits for it, at most wait when wait > 0, and closes the queue so a
// Poll in progress returns. It reports whether the reader ended; it may be called more than once.
func (r *Reader) Stop(wait time.Duration) bool {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.mu.Unlock()
	stopped := true
	if cancel != nil {
		cancel()
		if wait > 0 {
			select {
			case <-done:
			case <-time.After(wait):
				stopped = false
			}
		} else {
			<-done
		}
	}
	r.Queue.Close(nil)
	return stopped
}
