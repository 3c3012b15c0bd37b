package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/heartbeat"
	"github.com/connectd/connectd/connectors/source"
)

// RunStream runs the replication protocol from the start LSN until ctx ends: it decodes
// pgoutput messages into records, and confirms the committed LSN to the server on every status
// interval (source.Engine).
func (t *Task) RunStream(ctx context.Context) error {
	t.Signals.Inc.Start(ctx)
	cfg, start := t.cfg, t.startLSN
	t.seq.lastCommit, t.seq.safe = start, start
	t.seq.commitKnown = t.startRaw != nil && t.start.LSNCommit != 0
	if t.start.HasTxID && t.start.MsgType != msgCommit && t.start.LSNCommit != 0 {
		r := t.start
		t.seq.resume = &r
	}
	// Only an offset inside a transaction continues its counters; one at a COMMIT (an END
	// record's) names a finished transaction.
	if t.tx != nil && t.startRaw != nil && t.start.MsgType != msgCommit {
		if err := t.tx.Load(t.startRaw); err != nil {
			t.log.Warn("cannot restore the transaction metadata counters from the offset", "error", err)
		}
	}
	t.StartHeartbeatAction(ctx, cfg.HeartbeatActionQuery, func(ctx context.Context) (func(context.Context, string) error, func(), error) {
		conn, err := cfg.connect(ctx, false)
		return func(ctx context.Context, q string) error { _, err := simpleQuery(ctx, conn, q); return err }, func() { closeConn(conn) }, err
	})
	// A broken connection (server restart, network, walsender terminated) is re-opened and
	// streaming resumes after what was already handed to the queue: the server sends again every
	// transaction that commits after the last one processed; the events of one in progress that
	// were already emitted are skipped, as after a restart from an offset.
	return source.SuperviseStream(ctx, cfg.Retry, t.log, "replication connection", func(ctx context.Context) (bool, error) {
		if t.repl == nil {
			if err := t.reconnect(ctx); err != nil {
				return false, classify(err)
			}
		}
		began, from := time.Now(), t.seq.lastCommit
		err := classify(t.streamOnce(ctx, start))
		if ctx.Err() != nil {
			return false, nil
		}
		if err == nil {
			err = api.Retriable(errors.New("the server ended the replication stream"))
		}
		if !api.IsRetriable(err) {
			return false, err
		}
		start = t.prepareResume()
		// A connection that streamed a transaction, or lasted a minute, was not refused: the next
		// one starts afresh (errors.max.retries counts failures in a row, not server restarts).
		return t.seq.lastCommit != from || time.Since(began) > time.Minute, err
	}, func() []any {
		return []any{"resume_at", start, "inside_transaction", t.seq.resume != nil}
	})
}

// prepareResume resets the stream state after a broken connection and returns where streaming
// restarts: the end of the last transaction processed, skipping the events already emitted of
// the one that was in progress.
func (t *Task) prepareResume() pglogrepl.LSN {
	sq := &t.seq
	if sq.inTx && sq.resume == nil {
		r := position{TxID: int64(sq.xid), HasTxID: true, LSN: sq.lsn, EventsProcessed: sq.sameLSN, MsgType: msgInsert}
		if sq.sameLSN == 0 {
			r.MsgType = msgBegin // nothing of it emitted but its BEGIN
		}
		sq.resume = &r
	}
	sq.inTx, sq.skipping = false, false
	t.dropSpools()
	t.streamXid = 0
	t.streaming = false
	closeConn(t.repl)
	t.repl = nil
	return sq.lastCommit
}

// reconnect opens a new replication connection, and a new regular one when it broke too.
func (t *Task) reconnect(ctx context.Context) error {
	if t.meta == nil || t.meta.IsClosed() || t.meta.Ping(ctx) != nil {
		closeConn(t.meta)
		t.meta = nil
		m, err := t.cfg.connect(ctx, false)
		if err != nil {
			return err
		}
		t.meta = m
	}
	r, err := t.cfg.connect(ctx, true)
	if err != nil {
		return err
	}
	t.repl = r
	return nil
}

