package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/source"
)

// snapshotRow is a row read by the snapshot, held back by the marker driver.
type snapshotRow struct {
	tb        *table
	row       []any
	tableTime time.Time
	// table and key are the snapshot progress the row's offset carries (key nil: the table is
	// read whole).
	table string
	key   []string
}

// snapshotCtx is the state of one snapshot.
type snapshotCtx struct {
	lsn   pglogrepl.LSN
	txID  int64
	marks *source.SnapshotMarks[snapshotRow]
}

// snapshot reads every captured table inside one repeatable-read transaction. With snapName, the
// transaction imports the slot's exported snapshot, so it sees exactly the data committed before
// the slot's consistent point lsn, where streaming then starts: nothing is missed or repeated.
//
// With resume, an interrupted snapshot continues: the tables before the stored one are skipped,
// the stored one continues after the stored key, the rest is read at today's state, and the
// position stays the interrupted snapshot's, so streaming from it replays every change since
// over the rows read late (DESIGN.md, chunked snapshots).
func (t *Task) snapshot(ctx context.Context, snapName string, lsn pglogrepl.LSN, captured []*catalogTable, resume *position) error {
	t.phase.Store(phaseSnapshot)
	conn := t.meta
	begin := "BEGIN ISOLATION LEVEL REPEATABLE READ"
	if snapName != "" {
		begin += "; SET TRANSACTION SNAPSHOT " + quoteLiteral(snapName)
	}
	if _, err := simpleQuery(ctx, conn, begin); err != nil {
		return fmt.Errorf("cannot open the snapshot transaction (importing exported snapshot %q): %w", snapName, err)
	}
	committed := false
	defer func() {
		if !committed {
			_, _ = simpleQuery(context.Background(), conn, "ROLLBACK")
		}
	}()
	rows, err := simpleQuery(ctx, conn, "SELECT txid_current()")
	if err != nil {
		return fmt.Errorf("cannot read the snapshot transaction's id: %w", err)
	}
	sc := &snapshotCtx{lsn: lsn, txID: atoi64(rows[0][0])}
	sc.marks = source.NewSnapshotMarks(func(ctx context.Context, r snapshotRow, m envelope.Snapshot) error { return t.emitRead(ctx, sc, r, m) })
	if lsn == 0 {
		// No slot (initial_only): the position is the WAL insert point at the snapshot.
		if rows, err := simpleQuery(ctx, conn, "SELECT pg_current_wal_lsn()::text"); err == nil && len(rows) == 1 {
			sc.lsn, _ = pglogrepl.ParseLSN(string(rows[0][0]))
		}
	}
	if err := loadColumns(ctx, conn, captured); err != nil {
		return err
	}
	started := time.Now()
	from, after := 0, []string(nil)
	if resume != nil {
		for i, ct := range captured {
			if ct.ID.Schema+"."+ct.ID.Table == resume.SnapTable {
				from, after = i, resume.SnapKey
			}
		}
		sc.lsn = resume.LSN
		t.logf("resuming the interrupted snapshot at %s: table %s after key %v", sc.lsn, resume.SnapTable, after)
	} else {
		t.logf("snapshot of %d tables at %s started", len(captured), sc.lsn)
	}
	t.snapshotStarted(ctx, conn, captured, tablesBefore(captured, from))
	for i, ct := range captured {
		if i < from {
			// Done before the interruption; its columns are still needed for streaming.
			tb, err := t.buildTable(ct.OID, ct.ID, ct.ReplIdent, nil, ct)
			if err != nil {
				return err
			}
			t.tables[ct.OID] = tb
			continue
		}
		var a []string
		if i == from {
			a = after
		}
		if err := t.snapshotTable(ctx, sc, ct, a); err != nil {
			return err
		}
	}
	if err := sc.marks.Finish(ctx); err != nil {
		return err
	}
	t.reader.Progress.SnapshotCompleted()
	if _, err := simpleQuery(ctx, conn, "COMMIT"); err != nil {
		return fmt.Errorf("cannot close the snapshot transaction: %w", err)
	}
	committed = true
	el := time.Since(started)
	t.logf("snapshot finished: %d rows from %d tables in %s (%.0f rows/s)", sc.marks.Rows(), len(captured), el.Round(time.Millisecond), float64(sc.marks.Rows())/el.Seconds())
	return nil
}

