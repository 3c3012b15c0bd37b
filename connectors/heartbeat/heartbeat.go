// Package heartbeat produces Debezium's heartbeat records (heartbeat.interval.ms): a record on
// "__debezium-heartbeat.<topic.prefix>" carrying the connector's current source partition and
// offset, so the runtime commits the offset even when no captured table changes (and, for
// PostgreSQL, so the slot can be confirmed and WAL does not pile up on an idle database).
//
// Shapes follow Debezium 3.x (HeartbeatImpl, SchemaFactory.heartbeatKeySchema/
// heartbeatValueSchema): key io.debezium.connector.common.ServerNameKey v1 {serverName}, value
// io.debezium.connector.common.Heartbeat v1 {ts_ms}, Kafka partition 0, and no record while the
// connector has no offset yet.
package heartbeat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
)

// Names and defaults, as Debezium.
const (
	KeySchemaName   = "io.debezium.connector.common.ServerNameKey"
	ValueSchemaName = "io.debezium.connector.common.Heartbeat"
	// DefaultTopicPrefix is topic.heartbeat.prefix's default.
	DefaultTopicPrefix = "__debezium-heartbeat"
	// Config property names.
	IntervalConfig    = "heartbeat.interval.ms"
	TopicPrefixConfig = "topic.heartbeat.prefix"
	TopicNameConfig   = "topic.heartbeat.name"
	ActionQueryConfig = "heartbeat.action.query"
)

var (
	keySchema   = api.StructSchema().Name(KeySchemaName).Version(1).Field("serverName", api.StringSchema).Build()
	valueSchema = api.StructSchema().Name(ValueSchemaName).Version(1).Field("ts_ms", api.Int64Schema).Build()
)

// KeySchema returns the heartbeat key schema. Shared: do not modify.
func KeySchema() *api.Schema { return keySchema }

// ValueSchema returns the heartbeat value schema. Shared: do not modify.
func ValueSchema() *api.Schema { return valueSchema }

// Topic returns the heartbeat topic: name when set (topic.heartbeat.name), else
// "<prefix>.<topicPrefix>" with prefix defaulting to "__debezium-heartbeat".
func Topic(prefix, name, topicPrefix string) string {
	if name != "" {
		return name
	}
	if prefix == "" {
		prefix = DefaultTopicPrefix
	}
	return prefix + "." + topicPrefix
}

// TopicFromConfig returns the heartbeat topic for a connector configuration: with a
// topic.delimiter, "<prefix><delimiter><topic.prefix>", as Debezium's topic naming strategies.
func TopicFromConfig(config map[string]string) string {
	t := Topic(config[TopicPrefixConfig], config[TopicNameConfig], config["topic.prefix"])
	if d := strings.TrimSpace(config["topic.delimiter"]); d != "" && d != "." && config[TopicNameConfig] == "" {
		t = strings.TrimSuffix(t, "."+config["topic.prefix"]) + d + config["topic.prefix"]
	}
	return t
}

// Heartbeat makes heartbeat records for one connector. It is safe for concurrent use: it holds
// only immutable state.
type Heartbeat struct {
	topic    string
	key      *api.Struct
	interval time.Duration
}

// New returns a heartbeat for serverName (topic.prefix) on topic, every interval; an interval
// of zero or less disables it (Run only waits).
func New(topic, serverName string, interval time.Duration) *Heartbeat {
	k := api.NewStruct(keySchema)
	k.PutIndex(0, serverName)
	return &Heartbeat{topic: topic, key: k, interval: interval}
}

// FromConfig returns the heartbeat a connector configuration asks for; Enabled reports whether
// heartbeat.interval.ms is positive.
func FromConfig(config map[string]string) (*Heartbeat, error) {
	var ms int64
	if v := config[IntervalConfig]; v != "" {
		if _, err := fmt.Sscan(v, &ms); err != nil || ms < 0 {
			return nil, fmt.Errorf("%s=%q is not a number of milliseconds >= 0; use 0 to disable heartbeats", IntervalConfig, v)
		}
	}
	topic := TopicFromConfig(config)
	if !envelope.ValidTopicPrefix(topic) {
		return nil, fmt.Errorf("heartbeat topic %q has invalid characters (only letters, digits, '.', '_' and '-' are allowed); fix %s, %s or topic.prefix",
			topic, TopicPrefixConfig, TopicNameConfig)
	}
	return New(topic, config["topic.prefix"], time.Duration(ms)*time.Millisecond), nil
}

