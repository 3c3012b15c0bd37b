package offsets

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// MemoryStore keeps offsets in memory only, for tests and for connectors run without durable
// state. It behaves like the other stores (validation, canonical keys, history).
type MemoryStore struct {
	mu   sync.Mutex
	book *book
	now  func() time.Time
}

// NewMemoryStore returns an empty in-memory store keeping historySize history entries per
// partition (0 means DefaultHistorySize).
func NewMemoryStore(historySize int) *MemoryStore {
	return &MemoryStore{book: newBook(historySize), now: time.Now}
}

// Start does nothing: a memory store is ready when made.
func (s *MemoryStore) Start(context.Context) error { return nil }

// Get returns the offsets of the given partitions, nil where there is none.
func (s *MemoryStore) Get(_ context.Context, connector string, partitions []map[string]any) ([]map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.get(connector, partitions)
}

// Set writes a batch of offsets (nil Offset deletes) and records changes in history.
func (s *MemoryStore) Set(_ context.Context, connector string, entries []api.PartitionOffset) error {
	changes, err := prepare(connector, entries)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, c := range changes {
		s.book.recordHistory(c.key, c.connector, c.partition, c.offset, c.value, now)
		s.book.put(c.key, c.connector, c.partition, c.offset, c.value, now)
	}
	return nil
}

// Delete removes the offsets of the given partitions.
func (s *MemoryStore) Delete(ctx context.Context, connector string, partitions []map[string]any) error {
	return s.Set(ctx, connector, tombstones(partitions))
}

// List returns the connector's offsets sorted by key bytes.
func (s *MemoryStore) List(_ context.Context, connector string) ([]api.PartitionOffset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.list(connector), nil
}

// History returns the connector's offset history.
func (s *MemoryStore) History(_ context.Context, connector string) ([]HistoryEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.historyOf(connector), nil
}

// Close does nothing.
func (s *MemoryStore) Close() error { return nil }

// tombstones turns partitions into Set entries that delete them.
func tombstones(partitions []map[string]any) []api.PartitionOffset {
	out := make([]api.PartitionOffset, len(partitions))
	for i, p := range partitions {
		out[i] = api.PartitionOffset{Partition: maps.Clone(p)}
	}
	return out
}

var _ Store = (*MemoryStore)(nil)
