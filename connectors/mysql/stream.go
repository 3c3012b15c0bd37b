package mysql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/heartbeat"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/schemahistory"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// streamer reads the binlog from the task's position and turns events into records. It runs on
// the reader goroutine and owns the position and the schema model while it runs.
type streamer struct {
	t *Task
	// srcCache keeps the source fields' boxed values (file, position, time, table), which
	// repeat for every row of a rows event.
	srcCache envelope.SourceCache
	tableIDs map[uint64]relational.TableID
	gtids    *gtidTracker

	// Restart skipping, as Debezium: after the first BEGIN, skip skipEvents events, then
	// skipRows rows of the next row event.
	skipEvents int64
	skipRows   int
	skipping   bool
	// skipGroup: the restart point is inside a standalone event group (a DDL statement under
	// its own GTID), past its GTID event. Debezium writes such an offset with the records of the
	// statement itself, so the statement was handled and is skipped.
	skipGroup bool
	// skipEnded is set by the event that used up the skip count, endWritten on the event after
	// it: a transaction whose XID or COMMIT comes right after its skipped events had its END
	// written by the previous run (see commit).
	skipEnded  bool
	endWritten bool

	beat    *heartbeat.Inline
	records []*api.SourceRecord // reused per event
	txStart time.Time           // begin time of the current transaction

	// undecodable holds, per rows event of a captured table, why its rows could not be
	// decoded (the syncer's goroutine decodes, rows reports): the same bytes fail on every
	// reconnect, so it is a permanent error with the event's position, not a retry loop.
	undecodable sync.Map // *replication.RowsEvent → error
}

// RunStream streams until ctx ends, reconnecting after retriable errors as the shared
// supervisor's policy says. Each (re)connection resumes from the restart point with the skip
// counters, so events already queued are not emitted twice and none is lost.
func (t *Task) RunStream(ctx context.Context) error {
	t.Signals.Inc.Start(ctx)
	return source.SuperviseStream(ctx, t.cfg.Retry, t.log, "binlog connection", func(ctx context.Context) (bool, error) {
		s := &streamer{t: t, tableIDs: map[uint64]relational.TableID{}, beat: t.Heartbeat.Inline(time.Now())}
		return s.run(ctx)
	}, func() []any {
		return []any{"file", t.pos.restartFile, "pos", t.pos.restartPos, "gtids", t.pos.restartGTIDs}
	})
}

