package changetable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/heartbeat"
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/connectors/txmeta"
	"github.com/connectd/connectd/schemahistory"
)

// Task is the source task shared by the change-table connectors. It reads the databases of its
// configuration one after the other: on start each gets its plan from package snapshotmode (a
// stored commit LSN the change tables no longer hold is a purged position), then a snapshot when
// the plan asks for one, then every database is polled in turn, as Debezium's
// SqlServerChangeEventSourceCoordinator polls its partitions.
//
// One reader goroutine owns the database handles and table structures and fills a bounded
// queue (package source's Reader) that Poll drains.
type Task struct {
	dialect Dialect
	cfg     *Config
	log     *slog.Logger

	// OpenHistory, when set before Start, replaces opening the store the
	// schema.history.internal.* properties name (tests).
	OpenHistory func(ctx context.Context) (schemahistory.Store, error)

	history *source.History
	dbs     []*dbState
	tx      *txmeta.Tracker
	headers []api.Header
	hb      *heartbeat.Inline
	reader  *source.Reader
	stopMu  sync.Mutex

	scKey, scValue *api.Schema
}

// dbState is one database the task captures.
type dbState struct {
	name      string
	h         *sql.DB
	part      map[string]any
	plan      snapshotmode.Plan
	start     Offset
	startRaw  map[string]any
	tables    *relational.Tables
	enc       map[relational.TableID]*tableState
	streamer  *Streamer
	lastTime  time.Time
	hasOffset bool
}

// tableState is a captured table's structure, its encoder and the capture instance its model
// comes from.
type tableState struct {
	table    *relational.Table
	enc      *envelope.TableSchema
	instance string
	// index maps a capture instance's column position to the table's column index, per
	// instance name.
	index map[string][]int
}

// NewTask returns an unstarted task of a dialect; the connector parses its configuration into
// cfg.
func NewTask(d Dialect, cfg *Config) *Task { return &Task{dialect: d, cfg: cfg} }

var _ api.SourceTask = (*Task)(nil)

// Start decides, for each database, what to do from its stored offset, the change tables and
// snapshot.mode, and starts the reader. A purged position under a mode that may not re-snapshot
// fails here with the explanation, so the task goes FAILED instead of retrying.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, _ map[string]string) error {
	cfg := t.cfg
	t.log = slog.Default().With("connector", tc.ConnectorName(), "task", tc.TaskID())
	t.headers = source.ContextHeaders(cfg.TopicPrefix, tc.TaskID(), t.dialect.Connector())
	if cfg.TxMetadata {
		t.tx = txmeta.New(cfg.TxTopic)
	}
	t.buildSchemaChangeSchemas()
	ok := false
	defer func() {
		if !ok {
			t.closeAll()
		}
	}()
	if cfg.SnapshotMode != snapshotmode.InitialOnly {
		if t.OpenHistory != nil {
			st, err := t.OpenHistory(ctx)
			if err != nil {
				return fmt.Errorf("cannot open the schema history: %w", err)
			}
			t.history = source.NewHistory(st, cfg.TopicPrefix)
		} else {
			hc, err := schemahistory.ParseConfig(cfg.Raw)
			if err != nil {
				return err
			}
			// Two-part table ids in the history are catalog.table for SQL Server
			// ("testDB"."dbo"."customers" has three), schema.table for Db2.
			hc.CatalogBeforeSchema = !cfg.SchemaOnlyIDs
			st, err := schemahistory.Open(ctx, hc)
			if err != nil {
				return fmt.Errorf("cannot open the schema history: %w", err)
			}
			t.history = source.NewHistory(st, cfg.TopicPrefix)
		}
	}
	for _, name := range cfg.Databases {
		d := &dbState{name: name, part: t.dialect.Partition(name), tables: relational.NewTables(false), enc: map[relational.TableID]*tableState{}}
		t.dbs = append(t.dbs, d)
		if err := t.plan(ctx, tc, d); err != nil {
			return err
		}
	}
	t.reader = source.NewReader(cfg.MaxQueueSize, cfg.MaxQueueBytes, cfg.MaxBatchSize, cfg.PollInterval)
	ok = true
	t.reader.Start(t.log, t.run, nil)
	return nil
}

