package source

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/signals"
)

// Offset keys of a running incremental snapshot, Debezium's (IncrementalSnapshotContext.store).
const (
	OffIncPrimaryKey    = "incremental_snapshot_primary_key"
	OffIncMaximumKey    = "incremental_snapshot_maximum_key"
	OffIncCollections   = "incremental_snapshot_collections"
	OffIncCorrelationID = "incremental_snapshot_correlation_id"
	// OffIncTotalRows is the current table's row count, Debezium 3.7's (signals.Config.Debezium37).
	OffIncTotalRows = "incremental_snapshot_total_rows"

	incCollID        = "incremental_snapshot_collections_id"
	incCollCondition = "incremental_snapshot_collections_additional_condition"
	incCollSurrogate = "incremental_snapshot_collections_surrogate_key"
	// incCollCorrelation is the id of the signal that added the collection (Debezium 3.7).
	incCollCorrelation = "incremental_snapshot_collections_correlation_id"
)

// Collection is one table of an incremental snapshot.
type Collection struct {
	// ID is the table's id as signals name it (db.table, schema.table).
	ID string
	// Filter is the additional condition (a SQL predicate), empty for none.
	Filter string
	// SurrogateKey is the column to chunk by instead of the primary key, empty for the key.
	SurrogateKey string
	// CorrelationID is the id of the execute-snapshot signal that added the collection, empty
	// when unknown (an offset written by Debezium before 3.7 or by a 3.5-format connector).
	CorrelationID string
}

// ChunkRow is one row read by a chunk: its chunk key (int32, int64, int16 or string values, in
// key column order) and its column values as the connector's record builder takes them.
type ChunkRow struct {
	Key    []any
	Values []any
	// Columns names the values when the reader's column order is not the connector's own
	// (shared by the rows of a chunk); nil otherwise.
	Columns []string
}

// IncrementalDB is what a connector supplies to run incremental snapshots.
type IncrementalDB interface {
	// Tables returns the ids of the captured tables, the names signals match against.
	Tables() []string
	// MaxKey returns the largest chunk key of c's rows (under its filter), nil when it has none;
	// an error when c cannot be read in chunks (no key), which skips the table.
	MaxKey(ctx context.Context, c *Collection) ([]any, error)
	// ReadChunk reads at most limit rows of c whose key is after after (nil: from the first)
	// and not after max, in key order. It runs on the engine's goroutine.
	ReadChunk(ctx context.Context, c *Collection, after, max []any, limit int) ([]ChunkRow, error)
	// WriteSignal inserts a row (id, type, data) into the signal table and commits it.
	WriteSignal(ctx context.Context, id, typ, data string) error
	// ReadRecords builds the read events (op r, source.snapshot marker: incremental, or true
	// for a blocking snapshot) of a chunk row, carrying offset. It runs on the streaming
	// goroutine, which owns the record builders.
	ReadRecords(c *Collection, row ChunkRow, offset map[string]any, marker envelope.Snapshot) ([]*api.SourceRecord, error)
}

// ChunkVisibility is implemented by an IncrementalDB whose chunk reads can miss a transaction
// logged before the window-open marker. PostgreSQL makes a commit visible only after writing its
// log record (and flushing it), so a transaction whose commit precedes the marker in the log can
// still be invisible to the chunk's SELECT: its change streams before the window opens, and the
// stale read would follow it. The engine notes the transactions of the changes streamed while
// a chunk is in flight and drops the reads of keys a transaction invisible to the read changed.
type ChunkVisibility interface {
	// TxOf returns the transaction of a streamed change record.
	TxOf(r *api.SourceRecord) (uint64, bool)
	// InvisibleToChunk reports whether the last chunk read did not see transaction tx.
	InvisibleToChunk(tx uint64) bool
}

// ReadOnlyWindows is implemented by an IncrementalDB that reads chunks without writing to the
// source, as Debezium's MySQL read-only incremental snapshots do (read.only=true): no marker rows
// bound a chunk's window, but the log positions read before and after the chunk (the low and
// high watermarks, MySQL's and MariaDB's executed GTID set). The window opens when the chunk
// starts, so every change streamed from then on drops the read of its key, and closes when the
// connector, calling Passed between transactions, finds its stream past the high watermark.
type ReadOnlyWindows interface {
	// Watermark returns the log's current position, in the connector's own notation.
	Watermark(ctx context.Context) (string, error)
}

// RowCounter is implemented by an IncrementalDB that tells how many rows a table holds when its
// incremental snapshot starts, as Debezium 3.7 does (incremental_snapshot_total_rows and the
// progress notifications' total_rows); used only under signals.Config.Debezium37.
type RowCounter interface {
	// RowCount returns the number of c's rows: the catalog's estimate when c has no filter and
	// the estimate is positive, else the rows whose key is not after max under c's filter. ok
	// is false when the count is unknown.
	RowCount(ctx context.Context, c *Collection, max []any) (n int64, ok bool, err error)
}

// KeyFolder is implemented by an IncrementalDB whose database compares text keys under a
// collation rather than byte by byte (MySQL, MariaDB), so a streamed change and the buffered read
// of the same row can carry keys that differ, in case or trailing spaces, say.
type KeyFolder interface {
	// FoldKey folds value v of key column column of collection c into the form every value
	// the database calls equal shares; v itself where it compares exactly.
	FoldKey(c *Collection, column, v string) string
}

