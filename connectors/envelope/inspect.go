package envelope

import (
	"strings"

	"github.com/connectd/connectd/connect/api"
)

// Inspected is what progress reporting reads of a change event.
type Inspected struct {
	// Op is the operation code ('c', 'u', 'd', 'r', 't').
	Op byte
	// Source is the event's source block.
	Source *api.Struct
	// Incremental says the source block's snapshot marker is "incremental": a read event of an
	// incremental snapshot, which runs while streaming.
	Incremental bool
	// LastOfTable says a read event is its table's last row of the snapshot (marker
	// last_in_data_collection, or last: the snapshot's last row is its table's last too).
	LastOfTable bool
	// SourceMs is the source block's ts_ms (when the change happened in the database);
	// ProcessedMs the envelope's ts_ms (when the connector made the event). 0 when absent.
	SourceMs, ProcessedMs int64
}

// Inspect reads a record value built by Envelope; ok is false for any other value (schema
// change, heartbeat, transaction metadata records). It reads fields by index and allocates
// nothing.
func Inspect(v any) (in Inspected, ok bool) {
	e, _ := v.(*api.Struct)
	if e == nil || e.Schema() == nil || !strings.HasSuffix(e.Schema().Name, ".Envelope") {
		return in, false
	}
	op, _ := e.GetIndex(envOp).(string)
	if len(op) != 1 {
		return in, false
	}
	in.Op = op[0]
	in.ProcessedMs, _ = e.GetIndex(envTsMs).(int64)
	if src, _ := e.GetIndex(envSource).(*api.Struct); src != nil {
		in.Source = src
		in.SourceMs, _ = src.GetIndex(SourceTsMsIndex).(int64)
		if in.Op == byte(OpRead) {
			switch m, _ := src.GetIndex(SourceSnapshotIndex).(string); m {
			case "incremental":
				in.Incremental = true
			case "last_in_data_collection", "last":
				in.LastOfTable = true
			}
		}
	}
	return in, true
}
