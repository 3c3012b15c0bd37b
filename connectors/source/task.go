package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/heartbeat"
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/schemahistory"
)

// Engine is the database-specific half of a relational source task. Task calls it in this order:
// Open, Inspect and Prepare from Start; RunSnapshot and then RunStream on the reader goroutine;
// Committed from the runtime's goroutine; Release once the reader ended or Start failed.
type Engine interface {
	// Open parses and validates the configuration, connects and checks the server. A problem the
	// user must fix is returned here, so the task fails with its explanation instead of retrying.
	Open(ctx context.Context, tc api.TaskContext, props map[string]string) (Settings, error)
	// Inspect says what the stored offset (nil when there is none) means on the server: whether
	// the snapshot it belongs to finished and whether the log still holds its position.
	Inspect(ctx context.Context, stored map[string]any) (Found, error)
	// Prepare applies the plan before the reader starts: rebuild the table structures, set the
	// position to stream from, check what streaming will need.
	Prepare(ctx context.Context, plan snapshotmode.Plan) error
	// RunSnapshot takes the snapshot the plan asks for, if any, and settles the position
	// RunStream starts from.
	RunSnapshot(ctx context.Context, plan snapshotmode.Plan) error
	// RunStream streams the log until ctx ends, reconnecting as Supervise's policy says.
	RunStream(ctx context.Context) error
	// Committed is told which offsets the runtime stored after Kafka acknowledged their records.
	Committed(ctx context.Context, committed []api.PartitionOffset) error
	// Release closes what the engine holds. It may be called more than once.
	Release() error
}

// Settings is what Task needs of a connector's configuration.
type Settings struct {
	// Log is the task's logger, with the attributes the connector wants on every line.
	Log *slog.Logger
	// Connector is the connector's name in the context headers and logs (mysql, postgresql).
	Connector string
	// TopicPrefix is topic.prefix, the server name of the headers and the schema history.
	TopicPrefix string
	// Partition is the source partition the offsets are stored under.
	Partition map[string]any
	// Mode is snapshot.mode.
	Mode snapshotmode.Mode
	// History: the connector rebuilds its tables from a schema history (MySQL, MariaDB); it is
	// opened unless snapshot.mode=initial_only, which never streams.
	History bool
	// The queue between the reader and Poll: max.queue.size, max.queue.size.in.bytes,
	// max.batch.size and poll.interval.ms.
	MaxQueue      int
	MaxQueueBytes int64
	MaxBatch      int
	PollInterval  time.Duration
	// StopWait bounds how long Stop waits for the reader before releasing its connections under
	// it; 0 waits until it ends.
	StopWait time.Duration
	// AfterRun, when set, runs on the reader goroutine once it ended (cleanup of what it owns).
	AfterRun func()
}

// Found is what Inspect found for the stored offset.
type Found struct {
	// SnapshotCompleted and LogPositionAvailable are snapshotmode.State's.
	SnapshotCompleted    bool
	LogPositionAvailable bool
	// Needed and Available describe the stored position and what the server still has, for the
	// message of a purged position and the log line of a dropped offset.
	Needed, Available string
}

// Task is the skeleton every relational source task shares: decide from snapshot.mode, the
// stored offset and the server what to do, snapshot and stream on a reader goroutine, and hand
// the records to Poll through a bounded queue. A connector embeds it and sets Engine before
// calling Start.
type Task struct {
	// Engine is the database-specific half.
	Engine Engine
	// OpenHistory, when set, opens the schema history store instead of the one the
	// schema.history.internal.* properties name (tests give their own).
	OpenHistory func(ctx context.Context, props map[string]string) (schemahistory.Store, error)

	// Log is the task's logger, from Settings.
	Log *slog.Logger
	// Reader is the reader goroutine and its queue, created before Inspect.
	Reader *Reader
	// History is the schema history, nil for a connector without one.
	History *History
	// Headers are Debezium's __debezium.context.* headers of this run.
	Headers []api.Header
	// Heartbeat is what heartbeat.interval.ms and the heartbeat topic settings ask for; the
	// engine's stream emits its records on an Inline schedule.
	Heartbeat *heartbeat.Heartbeat
	// Plan is what Start decided.
	Plan snapshotmode.Plan
	// Signals are the signal channels and the incremental snapshot engine the engine opens with
	// OpenSignals; they are closed when the task releases.
	Signals Signals

	// props, name and prefix are the configuration, the connector's name and topic.prefix,
	// kept for OpenSignals.
	props        map[string]string
	name, prefix string
	stopWait     time.Duration
	stopMu       sync.Mutex
}

