package source

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// OffsetInt reads a whole number from a stored offset. Offsets come back from the offset store
// as whatever its decoder made of them (int64 from this runtime, float64 or json.Number from a
// JSON store written by Kafka Connect, a string from a hand-edited offset), so every integer
// field of an offset is read through here.
func OffsetInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range", x)
		}
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<63 {
			return 0, fmt.Errorf("%v is not a whole number", x)
		}
		return int64(x), nil
	case json.Number:
		return x.Int64()
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}

// Debezium's snapshot fields of an offset (CommonOffsetContext, PostgresOffsetContext).
const (
	// OffSnapshot is set while the initial snapshot runs: the snapshot type ("INITIAL") from
	// Debezium 3, true before.
	OffSnapshot = "snapshot"
	// OffLastSnapshotRecord marks the offset of the snapshot's last record.
	OffLastSnapshotRecord = "last_snapshot_record"
	// OffSnapshotCompleted marks, from Debezium 2.6, an offset whose snapshot finished though
	// OffSnapshot is still there.
	OffSnapshotCompleted = "snapshot_completed"
)

// SnapshotMarkers are the snapshot fields of a stored offset.
type SnapshotMarkers struct {
	// Snapshot says the offset was written while a snapshot ran; Last that it is the
	// snapshot's last record's; Completed that the snapshot had finished.
	Snapshot, Last, Completed bool
}

// ReadSnapshotMarkers reads the snapshot fields of a stored offset; each may be a boolean or,
// in an offset written by hand or by another converter, its text.
func ReadSnapshotMarkers(m map[string]any) SnapshotMarkers {
	flag := func(k string) bool {
		switch v := m[k].(type) {
		case bool:
			return v
		case string:
			return strings.EqualFold(v, "true")
		}
		return false
	}
	s := SnapshotMarkers{Last: flag(OffLastSnapshotRecord), Completed: flag(OffSnapshotCompleted)}
	switch v := m[OffSnapshot].(type) {
	case bool:
		s.Snapshot = v
	case string:
		s.Snapshot = v != "" && !strings.EqualFold(v, "false")
	}
	return s
}

// Running says the offset was written by a snapshot that had not finished: a start takes it
// again (or resumes it).
func (s SnapshotMarkers) Running() bool { return s.Snapshot && !s.Last && !s.Completed }

// OffsetFields reads the fields of a stored offset M, keeping the first error in Err: a
// connector reads every field, then checks Err once.
type OffsetFields struct {
	M   map[string]any
	Err error
}

// Int reads whole-number field k (OffsetInt); ok is false when it is absent or null, or after
// an error.
func (f *OffsetFields) Int(k string) (n int64, ok bool) {
	v, present := f.M[k]
	if !present || v == nil || f.Err != nil {
		return 0, false
	}
	n, err := OffsetInt(v)
	if err != nil {
		f.Err = fmt.Errorf("offset field %q: %w", k, err)
		return 0, false
	}
	return n, true
}

// String reads text field k: a string as it is, another value as fmt prints it, "" when absent.
func (f *OffsetFields) String(k string) string {
	switch v := f.M[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