// plan reads a database's stored offset and decides its start.
func (t *Task) plan(ctx context.Context, tc api.TaskContext, d *dbState) error {
	var err error
	if d.h, err = t.dialect.Open(d.name); err != nil {
		return fmt.Errorf("cannot open database %s: %w", d.name, err)
	}
	raw, err := tc.Offsets().Offset(ctx, d.part)
	if err != nil {
		return fmt.Errorf("cannot read the stored offset of database %s: %w", d.name, err)
	}
	st := snapshotmode.State{HistoryAvailable: true}
	if len(raw) > 0 {
		o, err := ParseOffset(raw)
		if err != nil {
			return fmt.Errorf("the stored offset %v of database %s cannot be used: %w; fix or delete it with the offsets REST API while the connector is stopped", raw, d.name, err)
		}
		d.start, d.startRaw, d.hasOffset = o, raw, true
		st.HasOffset, st.SnapshotCompleted = true, o.SnapshotDone()
		if st.HistoryAvailable, err = t.history.Exists(ctx); err != nil {
			return err
		}
		purged, oldest, err := t.purged(ctx, d, o.Commit)
		if err != nil {
			return err
		}
		st.LogPositionAvailable = !purged
		d.plan, err = snapshotmode.Decide(t.cfg.SnapshotMode, st)
		if err != nil {
			var pe *snapshotmode.PurgedError
			if errors.As(err, &pe) {
				pe.Needed = fmt.Sprintf("commit LSN %s of database %s", o.Commit, d.name)
				pe.Available = fmt.Sprintf("change-table rows from LSN %s on (the CDC cleanup job removed the older ones)", oldest)
			}
			return err
		}
		if d.plan.DropOffset {
			t.log.Info("dropping the stored offset and taking a new snapshot", "database", d.name, "offset", o.String())
		}
		return nil
	}
	d.plan, err = snapshotmode.Decide(t.cfg.SnapshotMode, st)
	return err
}

// purged checks a stored commit LSN against the oldest LSN of the database's captured capture
// instances.
func (t *Task) purged(ctx context.Context, d *dbState, commit LSN) (bool, LSN, error) {
	if commit.IsNull() {
		return false, NullLSN, nil
	}
	db := t.dialect.Database(d.h, d.name)
	caps, err := db.Captures(ctx, NullLSN)
	if err != nil {
		return false, NullLSN, fmt.Errorf("cannot list the capture instances of database %s: %w", d.name, err)
	}
	var mins []LSN
	for _, c := range caps {
		if !t.cfg.includeTable(c.Table) {
			continue
		}
		m, err := t.dialect.MinLSN(ctx, d.h, d.name, c)
		if err != nil {
			return false, NullLSN, fmt.Errorf("cannot read the oldest LSN of capture instance %s: %w", c.Instance, err)
		}
		mins = append(mins, m)
	}
	p, oldest := Purged(commit, mins)
	return p, oldest, nil
}

// run is the reader goroutine.
func (t *Task) run(ctx context.Context) error {
	for _, d := range t.dbs {
		if err := t.prepare(ctx, d); err != nil {
			return err
		}
	}
	streaming := false
	for _, d := range t.dbs {
		if d.streamer != nil {
			streaming = true
		}
	}
	if !streaming {
		t.log.Info("snapshot.mode does not stream: nothing more to do", "snapshot.mode", t.cfg.SnapshotMode.String())
		return nil
	}
	if t.cfg.Heartbeat.Enabled() {
		t.hb = t.cfg.Heartbeat.Inline(time.Now())
	}
	return source.Supervise(ctx, t.cfg.Retry, t.log, "change-table polling", func(ctx context.Context) (bool, error) {
		progressed := false
		for {
			n := 0
			for _, d := range t.dbs {
				if d.streamer == nil {
					continue
				}
				k, err := t.pollOnce(ctx, d)
				if k > 0 {
					progressed = true
				}
				if err != nil {
					return progressed, err
				}
				n += k
			}
			if n > 0 {
				continue
			}
			select {
			case <-ctx.Done():
				return progressed, nil
			case <-time.After(t.cfg.PollInterval):
			}
		}
	}, nil)
}

// prepare rebuilds a database's table model (history replay or snapshot) and creates its
// streamer.
func (t *Task) prepare(ctx context.Context, d *dbState) error {
	p := d.plan
	if p.Stream == snapshotmode.FromOffset && !p.SnapshotSchema {
		if err := t.replay(ctx, d); err != nil {
			return err
		}
	}
	var snapOff Offset
	if p.SnapshotSchema || p.SnapshotData {
		var err error
		if snapOff, err = t.snapshot(ctx, d, p.SnapshotData); err != nil {
			return err
		}
	}
	if !p.Streams() {
		return nil
	}
	start := d.start
	switch p.Stream {
	case snapshotmode.FromSnapshot:
		start = snapOff
	case snapshotmode.FromOldest:
		start = Offset{}
	}
	if p.RebuildHistory {
		start = d.start
	}
	db := t.dialect.Database(d.h, d.name)
	d.streamer = NewStreamer(db, start, t.cfg.includeTable, func(id relational.TableID) bool { return d.tables.Get(id) != nil })
	t.log.Info("streaming", "database", d.name, "from", start.String(), "plan", p.Stream.String())
	return nil
}

