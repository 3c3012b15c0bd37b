package postgres

import (
	"fmt"

	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/source"

	"github.com/jackc/pglogrepl"
)

// Offset keys, as Debezium's PostgresOffsetContext and SourceInfo write them.
const (
	keyLSN             = "lsn"
	keyLSNProc         = "lsn_proc"
	keyLSNCommit       = "lsn_commit"
	keyTxID            = "txId"
	keyTsUsec          = "ts_usec"
	keyXmin            = "xmin"
	keyMessageType     = "messageType"
	keyEventsProcessed = "lsn_events_processed"
	keySnapshot        = source.OffSnapshot
	keyLastSnapshot    = source.OffLastSnapshotRecord
	keySnapCompleted   = source.OffSnapshotCompleted
)

// Debezium's ReplicationMessage.Operation names, written as messageType.
const (
	msgInsert   = "INSERT"
	msgUpdate   = "UPDATE"
	msgDelete   = "DELETE"
	msgTruncate = "TRUNCATE"
	msgCommit   = "COMMIT"
	msgBegin    = "BEGIN"
)

// position is the connector's place in the log, the content of its offset.
//
// A restart resumes streaming at LSNCommit, the end of the last transaction fully emitted: the
// server sends again every transaction that commits after it. Inside a transaction, TxID, LSN and
// EventsProcessed tell which of its events were already emitted, so a replayed transaction
// continues where it stopped instead of repeating itself; this is Debezium's own offset (and
// lsn_events_processed its counter), so Debezium resumes from ours and we from Debezium's.
type position struct {
	LSN       pglogrepl.LSN
	LSNProc   pglogrepl.LSN // 0: absent
	LSNCommit pglogrepl.LSN // 0: absent
	TxID      int64
	HasTxID   bool
	TsUsec    int64
	Xmin      int64
	HasXmin   bool
	MsgType   string
	// EventsProcessed counts the events emitted at LSN within the transaction (several rows of a
	// multi-row insert share one WAL record).
	EventsProcessed int64

	// Snapshot marks an offset written while snapshotting ("snapshot":"INITIAL").
	Snapshot           bool
	LastSnapshotRecord bool
	SnapshotCompleted  bool
	// Snap is connectd's progress of a running snapshot (source.OffsetSnapshotTable and the
	// rest), which Debezium ignores: it takes an unfinished snapshot again.
	Snap source.SnapshotOffset
	// SnapResume is Snap decoded from a stored offset; nil when the snapshot starts again.
	SnapResume *source.SnapshotResume
}

// toMap renders the offset map; integers are int64, as the offset converters expect.
func (p *position) toMap() map[string]any { return p.toMapBoxed(nil) }

// The indexes of the offset values in the cache toMapBoxed takes.
const (
	offBoxTsUsec = iota
	offBoxTxID
	offBoxLSN
	offBoxLSNProc
	offBoxLSNCommit
	offBoxMsgType
)

// toMapBoxed is toMap reusing the values b boxed for earlier offsets (the commit time, the
// transaction id, the last commit's LSN and the message type repeat for every change of a
// transaction); b belongs to the calling goroutine, nil boxes every value anew.
func (p *position) toMapBoxed(b *envelope.SourceCache) map[string]any {
	// At most 8 entries outside snapshots keeps the map in a single small group.
	m := make(map[string]any, 8)
	m[keyTsUsec] = b.Int64(offBoxTsUsec, p.TsUsec)
	if p.HasTxID {
		m[keyTxID] = b.Int64(offBoxTxID, p.TxID)
	}
	m[keyLSN] = b.Int64(offBoxLSN, int64(p.LSN))
	if p.HasXmin {
		m[keyXmin] = p.Xmin
	}
	if p.Snapshot {
		m[keySnapshot] = "INITIAL"
		m[keyLastSnapshot] = p.LastSnapshotRecord
		m[keySnapCompleted] = p.SnapshotCompleted
		if !p.LastSnapshotRecord {
			p.Snap.Put(m)
		}
	}
	if p.LSNProc != 0 {
		m[keyLSNProc] = b.Int64(offBoxLSNProc, int64(p.LSNProc))
	}
	if p.LSNCommit != 0 {
		m[keyLSNCommit] = b.Int64(offBoxLSNCommit, int64(p.LSNCommit))
	}
	if p.MsgType != "" {
		m[keyMessageType] = b.String(offBoxMsgType, p.MsgType)
	}
	if p.EventsProcessed > 0 {
		m[keyEventsProcessed] = p.EventsProcessed
	}
	return m
}

// snapshotDone reports whether the offset is past the initial snapshot.
func (p *position) snapshotDone() bool {
	return !p.Snapshot || p.LastSnapshotRecord || p.SnapshotCompleted
}

// resumeLSN is where streaming restarts: the last commit fully emitted, else the last processed
// position, else the event position (a finished snapshot's consistent point).
func (p *position) resumeLSN() pglogrepl.LSN {
	switch {
	case p.LSNCommit != 0:
		return p.LSNCommit
	case p.LSNProc != 0:
		return p.LSNProc
	}
	return p.LSN
}

// parsePosition reads an offset written by this connector or by Debezium. Numbers may arrive as
// any Go number type or json.Number, depending on the offset store.
func parsePosition(m map[string]any) (position, error) {
	var p position
	f := source.OffsetFields{M: m}
	num := f.Int
	if n, ok := num(keyLSN); ok {
		p.LSN = pglogrepl.LSN(n)
	}
	if n, ok := num(keyLSNProc); ok {
		p.LSNProc = pglogrepl.LSN(n)
	}
	if n, ok := num(keyLSNCommit); ok {
		p.LSNCommit = pglogrepl.LSN(n)
	}
	p.TxID, p.HasTxID = num(keyTxID)
	p.TsUsec, _ = num(keyTsUsec)
	p.Xmin, p.HasXmin = num(keyXmin)
	p.EventsProcessed, _ = num(keyEventsProcessed)
	if s, ok := m[keyMessageType].(string); ok {
		p.MsgType = s
	}
	mk := source.ReadSnapshotMarkers(m)
	p.Snapshot, p.LastSnapshotRecord, p.SnapshotCompleted = mk.Snapshot, mk.Last, mk.Completed
	if f.Err != nil {
		return position{}, f.Err
	}
	if p.Snapshot && !p.snapshotDone() {
		var err error
		p.Snap = source.ReadSnapshotOffset(m)
		if p.SnapResume, err = p.Snap.Resume(); err != nil {
			return position{}, err
		}
	}
	if p.LSN == 0 && p.LSNProc == 0 && p.LSNCommit == 0 {
		return position{}, fmt.Errorf("offset has no lsn, lsn_proc or lsn_commit: it was not written by a PostgreSQL connector")
	}
	return p, nil
}