// Incremental runs Debezium's incremental snapshots (the DBLog watermark algorithm) beside a
// connector's stream. The connector passes every record it emits through Observe on its
// streaming goroutine: that is where signals written to the signal table are seen, where the
// window markers open and close a chunk's window, where streamed changes drop the buffered reads
// of their keys, and where the snapshot's progress is added to the offsets. Chunks are read on
// the engine's own goroutine between the two markers, so streaming never waits for a read.
type Incremental struct {
	db          IncrementalDB
	cfg         *signals.Config
	log         *slog.Logger
	notifier    *signals.Notifier
	hub         *signals.Hub
	emit        func(ctx context.Context, recs []*api.SourceRecord) error
	signalTopic string

	running atomic.Bool
	// blockPending is set while a blocking snapshot waits for the streaming goroutine.
	blockPending atomic.Bool
	wake         chan struct{}
	// closed says the last wake came from a window close: the signals the stream saw before the
	// close row (a pause-snapshot among them) are handled before the next chunk, as Debezium
	// handles them in log order.
	closed atomic.Bool
	inbox  chan signals.Signal

	mu sync.Mutex
	// The snapshot's state, Debezium's IncrementalSnapshotContext.
	queue       []Collection
	correlation string
	chunkEnd    []any // key of the last row of the last emitted chunk: the next chunk starts after it
	maxKey      []any
	paused      bool
	scanned     int64
	// totalRows is the current table's row count when known (hasTotal), Debezium 3.7's; as
	// Debezium's, it is replaced when the next table's largest key is read, not cleared.
	totalRows int64
	hasTotal  bool
	counter   RowCounter
	// The chunk in flight.
	chunkID    string
	windowOpen bool
	ready      bool // rows holds the chunk, read between its markers
	rows       []ChunkRow
	touched    map[string]struct{} // topic+key of changes streamed while the window was open
	// early holds the transactions of changes streamed after the chunk started and before its
	// window opened, by topic+key (ChunkVisibility only).
	early map[string][]uint64
	vis   ChunkVisibility
	// ro is set for read-only windows; low and high are the watermarks of the chunk in flight.
	ro        ReadOnlyWindows
	low, high string
	fold      KeyFolder
	// blocking holds the tables of a requested blocking snapshot, run by the streaming
	// goroutine at its next record (blockingID is the signal's id).
	blocking   []Collection
	blockingID string
	// Offset fields, computed when the state changes, added to every record's offset.
	offPK, offMax, offColls, offTotal string
}

// NewIncremental returns the engine of a connector task. signalTopic is the topic the
// connector writes the signal table's change events to (empty: no signal table); emit queues
// records without passing them back through Observe.
func NewIncremental(db IncrementalDB, cfg *signals.Config, signalTopic string, notifier *signals.Notifier, hub *signals.Hub,
	emit func(ctx context.Context, recs []*api.SourceRecord) error, log *slog.Logger) *Incremental {
	e := &Incremental{db: db, cfg: cfg, signalTopic: signalTopic, notifier: notifier, hub: hub, emit: emit, log: log,
		wake: make(chan struct{}, 1), inbox: make(chan signals.Signal, 64)}
	e.vis, _ = db.(ChunkVisibility)
	e.ro, _ = db.(ReadOnlyWindows)
	e.fold, _ = db.(KeyFolder)
	e.counter, _ = db.(RowCounter)
	return e
}

// Load restores a snapshot in progress from the stored offset (Debezium's fields), so Start
// continues it at the chunk after the last one emitted.
func (e *Incremental) Load(offset map[string]any) error {
	s, _ := offset[OffIncCollections].(string)
	if s == "" {
		return nil
	}
	var colls []map[string]*string
	if err := json.Unmarshal([]byte(s), &colls); err != nil {
		return fmt.Errorf("the stored offset's %s is not Debezium's list of collections (%v); remove the incremental_snapshot_* fields to drop the snapshot", OffIncCollections, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.queue = e.queue[:0]
	for _, c := range colls {
		col := Collection{}
		if v := c[incCollID]; v != nil {
			col.ID = *v
		}
		if v := c[incCollCondition]; v != nil {
			col.Filter = *v
		}
		if v := c[incCollSurrogate]; v != nil {
			col.SurrogateKey = *v
		}
		if v := c[incCollCorrelation]; v != nil {
			col.CorrelationID = *v
		}
		if col.ID != "" {
			e.queue = append(e.queue, col)
		}
	}
	for name, dst := range map[string]*[]any{OffIncPrimaryKey: &e.chunkEnd, OffIncMaximumKey: &e.maxKey} {
		if v, _ := offset[name].(string); v != "" {
			k, err := DecodeJavaKey(v)
			if err != nil {
				return fmt.Errorf("the stored offset's %s: %w; remove the incremental_snapshot_* fields to drop the snapshot", name, err)
			}
			*dst = k
		}
	}
	e.correlation, _ = offset[OffIncCorrelationID].(string)
	e.totalRows, e.hasTotal = 0, false
	if v, _ := offset[OffIncTotalRows].(string); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("the stored offset's %s %q is not a number; remove the incremental_snapshot_* fields to drop the snapshot", OffIncTotalRows, v)
		}
		e.totalRows, e.hasTotal = n, true
	}
	e.updateOffsetFieldsLocked()
	e.running.Store(len(e.queue) > 0)
	if len(e.queue) > 0 {
		e.log.Info("resuming the incremental snapshot", "collections", len(e.queue), "current", e.queue[0].ID, "after_key", fmt.Sprint(e.chunkEnd))
	}
	return nil
}

// Start runs the engine's goroutine until ctx ends; a snapshot loaded from the offsets
// continues at once.
func (e *Incremental) Start(ctx context.Context) {
	if e == nil {
		return
	}
	go e.loop(ctx)
	if e.running.Load() {
		e.kick()
	}
}

func (e *Incremental) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// maxChunkFailures is how many times in a row a chunk read may fail before the snapshot stops.
const maxChunkFailures = 5

func (e *Incremental) loop(ctx context.Context) {
	failures := 0
	var hubC chan signals.Signal
	if e.hub != nil {
		hubC = e.hub.C
	}
	// chunk reads the next chunk; false when ctx ended.
	chunk := func() bool {
		err := e.readChunk(ctx)
		if err == nil || ctx.Err() != nil {
			failures = 0
			return ctx.Err() == nil
		}
		// A lost connection is retried (the chunk starts again under a new id); an error
		// that stays stops the snapshot, never the stream.
		e.mu.Lock()
		e.resetChunkLocked()
		e.mu.Unlock()
		if failures++; failures < maxChunkFailures {
			e.log.Warn("an incremental snapshot chunk could not be read; retrying", "error", err, "attempt", failures)
			select {
			case <-ctx.Done():
				return false
			case <-time.After(time.Duration(failures) * time.Second):
			}
			e.kick()
			return true
		}
		e.log.Error("an incremental snapshot chunk could not be read; the snapshot stops", "error", err)
		failures = 0
		e.abort(ctx, "")
		return true
	}
	for {
		// A chunk asked for goes before the next signal, as Debezium reads a snapshot's first
		// chunk (and, after a resume, the next one) before it looks at the next signal: an
		// execute-snapshot or resume-snapshot followed at once by pause-snapshot reads one chunk
		// under either runtime.
		select {
		case <-e.wake:
			if e.closed.Swap(false) {
				e.drain(ctx, hubC)
			}
			if !chunk() {
				return
			}
			continue
		default:
		}
		select {
		case <-ctx.Done():
			return
		case s := <-hubC:
			e.handle(ctx, s)
		case s := <-e.inbox:
			e.handle(ctx, s)
		case <-e.wake:
			if e.closed.Swap(false) {
				e.drain(ctx, hubC)
			}
			if !chunk() {
				return
			}
		}
	}
}

