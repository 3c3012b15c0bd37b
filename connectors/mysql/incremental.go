package mysql

import (
	"bytes"
	"context"
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
	t *Task

	mu   sync.Mutex
	conn *client.Conn
}

// taskSignals is the task's signal and incremental snapshot state.
type taskSignals struct {
	inc      *source.Incremental
	db       *incrementalDB
	hub      *signals.Hub
	notifier *signals.Notifier
	// table is signal.data.collection, db.table.
	table string
}

// startIncremental sets up signals and the incremental snapshot engine from the stored offset.
func (t *Task) startIncremental(ctx context.Context, name string, props map[string]string, stored map[string]any) error {
	cfg, err := signals.ParseConfig(props)
	if err != nil {
		return err
	}
	hub, err := signals.OpenHub(ctx, cfg, name, t.log)
	if err != nil {
		return err
	}
	t.sig.hub = hub
	t.sig.notifier = signals.NewNotifier(cfg, name, t.log)
	t.sig.table = cfg.DataCollection
	topic := ""
	if cfg.DataCollection != "" {
		topic = t.cfg.TopicPrefix + "." + cfg.DataCollection
	}
	t.sig.db = &incrementalDB{t: t}
	t.sig.inc = source.NewIncremental(t.sig.db, cfg, topic, t.sig.notifier, hub, t.put, t.log)
	return t.sig.inc.Load(stored)
}

// stopIncremental releases what startIncremental opened.
func (t *Task) stopIncremental() {
	t.sig.hub.Close()
	t.sig.notifier.Close()
	if t.sig.db != nil {
		t.sig.db.close()
	}
	t.sig = taskSignals{}
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

func (d *incrementalDB) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		d.conn.Close()
		d.conn = nil
	}
}

func (d *incrementalDB) connection(ctx context.Context) (*client.Conn, error) {
	if d.conn != nil {
		if err := d.conn.Ping(); err == nil {
			return d.conn, nil
		}
		d.conn.Close()
		d.conn = nil
	}
	c, err := d.t.connect(ctx)
	if err != nil {
		return nil, err
	}
	d.conn = c
	return c, nil
}

// Tables returns the captured tables, db.table. It runs on the engine's goroutine, which must
// not read the table model (the streaming goroutine changes it on DDL), so it asks the server.
func (d *incrementalDB) Tables() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	conn, err := d.connection(context.Background())
	if err != nil {
		d.t.log.Warn("cannot list the tables an incremental snapshot may read", "error", err)
		return nil
	}
	rows, err := queryRows(conn, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY 1, 2")
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
	name, dataType, columnType string
}

// describe reads the collection's columns and chunk key from information_schema, on the
// engine's connection: the table model belongs to the streaming goroutine.
func (d *incrementalDB) describe(conn *client.Conn, c *source.Collection) (relational.TableID, []incColumn, []int, error) {
	id, ok := parseTableID(c.ID)
	if !ok {
		return id, nil, nil, fmt.Errorf("%q is not a db.table name", c.ID)
	}
	lit := func(s string) string {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	}
	rows, err := queryRows(conn, "SELECT COLUMN_NAME, UPPER(DATA_TYPE), LOWER(COLUMN_TYPE), COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "+
		lit(id.Catalog)+" AND TABLE_NAME = "+lit(id.Table)+" ORDER BY ORDINAL_POSITION")
	if err != nil {
		return id, nil, nil, fmt.Errorf("cannot read the columns of %s: %w", c.ID, err)
	}
	if len(rows) == 0 {
		return id, nil, nil, fmt.Errorf("table %s does not exist", c.ID)
	}
	cols := make([]incColumn, len(rows))
	for i, r := range rows {
		cols[i] = incColumn{name: r[0], dataType: r[1], columnType: r[2]}
	}
	var key []int
	if c.SurrogateKey != "" {
		for i := range cols {
			if strings.EqualFold(cols[i].name, c.SurrogateKey) {
				key = []int{i}
			}
		}
		if key == nil {
			return id, nil, nil, fmt.Errorf("table %s has no column %q (surrogate-key)", c.ID, c.SurrogateKey)
		}
	} else {
		pk, err := queryRows(conn, "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE CONSTRAINT_NAME = 'PRIMARY' AND TABLE_SCHEMA = "+
			lit(id.Catalog)+" AND TABLE_NAME = "+lit(id.Table)+" ORDER BY ORDINAL_POSITION")
		if err != nil {
			return id, nil, nil, fmt.Errorf("cannot read the primary key of %s: %w", c.ID, err)
		}
		for _, r := range pk {
			for i := range cols {
				if cols[i].name == r[0] {
					key = append(key, i)
				}
			}
		}
		if len(key) == 0 {
			return id, nil, nil, fmt.Errorf("table %s has no primary key; give an integer surrogate-key to read it incrementally", c.ID)
		}
	}
	for _, k := range key {
		if !isIntType(cols[k].dataType) {
			return id, nil, nil, fmt.Errorf("key column %s of %s is %s; connectd's incremental snapshots chunk by integer keys only", cols[k].name, c.ID, cols[k].columnType)
		}
	}
	return id, cols, key, nil
}