// run connects once and handles events until an error or ctx ends; connected reports whether
// events were received, which resets the backoff.
func (s *streamer) run(ctx context.Context) (connected bool, err error) {
	t := s.t
	cfg := t.cfg
	sc := replication.BinlogSyncerConfig{
		ServerID:         cfg.ServerID,
		Flavor:           t.flavor.String(),
		Host:             cfg.Hostname,
		Port:             uint16(cfg.Port),
		User:             cfg.User,
		Password:         cfg.Password,
		TLSConfig:        cfg.TLS.config(),
		ParseTime:        true,
		UseDecimal:       false,
		DisableRetrySync: true, // we reconnect ourselves, from our own restart point
		ReadTimeout:      0,
		Logger:           slog.New(slog.DiscardHandler),
		DiscardGTIDSet:   true,
		// go-mysql buffers 10240 decoded events by default; the record queue already decouples
		// the reader from Kafka, so a short buffer keeps memory bounded by the queue's limits.
		// The events of large rows are bounded in bytes too (readAhead).
		EventCacheCount: 128,
	}
	if cfg.HeartbeatInterval > 0 {
		// The server sends heartbeat events on an idle binlog, so heartbeats keep flowing.
		sc.HeartbeatPeriod = max(cfg.HeartbeatInterval*8/10, 100*time.Millisecond)
	} else {
		sc.HeartbeatPeriod = 30 * time.Second
	}
	if cfg.ReadOnly {
		// A read-only incremental snapshot closes a chunk's window between transactions; on an
		// idle binlog only the server's heartbeats come, so they come often.
		sc.HeartbeatPeriod = min(sc.HeartbeatPeriod, 500*time.Millisecond)
	}
	sc.ReadTimeout = sc.HeartbeatPeriod*3 + 5*time.Second
	if cfg.IncludeQuery && t.flavor == FlavorMariaDB {
		sc.DumpCommandFlag |= replication.BINLOG_SEND_ANNOTATE_ROWS_EVENT
	}
	// Rows of tables the connector does not capture are not decoded: a column type the decoder
	// does not know (MariaDB's compressed columns, binlog types 140 and 141) in a table of
	// another database must not stop the stream. rows skips those events without their rows.
	ahead := newReadAhead(t.Reader.Queue.MaxBytes())
	if q := t.Reader.Queue; q.MaxBytes() > 0 {
		ahead.queued = q.Bytes
	}
	sc.Dialer = ahead.dialer()
	sc.RowsEventDecodeFunc = func(e *replication.RowsEvent, data []byte) error {
		// Charged before decoding, so a syncer ahead of the streamer by the budget waits before
		// it allocates the decoded rows too.
		ahead.acquire(e, int64(len(data)))
		if len(data) >= shareBlobBytes && cap(data)-len(data) > len(data)/4 {
			// go-mysql reads an event larger than a packet (16 MB) into a buffer grown by
			// doubling: a 20 MB event lands in ~36 MB. Its large values refer to the event's
			// bytes (shareLargeBlobs), so decoding from an exactly sized copy lets that buffer go
			// as soon as the event is parsed (the streamer drops its RawData) instead of with
			// the last of its records. An event read into a buffer of its size is kept.
			data = bytes.Clone(data)
		}
		pos, err := e.DecodeHeader(data)
		if err != nil {
			return err
		}
		if e.Table != nil && !t.schema.captured(relational.TableID{Catalog: string(e.Table.Schema), Table: string(e.Table.Table)}) {
			return nil
		}
		if err := e.DecodeData(pos, data); err != nil {
			e.Rows = nil
			s.undecodable.Store(e, err)
		}
		return nil
	}
	syncer := replication.NewBinlogSyncer(sc)
	defer syncer.Close()
	// Before Close (deferred calls run last first): a syncer waiting for read-ahead budget must
	// let go, or Close would wait for it forever.
	defer ahead.close()

	s.skipEvents = t.pos.restartEvents
	s.skipRows = int(t.pos.restartRows)
	s.skipping = false

	var streamer *replication.BinlogStreamer
	if t.pos.restartGTIDs != "" {
		g, err := newGTIDTracker(t.flavor, t.pos.restartGTIDs)
		if err != nil {
			return false, api.Permanent(err)
		}
		s.gtids = g
		set, err := g.gtidSet()
		if err != nil {
			return false, api.Permanent(fmt.Errorf("cannot use the stored gtids %q: %w", t.pos.restartGTIDs, err))
		}
		t.pos.setCompletedGTIDs(t.pos.restartGTIDs)
		streamer, err = syncer.StartSyncGTID(set)
		if err != nil {
			return false, api.Retriable(fmt.Errorf("cannot start reading the binlog at GTID set %s: %w", t.pos.restartGTIDs, err))
		}
	} else {
		g, _ := newGTIDTracker(t.flavor, "")
		s.gtids = g
		streamer, err = syncer.StartSync(gomysql.Position{Name: t.pos.restartFile, Pos: uint32(t.pos.restartPos)})
		if err != nil {
			return false, api.Retriable(fmt.Errorf("cannot start reading the binlog at %s:%d: %w", t.pos.restartFile, t.pos.restartPos, err))
		}
	}
	t.pos.setStart(t.pos.restartFile, t.pos.restartPos)
	t.pos.restartEvents, t.pos.restartRows = s.skipEvents, int64(s.skipRows)
	t.streaming.Store(true)

	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return connected, nil
			}
			return connected, classifyStreamError(err, t)
		}
		if len(ev.RawData) >= shareBlobBytes {
			ev.RawData = nil // the read buffer of a large event, whose rows were decoded from a copy
		}
		if !connected {
			source.Connected(ctx) // the server sends its first event once the dump started
			connected = true
		}
		if err := s.handle(ctx, ev); err != nil {
			return connected, err
		}
		ahead.release(ev)
		if ev.Header.LogPos > 0 {
			t.Reader.Progress.SetBinlogPosition(t.pos.file, int64(ev.Header.LogPos))
		}
	}
}

