package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/postgres/pgtypes"
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/connectors/txmeta"
)

// Task is the PostgreSQL source task: it snapshots the captured tables through the replication
// slot's exported snapshot, then streams pgoutput changes from the slot.
//
// One reader goroutine owns both connections (the regular one for catalog reads and the
// snapshot, the replication one for the stream) and every table structure; it hands records to
// a bounded queue that Poll drains. Commit, called from the runtime's goroutine after Kafka
// acknowledged records and their offsets were stored, only publishes the LSN that is now safe to
// confirm; the reader sends it to the server in its next status update, so the flushed LSN is
// never ahead of what Kafka holds.
type Task struct {
	cfg      *Config
	log      *slog.Logger
	registry *pgtypes.Registry

	// Owned by the reader goroutine once Start returns.
	meta    *pgconn.PgConn
	repl    *pgconn.PgConn
	tables  map[uint32]*table
	ignored map[uint32]string // relation OIDs of tables the filters leave out, with their names
	tx      *txmeta.Tracker
	plan    snapshotmode.Plan
	// resume is the stored progress of an interrupted snapshot to continue, or nil.
	resume *position
	start  position // the stored offset, when plan streams from it
	// startRaw is the stored offset map, for the transaction metadata counters it may hold.
	startRaw map[string]any
	// streaming is set once the replication connection is in streaming mode.
	streaming bool
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
	// serverLSN is the server's WAL end from the last keepalive, for the lag in Status.
	serverLSN atomic.Uint64
	// confirmed is the LSN last sent as flushed.
	confirmed atomic.Uint64
	// replayed counts the streamed transactions emitted from a spool.
	replayed atomic.Int64
	// phase is what the reader does: phaseStarting, phaseSnapshot, phaseStreaming, phaseDone.
	phase atomic.Int32

	// headers are Debezium's context headers (extended.headers.enabled), the same on every
	// change event and tombstone of this run.
	headers []api.Header

	reader *source.Reader
	stopMu sync.Mutex

	// sig holds the signal channels and the incremental snapshot engine (incremental.go).
	sig taskSignals
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

// Start validates the configuration, decides what to do from the stored offset, the slot and
// snapshot.mode, and starts the reader. Problems the user must fix (a purged position under
// snapshot.mode=initial, a slot used by someone else, a missing publication) are returned here,
// so the task fails with the explanation instead of retrying.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, config map[string]string) error {
	cfg, err := ParseConfig(config)
	if err != nil {
		return err
	}
	t.cfg = cfg
	t.log = slog.Default().With("connector", tc.ConnectorName(), "task", tc.TaskID(), "slot", cfg.SlotName)
	t.registry = pgtypes.NewRegistry()
	t.tables = make(map[uint32]*table)
	t.ignored = make(map[uint32]string)
	if cfg.TxMetadata {
		t.tx = txmeta.New(cfg.TxTopic)
	}
	t.headers = source.ContextHeaders(cfg.TopicPrefix, tc.TaskID(), connectorName)
	ok := false
	defer func() {
		if !ok {
			t.closeConns()
		}
	}()
	if t.meta, err = cfg.connect(ctx, false); err != nil {
		return err
	}
	if err := loadTypes(ctx, t.meta, t.registry, 0); err != nil {
		return err
	}

	var stored *position
	raw, err := tc.Offsets().Offset(ctx, cfg.partition())
	if err != nil {
		return fmt.Errorf("cannot read the connector's stored offset: %w", err)
	}
	if len(raw) > 0 {
		p, err := parsePosition(raw)
		if err != nil {
			return fmt.Errorf("the stored offset %v cannot be used: %w; fix or delete it with the offsets REST API while the connector is stopped", raw, err)
		}
		stored = &p
	}
	if t.slot, err = t.readSlotWaiting(ctx); err != nil {
		return err
	}
	if t.slot.Exists {
		if err := cfg.checkSlotUsable(t.slot); err != nil {
			return err
		}
	}
	st := snapshotmode.State{HasOffset: stored != nil, HistoryAvailable: true}
	if stored != nil {
		st.SnapshotCompleted = stored.snapshotDone()
		st.LogPositionAvailable = t.slot.Exists && t.slot.WALStatus != "lost" && t.slot.ConfirmedFlush <= stored.resumeLSN()
	}
	plan, err := snapshotmode.Decide(cfg.SnapshotMode, st)
	if err != nil {
		var pe *snapshotmode.PurgedError
		if errors.As(err, &pe) {
			pe.Needed, pe.Available = t.describePurge(stored)
		}
		return err
	}
	t.plan = plan
	if stored != nil && plan.Stream == snapshotmode.FromOffset {
		t.start, t.startRaw = *stored, raw
	}
	if stored != nil && plan.ResumeSnapshot && stored.SnapTable != "" && t.slot.Exists && plan.Streams() {
		t.resume = stored
	}
	if stored != nil && plan.DropOffset {
		t.logf("dropping the stored offset (%s): %s", t.describeOffset(stored), planReason(st))
	}

	captured, err := t.capturedTables(ctx)
	if err != nil {
		return err
	}
	if err := t.ensurePublication(ctx, captured); err != nil {
		return err
	}

	t.reader = source.NewReader(cfg.MaxQueueSize, cfg.MaxQueueBytes, cfg.MaxBatchSize, cfg.PollInterval)
	if err := t.startIncremental(tc.ConnectorName(), config, raw, captured); err != nil {
		t.stopIncremental()
		return err
	}
	ok = true
	t.reader.Start(t.log, func(ctx context.Context) error { return t.runSteps(ctx, captured) }, func() {
		t.dropSpools()
		t.phase.Store(phaseDone)
	})
	return nil
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

func (t *Task) describeOffset(p *position) string {
	if !p.snapshotDone() {
		return "an unfinished snapshot"
	}
	return "position " + p.resumeLSN().String()
}

func planReason(st snapshotmode.State) string {
	switch {
	case !st.SnapshotCompleted:
		return "the snapshot it belongs to did not finish, so a new one is taken"
	case !st.LogPositionAvailable:
		return "the slot no longer holds that position, so a new snapshot is taken (snapshot.mode=when_needed)"
	}
	return "snapshot.mode asks for a new snapshot"
}

// runSteps is the reader goroutine: slot, snapshot, stream. Its error fails the task through
// Poll.
func (t *Task) runSteps(ctx context.Context, captured []*catalogTable) error {
	cfg := t.cfg
	var err error
	if t.plan.Stream == snapshotmode.NoStream && !t.plan.SnapshotData {
		t.logf("snapshot.mode=%s: the snapshot is complete, nothing to stream", cfg.SnapshotMode)
		return nil
	}
	if t.plan.Streams() {
		if t.repl, err = cfg.connect(ctx, true); err != nil {
			return err
		}
	}
	startLSN := t.start.resumeLSN()
	switch {
	case t.plan.SnapshotData && t.plan.Streams():
		// A consistent snapshot needs the slot's exported snapshot, so the slot is created now; an
		// existing one holds no position anyone needs (there is no usable offset), so it is replaced.
		if t.resume != nil {
			// The slot still holds the WAL from the interrupted snapshot's position: read the
			// rest of the tables now and stream from that position.
			if err := t.snapshot(ctx, "", t.resume.LSN, captured, t.resume); err != nil {
				return err
			}
			startLSN = t.resume.LSN
			break
		}
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
		if err := t.snapshot(ctx, snap, lsn, captured, nil); err != nil {
			return err
		}
		startLSN = lsn
	case t.plan.SnapshotData:
		// initial_only: no stream follows, so no slot is needed; a repeatable-read snapshot is
		// consistent on its own.
		return t.snapshot(ctx, "", 0, captured, nil)
	case t.plan.Stream == snapshotmode.FromOffset:
		t.logf("resuming from stored offset at %s", startLSN)
	default: // never, no_data, or a schema-only plan: stream from the slot's position
		if !t.slot.Exists {
			lsn, _, err := createSlot(ctx, t.repl, cfg.SlotName, false)
			if err != nil {
				return err
			}
			t.logf("created replication slot %s at %s", cfg.SlotName, lsn)
			startLSN = lsn
		} else {
			startLSN = t.slot.ConfirmedFlush
		}
	}
	if !t.plan.Streams() {
		return nil
	}
	t.sig.inc.Start(ctx)
	return t.stream(ctx, startLSN)
}

// Poll returns the next batch of records.
func (t *Task) Poll(ctx context.Context) ([]*api.SourceRecord, error) { return t.reader.Poll(ctx) }

// Commit records the LSN Kafka and the offset store now hold; the reader confirms it to the
// server in its next status update.
func (t *Task) Commit(_ context.Context, committed []api.PartitionOffset) error {
	for _, po := range committed {
		if po.Partition["server"] != t.cfg.TopicPrefix || len(po.Offset) == 0 {
			continue
		}
		p, err := parsePosition(po.Offset)
		if err != nil || p.Snapshot && !p.snapshotDone() {
			continue // an offset inside the snapshot confirms nothing in the log
		}
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

// Stop stops the reader, confirms the last committed LSN and closes the connections; with
// slot.drop.on.stop it drops the slot.
func (t *Task) Stop() error {
	t.stopMu.Lock()
	defer t.stopMu.Unlock()
	if t.reader != nil && !t.reader.Stop(30*time.Second) {
		t.log.Warn("PostgreSQL reader did not stop within 30s; closing its connections")
	}
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
	t.stopIncremental()
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
		source.AddHeaders(r, t.headers)
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
