package mysql

import (
	"sync"

	"github.com/go-mysql-org/go-mysql/replication"
)

// readAhead bounds the bytes of rows events that go-mysql has read from the server but the
// streamer has not handled yet. The syncer's goroutine reads, decodes and queues up to
// EventCacheCount events ahead of the streamer, whatever their size: 128 rows events of 10 MiB
// rows are 1.3 GiB of raw bytes plus their decoded values, held while the streamer waits for
// room in the record queue. Charging each rows event's bytes before it is decoded, and waiting
// there while the budget is spent, makes the syncer stop reading the socket instead, so the
// server holds the backlog. Small events never reach the budget: 128 events of
// binlog_row_event_max_size (8 KiB) are 1 MiB.
type readAhead struct {
	max int64

	mu   sync.Mutex
	used int64
	// wake is closed (and cleared) when bytes are released; nil while nobody waits, so a flowing
	// stream allocates nothing.
	wake chan struct{}
	// done is closed when the stream ends, so a syncer waiting for budget lets go and can close.
	done chan struct{}
	// sizes holds each charged event's bytes until it is released.
	sizes map[*replication.RowsEvent]int64
}

// readAheadFloor is the least read-ahead allowed, and the budget when the record queue has no
// byte bound (max.queue.size.in.bytes=0).
const (
	readAheadFloor     = 4 << 20
	readAheadUnbounded = 64 << 20
)

// newReadAhead returns a budget of max bytes: the record queue's byte bound, so what waits
// before the queue is bounded like what waits in it.
func newReadAhead(queueBytes int64) *readAhead {
	n := int64(readAheadUnbounded)
	if queueBytes > 0 {
		n = max(queueBytes, readAheadFloor)
	}
	return &readAhead{max: n, done: make(chan struct{}), sizes: map[*replication.RowsEvent]int64{}}
}

// acquire charges n bytes for e, waiting while the bytes in flight and n would pass the budget;
// one event larger than the whole budget is admitted when nothing else is in flight. It returns
// at once after close.
func (r *readAhead) acquire(e *replication.RowsEvent, n int64) {
	r.mu.Lock()
	for r.used > 0 && r.used+n > r.max {
		if r.wake == nil {
			r.wake = make(chan struct{})
		}
		ch := r.wake
		r.mu.Unlock()
		select {
		case <-ch:
		case <-r.done:
			return
		}
		r.mu.Lock()
	}
	r.used += n
	r.sizes[e] = n
	r.mu.Unlock()
}

// release returns the bytes charged for the rows events of ev (those inside a compressed
// transaction payload too) once the streamer has handled it.
func (r *readAhead) release(ev *replication.BinlogEvent) {
	switch e := ev.Event.(type) {
	case *replication.RowsEvent:
		r.releaseRows(e)
	case *replication.TransactionPayloadEvent:
		for _, inner := range e.Events {
			r.release(inner)
		}
	}
}

func (r *readAhead) releaseRows(e *replication.RowsEvent) {
	r.mu.Lock()
	n, ok := r.sizes[e]
	if !ok {
		r.mu.Unlock()
		return
	}
	delete(r.sizes, e)
	r.used -= n
	if r.wake != nil {
		close(r.wake)
		r.wake = nil
	}
	r.mu.Unlock()
}

// close ends every wait, now and later: the stream is over.
func (r *readAhead) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.done:
	default:
		close(r.done)
	}
}