// classifyStreamError turns a server error about purged logs or missing grants into a permanent,
// explained error. Any other error reading the binlog is the connection's: the stream restarts
// from the restart point, so it is retriable.
func classifyStreamError(err error, t *Task) error {
	var me *gomysql.MyError
	if errors.As(err, &me) && me.Code == gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG {
		// The same code covers a purged position and a binlog the server cannot read (a file cut
		// short by a full disk): the advice fits only the first.
		if m := strings.ToLower(me.Message); strings.Contains(m, "truncated") || strings.Contains(m, "disk space") || strings.Contains(m, "corrupt") {
			return api.Permanent(fmt.Errorf("the server cannot read its own binlog at %s: %s; fix the server's binlog (disk space, a damaged file), then restart the task",
				t.pos.describeRestart(), me.Message))
		}
		return api.Permanent(fmt.Errorf("the server cannot send the binlog from %s: %s; the position was probably purged. "+
			"Use snapshot.mode=when_needed to take a new snapshot, or stop the connector and rewrite its offset to a position the server still has",
			t.pos.describeRestart(), me.Message))
	}
	if errors.As(err, &me) && (me.Code == gomysql.ER_ACCESS_DENIED_ERROR || me.Code == gomysql.ER_SPECIFIC_ACCESS_DENIED_ERROR) {
		return api.Permanent(fmt.Errorf("the database user cannot read the binlog: %s; grant it REPLICATION SLAVE and REPLICATION CLIENT", me.Message))
	}
	return api.Retriable(fmt.Errorf("binlog stream failed: %w", err))
}

// describeRestart names the restart point for messages.
func (p *position) describeRestart() string {
	if p.restartGTIDs != "" {
		return fmt.Sprintf("GTID set %s (file %s, pos %d)", p.restartGTIDs, p.restartFile, p.restartPos)
	}
	return fmt.Sprintf("file %s, pos %d", p.restartFile, p.restartPos)
}

// handle processes one binlog event, as Debezium's BinlogStreamingChangeEventSource.handleEvent.
func (s *streamer) handle(ctx context.Context, ev *replication.BinlogEvent) error {
	t := s.t
	h := ev.Header
	if h.EventType == replication.HEARTBEAT_EVENT || h.EventType == replication.HEARTBEAT_LOG_EVENT_V2 {
		if t.pos.inTx {
			return nil
		}
		if err := s.passWatermarks(ctx); err != nil {
			return err
		}
		return s.maybeHeartbeat(ctx)
	}
	t.pos.serverID = int64(h.ServerID)
	if h.Timestamp != 0 {
		t.pos.tsSec = int64(h.Timestamp)
	}
	if re, ok := ev.Event.(*replication.RotateEvent); ok {
		t.pos.setStart(string(re.NextLogName), int64(re.Position))
		if t.pos.inTx {
			// A rotation cannot happen inside a transaction; keep the counters consistent.
			t.pos.inTx = false
		}
		clear(s.tableIDs)
		t.tableMaps.forget()
		return nil
	}
	if h.LogPos == 0 {
		// Artificial events (format description, GTID list) carry no position.
		return nil
	}
	t.pos.setEvent(int64(h.LogPos)-int64(h.EventSize), int64(h.EventSize))

	s.endWritten, s.skipEnded = s.skipEnded, false
	if err := s.dispatch(ctx, ev); err != nil {
		return err
	}
	t.pos.completeEvent()
	if s.skipping {
		s.skipEvents--
		s.skipping = s.skipEvents > 0
		s.skipEnded = !s.skipping && s.skipRows == 0
	}
	// A heartbeat carries the restart point, so it is sent only between transactions: inside
	// one, an offset naming all events before the XID would read as that transaction's END
	// record (see commit), and one taken before the event was counted would replay its rows.
	if !t.pos.inTx {
		if err := s.passWatermarks(ctx); err != nil {
			return err
		}
		return s.maybeHeartbeat(ctx)
	}
	return nil
}