// replay rebuilds the database's tables from the schema history up to the stored offset.
func (t *Task) replay(ctx context.Context, d *dbState) error {
	_, err := t.history.Replay(ctx, d.tables, func(rec *schemahistory.Record) bool {
		if db, ok := rec.Source["database"]; ok && db != d.name {
			return false
		}
		o, err := ParseOffset(rec.Position)
		if err != nil {
			return false
		}
		return o.Commit.Compare(d.start.Commit) <= 0
	}, nil)
	if err != nil {
		return err
	}
	// The history does not say which capture instance a structure came from: the streamer's
	// switch to a newer instance reloads it (and records a change only if it differs).
	for tb := range d.tables.All() {
		if err := t.install(d, tb, ""); err != nil {
			return err
		}
	}
	return nil
}

// snapshot reads the captured tables' structures and, with data, their rows, in one
// transaction, and returns the offset streaming starts from.
func (t *Task) snapshot(ctx context.Context, d *dbState, data bool) (Offset, error) {
	db := t.dialect.Database(d.h, d.name)
	caps, err := db.Captures(ctx, NullLSN)
	if err != nil {
		return Offset{}, fmt.Errorf("cannot list the capture instances of database %s: %w", d.name, err)
	}
	var current []*Capture
	seen := map[relational.TableID]bool{}
	for _, c := range caps {
		if !t.cfg.includeTable(c.Table) || seen[c.Table] {
			continue
		}
		seen[c.Table] = true
		current = append(current, c)
	}
	if len(current) == 0 {
		t.log.Warn("no captured table has CDC enabled", "database", d.name)
	}
	ids := make([]relational.TableID, len(current))
	for i, c := range current {
		ids[i] = c.Table
	}
	conn, err := d.h.Conn(ctx)
	if err != nil {
		return Offset{}, fmt.Errorf("cannot connect to database %s for the snapshot: %w", d.name, err)
	}
	defer func() { _ = conn.Close() }()
	tx, err := t.dialect.BeginSnapshot(ctx, conn, ids)
	if err != nil {
		return Offset{}, fmt.Errorf("cannot start the snapshot of database %s: %w", d.name, err)
	}
	defer func() { _ = tx.Rollback() }()
	lsn, err := t.dialect.SnapshotLSN(ctx, tx, d.name)
	if err != nil {
		return Offset{}, fmt.Errorf("cannot read the snapshot's LSN in database %s: %w", d.name, err)
	}
	off := Offset{Position: Position{Commit: lsn}, EventSerialNo: 1, Snapshot: true}
	now := time.Now()
	for _, c := range current {
		if err := t.loadTable(ctx, d, c, off, now, false); err != nil {
			return off, err
		}
	}
	if data {
		marks := source.NewSnapshotMarks(func(ctx context.Context, r snapRow, m envelope.Snapshot) error {
			o := off
			if m == envelope.SnapshotLast {
				o.SnapshotCompleted = true
			}
			return t.emitRow(ctx, d, r.ts, r.values, envelope.OpRead, nil, o, m, now)
		})
		for _, c := range current {
			ts := d.enc[c.Table]
			if err := t.readTable(ctx, tx, ts, func(vals []any) error { return marks.Add(ctx, snapRow{ts, vals}) }); err != nil {
				return off, err
			}
			t.log.Info("snapshot of table done", "table", c.Table.String(), "rows", marks.EndTable())
		}
		// Every row is read: end the transaction (releasing its locks) before the held last row
		// goes out.
		if err := tx.Rollback(); err != nil {
			return off, fmt.Errorf("cannot end the snapshot transaction in database %s: %w", d.name, err)
		}
		if err := marks.Finish(ctx); err != nil {
			return off, err
		}
	}
	off.SnapshotCompleted = true
	return off, nil
}

type snapRow struct {
	ts     *tableState
	values []any
}

// readTable reads every row of a table in the snapshot transaction.
func (t *Task) readTable(ctx context.Context, tx *sql.Tx, ts *tableState, fn func([]any) error) error {
	q := t.dialect.SelectAll(ts.table.ID, ts.table.ColumnNames())
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("cannot read table %s: %w", ts.table.ID, err)
	}
	defer func() { _ = rows.Close() }()
	n := len(ts.table.Columns)
	for rows.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("cannot read a row of table %s: %w", ts.table.ID, err)
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot read table %s: %w", ts.table.ID, err)
	}
	return nil
}