// classify marks the errors PostgreSQL reports about the connection rather than the data or the
// configuration as retriable: SQLSTATE classes 08 (connection exception) and 57 (operator
// intervention: shutdown, terminated backend), 55006 (the slot is still held by the walsender of
// the broken connection), and what pgconn says is safe to retry. Transport errors are retriable
// anyway (api.IsRetriable); any other server error is left to the common policy, which fails.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var re *api.RetriableError
	if errors.As(err, &re) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57") || pe.Code == "55006" {
			return api.Retriable(err)
		}
		return err
	}
	if pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "connection reset") {
		return api.Retriable(err)
	}
	return err
}

// streamOnce starts replication at start on the current connection and runs the receive loop.
func (t *Task) streamOnce(ctx context.Context, start pglogrepl.LSN) error {
	cfg := t.cfg
	t.protoStreaming = false
	args := []string{"proto_version '1'", "publication_names " + quoteLiteral(cfg.Publication)}
	if cfg.Streaming {
		if major := serverMajor(t.repl.ParameterStatus("server_version")); major >= 14 {
			args = []string{"proto_version '2'", "publication_names " + quoteLiteral(cfg.Publication), "streaming 'on'"}
			t.protoStreaming = true
		} else {
			t.logf("PostgreSQL %d cannot stream in-progress transactions (14 or later can); large transactions are decoded by the server before they are sent", major)
		}
	}
	if err := pglogrepl.StartReplication(ctx, t.repl, cfg.SlotName, start,
		pglogrepl.StartReplicationOptions{Mode: pglogrepl.LogicalReplication, PluginArgs: args}); err != nil {
		return fmt.Errorf("cannot start streaming from replication slot %q at %s with publication %q: %w", cfg.SlotName, start, cfg.Publication, err)
	}
	t.logf("streaming from %s", start)
	source.Connected(ctx)
	t.streaming = true
	t.phase.Store(phaseStreaming)
	if t.confirmed.Load() == 0 {
		t.confirmed.Store(uint64(start))
	}
	t.nextStatus = time.Now().Add(cfg.StatusInterval)
	s := &streamer{t: t, beat: t.Heartbeat.Inline(time.Now())}
	return s.loop(ctx)
}

// serverMajor reads the major version from server_version ("15.18 (Debian ...)").
func serverMajor(v string) int {
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// streamer holds the receive loop's timers.
type streamer struct {
	t       *Task
	beat    *heartbeat.Inline
	nextLag time.Time // when the slot's lag is logged next
}

// lagLogInterval is how often the slot's lag is logged.
const lagLogInterval = time.Minute

func (s *streamer) loop(ctx context.Context) error {
	t := s.t
	for {
		if ctx.Err() != nil {
			s.finalStatus()
			return nil
		}
		now := time.Now()
		// Confirm on every status interval, and within a second of a new commit from the runtime.
		if !now.Before(t.nextStatus) || t.ack.Load() != t.sentAck {
			if err := t.sendStatus(!t.seq.inTx && t.Heartbeat.Enabled()); err != nil {
				return err
			}
		}
		if s.beat.Due(now) {
			if err := s.heartbeat(ctx); err != nil {
				return err
			}
		}
		if now.After(s.nextLag) {
			if !s.nextLag.IsZero() {
				st := t.Status()
				t.log.Info("replication slot position", "confirmed_lsn", st.ConfirmedLSN, "server_lsn", st.ServerLSN, "lag_bytes", st.LagBytes)
			}
			s.nextLag = now.Add(lagLogInterval)
		}
		deadline := t.nextStatus
		if next, on := s.beat.Next(); on && next.Before(deadline) {
			deadline = next
		}
		if d := now.Add(time.Second); d.Before(deadline) {
			deadline = d // wake up to notice new commits from the runtime
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		msg, err := t.repl.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				s.finalStatus()
				return nil
			}
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("replication stream from slot %q failed: %w", t.cfg.SlotName, err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(m.Data[1:])
				if err != nil {
					return fmt.Errorf("bad keepalive from the server: %w", err)
				}
				t.serverLSN.Store(uint64(ka.ServerWALEnd))
				// Between transactions everything before the server's WAL end has been sent and
				// processed, so a restart may resume there: this lets heartbeats move the slot while
				// only tables outside the publication (or filtered out) change.
				if !t.seq.inTx && ka.ServerWALEnd > t.seq.safe {
					t.seq.safe = ka.ServerWALEnd
				}
				if ka.ReplyRequested {
					t.confirmIdle(ka.ServerWALEnd)
					if err := t.sendStatus(false); err != nil {
						return err
					}
				}
			case pglogrepl.XLogDataByteID:
				xld, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					return fmt.Errorf("bad XLogData from the server: %w", err)
				}
				if xld.ServerWALEnd > 0 {
					t.serverLSN.Store(uint64(xld.ServerWALEnd))
				}
				if err := t.handle(ctx, xld.WALStart, xld.WALData); err != nil {
					if ctx.Err() != nil {
						s.finalStatus()
						return nil
					}
					return err
				}
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("replication stream from slot %q: %w", t.cfg.SlotName, pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyDone:
			return fmt.Errorf("the server ended the replication stream of slot %q", t.cfg.SlotName)
		}
	}
}

// sendStatus confirms the committed LSN; replyRequested asks the server for a keepalive with its
// WAL end, so an idle stream learns how far it may advance.
func (t *Task) sendStatus(replyRequested bool) error {
	ack := t.ack.Load()
	err := pglogrepl.SendStandbyStatusUpdate(context.Background(), t.repl, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: pglogrepl.LSN(ack), WALFlushPosition: pglogrepl.LSN(ack), WALApplyPosition: pglogrepl.LSN(ack),
		ReplyRequested: replyRequested,
	})
	if err != nil {
		return fmt.Errorf("cannot send the confirmed position to the server: %w", err)
	}
	t.sentAck = ack
	if ack > t.confirmed.Load() {
		t.confirmed.Store(ack)
	}
	t.nextStatus = time.Now().Add(t.cfg.StatusInterval)
	return nil
}