// dispatch handles one event's content. MySQL's compressed transactions
// (binlog_transaction_compression) carry their events inside one TRANSACTION_PAYLOAD event:
// those are dispatched in turn and count as that one event, as in Debezium.
func (s *streamer) dispatch(ctx context.Context, ev *replication.BinlogEvent) error {
	t := s.t
	h := ev.Header
	var err error
	switch e := ev.Event.(type) {
	case *replication.TransactionPayloadEvent:
		for _, inner := range e.Events {
			if err := s.dispatch(ctx, inner); err != nil {
				return err
			}
		}
	case *replication.MariadbGTIDEvent:
		g := mariaGTID{Domain: e.GTID.DomainID, Server: e.GTID.ServerID, Seq: e.GTID.SequenceNumber}
		s.gtids.maria.add(g)
		t.pos.startGTID(g.String(), s.gtids.String())
		s.skipGroup = false
		if !e.IsStandalone() {
			err = s.begin(ctx, h)
		} else {
			t.pos.startStandalone()
			if s.skipEvents > 0 {
				s.skipGroup = true
				s.skipEvents, s.skipRows = 0, 0
			}
			if t.tx != nil {
				// A standalone event group (DDL) is no transaction for the offsets, but Debezium's
				// MariaDB connector announces it on the transaction topic all the same.
				err = s.announce(ctx, h, g.String())
			}
		}
	case *replication.GTIDEvent:
		gtid, gerr := s.addMySQLGTID(e)
		if gerr != nil {
			return api.Permanent(gerr)
		}
		t.pos.startGTID(gtid, s.gtids.String())
	case *replication.QueryEvent:
		err = s.query(ctx, h, e)
	case *replication.XIDEvent:
		err = s.commit(ctx, h)
		t.Reader.Progress.TransactionCommitted()
	case *replication.TableMapEvent:
		id := relational.TableID{Catalog: string(e.Schema), Table: string(e.Table)}
		s.tableIDs[e.TableID] = id
		err = s.checkTableMap(ctx, e, id)
	case *replication.RowsEvent:
		err = s.rows(ctx, h, e)
	case *replication.MariadbAnnotateRowsEvent:
		if t.cfg.IncludeQuery {
			t.pos.query = string(e.Query)
		}
	case *replication.RowsQueryEvent:
		if t.cfg.IncludeQuery {
			t.pos.query = string(e.Query)
		}
	}
	return err
}

// addMySQLGTID adds a MySQL GTID event's uuid:gno to the executed set.
func (s *streamer) addMySQLGTID(e *replication.GTIDEvent) (string, error) {
	u, err := formatUUID(e.SID)
	if err != nil {
		return "", err
	}
	gtid := fmt.Sprintf("%s:%d", u, e.GNO)
	if err := s.gtids.mysql.Update(gtid); err != nil {
		return "", fmt.Errorf("cannot add GTID %s to the executed set: %w", gtid, err)
	}
	return gtid, nil
}

func formatUUID(b []byte) (string, error) {
	if len(b) != 16 {
		return "", fmt.Errorf("GTID event has a %d-byte server uuid, want 16", len(b))
	}
	return envelope.UUIDString([16]byte(b)), nil
}

// begin starts a transaction (a MariaDB GTID event or a BEGIN query).
func (s *streamer) begin(ctx context.Context, h *replication.EventHeader) error {
	t := s.t
	t.pos.beginTx()
	if s.skipEvents != 0 {
		s.skipping = true
	}
	s.txStart = time.Unix(int64(h.Timestamp), 0)
	if t.tx != nil {
		return s.announce(ctx, h, t.pos.txID)
	}
	return nil
}

// announce emits the BEGIN record of transaction id. Debezium's binlog connectors announce every
// transaction of the server as it starts, whether or not it touches a captured table (its END
// then counts no event), and never end the transaction of a DDL statement: a transaction still
// open when the next one begins is dropped without an END, as Debezium 3.5 does.
func (s *streamer) announce(ctx context.Context, h *replication.EventHeader, id string) error {
	t := s.t
	if t.tx.Active() && t.tx.ID() != id {
		_ = t.tx.Load(nil)
	}
	if t.tx.Active() {
		return nil // replaying the transaction in progress after a restart
	}
	off := t.pos.offset(false)
	recs := t.tx.Begin(s.records[:0], id, time.Unix(int64(h.Timestamp), 0), t.partition, off)
	t.tx.Store(off)
	return t.emit(ctx, recs)
}

