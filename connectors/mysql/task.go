package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

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

// HistoryOpener opens the schema history store a configuration names; tests may set their own.
type HistoryOpener func(ctx context.Context, cfg *Config, props map[string]string) (schemahistory.Store, error)

// Task is the MySQL/MariaDB source task: it snapshots and streams on a reader goroutine and
// hands records to Poll through a bounded queue.
type Task struct {
	// Flavor is the server family the connector class expects; 0 accepts either.
	Flavor Flavor
	// OpenHistory, when set, replaces opening the store the schema.history.internal.*
	// properties name.
	OpenHistory HistoryOpener

	cfg       *Config
	flavor    Flavor
	log       *slog.Logger
	partition map[string]any
	history   *source.History
	schema    *schemaModel
	tx        *txmeta.Tracker
	heartbeat *heartbeat.Heartbeat
	srcSchema *api.Schema
	scKey     *api.Schema
	scValue   *api.Schema
	// tableMaps checks the table model against TABLE_MAP metadata (tablemapcheck.go).
	tableMaps *tableMapChecker

	// serverVersion is what VERSION() returned, e.g. 10.11.6-MariaDB-log.
	serverVersion string

	// pos is owned by the reader goroutine.
	pos position

	// headers are Debezium's __debezium.context.* headers of this task run.
	headers []api.Header

	streaming atomic.Bool
	reader    *source.Reader

	// sig holds the signal channels and the incremental snapshot engine (incremental.go).
	sig taskSignals
}

// sourceSchema builds the source block schema of the flavour, Debezium 3.x field order.
func sourceSchema(f Flavor) *api.Schema {
	return envelope.SourceSchemaBuilder("io.debezium.connector."+f.connectorName()+".Source").
		Field("table", api.OptionalStringSchema).
		Field("server_id", api.Int64Schema).
		Field("gtid", api.OptionalStringSchema).
		Field("file", api.StringSchema).
		Field("pos", api.Int64Schema).
		Field("row", api.Int32Schema).
		Field("thread", api.OptionalInt64Schema).
		Field("query", api.OptionalStringSchema).
		Build()
}

