// Package snapshotmode turns Debezium's snapshot.mode setting and what a connector finds at start
// (a stored offset, a finished snapshot, the log position still on the server, the schema
// history) into a plan: snapshot data and/or schema, drop the offset, rebuild the history, stream
// afterwards. It is the table of design.md section 4 written as one pure function, so the MySQL,
// PostgreSQL, SQL Server and Db2 connectors decide alike and every refusal is explained the same
// way.
package snapshotmode

import (
	"errors"
	"fmt"
	"strings"
)

// Mode is a parsed snapshot.mode value.
type Mode uint8

// The snapshot modes. The names are Debezium 3.x's; the older names schema_only and
// schema_only_recovery (Debezium 1.x/2.x) are accepted by Parse as aliases of NoData and Recovery.
const (
	// Initial snapshots schema and data when there is no offset, then streams.
	Initial Mode = iota + 1
	// WhenNeeded snapshots when there is no offset or the stored position can no longer be read.
	WhenNeeded
	// Never takes no snapshot and streams from the oldest position the server still has.
	Never
	// NoData (schema_only) captures the schema only and streams from the current position.
	NoData
	// Recovery (schema_only_recovery) rebuilds a lost or corrupt schema history from the live
	// schema and streams from the stored offset.
	Recovery
	// InitialOnly snapshots schema and data and stops without streaming.
	InitialOnly
	// Always snapshots schema and data on every start, then streams.
	Always
)

var modeNames = [...]string{
	Initial: "initial", WhenNeeded: "when_needed", Never: "never", NoData: "no_data",
	Recovery: "recovery", InitialOnly: "initial_only", Always: "always",
}

