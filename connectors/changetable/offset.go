package changetable

import (
	"fmt"

	"github.com/connectd/connectd/connectors/source"
)

// The offset keys, as Debezium's SQL Server and Db2 SourceInfo and OffsetContext write them.
const (
	KeyCommitLSN         = "commit_lsn"
	KeyChangeLSN         = "change_lsn"
	KeyEventSerialNo     = "event_serial_no"
	KeySnapshot          = "snapshot"
	KeySnapshotCompleted = "snapshot_completed"
)

// SnapshotInitial is the value Debezium writes under "snapshot" while (and right after) an initial
// snapshot runs (SnapshotType.INITIAL.toString()).
const SnapshotInitial = "INITIAL"

// Offset is a stored position of a change-table connector.
type Offset struct {
	Position
	// EventSerialNo counts the change-table rows already emitted at Position (an update's two
	// rows count two), as Debezium's SqlServerOffsetContext.setChangePosition does; a restart
	// skips that many rows at Position.
	EventSerialNo int64
	// Snapshot is set on the offsets of snapshot records ("snapshot" key present).
	Snapshot bool
	// SnapshotCompleted is "snapshot_completed": the snapshot finished at Commit, so streaming
	// starts after Commit rather than at it.
	SnapshotCompleted bool
}

// ParseOffset reads a stored offset, Debezium's or connectd's. Numbers may come back from the
// store as any numeric type or a string (source.OffsetInt).
func ParseOffset(m map[string]any) (Offset, error) {
	var o Offset
	var err error
	str := func(k string) (string, error) {
		switch v := m[k].(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		default:
			return "", fmt.Errorf("%s is %v (%T), not a string", k, v, v)
		}
	}
	s, err := str(KeyCommitLSN)
	if err != nil {
		return o, err
	}
	if o.Commit, err = ParseLSN(s); err != nil {
		return o, fmt.Errorf("%s: %w", KeyCommitLSN, err)
	}
	if s, err = str(KeyChangeLSN); err != nil {
		return o, err
	}
	if o.Change, err = ParseLSN(s); err != nil {
		return o, fmt.Errorf("%s: %w", KeyChangeLSN, err)
	}
	if v, ok := m[KeyEventSerialNo]; ok && v != nil {
		// Absent before Debezium 0.10 and then read as 0 (SqlServerOffsetContext.Loader).
		if o.EventSerialNo, err = source.OffsetInt(v); err != nil {
			return o, fmt.Errorf("%s: %w", KeyEventSerialNo, err)
		}
	}
	if v, ok := m[KeySnapshot]; ok && v != nil && v != false && v != "false" {
		o.Snapshot = true
	}
	switch v := m[KeySnapshotCompleted].(type) {
	case bool:
		o.SnapshotCompleted = v
	case string:
		o.SnapshotCompleted = v == "true"
	}
	if o.Commit.IsNull() && !o.Snapshot {
		return o, fmt.Errorf("the offset has no %s: it is not a SQL Server or Db2 change-table offset", KeyCommitLSN)
	}
	return o, nil
}

// SnapshotDone reports whether the offset lets streaming start: a streaming offset, or a
// snapshot's offset with snapshot_completed=true.
func (o Offset) SnapshotDone() bool { return !o.Snapshot || o.SnapshotCompleted }

// Map returns the offset as Debezium writes it. A snapshot offset carries "snapshot" and
// "snapshot_completed"; the absent change LSN is written "NULL", as Lsn.NULL.toString().
func (o Offset) Map() map[string]any {
	m := map[string]any{
		KeyCommitLSN:     o.Commit.String(),
		KeyChangeLSN:     o.Change.String(),
		KeyEventSerialNo: o.EventSerialNo,
	}
	if o.Snapshot {
		m[KeySnapshot] = SnapshotInitial
		m[KeySnapshotCompleted] = o.SnapshotCompleted
	}
	return m
}

// String describes the offset for logs and errors.
func (o Offset) String() string {
	return fmt.Sprintf("commit_lsn=%s change_lsn=%s event_serial_no=%d", o.Commit, o.Change, o.EventSerialNo)
}
