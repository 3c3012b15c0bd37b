package offsets

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// DefaultHistorySize is how many committed offsets per connector partition the history keeps when
// the store's configuration does not say.
const DefaultHistorySize = 100

// Store keeps source offsets: the runtime writes what Kafka acknowledged, connectors read where
// to resume, the REST offsets endpoints list and rewrite them. Every method is safe for concurrent
// use. Partitions are identified by their canonical key bytes (EncodeKey), so two maps with the
// same fields and values are the same partition whatever their Go types' map order.
type Store interface {
	// Start opens the store: loads the file, or checks (and if needed creates) the Kafka topics
	// and reads them. No other method may be called before Start returns nil.
	Start(ctx context.Context) error

	// Get returns the committed offset of each partition of the connector, in the order asked,
	// nil where there is none. It first catches up with everything written to the store so far
	// by any client (Kafka: reads the topic to its end), so an offset rewritten while the
	// connector was stopped is the one returned. It fails, naming the record, when the store
	// holds a malformed record for this connector.
	Get(ctx context.Context, connector string, partitions []map[string]any) ([]map[string]any, error)

	// Set writes a batch of offsets of one connector; an entry with a nil Offset deletes that
	// partition's offset (a tombstone). It returns once the batch is durable (acknowledged by
	// Kafka with acks=all, or fsynced), so there is no separate flush: a nil error is the flush.
	// Offsets that changed are appended to the history with the commit time.
	Set(ctx context.Context, connector string, entries []api.PartitionOffset) error

	// Delete removes the offsets of the given partitions (tombstones), durably.
	Delete(ctx context.Context, connector string, partitions []map[string]any) error

	// List returns every partition of the connector that has an offset, sorted by key bytes,
	// after catching up like Get.
	List(ctx context.Context, connector string) ([]api.PartitionOffset, error)

	// History returns the recorded offset history of the connector: for each partition (sorted by
	// key bytes) its last committed offsets, oldest first, with commit times.
	History(ctx context.Context, connector string) ([]HistoryEntry, error)

	// Close releases the store's resources. Writes that returned are already durable.
	Close() error
}

// HistoryEntry is one committed offset of a connector partition, and when it was committed.
type HistoryEntry struct {
	Partition map[string]any
	// Offset is the committed offset; nil records that the offset was deleted at Time.
	Offset map[string]any
	// Time is when the offset was committed (or first seen, for an offset written by another
	// client, e.g. by Debezium before a migration or by hand).
	Time time.Time
}

// OffsetAt returns the offset a connector partition had at time t according to history: the last
// entry for that partition at or before t. ok is false when history does not reach back to t (or
// the partition is not in it); a nil offset with ok true means the offset had been deleted.
func OffsetAt(history []HistoryEntry, partition map[string]any, t time.Time) (offset map[string]any, ok bool) {
	want, err := EncodeKey("", partition)
	if err != nil {
		return nil, false
	}
	var best *HistoryEntry
	for i := range history {
		h := &history[i]
		if h.Time.After(t) {
			continue
		}
		k, err := EncodeKey("", h.Partition)
		if err != nil || string(k) != string(want) {
			continue
		}
		if best == nil || !h.Time.Before(best.Time) {
			best = h
		}
	}
	if best == nil {
		return nil, false
	}
	return maps.Clone(best.Offset), true
}

// ReaderFor returns the api.OffsetReader a connector of that name gets: Offset reads through
// store.Get, so every call sees what was written up to that moment.
func ReaderFor(store Store, connector string) api.OffsetReader {
	return storeReader{store: store, connector: connector}
}

type storeReader struct {
	store     Store
	connector string
}

// Offset returns the committed offset of partition, or nil when there is none.
func (r storeReader) Offset(ctx context.Context, partition map[string]any) (map[string]any, error) {
	got, err := r.store.Get(ctx, r.connector, []map[string]any{partition})
	if err != nil {
		return nil, err
	}
	return got[0], nil
}

