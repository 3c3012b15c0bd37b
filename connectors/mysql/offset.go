package mysql

import (
	"fmt"
	"strconv"

	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/source"
)

// Offset keys, as Debezium's BinlogOffsetContext and BinlogSourceInfo write them.
const (
	offFile     = "file"
	offPos      = "pos"
	offGTIDs    = "gtids"
	offEvent    = "event"
	offRow      = "row"
	offServerID = "server_id"
	offTsSec    = "ts_sec"
	offSnapshot = source.OffSnapshot
	offTxID     = "transaction_id"
)

// storedOffset is an offset read back from the offset store.
type storedOffset struct {
	File     string
	Pos      int64
	GTIDs    string
	Events   int64
	Rows     int64
	ServerID int64
	TsSec    int64
	// Snapshot is true while the snapshot that wrote the offset had not finished.
	Snapshot bool
	// Resume is connectd's progress of that snapshot, nil when it must start again.
	Resume *source.SnapshotResume
}

// parseOffset reads a stored offset map; JSON numbers may arrive as int64, float64 or strings
// (an offset rewritten by hand).
func parseOffset(m map[string]any) (*storedOffset, error) {
	if m == nil {
		return nil, nil
	}
	f := source.OffsetFields{M: m}
	num := func(k string) int64 { n, _ := f.Int(k); return n }
	o := &storedOffset{File: f.String(offFile), Pos: num(offPos), GTIDs: f.String(offGTIDs), Events: num(offEvent), Rows: num(offRow),
		ServerID: num(offServerID), TsSec: num(offTsSec)}
	o.Snapshot = source.ReadSnapshotMarkers(m).Running()
	if f.Err != nil {
		return nil, f.Err
	}
	if o.Snapshot {
		var err error
		if o.Resume, err = source.ReadSnapshotOffset(m).Resume(); err != nil {
			return nil, err
		}
	}
	if o.File == "" && o.GTIDs == "" {
		return nil, fmt.Errorf("the stored offset %v has neither a binlog file nor gtids; rewrite it with a binlog position (file, pos) or a GTID set", m)
	}
	return o, nil
}

// position follows the binlog position while streaming and produces offsets with Debezium's
// restart semantics: the restart point is the start of the current transaction (its GTID or
// BEGIN event) with the number of events and rows of that transaction already emitted, or the
// position after the last committed transaction.
type position struct {
	serverID int64 // of the last event
	tsSec    int64 // of the last event

	// The current event, for the source block.
	file     string
	eventPos int64
	row      int
	gtid     string // current transaction's GTID, "" without GTIDs
	thread   int64  // -1 when unknown
	query    string

	// Restart point.
	restartFile   string
	restartPos    int64
	restartGTIDs  string
	restartEvents int64
	restartRows   int64

	currentGTIDs string
	eventLen     int64
	inTx         bool
	txID         string

	// boxes keeps the offset values last put in an interface (by offBox* index): a rows
	// event's records share all but the row count, and each boxing is an allocation.
	boxes envelope.SourceCache

	// The standalone event group (a MariaDB DDL statement under its own GTID) being handled:
	// where its GTID event is and the GTID set completed before it, for the position Debezium
	// records in the schema history (see ddlHistoryOffset).
	groupFile  string
	groupPos   int64
	groupGTIDs string
	standalone bool

	// snapshot marks offsets written while the snapshot runs.
	snapshot bool
}

// setStart sets the position streaming starts from.
func (p *position) setStart(file string, pos int64) {
	if file != "" {
		p.file = file
		p.restartFile = file
	}
	p.eventPos = pos
	p.restartPos = pos
	p.row = 0
	p.restartEvents, p.restartRows = 0, 0
}

// setCompletedGTIDs sets the executed GTID set that has been fully processed.
func (p *position) setCompletedGTIDs(set string) {
	p.currentGTIDs = set
	p.restartGTIDs = set
}

// setEvent records the start position and size of the event being handled.
func (p *position) setEvent(pos, size int64) {
	p.eventPos = pos
	p.eventLen = size
	if !p.inTx {
		p.restartPos = pos + size
		p.restartEvents, p.restartRows = 0, 0
	}
}

// startGTID records a new transaction's GTID and the executed set including it.
func (p *position) startGTID(gtid, set string) {
	p.gtid = gtid
	if set != "" {
		if p.currentGTIDs != "" {
			p.restartGTIDs = p.currentGTIDs
		} else {
			p.restartGTIDs = set
		}
		p.currentGTIDs = set
	}
}