// sendStatusNow confirms the committed LSN while the reader is busy elsewhere (waiting for room
// in the queue, replaying a spooled transaction), so wal_sender_timeout does not end the stream.
func (t *Task) sendStatusNow() error {
	if t.repl == nil || t.repl.IsClosed() || !t.streaming {
		return nil
	}
	return t.sendStatus(false)
}

// finalStatus confirms the last committed LSN on the way out (Stop comes after the runtime's last
// offset commit).
func (s *streamer) finalStatus() {
	_ = s.t.sendStatusNow()
}

// heartbeat emits a heartbeat record between transactions, carrying the position a restart may
// resume from.
func (s *streamer) heartbeat(ctx context.Context) error {
	t := s.t
	var off map[string]any // none inside a transaction: the last event's offset says where we are
	if !t.seq.inTx {
		p := t.idlePosition()
		off = p.toMap()
	}
	if r := s.beat.Maybe(time.Now(), t.cfg.partition(), off); r != nil {
		return t.put(ctx, r)
	}
	return nil
}

// idlePosition is the offset between transactions: everything up to seq.safe is done.
func (t *Task) idlePosition() position {
	p := position{LSN: t.seq.safe, LSNProc: t.seq.safe, LSNCommit: t.seq.safe, MsgType: msgCommit,
		TsUsec: time.Now().UnixMicro()}
	if t.seq.xid != 0 {
		p.TxID, p.HasTxID = int64(t.seq.xid), true
	}
	if !t.seq.commitTime.IsZero() {
		p.TsUsec = t.seq.commitTime.UnixMicro()
	}
	return p
}

// put hands one record to the queue. While the queue is full it keeps confirming the committed
// LSN to the server, so wal_sender_timeout does not end the stream during backpressure.
func (t *Task) put(ctx context.Context, r *api.SourceRecord) error {
	// A streamed change to a key of the open incremental snapshot window drops its read.
	if err := t.Signals.Inc.Observe(ctx, r); err != nil {
		return err
	}
	t.owed = r.SourceOffset
	return t.Reader.Put(ctx, r, t.sendStatusNow, t.cfg.StatusInterval)
}

// confirmIdle advances the position to confirm to the server's WAL end when nothing is owed:
// between transactions, none spooled, and every record this run queued committed by the
// runtime. A fast shutdown of PostgreSQL waits until each walsender's client has confirmed all
// it was sent, so a connector confirming only the transactions it delivered would hold the
// shutdown until it disconnects. Nothing is skipped: what committed before the WAL end was
// processed and delivered, and a restart from the stored offset streams from the slot's
// confirmed position, past only transactions without a captured change.
func (t *Task) confirmIdle(walEnd pglogrepl.LSN) {
	if t.seq.inTx || t.streamXid != 0 || len(t.spools) > 0 || walEnd > t.seq.safe {
		return
	}
	if t.owed != nil {
		p, err := parsePosition(t.owed)
		if err != nil {
			return
		}
		t.doneMu.Lock()
		done := t.done
		t.doneMu.Unlock()
		if done[0] < int64(p.LSN) || done[0] == int64(p.LSN) && done[1] < p.EventsProcessed {
			return
		}
	}
	for {
		cur := t.ack.Load()
		if uint64(walEnd) <= cur || t.ack.CompareAndSwap(cur, uint64(walEnd)) {
			return
		}
	}
}

