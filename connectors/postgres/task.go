package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/postgres/pgtypes"
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/connectors/txmeta"
)

// Task is the PostgreSQL source task: the shared source.Task skeleton with logical replication as
// its engine (the methods of source.Engine below). It snapshots the captured tables through the
// replication slot's exported snapshot, then streams pgoutput changes from the slot.
//
// One reader goroutine owns both connections (the regular one for catalog reads and the
// snapshot, the replication one for the stream) and every table structure; it hands records to
// a bounded queue that Poll drains. Commit, called from the runtime's goroutine after Kafka
// acknowledged records and their offsets were stored, only publishes the LSN that is now safe to
// confirm; the reader sends it to the server in its next status update, so the flushed LSN is
// never ahead of what Kafka holds.
type Task struct {
	source.Task

	cfg      *Config
	log      *slog.Logger
	registry *pgtypes.Registry

	// Owned by the reader goroutine once Start returns.
	meta    *pgconn.PgConn
	repl    *pgconn.PgConn
	tables  map[uint32]*table
	ignored map[uint32]string // relation OIDs of tables the filters leave out, with their names
	tx      *txmeta.Tracker
	// srcCache keeps the streamed events' source fields boxed (database, table, commit time).
	srcCache envelope.SourceCache
	// offBoxes keeps the streamed events' offset values boxed (see position.toMapBoxed).
	offBoxes envelope.SourceCache
	// stored is the offset found at start, or nil.
	stored *position
	// captured are the tables to snapshot, listed by Prepare.
	captured []*catalogTable
	// resume is the stored progress of an interrupted snapshot to continue, or nil.
	resume *position
	start  position // the stored offset, when the plan streams from it
	// startRaw is the stored offset map, for the transaction metadata counters it may hold.
	startRaw map[string]any
	// startLSN is where RunStream starts, settled by RunSnapshot.
	startLSN pglogrepl.LSN
	// streaming is set once the replication connection is in streaming mode.
	streaming bool
	// recs holds the records of the change being emitted; the queue keeps the records, not the
	// slice, so it is reused for every change.
	recs []*api.SourceRecord
	// rows are the old and new row of the change being emitted, reused likewise: the records
	// hold the converted values, not the rows.
	rows [2][]any
	// protoStreaming is set when pgoutput streams in-progress transactions (protocol 2).
	protoStreaming bool
	// nextStatus and sentAck pace the status updates.
	nextStatus time.Time
	sentAck    uint64
	// Streamed transactions: the one whose stream block is open, and their spools.
	streamXid uint32
	spools    map[uint32]*spool
	spoolDir  string
	slot      slotState
	seq       seqState

	// ack is the highest LSN whose offset the runtime committed (Commit); the reader confirms it.
	ack atomic.Uint64
	// owed is the offset of the last record the reader queued (reader goroutine only); done is
	// the furthest (lsn, lsn_events_processed) the runtime committed, under doneMu. When done
	// reaches owed between transactions nothing is owed: see confirmIdle.
	owed   map[string]any
	doneMu sync.Mutex
	done   [2]int64
	// serverLSN is the server's WAL end from the last keepalive, for the lag in Status.
	serverLSN atomic.Uint64
	// confirmed is the LSN last sent as flushed.
	confirmed atomic.Uint64
	// replayed counts the streamed transactions emitted from a spool.
	replayed atomic.Int64
	// phase is what the reader does: phaseStarting, phaseSnapshot, phaseStreaming, phaseDone.
	phase atomic.Int32

	// storedRaw is kept for the incremental snapshot engine, opened in Prepare.
	storedRaw map[string]any
}

// seqState is the reader's place in the stream.
type seqState struct {
	lastCommit pglogrepl.LSN // end of the last transaction fully processed
	safe       pglogrepl.LSN // highest position a restart may resume from (commits and idle keepalives)
	inTx       bool
	xid        uint32
	commitTime time.Time
	lsn        pglogrepl.LSN // LSN of the event being processed
	sameLSN    int64         // events processed at lsn in this transaction
	origin     string
	originLSN  pglogrepl.LSN
	resume     *position // skip the events of a replayed transaction already emitted
	skipping   bool

	// commitKnown is set once lastCommit is a commit this run processed or a stored offset's
	// lsn_commit; until then source.sequence starts with null, as Debezium's does for the first
	// transaction streamed after a snapshot.
	commitKnown bool
}

// NewTask returns an unstarted task.
func NewTask() *Task { return &Task{} }

var _ api.SourceTask = (*Task)(nil)

// logf logs an informational message with the connector's name.
func (t *Task) logf(format string, args ...any) {
	t.log.Info(fmt.Sprintf(format, args...))
}

// Start runs the shared skeleton with the replication engine.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, config map[string]string) error {
	t.Engine = t
	return t.Task.Start(ctx, tc, config)
}

