package sqlserver

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/connectors/envelope"

	// The driver registers itself as "sqlserver".
	_ "github.com/microsoft/go-mssqldb"
)

// driverName is the database/sql driver the connector opens: go-mssqldb's, or a test double.
var driverName = "sqlserver"

// sourceSchema is SQL Server's source block (SqlServerSourceInfoStructMaker): the common fields,
// then schema, table, change_lsn, commit_lsn, event_serial_no.
var sourceSchema = changetable.SourceBuilder("io.debezium.connector.sqlserver.Source").
	Field("event_serial_no", api.OptionalInt64Schema).
	Build()

// srcEventSerialNo is the index of the source block's own field.
const srcEventSerialNo = changetable.SourceOwnFields

// dialect is SQL Server's part of the change-table task.
type dialect struct{ cfg *Config }

func newDialect(cfg *Config) *dialect { return &dialect{cfg: cfg} }

var _ changetable.Dialect = (*dialect)(nil)

// Connector implements changetable.Dialect.
func (d *dialect) Connector() string { return connectorName }

// Open implements changetable.Dialect.
func (d *dialect) Open(db string) (*sql.DB, error) { return sql.Open(driverName, d.cfg.dsn(db)) }

// Partition is Debezium's SqlServerPartition: {"server": topic.prefix, "database": db}.
func (d *dialect) Partition(db string) map[string]any {
	return map[string]any{"server": d.cfg.TopicPrefix, "database": db}
}

// Topic is <prefix>.<database>.<schema>.<table>.
func (d *dialect) Topic(id relational.TableID) string {
	return envelope.TopicName(d.cfg.TopicPrefix, id.Catalog, id.Schema, id.Table)
}

// SourceSchema implements changetable.Dialect.
func (d *dialect) SourceSchema() *api.Schema { return sourceSchema }

// PutSource fills schema, table and the LSNs. Snapshot events carry the snapshot's commit LSN
// only: change_lsn and event_serial_no are null, as in Debezium's documented snapshot example.
func (d *dialect) PutSource(st *api.Struct, id relational.TableID, off changetable.Offset, streaming bool) {
	changetable.PutSource(st, id, off, streaming)
	if streaming && !off.Change.IsNull() {
		st.PutIndex(srcEventSerialNo, off.EventSerialNo)
	}
}

// OffsetMap is SqlServerOffsetContext.getOffset's map.
func (d *dialect) OffsetMap(o changetable.Offset) map[string]any { return o.Map() }

// quote quotes an identifier in brackets, doubling ']' (QUOTENAME).
func quote(s string) string { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }

// The SQL text, after Debezium's SqlServerConnection; [db] is the quoted database name.
const (
	qMaxLSN       = "SELECT %s.sys.fn_cdc_get_max_lsn()"
	qIncrementLSN = "SELECT %s.sys.fn_cdc_increment_lsn(@p1)"
	qMinLSN       = "SELECT %s.sys.fn_cdc_get_min_lsn(@p1)"
	qCapturedCols = "SELECT object_id, column_name FROM %s.cdc.captured_columns ORDER BY object_id, column_id"
	// Newest first among instances sharing a start LSN, as Debezium's ordered_change_tables.
	qChangeTables = "SELECT OBJECT_SCHEMA_NAME(ct.source_object_id, DB_ID(@p1)), OBJECT_NAME(ct.source_object_id, DB_ID(@p1)), ct.capture_instance, ct.object_id, ct.start_lsn " +
		"FROM %s.cdc.change_tables AS ct ORDER BY ct.start_lsn, ct.create_date DESC"
	qChanges = "SELECT %s[__$start_lsn], [__$seqval], [__$operation], [__$update_mask], %s, " +
		"TODATETIMEOFFSET(%s.sys.fn_cdc_map_lsn_to_time([__$start_lsn]), DATEPART(TZOFFSET, SYSDATETIMEOFFSET())) " +
		"FROM %s.cdc.%s(@p1, @p2, N'all update old') " +
		"WHERE (([__$start_lsn] = @p3 AND [__$seqval] = @p4 AND [__$operation] > @p5) OR ([__$start_lsn] = @p6 AND [__$seqval] > @p7) OR ([__$start_lsn] > @p8)) " +
		"AND [__$start_lsn] <= @p9 ORDER BY [__$start_lsn] ASC, [__$seqval] ASC, [__$operation] ASC"
	qColumns = "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.DATETIME_PRECISION, c.IS_NULLABLE, c.COLUMN_DEFAULT, " +
		"COLUMNPROPERTY(OBJECT_ID(QUOTENAME(c.TABLE_SCHEMA) + '.' + QUOTENAME(c.TABLE_NAME)), c.COLUMN_NAME, 'IsIdentity'), " +
		"COLUMNPROPERTY(OBJECT_ID(QUOTENAME(c.TABLE_SCHEMA) + '.' + QUOTENAME(c.TABLE_NAME)), c.COLUMN_NAME, 'IsComputed') " +
		"FROM %s.INFORMATION_SCHEMA.COLUMNS AS c WHERE c.TABLE_SCHEMA = @p1 AND c.TABLE_NAME = @p2 ORDER BY c.ORDINAL_POSITION"
	qPrimaryKey = "SELECT k.COLUMN_NAME FROM %s.INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS t " +
		"JOIN %s.INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = t.CONSTRAINT_NAME " +
		"WHERE t.CONSTRAINT_TYPE = 'PRIMARY KEY' AND t.TABLE_SCHEMA = @p1 AND t.TABLE_NAME = @p2 ORDER BY k.ORDINAL_POSITION"
	qSelectAll = "SELECT %s FROM %s.%s.%s"
	qLockTable = "SELECT TOP(0) * FROM %s.%s.%s WITH (TABLOCKX)"
)

// zeroLSN is Debezium's Lsn.ZERO, the seqval before every row.
var zeroLSN = make([]byte, 10)

// Database implements changetable.Dialect.
func (d *dialect) Database(h *sql.DB, db string) changetable.Database {
	return &database{d: d, h: h, db: db, qdb: quote(db)}
}

// database runs the streaming queries of one database.
type database struct {
	d   *dialect
	h   *sql.DB
	db  string
	qdb string
}

var queryLSN = changetable.QueryLSN

// MaxLSN implements changetable.Database.
func (db *database) MaxLSN(ctx context.Context) (changetable.LSN, error) {
	return queryLSN(ctx, db.h, fmt.Sprintf(qMaxLSN, db.qdb))
}

// IncrementLSN implements changetable.Database.
func (db *database) IncrementLSN(ctx context.Context, l changetable.LSN) (changetable.LSN, error) {
	return queryLSN(ctx, db.h, fmt.Sprintf(qIncrementLSN, db.qdb), l.Bytes())
}

// Captures lists the capture instances with their captured columns; with to set, only those
// whose start LSN is at most to.
func (db *database) Captures(ctx context.Context, to changetable.LSN) ([]*changetable.Capture, error) {
	cols := map[int64][]string{}
	rows, err := db.h.QueryContext(ctx, fmt.Sprintf(qCapturedCols, db.qdb))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			_ = rows.Close()
			return nil, err
		}
		cols[id] = append(cols[id], name)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.h.QueryContext(ctx, fmt.Sprintf(qChangeTables, db.qdb), db.db)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []*changetable.Capture
	seen := map[string]bool{}
	for rows.Next() {
		var schema, table, instance sql.NullString
		var id int64
		var start []byte
		if err := rows.Scan(&schema, &table, &instance, &id, &start); err != nil {
			return nil, err
		}
		c := &changetable.Capture{
			Instance: instance.String,
			Table:    relational.TableID{Catalog: db.db, Schema: schema.String, Table: table.String},
			Columns:  cols[id],
			Start:    changetable.LSNFromBytes(start),
			ID:       id,
		}
		if !to.IsNull() && c.Start.Compare(to) > 0 {
			continue
		}
		// Debezium keeps one instance per (table, start LSN): the newest.
		k := c.Table.String() + "\x00" + string(c.Start)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, c)
	}
	return out, rows.Err()
}