// drain handles the signals already waiting, without waiting for more.
func (e *Incremental) drain(ctx context.Context, hubC chan signals.Signal) {
	for {
		select {
		case s := <-hubC:
			e.handle(ctx, s)
		case s := <-e.inbox:
			e.handle(ctx, s)
		default:
			return
		}
	}
}

// handle performs a signal on the engine's goroutine; a malformed or unknown one is logged.
func (e *Incremental) handle(ctx context.Context, s signals.Signal) {
	a, err := signals.Parse(s)
	if err != nil {
		e.log.Warn("ignoring a signal", "id", s.ID, "type", s.Type, "channel", s.Channel, "reason", err.Error())
		return
	}
	switch a := a.(type) {
	case *signals.Log:
		e.log.Info(a.Message, "signal", s.ID, "channel", s.Channel)
	case *signals.ExecuteSnapshot:
		if a.Type == signals.Blocking {
			e.requestBlocking(ctx, s.ID, a)
			return
		}
		e.execute(ctx, s.ID, a)
	case *signals.StopSnapshot:
		e.stop(ctx, s.ID, a.DataCollections)
	case *signals.PauseSnapshot:
		e.mu.Lock()
		was := e.paused
		e.paused = e.running.Load()
		e.mu.Unlock()
		if e.paused && !was {
			e.log.Info("incremental snapshot paused", "signal", s.ID)
			e.notify(ctx, signals.StatusPaused, nil)
		}
	case *signals.ResumeSnapshot:
		e.mu.Lock()
		was := e.paused
		e.paused = false
		idle := e.chunkID == ""
		e.mu.Unlock()
		if was {
			e.log.Info("incremental snapshot resumed", "signal", s.ID)
			e.notify(ctx, signals.StatusResumed, nil)
			if idle {
				e.kick()
			}
		}
	case *signals.Window:
		// Window markers from a channel other than the log mean nothing.
	}
}

func (e *Incremental) execute(ctx context.Context, id string, a *signals.ExecuteSnapshot) {
	tables, missing := signals.Match(a.DataCollections, e.db.Tables())
	for _, m := range missing {
		e.log.Warn("an execute-snapshot signal names no captured table; skipping it", "signal", id, "data-collection", m)
	}
	if len(tables) == 0 {
		e.notifyID(ctx, id, signals.StatusSkipped, map[string]string{"data_collections": strings.Join(a.DataCollections, ",")})
		return
	}
	e.mu.Lock()
	wasRunning := len(e.queue) > 0
	for _, t := range tables {
		e.queue = append(e.queue, Collection{ID: t, Filter: signals.ConditionFor(a.Conditions, t), SurrogateKey: a.SurrogateKey, CorrelationID: id})
	}
	e.correlation = id
	e.updateOffsetFieldsLocked()
	e.running.Store(true)
	all := make([]string, len(e.queue))
	for i, c := range e.queue {
		all[i] = c.ID
	}
	e.mu.Unlock()
	e.log.Info("incremental snapshot requested", "signal", id, "tables", strings.Join(tables, ","))
	e.notifyID(ctx, id, signals.StatusStarted, map[string]string{"data_collections": strings.Join(tables, ",")})
	if e.cfg.Debezium37 && !wasRunning {
		// Debezium 3.7 tells the snapshot's collections, as resolved, after STARTED (only
		// for a snapshot that was not running).
		e.notifyID(ctx, id, signals.StatusDataCollectionsResolved, map[string]string{"data_collections": strings.Join(all, ",")})
	}
	if !wasRunning {
		e.kick()
	}
}

func (e *Incremental) stop(ctx context.Context, id string, patterns []string) {
	e.mu.Lock()
	var stopped []string
	keep := e.queue[:0]
	current := ""
	if len(e.queue) > 0 {
		current = e.queue[0].ID
	}
	for _, c := range e.queue {
		hit := len(patterns) == 0
		if !hit {
			t, _ := signals.Match(patterns, []string{c.ID})
			hit = len(t) > 0
		}
		if hit {
			stopped = append(stopped, c.ID)
		} else {
			keep = append(keep, c)
		}
	}
	e.queue = keep
	restart := false
	if len(stopped) > 0 && (len(keep) == 0 || keep[0].ID != current) {
		// The table in flight is gone: drop its chunk; its markers will not match.
		e.resetChunkLocked()
		e.resetTableLocked()
		restart = len(keep) > 0
	}
	e.running.Store(len(e.queue) > 0)
	e.updateOffsetFieldsLocked()
	e.mu.Unlock()
	if len(stopped) == 0 {
		e.log.Info("a stop-snapshot signal matched no table of a running incremental snapshot", "signal", id)
		return
	}
	e.log.Info("incremental snapshot stopped", "signal", id, "tables", strings.Join(stopped, ","))
	e.notifyID(ctx, id, signals.StatusAborted, map[string]string{"data_collections": strings.Join(stopped, ",")})
	if restart {
		e.kick()
	}
}

func (e *Incremental) resetChunkLocked() {
	e.chunkID, e.windowOpen, e.ready, e.rows, e.touched, e.early = "", false, false, nil, nil, nil
	e.low, e.high = "", ""
}

func (e *Incremental) resetTableLocked() {
	e.chunkEnd, e.maxKey, e.scanned = nil, nil, 0
}

