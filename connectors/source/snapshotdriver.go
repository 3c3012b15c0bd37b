package source

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/connectd/connectd/connectors/envelope"
)

// DefaultSnapshotChunk is the number of rows per chunk when snapshot.fetch.size is not set.
const DefaultSnapshotChunk = 10000

// SnapshotTable is one table the snapshot driver reads; the driver reads tables in ID order.
type SnapshotTable[T any] struct {
	// ID is the table's id as the offsets record it (db.table, schema.table).
	ID string
	// Keyed says the table is read in key order, in chunks, and resumes after a key; else it is
	// read in one statement and restarts whole.
	Keyed bool
	// TextKey writes the table's keys as JSON strings even under SnapshotOptions.NumericKeys:
	// its key has columns that are not integers.
	TextKey bool
	// Select, when set, is the table's snapshot.select.statement.overrides statement: the reader
	// runs it instead of its own SELECT and maps the result's columns by name. Such a table is
	// read whole (Keyed false) and restarts whole.
	Select string
	// Data is what the connector needs to read the table.
	Data T
}

// ChunkReader reads tables on one connection of the snapshot's consistent view. The driver
// uses each reader from one goroutine at a time.
type ChunkReader[T, R any] interface {
	// ReadChunk reads the rows of a keyed table in key order, at most limit of them, whose key
	// is greater than after (nil: from the beginning), or every row of a keyless table (limit
	// is then 0), handing each with its key (nil for a keyless table) to add. add keeps the row
	// and the key: they must not be reused. An error from add must be returned.
	ReadChunk(ctx context.Context, table *SnapshotTable[T], after []string, limit int, add func(row R, key []string) error) error
}

// SnapshotEmit hands one snapshot row on with its source.snapshot marker and the progress its
// offset carries (none on the snapshot's last row: committing it finishes the snapshot).
type SnapshotEmit[R any] func(ctx context.Context, row R, marker envelope.Snapshot, off SnapshotOffset) error

// SnapshotOptions tune a snapshot read.
type SnapshotOptions struct {
	// ChunkSize is the number of rows per chunk (DefaultSnapshotChunk when not positive).
	ChunkSize int
	// NumericKeys writes keys as JSON numbers (every key value is an integer literal).
	NumericKeys bool
	// Resume continues an interrupted snapshot; nil reads every table from its beginning.
	Resume *SnapshotResume
	// TableDone, if set, is called once per table read with the number of rows emitted.
	TableDone func(id string, rows int64)
	// Selection leaves tables out of the snapshot and gives others their own SELECT
	// (snapshot.include.collection.list, snapshot.select.statement.overrides); nil reads all.
	Selection *SnapshotSelection
	// Reader, if set, has its progress told which tables the snapshot reads, with Estimates
	// (the server's row counts by table ID; a table missing is unknown), and when it is done.
	Reader    *Reader
	Estimates map[string]int64
}

// batchRows is how many rows a reader hands over at a time, so that a large chunk or keyless
// table is not held in memory whole.
const batchRows = 256

type snapBatch[R any] struct {
	table int
	rng   int // the range of the table the rows belong to
	rows  []R
	keys  [][]string
	end   bool
}

