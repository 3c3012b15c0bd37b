package db2

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/connectors/envelope"
)

// driverName is the database/sql driver the connector opens: go_ibm_db's, or a test double.
var driverName = "go_ibm_db"

// sourceSchema is Db2's source block (Db2SourceInfoStructMaker): the common fields, then schema,
// table, change_lsn, commit_lsn.
var sourceSchema = changetable.SourceBuilder("io.debezium.connector.db2.Source").Build()

type dialect struct{ cfg *Config }

func newDialect(cfg *Config) *dialect { return &dialect{cfg: cfg} }

var _ changetable.Dialect = (*dialect)(nil)

// Connector implements changetable.Dialect.
func (d *dialect) Connector() string { return connectorName }

// Open implements changetable.Dialect.
func (d *dialect) Open(string) (*sql.DB, error) { return sql.Open(driverName, d.cfg.dsn()) }

// Partition is Debezium's Db2Partition: {"server": topic.prefix}.
func (d *dialect) Partition(string) map[string]any {
	return map[string]any{"server": d.cfg.TopicPrefix}
}

// Topic is <prefix>.<schema>.<table>.
func (d *dialect) Topic(id relational.TableID) string {
	return envelope.TopicName(d.cfg.TopicPrefix, id.Schema, id.Table)
}

// SourceSchema implements changetable.Dialect.
func (d *dialect) SourceSchema() *api.Schema { return sourceSchema }

// PutSource implements changetable.Dialect.
func (d *dialect) PutSource(st *api.Struct, id relational.TableID, off changetable.Offset, streaming bool) {
	changetable.PutSource(st, id, off, streaming)
}

// OffsetMap is Db2OffsetContext.getOffset's map: a snapshot's offset holds only snapshot,
// snapshot_completed and commit_lsn.
func (d *dialect) OffsetMap(o changetable.Offset) map[string]any {
	if o.Snapshot {
		return map[string]any{changetable.KeySnapshot: changetable.SnapshotInitial, changetable.KeySnapshotCompleted: o.SnapshotCompleted, changetable.KeyCommitLSN: o.Commit.String()}
	}
	return o.Map()
}

// quote quotes a Db2 identifier.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// The SQL text. The maximum-LSN, change-table list and change queries are Debezium's
// LuwPlatform statements (the change query selects the CD table's columns by name instead of
// cdc.*, so the scan does not depend on their order).
const (
	qMaxLSN = "SELECT max(t.SYNCHPOINT) FROM ( SELECT CD_NEW_SYNCHPOINT AS SYNCHPOINT FROM %[1]s.IBMSNAP_REGISTER UNION ALL SELECT SYNCHPOINT AS SYNCHPOINT FROM %[1]s.IBMSNAP_REGISTER) t"
	qTables = "select r.SOURCE_OWNER, r.SOURCE_TABLE, r.CD_OWNER, r.CD_TABLE, r.CD_NEW_SYNCHPOINT, r.CD_OLD_SYNCHPOINT, t.TBSPACEID, t.TABLEID , CAST((t.TBSPACEID * 65536 +  t.TABLEID )AS INTEGER )from " +
		"%s.IBMSNAP_REGISTER r left JOIN SYSCAT.TABLES t ON r.SOURCE_OWNER  = t.TABSCHEMA AND r.SOURCE_TABLE = t.TABNAME  WHERE r.SOURCE_OWNER <> ''"
	qCDColumns = "SELECT COLNAME FROM SYSCAT.COLUMNS WHERE TABSCHEMA = ? AND TABNAME = ? ORDER BY COLNO"
	qChanges   = "SELECT " +
		"CASE " +
		"WHEN IBMSNAP_OPERATION = 'D' AND (LEAD(cdc.IBMSNAP_OPERATION,1,'X') OVER (PARTITION BY cdc.IBMSNAP_COMMITSEQ ORDER BY cdc.IBMSNAP_INTENTSEQ)) ='I' THEN 3 " +
		"WHEN IBMSNAP_OPERATION = 'I' AND (LAG(cdc.IBMSNAP_OPERATION,1,'X') OVER (PARTITION BY cdc.IBMSNAP_COMMITSEQ ORDER BY cdc.IBMSNAP_INTENTSEQ)) ='D' THEN 4 " +
		"WHEN IBMSNAP_OPERATION = 'D' THEN 1 " +
		"WHEN IBMSNAP_OPERATION = 'I' THEN 2 " +
		"END " +
		"OPCODE, cdc.IBMSNAP_COMMITSEQ, cdc.IBMSNAP_INTENTSEQ, cdc.IBMSNAP_LOGMARKER, %s " +
		"FROM %s.%s cdc WHERE   IBMSNAP_COMMITSEQ >= ? AND IBMSNAP_COMMITSEQ <= ? " +
		"order by IBMSNAP_COMMITSEQ, IBMSNAP_INTENTSEQ"
	qColumns   = "SELECT COLNAME, TYPENAME, LENGTH, SCALE, NULLS, DEFAULT, IDENTITY, GENERATED, KEYSEQ FROM SYSCAT.COLUMNS WHERE TABSCHEMA = ? AND TABNAME = ? ORDER BY COLNO"
	qSelectAll = "SELECT %s FROM %s.%s"
)