// parseMessage decodes one pgoutput message; a malformed message is an error, never a panic.
func parseMessage(data []byte) (m pglogrepl.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed pgoutput message (type %q, %d bytes): %v", data[0], len(data), r)
		}
	}()
	if len(data) == 0 {
		return nil, errors.New("empty pgoutput message")
	}
	// pglogrepl sizes a Truncate message's relation list from its count before checking that the
	// message holds that many ids: a corrupt count would allocate up to 16 GiB (found by
	// FuzzPgoutput).
	if data[0] == 'T' && len(data) >= 5 {
		if n := binary.BigEndian.Uint32(data[1:5]); uint64(len(data)) < 6+4*uint64(n) {
			return nil, fmt.Errorf("malformed pgoutput truncate message: %d relations in %d bytes", n, len(data))
		}
	}
	return pglogrepl.Parse(data)
}

// handle processes one pgoutput message at WAL position lsn.
func (t *Task) handle(ctx context.Context, lsn pglogrepl.LSN, data []byte) error {
	if len(data) == 0 {
		return errors.New("empty pgoutput message")
	}
	if t.protoStreaming {
		if handled, err := t.handleStreamControl(ctx, lsn, data); handled {
			return err
		}
	}
	if data[0] == 'I' || data[0] == 'U' || data[0] == 'D' {
		c, err := parseChange(data)
		if err != nil {
			return fmt.Errorf("at %s: %w", lsn, err)
		}
		return t.onChange(ctx, lsn, &c)
	}
	msg, err := parseMessage(data)
	if err != nil {
		return err
	}
	switch m := msg.(type) {
	case *pglogrepl.BeginMessage:
		return t.onBegin(ctx, lsn, m)
	case *pglogrepl.CommitMessage:
		return t.onCommit(ctx, m)
	case *pglogrepl.RelationMessage:
		return t.onRelation(ctx, m)
	case *pglogrepl.TypeMessage:
		t.refreshType(m.DataType)
	case *pglogrepl.OriginMessage:
		t.seq.origin, t.seq.originLSN = m.Name, m.CommitLSN
	case *pglogrepl.TruncateMessage:
		return t.onTruncate(ctx, lsn, m)
	}
	return nil
}

func (t *Task) onBegin(ctx context.Context, lsn pglogrepl.LSN, m *pglogrepl.BeginMessage) error {
	return t.beginTx(ctx, m.Xid, m.CommitTime, lsn)
}

func (t *Task) onCommit(ctx context.Context, m *pglogrepl.CommitMessage) error {
	t.Reader.Progress.TransactionCommitted()
	return t.endTx(ctx, m.TransactionEndLSN, m.CommitTime)
}

// beginTx starts emitting transaction xid, which committed at commitTime; lsn is its first
// position (BEGIN's).
func (t *Task) beginTx(ctx context.Context, xid uint32, commitTime time.Time, lsn pglogrepl.LSN) error {
	sq := &t.seq
	sq.inTx, sq.xid, sq.commitTime = true, xid, commitTime
	sq.lsn, sq.sameLSN = 0, 0
	sq.origin, sq.originLSN = "", 0
	sq.skipping = false
	if sq.resume != nil {
		// The first transaction after a restart inside a transaction is that transaction again:
		// skip the events the stored offset says were emitted.
		if int64(xid) == sq.resume.TxID {
			// Its BEGIN was emitted before the restart. An offset at BEGIN has no event to skip.
			sq.skipping = sq.resume.MsgType != msgBegin
			if sq.skipping {
				t.logf("transaction %d is replayed from its start; skipping its events up to %s #%d", xid, sq.resume.LSN, sq.resume.EventsProcessed)
			}
			return nil
		}
		sq.resume = nil
	}
	if t.tx != nil {
		p := position{LSN: lsn, LSNProc: lsn, LSNCommit: sq.lastCommit, TxID: int64(xid), HasTxID: true,
			TsUsec: commitTime.UnixMicro(), MsgType: msgBegin}
		recs := t.tx.Begin(nil, txIDString(xid), commitTime, t.cfg.partition(), p.toMap())
		setTxID(recs, txIDString(xid)+":"+lsnString(lsn))
		return t.putAll(ctx, recs)
	}
	return nil
}

