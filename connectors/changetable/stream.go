package changetable

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
)

// Operation is a change-table row's __$operation, as Microsoft documents it for
// cdc.fn_cdc_get_all_changes_<capture_instance> with the 'all update old' row filter
// (https://learn.microsoft.com/sql/relational-databases/system-functions/cdc-fn-cdc-get-all-changes-capture-instance-transact-sql,
// "Table returned"). Debezium's Db2 query maps the ASN IBMSNAP_OPERATION values to the same
// codes (a D followed by an I in the same IBMSNAP_COMMITSEQ is an update's before and after).
type Operation int

// The operations.
const (
	OpDelete       Operation = 1
	OpInsert       Operation = 2
	OpUpdateBefore Operation = 3
	OpUpdateAfter  Operation = 4
)

// Row is one row of a change table.
type Row struct {
	Position
	Op Operation
	// Values are the captured columns in the capture instance's column order.
	Values []any
	// Time is the commit time of the row's transaction (Debezium reads
	// sys.fn_cdc_map_lsn_to_time(__$start_lsn) with each row); zero when unknown.
	Time time.Time
}

// Capture is one capture instance: a change table of one source table.
type Capture struct {
	// Instance is the capture instance's name (SQL Server) or the CD table's name (Db2).
	Instance string
	// Table is the source table.
	Table relational.TableID
	// Columns are the captured columns, in change-table order.
	Columns []string
	// Start is the capture instance's start LSN (cdc.change_tables.start_lsn).
	Start LSN
	// Stop is set when a newer capture instance of the same table exists: its Start. Rows of
	// this instance committed at or after Stop are read from the newer one instead.
	Stop LSN
	// ID is the connector's own identifier of the change table (its object id), opaque here.
	ID any
}

// Cursor reads the rows of one capture instance in (commit LSN, change LSN, operation) order.
// It may page through the change table: the pages' boundaries are invisible to the caller.
type Cursor interface {
	// Next returns the next row, or nil at the end.
	Next(ctx context.Context) (*Row, error)
	// Close releases the cursor's statement.
	Close() error
}

// Database is what the streamer asks the server.
type Database interface {
	// MaxLSN returns the highest LSN the change tables hold (sys.fn_cdc_get_max_lsn()), NullLSN
	// when there is none yet.
	MaxLSN(ctx context.Context) (LSN, error)
	// IncrementLSN returns the next LSN after l (sys.fn_cdc_increment_lsn).
	IncrementLSN(ctx context.Context, l LSN) (LSN, error)
	// Captures returns the capture instances whose start LSN is at most to (every one when to is
	// NullLSN).
	Captures(ctx context.Context, to LSN) ([]*Capture, error)
	// Open starts reading c's rows with from <= commit LSN <= to; a NullLSN from means from the
	// instance's oldest row.
	Open(ctx context.Context, c *Capture, from, to LSN) (Cursor, error)
}

// ChangeKind says what a Change is.
type ChangeKind uint8

// The kinds of change the streamer hands out.
const (
	// KindData is a row change: Op, Before and After are set.
	KindData ChangeKind = iota
	// KindNewTable says Capture's table is read for the first time: load its structure (and
	// record it in the schema history) before its rows.
	KindNewTable
	// KindSwitch says the reader moves to Capture, a newer capture instance of a known table:
	// reload the structure and record a schema change when it differs.
	KindSwitch
)

// Change is what the streamer hands to the connector, in log order.
type Change struct {
	Kind    ChangeKind
	Capture *Capture
	// Op is c, u or d for KindData.
	Op envelope.Op
	// Before and After are the row images in the capture instance's column order.
	Before, After []any
	// Offset is the position after this change (event_serial_no counts it).
	Offset Offset
	// Time is the commit time, zero when unknown.
	Time time.Time
}

// ErrUnpairedUpdate is wrapped when an update's before row (operation 3) is not followed by its
// after row (operation 4).
var ErrUnpairedUpdate = errors.New("update before-image without its after-image")