// startStandalone marks the current (GTID) event as the start of a standalone event group: a
// DDL statement that is no transaction for the offsets.
func (p *position) startStandalone() {
	p.groupFile, p.groupPos, p.groupGTIDs = p.file, p.eventPos, p.restartGTIDs
	p.standalone = true
}

// ddlHistoryOffset returns the position Debezium records in the schema history for the DDL
// statement at the current event. Debezium's MariaDB connector takes a standalone GTID event for
// the start of a transaction, so its position is that GTID event with one event (the GTID) done
// and the GTID set completed before it; elsewhere it is the current restart point (MySQL: after
// the statement, with the GTID set before it). A history position is only compared with offsets
// when the history is replayed, never restarted from, so writing Debezium's keeps the history
// byte-compatible while the offsets (see ddlDone) say the statement is done.
func (p *position) ddlHistoryOffset() map[string]any {
	if !p.standalone || p.inTx {
		return p.offset(false)
	}
	q := *p
	q.restartFile, q.restartPos, q.restartGTIDs = p.groupFile, p.groupPos, p.groupGTIDs
	q.restartEvents, q.restartRows = 1, 0
	return q.offset(false)
}

// ddlDone records that the DDL statement at the current event was handled: outside a
// transaction the restart point moves past it and its GTID counts as completed, so a restart
// neither replays nor repeats it.
func (p *position) ddlDone() {
	if !p.inTx {
		p.restartGTIDs = p.currentGTIDs
		p.standalone = false
	}
}

// beginTx marks the start of a transaction at the current event.
func (p *position) beginTx() {
	p.restartEvents, p.restartRows = 0, 0
	p.restartFile = p.file
	p.restartPos = p.eventPos
	p.inTx = true
	p.standalone = false
	if p.gtid != "" {
		p.txID = p.gtid
	} else {
		p.txID = "file=" + p.restartFile + ",pos=" + strconv.FormatInt(p.restartPos, 10)
	}
}

// commitTx marks the end of the transaction at the current (XID or COMMIT) event.
func (p *position) commitTx() {
	p.restartGTIDs = p.currentGTIDs
	p.restartFile = p.file
	p.restartPos = p.eventPos + p.eventLen
	p.restartEvents, p.restartRows = 0, 0
	p.inTx = false
	p.query = ""
	p.txID = ""
}

// completeEvent counts a fully handled event of the current transaction. Outside a transaction
// the restart point is the next event, so there is nothing to count.
func (p *position) completeEvent() {
	if p.inTx {
		p.restartEvents++
	}
}

// setRow records that row i of n rows of the current event is being emitted.
func (p *position) setRow(i, n int) {
	p.row = i
	if i < n-1 {
		p.restartRows = int64(i + 1)
	} else {
		p.restartRows = int64(n)
	}
}

// rowsDone is called after the rows of an event were emitted.
func (p *position) rowsDone() { p.restartRows = 0 }

// offset returns the offset map of the current restart point.
func (p *position) offset(withTxID bool) map[string]any {
	m := make(map[string]any, 8)
	b := &p.boxes
	if p.serverID != 0 {
		m[offServerID] = b.Int64(offBoxServerID, p.serverID)
	}
	if p.restartGTIDs != "" {
		m[offGTIDs] = b.String(offBoxGTIDs, p.restartGTIDs)
	}
	m[offFile] = b.String(offBoxFile, p.restartFile)
	m[offPos] = b.Int64(offBoxPos, p.restartPos)
	if p.restartEvents != 0 {
		m[offEvent] = b.Int64(offBoxEvent, p.restartEvents)
	}
	if p.restartRows != 0 {
		m[offRow] = b.Int64(offBoxRow, p.restartRows)
	}
	if p.tsSec != 0 {
		m[offTsSec] = b.Int64(offBoxTsSec, p.tsSec)
	}
	if p.snapshot {
		m[offSnapshot] = "INITIAL"
	} else if withTxID && p.txID != "" {
		m[offTxID] = b.String(offBoxTxID, p.txID)
	}
	return m
}

// The indexes of the offset values in position.boxes.
const (
	offBoxServerID = iota
	offBoxGTIDs
	offBoxFile
	offBoxPos
	offBoxEvent
	offBoxRow
	offBoxTsSec
	offBoxTxID
)