// endTx finishes the transaction in progress, which ends at end.
func (t *Task) endTx(ctx context.Context, end pglogrepl.LSN, commitTime time.Time) error {
	sq := &t.seq
	sq.inTx, sq.skipping, sq.resume = false, false, nil
	sq.lastCommit, sq.commitKnown = end, true
	if end > sq.safe {
		sq.safe = end
	}
	sq.commitTime = commitTime
	if t.tx != nil && t.tx.Active() {
		// END's offset is the position after the commit, still carrying the transaction's
		// counters, as Debezium writes it (the context is reset only after END).
		p := t.idlePosition()
		off := p.toMap()
		t.tx.Store(off)
		recs := t.tx.End(nil, commitTime, t.cfg.partition(), off)
		setTxID(recs, txIDString(sq.xid)+":"+lsnString(end))
		return t.putAll(ctx, recs)
	}
	return nil
}

// onRelation rebuilds a table's structure from a Relation message: pgoutput sends one before the
// first change of a table in each session and after every change of its structure, which is how
// ALTER TABLE reaches the events.
func (t *Task) onRelation(ctx context.Context, m *pglogrepl.RelationMessage) error {
	id := relational.TableID{Schema: m.Namespace, Table: m.RelationName}
	if !t.cfg.Capture.IncludeTable(id) {
		t.ignored[m.RelationID] = id.String()
		delete(t.tables, m.RelationID)
		return nil
	}
	delete(t.ignored, m.RelationID)
	rel := make([]relColumn, len(m.Columns))
	for i, c := range m.Columns {
		rel[i] = relColumn{name: c.Name, oid: c.DataType, typmod: c.TypeModifier}
	}
	cat, err := readTable(ctx, t.meta, m.RelationID)
	if err != nil {
		return fmt.Errorf("cannot read the structure of table %s after its Relation message: %w", id, err)
	}
	tb, err := t.buildTable(m.RelationID, id, m.ReplicaIdentity, rel, cat)
	if err != nil {
		return err
	}
	cur := t.tables[m.RelationID]
	if cur != nil && cur.sig == tb.sig && cur.id == tb.id {
		tb = cur // unchanged: keep the schemas already built (and shared by converters)
	} else if cur != nil {
		t.logf("table %s changed structure: %d columns", id, len(tb.cols))
	}
	tb.replIdent = m.ReplicaIdentity
	t.tables[m.RelationID] = tb
	return nil
}

// staleEnum reports whether tuple data td holds an enum label the table's schema does not list.
func staleEnum(tb *table, td []byte) bool {
	if len(td) < 2 {
		return false
	}
	n := int(binary.BigEndian.Uint16(td)) // parseChange checked the layout
	off := 2
	for i := 0; i < n && i < len(tb.cols); i++ {
		kind := td[off]
		off++
		if kind != 't' && kind != 'b' {
			continue
		}
		l := int(binary.BigEndian.Uint32(td[off:]))
		data := td[off+4 : off+4+l]
		off += 4 + l
		if c := &tb.cols[i]; c.enum != nil && kind == 't' && !c.enum[string(data)] {
			return true
		}
	}
	return false
}

// refreshEnums reloads the enum types of a table after a change carried a label its schema does
// not know (added by ALTER TYPE ... ADD VALUE), and rebuilds the table's schemas with the labels
// the catalog has now, as Debezium's PostgresChangeRecordEmitter does.
func (t *Task) refreshEnums(ctx context.Context, tb *table) (*table, error) {
	rel := make([]relColumn, len(tb.cols))
	for i, c := range tb.cols {
		rel[i] = relColumn{name: c.name, oid: c.oid, typmod: c.typmod}
		if c.enum != nil {
			t.refreshType(c.oid)
		}
	}
	cat, err := readTable(ctx, t.meta, tb.oid)
	if err != nil {
		return nil, fmt.Errorf("cannot read the structure of table %s after a new enum value: %w", tb.id, err)
	}
	nt, err := t.buildTable(tb.oid, tb.id, tb.replIdent, rel, cat)
	if err != nil {
		return nil, err
	}
	t.logf("table %s: enum values changed, schema rebuilt", tb.id)
	t.tables[tb.oid] = nt
	return nt, nil
}

