// Package txmeta implements Debezium's transaction metadata (provide.transaction.metadata=true):
// a Tracker counts, per transaction, the events in total and per table, hands out each change
// event's transaction block {id, total_order, data_collection_order}, and produces the BEGIN and
// END records on "<topic.prefix>.transaction".
//
// Shapes follow Debezium 3.x (SchemaFactory.transactionKeySchema/transactionValueSchema,
// AbstractTransactionStructMaker, TransactionMonitor, TransactionContext): key
// io.debezium.connector.common.TransactionMetadataKey v1 {id}; value
// io.debezium.connector.common.TransactionMetadataValue v1 {status, id, event_count (optional),
// data_collections (optional array of event.collection v1 {data_collection, event_count}),
// ts_ms}. BEGIN carries status, id and ts_ms only; END carries the counts.
//
// Memory is bounded by the number of tables a transaction touches: one counter per table, never
// per event. A Tracker is used by one goroutine (the connector's reader); it is not locked.
package txmeta

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/connectd/connectd/connectors/source"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/javafmt"
	"github.com/connectd/connectd/connectors/envelope"
)

// Schema names, as Debezium's SchemaFactory.
const (
	KeySchemaName        = "io.debezium.connector.common.TransactionMetadataKey"
	ValueSchemaName      = "io.debezium.connector.common.TransactionMetadataValue"
	CollectionSchemaName = "event.collection"
	// TopicSuffix is the default topic.transaction: the topic is "<topic.prefix>.transaction".
	TopicSuffix = "transaction"
	// StatusBegin and StatusEnd are the status values.
	StatusBegin = "BEGIN"
	StatusEnd   = "END"
	// OffsetIDKey and OffsetCountPrefix are the offset entries Debezium's TransactionContext
	// stores so a restart inside a transaction continues its counts:
	// "transaction_id" and "transaction_data_collection_order_<table>".
	OffsetIDKey       = "transaction_id"
	OffsetCountPrefix = "transaction_data_collection_order_"
)

var (
	keySchema = api.StructSchema().Name(KeySchemaName).Version(1).
			Field("id", api.StringSchema).Build()
	collectionSchema = api.StructSchema().Name(CollectionSchemaName).Version(1).Optional().
				Field("data_collection", api.StringSchema).
				Field("event_count", api.Int64Schema).Build()
	valueSchema = api.StructSchema().Name(ValueSchemaName).Version(1).
			Field("status", api.StringSchema).
			Field("id", api.StringSchema).
			Field("event_count", api.OptionalInt64Schema).
			Field("data_collections", api.ArraySchema(collectionSchema).Optional().Build()).
			Field("ts_ms", api.Int64Schema).Build()
)

// KeySchema returns the BEGIN/END records' key schema. Shared: do not modify.
func KeySchema() *api.Schema { return keySchema }

// ValueSchema returns the BEGIN/END records' value schema. Shared: do not modify.
func ValueSchema() *api.Schema { return valueSchema }

// CollectionSchema returns the schema of one data_collections element. Shared: do not modify.
func CollectionSchema() *api.Schema { return collectionSchema }

// Topic returns the transaction topic for a topic prefix: "<prefix>.transaction".
func Topic(prefix string) string { return envelope.TopicName(prefix, TopicSuffix) }

// Tracker follows the transaction in progress. The zero Tracker is not usable; use New.
type Tracker struct {
	topic  string
	id     string
	active bool
	total  int64
	// counts per table in first-seen order, the order Debezium's TransactionContext puts them
	// into its HashMap; END lists them in that HashMap's iteration order (see End).
	names  []string
	counts []int64
	index  map[string]int
	// order is End's scratch copy of names, sorted into HashMap order.
	order []string
}

// New returns a tracker writing BEGIN/END records to topic (see Topic).
func New(topic string) *Tracker {
	return &Tracker{topic: topic, index: make(map[string]int)}
}

// TopicName returns the topic the tracker writes to.
func (t *Tracker) TopicName() string { return t.topic }

// Active reports whether a transaction is in progress.
func (t *Tracker) Active() bool { return t.active }

// ID returns the transaction in progress, or "".
func (t *Tracker) ID() string { return t.id }

// TotalOrder returns the number of events counted so far in the transaction in progress.
func (t *Tracker) TotalOrder() int64 { return t.total }

func (t *Tracker) reset() {
	t.id, t.active, t.total = "", false, 0
	t.names, t.counts = t.names[:0], t.counts[:0]
	clear(t.index)
}

// Begin starts transaction id and returns its BEGIN record (ts is the transaction's begin time in
// the database). A transaction still open is ended first and its END record returned before
// BEGIN, as Debezium's TransactionMonitor does when the id changes. Beginning the transaction
// already in progress (a replay after a restart) keeps its counts and returns nothing.
func (t *Tracker) Begin(dst []*api.SourceRecord, id string, ts time.Time, partition, offset map[string]any) []*api.SourceRecord {
	if t.active {
		if t.id == id {
			return dst
		}
		dst = t.End(dst, ts, partition, offset)
	}
	t.reset()
	t.id, t.active = id, true
	return append(dst, t.record(t.beginValue(ts), partition, offset))
}