// ReadSnapshot reads tables on readers (one goroutine each, sharing one consistent view),
// tables in ID order handed to the next free reader (split into key ranges read on several
// readers when there are fewer tables than readers, see planRanges), and emits every row, on the calling
// goroutine, with Debezium's snapshot markers and an offset that lets a restart continue: each
// table's rows come in key order, rows of different tables may interleave, and each record's
// offset says which tables are finished and the last emitted key of every table under way. The
// snapshot's first and last markers go to the first and last rows emitted; the last row's
// offset carries no progress. It returns the number of rows emitted.
func ReadSnapshot[T, R any](ctx context.Context, readers []ChunkReader[T, R], tables []SnapshotTable[T], opts SnapshotOptions, emit SnapshotEmit[R]) (int64, error) {
	if len(readers) == 0 {
		return 0, fmt.Errorf("the snapshot has no connection to read with")
	}
	tables = selectTables(opts.Selection, slices.Clone(tables))
	if opts.Reader != nil {
		ids := make([]string, len(tables))
		for i := range tables {
			ids[i] = tables[i].ID
		}
		opts.Reader.SnapshotStarted(ids, opts.Estimates, func(id string) bool { skip, _ := opts.Resume.From(id); return skip })
	}
	slices.SortFunc(tables, func(a, b SnapshotTable[T]) int { return strings.Compare(a.ID, b.ID) })
	limit := opts.ChunkSize
	if limit <= 0 {
		limit = DefaultSnapshotChunk
	}
	e := &snapEmitter[T, R]{emit: emit, tables: tables, numeric: opts.NumericKeys, state: make([]tableState[R], len(tables)), dirty: true}
	todo, err := planRanges(ctx, readers, tables, opts, limit, e)
	if err != nil {
		return 0, err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan snapBatch[R], len(readers))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(readers))
	for w, rd := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next == len(todo) {
					mu.Unlock()
					return
				}
				u := todo[next]
				next++
				mu.Unlock()
				if err := readTable(rctx, rd, &tables[u.table], u, limit, out); err != nil {
					errs[w] = err
					cancel()
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()
	for b := range out {
		if err == nil {
			if err = e.batch(ctx, b); err != nil {
				cancel()
			}
		}
	}
	if err == nil {
		for _, werr := range errs {
			if werr != nil {
				err = werr
				break
			}
		}
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil {
		err = e.finish(ctx)
	}
	if err != nil {
		return e.rows, err
	}
	if opts.TableDone != nil {
		for i := range tables {
			if e.state[i].read {
				opts.TableDone(tables[i].ID, e.state[i].count)
			}
		}
	}
	if opts.Reader != nil {
		opts.Reader.Progress.SnapshotCompleted()
	}
	return e.rows, nil
}

// readTable reads one range of a table (the whole table unless it was split) chunk by chunk on
// rd and hands its rows to out in batches; the last batch is marked end.
func readTable[T, R any](ctx context.Context, rd ChunkReader[T, R], t *SnapshotTable[T], u snapUnit, limit int, out chan<- snapBatch[R]) error {
	after, upTo := u.after, u.upTo
	b := snapBatch[R]{table: u.table, rng: u.rng}
	send := func() error {
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = snapBatch[R]{table: u.table, rng: u.rng}
		return nil
	}
	var n int
	add := func(row R, key []string) error {
		b.rows = append(b.rows, row)
		b.keys = append(b.keys, key)
		n++
		if t.Keyed {
			after = key
		}
		if len(b.rows) == batchRows {
			return send()
		}
		return nil
	}
	for {
		n = 0
		chunk := limit
		if !t.Keyed {
			chunk = 0
		}
		if err := readChunk(ctx, rd, t, after, upTo, chunk, add); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("cannot read table %s during the snapshot: %w", t.ID, err)
		}
		if !t.Keyed || n < limit {
			break
		}
	}
	b.end = true
	return send()
}

// tableState is the emitter's view of one table.
type tableState[R any] struct {
	// held is the table's latest row, held until the next row of the table or its end says
	// whether it is the table's last.
	held      R
	heldKey   []string
	heldRange int
	holding   bool
	heldFirst bool
	count     int64
	read      bool
	done      bool
	// ranges are the parts of the table's key range read separately: one, unbounded, unless
	// the table was split across connections (snapshotsplit.go).
	ranges []keyRange
	// open counts the ranges whose reader has not finished.
	open int
	// partial says the table resumed with some of its rows already emitted before.
	partial bool
}

// staged is a row whose marker is known except whether it is the snapshot's last.
type staged[R any] struct {
	row                              R
	key                              []string
	table, rng                       int
	first, firstInTable, lastInTable bool
}

// snapEmitter emits rows in the order the readers hand them over, holding back one row per
// table (for last_in_data_collection) and one row overall (for the snapshot's last), and keeps
// the progress every record's offset carries.
type snapEmitter[T, R any] struct {
	emit    SnapshotEmit[R]
	tables  []SnapshotTable[T]
	numeric bool
	state   []tableState[R]

	stage   staged[R]
	staging bool
	rows    int64 // rows staged so far

	// progress is OffsetSnapshotProgress for rows of range progressRange of table progressFor,
	// valid while !dirty.
	progress      string
	progressFor   int
	progressRange int
	dirty         bool
	lastTable     int
	lastRange     int
}

func (e *snapEmitter[T, R]) batch(ctx context.Context, b snapBatch[R]) error {
	st := &e.state[b.table]
	st.read = true
	rg := &st.ranges[b.rng]
	for i := range b.rows {
		if st.holding {
			if err := e.toStage(ctx, b.table, false); err != nil {
				return err
			}
		}
		st.held, st.heldKey, st.heldRange, st.holding, st.heldFirst = b.rows[i], b.keys[i], b.rng, true, st.count == 0
		rg.pending++
		st.count++
	}
	if !b.end {
		return nil
	}
	rg.ended = true
	st.open--
	if st.open == 0 && st.holding {
		if rg.pending == 0 {
			st.ranges[b.rng].done = true
		}
		return e.toStage(ctx, b.table, true)
	}
	if rg.pending == 0 {
		// A range (or table) whose rows were all emitted, or that had none, is finished at once.
		e.rangeDone(b.table, b.rng)
	}
	return nil
}

