package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/signals"
)

// incrementalDB gives the shared incremental snapshot engine (source.Incremental) its reads of
// PostgreSQL tables and its writes into the signal table, on a connection of its own used by
// the engine's goroutine. Rows travel as the server's text values and are decoded into read
// events on the streaming goroutine, which owns the table structures.
type incrementalDB struct {
	t      *Task
	tables []string                 // captured tables, schema.table, as listed at start
	byID   map[string]*catalogTable // the catalog entries of those tables (read-only)
	signal string                   // signal.data.collection
	conn   *source.EngineConn[*pgconn.PgConn]

	mu sync.Mutex
	// snap is the snapshot of the last chunk read: what it did not see (ChunkVisibility).
	snap chunkSnapshot
	// built holds the structures of tables read before the stream described them; streaming
	// goroutine only.
	built map[string]*table
}

// startIncremental sets up signals and the incremental snapshot engine from the stored offset.
func (t *Task) startIncremental(stored map[string]any, captured []*catalogTable) error {
	return t.OpenSignals(context.Background(), source.SignalSource{Log: t.log, Emit: t.putQuiet,
		// The PostgreSQL reference is Debezium 3.7: its incremental snapshot format.
		Configure: func(cfg *signals.Config) { cfg.Debezium37 = true },
		DB: func(cfg *signals.Config) (source.IncrementalDB, func()) {
			db := &incrementalDB{t: t, byID: map[string]*catalogTable{}, signal: cfg.DataCollection, built: map[string]*table{},
				conn: source.NewEngineConn(func(ctx context.Context) (*pgconn.PgConn, error) { return t.cfg.connect(ctx, false) },
					func(ctx context.Context, c *pgconn.PgConn) bool { return !c.IsClosed() && c.Ping(ctx) == nil }, closeConn)}
			for _, ct := range captured {
				id := ct.ID.Schema + "." + ct.ID.Table
				db.tables = append(db.tables, id)
				c := *ct
				db.byID[id] = &c
			}
			return db, db.conn.Close
		}}, stored)
}

// putQuiet queues the engine's own records (reads, notifications) without showing them to the
// engine again and without touching the replication connection, which belongs to the
// streaming goroutine.
func (t *Task) putQuiet(ctx context.Context, recs []*api.SourceRecord) error {
	for _, r := range recs {
		if err := t.Reader.Put(ctx, r, nil, 0); err != nil {
			return err
		}
	}
	return nil
}

// Tables returns the captured tables, schema.table.
func (d *incrementalDB) Tables() []string { return d.tables }

// keyCol is a chunk key column: its quoted name and type OID.
type keyCol struct {
	name string
	oid  uint32
}

// incTable is a collection as the catalog describes it, with the statements that read it.
type incTable struct {
	ct  *catalogTable
	key []keyCol
	sql source.KeysetSQL
	// args collects the parameters Bound writes placeholders for, one statement at a time.
	args []string
}