// BadRecordError reports a malformed record found in an offsets topic for a connector: Get and
// List of that connector fail with it, so the connector fails with the detail instead of starting
// from a wrong position. Records of other connectors are unaffected.
type BadRecordError struct {
	Topic     string
	Partition int32
	Offset    int64
	Connector string
	Key       []byte // the record's key as it is in the topic
	Err       error  // what is wrong with it
}

// Error says which record is malformed, why, and how to fix it.
func (e *BadRecordError) Error() string {
	return fmt.Sprintf("malformed offset record for connector %q in topic %s partition %d at offset %d (key %s): %v; "+
		"write a corrected record with the same key (kafka-console-producer --property parse.key=true "+
		"--property key.separator=|), or delete it with a tombstone (kcat -P -Z -K'|' -t %s), then restart the connector",
		e.Connector, e.Topic, e.Partition, e.Offset, quoteBytes(e.Key), e.Err, e.Topic)
}

// Unwrap returns the parse error.
func (e *BadRecordError) Unwrap() error { return e.Err }

// ErrNotStarted is returned by a store used before Start succeeded or after Close.
var ErrNotStarted = errors.New("the offset store is not started (or already closed)")

// quoteBytes shows raw record bytes in an error, shortened so a huge bad record does not flood
// the log.
func quoteBytes(b []byte) string {
	if b == nil {
		return "null"
	}
	const limit = 200
	if len(b) > limit {
		return fmt.Sprintf("%q... (%d bytes)", b[:limit], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// ---- the in-memory book shared by the stores ----

// slot is one connector partition's current offset.
type slot struct {
	connector string
	partition map[string]any
	offset    map[string]any
	value     []byte    // EncodeOffset(offset)
	at        time.Time // when it was written, if known (zero otherwise)
}

// historyItem is one entry of a partition's history.
type historyItem struct {
	at     time.Time
	offset map[string]any // nil: deleted
	value  []byte         // EncodeOffset(offset); nil when deleted
}

// historyList is a partition's history, oldest first.
type historyList struct {
	connector string
	partition map[string]any
	items     []historyItem
}

// book holds offsets and history keyed by canonical key bytes. It is not synchronised: each store
// guards it with its own lock.
type book struct {
	slots   map[string]*slot
	history map[string]*historyList
	limit   int
}

func newBook(historySize int) *book {
	if historySize <= 0 {
		historySize = DefaultHistorySize
	}
	return &book{slots: make(map[string]*slot), history: make(map[string]*historyList), limit: historySize}
}

// change is one validated, encoded entry of a Set batch.
type change struct {
	key       []byte
	connector string
	partition map[string]any
	offset    map[string]any // nil: delete
	value     []byte
}

// prepare validates and encodes a batch; nothing is applied, so a bad entry rejects the whole
// batch before anything is written.
func prepare(connector string, entries []api.PartitionOffset) ([]change, error) {
	out := make([]change, 0, len(entries))
	for i, e := range entries {
		if err := ValidateOffsetMap("partition", e.Partition); err != nil {
			return nil, fmt.Errorf("offset %d of connector %q: %w", i, connector, err)
		}
		if err := ValidateOffsetMap("offset", e.Offset); err != nil {
			return nil, fmt.Errorf("offset %d of connector %q: %w", i, connector, err)
		}
		key, err := EncodeKey(connector, e.Partition)
		if err != nil {
			return nil, fmt.Errorf("offset %d: %w", i, err)
		}
		value, err := EncodeOffset(e.Offset)
		if err != nil {
			return nil, fmt.Errorf("offset %d of connector %q, partition %s: %w", i, connector, key, err)
		}
		// Keep what a reader would decode, so what Get returns does not depend on whether the
		// offset came from this process or from the topic (int vs int64, []byte vs string).
		c := change{key: key, connector: connector, value: value}
		if c.partition, err = canonicalPartition(key); err != nil {
			return nil, fmt.Errorf("offset %d of connector %q: %w", i, connector, err)
		}
		if c.offset, err = DecodeOffset(value); err != nil {
			return nil, fmt.Errorf("offset %d of connector %q: %w", i, connector, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// canonicalPartition decodes the partition of a canonical key.
func canonicalPartition(key []byte) (map[string]any, error) {
	_, p, err := DecodeKey(key)
	return p, err
}

// put applies a current offset (nil offset deletes).
func (b *book) put(key []byte, connector string, partition, offset map[string]any, value []byte, at time.Time) {
	if offset == nil {
		delete(b.slots, string(key))
		return
	}
	b.slots[string(key)] = &slot{connector: connector, partition: partition, offset: offset, value: value, at: at}
}

// recordHistory appends to the partition's history the change about to be applied, when it is a
// change. If the current offset is not the last history entry (another client wrote it, e.g.
// Debezium before a migration or an operator by hand), that offset is recorded first, with the
// time it was written when known, so history shows every position the connector resumed from.
// It reports whether history changed.
func (b *book) recordHistory(key []byte, connector string, partition, offset map[string]any, value []byte, now time.Time) bool {
	now = now.Truncate(time.Millisecond) // as stored, in milliseconds
	h := b.history[string(key)]
	if h == nil {
		h = &historyList{connector: connector, partition: partition}
	}
	var lastValue []byte
	haveLast := len(h.items) > 0
	if haveLast {
		lastValue = h.items[len(h.items)-1].value
	}
	changed := false
	if cur := b.slots[string(key)]; cur != nil && (!haveLast || string(lastValue) != string(cur.value)) {
		at := cur.at
		if at.IsZero() || at.After(now) {
			at = now
		}
		h.items = append(h.items, historyItem{at: at, offset: cur.offset, value: cur.value})
		lastValue, haveLast, changed = cur.value, true, true
	}
	// Encoded offsets are never empty, so comparing as strings tells "deleted" (nil) apart too.
	if haveLast && string(lastValue) != string(value) || !haveLast && offset != nil {
		h.items = append(h.items, historyItem{at: now, offset: offset, value: value})
		changed = true
	}
	if changed {
		b.storeHistory(key, h)
	}
	return changed
}

func (b *book) storeHistory(key []byte, h *historyList) {
	if over := len(h.items) - b.limit; over > 0 {
		h.items = slices.Delete(h.items, 0, over)
	}
	b.history[string(key)] = h
}

// get returns copies of the offsets of the given partitions of a connector.
func (b *book) get(connector string, partitions []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(partitions))
	for i, p := range partitions {
		key, err := EncodeKey(connector, p)
		if err != nil {
			return nil, err
		}
		if s := b.slots[string(key)]; s != nil {
			out[i] = maps.Clone(s.offset)
		}
	}
	return out, nil
}

// list returns the connector's offsets sorted by key bytes.
func (b *book) list(connector string) []api.PartitionOffset {
	keys := make([]string, 0)
	for k, s := range b.slots {
		if s.connector == connector {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]api.PartitionOffset, 0, len(keys))
	for _, k := range keys {
		s := b.slots[k]
		out = append(out, api.PartitionOffset{Partition: maps.Clone(s.partition), Offset: maps.Clone(s.offset)})
	}
	return out
}

// historyOf returns the connector's history, partitions sorted by key bytes, oldest entry first.
func (b *book) historyOf(connector string) []HistoryEntry {
	keys := make([]string, 0)
	for k, h := range b.history {
		if h.connector == connector {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []HistoryEntry
	for _, k := range keys {
		h := b.history[k]
		for _, it := range h.items {
			out = append(out, HistoryEntry{Partition: maps.Clone(h.partition), Offset: maps.Clone(it.offset), Time: it.at})
		}
	}
	return out
}