// rangeDone marks range ri of table ti finished, and the table when it was the last.
func (e *snapEmitter[T, R]) rangeDone(ti, ri int) {
	st := &e.state[ti]
	st.ranges[ri].done, e.dirty = true, true
	for i := range st.ranges {
		if !st.ranges[i].done {
			return
		}
	}
	st.done = true
}

// toStage moves table ti's held row to the global stage, emitting the row staged before it.
func (e *snapEmitter[T, R]) toStage(ctx context.Context, ti int, endOfTable bool) error {
	if err := e.flush(ctx, false); err != nil {
		return err
	}
	st := &e.state[ti]
	e.stage = staged[R]{row: st.held, key: st.heldKey, table: ti, rng: st.heldRange, first: e.rows == 0, firstInTable: st.heldFirst, lastInTable: endOfTable}
	e.staging = true
	e.rows++
	var zero R
	st.held, st.heldKey, st.holding = zero, nil, false
	return nil
}

func (e *snapEmitter[T, R]) finish(ctx context.Context) error { return e.flush(ctx, true) }

// flush emits the staged row; last says it is the snapshot's last.
func (e *snapEmitter[T, R]) flush(ctx context.Context, last bool) error {
	if !e.staging {
		return nil
	}
	s := e.stage
	var zero staged[R]
	e.stage, e.staging = zero, false
	marker := snapshotMarker(last, s.first, s.lastInTable, s.firstInTable)
	var off SnapshotOffset
	st := &e.state[s.table]
	rg := &st.ranges[s.rng]
	if !last {
		if s.table != e.lastTable || s.rng != e.lastRange {
			// The range emitted before changed its last key.
			e.dirty = true
		}
		off.Table = e.tables[s.table].ID
		if s.key != nil {
			off.Key = EncodeSnapshotKey(s.key, e.numeric && !e.tables[s.table].TextKey)
		}
		off.Progress = e.progressOf(s.table, s.rng)
	}
	if err := e.emit(ctx, s.row, marker, off); err != nil {
		return err
	}
	e.lastTable, e.lastRange = s.table, s.rng
	rg.pending--
	if s.key != nil {
		rg.lastKey = off.Key
	}
	if s.lastInTable {
		for i := range st.ranges {
			st.ranges[i].done = true
		}
		st.done, e.dirty = true, true
	} else if rg.ended && rg.pending == 0 {
		e.rangeDone(s.table, s.rng)
	}
	return nil
}

// progressOf returns OffsetSnapshotProgress for a row of range ri of table ti: "" when the
// table and key fields say everything (every table before ti finished, none after it begun, ti
// not split), else the state of every other table and range.
func (e *snapEmitter[T, R]) progressOf(ti, ri int) string {
	if !e.dirty && e.progressFor == ti && e.progressRange == ri {
		return e.progress
	}
	e.dirty, e.progressFor, e.progressRange = false, ti, ri
	w := 0
	for w < len(e.state) && e.state[w].done {
		w++
	}
	simple := w == ti && !e.state[ti].split()
	for i := ti + 1; simple && i < len(e.state); i++ {
		// An empty table finished early restarts harmlessly.
		simple = !(e.state[i].done && e.state[i].count > 0) && !e.state[i].started()
	}
	if simple {
		e.progress = ""
		return ""
	}
	b := []byte(`{"done_before":`)
	if w < len(e.tables) {
		b = appendJSONString(b, e.tables[w].ID)
	} else {
		b = append(b, `"\uffff"`...)
	}
	b = append(b, `,"done":[`...)
	n := 0
	for i := w + 1; i < len(e.state); i++ {
		if e.state[i].done {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, e.tables[i].ID)
			n++
		}
	}
	b = append(b, `],"keys":{`...)
	n = 0
	for i := w; i < len(e.state); i++ {
		st := &e.state[i]
		if i == ti || st.done || st.split() || st.ranges[0].lastKey == "" {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, e.tables[i].ID)
		b = append(b, ':')
		b = append(b, st.ranges[0].lastKey...)
		n++
	}
	b = append(b, '}')
	b = e.appendRanges(b, w, ti, ri)
	b = append(b, '}')
	e.progress = string(b)
	return e.progress
}