// Streamer polls the change tables as Debezium's SqlServerStreamingChangeEventSource does: each
// Poll reads every capture instance from the last processed commit LSN to the server's maximum.
// It is used by one goroutine.
type Streamer struct {
	db      Database
	include func(relational.TableID) bool
	// known reports whether the connector already has a table's structure (from the snapshot
	// or the schema history); tables not known get a KindNewTable change first.
	known func(relational.TableID) bool

	last         Position // commit LSN polled up to
	increaseFrom bool     // read after last.Commit, not from it
	start        Offset   // the stored offset on start: rows up to it were emitted before
	emitted      Offset   // the offset of the last change handed out
}

// NewStreamer returns a streamer resuming after start. snapshotCompleted says start is a
// snapshot's end: every change up to start.Commit is in the snapshot, so reading begins after
// it; otherwise the transaction at start.Commit is read again and the rows already emitted
// (start.EventSerialNo at start's position) are skipped. A null start reads from the oldest
// rows the change tables hold.
func NewStreamer(db Database, start Offset, include, known func(relational.TableID) bool) *Streamer {
	s := &Streamer{db: db, include: include, known: known, start: start, emitted: start}
	s.last = Position{Commit: start.Commit}
	s.increaseFrom = start.Snapshot && start.SnapshotCompleted
	if start.Snapshot {
		// A snapshot's position has no change LSN: nothing inside its transaction to skip.
		s.start = Offset{}
	}
	return s
}

// Offset returns the offset of the last change handed out, or the position polled up to when
// the last poll found nothing (for heartbeats).
func (s *Streamer) Offset() Offset { return s.emitted }

// Poll reads the changes committed since the last poll and hands them to emit in order. It
// returns how many data changes it emitted; when there were none the streamer's offset moves to
// the polled LSN (Debezium's heartbeat position), with event_serial_no 0.
func (s *Streamer) Poll(ctx context.Context, emit func(*Change) error) (int, error) {
	to, err := s.db.MaxLSN(ctx)
	if err != nil {
		return 0, fmt.Errorf("cannot read the highest LSN of the change tables: %w", err)
	}
	if to.IsNull() {
		return 0, nil // no change captured yet (or the capture job is not running)
	}
	if s.increaseFrom && to.Compare(s.last.Commit) <= 0 {
		return 0, nil
	}
	from := s.last.Commit
	if !from.IsNull() && s.increaseFrom {
		if from, err = s.db.IncrementLSN(ctx, from); err != nil {
			return 0, fmt.Errorf("cannot compute the LSN after %s: %w", s.last.Commit, err)
		}
	}
	captures, err := s.db.Captures(ctx, to)
	if err != nil {
		return 0, fmt.Errorf("cannot list the capture instances: %w", err)
	}
	current, switches := s.plan(captures)
	for _, c := range current {
		if s.known != nil && !s.known(c.Table) {
			if err := emit(&Change{Kind: KindNewTable, Capture: c, Offset: s.emitted}); err != nil {
				return 0, err
			}
		}
	}
	n, pending, err := s.merge(ctx, append(current, switches...), switches, from, to, emit)
	if err != nil {
		if n > 0 {
			// Some changes went out: the next poll (after a reconnection) reads their
			// transaction again and skips them, as a restart from the offset would.
			s.start = s.emitted
			s.last = Position{Commit: s.emitted.Commit}
			s.increaseFrom = false
		}
		return n, err
	}
	// A switch whose start the poll passed without a row of the table still happens now. A
	// switch is handed out on every poll while the older instance exists; the connector ignores
	// one to the instance it already reads.
	for _, c := range pending {
		if c.Start.Compare(to) <= 0 {
			if err := emit(&Change{Kind: KindSwitch, Capture: c, Offset: s.emitted}); err != nil {
				return n, err
			}
		}
	}
	s.last = Position{Commit: to}
	s.increaseFrom = true
	if n == 0 {
		s.emitted = Offset{Position: Position{Commit: to}}
	}
	return n, nil
}