// Start validates the configuration, checks the server, decides the snapshot plan from the
// stored offset and the history, and starts the reader goroutine.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, props map[string]string) error {
	cfg, err := parseConfig(props, t.Flavor)
	if err != nil {
		return err
	}
	t.cfg = cfg
	t.log = slog.Default().With("connector", tc.ConnectorName(), "task", tc.TaskID())
	t.partition = map[string]any{"server": cfg.TopicPrefix}
	t.pos.thread = -1

	conn, err := t.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := t.checkServer(conn); err != nil {
		return err
	}
	t.srcSchema = sourceSchema(t.flavor)
	t.headers = source.ContextHeaders(cfg.TopicPrefix, tc.TaskID(), t.flavor.connectorName())
	t.schema = newSchemaModel(cfg, t.srcSchema)
	t.schema.ddlOptions = ddlOptions(t.flavor, t.serverVersion)
	t.tableMaps = newTableMapChecker(cfg.SchemaMismatch, t.log)
	t.tableMaps.loadCollations(conn)
	t.buildSchemaChangeSchemas()
	t.reader = source.NewReader(cfg.MaxQueue, cfg.MaxQueueBytes, cfg.MaxBatch, cfg.PollInterval)
	if cfg.TxMetadata {
		t.tx = txmeta.New(txmeta.Topic(cfg.TopicPrefix))
	}
	if cfg.Heartbeat > 0 {
		t.heartbeat = heartbeat.New(heartbeat.TopicFromConfig(props), cfg.TopicPrefix, cfg.Heartbeat)
	}

	switch {
	case t.OpenHistory != nil:
		st, err := t.OpenHistory(ctx, cfg, props)
		if err != nil {
			return fmt.Errorf("cannot open the schema history: %w", err)
		}
		t.history = source.NewHistory(st, cfg.TopicPrefix)
	case cfg.SnapshotMode != snapshotmode.InitialOnly:
		if t.history, err = source.OpenHistory(ctx, props, cfg.TopicPrefix); err != nil {
			return err
		}
	}

	stored, err := tc.Offsets().Offset(ctx, t.partition)
	if err != nil {
		return fmt.Errorf("cannot read the stored offset of %v: %w", t.partition, err)
	}
	off, err := parseOffset(stored)
	if err != nil {
		return err
	}
	plan, err := t.plan(ctx, conn, off)
	if err != nil {
		t.closeHistory()
		return err
	}
	t.log.Info("starting", "flavor", t.flavor.connectorName(), "snapshot.mode", cfg.SnapshotMode.String(),
		"snapshot_schema", plan.SnapshotSchema, "snapshot_data", plan.SnapshotData, "stream", plan.Stream.String())
	if plan.DropOffset {
		off = nil
	}
	if plan.Stream == snapshotmode.FromOffset && !plan.SnapshotSchema {
		if err := t.replayHistory(ctx, off); err != nil {
			t.closeHistory()
			return err
		}
	}
	if off != nil && (plan.Stream == snapshotmode.FromOffset) {
		t.pos = position{restartFile: off.File, restartPos: off.Pos, restartGTIDs: off.GTIDs, currentGTIDs: off.GTIDs,
			restartEvents: off.Events, restartRows: off.Rows, file: off.File, eventPos: off.Pos, thread: -1}
		if t.tx != nil {
			if err := t.tx.Load(stored); err != nil {
				return err
			}
		}
	}
	if plan.Stream == snapshotmode.FromOldest {
		logs, err := queryRows(conn, "SHOW BINARY LOGS")
		if err != nil || len(logs) == 0 {
			return fmt.Errorf("cannot find the oldest binlog file to stream from (snapshot.mode=never): %v", err)
		}
		t.pos = position{restartFile: logs[0][0], restartPos: 4, file: logs[0][0], eventPos: 4, thread: -1}
	}

	if err := t.startIncremental(context.Background(), tc.ConnectorName(), props, stored); err != nil {
		t.stopIncremental()
		t.closeHistory()
		return err
	}
	t.reader.Start(t.log, func(ctx context.Context) error { return t.run(ctx, plan, off) }, nil)
	return nil
}

// run is the reader goroutine: snapshot as planned, then stream.
func (t *Task) run(ctx context.Context, plan snapshotmode.Plan, off *storedOffset) error {
	if plan.SnapshotSchema {
		withData := plan.SnapshotData
		var resume *snapResume
		if plan.ResumeSnapshot && off != nil && off.SnapTable != "" {
			resume = &snapResume{pos: snapshotPosition{File: off.File, Pos: off.Pos, GTIDs: off.GTIDs},
				table: off.SnapTable, key: off.SnapKey}
		}
		sp, err := t.snapshot(ctx, withData, resume)
		if err != nil {
			return err
		}
		if plan.RebuildHistory && off != nil {
			// recovery: the schema is today's, the position the stored one.
			t.pos = position{restartFile: off.File, restartPos: off.Pos, restartGTIDs: off.GTIDs, currentGTIDs: off.GTIDs,
				restartEvents: off.Events, restartRows: off.Rows, file: off.File, eventPos: off.Pos, thread: -1}
		} else {
			t.pos = position{restartFile: sp.File, restartPos: sp.Pos, restartGTIDs: sp.GTIDs, currentGTIDs: sp.GTIDs,
				file: sp.File, eventPos: sp.Pos, thread: -1}
		}
	}
	if !plan.Streams() {
		t.log.Info("snapshot complete; not streaming (snapshot.mode=initial_only)")
		<-ctx.Done()
		return nil
	}
	t.sig.inc.Start(ctx)
	return t.runStream(ctx)
}

// Poll returns the next batch of records.
func (t *Task) Poll(ctx context.Context) ([]*api.SourceRecord, error) { return t.reader.Poll(ctx) }