// refreshType reloads one type from pg_type (a new enum, domain or extension type).
func (t *Task) refreshType(oid uint32) {
	if t.meta == nil {
		return
	}
	if err := loadTypes(context.Background(), t.meta, t.registry, oid); err != nil {
		t.log.Warn("cannot load type", "oid", oid, "error", err)
	}
}

// tableFor returns the captured table of a relation, nil for a filtered one.
func (t *Task) tableFor(rel uint32) (*table, error) {
	if tb := t.tables[rel]; tb != nil {
		return tb, nil
	}
	if _, ok := t.ignored[rel]; ok {
		return nil, nil
	}
	return nil, fmt.Errorf("change for relation %d arrived before its Relation message; the stream is out of sync", rel)
}

// nextEvent counts a change at lsn and reports whether it was emitted before a restart.
func (t *Task) nextEvent(lsn pglogrepl.LSN) (skip bool) {
	sq := &t.seq
	if lsn == sq.lsn {
		sq.sameLSN++
	} else {
		sq.lsn, sq.sameLSN = lsn, 1
	}
	if !sq.skipping {
		return false
	}
	r := sq.resume
	if lsn < r.LSN || lsn == r.LSN && (r.EventsProcessed == 0 || sq.sameLSN <= r.EventsProcessed) {
		return true
	}
	sq.skipping, sq.resume = false, nil
	return false
}

// sequenceCommit is the last commit LSN source.sequence names, 0 (null) while none is known.
func (sq *seqState) sequenceCommit() pglogrepl.LSN {
	if !sq.commitKnown {
		return 0
	}
	return sq.lastCommit
}

// changePosition is the offset of a change event at lsn.
func (t *Task) changePosition(lsn pglogrepl.LSN, msgType string) position {
	sq := &t.seq
	return position{LSN: lsn, LSNProc: lsn, LSNCommit: sq.lastCommit, TxID: int64(sq.xid), HasTxID: true,
		TsUsec: sq.commitTime.UnixMicro(), MsgType: msgType, EventsProcessed: sq.sameLSN}
}

// emit builds and queues the records of one change.
func (t *Task) emit(ctx context.Context, tb *table, lsn pglogrepl.LSN, op envelope.Op, msgType string, before, after []any) error {
	p := t.changePosition(lsn, msgType)
	off := p.toMapBoxed(&t.offBoxes)
	ev := envelope.Event{Op: op, Before: before, After: after, Partition: t.cfg.partition(), Offset: off,
		Source: t.source(&t.srcCache, tb, t.seq.commitTime, envelope.SnapshotFalse, lsn, t.seq.sequenceCommit(), int64(t.seq.xid), true)}
	if t.tx != nil {
		ev.Tx = txBlocks{tr: t.tx, id: txIDString(t.seq.xid) + ":" + lsnString(lsn)}
	}
	recs, err := tb.schema.Records(t.recs[:0], &ev, t.cfg.TombstonesOnDelete)
	if err != nil {
		return t.changeFailed(lsn, tb, err)
	}
	clear(recs[len(recs):cap(recs)]) // let records of an earlier, longer change go
	t.recs = recs
	if t.tx != nil {
		t.tx.Store(off) // after the event is counted, as Debezium stores the context
	}
	return t.putAll(ctx, t.withHeaders(recs))
}