// plan groups the capture instances by table, keeps the included ones, and for a table with two
// instances stops the older at the newer's start (Debezium's getChangeTablesToQuery). It returns
// the instances to read and, among them, the newer instances a switch moves to.
func (s *Streamer) plan(captures []*Capture) (current, switches []*Capture) {
	byTable := map[relational.TableID][]*Capture{}
	var order []relational.TableID
	for _, c := range captures {
		if s.include != nil && !s.include(c.Table) {
			continue
		}
		if _, ok := byTable[c.Table]; !ok {
			order = append(order, c.Table)
		}
		byTable[c.Table] = append(byTable[c.Table], c)
	}
	for _, id := range order {
		cs := byTable[id]
		slices.SortStableFunc(cs, func(a, b *Capture) int { return a.Start.Compare(b.Start) })
		// SQL Server allows two capture instances per table; with more (Db2 re-registrations),
		// each stops where the next starts.
		for i := 0; i+1 < len(cs); i++ {
			cs[i].Stop = cs[i+1].Start
		}
		current = append(current, cs[0])
		switches = append(switches, cs[1:]...)
	}
	return current, switches
}

// pointer is one open cursor with its current row.
type pointer struct {
	c    *Capture
	cur  Cursor
	row  *Row
	prev *Row
}

func (p *pointer) next(ctx context.Context) error {
	p.prev = p.row
	r, err := p.cur.Next(ctx)
	if err != nil {
		return fmt.Errorf("cannot read the change table of capture instance %s: %w", p.c.Instance, err)
	}
	p.row = r
	return nil
}

// less orders rows by commit LSN, change LSN and operation, as the change-table queries do.
func less(a, b *Row) bool {
	if c := a.Position.Compare(b.Position); c != 0 {
		return c < 0
	}
	return a.Op < b.Op
}

