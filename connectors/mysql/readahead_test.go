package mysql

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"
)

// TestReadAheadBoundsBytes: the syncer's goroutine waits once the rows events it read ahead
// reach the budget, goes on when the streamer releases one, admits a single event larger than
// the budget, and never waits after the stream ended.
func TestReadAheadBoundsBytes(t *testing.T) {
	r := newReadAhead(1) // below the floor: the budget is readAheadFloor
	if r.max != readAheadFloor {
		t.Fatalf("budget %d, want the floor %d", r.max, readAheadFloor)
	}
	if u := newReadAhead(0); u.max != readAheadUnbounded {
		t.Fatalf("budget with an unbounded queue %d, want %d", u.max, readAheadUnbounded)
	}
	ev := func() (*replication.RowsEvent, *replication.BinlogEvent) {
		e := &replication.RowsEvent{}
		return e, &replication.BinlogEvent{Event: e}
	}
	// One event larger than the whole budget is admitted when nothing is in flight.
	huge, hugeEv := ev()
	r.acquire(huge, 3*readAheadFloor)
	small, smallEv := ev()
	acquired := make(chan struct{})
	go func() {
		r.acquire(small, 1024)
		close(acquired)
	}()
	select {
	case <-acquired:
		t.Fatal("a second event was admitted while the budget was spent")
	case <-time.After(100 * time.Millisecond):
	}
	r.release(hugeEv)
	select {
	case <-acquired:
	case <-time.After(5 * time.Second):
		t.Fatal("releasing the large event did not let the next one in")
	}
	r.release(smallEv)
	r.release(smallEv) // a second release of the same event changes nothing
	r.mu.Lock()
	used, left := r.used, len(r.sizes)
	r.mu.Unlock()
	if used != 0 || left != 0 {
		t.Fatalf("after every release: %d bytes and %d events charged, want none", used, left)
	}

	// Events inside a compressed transaction payload are released with it.
	a, _ := ev()
	b, _ := ev()
	r.acquire(a, readAheadFloor/2)
	r.acquire(b, readAheadFloor/2)
	r.release(&replication.BinlogEvent{Event: &replication.TransactionPayloadEvent{Events: []*replication.BinlogEvent{{Event: a}, {Event: b}}}})
	if r.used != 0 {
		t.Fatalf("%d bytes still charged after the payload's release", r.used)
	}

	// close ends a wait in progress and every later one.
	r.acquire(huge, 3*readAheadFloor)
	waiting := make(chan struct{})
	go func() {
		r.acquire(small, 1024)
		close(waiting)
	}()
	time.Sleep(50 * time.Millisecond)
	r.close()
	r.close()
	select {
	case <-waiting:
	case <-time.After(5 * time.Second):
		t.Fatal("close did not end the wait for budget")
	}
	other, _ := ev()
	r.acquire(other, 3*readAheadFloor) // returns at once after close
}

// The binlog connection is not read while the budget is spent, so a large event waits in the
// server rather than in connectd; the time waited does not count against the read deadline, and
// close ends the wait.
func TestReadAheadGatesTheConnection(t *testing.T) {
	r := newReadAhead(readAheadFloor)
	server, client := net.Pipe()
	defer server.Close()
	c := &gatedConn{Conn: client, ahead: r}
	defer c.Close()
	huge := &replication.RowsEvent{}
	r.acquire(huge, 3*readAheadFloor)
	if err := c.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	type result struct {
		n   int
		err error
	}
	read := make(chan result, 1)
	go func() {
		buf := make([]byte, 4)
		n, err := c.Read(buf)
		read <- result{n, err}
	}()
	select {
	case res := <-read:
		t.Fatalf("the connection was read (%d bytes, %v) while the budget was spent", res.n, res.err)
	case <-time.After(400 * time.Millisecond):
	}
	r.release(&replication.BinlogEvent{Event: huge})
	go func() { _, _ = server.Write([]byte("ping")) }()
	select {
	case res := <-read:
		if res.err != nil || res.n != 4 {
			t.Fatalf("after the release the read returned %d bytes, %v; want the 4 bytes sent (the wait must not use up the deadline)", res.n, res.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("releasing the event did not let the read go on")
	}

	r.acquire(huge, 3*readAheadFloor)
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4)
		n, err := c.Read(buf)
		read <- result{n, err}
	}()
	time.Sleep(50 * time.Millisecond)
	r.close()
	go func() { _, _ = server.Write([]byte("pong")) }()
	select {
	case res := <-read:
		if res.err != nil || res.n != 4 {
			t.Fatalf("after close the read returned %d bytes, %v", res.n, res.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("close did not end the wait before a read")
	}
}

// While the record queue holds a record larger than its bound (admitted alone), the connection
// is not read either: the next large event stays in the server.
func TestReadAheadWaitsForAnOversizedQueue(t *testing.T) {
	r := newReadAhead(readAheadFloor)
	var queued atomic.Int64
	r.queued = queued.Load
	if w := r.waitRead(); w != 0 {
		t.Fatalf("waited %v with room everywhere", w)
	}
	queued.Store(3 * readAheadFloor)
	done := make(chan time.Duration, 1)
	go func() { done <- r.waitRead() }()
	select {
	case <-done:
		t.Fatal("the connection would be read while the queue holds an oversized record")
	case <-time.After(100 * time.Millisecond):
	}
	queued.Store(0)
	select {
	case w := <-done:
		if w < 100*time.Millisecond {
			t.Fatalf("waited %v, want the time the queue was full", w)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an emptied queue did not let the read go on")
	}
}