// abort drops the whole snapshot after an error.
func (e *Incremental) abort(ctx context.Context, id string) {
	e.mu.Lock()
	var names []string
	for _, c := range e.queue {
		names = append(names, c.ID)
	}
	e.queue = nil
	e.resetChunkLocked()
	e.resetTableLocked()
	e.running.Store(false)
	e.updateOffsetFieldsLocked()
	if id == "" {
		id = e.correlation
	}
	e.mu.Unlock()
	e.notifyID(ctx, id, signals.StatusAborted, map[string]string{"data_collections": strings.Join(names, ",")})
}

// readChunk reads the next chunk between its window markers, on the engine's goroutine. As
// Debezium's, the window opens before a table's largest key is read, and a table is done when a
// chunk reads no row: the window then goes on with the next table's first chunk (or, after the
// last table, closes on no chunk), so both runtimes write the same watermark rows for the same
// snapshot.
func (e *Incremental) readChunk(ctx context.Context) error {
	if e.ro != nil {
		return e.readChunkRO(ctx)
	}
	e.mu.Lock()
	if len(e.queue) == 0 || e.paused || e.chunkID != "" {
		e.mu.Unlock()
		return nil
	}
	id := newUUID()
	e.chunkID, e.windowOpen, e.ready, e.rows, e.touched = id, false, false, nil, map[string]struct{}{}
	if e.vis != nil {
		e.early = map[string][]uint64{}
	}
	meta := windowMeta{open: javaInstant(time.Now())}
	if e.cfg.Debezium37 {
		meta.correlation, meta.collection = e.queue[0].CorrelationID, e.queue[0].ID
	}
	e.mu.Unlock()
	if err := e.db.WriteSignal(ctx, id+"-open", signals.TypeWindowOpen, meta.data("")); err != nil {
		return fmt.Errorf("cannot write the window-open row into the signal table %s (the connector's user needs INSERT on it): %w", e.cfg.DataCollection, err)
	}
	var rows []ChunkRow
	for len(rows) == 0 {
		e.mu.Lock()
		if e.chunkID != id {
			e.mu.Unlock()
			return nil // stopped meanwhile
		}
		if len(e.queue) == 0 {
			// The snapshot ended inside this window: its close row closes no chunk.
			e.resetChunkLocked()
			e.mu.Unlock()
			return e.writeClose(ctx, id, meta)
		}
		c := e.queue[0]
		after, max := e.chunkEnd, e.maxKey
		e.mu.Unlock()
		max, ok := e.resolveMaxKey(ctx, &c, max)
		if !ok {
			continue
		}
		var err error
		if rows, err = e.db.ReadChunk(ctx, &c, after, max, e.cfg.ChunkSize); err != nil {
			return fmt.Errorf("cannot read a chunk of %s after key %v: %w", c.ID, after, err)
		}
		if len(rows) == 0 {
			e.tableDone(ctx, c.ID, "SUCCEEDED")
			continue
		}
		// As Debezium's, the progress is told when the chunk has been read, inside its window.
		progress := map[string]string{"current_collection_in_progress": c.ID,
			"maximum_key": keyString(max), "last_processed_key": keyString(rows[len(rows)-1].Key)}
		e.mu.Lock()
		if e.cfg.Debezium37 && e.hasTotal {
			// Debezium 3.7's, the rows scanned counting this chunk's.
			progress["total_rows"] = strconv.FormatInt(e.totalRows, 10)
			if n := int64(e.cfg.ChunkSize); n > 0 {
				chunks := ceilDiv(e.totalRows, n)
				progress["total_chunks"] = strconv.FormatInt(chunks, 10)
				progress["chunk_index"] = strconv.FormatInt(min(ceilDiv(e.scanned+int64(len(rows)), n), chunks), 10)
			}
		}
		e.mu.Unlock()
		e.notify(ctx, signals.StatusInProgress, progress)
	}
	e.mu.Lock()
	if e.chunkID != id {
		e.mu.Unlock()
		return nil
	}
	e.rows, e.ready = rows, true
	e.mu.Unlock()
	return e.writeClose(ctx, id, meta)
}

// readChunkRO starts the next chunk of a read-only snapshot: no watermark rows, the window is
// open from the start and the stream closes it once it has passed the chunk's high watermark
// (an empty chunk included, which then ends its table).
func (e *Incremental) readChunkRO(ctx context.Context) error {
	for {
		e.mu.Lock()
		if len(e.queue) == 0 || e.paused || e.chunkID != "" {
			e.mu.Unlock()
			return nil
		}
		c := e.queue[0]
		after, max := e.chunkEnd, e.maxKey
		e.mu.Unlock()
		max, ok := e.resolveMaxKey(ctx, &c, max)
		if !ok {
			continue
		}
		id := newUUID()
		e.mu.Lock()
		e.chunkID, e.windowOpen, e.ready, e.rows, e.touched = id, true, false, nil, map[string]struct{}{}
		if e.vis != nil {
			e.early = map[string][]uint64{}
		}
		e.mu.Unlock()
		empty, err := e.readChunkReadOnly(ctx, id, &c, after, max)
		if err != nil || !empty {
			return err
		}
		// As in a window of the signal table, a chunk that reads nothing ends its table.
		e.mu.Lock()
		if e.chunkID != id {
			e.mu.Unlock()
			return nil // stopped meanwhile
		}
		e.resetChunkLocked()
		e.mu.Unlock()
		e.tableDone(ctx, c.ID, "SUCCEEDED")
	}
}