// merge reads the capture instances between from and to and emits their rows in order.
// It returns the switches whose start no row reached.
func (s *Streamer) merge(ctx context.Context, captures, switches []*Capture, from, to LSN, emit func(*Change) error) (n int, pending []*Capture, err error) {
	ptrs := make([]*pointer, 0, len(captures))
	defer func() {
		for _, p := range ptrs {
			_ = p.cur.Close()
		}
	}()
	for _, c := range captures {
		cur, err := s.db.Open(ctx, c, from, to)
		if err != nil {
			return 0, nil, fmt.Errorf("cannot read the change table of capture instance %s: %w", c.Instance, err)
		}
		p := &pointer{c: c, cur: cur}
		ptrs = append(ptrs, p)
		if err := p.next(ctx); err != nil {
			return 0, nil, err
		}
	}
	pending = slices.Clone(switches)
	slices.SortFunc(pending, func(a, b *Capture) int { return a.Start.Compare(b.Start) })

	var skipSerial int64 = 1 // Debezium's eventSerialNoInInitialTx
	notMonotonic := false
	for {
		var p *pointer
		for _, q := range ptrs {
			if q.row != nil && (p == nil || less(q.row, p.row)) {
				p = q
			}
		}
		if p == nil {
			return n, pending, nil
		}
		row := p.row
		if row.Commit.IsNull() || row.Change.IsNull() {
			return n, pending, fmt.Errorf("capture instance %s returned a row without an LSN (%s)", p.c.Instance, row.Position)
		}
		// After a restart: rows at or before the stored position were emitted by the previous
		// run, unless the change table's order went backwards (then nothing may be skipped
		// until the next transaction, so nothing is lost).
		if p.prev != nil && row.Commit.Compare(p.prev.Commit) > 0 {
			notMonotonic = false
		}
		if p.prev != nil && row.Position.Compare(p.prev.Position) < 0 {
			notMonotonic = true
		}
		if !notMonotonic && !s.start.Commit.IsNull() {
			c := row.Position.Compare(s.start.Position)
			if c < 0 || c == 0 && skipSerial <= s.start.EventSerialNo {
				if c == 0 {
					skipSerial++
				}
				if err := p.next(ctx); err != nil {
					return n, pending, err
				}
				if row.Op == OpUpdateBefore && p.row != nil && p.row.Op == OpUpdateAfter && p.row.Commit == row.Commit {
					// The pair was one event: its after image goes with it.
					if c == 0 {
						skipSerial++
					}
					if err := p.next(ctx); err != nil {
						return n, pending, err
					}
				}
				continue
			}
		}
		if !p.c.Stop.IsNull() && p.c.Stop.Compare(row.Commit) <= 0 {
			// The newer capture instance holds this row.
			if err := p.next(ctx); err != nil {
				return n, pending, err
			}
			continue
		}
		for len(pending) > 0 && row.Commit.Compare(pending[0].Start) >= 0 {
			if err := emit(&Change{Kind: KindSwitch, Capture: pending[0], Offset: s.emitted}); err != nil {
				return n, pending, err
			}
			pending = pending[1:]
		}
		ch := &Change{Kind: KindData, Capture: p.c, Time: row.Time}
		rows := int64(1)
		switch row.Op {
		case OpInsert:
			ch.Op, ch.After = envelope.OpCreate, row.Values
		case OpDelete:
			ch.Op, ch.Before = envelope.OpDelete, row.Values
		case OpUpdateBefore:
			before := row
			// The after image is the next row of the same change table; a page boundary of the
			// cursor may fall between the two, which Next hides.
			if err := p.next(ctx); err != nil {
				return n, pending, err
			}
			// SQL Server gives both rows the same seqval; Db2's delete and insert rows of an
			// update have their own IBMSNAP_INTENTSEQ in one commit.
			if p.row == nil || p.row.Op != OpUpdateAfter || p.row.Commit != before.Commit {
				return n, pending, fmt.Errorf("capture instance %s at %s: %w; the change table is inconsistent, check the capture job", p.c.Instance, before.Position, ErrUnpairedUpdate)
			}
			ch.Op, ch.Before, ch.After = envelope.OpUpdate, before.Values, p.row.Values
			// The event's position is the after image's, as Debezium sets it after reading it.
			row = p.row
			rows = 2
		case OpUpdateAfter:
			// 'all update old' always returns the before image first; a lone after image
			// (a change table read with 'all') still is an update, with no before.
			ch.Op, ch.After = envelope.OpUpdate, row.Values
		default:
			return n, pending, fmt.Errorf("capture instance %s at %s: unknown operation %d", p.c.Instance, row.Position, row.Op)
		}
		if s.emitted.Position == row.Position && !s.emitted.Snapshot {
			s.emitted.EventSerialNo += rows
		} else {
			s.emitted = Offset{Position: row.Position, EventSerialNo: rows}
		}
		ch.Offset = s.emitted
		if err := emit(ch); err != nil {
			return n, pending, err
		}
		n++
		if err := p.next(ctx); err != nil {
			return n, pending, err
		}
	}
}

// Purged reports whether a stored commit LSN is no longer in the change tables: it is below the
// oldest LSN of every capture instance (sys.fn_cdc_get_min_lsn, which the cleanup job raises as
// it deletes rows). Instances created after the stored position also start above it, so only
// when all of them do is the position gone; mins with a NullLSN (unknown) never count as purged.
// It returns the oldest LSN still held.
func Purged(stored LSN, mins []LSN) (bool, LSN) {
	if stored.IsNull() || len(mins) == 0 {
		return false, NullLSN
	}
	oldest := NullLSN
	for _, m := range mins {
		if m.IsNull() {
			return false, NullLSN
		}
		if oldest.IsNull() || m.Compare(oldest) < 0 {
			oldest = m
		}
	}
	return stored.Compare(oldest) < 0, oldest
}