// commit ends a transaction (XID event or COMMIT query).
func (s *streamer) commit(ctx context.Context, h *replication.EventHeader) error {
	t := s.t
	t.pos.commitTx()
	t.pos.thread = -1
	s.skipping = false
	s.skipEvents = 0
	s.skipRows = 0
	if t.tx != nil && t.tx.Active() {
		if s.endWritten {
			// The restart point named every event of the transaction but its XID: only the END
			// record carries such an offset (Debezium writes the END with the offset from before
			// the commit), so the previous run wrote this END already.
			_ = t.tx.Load(nil)
			return nil
		}
		// The END record carries the offset after the commit: once it is acknowledged, a restart
		// begins after this transaction and neither replays nor re-ends it.
		recs := t.tx.End(s.records[:0], time.Unix(int64(h.Timestamp), 0), t.partition, t.pos.offset(false))
		return t.emit(ctx, recs)
	}
	return nil
}

// query handles BEGIN, COMMIT and DDL statements.
func (s *streamer) query(ctx context.Context, h *replication.EventHeader, e *replication.QueryEvent) error {
	t := s.t
	sql := strings.TrimSpace(string(e.Query))
	switch {
	case strings.EqualFold(sql, "BEGIN"):
		err := s.begin(ctx, h)
		// MySQL's BEGIN names the session's thread, which Debezium reports as source.thread.
		t.pos.thread = int64(e.SlaveProxyID)
		return err
	case strings.EqualFold(sql, "COMMIT"):
		return s.commit(ctx, h)
	case strings.EqualFold(sql, "ROLLBACK"):
		return nil
	}
	upper := strings.ToUpper(sql[:min(len(sql), 8)])
	if strings.HasPrefix(upper, "XA ") || strings.HasPrefix(upper, "INSERT ") || strings.HasPrefix(upper, "UPDATE ") ||
		strings.HasPrefix(upper, "DELETE ") || strings.HasPrefix(upper, "SAVEPOIN") {
		return nil
	}
	if s.skipGroup {
		// Restarting inside this statement's event group: the previous run handled it.
		s.skipGroup = false
		t.pos.ddlDone()
		t.log.Info("skipping a DDL statement the previous run already handled", "position", t.pos.describeEvent(), "statement", sql)
		return nil
	}
	if s.skipping {
		return nil
	}
	hist := t.historyOffset()
	// A DDL statement is its own transaction (MariaDB logs it under a standalone GTID): once
	// handled, a restart must not replay it.
	t.pos.ddlDone()
	return t.schemaChange(ctx, string(e.Schema), sql, time.Unix(int64(h.Timestamp), 0), true, hist)
}

// historyOffset is the schema history position of the DDL statement at the current event, as
// Debezium records it (see position.ddlHistoryOffset), with the transaction in progress.
func (t *Task) historyOffset() map[string]any {
	m := t.pos.ddlHistoryOffset()
	if t.tx != nil {
		t.tx.Store(m)
	}
	return m
}