// resolveMaxKey returns the largest key of c, the snapshot's current table: max when its chunks
// have started, else read now and kept in the offsets. false: the table was skipped (no key to
// read), found empty or is no longer current, and the caller goes on with the next one.
func (e *Incremental) resolveMaxKey(ctx context.Context, c *Collection, max []any) ([]any, bool) {
	if max != nil {
		return max, true
	}
	k, err := e.db.MaxKey(ctx, c)
	if err != nil {
		e.log.Warn("skipping a table of the incremental snapshot", "table", c.ID, "reason", err.Error())
		e.tableDone(ctx, c.ID, "SKIPPED")
		return nil, false
	}
	if k == nil {
		e.tableDone(ctx, c.ID, "EMPTY")
		return nil, false
	}
	var total int64
	hasTotal := false
	if e.cfg.Debezium37 && e.counter != nil {
		// Debezium 3.7 counts the table's rows once its largest key is known; a count that
		// fails leaves the total out.
		n, ok, err := e.counter.RowCount(ctx, c, k)
		if err != nil {
			e.log.Warn("cannot count the rows of a table of the incremental snapshot; its progress leaves the total out", "table", c.ID, "error", err)
		}
		total, hasTotal = n, ok && err == nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queue) == 0 || e.queue[0].ID != c.ID {
		return nil, false
	}
	e.maxKey = k
	if e.cfg.Debezium37 {
		e.totalRows, e.hasTotal = total, hasTotal
	}
	e.updateOffsetFieldsLocked()
	return k, true
}

// ceilDiv is a/b rounded up, for positive b.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// windowMeta is what a chunk's window-open and -close rows carry in their data: the time the
// window opened and, under Debezium 3.7's format, the correlation id and the id of the
// collection current when it opened (empty: left out, as Debezium leaves out nulls).
type windowMeta struct {
	open, correlation, collection string
}

// data writes the rows' data as Debezium's SignalMetadata does: the members in that order, with
// Debezium's legacy spacing; closed is the close time, empty for the open row.
func (m windowMeta) data(closed string) string {
	var b strings.Builder
	b.WriteString(`{"openWindowTimestamp": ` + jsonText(m.open))
	if closed != "" {
		b.WriteString(`, "closeWindowTimestamp": ` + jsonText(closed))
	}
	if m.correlation != "" {
		b.WriteString(`, "correlationId": ` + jsonText(m.correlation))
	}
	if m.collection != "" {
		b.WriteString(`, "dataCollectionId": ` + jsonText(m.collection))
	}
	return b.String() + "}"
}

