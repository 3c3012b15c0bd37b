package api

import "context"

// Plugin describes a connector implementation the runtime can instantiate, as listed by
// GET /connector-plugins. Class is the Java class name users already put in their configs.
type Plugin struct {
	Class   string
	Aliases []string // other accepted class names and short names
	Version string
	Spec    ConfigSpec
	New     func() SourceConnector
}

// SourceConnector is the connector-level object: it validates its configuration and splits the
// work into task configurations. Its methods are called from one goroutine at a time.
type SourceConnector interface {
	// Start begins the connector with its validated configuration.
	Start(ctx ConnectorContext, config map[string]string) error
	// TaskConfigs returns at most maxTasks task configurations.
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	// NewTask returns a fresh, unstarted task.
	NewTask() SourceTask
	// Stop releases what Start acquired.
	Stop() error
}

// OffsetAlterer is implemented by a SourceConnector that checks an offsets PATCH
// (PATCH /connectors/{name}/offsets, Kafka Connect's SourceConnector.alterOffsets) before the
// runtime writes it: the shape of the partition and offset, and that the position still exists on
// the server. It is called on a fresh, unstarted instance with the connector's stored
// configuration; a nil Offset in an entry deletes that partition's offset. Returning an error
// refuses the request with 400 and the error as message. Connectors without it accept any offset
// maps of primitive values, as Kafka Connect's default does.
type OffsetAlterer interface {
	AlterOffsets(config map[string]string, offsets []PartitionOffset) error
}

// ConnectorContext is what the runtime offers a running connector.
type ConnectorContext interface {
	// Offsets reads the connector's committed offsets.
	Offsets() OffsetReader
	// RequestTaskReconfiguration asks the runtime to call TaskConfigs again.
	RequestTaskReconfiguration()
	// RaiseError fails the connector with err as its trace.
	RaiseError(err error)
}

// SourceTask produces records. Poll and Commit are called from different goroutines; Stop may be
// called while Poll blocks and must make it return promptly.
type SourceTask interface {
	// Start begins the task. It reads its starting position through tc.Offsets(), which the runtime
	// has brought up to date with the offset store (read to the end) before calling Start.
	Start(ctx context.Context, tc TaskContext, config map[string]string) error
	// Poll returns the next batch of records. It blocks until records are available or ctx is done,
	// and may return an empty batch to let the runtime commit offsets on an idle source.
	Poll(ctx context.Context) ([]*SourceRecord, error)
	// Commit is called after offsets covering records Kafka acknowledged were written to the offset
	// store, with the last committed offset of each source partition. A log-based connector
	// confirms its position to the database here (PostgreSQL's flushed LSN), never earlier.
	Commit(ctx context.Context, committed []PartitionOffset) error
	// Stop releases the task's connections; the runtime flushes offsets before calling it.
	Stop() error
}

// TaskContext is what the runtime offers a running task.
type TaskContext interface {
	// Offsets reads committed offsets.
	Offsets() OffsetReader
	// ConnectorName is the name the connector was created with; the offset key carries it.
	ConnectorName() string
	// TaskID is the task's index, from 0.
	TaskID() int
}

// OffsetReader reads committed source offsets of the connector it was made for.
type OffsetReader interface {
	// Offset returns the committed offset of a source partition, or nil when there is none.
	Offset(ctx context.Context, partition map[string]any) (map[string]any, error)
}

// PartitionOffset is a source partition with its offset.
type PartitionOffset struct {
	Partition map[string]any
	Offset    map[string]any
}