// Database implements changetable.Dialect.
func (d *dialect) Database(h *sql.DB, _ string) changetable.Database {
	return &database{d: d, h: h}
}

type database struct {
	d *dialect
	h *sql.DB
}

// MaxLSN implements changetable.Database.
func (db *database) MaxLSN(ctx context.Context) (changetable.LSN, error) {
	return queryLSN(ctx, db.h, fmt.Sprintf(qMaxLSN, db.d.cfg.ControlSchema))
}

var queryLSN = changetable.QueryLSN

// IncrementLSN adds one to the LSN as a number, as Debezium's Db2 Lsn.increment (Db2 has no
// function for it). Debezium writes the result on 16 bytes, the width of IBMSNAP_COMMITSEQ on
// current Db2 LUW; the LSN's own width is kept here, so LSNs of one width keep comparing bytewise.
func (db *database) IncrementLSN(_ context.Context, l changetable.LSN) (changetable.LSN, error) {
	n := new(big.Int).SetBytes(l.Bytes())
	n.Add(n, big.NewInt(1))
	b := n.Bytes()
	width := max(len(l), 16)
	if len(l) > 0 {
		width = len(l)
	}
	if len(b) > width {
		return changetable.NullLSN, fmt.Errorf("LSN %s cannot be incremented within %d bytes", l, width)
	}
	out := make([]byte, width)
	copy(out[width-len(b):], b)
	return changetable.LSNFromBytes(out), nil
}

// Captures lists the registered source tables and their CD tables (IBMSNAP_REGISTER).
func (db *database) Captures(ctx context.Context, to changetable.LSN) ([]*changetable.Capture, error) {
	rows, err := db.h.QueryContext(ctx, fmt.Sprintf(qTables, db.d.cfg.ControlSchema))
	if err != nil {
		return nil, err
	}
	var out []*changetable.Capture
	for rows.Next() {
		var owner, table, cdOwner, cdTable sql.NullString
		var newSync, oldSync []byte
		var tbspace, tableID, objectID sql.NullInt64
		if err := rows.Scan(&owner, &table, &cdOwner, &cdTable, &newSync, &oldSync, &tbspace, &tableID, &objectID); err != nil {
			_ = rows.Close()
			return nil, err
		}
		c := &changetable.Capture{
			Instance: strings.TrimSpace(cdTable.String),
			Table:    relational.TableID{Schema: strings.TrimSpace(owner.String), Table: strings.TrimSpace(table.String)},
			Start:    changetable.LSNFromBytes(newSync),
			ID:       objectID.Int64,
		}
		if !to.IsNull() && c.Start.Compare(to) > 0 {
			continue
		}
		out = append(out, c)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, c := range out {
		if c.Columns, err = db.cdColumns(ctx, c.Instance); err != nil {
			return nil, fmt.Errorf("cannot read the columns of change-data table %s: %w", c.Instance, err)
		}
	}
	return out, nil
}

// cdColumns returns the captured columns of a CD table: its columns less the IBMSNAP_ ones.
func (db *database) cdColumns(ctx context.Context, cdTable string) ([]string, error) {
	return changetable.QueryNames(ctx, db.h, func(n string) bool { return !strings.HasPrefix(n, "IBMSNAP_") },
		qCDColumns, db.d.cfg.ChangeTablesSchema, cdTable)
}

// Open reads a CD table's rows between from and to; a NullLSN from reads from the start.
func (db *database) Open(ctx context.Context, c *changetable.Capture, from, to changetable.LSN) (changetable.Cursor, error) {
	if from.IsNull() {
		from = changetable.LSNFromBytes(make([]byte, 16))
	}
	cols := make([]string, len(c.Columns))
	for i, n := range c.Columns {
		cols[i] = "cdc." + quote(n)
	}
	q := fmt.Sprintf(qChanges, strings.Join(cols, ", "), db.d.cfg.ChangeTablesSchema, quote(c.Instance))
	rows, err := db.h.QueryContext(ctx, q, from.Bytes(), to.Bytes())
	if err != nil {
		return nil, err
	}
	return &cursor{rows: rows, c: c}, nil
}

type cursor struct {
	rows *sql.Rows
	c    *changetable.Capture
}

// Next implements changetable.Cursor.
func (cur *cursor) Next(context.Context) (*changetable.Row, error) {
	if !cur.rows.Next() {
		return nil, cur.rows.Err()
	}
	var op sql.NullInt64
	var commit, intent []byte
	var marker sql.NullTime
	vals := make([]any, len(cur.c.Columns))
	dest := []any{&op, &commit, &intent, &marker}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	if err := cur.rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("cannot read a row of change-data table %s: %w", cur.c.Instance, err)
	}
	if !op.Valid {
		// IBMSNAP_OPERATION 'U' (an update captured as one row) is not produced by the LUW
		// capture setups Debezium supports, and its query leaves it without a code.
		return nil, fmt.Errorf("change-data table %s has a row at %x that is neither an insert nor a delete", cur.c.Instance, commit)
	}
	r := &changetable.Row{
		Position: changetable.Position{Commit: changetable.LSNFromBytes(commit), Change: changetable.LSNFromBytes(intent)},
		Op:       changetable.Operation(op.Int64),
		Values:   vals,
	}
	if marker.Valid {
		r.Time = marker.Time
	}
	return r, nil
}