// Event counts one change event of dataCollection in transaction id, beginning it (with its
// BEGIN record, after the END of any other open transaction) when it is not the one in
// progress, and returns the event's transaction block. Use it when the log has no explicit
// transaction start; otherwise call Begin, then NextBlock for each event.
func (t *Tracker) Event(dst []*api.SourceRecord, id, dataCollection string, ts time.Time, partition, offset map[string]any) ([]*api.SourceRecord, *api.Struct) {
	if !t.active || t.id != id {
		dst = t.Begin(dst, id, ts, partition, offset)
	}
	return dst, t.NextBlock(dataCollection)
}

// NextBlock counts one change event of dataCollection (the table's identifier, e.g.
// "inventory.orders") and returns its transaction block; nil when no transaction is in progress.
// It implements envelope.TxSource.
func (t *Tracker) NextBlock(dataCollection string) *api.Struct {
	if !t.active {
		return nil
	}
	t.total++
	i, ok := t.index[dataCollection]
	if !ok {
		i = len(t.names)
		t.index[dataCollection] = i
		t.names = append(t.names, dataCollection)
		t.counts = append(t.counts, 0)
	}
	t.counts[i]++
	return envelope.TransactionBlock(t.id, t.total, t.counts[i])
}

// End closes the transaction in progress and appends its END record (ts is the commit time);
// without a transaction in progress it appends nothing.
//
// data_collections lists the tables in the order Debezium's per-table counts, a java.util.HashMap
// filled as events arrive, iterate: by bucket of the table name's hash, first seen first within
// a bucket (javafmt.HashMapOrder). A transaction touching orders, all_types, composite_pk and
// no_pk lists composite_pk, orders, all_types, no_pk, as Debezium does.
func (t *Tracker) End(dst []*api.SourceRecord, ts time.Time, partition, offset map[string]any) []*api.SourceRecord {
	if !t.active {
		return dst
	}
	v := api.NewStruct(valueSchema)
	v.PutIndex(0, StatusEnd)
	v.PutIndex(1, t.id)
	v.PutIndex(2, t.total)
	t.order = javafmt.HashMapOrder(append(t.order[:0], t.names...))
	colls := make([]any, len(t.order))
	for i, n := range t.order {
		c := api.NewStruct(collectionSchema)
		c.PutIndex(0, n)
		c.PutIndex(1, t.counts[t.index[n]])
		colls[i] = c
	}
	v.PutIndex(3, colls)
	v.PutIndex(4, ts.UnixMilli())
	dst = append(dst, t.record(v, partition, offset))
	t.reset()
	return dst
}

func (t *Tracker) beginValue(ts time.Time) *api.Struct {
	v := api.NewStruct(valueSchema)
	v.PutIndex(0, StatusBegin)
	v.PutIndex(1, t.id)
	v.PutIndex(4, ts.UnixMilli())
	return v
}

func (t *Tracker) record(value *api.Struct, partition, offset map[string]any) *api.SourceRecord {
	k := api.NewStruct(keySchema)
	k.PutIndex(0, t.id)
	return &api.SourceRecord{
		SourcePartition: partition,
		SourceOffset:    offset,
		Topic:           t.topic,
		Partition:       -1,
		KeySchema:       keySchema,
		Key:             k,
		ValueSchema:     valueSchema,
		Value:           value,
	}
}

// Store adds the transaction in progress to an offset map, as Debezium's
// TransactionContext.store: "transaction_id" and one "transaction_data_collection_order_<table>"
// per table. Nothing is added outside a transaction.
func (t *Tracker) Store(offset map[string]any) {
	if !t.active {
		return
	}
	offset[OffsetIDKey] = t.id
	for i, n := range t.names {
		offset[OffsetCountPrefix+n] = t.counts[i]
	}
}

// Load restores the transaction in progress from an offset written by Store (or by Debezium), so
// a restart inside a transaction continues its numbering. An offset without a transaction id
// leaves the tracker idle.
func (t *Tracker) Load(offset map[string]any) error {
	t.reset()
	id, _ := offset[OffsetIDKey].(string)
	if id == "" {
		return nil
	}
	t.id, t.active = id, true
	for k := range offset {
		if name, ok := strings.CutPrefix(k, OffsetCountPrefix); ok {
			t.names = append(t.names, name)
		}
	}
	// The offset map has no order, so the tables are taken in name order: END then lists them
	// the same way on every restart (their order only matters between names sharing a bucket).
	slices.Sort(t.names)
	for i, name := range t.names {
		k := OffsetCountPrefix + name
		n, err := source.OffsetInt(offset[k])
		if err != nil {
			t.reset()
			return fmt.Errorf("offset entry %q: %w; remove it or rewrite the offset through the offsets API", k, err)
		}
		t.index[name] = i
		t.counts = append(t.counts, n)
		t.total += n
	}
	return nil
}