// jsonText is s as a JSON string, as Jackson writes it (no HTML escapes).
func jsonText(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// writeClose writes the window-close row of chunk id.
func (e *Incremental) writeClose(ctx context.Context, id string, meta windowMeta) error {
	closed := meta.data(javaInstant(time.Now()))
	if err := e.db.WriteSignal(ctx, id+"-close", signals.TypeWindowClose, closed); err != nil {
		return fmt.Errorf("cannot write the window-close row into the signal table %s: %w", e.cfg.DataCollection, err)
	}
	return nil
}

// readChunkReadOnly reads a chunk between its watermarks, writing nothing to the source. A chunk
// stopped meanwhile is dropped; the engine's loop then starts the next one. empty says the chunk
// read no row (the caller ends the table; no watermark is kept).
func (e *Incremental) readChunkReadOnly(ctx context.Context, id string, c *Collection, after, max []any) (empty bool, err error) {
	low, err := e.ro.Watermark(ctx)
	if err != nil {
		return false, fmt.Errorf("cannot read the low watermark of a chunk of %s: %w", c.ID, err)
	}
	rows, err := e.db.ReadChunk(ctx, c, after, max, e.cfg.ChunkSize)
	if err != nil {
		return false, fmt.Errorf("cannot read a chunk of %s after key %v: %w", c.ID, after, err)
	}
	if len(rows) == 0 {
		return true, nil
	}
	high, err := e.ro.Watermark(ctx)
	if err != nil {
		return false, fmt.Errorf("cannot read the high watermark of a chunk of %s: %w", c.ID, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.chunkID == id {
		e.rows, e.ready, e.low, e.high = rows, true, low, high
	} else {
		defer e.kick()
	}
	return false, nil
}

// WaitsForStream reports whether Passed has anything to do: a read-only snapshot runs or a
// blocking snapshot waits.
func (e *Incremental) WaitsForStream() bool {
	return e != nil && e.ro != nil && (e.running.Load() || e.blockPending.Load())
}

// Passed is called by a connector with read-only windows on its streaming goroutine between
// transactions (after a commit, or at a heartbeat of an idle log) with the offset of that
// position: when reached says the stream is past the high watermark of the chunk read (given
// the chunk's low and high watermarks), the chunk's window closes and its reads are queued. A
// blocking snapshot waiting to run runs here.
func (e *Incremental) Passed(ctx context.Context, offset map[string]any, reached func(low, high string) bool) error {
	if !e.WaitsForStream() {
		return nil
	}
	if e.blockPending.Load() {
		if err := e.runBlocking(ctx, offset); err != nil {
			return err
		}
	}
	e.mu.Lock()
	if e.chunkID == "" || !e.ready || len(e.queue) == 0 || !reached(e.low, e.high) {
		e.mu.Unlock()
		return nil
	}
	return e.closeLocked(ctx, offset)
}

// closeLocked ends the chunk in flight, called with e.mu held, which it releases: the rows no
// change streamed inside the window overtook are queued as read events carrying offset base and
// the snapshot's progress.
func (e *Incremental) closeLocked(ctx context.Context, base map[string]any) error {
	c := e.queue[0]
	rows, touched := e.rows, e.touched
	for k, txs := range e.early {
		for _, tx := range txs {
			if e.vis.InvisibleToChunk(tx) {
				touched[k] = struct{}{}
				break
			}
		}
	}
	e.resetChunkLocked()
	off := make(map[string]any, len(base)+4)
	for k, v := range base {
		off[k] = v
	}
	e.addOffsetFieldsLocked(off)
	e.mu.Unlock()
	return e.closeWindow(ctx, &c, rows, touched, off)
}

// tableDone moves to the next table of the snapshot and reports the finished one.
func (e *Incremental) tableDone(ctx context.Context, table, status string) {
	e.mu.Lock()
	if len(e.queue) == 0 || e.queue[0].ID != table {
		e.mu.Unlock()
		return
	}
	scanned := e.scanned
	total := ""
	if e.cfg.Debezium37 && e.hasTotal && status == "SUCCEEDED" {
		total = strconv.FormatInt(e.totalRows, 10)
	}
	// As Debezium's, the notification names the snapshot's tables, the finished one included.
	names := make([]string, len(e.queue))
	for i, c := range e.queue {
		names[i] = c.ID
	}
	e.queue = e.queue[1:]
	e.resetTableLocked()
	done := len(e.queue) == 0
	e.running.Store(!done)
	e.updateOffsetFieldsLocked()
	e.mu.Unlock()
	e.log.Info("incremental snapshot finished a table", "table", table, "rows", scanned, "status", status)
	data := map[string]string{"data_collections": strings.Join(names, ","), "scanned_collection": table,
		"total_rows_scanned": strconv.FormatInt(scanned, 10), "status": status}
	if total != "" {
		data["total_rows"] = total // Debezium 3.7's, for a table read to its end
	}
	e.notify(ctx, signals.StatusTableScanCompleted, data)
	if done {
		e.log.Info("incremental snapshot completed")
		e.notify(ctx, signals.StatusCompleted, nil)
	}
}

// Observe is called by the connector for each record it emits, on its streaming goroutine,
// before the record is queued. It adds the snapshot's progress to the record's offset, notes
// the keys changed while a window is open, and acts on signal table inserts.
func (e *Incremental) Observe(ctx context.Context, r *api.SourceRecord) error {
	if e == nil {
		return nil
	}
	if e.blockPending.Load() {
		if err := e.runBlocking(ctx, r.SourceOffset); err != nil {
			return err
		}
	}
	if e.signalTopic != "" && r.Topic == e.signalTopic {
		if s, ok := signalFromRecord(r); ok {
			return e.sourceSignal(ctx, s, r)
		}
	}
	if !e.running.Load() {
		return nil
	}
	e.mu.Lock()
	if e.chunkID != "" && r.Key != nil && len(e.queue) > 0 {
		if e.windowOpen {
			e.touched[e.windowKey(r, &e.queue[0])] = struct{}{}
		} else if e.early != nil {
			if tx, ok := e.vis.TxOf(r); ok {
				k := e.windowKey(r, &e.queue[0])
				e.early[k] = append(e.early[k], tx)
			}
		}
	}
	e.addRecordOffsetLocked(r)
	e.mu.Unlock()
	return nil
}

// addRecordOffsetLocked adds the snapshot's progress to the record's offset.
func (e *Incremental) addRecordOffsetLocked(r *api.SourceRecord) {
	if r.SourceOffset == nil || len(e.queue) == 0 {
		return
	}
	e.ownOffset(r)
	e.addOffsetFieldsLocked(r.SourceOffset)
}

// ownOffset gives the record an offset map of its own: a connector may share one between the
// records of a change (a delete and its tombstone), and the runtime may already be reading the
// first one's while the second is observed.
func (e *Incremental) ownOffset(r *api.SourceRecord) {
	if r.SourceOffset == nil {
		return
	}
	off := make(map[string]any, len(r.SourceOffset)+8)
	for k, v := range r.SourceOffset {
		off[k] = v
	}
	r.SourceOffset = off
}

func (e *Incremental) addOffsetFieldsLocked(off map[string]any) {
	if off == nil || len(e.queue) == 0 {
		return
	}
	if e.offPK != "" {
		off[OffIncPrimaryKey] = e.offPK
	}
	if e.offMax != "" {
		off[OffIncMaximumKey] = e.offMax
	}
	off[OffIncCollections] = e.offColls
	if e.correlation != "" {
		off[OffIncCorrelationID] = e.correlation
	}
	if e.offTotal != "" {
		off[OffIncTotalRows] = e.offTotal
	}
}

// sourceSignal handles a signal table insert seen in the log.
func (e *Incremental) sourceSignal(ctx context.Context, s signals.Signal, r *api.SourceRecord) error {
	switch s.Type {
	case signals.TypeWindowOpen, signals.TypeWindowClose:
	default:
		if !e.cfg.Enabled(signals.ChannelSource) {
			return nil
		}
		select {
		case e.inbox <- s:
		default:
			e.log.Warn("ignoring a signal: too many signals waiting", "id", s.ID, "channel", signals.ChannelSource)
		}
		e.mu.Lock()
		e.addRecordOffsetLocked(r)
		e.mu.Unlock()
		return nil
	}
	a, err := signals.Parse(s)
	if err != nil {
		return nil
	}
	w := a.(*signals.Window)
	e.mu.Lock()
	if e.chunkID == "" || w.ChunkID != e.chunkID {
		e.addRecordOffsetLocked(r)
		e.mu.Unlock()
		return nil // a marker of an earlier run or of a stopped chunk
	}
	if w.Open {
		e.windowOpen = true
		e.addRecordOffsetLocked(r)
		e.mu.Unlock()
		return nil
	}
	if !e.ready {
		e.mu.Unlock()
		return api.Permanent(fmt.Errorf("the window-close row of chunk %s arrived before its rows were read", w.ChunkID))
	}
	if err := e.closeLocked(ctx, r.SourceOffset); err != nil {
		return err
	}
	// The marker's own record is queued after the window's reads: its offset says the chunk
	// is done (or, after the last chunk, that no snapshot runs).
	e.mu.Lock()
	e.ownOffset(r)
	for _, k := range []string{OffIncPrimaryKey, OffIncMaximumKey, OffIncCollections, OffIncCorrelationID, OffIncTotalRows} {
		delete(r.SourceOffset, k)
	}
	e.addRecordOffsetLocked(r)
	e.mu.Unlock()
	return nil
}

// closeWindow emits the chunk's rows that no streamed change touched while the window was
// open, then moves the snapshot on.
func (e *Incremental) closeWindow(ctx context.Context, c *Collection, rows []ChunkRow, touched map[string]struct{}, base map[string]any) error {
	emitted := 0
	for _, row := range rows {
		off := make(map[string]any, len(base)+1)
		for k, v := range base {
			off[k] = v
		}
		pk, err := EncodeJavaKey(row.Key)
		if err != nil {
			return api.Permanent(err)
		}
		off[OffIncPrimaryKey] = pk
		recs, err := e.db.ReadRecords(c, row, off, envelope.SnapshotIncremental)
		if err != nil {
			return api.Permanent(fmt.Errorf("cannot build the read event of a row of %s: %w", c.ID, err))
		}
		if len(recs) == 0 || recs[0].Key == nil {
			continue
		}
		if _, ok := touched[e.windowKey(recs[0], c)]; ok {
			continue // the log's newer change wins
		}
		if err := e.emit(ctx, recs); err != nil {
			return err
		}
		emitted++
	}
	e.mu.Lock()
	if len(e.queue) == 0 || e.queue[0].ID != c.ID {
		e.mu.Unlock()
		return nil
	}
	e.scanned += int64(len(rows))
	if len(rows) > 0 {
		e.chunkEnd = rows[len(rows)-1].Key
	}
	e.updateOffsetFieldsLocked()
	paused := e.paused
	e.mu.Unlock()
	e.log.Debug("incremental snapshot chunk emitted", "table", c.ID, "rows", len(rows), "emitted", emitted)
	if !paused {
		e.closed.Store(true)
		e.kick()
	}
	return nil
}

func (e *Incremental) maxKeyCopy() []any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.maxKey
}

// updateOffsetFieldsLocked recomputes the offset fields after a state change.
func (e *Incremental) updateOffsetFieldsLocked() {
	e.offPK, e.offMax, e.offColls, e.offTotal = "", "", "", ""
	if len(e.queue) == 0 {
		return
	}
	if e.cfg.Debezium37 && e.hasTotal {
		e.offTotal = strconv.FormatInt(e.totalRows, 10)
	}
	if e.chunkEnd != nil {
		e.offPK, _ = EncodeJavaKey(e.chunkEnd)
	}
	if e.maxKey != nil {
		e.offMax, _ = EncodeJavaKey(e.maxKey)
	}
	type coll struct {
		ID        string  `json:"incremental_snapshot_collections_id"`
		Condition *string `json:"incremental_snapshot_collections_additional_condition"`
		Surrogate *string `json:"incremental_snapshot_collections_surrogate_key"`
	}
	// coll37 is Debezium 3.7's: every member written, null when unset.
	type coll37 struct {
		coll
		Correlation *string `json:"incremental_snapshot_collections_correlation_id"`
	}
	l := make([]coll37, len(e.queue))
	for i, c := range e.queue {
		l[i].ID = c.ID
		if c.Filter != "" {
			l[i].Condition = &e.queue[i].Filter
		}
		if c.SurrogateKey != "" {
			l[i].Surrogate = &e.queue[i].SurrogateKey
		}
		if c.CorrelationID != "" {
			l[i].Correlation = &e.queue[i].CorrelationID
		}
	}
	var b []byte
	if e.cfg.Debezium37 {
		b, _ = json.Marshal(l)
	} else {
		old := make([]coll, len(l))
		for i := range l {
			old[i] = l[i].coll
		}
		b, _ = json.Marshal(old)
	}
	e.offColls = string(b)
}

// notify sends a notification of the running snapshot's correlation id.
func (e *Incremental) notify(ctx context.Context, status string, data map[string]string) {
	e.mu.Lock()
	id := e.correlation
	e.mu.Unlock()
	e.notifyID(ctx, id, status, data)
}

func (e *Incremental) notifyID(ctx context.Context, id, status string, data map[string]string) {
	if _, ok := data["data_collections"]; !ok && status != signals.StatusCompleted && status != signals.StatusTableScanCompleted {
		// As Debezium, progress, pause and resume notifications name the snapshot's collections.
		e.mu.Lock()
		names := make([]string, len(e.queue))
		for i, c := range e.queue {
			names[i] = c.ID
		}
		e.mu.Unlock()
		if data == nil {
			data = map[string]string{}
		}
		data["data_collections"] = strings.Join(names, ",")
	}
	e.notifyAgg(ctx, id, signals.AggregateIncremental, status, data)
}

// keyString writes a chunk key as Debezium's notifications do: the values, comma-separated.
func keyString(key []any) string {
	parts := make([]string, len(key))
	for i, v := range key {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ",")
}

// javaInstant formats t as Java's Instant.toString: UTC, the fraction in groups of three digits.
func javaInstant(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	ns := t.Nanosecond()
	switch {
	case ns == 0:
	case ns%1000000 == 0:
		s += fmt.Sprintf(".%03d", ns/1000000)
	case ns%1000 == 0:
		s += fmt.Sprintf(".%06d", ns/1000)
	default:
		s += fmt.Sprintf(".%09d", ns)
	}
	return s + "Z"
}

func (e *Incremental) notifyAgg(ctx context.Context, id, aggregate, status string, data map[string]string) {
	if e.notifier == nil {
		return
	}
	if id == "" {
		id = newUUID()
	}
	// Notification records carry no offset: committing them must not move the connector's.
	if r := e.notifier.Notify(id, aggregate, status, data, nil, nil); r != nil {
		r.SourceOffset = nil
		if err := e.emit(ctx, []*api.SourceRecord{r}); err != nil && ctx.Err() == nil {
			e.log.Warn("cannot queue a notification", "error", err)
		}
	}
}

// Running reports whether an incremental snapshot is in progress.
func (e *Incremental) Running() bool { return e != nil && e.running.Load() }

// signalFromRecord reads a signal table insert from its change event: after.{id, type, data}.
func signalFromRecord(r *api.SourceRecord) (signals.Signal, bool) {
	v, ok := r.Value.(*api.Struct)
	if !ok || v == nil {
		return signals.Signal{}, false
	}
	if op, _ := v.Get("op").(string); op != "c" {
		return signals.Signal{}, false
	}
	after, ok := v.Get("after").(*api.Struct)
	if !ok || after == nil {
		return signals.Signal{}, false
	}
	s := signals.Signal{Channel: signals.ChannelSource}
	s.ID, _ = after.Get("id").(string)
	s.Type, _ = after.Get("type").(string)
	s.Data, _ = after.Get("data").(string)
	return s, true
}

// windowKey identifies a record's row inside the window of a chunk of c: its topic and key
// values, text values folded as the database compares them when it says how (KeyFolder). A
// record of another table folded by c's columns still never matches a read of c: the topics
// differ.
func (e *Incremental) windowKey(r *api.SourceRecord, c *Collection) string {
	var b strings.Builder
	b.WriteString(r.Topic)
	if k, ok := r.Key.(*api.Struct); ok && k != nil {
		if s := k.Schema(); s != nil {
			for i := range s.Fields {
				b.WriteByte(0)
				v := k.GetIndex(i)
				if str, ok := v.(string); ok {
					if e.fold != nil {
						str = e.fold.FoldKey(c, s.Fields[i].Name, str)
					}
					b.WriteString(str)
					continue
				}
				fmt.Fprint(&b, v)
			}
		}
		return b.String()
	}
	b.WriteByte(0)
	fmt.Fprint(&b, r.Key)
	return b.String()
}

// newUUID returns a random (version 4) UUID, the form of Debezium's chunk ids.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&0xf])
	}
	return string(out)
}