// Open validates the configuration and loads the server's types (source.Engine).
func (t *Task) Open(ctx context.Context, tc api.TaskContext, config map[string]string) (source.Settings, error) {
	cfg, err := ParseConfig(config)
	if err != nil {
		return source.Settings{}, err
	}
	t.cfg = cfg
	t.log = slog.Default().With("connector", tc.ConnectorName(), "task", tc.TaskID(), "slot", cfg.SlotName)
	t.registry = pgtypes.NewRegistry()
	t.tables = make(map[uint32]*table)
	t.ignored = make(map[uint32]string)
	if cfg.ProvideTransactionMetadata {
		t.tx = txmeta.New(cfg.TransactionTopic)
	}
	if t.meta, err = cfg.connect(ctx, false); err != nil {
		return source.Settings{}, err
	}
	if err := loadTypes(ctx, t.meta, t.registry, 0); err != nil {
		return source.Settings{}, err
	}
	s := source.SettingsFrom(&cfg.Common)
	s.Log, s.Connector, s.Partition, s.StopWait = t.log, connectorName, cfg.partition(), 30*time.Second
	s.AfterRun = func() {
		t.dropSpools()
		t.phase.Store(phaseDone)
	}
	return s, nil
}

// Inspect reads the stored offset and the slot (source.Engine). A slot used by someone else is
// returned here, so the task fails with the explanation instead of retrying.
func (t *Task) Inspect(ctx context.Context, raw map[string]any) (source.Found, error) {
	t.observe(ctx)
	if raw != nil {
		p, err := parsePosition(raw)
		if err != nil {
			return source.Found{}, fmt.Errorf("the stored offset %v cannot be used: %w; fix or delete it with the offsets REST API while the connector is stopped", raw, err)
		}
		t.stored, t.startRaw, t.storedRaw = &p, raw, raw
	}
	var err error
	if t.slot, err = t.readSlotWaiting(ctx); err != nil {
		return source.Found{}, err
	}
	if t.slot.Exists {
		if err := t.cfg.checkSlotUsable(t.slot); err != nil {
			return source.Found{}, err
		}
	}
	if t.stored == nil {
		return source.Found{}, nil
	}
	f := source.Found{SnapshotCompleted: t.stored.snapshotDone(),
		LogPositionAvailable: t.slot.Exists && t.slot.WALStatus != "lost" && t.slot.ConfirmedFlush <= t.stored.resumeLSN()}
	f.Needed, f.Available = t.describePurge(t.stored)
	return f, nil
}

// Prepare keeps what the plan continues from and checks the publication (source.Engine).
func (t *Task) Prepare(ctx context.Context, plan snapshotmode.Plan) error {
	if stored := t.stored; stored != nil {
		if plan.Stream == snapshotmode.FromOffset {
			t.start = *stored
		} else {
			t.startRaw = nil
		}
		if plan.ResumeSnapshot && stored.SnapResume != nil && t.slot.Exists && plan.Streams() {
			t.resume = stored
		}
	}
	var err error
	if t.captured, err = t.capturedTables(ctx); err != nil {
		return err
	}
	if err := t.ensurePublication(ctx, t.captured); err != nil {
		return err
	}
	return t.startIncremental(t.storedRaw, t.captured)
}

