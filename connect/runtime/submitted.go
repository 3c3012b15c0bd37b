package runtime

import (
	"sync"
	"sync/atomic"

	"github.com/connectd/connectd/connect/api"
)

// submitted tracks the records a task handed to the producer, per source partition and in the
// order they were polled, so the runtime commits for each partition only the offset of the last
// record that Kafka acknowledged together with every record of that partition before it
// (at-least-once: a restart never skips a record Kafka did not take). It is Kafka Connect's
// SubmittedRecords.
//
// The poll goroutine submits, producer callbacks acknowledge (lock-free, one atomic store), and
// the committer collects; submit and collect take the mutex.
type submitted struct {
	mu    sync.Mutex
	parts map[string]*partQueue
}

// partQueue is one source partition's records not yet known to be committable, oldest first.
type partQueue struct {
	partition map[string]any
	queue     []*pendingRecord
	// committable is the offset of the last record of the acknowledged prefix; dirty says it
	// has not been written to the offset store yet.
	committable map[string]any
	dirty       bool
}

// pendingRecord is one record in flight.
type pendingRecord struct {
	offset map[string]any
	acked  atomic.Bool
}

func newSubmitted() *submitted { return &submitted{parts: map[string]*partQueue{}} }

// submit registers a record of the partition identified by key (its canonical bytes) and returns
// the handle its producer callback acknowledges.
func (s *submitted) submit(key []byte, partition, offset map[string]any) *pendingRecord {
	p := &pendingRecord{offset: offset}
	s.mu.Lock()
	q := s.parts[string(key)]
	if q == nil {
		q = &partQueue{partition: partition}
		s.parts[string(key)] = q
	}
	// Drop the acknowledged prefix now rather than at the next commit (every
	// offset.flush.interval.ms, a minute by default): each pending record holds its offset map,
	// and at tens of thousands of records a second a minute of them is hundreds of megabytes that
	// nothing else bounds. Only the prefix's last offset is needed for the commit.
	q.advance()
	q.queue = append(q.queue, p)
	s.mu.Unlock()
	return p
}

// advance moves the committable offset past the acknowledged records at the head of the queue
// and lets them be collected. The caller holds the mutex.
func (q *partQueue) advance() {
	n := 0
	for n < len(q.queue) && q.queue[n].acked.Load() {
		n++
	}
	if n == 0 {
		return
	}
	q.committable = q.queue[n-1].offset
	q.dirty = true
	clear(q.queue[:n]) // let the offsets be collected
	q.queue = q.queue[n:]
}

// collect advances every partition past its acknowledged prefix and returns the offsets not yet
// written, marking them written; a caller whose write fails calls retry with them.
func (s *submitted) collect() []api.PartitionOffset {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []api.PartitionOffset
	for key, q := range s.parts {
		q.advance()
		if q.dirty {
			out = append(out, api.PartitionOffset{Partition: q.partition, Offset: q.committable})
			q.dirty = false
		}
		if len(q.queue) == 0 && !q.dirty {
			// An idle partition costs nothing; it comes back with its next record.
			delete(s.parts, key)
		}
	}
	return out
}

// retry marks offsets whose write failed as not written, unless a newer offset of the same
// partition is already waiting (it supersedes them).
func (s *submitted) retry(failed []api.PartitionOffset, keyOf func(map[string]any) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, po := range failed {
		k := keyOf(po.Partition)
		q := s.parts[k]
		if q == nil {
			q = &partQueue{partition: po.Partition, committable: po.Offset}
			s.parts[k] = q
		}
		if q.committable == nil {
			q.committable = po.Offset
		}
		q.dirty = true
	}
}
