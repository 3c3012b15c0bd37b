package envelope

import (
	"time"

	"github.com/connectd/connectd/connect/api"
)

// TxSource hands out the transaction block of each event of the current transaction; package
// txmeta's tracker implements it. dataCollection is the table's identifier ("inventory.orders").
type TxSource interface {
	NextBlock(dataCollection string) *api.Struct
}

// Event is one row change of a table, in the connector's raw values.
type Event struct {
	Op Op
	// Before and After are the row images as raw values in table column order; nil when absent
	// (no before for c and r; no after for d; neither for t).
	Before, After []any
	// Source is the event's source block (NewSource plus the connector's fields).
	Source *api.Struct
	// Tx gives the transaction block when provide.transaction.metadata is on; nil otherwise.
	Tx TxSource
	// Time is the processing time for the envelope's ts_ms/ts_us/ts_ns; zero means now.
	Time time.Time
	// Partition and Offset are the connector's source partition and the offset from which a
	// restart after this event is safe.
	Partition, Offset map[string]any
}

// Records appends to dst the records Debezium emits for ev: one change event; for a delete with
// tombstones on, the change event then a tombstone; for an update that changes the primary key,
// a delete (header __debezium.newkey), its tombstone when tombstones are on, and a create (header
// __debezium.oldkey). The records share ev's partition and offset maps.
func (ts *TableSchema) Records(dst []*api.SourceRecord, ev *Event, tombstones bool) ([]*api.SourceRecord, error) {
	var tx *api.Struct
	nextTx := func() *api.Struct {
		if ev.Tx == nil {
			return nil
		}
		return ev.Tx.NextBlock(ts.id.String())
	}
	switch ev.Op {
	case OpTruncate:
		tx = nextTx()
		r := ts.record(ev, OpTruncate, nil, nil, nil, tx)
		r.KeySchema = nil // truncate events have no key (EventDispatcher)
		return append(dst, r), nil

	case OpDelete:
		key, before, err := ts.KeyValue(ev.Before)
		if err != nil {
			return dst, err
		}
		tx = nextTx()
		r := ts.record(ev, OpDelete, key, before, nil, tx)
		dst = append(dst, r)
		if tombstones {
			dst = append(dst, Tombstone(r))
		}
		return dst, nil

	case OpUpdate:
		oldKey, before, err := ts.KeyValue(ev.Before)
		if err != nil {
			return dst, err
		}
		newKey, after, err := ts.KeyValue(ev.After)
		if err != nil {
			return dst, err
		}
		if ev.Before != nil && ts.key != nil && !oldKey.Equal(newKey) {
			del := ts.record(ev, OpDelete, oldKey, before, nil, nextTx())
			del.Headers = []api.Header{{Key: HeaderNewKey, Schema: ts.key, Value: newKey}}
			dst = append(dst, del)
			if tombstones {
				dst = append(dst, Tombstone(del))
			}
			cre := ts.record(ev, OpCreate, newKey, nil, after, nextTx())
			cre.Headers = []api.Header{{Key: HeaderOldKey, Schema: ts.key, Value: oldKey}}
			return append(dst, cre), nil
		}
		return append(dst, ts.record(ev, OpUpdate, newKey, before, after, nextTx())), nil

	default: // create, read
		key, after, err := ts.KeyValue(ev.After)
		if err != nil {
			return dst, err
		}
		var before *api.Struct
		if ev.Before != nil {
			if before, err = ts.Value(ev.Before); err != nil {
				return dst, err
			}
		}
		return append(dst, ts.record(ev, ev.Op, key, before, after, nextTx())), nil
	}
}

// record assembles one change event record.
func (ts *TableSchema) record(ev *Event, op Op, key, before, after, tx *api.Struct) *api.SourceRecord {
	r := &api.SourceRecord{
		SourcePartition: ev.Partition,
		SourceOffset:    ev.Offset,
		Topic:           ts.topic,
		Partition:       -1,
		KeySchema:       ts.key,
		ValueSchema:     ts.envelope,
		Value:           ts.Envelope(op, before, after, ev.Source, tx, ev.Time),
	}
	if key != nil {
		r.Key = key // never a typed nil in the interface
	}
	return r
}

// Tombstone returns the tombstone that follows a delete event: same topic, partition, key and
// headers, no value, so log compaction can drop the key.
func Tombstone(r *api.SourceRecord) *api.SourceRecord {
	return &api.SourceRecord{
		SourcePartition: r.SourcePartition,
		SourceOffset:    r.SourceOffset,
		Topic:           r.Topic,
		Partition:       r.Partition,
		KeySchema:       r.KeySchema,
		Key:             r.Key,
		Timestamp:       r.Timestamp,
		Headers:         r.Headers,
	}
}