// Enabled reports whether heartbeats are on.
func (h *Heartbeat) Enabled() bool { return h != nil && h.interval > 0 }

// Interval returns the heartbeat interval.
func (h *Heartbeat) Interval() time.Duration { return h.interval }

// TopicName returns the heartbeat topic.
func (h *Heartbeat) TopicName() string { return h.topic }

// Record returns a heartbeat record carrying partition and offset, stamped now; nil when offset
// is empty, as Debezium sends no heartbeat before the connector has a position.
func (h *Heartbeat) Record(partition, offset map[string]any, now time.Time) *api.SourceRecord {
	if len(offset) == 0 {
		return nil
	}
	v := api.NewStruct(valueSchema)
	v.PutIndex(0, now.UnixMilli())
	return &api.SourceRecord{
		SourcePartition: partition,
		SourceOffset:    offset,
		Topic:           h.topic,
		Partition:       0, // Debezium writes heartbeats to partition 0 explicitly
		KeySchema:       keySchema,
		Key:             h.key,
		ValueSchema:     valueSchema,
		Value:           v,
	}
}

// Position returns the connector's current source partition and the offset a restart may
// resume from; it is called from Run's goroutine, so it must be safe to call concurrently with
// the connector's reader.
type Position func() (partition, offset map[string]any)

// Run emits a heartbeat every interval until ctx is done, and returns ctx's error then. Before
// each heartbeat it runs action (heartbeat.action.query, e.g. an UPDATE on a heartbeat table so
// an idle PostgreSQL database produces WAL), when not nil; an action error stops Run with that
// error. emit hands the record to the connector's queue and may block for backpressure; its error
// also stops Run. With heartbeats disabled Run waits for ctx only.
func (h *Heartbeat) Run(ctx context.Context, pos Position, action func(context.Context) error, emit func(context.Context, *api.SourceRecord) error) error {
	if !h.Enabled() {
		<-ctx.Done()
		return ctx.Err()
	}
	tk := time.NewTicker(h.interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tk.C:
			if action != nil {
				if err := action(ctx); err != nil {
					return fmt.Errorf("heartbeat action query failed: %w; check %s or unset it", err, ActionQueryConfig)
				}
			}
			part, off := pos()
			if r := h.Record(part, off, now); r != nil {
				if err := emit(ctx, r); err != nil {
					return err
				}
			}
		}
	}
}

// Inline schedules heartbeats for a connector that emits them from its reader loop, as
// Debezium's streaming loops call Heartbeat.heartbeat: the record then carries exactly the
// reader's position, with no locking. It is used by one goroutine.
type Inline struct {
	h    *Heartbeat
	next time.Time
}

// Inline returns a schedule whose first heartbeat is due one interval after now; a nil
// Heartbeat gives a schedule that is never due.
func (h *Heartbeat) Inline(now time.Time) *Inline {
	if h == nil {
		return &Inline{}
	}
	return &Inline{h: h, next: now.Add(h.interval)}
}

// Next returns when the next heartbeat is due, and false when heartbeats are off.
func (in *Inline) Next() (time.Time, bool) { return in.next, in.h.Enabled() }

// Due reports whether a heartbeat is due at now (never when heartbeats are off).
func (in *Inline) Due(now time.Time) bool { return in.h.Enabled() && !now.Before(in.next) }

// Maybe returns a heartbeat record when one is due at now and offset is not empty, and
// schedules the next one an interval later; otherwise nil. As Debezium, a due heartbeat without
// an offset is dropped and the schedule restarts.
func (in *Inline) Maybe(now time.Time, partition, offset map[string]any) *api.SourceRecord {
	if !in.Due(now) {
		return nil
	}
	in.next = now.Add(in.h.interval)
	return in.h.Record(partition, offset, now)
}