// readSlotWaiting reads the slot, waiting a little while it is still held by the previous run of
// this task (its walsender exits shortly after the old connection closes).
func (t *Task) readSlotWaiting(ctx context.Context) (slotState, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		s, err := readSlot(ctx, t.meta, t.cfg.SlotName)
		if err != nil || !s.Exists || !s.Active || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// describePurge says what position was needed and what the server has, for PurgedError.
func (t *Task) describePurge(stored *position) (needed, available string) {
	needed = fmt.Sprintf("LSN %s (offset lsn_commit/lsn_proc/lsn=%d)", stored.resumeLSN(), int64(stored.resumeLSN()))
	switch {
	case !t.slot.Exists:
		available = fmt.Sprintf("no replication slot named %q (it was dropped, so the WAL it held is gone; connectd never silently creates a new slot for a stored offset)", t.cfg.SlotName)
	case t.slot.WALStatus == "lost":
		available = fmt.Sprintf("replication slot %q invalidated (wal_status=lost: max_slot_wal_keep_size was exceeded)", t.cfg.SlotName)
	default:
		available = fmt.Sprintf("replication slot %q confirmed up to %s, past the needed position", t.cfg.SlotName, t.slot.ConfirmedFlush)
	}
	return needed, available
}

// RunSnapshot creates the slot when streaming needs one, takes the snapshot the plan asks for
// and settles the LSN RunStream starts from (source.Engine).
func (t *Task) RunSnapshot(ctx context.Context, plan snapshotmode.Plan) error {
	cfg := t.cfg
	var err error
	if plan.SnapshotData {
		if err := source.Delay(ctx, cfg.SnapshotDelay); err != nil { // snapshot.delay.ms
			return err
		}
	}
	if plan.Streams() {
		if t.repl, err = cfg.connect(ctx, true); err != nil {
			return err
		}
	}
	t.startLSN = t.start.resumeLSN()
	switch {
	case plan.SnapshotData && plan.Streams() && t.resume != nil:
		// The slot still holds the WAL from the interrupted snapshot's position: read the rest
		// of the tables now and stream from that position.
		t.startLSN = t.resume.LSN
		return t.snapshot(ctx, "", t.resume.LSN, t.captured, t.resume)
	case plan.SnapshotData && plan.Streams():
		// A consistent snapshot needs the slot's exported snapshot, so the slot is created now; an
		// existing one holds no position anyone needs (there is no usable offset), so it is replaced.
		if t.slot.Exists {
			t.logf("dropping replication slot %s to take a consistent snapshot from a new one", cfg.SlotName)
			if err := dropSlot(ctx, t.meta, cfg.SlotName); err != nil {
				return err
			}
		}
		lsn, snap, err := createSlot(ctx, t.repl, cfg.SlotName, true)
		if err != nil {
			return err
		}
		t.logf("created replication slot %s at %s with exported snapshot %s", cfg.SlotName, lsn, snap)
		t.startLSN = lsn
		return t.snapshot(ctx, snap, lsn, t.captured, nil)
	case plan.SnapshotData:
		// initial_only: no stream follows, so no slot is needed; a repeatable-read snapshot is
		// consistent on its own.
		return t.snapshot(ctx, "", 0, t.captured, nil)
	case !plan.Streams():
		return nil
	case plan.Stream == snapshotmode.FromOffset:
		t.logf("resuming from stored offset at %s", t.startLSN)
	case !t.slot.Exists: // never, no_data, or a schema-only plan: stream from the slot's position
		lsn, _, err := createSlot(ctx, t.repl, cfg.SlotName, false)
		if err != nil {
			return err
		}
		t.logf("created replication slot %s at %s", cfg.SlotName, lsn)
		t.startLSN = lsn
	default:
		t.startLSN = t.slot.ConfirmedFlush
	}
	return nil
}

// Committed records the LSN Kafka and the offset store now hold; the reader confirms it to the
// server in its next status update (source.Engine).
func (t *Task) Committed(_ context.Context, committed []api.PartitionOffset) error {
	for _, po := range committed {
		if po.Partition["server"] != t.cfg.TopicPrefix || len(po.Offset) == 0 {
			continue
		}
		p, err := parsePosition(po.Offset)
		if err != nil || p.Snapshot && !p.snapshotDone() {
			continue // an offset inside the snapshot confirms nothing in the log
		}
		t.doneMu.Lock()
		if d := [2]int64{int64(p.LSN), p.EventsProcessed}; d[0] > t.done[0] || d[0] == t.done[0] && d[1] > t.done[1] {
			t.done = d
		}
		t.doneMu.Unlock()
		lsn := p.LSNCommit
		if lsn == 0 {
			lsn = p.LSNProc
		}
		if lsn == 0 {
			continue
		}
		for {
			cur := t.ack.Load()
			if uint64(lsn) <= cur || t.ack.CompareAndSwap(cur, uint64(lsn)) {
				break
			}
		}
	}
	return nil
}

// Release confirms the last committed LSN and closes the connections; with slot.drop.on.stop it
// drops the slot (source.Engine).
func (t *Task) Release() error {
	// The signal channels and the engine's connection go first, before the wait for the slot.
	t.Signals.Close()
	var err error
	if t.cfg != nil && t.meta != nil && (t.repl != nil || t.cfg.SlotDropOnStop) {
		// Wait (briefly) until the walsender has released the slot, so whoever comes next (a
		// new task, an operator dropping the slot) finds it free.
		closeConn(t.repl)
		t.repl = nil
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for i := 0; i < 80; i++ {
			s, rerr := readSlot(ctx, t.meta, t.cfg.SlotName)
			if rerr != nil || !s.Active {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if t.cfg.SlotDropOnStop {
			err = dropSlot(ctx, t.meta, t.cfg.SlotName)
		}
		cancel()
	}
	t.closeConns()
	return err
}

func (t *Task) closeConns() {
	closeConn(t.repl)
	closeConn(t.meta)
	t.repl, t.meta = nil, nil
}

// withHeaders adds the context headers to change event records.
func (t *Task) withHeaders(recs []*api.SourceRecord) []*api.SourceRecord {
	for _, r := range recs {
		source.AddHeaders(r, t.Headers)
	}
	return recs
}

// The reader's phases.
const (
	phaseStarting = iota
	phaseSnapshot
	phaseStreaming
	phaseDone
)

// Status describes the task's position for status and monitoring: the LSN last confirmed to the
// server, the server's WAL end as of the last keepalive, and the lag between them in bytes (the
// WAL the slot holds back).
type Status struct {
	// Phase is "starting", "snapshot", "streaming" or "stopped".
	Phase        string
	ConfirmedLSN string
	ServerLSN    string
	LagBytes     int64
}

// Status returns the slot's confirmed position and lag.
func (t *Task) Status() Status {
	c, s := pglogrepl.LSN(t.confirmed.Load()), pglogrepl.LSN(t.serverLSN.Load())
	st := Status{Phase: [...]string{"starting", "snapshot", "streaming", "stopped"}[t.phase.Load()], ConfirmedLSN: c.String(), ServerLSN: s.String()}
	if s > c {
		st.LagBytes = int64(s - c)
	}
	return st
}
