package mysql

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/schemahistory"
	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// connect opens a query connection with the session settings every read relies on.
func (t *Task) connect(ctx context.Context) (*client.Conn, error) {
	addr := net.JoinHostPort(t.cfg.Hostname, strconv.Itoa(t.cfg.Port))
	timeout := t.cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	conn, err := dialQuery(ctx, t.cfg, addr, timeout, func(c *client.Conn) error {
		return c.SetCharset("utf8mb4")
	})
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the database at %s as %q: %w", addr, t.cfg.User, err)
	}
	return conn, nil
}

// queryRows runs a query and returns its rows as strings (NULL as "").
func queryRows(conn *client.Conn, q string) ([][]string, error) {
	res, err := conn.Execute(q)
	if err != nil {
		return nil, fmt.Errorf("query %q failed: %w", q, err)
	}
	defer res.Close()
	out := make([][]string, 0, res.RowNumber())
	for i := range res.Values {
		row := make([]string, len(res.Values[i]))
		for j := range res.Values[i] {
			fv := res.Values[i][j]
			switch fv.Type {
			case gomysql.FieldValueTypeNull:
			case gomysql.FieldValueTypeString:
				row[j] = string(fv.AsString())
			default:
				row[j] = fv.String()
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// snapshotPosition is where streaming continues after a snapshot.
type snapshotPosition struct {
	File  string
	Pos   int64
	GTIDs string
}

// readMasterStatus reads the current binlog file, position and executed GTID set.
func (t *Task) readMasterStatus(conn *client.Conn) (snapshotPosition, error) {
	var sp snapshotPosition
	rows, err := queryRows(conn, "SHOW MASTER STATUS")
	if err != nil {
		rows, err = queryRows(conn, "SHOW BINARY LOG STATUS")
		if err != nil {
			return sp, err
		}
	}
	if len(rows) == 0 {
		return sp, fmt.Errorf("SHOW MASTER STATUS returned nothing: the server's binary log is off; enable log_bin (and binlog_format=ROW)")
	}
	sp.File = rows[0][0]
	sp.Pos, _ = strconv.ParseInt(rows[0][1], 10, 64)
	if t.flavor == FlavorMariaDB {
		g, err := queryRows(conn, "SELECT @@global.gtid_binlog_pos")
		if err != nil {
			return sp, err
		}
		if len(g) > 0 {
			sp.GTIDs = g[0][0]
		}
	} else if len(rows[0]) >= 5 {
		sp.GTIDs = strings.NewReplacer("\n", "", "\r", "").Replace(rows[0][4])
	}
	return sp, nil
}

// snapshotTable is one table the snapshot reads.
type snapshotTable struct {
	id  relational.TableID
	ddl string
}

// snapshot runs Debezium's consistent snapshot: lock, consistent-snapshot transaction, binlog
// position, schemas into the history, unlock, then the rows of each captured table with op "r".
// With withData false only the schema is captured (no_data, recovery). With resume set, an
// interrupted snapshot continues: its tables and rows already emitted are skipped, the rest is
// read at today's state, and the position is the one the interrupted snapshot was taken at, so
// streaming replays every change since then over the rows read late (see DESIGN.md).
func (t *Task) snapshot(ctx context.Context, withData bool, resume *snapResume) (snapshotPosition, error) {
	// With snapshot.max.threads > 1 the rows are read on that many connections, each in a
	// consistent-snapshot transaction started under the same global read lock, so all of them
	// see the same view, the one at the binlog position read under the lock.
	n := 1
	if withData && t.cfg.SnapshotThreads > 1 {
		n = t.cfg.SnapshotThreads
	}
	conns := make([]*client.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for len(conns) < n {
		c, err := t.connect(ctx)
		if err != nil {
			return snapshotPosition{}, err
		}
		conns = append(conns, c)
		// On Stop, close the socket under the running query (net.Conn is safe for that;
		// go-mysql's own Close is not), so a long table read ends promptly.
		nc := c.Conn.Conn
		stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
		defer stop()
	}
	conn := conns[0]
	execOn := func(c *client.Conn, q string) error {
		r, err := c.Execute(q)
		if err != nil {
			return fmt.Errorf("snapshot statement %q failed: %w", q, err)
		}
		r.Close()
		return nil
	}
	exec := func(q string) error { return execOn(conn, q) }
	for _, c := range conns {
		for _, q := range []string{
			"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
			// TIMESTAMP values are read as UTC text, the instant the binlog holds.
			"SET SESSION time_zone = '+00:00'",
		} {
			if err := execOn(c, q); err != nil {
				return snapshotPosition{}, err
			}
		}
	}
	locked := false
	if t.cfg.SnapshotLocking != "none" {
		if err := exec("FLUSH TABLES WITH READ LOCK"); err != nil {
			return snapshotPosition{}, fmt.Errorf("%w; the snapshot needs the RELOAD privilege for its global read lock (or set snapshot.locking.mode=none)", err)
		}
		locked = true
	}
	unlock := func() {
		if locked {
			if err := exec("UNLOCK TABLES"); err != nil {
				t.log.Warn("cannot release the snapshot's global read lock", "error", err)
			}
			locked = false
		}
	}
	defer unlock()
	for _, c := range conns {
		if err := execOn(c, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
			return snapshotPosition{}, err
		}
	}
	var sp snapshotPosition
	if !locked && t.flavor == FlavorMariaDB {
		// Without the lock MariaDB still tells the binlog position of the consistent snapshot.
		rows, err := queryRows(conn, "SHOW STATUS LIKE 'binlog_snapshot_%'")
		if err != nil {
			return sp, err
		}
		for _, r := range rows {
			switch r[0] {
			case "Binlog_snapshot_file":
				sp.File = r[1]
			case "Binlog_snapshot_position":
				sp.Pos, _ = strconv.ParseInt(r[1], 10, 64)
			}
		}
	} else {
		var err error
		if sp, err = t.readMasterStatus(conn); err != nil {
			return sp, err
		}
	}
	if resume != nil {
		t.log.Info("resuming an interrupted snapshot", "file", resume.pos.File, "pos", resume.pos.Pos, "gtids", resume.pos.GTIDs,
			"progress", resume.progress.String(), "read_at_file", sp.File, "read_at_pos", sp.Pos)
		sp = resume.pos
	}
	t.log.Info("snapshot position", "file", sp.File, "pos", sp.Pos, "gtids", sp.GTIDs)

	// Schemas, recorded as Debezium's snapshot records them: the server charset, a DROP TABLE
	// for every table, then per database DROP DATABASE, CREATE DATABASE, USE and each table's
	// SHOW CREATE TABLE text. Replaying these rebuilds exactly the snapshot's tables.
	dbs, err := queryRows(conn, "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME")
	if err != nil {
		return sp, err
	}
	server, err := queryRows(conn, "SELECT @@character_set_server, @@collation_server")
	if err != nil {
		return sp, err
	}
	t.schema.serverCharset = server[0][0]
	t.schema.tables.Clear()
	clear(t.schema.encoders)
	var captured []snapshotTable
	snapOffset := func() map[string]any {
		m := map[string]any{offFile: sp.File, offPos: sp.Pos, offTsSec: time.Now().Unix(), offSnapshot: "INITIAL"}
		if sp.GTIDs != "" {
			m[offGTIDs] = sp.GTIDs
		}
		return m
	}
	record := func(db, ddl string, changes []schemahistory.TableChange) *schemahistory.Record {
		return &schemahistory.Record{Source: t.partition, Position: snapOffset(), TsMs: time.Now().UnixMilli(),
			DatabaseName: db, DDL: ddl, TableChanges: changes}
	}
	schemaRecords := []*schemahistory.Record{record("", fmt.Sprintf("SET character_set_server=%s, collation_server=%s", server[0][0], server[0][1]), nil)}
	type dbTables struct {
		name, charset, collation string
		tables                   []relational.TableID
	}
	var databases []dbTables
	for _, d := range dbs {
		db := d[0]
		if !t.schema.databaseCaptured(db) {
			continue
		}
		t.schema.dbCharsets[db] = d[1]
		rows, err := queryRows(conn, "SHOW FULL TABLES IN `"+strings.ReplaceAll(db, "`", "``")+"` WHERE Table_type = 'BASE TABLE'")
		if err != nil {
			return sp, err
		}
		dt := dbTables{name: db, charset: d[1], collation: d[2]}
		for _, tr := range rows {
			id := relational.TableID{Catalog: db, Table: tr[0]}
			if t.cfg.StoreOnlyCapturedTablesDDL && !t.schema.captured(id) {
				continue
			}
			dt.tables = append(dt.tables, id)
		}
		slices.SortFunc(dt.tables, func(a, b relational.TableID) int { return strings.Compare(a.Table, b.Table) })
		databases = append(databases, dt)
	}
	for _, dt := range databases {
		for _, id := range dt.tables {
			schemaRecords = append(schemaRecords, record(dt.name, "DROP TABLE IF EXISTS "+quoteID(id),
				[]schemahistory.TableChange{{Type: schemahistory.Drop, ID: id}}))
		}
	}
	for _, dt := range databases {
		q := "`" + strings.ReplaceAll(dt.name, "`", "``") + "`"
		schemaRecords = append(schemaRecords,
			record(dt.name, "DROP DATABASE IF EXISTS "+q, nil),
			record(dt.name, fmt.Sprintf("CREATE DATABASE %s CHARSET %s COLLATE %s", q, dt.charset, dt.collation), nil),
			record(dt.name, "USE "+q, nil))
		for _, id := range dt.tables {
			rows, err := queryRows(conn, "SHOW CREATE TABLE "+quoteID(id))
			if err != nil {
				return sp, err
			}
			if len(rows) == 0 || len(rows[0]) < 2 {
				return sp, fmt.Errorf("SHOW CREATE TABLE %s returned nothing", id)
			}
			create := rows[0][1]
			res, err := t.schema.applyDDL(t.schema.tables, dt.name, create)
			if err != nil {
				if t.cfg.SkipUnparseableDDL {
					t.log.Warn("skipping a table whose definition cannot be parsed", "table", id.String(), "error", err)
					continue
				}
				return sp, fmt.Errorf("cannot read the structure of table %s during the snapshot: %w; statement: %s", id, err, create)
			}
			t.tableMaps.noteDDL(res.Changes, create)
			schemaRecords = append(schemaRecords, record(dt.name, create, res.Changes))
			if t.schema.captured(id) {
				captured = append(captured, snapshotTable{id: id, ddl: create})
			}
		}
	}
	unlock()
	if err := t.history.Record(ctx, schemaRecords...); err != nil {
		return sp, fmt.Errorf("cannot record the snapshot's schemas: %w", err)
	}
	t.pos = position{restartFile: sp.File, restartPos: sp.Pos, file: sp.File, eventPos: sp.Pos, restartGTIDs: sp.GTIDs,
		currentGTIDs: sp.GTIDs, snapshot: true, thread: -1}
	if t.cfg.IncludeSchemaChanges {
		for _, rec := range schemaRecords {
			var tid *relational.TableID
			if len(rec.TableChanges) > 0 {
				tid = &rec.TableChanges[0].ID
				if !t.schema.captured(*tid) {
					continue
				}
			}
			r := t.schemaChangeRecord(rec, tid, time.Now(), false)
			if err := t.emit(ctx, []*api.SourceRecord{r}); err != nil {
				return sp, err
			}
		}
	}
	if withData {
		var progress *source.SnapshotResume
		if resume != nil {
			progress = resume.progress
		}
		if err := t.readTables(ctx, conns, captured, sp, snapOffset(), progress); err != nil {
			return sp, err
		}
	}
	if err := exec("COMMIT"); err != nil {
		return sp, err
	}
	t.pos.snapshot = false
	return sp, nil
}

func quoteID(id relational.TableID) string {
	return "`" + strings.ReplaceAll(id.Catalog, "`", "``") + "`.`" + strings.ReplaceAll(id.Table, "`", "``") + "`"
}

// snapTable is what a reader needs to read one table of the snapshot.
type snapTable struct {
	id       relational.TableID
	quoted   string
	enc      *envelope.TableSchema
	names    []string // every column, quoted, in table order
	columns  []string // every column's name as it is, in table order
	keyIdx   []int    // the positions of the key columns; nil: read whole
	keyKinds []keyKind
	keyNames []string
	textCols []bool
	now      time.Time
}

// snapshotTables prepares the captured tables for the snapshot driver.
func (t *Task) snapshotTables(tables []snapshotTable) ([]source.SnapshotTable[*snapTable], error) {
	out := make([]source.SnapshotTable[*snapTable], 0, len(tables))
	for _, st := range tables {
		enc, err := t.schema.encoder(st.id)
		if err != nil {
			return nil, err
		}
		if enc == nil {
			continue
		}
		tbl := t.schema.tables.Get(st.id)
		s := &snapTable{id: st.id, quoted: quoteID(st.id), enc: enc, textCols: make([]bool, len(tbl.Columns)), now: time.Now()}
		for i := range tbl.Columns {
			c := &tbl.Columns[i]
			typ, _ := baseType(c)
			s.textCols[i] = isCharType(typ) && charsetDecoder(c.CharsetName) != nil || typ == "INET4" || typ == "INET6" || typ == "UUID"
		}
		// The columns by name: SELECT * leaves out INVISIBLE columns and the hidden row start
		// and end of system-versioned tables, which the model has as the row images do.
		s.names = make([]string, len(tbl.Columns))
		s.columns = make([]string, len(tbl.Columns))
		for i := range tbl.Columns {
			s.names[i] = "`" + strings.ReplaceAll(tbl.Columns[i].Name, "`", "``") + "`"
			s.columns[i] = tbl.Columns[i].Name
		}
		s.keyIdx, s.keyKinds = chunkKey(tbl)
		for _, k := range s.keyIdx {
			s.keyNames = append(s.keyNames, s.names[k])
		}
		textKey := false
		for _, k := range s.keyKinds {
			textKey = textKey || k != keyInt
		}
		out = append(out, source.SnapshotTable[*snapTable]{ID: st.id.String(), Keyed: s.keyIdx != nil, TextKey: textKey, Data: s})
	}
	return out, nil
}

// readTables reads the rows of every captured table with the shared snapshot driver (one
// reader per connection, all in the same consistent view) and emits them as read events. A
// table whose primary key is made of integers is read in chunks in key order and resumes after
// the last committed row; other tables restart whole.
func (t *Task) readTables(ctx context.Context, conns []*client.Conn, tables []snapshotTable, sp snapshotPosition, offset map[string]any, resume *source.SnapshotResume) error {
	sts, err := t.snapshotTables(tables)
	if err != nil {
		return err
	}
	// The snapshot's last record carries an offset without the snapshot flag: committing it
	// marks the snapshot finished.
	done := make(map[string]any, len(offset))
	for k, v := range offset {
		if k != offSnapshot {
			done[k] = v
		}
	}
	readers := make([]source.ChunkReader[*snapTable, readRecord], len(conns))
	for i, c := range conns {
		readers[i] = &chunkReader{t: t, conn: c}
	}
	rows, err := source.ReadSnapshot(ctx, readers, sts, source.SnapshotOptions{
		ChunkSize: t.cfg.SnapshotFetchSize, NumericKeys: true, Resume: resume, Selection: t.cfg.SnapshotSelection,
		Reader: t.Reader, Estimates: t.snapshotEstimates(conns[0], tables),
		TableDone: func(id string, rows int64) { t.log.Info("snapshot read table", "table", id, "rows", rows) },
	}, func(ctx context.Context, r readRecord, m envelope.Snapshot, off source.SnapshotOffset) error {
		r.src.PutIndex(envelope.SourceSnapshotIndex, m.Boxed())
		if m == envelope.SnapshotLast {
			r.rec.SourceOffset = done
		} else {
			o := make(map[string]any, len(offset)+3)
			for k, v := range offset {
				o[k] = v
			}
			off.Put(o)
			r.rec.SourceOffset = o
		}
		return t.emit(ctx, []*api.SourceRecord{r.rec})
	})
	if err != nil {
		return err
	}
	t.log.Info("snapshot finished", "tables", len(sts), "rows", rows, "threads", len(conns), "file", sp.File, "pos", sp.Pos)
	return nil
}

// chunkReader reads snapshot chunks on one connection.
type chunkReader struct {
	t      *Task
	conn   *client.Conn
	result gomysql.Result
	row    []any // the row being converted, reused
	// srcCache keeps the source fields' boxed values, the same for every row of a table.
	srcCache envelope.SourceCache
}

// ReadChunk reads a chunk of st (or all of it when it has no usable key) and builds each row's
// read event; the driver sets its marker and offset.
func (r *chunkReader) ReadChunk(ctx context.Context, st *source.SnapshotTable[*snapTable], after []string, limit int, add func(readRecord, []string) error) error {
	return r.ReadRange(ctx, st, after, nil, limit, add)
}

// SplitKeys cuts the keys after after into parts of about equal size, counting the rows and
// reading the key at each cut in the snapshot's view.
func (r *chunkReader) SplitKeys(ctx context.Context, st *source.SnapshotTable[*snapTable], after []string, parts, minRows int) ([][]string, error) {
	afterLits, err := keyLiterals(st.Data, after)
	if err != nil {
		return nil, err
	}
	q := st.Data.keysetQuery()
	rows, err := queryRows(r.conn, q.Count(afterLits))
	if err != nil || len(rows) != 1 {
		return nil, fmt.Errorf("cannot count the rows of %s: %w", st.ID, err)
	}
	count, _ := strconv.ParseInt(rows[0][0], 10, 64)
	return source.SplitByCount(count, parts, minRows, func(off int64) ([]string, error) {
		rows, err := queryRows(r.conn, q.KeyAt(afterLits, off))
		if err != nil || len(rows) == 0 {
			return nil, err
		}
		return rows[0], nil
	})
}

// keyLiterals writes key values into statements (keyLiteral), refusing a value the table's key
// cannot hold: integers must be integers, as they are written as they are.
func keyLiterals(s *snapTable, key []string) ([]string, error) {
	if key == nil {
		return nil, nil
	}
	if len(key) != len(s.keyIdx) {
		return nil, fmt.Errorf("the stored snapshot key %q of table %s has %d values, its key %d columns; remove the offset field %q to read the table again from its start", key, s.id, len(key), len(s.keyIdx), source.OffsetSnapshotKey)
	}
	lits := make([]string, len(key))
	for i, k := range key {
		if s.keyKinds[i] == keyInt && !isIntLiteral(k) {
			return nil, fmt.Errorf("the stored snapshot key %q of table %s is not an integer; remove the offset field %q to read the table again from its start", key, s.id, source.OffsetSnapshotKey)
		}
		lits[i] = keyLiteral(k, s.keyKinds[i])
	}
	return lits, nil
}

// ReadRange reads a chunk of st whose keys are at most upTo (nil: no bound).
func (r *chunkReader) ReadRange(ctx context.Context, st *source.SnapshotTable[*snapTable], after, upTo []string, limit int, add func(readRecord, []string) error) error {
	s := st.Data
	afterLits, err := keyLiterals(s, after)
	if err != nil {
		return err
	}
	upToLits, err := keyLiterals(s, upTo)
	if err != nil {
		return err
	}
	q := "SELECT " + strings.Join(s.names, ", ") + " FROM " + s.quoted
	if st.Keyed {
		q = s.keysetQuery().Chunk(afterLits, upToLits, limit)
	}
	// pos maps the result's columns to the table's when the statement is the user's
	// (snapshot.select.statement.overrides): by name, as Debezium reads them; a column the
	// statement leaves out is NULL.
	var pos []int
	var perResult client.SelectPerResultCallback
	if st.Select != "" {
		q = st.Select
		perResult = func(res *gomysql.Result) error {
			pos = make([]int, len(res.Fields))
			for i, f := range res.Fields {
				pos[i] = slices.IndexFunc(s.columns, func(c string) bool { return strings.EqualFold(c, string(f.Name)) })
				if pos[i] < 0 {
					return fmt.Errorf("the snapshot.select.statement.overrides statement of table %s returns column %q, which the table does not have; select the table's columns only", s.id, f.Name)
				}
			}
			return nil
		}
	}
	var recs []*api.SourceRecord
	return r.conn.ExecuteSelectStreaming(q, &r.result, func(vals []gomysql.FieldValue) error {
		if pos == nil && len(vals) != len(s.names) {
			return fmt.Errorf("SELECT from %s returned %d columns, the table has %d", s.id, len(vals), len(s.names))
		}
		// The row's values are copied into the event's structs by Records, so one slice serves
		// every row of the reader.
		if cap(r.row) < len(s.names) {
			r.row = make([]any, len(s.names))
		}
		row := r.row[:len(s.names)]
		clear(row)
		for j := range vals {
			i := j
			if pos != nil {
				i = pos[j]
			}
			row[i] = rowValue(&vals[j])
			if b, ok := row[i].([]byte); ok && s.textCols[i] {
				row[i] = textValue(b)
			}
		}
		var key []string
		if st.Keyed {
			key = make([]string, len(s.keyIdx))
			for i, k := range s.keyIdx {
				switch v := row[k].(type) {
				case int64:
					key[i] = strconv.FormatInt(v, 10)
				case uint64:
					key[i] = strconv.FormatUint(v, 10)
				case textValue:
					key[i] = string(v)
				case []byte:
					key[i] = string(v)
				default:
					if key[i] = fmt.Sprint(v); s.keyKinds[i] == keyInt && !isIntLiteral(key[i]) {
						return fmt.Errorf("the key column %s of table %s returned %q, not an integer", s.names[k], s.id, key[i])
					}
				}
				if row[k] == nil {
					return fmt.Errorf("the key column %s of table %s returned NULL; it cannot order chunks", s.names[k], s.id)
				}
			}
		}
		src := r.t.source(&r.srcCache, s.id, s.now, envelope.SnapshotTrue)
		var err error
		recs, err = s.enc.Records(recs[:0], &envelope.Event{Op: envelope.OpRead, After: row, Source: src, Partition: r.t.partition}, false)
		if err != nil {
			return fmt.Errorf("cannot convert a row of table %s: %w", s.id, err)
		}
		return add(readRecord{rec: recs[0], src: src}, key)
	}, perResult)
}

// rowValue converts a text-protocol field: integers and floats as the server typed them,
// anything else as its bytes, which the next row overwrites.
func rowValue(fv *gomysql.FieldValue) any {
	switch fv.Type {
	case gomysql.FieldValueTypeNull:
		return nil
	case gomysql.FieldValueTypeSigned:
		return fv.AsInt64()
	case gomysql.FieldValueTypeUnsigned:
		return fv.AsUint64()
	case gomysql.FieldValueTypeFloat:
		return fv.AsFloat64()
	}
	return fv.AsString()
}

// readRecord is a snapshot record held back until its marker is known.
type readRecord struct {
	rec *api.SourceRecord
	src *api.Struct
}
