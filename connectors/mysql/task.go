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
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/connectors/txmeta"
	"github.com/connectd/connectd/schemahistory"
)

// Task is the MySQL/MariaDB source task: the shared source.Task skeleton with the binlog as its
// engine (the methods of source.Engine below).
type Task struct {
	source.Task
	// Flavor is the server family the connector class expects; 0 accepts either.
	Flavor Flavor

	cfg       *Config
	flavor    Flavor
	log       *slog.Logger
	partition map[string]any
	// history is the skeleton's schema history, set by Inspect.
	history   *source.History
	schema    *schemaModel
	tx        *txmeta.Tracker
	srcSchema *api.Schema
	scKey     *api.Schema
	scValue   *api.Schema
	// tableMaps checks the table model against TABLE_MAP metadata (tablemapcheck.go).
	tableMaps *tableMapChecker

	// serverVersion is what VERSION() returned, e.g. 10.11.6-MariaDB-log.
	serverVersion string
	// conn is the connection Start inspects the server on; Prepare closes it.
	conn *client.Conn
	// off and stored are the offset found at start (off is nil when the plan drops it).
	off    *storedOffset
	stored map[string]any

	// pos is owned by the reader goroutine.
	pos position

	streaming atomic.Bool
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

// Start runs the shared skeleton with the binlog engine.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, props map[string]string) error {
	t.Engine = t
	return t.Task.Start(ctx, tc, props)
}

// Open validates the configuration and checks the server (source.Engine).
func (t *Task) Open(ctx context.Context, tc api.TaskContext, props map[string]string) (source.Settings, error) {
	cfg, err := parseConfig(props, t.Flavor)
	if err != nil {
		return source.Settings{}, err
	}
	t.cfg = cfg
	t.log = slog.Default().With("connector", tc.ConnectorName(), "task", tc.TaskID())
	t.partition = map[string]any{"server": cfg.TopicPrefix}
	t.pos.thread = -1
	if t.conn, err = t.connect(ctx); err != nil {
		return source.Settings{}, err
	}
	if err := t.checkServer(t.conn); err != nil {
		return source.Settings{}, err
	}
	t.srcSchema = sourceSchema(t.flavor)
	t.schema = newSchemaModel(cfg, t.srcSchema)
	t.schema.ddlOptions = ddlOptions(t.flavor, t.serverVersion)
	t.tableMaps = newTableMapChecker(cfg.SchemaMismatch, t.log)
	t.tableMaps.loadCollations(t.conn)
	t.buildSchemaChangeSchemas()
	if cfg.ProvideTransactionMetadata {
		t.tx = txmeta.New(cfg.TransactionTopic)
	}
	s := source.SettingsFrom(&cfg.Common)
	s.Log, s.Connector, s.Partition, s.History = t.log.With("flavor", t.flavor.connectorName()), t.flavor.connectorName(), t.partition, true
	return s, nil
}

// Inspect reads the stored offset and whether the server still has its binlog (source.Engine).
func (t *Task) Inspect(ctx context.Context, stored map[string]any) (source.Found, error) {
	t.history = t.Task.History
	t.observe(ctx)
	off, err := parseOffset(stored)
	if err != nil || off == nil {
		return source.Found{}, err
	}
	t.off, t.stored = off, stored
	ok, needed, available, err := t.positionAvailable(t.conn, off)
	return source.Found{SnapshotCompleted: !off.Snapshot, LogPositionAvailable: ok, Needed: needed, Available: available}, err
}

// Prepare replays the history and sets the binlog position to stream from (source.Engine).
func (t *Task) Prepare(ctx context.Context, plan snapshotmode.Plan) error {
	defer t.closeConn()
	if plan.DropOffset {
		t.off = nil
	}
	if t.off != nil && plan.Stream == snapshotmode.FromOffset {
		if !plan.SnapshotSchema {
			if err := t.replayHistory(ctx, t.off); err != nil {
				return err
			}
		}
		t.pos = t.off.position()
		if t.tx != nil {
			if err := t.tx.Load(t.stored); err != nil {
				return err
			}
		}
	}
	if plan.Stream == snapshotmode.FromOldest {
		logs, err := queryRows(t.conn, "SHOW BINARY LOGS")
		if err != nil || len(logs) == 0 {
			return fmt.Errorf("cannot find the oldest binlog file to stream from (snapshot.mode=never): %v", err)
		}
		t.pos = position{restartFile: logs[0][0], restartPos: 4, file: logs[0][0], eventPos: 4, thread: -1}
	}
	return t.startIncremental(context.Background(), t.stored)
}