// rows emits the change events of one rows event.
func (s *streamer) rows(ctx context.Context, h *replication.EventHeader, e *replication.RowsEvent) error {
	t := s.t
	decodeErr, bad := s.undecodable.LoadAndDelete(e)
	if s.skipping {
		return nil
	}
	id, ok := s.tableIDs[e.TableID]
	if !ok {
		return api.Permanent(fmt.Errorf("rows event at %s:%d refers to table number %d without a preceding table map event",
			t.pos.file, t.pos.eventPos, e.TableID))
	}
	if !t.schema.captured(id) {
		s.skipRows = 0
		t.Reader.Progress.EventFiltered()
		return nil
	}
	if bad {
		s.skipRows = 0
		return t.eventFailed(fmt.Errorf("cannot decode the rows event at %s for table %s: %v; "+
			"a column type the binlog decoder does not support (such as MariaDB's COMPRESSED columns) cannot be captured: "+
			"exclude the table from capture (table.exclude.list), or set event.processing.failure.handling.mode=warn to skip such events",
			t.pos.describeEvent(), id, decodeErr))
	}
	var op envelope.Op
	switch h.EventType {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2,
		replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1:
		op = envelope.OpCreate
		if t.cfg.SkippedOperations.Has(envelope.OpCreate) {
			return nil
		}
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1, replication.PARTIAL_UPDATE_ROWS_EVENT:
		op = envelope.OpUpdate
		if t.cfg.SkippedOperations.Has(envelope.OpUpdate) {
			return nil
		}
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		op = envelope.OpDelete
		if t.cfg.SkippedOperations.Has(envelope.OpDelete) {
			return nil
		}
	default:
		return nil
	}
	enc, err := t.schema.encoder(id)
	if err != nil {
		return api.Permanent(err)
	}
	if enc == nil && t.schema.tables.Get(id) == nil && isSequenceTableMap(e.Table) {
		s.skipRows = 0
		return nil
	}
	if enc == nil {
		return api.Permanent(fmt.Errorf("binlog event at %s:%d changes table %s, whose structure is unknown to the connector "+
			"(its schema history does not describe it); take a new snapshot (snapshot.mode=when_needed after deleting the offset) "+
			"or use snapshot.mode=recovery to rebuild the history", t.pos.file, t.pos.eventPos, id))
	}
	tbl := t.schema.tables.Get(id)
	step := 1
	if op == envelope.OpUpdate {
		step = 2
	}
	if h.EventSize >= shareBlobBytes {
		shareLargeBlobs(tbl, e.Rows)
	}
	n := len(e.Rows) / step
	ts := time.Unix(int64(h.Timestamp), 0)
	versioned := hasHiddenVersioning(tbl)
	for i := s.skipRows; i < n; i++ {
		var before, after []any
		switch op {
		case envelope.OpCreate:
			after = e.Rows[i]
		case envelope.OpDelete:
			before = e.Rows[i]
		default:
			before, after = e.Rows[2*i], e.Rows[2*i+1]
		}
		if (before != nil && len(before) != len(tbl.Columns)) || (after != nil && len(after) != len(tbl.Columns)) {
			return api.Permanent(fmt.Errorf("rows event at %s:%d for table %s has %d columns but the schema model has %d; "+
				"the schema history does not match the binlog: restart with snapshot.mode=recovery",
				t.pos.file, t.pos.eventPos, id, max(len(before), len(after)), len(tbl.Columns)))
		}
		rowOp := op
		if versioned {
			var keep bool
			if rowOp, before, after, keep = versionedChange(op, before, after); !keep {
				continue
			}
		}
		t.pos.setRow(i, n)
		src := t.source(&s.srcCache, id, ts, envelope.SnapshotFalse)
		recs := s.records[:0]
		var txs envelope.TxSource
		if t.tx != nil && t.pos.inTx {
			if !t.tx.Active() || t.tx.ID() != t.pos.txID {
				recs = t.tx.Begin(recs, t.pos.txID, s.txStart, t.partition, t.pos.offset(false))
			}
			txs = t.tx
		}
		off := t.offset()
		pre := recs
		recs, err = enc.Records(recs, &envelope.Event{Op: rowOp, Before: before, After: after, Source: src, Tx: txs,
			Partition: t.partition, Offset: off}, t.cfg.TombstonesOnDelete)
		if err != nil {
			if err := t.eventFailed(fmt.Errorf("cannot convert row %d of the rows event at %s for table %s: %w", i, t.pos.describeEvent(), id, err)); err != nil {
				return err
			}
			// The row is skipped; a BEGIN it opened still goes out.
			if len(pre) > 0 {
				if err := t.emit(ctx, pre); err != nil {
					return err
				}
			}
			continue
		}
		if t.tx != nil && t.tx.Active() {
			// The transaction counters belong in the offset of every event inside it.
			t.tx.Store(off)
		}
		if err := t.emit(ctx, recs); err != nil {
			return err
		}
	}
	t.pos.rowsDone()
	s.skipRows = 0
	return nil
}

// maybeHeartbeat emits a heartbeat when the interval has passed.
func (s *streamer) maybeHeartbeat(ctx context.Context) error {
	t, now := s.t, time.Now()
	if !s.beat.Due(now) {
		return nil
	}
	if r := s.beat.Maybe(now, t.partition, t.offset()); r != nil {
		return t.emit(ctx, []*api.SourceRecord{r})
	}
	return nil
}

