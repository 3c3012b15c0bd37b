package herder

import (
	"fmt"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// TargetState is the state a user asked a connector to be in. The JSON names are Kafka Connect's

// REST names (RUNNING for the STARTED target state).

type TargetState string

// The target states, named as Kafka Connect's TargetState.

const (
	TargetStarted TargetState = "STARTED"
	TargetPaused  TargetState = "PAUSED"
	TargetStopped TargetState = "STOPPED"
)

// State is the observed state of a connector or task, as shown by the status endpoints.

type State string

// The observed states, named as Kafka Connect's AbstractStatus.State.

const (
	StateUnassigned State = "UNASSIGNED"
	StateRunning    State = "RUNNING"
	StatePaused     State = "PAUSED"
	StateStopped    State = "STOPPED"
	StateFailed     State = "FAILED"
	StateRestarting State = "RESTARTING"
)

// ConnectorTypeSource is the only connector type connectd runs.

const ConnectorTypeSource = "source"

// TaskID names a task: its connector and its index from 0. It is written as

// {"connector":"c","task":0}, and printed as Kafka prints a ConnectorTaskId ("c-0").

type TaskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

func (id TaskID) String() string { return fmt.Sprintf("%s-%d", id.Connector, id.Task) }

// ServerInfo is the body of GET /.

type ServerInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

// WorkerStatus is the body of GET /health.

// ConnectorInfo is a connector's configuration and tasks (GET /connectors/{c}).

type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []TaskID          `json:"tasks"`
	Type   string            `json:"type"`
}

// ConnectorStateInfo is a connector's status (GET /connectors/{c}/status).

type ConnectorStateInfo struct {
	Name      string         `json:"name"`
	Connector ConnectorState `json:"connector"`
	Tasks     []TaskState    `json:"tasks"`
	Type      string         `json:"type"`
}

// ConnectorState is the connector part of a status.

type ConnectorState struct {
	State    State  `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// TaskState is one task's status.

type TaskState struct {
	ID       int    `json:"id"`
	State    State  `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
	// Progress and Lag are connectd's additions, present for a task of a connector that reports
	// them and runs on the worker answering; Kafka Connect clients ignore unknown fields.
	Progress *TaskProgress `json:"progress,omitempty"`
	Lag      *TaskLag      `json:"lag,omitempty"`
}

// TaskProgress is what a task is doing: its snapshot's progress, or how much it streamed.
type TaskProgress struct {
	// Phase is "starting", "snapshot" or "streaming".
	Phase string `json:"phase"`
	// Table is the table the snapshot reads now.
	Table string `json:"table,omitempty"`
	// RowsDone is the rows the snapshot emitted; RowsEstimated what the database estimates the
	// tables hold (absent when it does not know).
	RowsDone      int64  `json:"rows_done"`
	RowsEstimated *int64 `json:"rows_estimated,omitempty"`
	// Percent is RowsDone of RowsEstimated, below 100 until the snapshot is complete.
	Percent *float64 `json:"percent,omitempty"`
	// Rate is snapshot rows per second so far.
	Rate float64 `json:"rate"`
	// ETASeconds is the estimated time left of the snapshot.
	ETASeconds        *float64 `json:"eta_seconds,omitempty"`
	TablesDone        int64    `json:"tables_done"`
	TablesTotal       int64    `json:"tables_total"`
	SnapshotCompleted bool     `json:"snapshot_completed"`
	// EventsSeen is the change events streamed since the task started.
	EventsSeen int64 `json:"events_seen"`
}

// TaskLag is how far a streaming task is behind its database.
type TaskLag struct {
	// MsBehindSource is the time between the last event's change in the database and its
	// processing (Debezium's MilliSecondsBehindSource).
	MsBehindSource *int64 `json:"ms_behind_source,omitempty"`
	// BinlogFile and BinlogPosition are the last event's (MySQL, MariaDB); BinlogBytesBehind is
	// the binlog the server wrote after it.
	BinlogFile        string `json:"binlog_file,omitempty"`
	BinlogPosition    *int64 `json:"binlog_position,omitempty"`
	BinlogBytesBehind *int64 `json:"binlog_bytes_behind,omitempty"`
	// SlotLagBytes is the WAL the replication slot holds back (PostgreSQL).
	SlotLagBytes *int64 `json:"slot_lag_bytes,omitempty"`
	// Error says why a lag in bytes could not be measured.
	Error string `json:"error,omitempty"`
}