// Commit is a no-op: the binlog needs no acknowledgement.
func (t *Task) Commit(ctx context.Context, committed []api.PartitionOffset) error { return nil }

// Stop stops the reader and releases the connections.
func (t *Task) Stop() error {
	if t.reader != nil {
		t.reader.Stop(0)
	}
	t.stopIncremental()
	t.closeHistory()
	return nil
}

func (t *Task) closeHistory() {
	_ = t.history.Close()
	t.history = nil
}

// emit queues records in order, blocking while the queue is full.
func (t *Task) emit(ctx context.Context, recs []*api.SourceRecord) error {
	for _, r := range recs {
		if t.tx == nil || r.Topic != t.tx.TopicName() {
			// Debezium's context headers, on every record but the transaction topic's.
			source.AddHeaders(r, t.headers)
		}
		if err := t.sig.inc.Observe(ctx, r); err != nil {
			return err
		}
		if err := t.reader.Put(ctx, r, nil, 0); err != nil {
			return err
		}
	}
	return nil
}

// offset returns the current restart offset.
func (t *Task) offset() map[string]any {
	m := t.pos.offset(false)
	if t.tx != nil && !t.pos.snapshot {
		t.tx.Store(m)
	}
	return m
}

// source builds the source block of an event of table id.
func (t *Task) source(id relational.TableID, ts time.Time, snap envelope.Snapshot) *api.Struct {
	src := envelope.NewSource(t.srcSchema, &envelope.SourceInfo{
		Version: version.String(), Connector: t.flavor.connectorName(), Name: t.cfg.TopicPrefix,
		Time: ts, Snapshot: snap, DB: id.Catalog,
	})
	i := envelope.SourceCommonFields
	if id.Table != "" {
		src.PutIndex(i, id.Table)
	}
	src.PutIndex(i+1, t.pos.serverID)
	if t.pos.gtid != "" && !t.pos.snapshot {
		src.PutIndex(i+2, t.pos.gtid)
	}
	src.PutIndex(i+3, t.pos.file)
	src.PutIndex(i+4, t.pos.eventPos)
	src.PutIndex(i+5, int32(t.pos.row))
	if t.pos.thread >= 0 {
		src.PutIndex(i+6, t.pos.thread)
	}
	if t.pos.query != "" {
		src.PutIndex(i+7, t.pos.query)
	}
	return src
}

// checkServer detects the flavour and checks the binlog settings the connector depends on.
func (t *Task) checkServer(conn *client.Conn) error {
	rows, err := queryRows(conn, "SELECT VERSION(), @@global.log_bin, @@global.binlog_format, @@global.binlog_row_image")
	if err != nil {
		return fmt.Errorf("cannot read the server's version and binlog settings: %w", err)
	}
	version, logBin, format, image := rows[0][0], rows[0][1], rows[0][2], rows[0][3]
	detected := FlavorMySQL
	if strings.Contains(strings.ToLower(version), "mariadb") {
		detected = FlavorMariaDB
	}
	switch {
	case t.Flavor == FlavorMariaDB && detected != FlavorMariaDB:
		return fmt.Errorf("the server is MySQL %s, not MariaDB: use connector.class=io.debezium.connector.mysql.MySqlConnector", version)
	case t.Flavor == FlavorMySQL && detected != FlavorMySQL:
		return fmt.Errorf("the server is MariaDB (%s), not MySQL: use connector.class=io.debezium.connector.mariadb.MariaDbConnector", version)
	}
	t.flavor, t.serverVersion = detected, version
	if logBin != "1" && !strings.EqualFold(logBin, "ON") {
		return fmt.Errorf("the server's binary log is off (log_bin=%s): start it with log_bin and binlog_format=ROW", logBin)
	}
	if !strings.EqualFold(format, "ROW") {
		return fmt.Errorf("the server logs binlog_format=%s; change data capture needs binlog_format=ROW (SET GLOBAL binlog_format=ROW, and in the server configuration)", format)
	}
	if !strings.EqualFold(image, "FULL") {
		return fmt.Errorf("the server logs binlog_row_image=%s; change events need binlog_row_image=FULL", image)
	}
	return nil
}