// Start runs the skeleton up to the reader goroutine; every error is returned before the reader
// starts, and releases what was opened.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, props map[string]string) (err error) {
	if t.Engine == nil {
		return errors.New("the source task has no engine: the connector must set Task.Engine before Start")
	}
	defer func() {
		if err != nil {
			_ = t.release()
		}
	}()
	s, err := t.Engine.Open(ctx, tc, props)
	if err != nil {
		return err
	}
	t.props, t.name, t.prefix = props, tc.ConnectorName(), s.TopicPrefix
	t.Log = s.Log
	if t.Log == nil {
		t.Log = slog.Default().With("connector", tc.ConnectorName(), "task", tc.TaskID())
	}
	t.stopWait = s.StopWait
	if t.Heartbeat, err = heartbeat.FromConfig(props); err != nil {
		return err
	}
	t.Headers = ContextHeaders(s.TopicPrefix, tc.TaskID(), s.Connector)
	t.Reader = NewReader(s.MaxQueue, s.MaxQueueBytes, s.MaxBatch, s.PollInterval)
	switch {
	case t.OpenHistory != nil:
		st, err := t.OpenHistory(ctx, props)
		if err != nil {
			return fmt.Errorf("cannot open the schema history: %w", err)
		}
		t.History = NewHistory(st, s.TopicPrefix)
	case s.History && s.Mode != snapshotmode.InitialOnly:
		if t.History, err = OpenHistory(ctx, props, s.TopicPrefix); err != nil {
			return err
		}
	}

	stored, err := tc.Offsets().Offset(ctx, s.Partition)
	if err != nil {
		return fmt.Errorf("cannot read the stored offset of %v: %w", s.Partition, err)
	}
	if len(stored) == 0 {
		stored = nil
	}
	found, err := t.Engine.Inspect(ctx, stored)
	if err != nil {
		return err
	}
	st := snapshotmode.State{HasOffset: stored != nil, SnapshotCompleted: found.SnapshotCompleted,
		LogPositionAvailable: found.LogPositionAvailable, HistoryAvailable: true}
	if stored != nil {
		if st.HistoryAvailable, err = t.History.Exists(ctx); err != nil {
			return err
		}
	}
	plan, err := snapshotmode.Decide(s.Mode, st)
	if err != nil {
		var pe *snapshotmode.PurgedError
		if errors.As(err, &pe) {
			pe.Needed, pe.Available = found.Needed, found.Available
		}
		return err
	}
	t.Plan = plan
	t.Log.Info("starting", "snapshot.mode", s.Mode.String(), "snapshot_schema", plan.SnapshotSchema,
		"snapshot_data", plan.SnapshotData, "stream", plan.Stream.String())
	if stored != nil && plan.DropOffset {
		t.Log.Warn("dropping the stored offset: "+dropReason(st, s.Mode), "needed", found.Needed, "available", found.Available)
	}
	if err := t.Engine.Prepare(ctx, plan); err != nil {
		return err
	}
	t.Reader.Start(t.Log, func(ctx context.Context) error {
		if err := t.Engine.RunSnapshot(ctx, plan); err != nil {
			return err
		}
		if !plan.Streams() {
			t.Log.Info("the snapshot is complete; not streaming (snapshot.mode=" + s.Mode.String() + ")")
			return nil
		}
		return t.Engine.RunStream(ctx)
	}, s.AfterRun)
	return nil
}

// dropReason says why a plan drops the stored offset.
func dropReason(st snapshotmode.State, mode snapshotmode.Mode) string {
	switch {
	case !st.SnapshotCompleted:
		return "the snapshot it belongs to did not finish, so a new one is taken"
	case !st.LogPositionAvailable:
		return "the stored position is no longer on the server, so a new snapshot is taken (snapshot.mode=" + mode.String() + ")"
	}
	return "snapshot.mode=" + mode.String() + " takes a new snapshot on every start"
}

// OpenSignals opens the task's Signals: the channels signal.enabled.channels names and the
// incremental snapshot engine on the engine's database, with the incremental snapshot the
// stored offset holds. The connector's name and topic.prefix are the task's; src's Log too
// when it has none.
func (t *Task) OpenSignals(ctx context.Context, src SignalSource, stored map[string]any) error {
	src.Name, src.TopicPrefix = t.name, t.prefix
	if src.Log == nil {
		src.Log = t.Log
	}
	return t.Signals.Open(ctx, t.props, src, stored)
}

// Poll returns the next batch of records.
func (t *Task) Poll(ctx context.Context) ([]*api.SourceRecord, error) {
	if t.Reader == nil {
		return nil, errors.New("the source task was not started")
	}
	return t.Reader.Poll(ctx)
}

// Commit tells the engine what the runtime stored.
func (t *Task) Commit(ctx context.Context, committed []api.PartitionOffset) error {
	if t.Engine == nil {
		return nil
	}
	return t.Engine.Committed(ctx, committed)
}

// Stop stops the reader and releases the connections and the schema history.
func (t *Task) Stop() error {
	t.stopMu.Lock()
	defer t.stopMu.Unlock()
	if t.Reader != nil && !t.Reader.Stop(t.stopWait) {
		t.Log.Warn("the reader did not stop in time; closing its connections", "waited", t.stopWait)
	}
	return t.release()
}

// release closes what the engine and the skeleton opened.
func (t *Task) release() error {
	var err error
	if t.Engine != nil {
		err = t.Engine.Release()
	}
	t.Signals.Close()
	if t.History != nil {
		_ = t.History.Close()
		t.History = nil
	}
	return err
}

// Emit queues records in order, blocking while the queue is full, with the context headers on
// every record whose topic is not skipHeaders (the transaction topic carries none).
func (t *Task) Emit(ctx context.Context, skipHeaders string, recs ...*api.SourceRecord) error {
	for _, r := range recs {
		if skipHeaders == "" || r.Topic != skipHeaders {
			AddHeaders(r, t.Headers)
		}
		if err := t.Reader.Put(ctx, r, nil, 0); err != nil {
			return err
		}
	}
	return nil
}
