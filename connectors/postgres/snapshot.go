package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/source"
)

// snapshotRow is a row read by the snapshot, its records built by the reader (on its own
// goroutine) and held back by the snapshot driver until their marker and offset are known.
type snapshotRow struct {
	recs []*api.SourceRecord
	src  *api.Struct
}

// snapshotCtx is the state of one snapshot.
type snapshotCtx struct {
	lsn  pglogrepl.LSN
	txID int64
}

// snapTable is what a reader needs to read one table of the snapshot.
type snapTable struct {
	tb      *table
	id      relational.TableID
	name    string   // quoted schema.table
	cols    []string // the emitted columns, quoted
	idx     []int    // their positions in tb.cols
	keyCols []string // quoted; nil: read whole
	time    time.Time
}

// snapshot reads every captured table inside repeatable-read transactions that all see one
// view. With snapName, the first imports the slot's exported snapshot, so it sees exactly the
// data committed before the slot's consistent point lsn, where streaming then starts: nothing is
// missed or repeated. With snapshot.max.threads > 1, more connections import the same snapshot
// (the slot's, or one the first connection exports) and read tables at the same time.
//
// With resume, an interrupted snapshot continues: the tables finished are skipped, those under
// way continue after their stored key, the rest is read at today's state, and the position stays
// the interrupted snapshot's, so streaming from it replays every change since over the rows
// read late (DESIGN.md, chunked snapshots).
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
	if lsn == 0 {
		// No slot (initial_only): the position is the WAL insert point at the snapshot.
		if rows, err := simpleQuery(ctx, conn, "SELECT pg_current_wal_lsn()::text"); err == nil && len(rows) == 1 {
			sc.lsn, _ = pglogrepl.ParseLSN(string(rows[0][0]))
		}
	}
	conns := []*pgconn.PgConn{conn}
	defer func() {
		for _, c := range conns[1:] {
			closeConn(c)
		}
	}()
	if t.cfg.SnapshotThreads > 1 {
		if snapName == "" {
			rows, err := simpleQuery(ctx, conn, "SELECT pg_export_snapshot()")
			if err != nil || len(rows) != 1 {
				return fmt.Errorf("cannot export the snapshot for the other snapshot connections (snapshot.max.threads=%d): %w", t.cfg.SnapshotThreads, err)
			}
			snapName = string(rows[0][0])
		}
		for len(conns) < t.cfg.SnapshotThreads {
			c, err := t.cfg.connect(ctx, false)
			if err != nil {
				return err
			}
			conns = append(conns, c)
			if _, err := simpleQuery(ctx, c, "BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT "+quoteLiteral(snapName)); err != nil {
				return fmt.Errorf("cannot import snapshot %q on another snapshot connection: %w", snapName, err)
			}
		}
	}
	if err := loadColumns(ctx, conn, captured); err != nil {
		return err
	}
	tables := make([]source.SnapshotTable[*snapTable], 0, len(captured))
	for _, ct := range captured {
		tb, err := t.buildTable(ct.OID, ct.ID, ct.ReplIdent, nil, ct)
		if err != nil {
			return err
		}
		t.tables[ct.OID] = tb
		st := &snapTable{tb: tb, id: ct.ID, name: quoteIdent(ct.ID.Schema) + "." + quoteIdent(ct.ID.Table), time: time.Now()}
		for i := range tb.cols {
			if tb.cols[i].emit {
				st.cols = append(st.cols, quoteIdent(tb.cols[i].name))
				st.idx = append(st.idx, i)
			}
		}
		if len(st.cols) == 0 {
			continue
		}
		if len(ct.PK) > 0 && !ct.UniqueKey && !ct.Partitioned {
			for _, k := range ct.PK {
				st.keyCols = append(st.keyCols, quoteIdent(k))
			}
		}
		tables = append(tables, source.SnapshotTable[*snapTable]{ID: ct.ID.Schema + "." + ct.ID.Table, Keyed: st.keyCols != nil, Data: st})
	}
	started := time.Now()
	var progress *source.SnapshotResume
	if resume != nil {
		sc.lsn, progress = resume.LSN, resume.SnapResume
		t.logf("resuming the interrupted snapshot at %s: %s", sc.lsn, progress)
	} else {
		t.logf("snapshot of %d tables at %s started on %d connections", len(captured), sc.lsn, len(conns))
	}
	readers := make([]source.ChunkReader[*snapTable, snapshotRow], len(conns))
	for i, c := range conns {
		readers[i] = chunkReader{t: t, sc: sc, conn: c, srcCache: new(envelope.SourceCache)}
	}
	limit := t.cfg.SnapshotFetchSize
	if limit <= 0 {
		limit = defaultSnapshotFetchSize
	}
	n, err := source.ReadSnapshot(ctx, readers, tables, source.SnapshotOptions{ChunkSize: limit, Resume: progress, Selection: t.cfg.SnapshotSelection,
		Reader: t.Reader, Estimates: t.snapshotEstimates(ctx, conn, captured),
		TableDone: func(id string, rows int64) { t.logf("snapshot of %s: %d rows", id, rows) },
	}, func(ctx context.Context, r snapshotRow, m envelope.Snapshot, off source.SnapshotOffset) error {
		return t.emitRead(ctx, sc, r, m, off)
	})
	if err != nil {
		return err
	}
	if _, err := simpleQuery(ctx, conn, "COMMIT"); err != nil {
		return fmt.Errorf("cannot close the snapshot transaction: %w", err)
	}
	committed = true
	el := time.Since(started)
	t.logf("snapshot finished: %d rows from %d tables in %s (%.0f rows/s)", n, len(captured), el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}