// plan decides what to do on start, from the snapshot mode, the offset, the history and what
// the server still has.
func (t *Task) plan(ctx context.Context, conn *client.Conn, off *storedOffset) (snapshotmode.Plan, error) {
	st := snapshotmode.State{HasOffset: off != nil}
	needed, available := "", ""
	if off != nil {
		st.SnapshotCompleted = !off.Snapshot
		ok, n, a, err := t.positionAvailable(conn, off)
		if err != nil {
			return snapshotmode.Plan{}, err
		}
		st.LogPositionAvailable, needed, available = ok, n, a
		if st.HistoryAvailable, err = t.history.Exists(ctx); err != nil {
			return snapshotmode.Plan{}, err
		}
	}
	plan, err := snapshotmode.Decide(t.cfg.SnapshotMode, st)
	var pe *snapshotmode.PurgedError
	if errors.As(err, &pe) {
		pe.Needed, pe.Available = needed, available
		return plan, pe
	}
	if err == nil && plan.DropOffset && off != nil && !st.LogPositionAvailable {
		t.log.Warn("the stored binlog position is no longer on the server; taking a new snapshot (snapshot.mode=when_needed)",
			"needed", needed, "available", available)
	}
	return plan, err
}

// positionAvailable reports whether the server can still stream from the offset; needed and
// available describe the offset and the server's binlogs for the purge message.
func (t *Task) positionAvailable(conn *client.Conn, off *storedOffset) (ok bool, needed, available string, err error) {
	logs, err := queryRows(conn, "SHOW BINARY LOGS")
	if err != nil {
		return false, "", "", fmt.Errorf("cannot list the server's binlog files (needs REPLICATION CLIENT): %w", err)
	}
	if len(logs) == 0 {
		return false, "binlog file " + off.File, "no binlog files", nil
	}
	available = fmt.Sprintf("binlog files %s to %s", logs[0][0], logs[len(logs)-1][0])
	if off.GTIDs != "" {
		needed = "GTIDs after " + off.GTIDs
		switch t.flavor {
		case FlavorMariaDB:
			want, err := parseMariaGTIDSet(off.GTIDs)
			if err != nil {
				return false, "", "", fmt.Errorf("the stored offset's gtids: %w", err)
			}
			oldest, err := t.oldestMariaGTIDs(conn, logs[0][0])
			if err != nil {
				return false, "", "", err
			}
			missing := want.missingFrom(oldest)
			if len(missing) > 0 {
				return false, needed, fmt.Sprintf("%s, the oldest starting after GTIDs %s", available, oldest.String()), nil
			}
			return true, needed, available, nil
		default:
			purged, err := queryRows(conn, "SELECT @@global.gtid_purged")
			if err != nil {
				return false, "", "", err
			}
			p := ""
			if len(purged) > 0 {
				p = strings.NewReplacer("\n", "", "\r", "").Replace(purged[0][0])
			}
			if p == "" {
				return true, needed, available, nil
			}
			have, err := newGTIDTracker(FlavorMySQL, off.GTIDs)
			if err != nil {
				return false, "", "", err
			}
			gone, err := newGTIDTracker(FlavorMySQL, p)
			if err != nil {
				return false, "", "", err
			}
			if have.mysql.Contain(gone.mysql) {
				return true, needed, available, nil
			}
			return false, needed, fmt.Sprintf("%s; GTIDs %s were purged", available, p), nil
		}
	}
	needed = fmt.Sprintf("binlog file %s position %d", off.File, off.Pos)
	for _, l := range logs {
		if l[0] == off.File {
			size, _ := strconv.ParseInt(l[1], 10, 64)
			if off.Pos > size && l[0] == logs[len(logs)-1][0] {
				return false, needed, fmt.Sprintf("%s (%s ends at %d)", available, l[0], size), nil
			}
			return true, needed, available, nil
		}
	}
	return false, needed, available, nil
}