// schemaChange applies a DDL statement: table model, schema history (at position histPos),
// schema change event, truncate event. The events carry the current offset.
func (t *Task) schemaChange(ctx context.Context, db, sql string, ts time.Time, streaming bool, histPos map[string]any) error {
	res, err := t.schema.applyDDL(t.schema.tables, db, sql)
	if err != nil {
		if errors.Is(err, errUnparseable) {
			if !t.schema.unparseableMatters(db, sql) {
				// DDL that names only databases this connector does not capture cannot change
				// a table it emits; an unreadable one is no reason to stop.
				t.log.Warn("ignoring a DDL statement of an uncaptured database that cannot be parsed", "database", db, "statement", sql, "error", err)
				return nil
			}
			if t.cfg.SkipUnparseableDDL {
				t.log.Warn("skipping DDL statement that cannot be parsed", "statement", sql, "position", t.pos.describeEvent(), "error", err)
				return nil
			}
			return api.Permanent(fmt.Errorf("cannot parse the DDL statement at %s: %w; statement: %s. "+
				"Set %s=true to skip statements that cannot be parsed (the table model may then be wrong)",
				t.pos.describeEvent(), err, sql, cdcconfig.HistorySkipUnparseableDDL))
		}
		return api.Permanent(fmt.Errorf("cannot apply the DDL statement at %s: %w; statement: %s", t.pos.describeEvent(), err, sql))
	}
	if res.Ignored && len(res.Changes) == 0 && res.Truncated == nil {
		return nil
	}
	if res.Truncated != nil {
		if t.schema.captured(*res.Truncated) && !t.cfg.SkippedOperations.Has(envelope.OpTruncate) {
			enc, err := t.schema.encoder(*res.Truncated)
			if err != nil {
				return api.Permanent(err)
			}
			if enc != nil {
				src := t.source(nil, *res.Truncated, ts, envelope.SnapshotFalse)
				var txs envelope.TxSource
				if t.tx != nil && t.tx.Active() {
					txs = t.tx
				}
				off := t.offset()
				recs, err := enc.Records(nil, &envelope.Event{Op: envelope.OpTruncate, Source: src, Tx: txs, Partition: t.partition, Offset: off}, false)
				if txs != nil {
					t.tx.Store(off)
				}
				if err != nil {
					return api.Permanent(err)
				}
				if err := t.emit(ctx, recs); err != nil {
					return err
				}
			}
		}
		return nil
	}
	capturedChange := len(res.Changes) == 0 && t.schema.databaseCaptured(res.Database)
	for _, ch := range res.Changes {
		if t.schema.captured(ch.ID) || (!ch.PreviousID.IsZero() && t.schema.captured(ch.PreviousID)) {
			capturedChange = true
		}
	}
	if t.cfg.StoreOnlyCapturedTablesDDL && !capturedChange {
		return nil
	}
	if t.cfg.StoreOnlyCapturedDBsDDL && !t.schema.databaseCaptured(res.Database) {
		return nil
	}
	if !t.schema.databaseCaptured(res.Database) && len(res.Changes) == 0 {
		return nil
	}
	rec := &schemahistory.Record{
		Source:       t.partition,
		Position:     histPos,
		TsMs:         time.Now().UnixMilli(),
		DatabaseName: res.Database,
		DDL:          sql,
		TableChanges: res.Changes,
	}
	t.tableMaps.noteDDL(res.Changes, sql)
	if err := t.history.Record(ctx, rec); err != nil {
		return fmt.Errorf("cannot record the schema change at %s: %w", t.pos.describeEvent(), err)
	}
	if t.cfg.IncludeSchemaChanges && capturedChange {
		var tid *relational.TableID
		if len(res.Changes) > 0 {
			tid = &res.Changes[0].ID
		}
		r := t.schemaChangeRecord(rec, tid, ts, streaming)
		r.SourceOffset = t.offset()
		if err := t.emit(ctx, []*api.SourceRecord{r}); err != nil {
			return err
		}
	}
	return nil
}

// describeEvent names the current event's position for messages.
func (p *position) describeEvent() string {
	s := fmt.Sprintf("binlog file %s, position %d", p.file, p.eventPos)
	if p.gtid != "" {
		s += ", GTID " + p.gtid
	}
	return s
}

// eventFailed applies event.processing.failure.handling.mode to an event the connector cannot
// process (err names it and its binlog position): 'fail' stops the task with err, 'warn' logs it
// and skips the event, 'skip' (or 'ignore') skips it with a debug message.
func (t *Task) eventFailed(err error) error {
	switch t.cfg.EventProcessingFailureMode {
	case "warn":
		t.log.Warn("skipping an event that cannot be processed (event.processing.failure.handling.mode=warn)", "error", err.Error())
		return nil
	case "skip", "ignore":
		t.log.Debug("skipping an event that cannot be processed (event.processing.failure.handling.mode=skip)", "error", err.Error())
		return nil
	}
	return api.Permanent(err)
}