// loadTable reads c's table structure, installs it and records it in the schema history (and as
// a schema change event). An unchanged structure is only re-pointed at c.
func (t *Task) loadTable(ctx context.Context, d *dbState, c *Capture, off Offset, now time.Time, streaming bool) error {
	tb, err := t.dialect.Table(ctx, d.h, d.name, c)
	if err != nil {
		return fmt.Errorf("cannot read the structure of table %s: %w", c.Table, err)
	}
	old := d.enc[c.Table]
	kind := schemahistory.Create
	if old != nil {
		if old.table.Equal(tb) {
			old.instance = c.Instance
			return nil
		}
		kind = schemahistory.Alter
	}
	if _, err := d.tables.Overwrite(tb); err != nil {
		return fmt.Errorf("cannot use the structure of table %s: %w", c.Table, err)
	}
	if err := t.install(d, tb, c.Instance); err != nil {
		return err
	}
	rec := &schemahistory.Record{
		Source:       d.part,
		Position:     t.dialect.OffsetMap(off),
		TsMs:         now.UnixMilli(),
		DatabaseName: d.name,
		SchemaName:   c.Table.Schema,
		TableChanges: []schemahistory.TableChange{{Type: kind, ID: c.Table, Table: tb}},
	}
	if err := t.history.Record(ctx, rec); err != nil {
		return err
	}
	if t.cfg.IncludeSchemaChanges {
		r := t.schemaChangeRecord(d, rec, c.Table, off, now, streaming)
		if err := t.reader.Put(ctx, r, nil, 0); err != nil {
			return err
		}
	}
	return nil
}

// install builds a table's encoder.
func (t *Task) install(d *dbState, tb *relational.Table, instance string) error {
	cols, err := t.dialect.Columns(tb)
	if err != nil {
		return fmt.Errorf("cannot map the columns of table %s: %w", tb.ID, err)
	}
	enc, err := envelope.NewTable(envelope.TableSpec{Table: tb, Columns: cols, Topic: t.dialect.Topic(tb.ID), Source: t.dialect.SourceSchema(), Mappers: t.cfg.Mappers})
	if err != nil {
		return err
	}
	d.enc[tb.ID] = &tableState{table: tb, enc: enc, instance: instance, index: map[string][]int{}}
	return nil
}