// onChange emits an insert, update or delete.
func (t *Task) onChange(ctx context.Context, lsn pglogrepl.LSN, c *change) error {
	tb, err := t.tableFor(c.relation)
	if tb == nil || err != nil {
		return err
	}
	if t.nextEvent(lsn) {
		return nil
	}
	if tb.hasEnum && (staleEnum(tb, c.new) || staleEnum(tb, c.old)) {
		if tb, err = t.refreshEnums(ctx, tb); err != nil {
			return err
		}
	}
	switch c.kind {
	case 'I':
		if t.cfg.SkippedOperations.Has(envelope.OpCreate) {
			return nil
		}
		after, err := t.decodeTupleInto(t.rows[1], tb, c.new, nil, false)
		if err != nil {
			return t.changeFailed(lsn, tb, err)
		}
		if after != nil {
			t.rows[1] = after
		}
		return t.emit(ctx, tb, lsn, envelope.OpCreate, msgInsert, nil, after)
	case 'U':
		if t.cfg.SkippedOperations.Has(envelope.OpUpdate) {
			return nil
		}
		before, err := t.decodeTupleInto(t.rows[0], tb, c.old, nil, c.oldKind == 'K')
		if err != nil {
			return t.changeFailed(lsn, tb, err)
		}
		if before != nil {
			t.rows[0] = before
		}
		var full []any
		if c.oldKind == 'O' {
			full = before // REPLICA IDENTITY FULL: unchanged TOASTed values come from the old row
		}
		after, err := t.decodeTupleInto(t.rows[1], tb, c.new, full, false)
		if err != nil {
			return t.changeFailed(lsn, tb, err)
		}
		if after != nil {
			t.rows[1] = after
		}
		return t.emit(ctx, tb, lsn, envelope.OpUpdate, msgUpdate, before, after)
	default:
		if t.cfg.SkippedOperations.Has(envelope.OpDelete) {
			return nil
		}
		before, err := t.decodeTupleInto(t.rows[0], tb, c.old, nil, c.oldKind == 'K')
		if err != nil {
			return t.changeFailed(lsn, tb, err)
		}
		if before != nil {
			t.rows[0] = before
		}
		return t.emit(ctx, tb, lsn, envelope.OpDelete, msgDelete, before, nil)
	}
}

func (t *Task) onTruncate(ctx context.Context, lsn pglogrepl.LSN, m *pglogrepl.TruncateMessage) error {
	for _, rel := range m.RelationIDs {
		tb, err := t.tableFor(rel)
		if err != nil {
			return err
		}
		if tb == nil {
			continue
		}
		if t.nextEvent(lsn) || t.cfg.SkippedOperations.Has(envelope.OpTruncate) {
			continue
		}
		if err := t.emit(ctx, tb, lsn, envelope.OpTruncate, msgTruncate, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

// txBlocks hands out transaction blocks whose id is Debezium's PostgreSQL form "<txId>:<lsn>".
type txBlocks struct {
	tr interface {
		NextBlock(string) *api.Struct
	}
	id string
}

// NextBlock implements envelope.TxSource.
func (b txBlocks) NextBlock(dc string) *api.Struct {
	st := b.tr.NextBlock(dc)
	if st != nil {
		st.PutIndex(0, b.id)
	}
	return st
}

// setTxID rewrites the id of BEGIN/END records to Debezium's PostgreSQL form "<txId>:<lsn>"
// (PostgresTransactionMonitor); the offset keeps the plain transaction id.
func setTxID(recs []*api.SourceRecord, id string) {
	for _, r := range recs {
		if k, ok := r.Key.(*api.Struct); ok {
			_ = k.Put("id", id)
		}
		if v, ok := r.Value.(*api.Struct); ok {
			_ = v.Put("id", id)
		}
	}
}

func txIDString(xid uint32) string { return fmt.Sprint(xid) }

func lsnString(lsn pglogrepl.LSN) string { return fmt.Sprint(int64(lsn)) }

// changeFailed applies event.processing.failure.handling.mode to a change that cannot be decoded
// or converted: 'fail' stops the task with an error naming its LSN, transaction and table, 'warn'
// logs that and skips the change, 'skip' (or 'ignore') skips it with a debug message. A skipped
// change's position still counts, so a restart does not meet it again.
func (t *Task) changeFailed(lsn pglogrepl.LSN, tb *table, err error) error {
	err = fmt.Errorf("cannot process the change at LSN %s (transaction %d) in table %s: %w", lsn, t.seq.xid, tb.id, err)
	switch t.cfg.EventProcessingFailureMode {
	case "warn":
		t.log.Warn("skipping a change that cannot be processed (event.processing.failure.handling.mode=warn)", "error", err.Error())
		return nil
	case "skip", "ignore":
		t.log.Debug("skipping a change that cannot be processed (event.processing.failure.handling.mode=skip)", "error", err.Error())
		return nil
	}
	return api.Permanent(err)
}
