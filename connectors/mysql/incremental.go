package mysql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/signals"
)

// incrementalDB gives the shared incremental snapshot engine (source.Incremental) its reads of
// MySQL/MariaDB tables and its writes into the signal table. Reads and writes use a connection
// of their own, on the engine's goroutine; read events are built on the streaming goroutine.
type incrementalDB struct {
	t    *Task
	conn *source.EngineConn[*client.Conn]
	// signal is signal.data.collection, kept here: the engine's goroutine may still be writing
	// a marker while the task's signals close.
	signal string

	// folds holds, by collection and lower-cased column name, how the collations of the text
	// columns make keys equal (FoldKey): written by describe on the engine's goroutine, read
	// on the streaming goroutine.
	fmu   sync.Mutex
	folds map[string]map[string]func(string) string
}

// startIncremental sets up signals and the incremental snapshot engine from the stored offset.
func (t *Task) startIncremental(ctx context.Context, stored map[string]any) error {
	return t.OpenSignals(ctx, source.SignalSource{Log: t.log, Emit: t.put,
		DB: func(cfg *signals.Config) (source.IncrementalDB, func()) {
			db := &incrementalDB{t: t, signal: cfg.DataCollection, conn: source.NewEngineConn(t.connect,
				func(_ context.Context, c *client.Conn) bool { return c.Ping() == nil }, func(c *client.Conn) { c.Close() })}
			if t.cfg.ReadOnly {
				return &readOnlyDB{db}, db.conn.Close
			}
			return db, db.conn.Close
		}}, stored)
}

// put queues records as emit does, without showing them to the incremental snapshot engine:
// the engine's own records (reads, notifications).
func (t *Task) put(ctx context.Context, recs []*api.SourceRecord) error {
	for _, r := range recs {
		if r.Topic != "" && (t.tx == nil || r.Topic != t.tx.TopicName()) && r.SourcePartition != nil {
			source.AddHeaders(r, t.Headers)
		}
		if err := t.Reader.Put(ctx, r, nil, 0); err != nil {
			return err
		}
	}
	return nil
}