// chunkReader reads snapshot chunks on one connection.
type chunkReader struct {
	t    *Task
	sc   *snapshotCtx
	conn *pgconn.PgConn
	// srcCache keeps the source fields' boxed values, the same for every row of a table.
	srcCache *envelope.SourceCache
}

// ReadChunk reads a chunk of st in key order (or all of it when it has no usable key); the
// key columns are selected again at the end of each row, in their text form, for the offset.
func (r chunkReader) ReadChunk(ctx context.Context, st *source.SnapshotTable[*snapTable], after []string, limit int, add func(snapshotRow, []string) error) error {
	return r.ReadRange(ctx, st, after, nil, limit, add)
}

// ReadRange reads a chunk of st whose keys are at most upTo (nil: no bound).
func (r chunkReader) ReadRange(ctx context.Context, st *source.SnapshotTable[*snapTable], after, upTo []string, limit int, add func(snapshotRow, []string) error) error {
	s := st.Data
	sql := "SELECT " + strings.Join(s.cols, ", ") + " FROM " + s.name
	var params [][]byte
	if st.Keyed {
		sql = s.keysetQuery(&params).Chunk(after, upTo, limit)
	}
	idx := s.idx
	if st.Select != "" {
		sql = st.Select
	}
	rr := r.conn.ExecParams(ctx, sql, params, nil, nil, nil)
	if st.Select != "" {
		// The user's statement (snapshot.select.statement.overrides): its columns are the
		// table's by name, as Debezium reads them; columns the table does not emit are skipped,
		// columns it leaves out are NULL.
		fds := rr.FieldDescriptions()
		idx = make([]int, len(fds))
		for j, fd := range fds {
			idx[j] = slices.IndexFunc(s.tb.cols, func(c column) bool { return c.name == fd.Name })
			if idx[j] < 0 {
				rr.Close()
				return fmt.Errorf("the snapshot.select.statement.overrides statement of table %s returns column %q, which the table does not have; select the table's columns only", s.id, fd.Name)
			}
		}
	}
	for rr.NextRow() {
		vals := rr.Values()
		row := make([]any, len(s.tb.cols))
		for j, ci := range idx {
			c := &s.tb.cols[ci]
			if vals[j] == nil || !c.emit {
				continue
			}
			v, err := c.mapping.Decode(vals[j])
			if err != nil {
				rr.Close()
				return fmt.Errorf("snapshot of %s, column %s: %w", s.id, c.name, err)
			}
			row[ci] = v
		}
		var key []string
		if st.Keyed {
			key = make([]string, len(s.keyCols))
			for k := range key {
				key[k] = string(vals[len(s.cols)+k])
			}
		}
		src := r.t.source(r.srcCache, s.tb, s.time, envelope.SnapshotTrue, r.sc.lsn, 0, r.sc.txID, true)
		ev := envelope.Event{Op: envelope.OpRead, After: row, Source: src, Partition: r.t.cfg.partition()}
		recs, err := s.tb.schema.Records(nil, &ev, false)
		if err != nil {
			rr.Close()
			return fmt.Errorf("snapshot of %s: %w", s.id, err)
		}
		if err := add(snapshotRow{recs: recs, src: src}, key); err != nil {
			rr.Close()
			return err
		}
	}
	_, err := rr.Close()
	return err
}

// emitRead emits a snapshot row with its marker; the snapshot's last record carries the
// completed-snapshot offset.
func (t *Task) emitRead(ctx context.Context, sc *snapshotCtx, r snapshotRow, marker envelope.Snapshot, off source.SnapshotOffset) error {
	last := marker == envelope.SnapshotLast
	pos := position{LSN: sc.lsn, TxID: sc.txID, HasTxID: true, TsUsec: time.Now().UnixMicro(), Snapshot: true,
		LastSnapshotRecord: last, SnapshotCompleted: last, Snap: off}
	r.src.PutIndex(envelope.SourceSnapshotIndex, marker.String())
	m := pos.toMap()
	for _, rec := range r.recs {
		rec.SourceOffset = m
	}
	return t.putAll(ctx, t.withHeaders(r.recs))
}

// source builds an event's source block, with the boxed values of cache, which belongs to the
// calling goroutine (nil: none).
func (t *Task) source(cache *envelope.SourceCache, tb *table, ts time.Time, snap envelope.Snapshot, lsn, lastCommit pglogrepl.LSN, txID int64, hasTx bool) *api.Struct {
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
	st := cache.NewSource(sourceSchema, &envelope.SourceInfo{
		Version: version.String(), Connector: connectorName, Name: t.cfg.TopicPrefix, Time: ts,
		Snapshot: snap, DB: t.cfg.Database, Sequence: string(seq),
	})
	st.PutIndex(srcSchema, cache.String(srcSchema, tb.id.Schema))
	st.PutIndex(srcTable, cache.String(srcTable, tb.id.Table))
	if hasTx {
		st.PutIndex(srcTxID, cache.Int64(srcTxID, txID))
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