// Open reads a capture instance's rows from max(from, its start) to to, a page of
// streaming.fetch.size rows at a time when it is set.
func (db *database) Open(ctx context.Context, c *changetable.Capture, from, to changetable.LSN) (changetable.Cursor, error) {
	if c.Start.Compare(from) > 0 {
		from = c.Start
	}
	if from.IsNull() {
		m, err := db.d.MinLSN(ctx, db.h, db.db, c)
		if err != nil {
			return nil, err
		}
		from = m
	}
	cols := make([]string, len(c.Columns))
	for i, n := range c.Columns {
		cols[i] = quote(n)
	}
	top := ""
	if db.d.cfg.FetchSize > 0 {
		top = fmt.Sprintf("TOP %d ", db.d.cfg.FetchSize)
	}
	q := fmt.Sprintf(qChanges, top, strings.Join(cols, ", "), db.qdb, db.qdb, quote("fn_cdc_get_all_changes_"+c.Instance))
	return &cursor{db: db, q: q, c: c, from: from, to: to, page: db.d.cfg.FetchSize}, nil
}

// cursor pages through one capture instance's rows with Debezium's keyset condition: after the
// last row seen, by start LSN, seqval and operation.
type cursor struct {
	db       *database
	q        string
	c        *changetable.Capture
	from, to changetable.LSN
	page     int

	rows   *sql.Rows
	inPage int
	last   *changetable.Row
	done   bool
}

func (cur *cursor) query(ctx context.Context) error {
	from, seq, op := cur.from.Bytes(), zeroLSN, 0
	if cur.last != nil {
		from, seq, op = cur.last.Commit.Bytes(), cur.last.Change.Bytes(), int(cur.last.Op)
	}
	rows, err := cur.db.h.QueryContext(ctx, cur.q, from, cur.to.Bytes(), from, seq, op, from, seq, from, cur.to.Bytes())
	if err != nil {
		return err
	}
	cur.rows, cur.inPage = rows, 0
	return nil
}

// Next returns the next row, querying the next page when one ends full.
func (cur *cursor) Next(ctx context.Context) (*changetable.Row, error) {
	for {
		if cur.done {
			return nil, nil
		}
		if cur.rows == nil {
			if err := cur.query(ctx); err != nil {
				return nil, err
			}
		}
		if cur.rows.Next() {
			r, err := cur.scan()
			if err != nil {
				return nil, err
			}
			cur.inPage++
			cur.last = r
			return r, nil
		}
		if err := cur.rows.Err(); err != nil {
			return nil, err
		}
		_ = cur.rows.Close()
		cur.rows = nil
		if cur.page <= 0 || cur.inPage < cur.page {
			cur.done = true
		}
	}
}

func (cur *cursor) scan() (*changetable.Row, error) {
	n := len(cur.c.Columns)
	var start, seq, mask []byte
	var op int64
	var ts sql.NullTime
	vals := make([]any, n)
	dest := make([]any, 0, n+5)
	dest = append(dest, &start, &seq, &op, &mask)
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	dest = append(dest, &ts)
	if err := cur.rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("cannot read a row of capture instance %s: %w", cur.c.Instance, err)
	}
	r := &changetable.Row{
		Position: changetable.Position{Commit: changetable.LSNFromBytes(start), Change: changetable.LSNFromBytes(seq)},
		Op:       changetable.Operation(op),
		Values:   vals,
	}
	if ts.Valid {
		r.Time = ts.Time
	}
	return r, nil
}