func isIntType(typ string) bool {
	switch typ {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT":
		return true
	}
	return false
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
// the INT family, Long for BIGINT and INT UNSIGNED.
func keyValue(col *incColumn, s string) (any, error) {
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

// keyBound returns the SQL condition "key op bound" for a composite key, column by column.
func keyBound(cols []string, vals []any, op string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := range cols {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		for j := 0; j < i; j++ {
			b.WriteString(cols[j] + " = " + fmt.Sprint(vals[j]) + " AND ")
		}
		last := op
		if i < len(cols)-1 && op == "<=" {
			last = "<"
		}
		b.WriteString(cols[i] + " " + last + " " + fmt.Sprint(vals[i]))
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String()
}

// MaxKey reads the largest key of the collection's rows.
func (d *incrementalDB) MaxKey(ctx context.Context, c *source.Collection) ([]any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	conn, err := d.connection(ctx)
	if err != nil {
		return nil, err
	}
	id, cols, key, err := d.describe(conn, c)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(key))
	desc := make([]string, len(key))
	for i, k := range key {
		names[i] = quoteCol(cols[k].name)
		desc[i] = names[i] + " DESC"
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM " + quoteID(id)
	if c.Filter != "" {
		q += " WHERE (" + c.Filter + ")"
	}
	q += " ORDER BY " + strings.Join(desc, ", ") + " LIMIT 1"
	rows, err := queryRows(conn, q)
	if err != nil {
		return nil, fmt.Errorf("cannot read the largest key of %s: %w", c.ID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]any, len(key))
	for i, k := range key {
		if out[i], err = keyValue(&cols[k], rows[0][i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadChunk reads the rows after after up to max in key order. Values stay as the server sent
// them (text as bytes); ReadRecords converts them with the table model.
func (d *incrementalDB) ReadChunk(ctx context.Context, c *source.Collection, after, max []any, limit int) ([]source.ChunkRow, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	conn, err := d.connection(ctx)
	if err != nil {
		return nil, err
	}
	id, cols, key, err := d.describe(conn, c)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for i := range cols {
		names[i] = cols[i].name
		quoted[i] = quoteCol(cols[i].name)
	}
	keyNames := make([]string, len(key))
	for i, k := range key {
		keyNames[i] = quoted[k]
	}
	var conds []string
	if after != nil {
		if len(after) != len(key) {
			return nil, fmt.Errorf("the stored chunk key %v has %d values, the key of %s %d columns", after, len(after), c.ID, len(key))
		}
		conds = append(conds, keyBound(keyNames, after, ">"))
	}
	if len(max) == len(key) {
		conds = append(conds, keyBound(keyNames, max, "<="))
	}
	if c.Filter != "" {
		conds = append(conds, "("+c.Filter+")")
	}
	q := "SELECT " + strings.Join(quoted, ", ") + " FROM " + quoteID(id)
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY " + strings.Join(keyNames, ", ") + " LIMIT " + strconv.Itoa(limit)

	var out []source.ChunkRow
	var result gomysql.Result
	err = conn.ExecuteSelectStreaming(q, &result, func(vals []gomysql.FieldValue) error {
		if len(vals) != len(cols) {
			return fmt.Errorf("SELECT from %s returned %d columns, want %d", c.ID, len(vals), len(cols))
		}
		row := make([]any, len(vals))
		for i := range vals {
			fv := &vals[i]
			switch fv.Type {
			case gomysql.FieldValueTypeNull:
				row[i] = nil
			case gomysql.FieldValueTypeSigned:
				row[i] = fv.AsInt64()
			case gomysql.FieldValueTypeUnsigned:
				row[i] = fv.AsUint64()
			case gomysql.FieldValueTypeFloat:
				row[i] = fv.AsFloat64()
			default:
				row[i] = bytes.Clone(fv.AsString()) // the buffer is reused for the next row
			}
		}
		k := make([]any, len(key))
		for i, ki := range key {
			var err error
			if k[i], err = keyValue(&cols[ki], keyText(row[ki])); err != nil {
				return err
			}
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
	sig, ok := parseTableID(d.t.sig.table)
	if !ok {
		return fmt.Errorf("signal.data.collection=%q is not a db.table name", d.t.sig.table)
	}
	q := "INSERT INTO " + quoteID(sig) + " VALUES ('" + strings.ReplaceAll(id, "'", "''") + "', '" + strings.ReplaceAll(typ, "'", "''") + "', '" + strings.ReplaceAll(strings.ReplaceAll(data, `\`, `\\`), "'", "''") + "')"
	d.mu.Lock()
	defer d.mu.Unlock()
	conn, err := d.connection(ctx)
	if err != nil {
		return err
	}
	r, err := conn.Execute(q)
	if err != nil {
		return err
	}
	r.Close()
	return nil
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
		j := i
		if j >= len(row.Columns) || !strings.EqualFold(row.Columns[j], col.Name) {
			j = -1
			for k, n := range row.Columns {
				if strings.EqualFold(n, col.Name) {
					j = k
				}
			}
			if j < 0 {
				return nil, fmt.Errorf("the structure of %s changed while a chunk was read (column %s)", c.ID, col.Name)
			}
		}
		v := row.Values[j]
		if b, ok := v.([]byte); ok {
			typ, _ := baseType(col)
			if isCharType(typ) && charsetDecoder(col.CharsetName) != nil || typ == "INET4" || typ == "INET6" || typ == "UUID" {
				v = textValue(b)
			}
		}
		vals[i] = v
	}
	src := t.source(id, time.Now(), marker)
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