// Close implements changetable.Cursor.
func (cur *cursor) Close() error { return cur.rows.Close() }

// MinLSN cannot be told on Db2: the ASN capture prunes CD tables without recording a low-water
// mark Debezium reads, so a purged position is not detected (Debezium's Db2 connector does not
// detect it either).
func (d *dialect) MinLSN(context.Context, *sql.DB, string, *changetable.Capture) (changetable.LSN, error) {
	return changetable.NullLSN, nil
}

// Table reads the source table's structure from SYSCAT.COLUMNS (KEYSEQ gives the primary key).
func (d *dialect) Table(ctx context.Context, h *sql.DB, _ string, c *changetable.Capture) (*relational.Table, error) {
	rows, err := h.QueryContext(ctx, qColumns, c.Table.Schema, c.Table.Table)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	captured := map[string]bool{}
	for _, n := range c.Columns {
		captured[n] = true
	}
	var cols []relational.Column
	keys := map[int64]string{}
	for rows.Next() {
		var name, typ, nulls, identity, generated string
		var length, scale int64
		var def sql.NullString
		var keyseq sql.NullInt64
		if err := rows.Scan(&name, &typ, &length, &scale, &nulls, &def, &identity, &generated, &keyseq); err != nil {
			return nil, err
		}
		if len(captured) > 0 && !captured[name] {
			continue
		}
		cols = append(cols, column(name, strings.TrimSpace(typ), length, scale, nulls == "Y", def, identity == "Y", strings.TrimSpace(generated) != ""))
		if keyseq.Valid {
			keys[keyseq.Int64] = name
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s has no captured column visible to this user", c.Table)
	}
	var pk []string
	for i := int64(1); i <= int64(len(keys)); i++ {
		if n, ok := keys[i]; ok {
			pk = append(pk, n)
		}
	}
	return relational.NewTable(c.Table, cols, pk, "")
}

// BeginSnapshot sets the isolation of snapshot.isolation.mode (JDBC's levels on Db2: UR, CS, RS)
// and, for exclusive, locks the captured tables.
func (d *dialect) BeginSnapshot(ctx context.Context, conn *sql.Conn, tables []relational.TableID) (*sql.Tx, error) {
	level := map[string]string{isoReadUncommitted: "UR", isoReadCommitted: "CS", isoRepeatableRead: "RS", isoExclusive: "RS"}[d.cfg.Isolation]
	if level == "" {
		level = "RS"
	}
	var lock func(relational.TableID) string
	if d.cfg.Isolation == isoExclusive {
		lock = func(id relational.TableID) string {
			return fmt.Sprintf("LOCK TABLE %s.%s IN EXCLUSIVE MODE", quote(id.Schema), quote(id.Table))
		}
	}
	return changetable.BeginSnapshot(ctx, conn, "SET CURRENT ISOLATION = "+level, tables, lock)
}

// SnapshotLSN implements changetable.Dialect.
func (d *dialect) SnapshotLSN(ctx context.Context, tx *sql.Tx, _ string) (changetable.LSN, error) {
	return queryLSN(ctx, tx, fmt.Sprintf(qMaxLSN, d.cfg.ControlSchema))
}

// SelectAll implements changetable.Dialect.
func (d *dialect) SelectAll(id relational.TableID, columns []string) string {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = quote(c)
	}
	return fmt.Sprintf(qSelectAll, strings.Join(cols, ", "), quote(id.Schema), quote(id.Table))
}