// Close implements changetable.Cursor.
func (cur *cursor) Close() error {
	if cur.rows != nil {
		return cur.rows.Close()
	}
	return nil
}

// MinLSN implements changetable.Dialect.
func (d *dialect) MinLSN(ctx context.Context, h *sql.DB, db string, c *changetable.Capture) (changetable.LSN, error) {
	return queryLSN(ctx, h, fmt.Sprintf(qMinLSN, quote(db)), c.Instance)
}

// Table reads the source table's structure from INFORMATION_SCHEMA, keeping the captured
// columns (Debezium's getTableSchemaFromTable keeps those the change table holds).
func (d *dialect) Table(ctx context.Context, h *sql.DB, db string, c *changetable.Capture) (*relational.Table, error) {
	qdb := quote(db)
	rows, err := h.QueryContext(ctx, fmt.Sprintf(qColumns, qdb), c.Table.Schema, c.Table.Table)
	if err != nil {
		return nil, err
	}
	captured := map[string]bool{}
	for _, n := range c.Columns {
		captured[strings.ToLower(n)] = true
	}
	var cols []relational.Column
	for rows.Next() {
		var name, typ, nullable string
		var length, precision, scale, dtPrecision, identity, computed sql.NullInt64
		var def sql.NullString
		if err := rows.Scan(&name, &typ, &length, &precision, &scale, &dtPrecision, &nullable, &def, &identity, &computed); err != nil {
			_ = rows.Close()
			return nil, err
		}
		if len(captured) > 0 && !captured[strings.ToLower(name)] {
			continue
		}
		cols = append(cols, column(name, typ, length, precision, scale, dtPrecision, nullable == "YES", def, identity.Int64 == 1, computed.Int64 == 1))
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s has no captured column visible to this user", c.Table)
	}
	pk, err := changetable.QueryNames(ctx, h, func(n string) bool { return len(captured) == 0 || captured[strings.ToLower(n)] },
		fmt.Sprintf(qPrimaryKey, qdb, qdb), c.Table.Schema, c.Table.Table)
	if err != nil {
		return nil, err
	}
	return relational.NewTable(c.Table, cols, pk, "")
}

// BeginSnapshot sets the isolation level of snapshot.isolation.mode and, for exclusive, locks the
// captured tables for the transaction (Debezium's SqlServerSnapshotChangeEventSource).
func (d *dialect) BeginSnapshot(ctx context.Context, conn *sql.Conn, tables []relational.TableID) (*sql.Tx, error) {
	level := map[string]string{
		isoReadUncommitted: "READ UNCOMMITTED", isoReadCommitted: "READ COMMITTED",
		isoRepeatableRead: "REPEATABLE READ", isoSnapshot: "SNAPSHOT", isoExclusive: "REPEATABLE READ",
	}[d.cfg.Isolation]
	if level == "" {
		level = "REPEATABLE READ"
	}
	var lock func(relational.TableID) string
	if d.cfg.Isolation == isoExclusive {
		lock = func(id relational.TableID) string {
			return fmt.Sprintf(qLockTable, quote(id.Catalog), quote(id.Schema), quote(id.Table))
		}
	}
	return changetable.BeginSnapshot(ctx, conn, "SET TRANSACTION ISOLATION LEVEL "+level, tables, lock)
}

// SnapshotLSN implements changetable.Dialect.
func (d *dialect) SnapshotLSN(ctx context.Context, tx *sql.Tx, db string) (changetable.LSN, error) {
	return queryLSN(ctx, tx, fmt.Sprintf(qMaxLSN, quote(db)))
}

// SelectAll implements changetable.Dialect.
func (d *dialect) SelectAll(id relational.TableID, columns []string) string {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = quote(c)
	}
	return fmt.Sprintf(qSelectAll, strings.Join(cols, ", "), quote(id.Catalog), quote(id.Schema), quote(id.Table))
}
