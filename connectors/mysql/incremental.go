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
}

// put queues records as emit does, without showing them to the incremental snapshot engine:
// the engine's own records (reads, notifications).
func (t *Task) put(ctx context.Context, recs []*api.SourceRecord) error {
	for _, r := range recs {
		if r.Topic != "" && (t.tx == nil || r.Topic != t.tx.TopicName()) && r.SourcePartition != nil {
			source.AddHeaders(r, t.headers)
		}
		if err := t.reader.Put(ctx, r, nil, 0); err != nil {
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

// Tables returns the captured tables, db.table.
func (d *incrementalDB) Tables() []string {
	var out []string
	for _, id := range d.t.schema.tables.IDs() {
		if d.t.schema.captured(id) {
			out = append(out, id.String())
		}
	}
	return out
}

// table resolves a collection to its table model and chunk key columns.
func (d *incrementalDB) table(c *source.Collection) (*relational.Table, []int, error) {
	id, ok := parseTableID(c.ID)
	if !ok {
		return nil, nil, fmt.Errorf("%q is not a db.table name", c.ID)
	}
	tbl := d.t.schema.tables.Get(id)
	if tbl == nil {
		return nil, nil, fmt.Errorf("table %s is not known to the connector", c.ID)
	}
	var key []int
	if c.SurrogateKey != "" {
		for i := range tbl.Columns {
			if strings.EqualFold(tbl.Columns[i].Name, c.SurrogateKey) {
				key = []int{i}
			}
		}
		if key == nil {
			return nil, nil, fmt.Errorf("table %s has no column %q (surrogate-key)", c.ID, c.SurrogateKey)
		}
		if typ, _ := baseType(&tbl.Columns[key[0]]); !isIntType(typ) {
			return nil, nil, fmt.Errorf("surrogate key %s of table %s is not an integer column; connectd chunks by integer keys only", c.SurrogateKey, c.ID)
		}
	} else if key = chunkKey(tbl); key == nil {
		return nil, nil, fmt.Errorf("table %s has no primary key made of integer columns; connectd's incremental snapshots chunk by integer keys (give an integer surrogate-key)", c.ID)
	}
	return tbl, key, nil
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
func keyValue(col *relational.Column, s string) (any, error) {
	typ, _ := baseType(col)
	unsigned := strings.Contains(strings.ToUpper(col.TypeName), "UNSIGNED")
	if typ == "BIGINT" || typ == "INT" && unsigned {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
		return nil, fmt.Errorf("key value %q of column %s does not fit a signed 64-bit integer", s, col.Name)
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("key value %q of column %s is not an integer", s, col.Name)
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
	tbl, key, err := d.table(c)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(key))
	desc := make([]string, len(key))
	for i, k := range key {
		names[i] = quoteCol(tbl.Columns[k].Name)
		desc[i] = names[i] + " DESC"
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM " + quoteID(tbl.ID)
	if c.Filter != "" {
		q += " WHERE (" + c.Filter + ")"
	}
	q += " ORDER BY " + strings.Join(desc, ", ") + " LIMIT 1"
	d.mu.Lock()
	defer d.mu.Unlock()
	conn, err := d.connection(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := queryRows(conn, q)
	if err != nil {
		return nil, fmt.Errorf("cannot read the largest key of %s: %w", c.ID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]any, len(key))
	for i, k := range key {
		if out[i], err = keyValue(&tbl.Columns[k], rows[0][i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadChunk reads the rows after after up to max in key order.
func (d *incrementalDB) ReadChunk(ctx context.Context, c *source.Collection, after, max []any, limit int) ([]source.ChunkRow, error) {
	tbl, key, err := d.table(c)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(tbl.Columns))
	textCols := make([]bool, len(tbl.Columns))
	for i := range tbl.Columns {
		names[i] = quoteCol(tbl.Columns[i].Name)
		typ, _ := baseType(&tbl.Columns[i])
		textCols[i] = isCharType(typ) && charsetDecoder(tbl.Columns[i].CharsetName) != nil || typ == "INET4" || typ == "INET6" || typ == "UUID"
	}
	keyNames := make([]string, len(key))
	for i, k := range key {
		keyNames[i] = names[k]
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
	q := "SELECT " + strings.Join(names, ", ") + " FROM " + quoteID(tbl.ID)
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY " + strings.Join(keyNames, ", ") + " LIMIT " + strconv.Itoa(limit)

	d.mu.Lock()
	defer d.mu.Unlock()
	conn, err := d.connection(ctx)
	if err != nil {
		return nil, err
	}
	var out []source.ChunkRow
	var result gomysql.Result
	var rowErr error
	err = conn.ExecuteSelectStreaming(q, &result, func(vals []gomysql.FieldValue) error {
		if len(vals) != len(tbl.Columns) {
			return fmt.Errorf("SELECT from %s returned %d columns, the table has %d", c.ID, len(vals), len(tbl.Columns))
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
				if textCols[i] {
					row[i] = textValue(fv.AsString())
				} else {
					row[i] = bytes.Clone(fv.AsString()) // the buffer is reused for the next row
				}
			}
		}
		k := make([]any, len(key))
		for i, ki := range key {
			if k[i], rowErr = keyValue(&tbl.Columns[ki], keyText(row[ki])); rowErr != nil {
				return rowErr
			}
		}
		out = append(out, source.ChunkRow{Key: k, Values: row})
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot read a chunk of %s: %w", c.ID, err)
	}
	return out, nil
}

// WriteSignal inserts a watermark row into the signal table.
func (d *incrementalDB) WriteSignal(ctx context.Context, id, typ string) error {
	sig, ok := parseTableID(d.t.sig.table)
	if !ok {
		return fmt.Errorf("signal.data.collection=%q is not a db.table name", d.t.sig.table)
	}
	q := "INSERT INTO " + quoteID(sig) + " VALUES ('" + strings.ReplaceAll(id, "'", "''") + "', '" + strings.ReplaceAll(typ, "'", "''") + "', NULL)"
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

// ReadRecords builds the read events of a chunk row on the streaming goroutine.
func (d *incrementalDB) ReadRecords(c *source.Collection, row source.ChunkRow, offset map[string]any) ([]*api.SourceRecord, error) {
	t := d.t
	id, _ := parseTableID(c.ID)
	enc, err := t.schema.encoder(id)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("no record builder for %s: %v", c.ID, err)
	}
	if tbl := t.schema.tables.Get(id); tbl == nil || len(tbl.Columns) != len(row.Values) {
		return nil, fmt.Errorf("the structure of %s changed while a chunk was read", c.ID)
	}
	src := t.source(id, time.Now(), envelope.SnapshotIncremental)
	return enc.Records(nil, &envelope.Event{Op: envelope.OpRead, After: row.Values, Source: src, Partition: t.partition, Offset: offset}, false)
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
