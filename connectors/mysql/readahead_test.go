package mysql

import (
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