// pollOnce polls one database and queues its events.
func (t *Task) pollOnce(ctx context.Context, d *dbState) (int, error) {
	n, err := d.streamer.Poll(ctx, func(ch *Change) error {
		switch ch.Kind {
		case KindNewTable:
			return t.loadTable(ctx, d, ch.Capture, ch.Offset, time.Now(), true)
		case KindSwitch:
			if ts := d.enc[ch.Capture.Table]; ts != nil && ts.instance == ch.Capture.Instance {
				return nil
			}
			t.log.Info("switching to a new capture instance", "table", ch.Capture.Table.String(), "capture_instance", ch.Capture.Instance)
			return t.loadTable(ctx, d, ch.Capture, ch.Offset, time.Now(), true)
		}
		ts := d.enc[ch.Capture.Table]
		if ts == nil {
			if err := t.loadTable(ctx, d, ch.Capture, ch.Offset, time.Now(), true); err != nil {
				return err
			}
			ts = d.enc[ch.Capture.Table]
		}
		if ch.Op == envelope.OpCreate && t.cfg.SkipCreate || ch.Op == envelope.OpUpdate && t.cfg.SkipUpdate || ch.Op == envelope.OpDelete && t.cfg.SkipDelete {
			return nil
		}
		before, err := ts.project(ch.Capture, ch.Before)
		if err != nil {
			return err
		}
		after, err := ts.project(ch.Capture, ch.After)
		if err != nil {
			return err
		}
		d.lastTime = ch.Time
		return t.emitRow(ctx, d, ts, after, ch.Op, before, ch.Offset, envelope.SnapshotFalse, ch.Time)
	})
	if err != nil {
		return n, err
	}
	now := time.Now()
	if t.tx != nil && t.tx.Active() {
		off := d.streamer.Offset()
		om := t.dialect.OffsetMap(off)
		for _, r := range t.tx.End(nil, d.lastTime, d.part, om) {
			if err := t.reader.Put(ctx, r, nil, 0); err != nil {
				return n, err
			}
		}
	}
	if n == 0 && t.hb != nil {
		if r := t.hb.Maybe(now, d.part, t.dialect.OffsetMap(d.streamer.Offset())); r != nil {
			if err := t.reader.Put(ctx, r, nil, 0); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// project maps a capture instance's row to the table's column order; columns the instance does
// not capture are null.
func (ts *tableState) project(c *Capture, vals []any) ([]any, error) {
	if vals == nil {
		return nil, nil
	}
	idx, ok := ts.index[c.Instance]
	if !ok {
		idx = make([]int, len(c.Columns))
		for i, name := range c.Columns {
			idx[i] = ts.table.ColumnIndex(name)
		}
		ts.index[c.Instance] = idx
	}
	if len(vals) != len(idx) {
		return nil, fmt.Errorf("capture instance %s returned %d values for %d captured columns", c.Instance, len(vals), len(idx))
	}
	out := make([]any, len(ts.table.Columns))
	for i, j := range idx {
		if j >= 0 {
			out[j] = vals[i]
		}
	}
	return out, nil
}

// emitRow queues the records of one row event.
func (t *Task) emitRow(ctx context.Context, d *dbState, ts *tableState, after []any, op envelope.Op, before []any, off Offset, snap envelope.Snapshot, at time.Time) error {
	if at.IsZero() {
		at = time.Now()
	}
	streaming := snap == envelope.SnapshotFalse
	src := envelope.NewSource(t.dialect.SourceSchema(), &envelope.SourceInfo{
		Version: version.String(), Connector: t.dialect.Connector(), Name: t.cfg.TopicPrefix,
		Time: at, Snapshot: snap, DB: d.name,
	})
	t.dialect.PutSource(src, ts.table.ID, off, streaming)
	om := t.dialect.OffsetMap(off)
	var out []*api.SourceRecord
	ev := &envelope.Event{Op: op, Before: before, After: after, Source: src, Partition: d.part, Offset: om}
	if streaming && t.tx != nil {
		// SQL Server's transaction id is the commit LSN (Debezium's SqlServerChangeRecordEmitter
		// context: the offset's commit_lsn).
		out = t.tx.Begin(out, off.Commit.String(), at, d.part, om)
		ev.Tx = t.tx
	}
	out, err := ts.enc.Records(out, ev, t.cfg.Tombstones)
	if err != nil {
		return fmt.Errorf("cannot build the change event of table %s at %s: %w", ts.table.ID, off, err)
	}
	if ev.Tx != nil {
		t.tx.Store(om)
	}
	return t.put(ctx, out)
}

func (t *Task) put(ctx context.Context, recs []*api.SourceRecord) error {
	for _, r := range recs {
		if r.Topic != t.cfg.TxTopic || t.tx == nil {
			source.AddHeaders(r, t.headers)
		}
		if err := t.reader.Put(ctx, r, nil, 0); err != nil {
			return err
		}
	}
	return nil
}

// Poll returns the next batch of records.
func (t *Task) Poll(ctx context.Context) ([]*api.SourceRecord, error) { return t.reader.Poll(ctx) }

// Commit does nothing: the change tables keep their rows until the cleanup job's retention, not
// until the connector confirms them.
func (t *Task) Commit(context.Context, []api.PartitionOffset) error { return nil }

// Stop stops the reader and closes the database handles.
func (t *Task) Stop() error {
	t.stopMu.Lock()
	defer t.stopMu.Unlock()
	if t.reader != nil && !t.reader.Stop(30*time.Second) {
		t.log.Warn("change-table reader did not stop within 30s; closing its connections")
	}
	t.closeAll()
	return nil
}

func (t *Task) closeAll() {
	for _, d := range t.dbs {
		if d.h != nil {
			_ = d.h.Close()
			d.h = nil
		}
	}
	if t.history != nil {
		_ = t.history.Close()
		t.history = nil
	}
}

// TaskConfigs spreads database.names over at most maxTasks tasks, as Debezium's
// SqlServerConnector.taskConfigs: each task gets every config key, with dbKey set to its share.
func TaskConfigs(config map[string]string, dbKey string, databases []string, maxTasks int) []map[string]string {
	if maxTasks < 1 || len(databases) == 0 {
		return nil
	}
	n := min(maxTasks, len(databases))
	shares := make([][]string, n)
	for i, db := range databases {
		shares[i%n] = append(shares[i%n], db)
	}
	out := make([]map[string]string, n)
	for i, s := range shares {
		c := maps.Clone(config)
		c[dbKey] = joinComma(s)
		out[i] = c
	}
	return out
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