// TaskInfo is one task's configuration (GET /connectors/{c}/tasks).

type TaskInfo struct {
	ID     TaskID            `json:"id"`
	Config map[string]string `json:"config"`
}

// CreateConnectorRequest is the body of POST /connectors.

// RestartRequest is POST /connectors/{c}/restart with its query parameters.

type RestartRequest struct {
	Connector    string
	OnlyFailed   bool
	IncludeTasks bool
}

// ForceRestartConnectorOnly reports whether the request is the legacy "restart the connector

// instance" (no parameters), answered with 204 and no body.

func (r RestartRequest) ForceRestartConnectorOnly() bool { return !r.OnlyFailed && !r.IncludeTasks }

// ShouldRestartConnector reports whether a connector in state s is restarted.

func (r RestartRequest) ShouldRestartConnector(s State) bool {
	return !r.OnlyFailed || s == StateFailed
}

// ShouldRestartTask reports whether a task in state s is restarted.

func (r RestartRequest) ShouldRestartTask(s State) bool {
	return r.IncludeTasks && (!r.OnlyFailed || s == StateFailed)
}

// ConnectorOffset is one source partition and its offset, as KIP-875 writes it.

type ConnectorOffset struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// wireOffsets is how GET /connectors/{c}/offsets writes ConnectorOffsets: partition and offset

// maps in the field order Kafka Connect uses (Java HashMap iteration order, as the offsets topic

// holds them) rather than encoding/json's sorted order, so the body equals Kafka Connect's text for

// text. Values come from the offset store, where integers are int64.

// MarshalJSON implements json.Marshaler.

// ConnectorOffsets is the body of GET and PATCH /connectors/{c}/offsets.

type ConnectorOffsets struct {
	Offsets []ConnectorOffset `json:"offsets"`
}

// FromPartitionOffsets converts the API's partition offsets to the REST shape.

func FromPartitionOffsets(pos []api.PartitionOffset) ConnectorOffsets {
	out := ConnectorOffsets{Offsets: make([]ConnectorOffset, 0, len(pos))}
	for _, p := range pos {
		out.Offsets = append(out.Offsets, ConnectorOffset{Partition: p.Partition, Offset: p.Offset})
	}
	return out
}

// PartitionOffsets converts the REST shape to the API's partition offsets.

func (o ConnectorOffsets) PartitionOffsets() []api.PartitionOffset {
	out := make([]api.PartitionOffset, 0, len(o.Offsets))
	for _, p := range o.Offsets {
		out = append(out, api.PartitionOffset{Partition: p.Partition, Offset: p.Offset})
	}
	return out
}

// OffsetHistoryEntry is one committed state of a connector's offsets, as kept by the offset

// history. Its Offsets field is a valid PATCH /connectors/{c}/offsets body on its own.

type OffsetHistoryEntry struct {
	// Time is when the offsets were committed.
	Time time.Time `json:"time"`
	// TimestampMs is Time in milliseconds since the epoch, for tools that prefer numbers.
	TimestampMs int64             `json:"ts_ms"`
	Offsets     []ConnectorOffset `json:"offsets"`
}

// OffsetHistory is the body of GET /connectors/{c}/offsets/history, newest entry first.

type OffsetHistory struct {
	History []OffsetHistoryEntry `json:"history"`
}

// Message is a one-line answer, e.g. to an offsets PATCH or DELETE.

type Message struct {
	Message string `json:"message"`
}

// PluginInfo is one entry of GET /connector-plugins.

// ConfigInfos is the body of PUT /connector-plugins/{p}/config/validate.

type ConfigInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []ConfigInfo `json:"configs"`
}

// ConfigInfo is the definition and validated value of one configuration key.

type ConfigInfo struct {
	Definition *ConfigKeyInfo   `json:"definition"`
	Value      *ConfigValueInfo `json:"value"`
}

// ConfigKeyInfo is a configuration key's definition, as Kafka's ConfigKeyInfo.

type ConfigKeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         *string  `json:"group"`
	Order         int      `json:"order"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
}

// ConfigValueInfo is a configuration key's validated value, as Kafka's ConfigValueInfo.

type ConfigValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// ActiveTopics is one connector's entry of GET /connectors/{c}/topics.

// LoggerLevel is one logger's level (GET /admin/loggers).

type LoggerLevel struct {
	Level string `json:"level"`
	// LastModified is when the level was last set over REST, in ms since the epoch; nil if never.
	LastModified *int64 `json:"last_modified"`
}