// Tables returns the captured tables, db.table. It runs on the engine's goroutine, which must
// not read the table model (the streaming goroutine changes it on DDL), so it asks the server.
func (d *incrementalDB) Tables() []string {
	var rows [][]string
	err := d.conn.Do(context.Background(), func(conn *client.Conn) (err error) {
		rows, err = queryRows(conn, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY 1, 2")
		return err
	})
	if err != nil {
		d.t.log.Warn("cannot list the tables an incremental snapshot may read", "error", err)
		return nil
	}
	var out []string
	for _, r := range rows {
		id := relational.TableID{Catalog: r[0], Table: r[1]}
		if d.t.schema.captured(id) {
			out = append(out, id.String())
		}
	}
	return out
}

// incColumn is a column as information_schema describes it.
type incColumn struct {
	name, dataType, columnType, collation string
	kind                                  keyKind
}

// describe reads the collection's columns and chunk key from information_schema, on the
// engine's connection: the table model belongs to the streaming goroutine.
func (d *incrementalDB) describe(conn *client.Conn, c *source.Collection) (*incTable, error) {
	id, ok := parseTableID(c.ID)
	if !ok {
		return nil, fmt.Errorf("%q is not a db.table name", c.ID)
	}
	lit := func(s string) string {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	}
	rows, err := queryRows(conn, "SELECT COLUMN_NAME, UPPER(DATA_TYPE), LOWER(COLUMN_TYPE), IFNULL(COLLATION_NAME, '') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "+
		lit(id.Catalog)+" AND TABLE_NAME = "+lit(id.Table)+" ORDER BY ORDINAL_POSITION")
	if err != nil {
		return nil, fmt.Errorf("cannot read the columns of %s: %w", c.ID, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("table %s does not exist", c.ID)
	}
	cols := make([]incColumn, len(rows))
	for i, r := range rows {
		cols[i] = incColumn{name: r[0], dataType: r[1], columnType: r[2], collation: r[3], kind: keyKindOf(r[1])}
	}
	var key []int
	if c.SurrogateKey != "" {
		for i := range cols {
			if strings.EqualFold(cols[i].name, c.SurrogateKey) {
				key = []int{i}
			}
		}
		if key == nil {
			return nil, fmt.Errorf("table %s has no column %q (surrogate-key)", c.ID, c.SurrogateKey)
		}
	} else {
		pk, err := queryRows(conn, "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_NAME = 'PRIMARY' AND TABLE_SCHEMA = "+
			lit(id.Catalog)+" AND TABLE_NAME = "+lit(id.Table)+" ORDER BY ORDINAL_POSITION")
		if err != nil {
			return nil, fmt.Errorf("cannot read the primary key of %s: %w", c.ID, err)
		}
		for _, r := range pk {
			for i := range cols {
				if cols[i].name == r[0] {
					key = append(key, i)
				}
			}
		}
		if len(key) == 0 {
			return nil, fmt.Errorf("table %s has no primary key; give a surrogate-key to read it incrementally", c.ID)
		}
	}
	for _, k := range key {
		if cols[k].kind == keyNone {
			return nil, fmt.Errorf("key column %s of %s is %s; connectd's incremental snapshots chunk by integer, CHAR/VARCHAR and DATE/DATETIME keys", cols[k].name, c.ID, cols[k].columnType)
		}
	}
	d.setFolds(c.ID, cols)
	tb := &incTable{id: id, cols: cols, key: key, sql: source.KeysetSQL{From: quoteID(id)}}
	for _, k := range key {
		tb.sql.Key = append(tb.sql.Key, quoteCol(cols[k].name))
	}
	tb.sql.Bound = func(vals []any, op string) (string, error) {
		lits := make([]string, len(vals))
		for i, v := range vals {
			col := &cols[key[i]]
			switch x := v.(type) {
			case int16, int32, int64:
				if col.kind == keyInt {
					lits[i] = fmt.Sprint(x)
					continue
				}
			case string:
				if col.kind != keyInt {
					lits[i] = keyLiteral(x, col.kind)
					continue
				}
			}
			return "", fmt.Errorf("the chunk key value %v (%T) does not fit key column %s (%s) of %s; stop the snapshot (stop-snapshot) and signal it again", v, v, col.name, col.columnType, c.ID)
		}
		return source.KeyCondition(tb.sql.Key, lits, op, false, true), nil
	}
	return tb, nil
}

// setFolds records how the text columns of collection id compare.
func (d *incrementalDB) setFolds(id string, cols []incColumn) {
	m := map[string]func(string) string{}
	for i := range cols {
		if f := collationFold(cols[i].collation); f != nil {
			m[strings.ToLower(cols[i].name)] = f
		}
	}
	d.fmu.Lock()
	defer d.fmu.Unlock()
	if d.folds == nil {
		d.folds = map[string]map[string]func(string) string{}
	}
	d.folds[id] = m
}

// FoldKey folds a text key value of collection c as its column's collation compares it, so a
// streamed change drops the buffered read of its row even when the two keys differ only in case
// or trailing spaces.
func (d *incrementalDB) FoldKey(c *source.Collection, column, v string) string {
	d.fmu.Lock()
	f := d.folds[c.ID][strings.ToLower(column)]
	d.fmu.Unlock()
	if f == nil {
		return v
	}
	return f(v)
}

// collationFold returns how collation coll makes strings that differ in bytes equal, as far as
// connectd can tell without asking the server, or nil when it compares them exactly: PAD SPACE
// collations (all but MariaDB's nopad and MySQL's 0900 ones) ignore trailing spaces, and
// case-insensitive ones ASCII case (but Turkish and Azeri, whose I and i differ). What it does not
// model (accents, the case of other scripts, expansions) it keeps apart, so two keys it folds
// alike are always equal for the server; two it keeps apart are compared exactly, as Debezium
// compares every key.
func collationFold(coll string) func(string) string {
	coll = strings.ToLower(coll)
	if coll == "" || coll == "binary" {
		return nil
	}
	pad := !strings.Contains(coll, "nopad") && !strings.Contains(coll, "_0900_")
	ci := strings.HasSuffix(coll, "_ci") && !strings.Contains(coll, "turkish") && !strings.Contains(coll, "azeri")
	if !pad && !ci {
		return nil
	}
	return func(s string) string {
		if pad {
			s = strings.TrimRight(s, " ")
		}
		if ci {
			s = strings.Map(func(r rune) rune {
				if r >= 'A' && r <= 'Z' {
					return r + 'a' - 'A'
				}
				return r
			}, s)
		}
		return s
	}
}

func parseTableID(s string) (relational.TableID, bool) {
	i := strings.IndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return relational.TableID{}, false
	}
	return relational.TableID{Catalog: s[:i], Table: s[i+1:]}, true
}

func quoteCol(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// keyValue turns a key column's text into the Java type Debezium's offsets hold: Integer for
// the INT family, Long for BIGINT and INT UNSIGNED, String for text and dates.
func keyValue(col *incColumn, s string) (any, error) {
	if col.kind != keyInt {
		return s, nil // Java String, which Debezium binds as a string the server converts
	}
	unsigned := strings.Contains(col.columnType, "unsigned")
	if col.dataType == "BIGINT" || col.dataType == "INT" && unsigned {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		return nil, fmt.Errorf("key value %q of column %s does not fit a signed 64-bit integer", s, col.name)
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("key value %q of column %s is not an integer", s, col.name)
	}
	return int32(n), nil
}

// incTable is a collection as information_schema describes it.
type incTable struct {
	id   relational.TableID
	cols []incColumn
	key  []int
	sql  source.KeysetSQL
}

// keyOf converts the key columns' texts of a row.
func (tb *incTable) keyOf(text func(col int) string) ([]any, error) {
	return source.ConvertKey(len(tb.key), func(i int) (any, error) { return keyValue(&tb.cols[tb.key[i]], text(tb.key[i])) })
}

// MaxKey reads the largest key of the collection's rows.
func (d *incrementalDB) MaxKey(ctx context.Context, c *source.Collection) (max []any, err error) {
	err = d.conn.Do(ctx, func(conn *client.Conn) error {
		tb, err := d.describe(conn, c)
		if err != nil {
			return err
		}
		rows, err := queryRows(conn, tb.sql.MaxKeyQuery(strings.Join(tb.sql.Key, ", "), c))
		if err != nil || len(rows) == 0 {
			return err
		}
		max, err = source.ConvertKey(len(tb.key), func(i int) (any, error) { return keyValue(&tb.cols[tb.key[i]], rows[0][i]) })
		return err
	})
	return max, err
}

// ReadChunk reads the rows after after up to max in key order. Values stay as the server sent
// them (text as bytes); ReadRecords converts them with the table model.
func (d *incrementalDB) ReadChunk(ctx context.Context, c *source.Collection, after, max []any, limit int) (out []source.ChunkRow, err error) {
	err = d.conn.Do(ctx, func(conn *client.Conn) error {
		out, err = d.readChunk(conn, c, after, max, limit)
		return err
	})
	return out, err
}

func (d *incrementalDB) readChunk(conn *client.Conn, c *source.Collection, after, max []any, limit int) ([]source.ChunkRow, error) {
	tb, err := d.describe(conn, c)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(tb.cols))
	quoted := make([]string, len(tb.cols))
	for i := range tb.cols {
		names[i] = tb.cols[i].name
		quoted[i] = quoteCol(tb.cols[i].name)
	}
	q, err := tb.sql.ChunkQuery(strings.Join(quoted, ", "), c, after, max, limit)
	if err != nil {
		return nil, err
	}
	var out []source.ChunkRow
	var result gomysql.Result
	err = conn.ExecuteSelectStreaming(q, &result, func(vals []gomysql.FieldValue) error {
		if len(vals) != len(tb.cols) {
			return fmt.Errorf("SELECT from %s returned %d columns, want %d", c.ID, len(vals), len(tb.cols))
		}
		row := make([]any, len(vals))
		for i := range vals {
			row[i] = rowValue(&vals[i])
			if b, ok := row[i].([]byte); ok {
				row[i] = bytes.Clone(b) // the rows are kept until the window closes
			}
		}
		k, err := tb.keyOf(func(col int) string { return keyText(row[col]) })
		if err != nil {
			return err
		}
		out = append(out, source.ChunkRow{Key: k, Values: row, Columns: names})
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot read a chunk of %s: %w", c.ID, err)
	}
	return out, nil
}

// WriteSignal inserts a watermark row into the signal table.
func (d *incrementalDB) WriteSignal(ctx context.Context, id, typ, data string) error {
	sig, ok := parseTableID(d.signal)
	if !ok {
		return fmt.Errorf("signal.data.collection=%q is not a db.table name", d.signal)
	}
	q := "INSERT INTO " + quoteID(sig) + " VALUES ('" + strings.ReplaceAll(id, "'", "''") + "', '" + strings.ReplaceAll(typ, "'", "''") + "', '" + strings.ReplaceAll(strings.ReplaceAll(data, `\`, `\\`), "'", "''") + "')"
	return d.conn.Do(ctx, func(conn *client.Conn) error {
		r, err := conn.Execute(q)
		if err == nil {
			r.Close()
		}
		return err
	})
}

// ReadRecords builds the read events of a chunk row on the streaming goroutine, placing the
// values by column name into the table model's order.
func (d *incrementalDB) ReadRecords(c *source.Collection, row source.ChunkRow, offset map[string]any, marker envelope.Snapshot) ([]*api.SourceRecord, error) {
	t := d.t
	id, _ := parseTableID(c.ID)
	enc, err := t.schema.encoder(id)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("no record builder for %s: %v", c.ID, err)
	}
	tbl := t.schema.tables.Get(id)
	if tbl == nil || len(tbl.Columns) != len(row.Values) {
		return nil, fmt.Errorf("the structure of %s changed while a chunk was read", c.ID)
	}
	vals := make([]any, len(tbl.Columns))
	for i := range tbl.Columns {
		col := &tbl.Columns[i]
		v, err := row.Value(c, i, col.Name, true)
		if err != nil {
			return nil, err
		}
		if b, ok := v.([]byte); ok {
			typ, _ := baseType(col)
			if isCharType(typ) && charsetDecoder(col.CharsetName) != nil || typ == "INET4" || typ == "INET6" || typ == "UUID" {
				v = textValue(b)
			}
		}
		vals[i] = v
	}
	src := t.source(nil, id, time.Now(), marker)
	return enc.Records(nil, &envelope.Event{Op: envelope.OpRead, After: vals, Source: src, Partition: t.partition, Offset: offset}, false)
}

// keyText is a key column value as text.
func keyText(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case textValue:
		return string(x)
	}
	return fmt.Sprint(v)
}

// readOnlyDB is the incremental snapshot source of read.only=true: chunks are read in a
// transaction consistent with the binlog, between the executed GTID sets read before and after
// them, and nothing is written.
type readOnlyDB struct {
	*incrementalDB
}

// Watermark reads the executed GTID set: MariaDB's gtid_binlog_pos, MySQL's gtid_executed.
func (d *readOnlyDB) Watermark(ctx context.Context) (string, error) {
	q := "SELECT @@global.gtid_executed"
	if d.t.flavor == FlavorMariaDB {
		q = "SELECT @@gtid_binlog_pos"
	}
	var pos string
	err := d.conn.Do(ctx, func(conn *client.Conn) error {
		rows, err := queryRows(conn, q)
		if err == nil && len(rows) == 1 && len(rows[0]) == 1 {
			pos = strings.TrimSpace(strings.NewReplacer("\n", "", "\r", "").Replace(rows[0][0]))
		}
		return err
	})
	if err == nil && pos == "" {
		err = errors.New("the server has no executed GTIDs; read-only incremental snapshots need GTIDs (MySQL: gtid_mode=ON)")
	}
	return pos, err
}

// ReadChunk reads a chunk in a transaction WITH CONSISTENT SNAPSHOT: on MariaDB it sees exactly
// the transactions binlogged before it started, so none the stream showed before the chunk
// began can be missing from it.
func (d *readOnlyDB) ReadChunk(ctx context.Context, c *source.Collection, after, max []any, limit int) (out []source.ChunkRow, err error) {
	err = d.conn.Do(ctx, func(conn *client.Conn) error {
		r, err := conn.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
		if err != nil {
			return fmt.Errorf("cannot start the read of a chunk of %s: %w", c.ID, err)
		}
		r.Close()
		out, err = d.readChunk(conn, c, after, max, limit)
		if r, cerr := conn.Execute("COMMIT"); cerr == nil {
			r.Close()
		} else if err == nil {
			err = cerr
		}
		return err
	})
	return out, err
}

// WriteSignal refuses: a read-only connector writes nothing to the source.
func (d *readOnlyDB) WriteSignal(context.Context, string, string, string) error {
	return errors.New("read.only=true: connectd writes nothing to the source")
}

// watermarkReached says whether the stream has passed the high watermark of a read-only chunk:
// every GTID in it has been streamed. A MariaDB domain the stream has seen no GTID of yet (it
// started from a file and position) counts as passed when the chunk's read did not change it.
func (s *streamer) watermarkReached(low, high string) bool {
	if s.t.flavor == FlavorMariaDB {
		lo, err1 := parseMariaGTIDSet(low)
		hi, err2 := parseMariaGTIDSet(high)
		if err1 != nil || err2 != nil {
			return true // never stall the snapshot on a position the server wrote oddly
		}
		for d, h := range hi {
			cur, seen := s.gtids.maria[d]
			if seen && cur.Seq >= h.Seq {
				continue
			}
			if l, ok := lo[d]; !seen && ok && l.Seq == h.Seq {
				continue
			}
			return false
		}
		return true
	}
	hi, err := gomysql.ParseMysqlGTIDSet(high)
	if err != nil || s.gtids.mysql == nil {
		return true
	}
	return s.gtids.mysql.Contain(hi)
}

// passWatermarks lets a read-only incremental snapshot close its chunk's window, or a blocking
// snapshot run, between transactions.
func (s *streamer) passWatermarks(ctx context.Context) error {
	t := s.t
	if t.pos.inTx || !t.Signals.Inc.WaitsForStream() {
		return nil
	}
	return t.Signals.Inc.Passed(ctx, t.offset(), s.watermarkReached)
}