// position is where streaming continues from the offset.
func (o *storedOffset) position() position {
	return position{restartFile: o.File, restartPos: o.Pos, restartGTIDs: o.GTIDs, currentGTIDs: o.GTIDs,
		restartEvents: o.Events, restartRows: o.Rows, file: o.File, eventPos: o.Pos, thread: -1}
}

// RunSnapshot takes the snapshot the plan asks for and streams from its position, or, when it
// rebuilds a lost history, from the stored offset (source.Engine).
func (t *Task) RunSnapshot(ctx context.Context, plan snapshotmode.Plan) error {
	if !plan.SnapshotSchema {
		return nil
	}
	if err := source.Delay(ctx, t.cfg.SnapshotDelay); err != nil { // snapshot.delay.ms
		return err
	}
	off := t.off
	var resume *snapResume
	if plan.ResumeSnapshot && off != nil && off.Resume != nil {
		resume = &snapResume{pos: snapshotPosition{File: off.File, Pos: off.Pos, GTIDs: off.GTIDs}, progress: off.Resume}
	}
	sp, err := t.snapshot(ctx, plan.SnapshotData, resume)
	if err != nil {
		return err
	}
	if plan.RebuildHistory && off != nil {
		t.pos = off.position() // recovery: the schema is today's, the position the stored one
	} else {
		t.pos = position{restartFile: sp.File, restartPos: sp.Pos, restartGTIDs: sp.GTIDs, currentGTIDs: sp.GTIDs,
			file: sp.File, eventPos: sp.Pos, thread: -1}
	}
	return nil
}

// Committed does nothing: the binlog needs no acknowledgement (source.Engine).
func (t *Task) Committed(context.Context, []api.PartitionOffset) error { return nil }

// Release closes the start connection if Start failed before Prepare (source.Engine).
func (t *Task) Release() error {
	t.closeConn()
	t.history = nil
	return nil
}

func (t *Task) closeConn() {
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}

// emit queues records in order, blocking while the queue is full.
func (t *Task) emit(ctx context.Context, recs []*api.SourceRecord) error {
	skip := ""
	if t.tx != nil {
		skip = t.tx.TopicName()
	}
	for _, r := range recs {
		// A streamed change to a key of the open incremental snapshot window drops its read.
		if err := t.Signals.Inc.Observe(ctx, r); err != nil {
			return err
		}
	}
	return t.Emit(ctx, skip, recs...)
}

// offset returns the current restart offset.
func (t *Task) offset() map[string]any {
	m := t.pos.offset(false)
	if t.tx != nil && !t.pos.snapshot {
		t.tx.Store(m)
	}
	return m
}

// source builds the source block of an event of table id, with the boxed values of cache, which
// belongs to the calling goroutine (nil: none).
func (t *Task) source(cache *envelope.SourceCache, id relational.TableID, ts time.Time, snap envelope.Snapshot) *api.Struct {
	src := cache.NewSource(t.srcSchema, &envelope.SourceInfo{
		Version: version.String(), Connector: t.flavor.connectorName(), Name: t.cfg.TopicPrefix,
		Time: ts, Snapshot: snap, DB: id.Catalog,
	})
	i := envelope.SourceCommonFields
	if id.Table != "" {
		src.PutIndex(i, cache.String(i, id.Table))
	}
	src.PutIndex(i+1, cache.Int64(i+1, t.pos.serverID))
	if t.pos.gtid != "" && !t.pos.snapshot {
		src.PutIndex(i+2, cache.String(i+2, t.pos.gtid))
	}
	src.PutIndex(i+3, cache.String(i+3, t.pos.file))
	src.PutIndex(i+4, cache.Int64(i+4, t.pos.eventPos))
	src.PutIndex(i+5, int32(t.pos.row))
	if t.pos.thread >= 0 {
		src.PutIndex(i+6, cache.Int64(i+6, t.pos.thread))
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
		if errors.Is(err, errUnparseable) && t.cfg.SkipUnparseableDDL {
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
