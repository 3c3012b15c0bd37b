package signals

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// Aggregate types and statuses of notifications, as Debezium's.
const (
	AggregateInitial     = "Initial Snapshot"
	AggregateIncremental = "Incremental Snapshot"

	StatusStarted            = "STARTED"
	StatusInProgress         = "IN_PROGRESS"
	StatusTableScanCompleted = "TABLE_SCAN_COMPLETED"
	StatusCompleted          = "COMPLETED"
	StatusAborted            = "ABORTED"
	StatusPaused             = "PAUSED"
	StatusResumed            = "RESUMED"
	StatusSkipped            = "SKIPPED"
	// StatusDataCollectionsResolved follows STARTED from Debezium 3.7 on (Config.Debezium37).
	StatusDataCollectionsResolved = "DATA_COLLECTIONS_RESOLVED"
)

// Notification is one notification, Debezium's io.debezium.pipeline.notification.Notification.
type Notification struct {
	ID             string
	AggregateType  string
	Type           string
	AdditionalData map[string]string
	// Timestamp is in milliseconds since the epoch.
	Timestamp int64
}

var (
	notificationKeySchema = api.StructSchema().Name("io.debezium.connector.common.NotificationKey").Version(1).
				Field("id", api.StringSchema).Build()
	notificationValueSchema = api.StructSchema().Name("io.debezium.connector.common.Notification").Version(1).
				Field("id", api.StringSchema).
				Field("type", api.StringSchema).
				Field("aggregate_type", api.StringSchema).
				Field("additional_data", api.MapSchema(api.StringSchema, api.StringSchema).Optional().Build()).
				Field("timestamp", api.Int64Schema).
				Build()
)

// Record returns the notification as the sink channel's record on topic, Debezium's
// SinkNotificationChannel shape: key {id}, value {id, type, aggregate_type, additional_data,
// timestamp}, with the connector's partition and offset.
func (n *Notification) Record(topic string, partition, offset map[string]any) *api.SourceRecord {
	key := api.NewStruct(notificationKeySchema)
	key.PutIndex(0, n.ID)
	val := api.NewStruct(notificationValueSchema)
	val.PutIndex(0, n.ID)
	val.PutIndex(1, n.Type)
	val.PutIndex(2, n.AggregateType)
	if n.AdditionalData != nil {
		m := make([]api.MapEntry, 0, len(n.AdditionalData))
		for _, k := range slices.Sorted(maps.Keys(n.AdditionalData)) {
			m = append(m, api.MapEntry{Key: k, Value: n.AdditionalData[k]})
		}
		val.PutIndex(3, m)
	}
	val.PutIndex(4, n.Timestamp)
	if offset == nil {
		offset = map[string]any{}
	}
	return &api.SourceRecord{SourcePartition: partition, SourceOffset: offset, Topic: topic, Partition: -1,
		KeySchema: notificationKeySchema, Key: key, ValueSchema: notificationValueSchema, Value: val}
}

// Notifier sends notifications to the enabled channels: the log, a Kafka topic through the
// connector's record queue (emit), and a bounded in-memory list readable over REST.
type Notifier struct {
	cfg  *Config
	log  *slog.Logger
	name string

	mu     sync.Mutex
	recent []Notification
}

// maxRecent bounds the notifications kept for the REST API.
const maxRecent = 100

// NewNotifier returns a notifier for connector name.
func NewNotifier(cfg *Config, name string, log *slog.Logger) *Notifier {
	n := &Notifier{cfg: cfg, log: log, name: name}
	registerNotifier(name, n)
	return n
}

// Notify builds a notification, logs it when the log channel is on and keeps it for REST; it
// returns the sink record to emit, or nil when the sink channel is off.
func (n *Notifier) Notify(id, aggregate, typ string, data map[string]string, partition, offset map[string]any) *api.SourceRecord {
	if n == nil {
		return nil
	}
	if data == nil {
		data = map[string]string{}
	}
	if _, ok := data["connector_name"]; !ok {
		data["connector_name"] = n.cfg.TopicPrefix
	}
	no := Notification{ID: id, AggregateType: aggregate, Type: typ, AdditionalData: data, Timestamp: time.Now().UnixMilli()}
	n.mu.Lock()
	n.recent = append(n.recent, no)
	if len(n.recent) > maxRecent {
		n.recent = slices.Delete(n.recent, 0, len(n.recent)-maxRecent)
	}
	n.mu.Unlock()
	if n.cfg.NotifyEnabled(NotifyLog) {
		attrs := []any{"id", id, "aggregate_type", aggregate, "type", typ}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			attrs = append(attrs, k, data[k])
		}
		n.log.Info("notification", attrs...)
	}
	if n.cfg.NotifyEnabled(NotifySink) && n.cfg.NotifyTopic != "" {
		return no.Record(n.cfg.NotifyTopic, partition, offset)
	}
	return nil
}

// Recent returns the notifications kept, oldest first.
func (n *Notifier) Recent() []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.recent)
}

// Close unregisters the notifier.
func (n *Notifier) Close() {
	if n != nil {
		unregisterNotifier(n.name, n)
	}
}