// describe reads the collection's columns and chunk key from the catalog, on the engine's
// connection.
func (d *incrementalDB) describe(ctx context.Context, conn *pgconn.PgConn, c *source.Collection) (*incTable, error) {
	base := d.byID[c.ID]
	if base == nil {
		return nil, fmt.Errorf("table %s is not captured", c.ID)
	}
	ct := *base
	if err := loadColumns(ctx, conn, []*catalogTable{&ct}); err != nil {
		return nil, err
	}
	names := ct.PK
	if c.SurrogateKey != "" {
		names = []string{c.SurrogateKey}
	} else if len(ct.PK) == 0 || ct.UniqueKey {
		return nil, fmt.Errorf("table %s has no primary key; give a surrogate-key to read it incrementally", c.ID)
	}
	var key []keyCol
	for _, n := range names {
		found := false
		for _, col := range ct.Columns {
			if col.Name == n {
				switch col.TypeOID {
				case 20, 21, 23, 25, 1043:
				default:
					return nil, fmt.Errorf("key column %s of %s is of type %s; connectd chunks by integer and text keys only", n, c.ID, col.TypeName)
				}
				key = append(key, keyCol{name: quoteIdent(n), oid: col.TypeOID})
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("table %s has no column %q", c.ID, n)
		}
	}
	tb := &incTable{ct: &ct, key: key, sql: source.KeysetSQL{From: tableName(&ct)}}
	for _, k := range key {
		tb.sql.Key = append(tb.sql.Key, k.name)
	}
	tb.sql.Bound = func(vals []any, op string) (string, error) {
		ph := make([]string, len(vals))
		for i, v := range vals {
			tb.args = append(tb.args, keyText(v))
			ph[i] = "$" + strconv.Itoa(len(tb.args))
		}
		// A row comparison, which PostgreSQL turns into one range scan of the key's index.
		return source.KeyCondition(tb.sql.Key, ph, op, true, false), nil
	}
	return tb, nil
}

// keyValue turns a key column's text into the Java type Debezium's offsets hold.
func keyValue(oid uint32, s string) (any, error) {
	switch oid {
	case 20:
		return strconv.ParseInt(s, 10, 64)
	case 21:
		n, err := strconv.ParseInt(s, 10, 16)
		return int16(n), err
	case 23:
		n, err := strconv.ParseInt(s, 10, 32)
		return int32(n), err
	}
	return s, nil
}

func keyText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func tableName(ct *catalogTable) string {
	return quoteIdent(ct.ID.Schema) + "." + quoteIdent(ct.ID.Table)
}

// keyTexts is the select list of the key columns as text, aliased: ORDER BY must sort by the
// columns, not by their text.
func keyTexts(key []keyCol) string {
	texts := make([]string, len(key))
	for i, k := range key {
		texts[i] = k.name + "::text AS " + quoteIdent("connectd_key_"+strconv.Itoa(i))
	}
	return strings.Join(texts, ", ")
}

// MaxKey reads the largest key of the collection's rows.
func (d *incrementalDB) MaxKey(ctx context.Context, c *source.Collection) (max []any, err error) {
	err = d.conn.Do(ctx, func(conn *pgconn.PgConn) error {
		tb, err := d.describe(ctx, conn, c)
		if err != nil {
			return err
		}
		rows, err := query(ctx, conn, tb.sql.MaxKeyQuery(keyTexts(tb.key), c))
		if err != nil {
			return fmt.Errorf("cannot read the largest key of %s: %w", c.ID, err)
		}
		if len(rows) > 0 {
			max, err = source.ConvertKey(len(tb.key), func(i int) (any, error) { return keyValue(tb.key[i].oid, string(rows[0][i])) })
		}
		return err
	})
	return max, err
}

// RowCount is Debezium 3.7's row count of a table whose incremental snapshot starts: the
// estimate pg_class holds (reltuples, known once the table was analyzed) when c has no filter
// and it is positive, else the rows up to the largest key under c's filter.
func (d *incrementalDB) RowCount(ctx context.Context, c *source.Collection, max []any) (n int64, ok bool, err error) {
	err = d.conn.Do(ctx, func(conn *pgconn.PgConn) error {
		tb, err := d.describe(ctx, conn, c)
		if err != nil {
			return err
		}
		if c.Filter == "" {
			rows, err := query(ctx, conn, "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
				tb.ct.ID.Schema, tb.ct.ID.Table)
			if err == nil && len(rows) > 0 && rows[0][0] != nil {
				if v, perr := strconv.ParseInt(string(rows[0][0]), 10, 64); perr == nil && v > 0 {
					n, ok = v, true
					return nil
				}
			}
		}
		q, err := tb.sql.CountQuery(c, max)
		if err != nil {
			return err
		}
		rows, err := query(ctx, conn, q, tb.args...)
		if err != nil {
			return fmt.Errorf("cannot count the rows of %s: %w", c.ID, err)
		}
		if len(rows) > 0 && rows[0][0] != nil {
			n, err = strconv.ParseInt(string(rows[0][0]), 10, 64)
			ok = err == nil
		}
		return err
	})
	return n, ok, err
}

// ReadChunk reads the rows after after up to max in key order, as text.
func (d *incrementalDB) ReadChunk(ctx context.Context, c *source.Collection, after, max []any, limit int) (out []source.ChunkRow, err error) {
	err = d.conn.Do(ctx, func(conn *pgconn.PgConn) error {
		out, err = d.readChunk(ctx, conn, c, after, max, limit)
		return err
	})
	return out, err
}

func (d *incrementalDB) readChunk(ctx context.Context, conn *pgconn.PgConn, c *source.Collection, after, max []any, limit int) ([]source.ChunkRow, error) {
	tb, err := d.describe(ctx, conn, c)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(tb.ct.Columns))
	cols := make([]string, len(tb.ct.Columns))
	for i, col := range tb.ct.Columns {
		names[i] = col.Name
		cols[i] = quoteIdent(col.Name)
	}
	q, err := tb.sql.ChunkQuery(strings.Join(cols, ", ")+", "+keyTexts(tb.key), c, after, max, limit)
	if err != nil {
		return nil, err
	}
	// One repeatable-read transaction, so the snapshot read first is the one the SELECT uses.
	if _, err := simpleQuery(ctx, conn, "BEGIN ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return nil, fmt.Errorf("cannot begin the read of a chunk of %s: %w", c.ID, err)
	}
	defer func() { _, _ = simpleQuery(context.Background(), conn, "COMMIT") }()
	srows, err := query(ctx, conn, "SELECT pg_current_snapshot()::text")
	if err != nil || len(srows) != 1 {
		return nil, fmt.Errorf("cannot read the snapshot of a chunk of %s: %v", c.ID, err)
	}
	snap, err := parseSnapshot(string(srows[0][0]))
	if err != nil {
		return nil, err
	}
	rows, err := query(ctx, conn, q, tb.args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read a chunk of %s: %w", c.ID, err)
	}
	d.mu.Lock()
	d.snap = snap
	d.mu.Unlock()
	out := make([]source.ChunkRow, 0, len(rows))
	for _, r := range rows {
		vals := make([]any, len(cols))
		for i := range cols {
			if r[i] != nil {
				vals[i] = r[i]
			}
		}
		k, err := source.ConvertKey(len(tb.key), func(i int) (any, error) { return keyValue(tb.key[i].oid, string(r[len(cols)+i])) })
		if err != nil {
			return nil, err
		}
		out = append(out, source.ChunkRow{Key: k, Values: vals, Columns: names})
	}
	return out, nil
}

