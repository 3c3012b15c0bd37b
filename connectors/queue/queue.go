// Package queue is the bounded change-event queue between a connector's reader goroutine and
// its task's Poll, as Debezium's ChangeEventQueue: bounded both in records (max.queue.size) and
// in bytes (max.queue.size.in.bytes, an estimate the producer gives per record), with a blocking
// Put for backpressure on the reader, a batch Take of up to max.batch.size records that waits up
// to poll.interval.ms, and a Close that lets Poll drain what is queued and then see the reader's
// error.
//
// Memory stays bounded: the ring buffer holds at most maxRecords entries, and Put blocks while
// the bytes queued plus the new record would pass maxBytes. A single record larger than maxBytes
// is still admitted when the queue is empty, so one huge row slows the reader down instead of
// deadlocking it.
package queue

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// ErrClosed is returned by Put after Close, and by Take once a queue closed without an error is
// drained.
var ErrClosed = errors.New("change event queue is closed")

// DefaultMaxRecords is max.queue.size's default.
const DefaultMaxRecords = 8192

type entry struct {
	rec  *api.SourceRecord
	size int64
}

// Queue is a bounded FIFO of source records. It is safe for concurrent use by any number of
// producers and consumers (a connector has one of each).
type Queue struct {
	mu       sync.Mutex
	ring     []entry
	head     int // index of the oldest entry
	count    int
	bytes    int64
	maxBytes int64 // 0: no byte bound

	// notEmpty / notFull are closed (and cleared) to wake waiters; nil when nobody waits, so the
	// common case of a flowing queue allocates nothing.
	notEmpty chan struct{}
	notFull  chan struct{}

	closed bool
	err    error
}

// New returns a queue holding at most maxRecords records (DefaultMaxRecords when <= 0) and at
// most maxBytes estimated bytes (no byte bound when <= 0).
func New(maxRecords int, maxBytes int64) *Queue {
	if maxRecords <= 0 {
		maxRecords = DefaultMaxRecords
	}
	if maxBytes < 0 {
		maxBytes = 0
	}
	return &Queue{ring: make([]entry, maxRecords), maxBytes: maxBytes}
}

// Cap returns the record bound.
func (q *Queue) Cap() int { return len(q.ring) }

// MaxBytes returns the byte bound, 0 when unbounded.
func (q *Queue) MaxBytes() int64 { return q.maxBytes }

// Len returns the number of records queued.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count
}

// Bytes returns the estimated bytes queued.
func (q *Queue) Bytes() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

func (q *Queue) closedErr() error {
	if q.err != nil {
		return q.err
	}
	return ErrClosed
}

// fits reports whether a record of size may be added now (q.mu held).
func (q *Queue) fits(size int64) bool {
	if q.count == 0 {
		return true // always admit one record, however large
	}
	if q.count >= len(q.ring) {
		return false
	}
	return q.maxBytes == 0 || q.bytes+size <= q.maxBytes
}

// Put appends r, whose estimated size is size bytes (see EstimateSize), blocking while the queue
// is full. It returns ctx's error if ctx ends first, and the close error (or ErrClosed) once the
// queue is closed.
func (q *Queue) Put(ctx context.Context, r *api.SourceRecord, size int64) error {
	if size < 0 {
		size = 0
	}
	q.mu.Lock()
	for {
		if q.closed {
			err := q.closedErr()
			q.mu.Unlock()
			return err
		}
		if q.fits(size) {
			break
		}
		if q.notFull == nil {
			q.notFull = make(chan struct{})
		}
		ch := q.notFull
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		q.mu.Lock()
	}
	q.ring[(q.head+q.count)%len(q.ring)] = entry{rec: r, size: size}
	q.count++
	q.bytes += size
	if q.notEmpty != nil {
		close(q.notEmpty)
		q.notEmpty = nil
	}
	q.mu.Unlock()
	return nil
}

// Take appends to dst up to max records (all available up to max; it does not wait to fill a
// batch) and returns it. When the queue is empty it waits up to timeout for a record (forever
// when timeout < 0, not at all when 0) and returns dst unchanged with a nil error on timeout, so
// Poll can hand the runtime an empty batch. It returns ctx's error when ctx ends first, and,
// once the queue is closed and drained, the close error (or ErrClosed).
func (q *Queue) Take(ctx context.Context, dst []*api.SourceRecord, max int, timeout time.Duration) ([]*api.SourceRecord, error) {
	if max <= 0 {
		max = 1
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	q.mu.Lock()
	for q.count == 0 {
		if q.closed {
			err := q.closedErr()
			q.mu.Unlock()
			return dst, err
		}
		if timeout == 0 {
			q.mu.Unlock()
			return dst, nil
		}
		if q.notEmpty == nil {
			q.notEmpty = make(chan struct{})
		}
		ch := q.notEmpty
		q.mu.Unlock()
		var tc <-chan time.Time
		if timeout > 0 {
			if timer == nil {
				timer = time.NewTimer(timeout)
			}
			tc = timer.C
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return dst, ctx.Err()
		case <-tc:
			return dst, nil
		}
		q.mu.Lock()
	}
	n := min(max, q.count)
	for i := 0; i < n; i++ {
		e := &q.ring[q.head]
		dst = append(dst, e.rec)
		q.bytes -= e.size
		*e = entry{} // let the record be collected once Poll is done with it
		q.head++
		if q.head == len(q.ring) {
			q.head = 0
		}
	}
	q.count -= n
	if q.notFull != nil {
		close(q.notFull)
		q.notFull = nil
	}
	q.mu.Unlock()
	return dst, nil
}

// Close closes the queue: Put fails from now on, blocked Puts return, and Take returns the
// records still queued and then err (ErrClosed when err is nil). The reader closes the queue
// with its failure so Poll reports it after delivering what was read before it. Only the first
// Close counts.
func (q *Queue) Close(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed, q.err = true, err
	if q.notEmpty != nil {
		close(q.notEmpty)
		q.notEmpty = nil
	}
	if q.notFull != nil {
		close(q.notFull)
		q.notFull = nil
	}
}

// Closed reports whether Close was called.
func (q *Queue) Closed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}