// snapshotTable reads one table: with a primary key in chunks of snapshot.fetch.size rows in key
// order, starting after the key after (nil: from the start), else with a single SELECT.
func (t *Task) snapshotTable(ctx context.Context, sc *snapshotCtx, ct *catalogTable, after []string) error {
	tb, err := t.buildTable(ct.OID, ct.ID, ct.ReplIdent, nil, ct)
	if err != nil {
		return err
	}
	t.tables[ct.OID] = tb
	cols := make([]string, 0, len(tb.cols))
	idx := make([]int, 0, len(tb.cols))
	for i := range tb.cols {
		if tb.cols[i].emit {
			cols = append(cols, quoteIdent(tb.cols[i].name))
			idx = append(idx, i)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	tableName := quoteIdent(ct.ID.Schema) + "." + quoteIdent(ct.ID.Table)
	tableID := ct.ID.Schema + "." + ct.ID.Table
	tableTime := time.Now()
	var keyCols []string
	if len(ct.PK) > 0 && !ct.UniqueKey && !ct.Partitioned {
		for _, k := range ct.PK {
			keyCols = append(keyCols, quoteIdent(k))
		}
	}
	if keyCols == nil {
		after = nil
	}
	limit := t.cfg.SnapshotFetchSize
	if limit <= 0 {
		limit = defaultSnapshotFetchSize
	}
	for {
		sql := "SELECT " + strings.Join(cols, ", ") + " FROM " + tableName
		var params [][]byte
		if keyCols != nil {
			sql = chunkQuery(tableName, cols, keyCols, after != nil, limit)
			for _, k := range after {
				params = append(params, []byte(k))
			}
		}
		n := 0
		rr := t.meta.ExecParams(ctx, sql, params, nil, nil, nil)
		for rr.NextRow() {
			vals := rr.Values()
			row := make([]any, len(tb.cols))
			for j, ci := range idx {
				c := &tb.cols[ci]
				if vals[j] == nil {
					continue
				}
				v, err := c.mapping.Decode(vals[j])
				if err != nil {
					rr.Close()
					return fmt.Errorf("snapshot of %s, column %s: %w", ct.ID, c.name, err)
				}
				row[ci] = v
			}
			sr := snapshotRow{tb: tb, row: row, tableTime: tableTime, table: tableID}
			if keyCols != nil {
				sr.key = make([]string, len(keyCols))
				for k := range keyCols {
					sr.key[k] = string(vals[len(cols)+k])
				}
			}
			if err := sc.marks.Add(ctx, sr); err != nil {
				rr.Close()
				return err
			}
			n++
			if keyCols != nil {
				after = sr.key
			}
		}
		if _, err := rr.Close(); err != nil {
			return fmt.Errorf("cannot read table %s for the snapshot: %w", ct.ID, err)
		}
		if keyCols == nil || n < limit {
			break
		}
	}
	t.logf("snapshot of %s: %d rows", ct.ID, sc.marks.EndTable())
	return nil
}

// emitRead emits a snapshot row with its marker; the snapshot's last record carries the
// completed-snapshot offset.
func (t *Task) emitRead(ctx context.Context, sc *snapshotCtx, r snapshotRow, marker envelope.Snapshot) error {
	last := marker == envelope.SnapshotLast
	pos := position{LSN: sc.lsn, TxID: sc.txID, HasTxID: true, TsUsec: time.Now().UnixMicro(), Snapshot: true,
		LastSnapshotRecord: last, SnapshotCompleted: last, SnapTable: r.table, SnapKey: r.key}
	src := t.source(r.tb, r.tableTime, marker, sc.lsn, 0, sc.txID, true)
	ev := envelope.Event{Op: envelope.OpRead, After: r.row, Source: src, Partition: t.cfg.partition(), Offset: pos.toMap()}
	recs, err := r.tb.schema.Records(nil, &ev, false)
	if err != nil {
		return fmt.Errorf("snapshot of %s: %w", r.tb.id, err)
	}
	return t.putAll(ctx, t.withHeaders(recs))
}

// source builds an event's source block.
func (t *Task) source(tb *table, ts time.Time, snap envelope.Snapshot, lsn, lastCommit pglogrepl.LSN, txID int64, hasTx bool) *api.Struct {
	// sequence is Debezium's ["<last commit LSN>","<LSN>"], null before any commit.
	var buf [48]byte
	seq := append(buf[:0], '[')
	if lastCommit != 0 {
		seq = append(seq, '"')
		seq = strconv.AppendInt(seq, int64(lastCommit), 10)
		seq = append(seq, '"')
	} else {
		seq = append(seq, "null"...)
	}
	seq = append(seq, ',', '"')
	seq = strconv.AppendInt(seq, int64(lsn), 10)
	seq = append(seq, '"', ']')
	st := envelope.NewSource(sourceSchema, &envelope.SourceInfo{
		Version: version.String(), Connector: connectorName, Name: t.cfg.TopicPrefix, Time: ts,
		Snapshot: snap, DB: t.cfg.Database, Sequence: string(seq),
	})
	st.PutIndex(srcSchema, tb.id.Schema)
	st.PutIndex(srcTable, tb.id.Table)
	if hasTx {
		st.PutIndex(srcTxID, txID)
	}
	st.PutIndex(srcLSN, int64(lsn))
	if t.seq.origin != "" && snap == envelope.SnapshotFalse {
		st.PutIndex(srcOrigin, t.seq.origin)
		st.PutIndex(srcOriginLSN, int64(t.seq.originLSN))
	}
	return st
}

// putAll hands records to the queue, keeping the replication connection alive while it waits.
func (t *Task) putAll(ctx context.Context, recs []*api.SourceRecord) error {
	for _, r := range recs {
		if err := t.put(ctx, r); err != nil {
			return err
		}
	}
	return nil
}
