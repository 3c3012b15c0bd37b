package schemahistory

import (
	"context"
	"fmt"
	"sync"
)

// MemoryStore keeps the history in memory, as Debezium's MemorySchemaHistory: for tests, and for
// connectors run without durable history (it is lost when the process ends). Records are kept
// encoded, so Recover decodes them as a durable store would.
type MemoryStore struct {
	// CatalogBeforeSchema is handed to the decoder; see Decoder.
	CatalogBeforeSchema bool

	mu   sync.Mutex
	recs [][]byte
}

// NewMemoryStore returns an empty in-memory history.
func NewMemoryStore(catalogBeforeSchema bool) *MemoryStore {
	return &MemoryStore{CatalogBeforeSchema: catalogBeforeSchema}
}

// Record implements Store.
func (m *MemoryStore) Record(ctx context.Context, recs ...*Record) error {
	encoded := make([][]byte, 0, len(recs))
	for _, rec := range recs {
		b, err := MarshalRecord(rec, Compact)
		if err != nil {
			return err
		}
		encoded = append(encoded, b)
	}
	m.mu.Lock()
	m.recs = append(m.recs, encoded...)
	m.mu.Unlock()
	return nil
}

// AppendRaw adds an already encoded record, as a test writing Debezium's own bytes would.
func (m *MemoryStore) AppendRaw(data []byte) {
	m.mu.Lock()
	m.recs = append(m.recs, data)
	m.mu.Unlock()
}

// Recover implements Store.
func (m *MemoryStore) Recover(ctx context.Context, fn func(*Record) error) error {
	m.mu.Lock()
	recs := m.recs[:len(m.recs):len(m.recs)]
	m.mu.Unlock()
	dec := NewDecoder(m.CatalogBeforeSchema)
	for i, data := range recs {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := dec.Decode(data)
		if err != nil {
			return fmt.Errorf("in-memory schema history record %d: %w", i, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// Exists implements Store.
func (m *MemoryStore) Exists(context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recs) > 0, nil
}

// Close implements Store.
func (m *MemoryStore) Close() error { return nil }