// errNoKey is returned by connectors for tables an incremental snapshot cannot chunk.
var errNoKey = errors.New("the table has no primary key (or surrogate key) an incremental snapshot can order its rows by")

// ErrNoChunkKey reports a table without a key to chunk by.
func ErrNoChunkKey() error { return errNoKey }

// requestBlocking queues a blocking snapshot for the streaming goroutine, which runs it before
// its next record, and writes a row into the signal table so that record comes at once.
func (e *Incremental) requestBlocking(ctx context.Context, id string, a *signals.ExecuteSnapshot) {
	tables, missing := signals.Match(a.DataCollections, e.db.Tables())
	for _, m := range missing {
		e.log.Warn("an execute-snapshot signal names no captured table; skipping it", "signal", id, "data-collection", m)
	}
	if len(tables) == 0 {
		e.notifyAgg(ctx, id, signals.AggregateInitial, signals.StatusSkipped, map[string]string{"data_collections": strings.Join(a.DataCollections, ",")})
		return
	}
	e.mu.Lock()
	if len(e.blocking) > 0 {
		e.mu.Unlock()
		e.log.Warn("ignoring a blocking snapshot signal: another blocking snapshot is waiting to run", "signal", id)
		return
	}
	for _, t := range tables {
		e.blocking = append(e.blocking, Collection{ID: t, Filter: signals.ConditionFor(a.Conditions, t), SurrogateKey: a.SurrogateKey})
	}
	e.blockingID = id
	e.mu.Unlock()
	e.blockPending.Store(true)
	e.log.Info("blocking snapshot requested; streaming pauses while it runs", "signal", id, "tables", strings.Join(tables, ","))
	if e.ro != nil {
		return // Passed runs it at the next commit or heartbeat: nothing may be written to the source
	}
	// A marker of no chunk: ignored as a window marker (by Debezium too), it only wakes the stream.
	if err := e.db.WriteSignal(ctx, newUUID()+"-wake", signals.TypeWindowOpen, `{"openWindowTimestamp": "`+javaInstant(time.Now())+`"}`); err != nil {
		e.log.Warn("cannot write into the signal table; the blocking snapshot starts with the next change the connector streams", "error", err)
	}
}