// oldestMariaGTIDs reads the GTID state at the start of the oldest binlog file (its Gtid_list
// event): GTIDs up to it are gone.
func (t *Task) oldestMariaGTIDs(conn *client.Conn, file string) (mariaGTIDSet, error) {
	rows, err := queryRows(conn, "SHOW BINLOG EVENTS IN '"+strings.ReplaceAll(file, "'", "''")+"' LIMIT 4")
	if err != nil {
		return nil, fmt.Errorf("cannot read the oldest binlog file %s: %w", file, err)
	}
	for _, r := range rows {
		if len(r) >= 6 && strings.EqualFold(r[2], "Gtid_list") {
			return parseMariaGTIDSet(strings.Trim(r[5], "[] "))
		}
	}
	return mariaGTIDSet{}, nil
}

// replayHistory rebuilds the table model from the schema history up to the stored offset.
func (t *Task) replayHistory(ctx context.Context, off *storedOffset) error {
	stats, err := t.history.Replay(ctx, t.schema.tables, func(rec *schemahistory.Record) bool {
		ro, err := parseOffset(rec.Position)
		if err != nil || ro == nil || positionAfter(t.flavor, ro, off) {
			return false
		}
		t.tableMaps.noteDDL(rec.TableChanges, rec.DDL)
		return true
	}, func(rec *schemahistory.Record, tables *relational.Tables) error {
		res, err := t.schema.applyDDL(tables, rec.DatabaseName, rec.DDL)
		t.tableMaps.noteDDL(res.Changes, rec.DDL)
		if errors.Is(err, errUnparseable) && t.cfg.SkipUnparseable {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	t.log.Info("schema history replayed", "records", stats.Records, "applied", stats.Applied, "skipped", stats.Skipped, "tables", t.schema.tables.Len())
	return nil
}

// positionAfter reports whether history position a is after the offset b, as Debezium's
// BinlogHistoryRecordComparator: by GTID sets when both have them, else by file, position,
// events and rows. A snapshot record at the same position counts as before.
func positionAfter(f Flavor, a, b *storedOffset) bool {
	if a.GTIDs != "" && b.GTIDs != "" {
		if a.GTIDs == b.GTIDs {
			return a.Events > b.Events || (a.Events == b.Events && a.Rows > b.Rows)
		}
		if f == FlavorMariaDB {
			as, err1 := parseMariaGTIDSet(a.GTIDs)
			bs, err2 := parseMariaGTIDSet(b.GTIDs)
			if err1 == nil && err2 == nil {
				for d, g := range as {
					if o, ok := bs[d]; !ok || g.Seq > o.Seq {
						return true
					}
				}
				return false
			}
		} else {
			at, err1 := newGTIDTracker(FlavorMySQL, a.GTIDs)
			bt, err2 := newGTIDTracker(FlavorMySQL, b.GTIDs)
			if err1 == nil && err2 == nil {
				return !bt.mysql.Contain(at.mysql)
			}
		}
	}
	if c := compareBinlogFiles(a.File, b.File); c != 0 {
		return c > 0
	}
	if a.Pos != b.Pos {
		return a.Pos > b.Pos
	}
	if a.Events != b.Events {
		return a.Events > b.Events
	}
	return a.Rows > b.Rows
}

// compareBinlogFiles orders binlog file names by their numeric extension.
func compareBinlogFiles(a, b string) int {
	ai, bi := strings.LastIndexByte(a, '.'), strings.LastIndexByte(b, '.')
	if ai >= 0 && bi >= 0 {
		an, e1 := strconv.ParseInt(a[ai+1:], 10, 64)
		bn, e2 := strconv.ParseInt(b[bi+1:], 10, 64)
		if e1 == nil && e2 == nil && a[:ai] == b[:bi] {
			switch {
			case an < bn:
				return -1
			case an > bn:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(a, b)
}