// String returns the mode's Debezium 3.x name.
func (m Mode) String() string {
	if int(m) < len(modeNames) && modeNames[m] != "" {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// aliases maps every accepted spelling (lower case) to its mode.
var aliases = map[string]Mode{
	"initial":              Initial,
	"exported":             Initial, // PostgreSQL's deprecated name for initial
	"when_needed":          WhenNeeded,
	"never":                Never,
	"no_data":              NoData,
	"schema_only":          NoData,
	"recovery":             Recovery,
	"schema_only_recovery": Recovery,
	"initial_only":         InitialOnly,
	"always":               Always,
}

// Names lists the accepted snapshot.mode values in the order the docs present them, the Debezium
// 3.x names first and the older aliases after, for config validation and docs.
func Names() []string {
	return []string{"initial", "when_needed", "never", "no_data", "recovery", "initial_only", "always",
		"schema_only", "schema_only_recovery", "exported"}
}

// Parse reads a snapshot.mode value, case-insensitively and ignoring surrounding blanks. An empty
// value is Initial, Debezium's default.
func Parse(s string) (Mode, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return Initial, nil
	}
	if m, ok := aliases[t]; ok {
		return m, nil
	}
	switch t {
	case "configuration_based", "custom":
		return 0, fmt.Errorf("snapshot.mode=%s is not supported by connectd yet; use one of %s", t, strings.Join(Names()[:7], ", "))
	}
	return 0, fmt.Errorf("snapshot.mode=%q is not a snapshot mode; use one of %s", s, strings.Join(Names()[:7], ", "))
}

// State is what the connector found before deciding how to start.
type State struct {
	// HasOffset: a committed offset exists for this connector.
	HasOffset bool
	// SnapshotCompleted: the stored offset is past the initial snapshot (no snapshot marker in it).
	// Meaningless without HasOffset.
	SnapshotCompleted bool
	// LogPositionAvailable: the stored log position can still be read on the server (MySQL: the
	// binlog file or GTIDs are there; PostgreSQL: the slot exists and its restart_lsn is not past
	// the stored lsn_proc). Meaningless without HasOffset.
	LogPositionAvailable bool
	// HistoryAvailable: the schema history exists and is readable. Connectors without a schema
	// history (PostgreSQL) always set it.
	HistoryAvailable bool
}

// Start says where streaming begins.
type Start uint8

// Where streaming starts.
const (
	// NoStream: the connector does not stream (initial_only).
	NoStream Start = iota
	// FromOffset: continue from the stored offset.
	FromOffset
	// FromSnapshot: from the log position captured when the snapshot (data or schema) began.
	FromSnapshot
	// FromOldest: from the oldest position the server still has (never, without an offset).
	FromOldest
)

var startNames = [...]string{NoStream: "no stream", FromOffset: "from the stored offset",
	FromSnapshot: "from the snapshot's position", FromOldest: "from the oldest available position"}

// String describes the start point for logs.
func (s Start) String() string {
	if int(s) < len(startNames) {
		return startNames[s]
	}
	return fmt.Sprintf("Start(%d)", uint8(s))
}

// Plan is what the connector does at start.
type Plan struct {
	// DropOffset: ignore the stored offset and start as if there were none.
	DropOffset bool
	// SnapshotSchema: read the live schema of the captured tables (and record it in the history).
	SnapshotSchema bool
	// SnapshotData: read the rows of the captured tables.
	SnapshotData bool
	// ResumeSnapshot: an unfinished snapshot continues from the progress stored in the offset
	// instead of starting over (connectd resumes at the last finished chunk; Debezium restarts).
	ResumeSnapshot bool
	// RebuildHistory: replace the schema history with the live schema before streaming
	// (recovery); the stored offset is kept.
	RebuildHistory bool
	// Stream is where streaming starts, or NoStream.
	Stream Start
}

// Streams reports whether the connector streams after its snapshot, if any.
func (p Plan) Streams() bool { return p.Stream != NoStream }

// PurgedError says that the stored log position is no longer on the server. Decide returns it
// with Mode set; the connector fills in Needed and Available before failing with it, so the
// message names both positions.
type PurgedError struct {
	Mode      Mode
	Needed    string // the stored position the connector needs, e.g. "mysql-bin.000003:4711"
	Available string // what the server still has, e.g. "mysql-bin.000007 and later"
}

// Error explains the failure and both ways out.
func (e *PurgedError) Error() string {
	needed, avail := e.Needed, e.Available
	if needed == "" {
		needed = "the stored offset"
	}
	if avail == "" {
		avail = "no older position"
	}
	return fmt.Sprintf("the log position this connector must resume from (%s) is no longer on the server, "+
		"which has %s: events in between were purged and cannot be streamed (snapshot.mode=%s). "+
		"Either set snapshot.mode=when_needed to drop the offset and take a new snapshot, or stop the "+
		"connector (PUT /connectors/<name>/stop) and rewrite its offset to a position the server still has "+
		"with PATCH /connectors/<name>/offsets while it is STOPPED, then resume it",
		needed, avail, e.Mode)
}

// ErrHistoryMissing is returned (wrapped) when a stored offset exists but the schema history is
// missing, in a mode that may not rebuild it.
var ErrHistoryMissing = errors.New("schema history is missing")

// ErrNoOffset is returned (wrapped) by Recovery without a stored offset.
var ErrNoOffset = errors.New("no stored offset")

// ErrUnfinishedSnapshot is returned (wrapped) by Recovery when the stored offset belongs to an
// unfinished snapshot.
var ErrUnfinishedSnapshot = errors.New("the stored offset belongs to an unfinished snapshot")

// Decide returns what to do at start for mode in state st, or an error that explains why the
// connector cannot start and what the user can do. A *PurgedError is returned when the stored log
// position was purged and the mode may not re-snapshot.
func Decide(mode Mode, st State) (Plan, error) {
	full := Plan{SnapshotSchema: true, SnapshotData: true, Stream: FromSnapshot}
	switch mode {
	case Always:
		p := full
		p.DropOffset = st.HasOffset
		return p, nil

	case InitialOnly:
		switch {
		case !st.HasOffset:
			p := full
			p.Stream = NoStream
			return p, nil
		case !st.SnapshotCompleted:
			return Plan{SnapshotSchema: true, SnapshotData: true, ResumeSnapshot: true}, nil
		default:
			return Plan{}, nil // snapshot done, nothing more to do
		}

	case Initial, WhenNeeded:
		if !st.HasOffset {
			return full, nil
		}
		if !st.SnapshotCompleted {
			if !st.LogPositionAvailable {
				// Nothing was streamed yet, so starting the snapshot over loses nothing.
				p := full
				p.DropOffset = true
				return p, nil
			}
			// The snapshot reads the live schema again, so a lost history is rebuilt too.
			p := full
			p.ResumeSnapshot = true
			return p, nil
		}
		if !st.LogPositionAvailable {
			if mode == WhenNeeded {
				p := full
				p.DropOffset = true
				return p, nil
			}
			return Plan{}, &PurgedError{Mode: mode}
		}
		if !st.HistoryAvailable {
			if mode == WhenNeeded {
				p := full
				p.DropOffset = true
				return p, nil
			}
			return Plan{}, historyError(mode)
		}
		return Plan{Stream: FromOffset}, nil

	case Never:
		if !st.HasOffset {
			return Plan{Stream: FromOldest}, nil
		}
		if !st.LogPositionAvailable {
			return Plan{}, &PurgedError{Mode: mode}
		}
		if !st.HistoryAvailable {
			return Plan{}, historyError(mode)
		}
		return Plan{Stream: FromOffset}, nil

	case NoData:
		if !st.HasOffset {
			return Plan{SnapshotSchema: true, Stream: FromSnapshot}, nil
		}
		if !st.SnapshotCompleted {
			// The schema capture was interrupted before anything streamed: take it again.
			return Plan{DropOffset: true, SnapshotSchema: true, Stream: FromSnapshot}, nil
		}
		if !st.LogPositionAvailable {
			return Plan{}, &PurgedError{Mode: mode}
		}
		if !st.HistoryAvailable {
			return Plan{}, historyError(mode)
		}
		return Plan{Stream: FromOffset}, nil

	case Recovery:
		if !st.HasOffset {
			return Plan{}, fmt.Errorf("snapshot.mode=recovery rebuilds the schema history for a stored offset, but this connector has %w; "+
				"use snapshot.mode=initial (or no_data) for a first start", ErrNoOffset)
		}
		if !st.SnapshotCompleted {
			return Plan{}, fmt.Errorf("snapshot.mode=recovery cannot start: %w, and recovering would skip the rows it has not read yet; "+
				"use snapshot.mode=initial to finish the snapshot", ErrUnfinishedSnapshot)
		}
		if !st.LogPositionAvailable {
			return Plan{}, &PurgedError{Mode: mode}
		}
		return Plan{SnapshotSchema: true, RebuildHistory: true, Stream: FromOffset}, nil
	}
	return Plan{}, fmt.Errorf("unknown snapshot mode %d; use one of %s", uint8(mode), strings.Join(Names()[:7], ", "))
}

func historyError(mode Mode) error {
	return fmt.Errorf("the connector has a stored offset but its %w (schema.history.internal.kafka.topic is empty, deleted or unreadable), "+
		"so the table structures at that offset are unknown (snapshot.mode=%s). Either set snapshot.mode=recovery once to rebuild the "+
		"history from the current schema (safe only if no schema change happened since the offset), or set snapshot.mode=when_needed "+
		"to take a new snapshot", ErrHistoryMissing, mode)
}