// runBlocking runs the pending blocking snapshot on the streaming goroutine, at the position
// whose offset is at: streaming waits, the tables are read whole in key order as read events
// (source.snapshot "true", the last one "last") carrying that position, and streaming goes on
// from there.
func (e *Incremental) runBlocking(ctx context.Context, at map[string]any) error {
	e.mu.Lock()
	colls, id := e.blocking, e.blockingID
	e.blocking, e.blockingID = nil, ""
	e.mu.Unlock()
	e.blockPending.Store(false)
	if len(colls) == 0 {
		return nil
	}
	names := make([]string, len(colls))
	for i, c := range colls {
		names[i] = c.ID
	}
	e.notifyAgg(ctx, id, signals.AggregateInitial, signals.StatusStarted, map[string]string{"data_collections": strings.Join(names, ",")})
	base := make(map[string]any, len(at))
	for k, v := range at {
		base[k] = v
	}
	var held []*api.SourceRecord // the last row's records, held back for the "last" marker
	flush := func() error {
		if len(held) == 0 {
			return nil
		}
		err := e.emit(ctx, held)
		held = nil
		return err
	}
	total := int64(0)
	for i := range colls {
		c := &colls[i]
		max, err := e.db.MaxKey(ctx, c)
		if err != nil {
			e.log.Warn("skipping a table of the blocking snapshot", "table", c.ID, "reason", err.Error())
			e.notifyAgg(ctx, id, signals.AggregateInitial, signals.StatusTableScanCompleted, map[string]string{"data_collection": c.ID, "status": "SKIPPED"})
			continue
		}
		var after []any
		n := int64(0)
		for max != nil {
			rows, err := e.db.ReadChunk(ctx, c, after, max, e.cfg.ChunkSize)
			if err != nil {
				return api.Permanent(fmt.Errorf("the blocking snapshot cannot read %s: %w", c.ID, err))
			}
			for _, row := range rows {
				recs, err := e.db.ReadRecords(c, row, base, envelope.SnapshotTrue)
				if err != nil {
					return api.Permanent(fmt.Errorf("cannot build the read event of a row of %s: %w", c.ID, err))
				}
				if err := flush(); err != nil {
					return err
				}
				held = recs
				n++
			}
			if len(rows) < e.cfg.ChunkSize {
				break
			}
			after = rows[len(rows)-1].Key
		}
		total += n
		e.log.Info("blocking snapshot read a table", "table", c.ID, "rows", n)
		e.notifyAgg(ctx, id, signals.AggregateInitial, signals.StatusTableScanCompleted, map[string]string{"data_collection": c.ID,
			"scanned_collection": c.ID, "total_rows_scanned": strconv.FormatInt(n, 10), "status": "SUCCEEDED"})
	}
	for _, rec := range held {
		if v, ok := rec.Value.(*api.Struct); ok && v != nil {
			if src, ok := v.Get("source").(*api.Struct); ok && src != nil {
				src.PutIndex(envelope.SourceSnapshotIndex, envelope.SnapshotLast.String())
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	e.log.Info("blocking snapshot completed; streaming resumes", "signal", id, "rows", total)
	e.notifyAgg(ctx, id, signals.AggregateInitial, signals.StatusCompleted, nil)
	return nil
}
