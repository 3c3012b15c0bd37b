package mysql

import (
	"context"
	"net"
	"sync"
	"time"

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
	// queued reports the bytes in the record queue (nil: not watched). A record larger than the
	// queue's bound is admitted alone; while it waits there waitRead reads nothing either, so
	// the next large event stays in the server instead of waiting, decoded, in the streamer.
	queued func() int64
}

// queuePoll is how often waitRead looks at the queue again while it holds a record larger than
// its bound (the queue does not signal the read-ahead; only large records ever wait for this).
const queuePoll = 5 * time.Millisecond

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
		if !r.waitRelease() {
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

// waitRead blocks while the budget is spent, so that the syncer does not read the next event
// from the socket: acquire is only reached once an event has been read whole, and a 20 MB rows
// event read into go-mysql's buffer (~36 MB) would wait there, on top of the events already
// charged. It returns how long it waited (0 at once when there is room or the stream ended).
func (r *readAhead) waitRead() time.Duration {
	var start time.Time
	for {
		r.mu.Lock()
		if r.used < r.max {
			r.mu.Unlock()
			if r.queued == nil || r.queued() <= r.max {
				if start.IsZero() {
					return 0
				}
				return time.Since(start)
			}
			if start.IsZero() {
				start = time.Now()
			}
			select {
			case <-time.After(queuePoll):
			case <-r.done:
				return 0
			}
			continue
		}
		if start.IsZero() {
			start = time.Now()
		}
		if !r.waitRelease() {
			return 0
		}
	}
}

// waitRelease is called with r.mu held and returns with it released, once a release made room
// (true) or the stream ended (false).
func (r *readAhead) waitRelease() bool {
	if r.wake == nil {
		r.wake = make(chan struct{})
	}
	ch := r.wake
	r.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-r.done:
		return false
	}
}

// gatedConn is the binlog connection: each read first waits for read-ahead budget, so a full
// budget leaves the next events in the socket and the server (backpressure, nothing dropped).
// The read deadline go-mysql set before the read is moved by the time waited: the wait is ours,
// not the server's silence.
type gatedConn struct {
	net.Conn
	ahead *readAhead

	mu       sync.Mutex
	deadline time.Time // the read deadline last set
}

// Read waits for read-ahead budget, then reads.
func (c *gatedConn) Read(p []byte) (int, error) {
	if waited := c.ahead.waitRead(); waited > 0 {
		c.mu.Lock()
		d := c.deadline
		if !d.IsZero() {
			d = d.Add(waited)
			c.deadline = d
		}
		c.mu.Unlock()
		if !d.IsZero() {
			if err := c.Conn.SetReadDeadline(d); err != nil {
				return 0, err
			}
		}
	}
	return c.Conn.Read(p)
}

// SetReadDeadline sets the connection's read deadline and remembers it for Read.
func (c *gatedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline sets the connection's deadlines and remembers the read one for Read.
func (c *gatedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

// dialer returns the binlog connection's dialer: a plain TCP dial whose connection reads through
// the read-ahead budget.
func (r *readAhead) dialer() func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		return &gatedConn{Conn: c, ahead: r}, nil
	}
}