// WriteSignal inserts a watermark row into the signal table.
func (d *incrementalDB) WriteSignal(ctx context.Context, id, typ, data string) error {
	i := strings.IndexByte(d.signal, '.')
	if i <= 0 {
		return fmt.Errorf("signal.data.collection=%q is not a schema.table name", d.signal)
	}
	return d.conn.Do(ctx, func(conn *pgconn.PgConn) error {
		_, err := query(ctx, conn, "INSERT INTO "+quoteIdent(d.signal[:i])+"."+quoteIdent(d.signal[i+1:])+" VALUES ($1, $2, $3)", id, typ, data)
		return err
	})
}

// ReadRecords decodes a chunk row and builds its read event, on the streaming goroutine.
func (d *incrementalDB) ReadRecords(c *source.Collection, row source.ChunkRow, offset map[string]any, marker envelope.Snapshot) ([]*api.SourceRecord, error) {
	t := d.t
	ct := d.byID[c.ID]
	if ct == nil {
		return nil, fmt.Errorf("table %s is not captured", c.ID)
	}
	tb := t.tables[ct.OID]
	if tb == nil {
		tb = d.built[c.ID]
	}
	if tb == nil {
		// Not described by the stream yet (no change since the start): build it from the catalog.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cc := *ct
		if err := loadColumns(ctx, t.meta, []*catalogTable{&cc}); err != nil {
			return nil, err
		}
		var err error
		if tb, err = t.buildTable(cc.OID, cc.ID, cc.ReplIdent, nil, &cc); err != nil {
			return nil, err
		}
		d.built[c.ID] = tb
	}
	vals := make([]any, len(tb.cols))
	for ci := range tb.cols {
		col := &tb.cols[ci]
		if !col.emit {
			continue
		}
		v, err := row.Value(c, ci, col.name, false)
		if err != nil {
			return nil, err
		}
		raw, _ := v.([]byte)
		if raw == nil {
			continue
		}
		v, err = col.mapping.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", col.name, err)
		}
		vals[ci] = v
	}
	lsn := t.seq.lsn
	src := t.source(nil, tb, time.Now(), marker, lsn, t.seq.sequenceCommit(), 0, false)
	recs, err := tb.schema.Records(nil, &envelope.Event{Op: envelope.OpRead, After: vals, Source: src, Partition: t.cfg.partition(), Offset: offset}, false)
	if err != nil {
		return nil, err
	}
	return t.withHeaders(recs), nil
}

// chunkSnapshot is a pg_snapshot: transactions from xmax on and those in xip were running.
type chunkSnapshot struct {
	xmin, xmax uint64
	xip        map[uint64]bool
}

// parseSnapshot reads pg_current_snapshot()'s text, "xmin:xmax:xip,xip".
func parseSnapshot(s string) (chunkSnapshot, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return chunkSnapshot{}, fmt.Errorf("cannot read snapshot %q", s)
	}
	var cs chunkSnapshot
	var err1, err2 error
	cs.xmin, err1 = strconv.ParseUint(parts[0], 10, 64)
	cs.xmax, err2 = strconv.ParseUint(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return chunkSnapshot{}, fmt.Errorf("cannot read snapshot %q", s)
	}
	cs.xip = map[uint64]bool{}
	for _, x := range strings.Split(parts[2], ",") {
		if x == "" {
			continue
		}
		n, err := strconv.ParseUint(x, 10, 64)
		if err != nil {
			return chunkSnapshot{}, fmt.Errorf("cannot read snapshot %q", s)
		}
		cs.xip[n] = true
	}
	return cs, nil
}

// invisible reports whether the snapshot did not see the 32-bit transaction id xid (pgoutput's),
// placed in the epoch of the snapshot's xmax.
func (cs chunkSnapshot) invisible(xid uint32) bool {
	if cs.xip == nil {
		return false
	}
	full := cs.xmax&^0xffffffff | uint64(xid)
	if full > cs.xmax+(1<<31) && full >= 1<<32 {
		full -= 1 << 32
	} else if full+(1<<31) < cs.xmax {
		full += 1 << 32
	}
	return full >= cs.xmax || cs.xip[full]
}

// TxOf returns a change record's transaction, from its offset's txId.
func (d *incrementalDB) TxOf(r *api.SourceRecord) (uint64, bool) {
	if r.SourceOffset == nil {
		return 0, false
	}
	n, err := source.OffsetInt(r.SourceOffset[keyTxID])
	if err != nil || r.SourceOffset[keyTxID] == nil {
		return 0, false
	}
	return uint64(n), true
}

// InvisibleToChunk reports whether the last chunk read did not see transaction tx.
func (d *incrementalDB) InvisibleToChunk(tx uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.snap.invisible(uint32(tx))
}
