package signals

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Signal types, as Debezium names them.
const (
	TypeExecuteSnapshot = "execute-snapshot"
	TypeStopSnapshot    = "stop-snapshot"
	TypePauseSnapshot   = "pause-snapshot"
	TypeResumeSnapshot  = "resume-snapshot"
	TypeLog             = "log"
	// TypeWindowOpen and TypeWindowClose are the watermark rows an incremental snapshot writes
	// into the signal table around each chunk; they arrive through the log like signals.
	TypeWindowOpen  = "snapshot-window-open"
	TypeWindowClose = "snapshot-window-close"
)

// Channel names, as signal.enabled.channels spells them.
const (
	ChannelSource = "source"
	ChannelKafka  = "kafka"
	ChannelFile   = "file"
	ChannelREST   = "rest"
)

// SnapshotType is the kind of snapshot a signal asks for.
type SnapshotType string

// Snapshot types of execute-snapshot, stop-snapshot, pause-snapshot and resume-snapshot.
const (
	Incremental SnapshotType = "incremental"
	Blocking    SnapshotType = "blocking"
)

// Signal is one signal as it arrived, before it is understood: Debezium's three columns.
type Signal struct {
	// ID identifies the signal in logs and notifications; window markers carry their chunk's id.
	ID string
	// Type is the signal's type (execute-snapshot, log, ...).
	Type string
	// Data is the JSON document of the signal's arguments; empty when there are none.
	Data string
	// Channel names where the signal came from, for logs.
	Channel string
}

// Condition is one additional condition of an execute-snapshot signal: the rows of the
// collections matching DataCollection are limited to those satisfying Filter (a SQL predicate).
type Condition struct {
	DataCollection *regexp.Regexp
	Filter         string
}

// Action is what a parsed signal asks for: one of *ExecuteSnapshot, *StopSnapshot,
// *PauseSnapshot, *ResumeSnapshot, *Log, *Window.
type Action interface{ action() }

// ExecuteSnapshot starts an incremental or blocking snapshot of some collections.
type ExecuteSnapshot struct {
	Type SnapshotType
	// DataCollections are the collection names or regular expressions as the signal gave them.
	DataCollections []string
	// Conditions restrict the rows read of matching collections; the first match applies.
	Conditions []Condition
	// SurrogateKey is a column to chunk by instead of the primary key; empty for the key.
	SurrogateKey string
}

// StopSnapshot stops a running snapshot, for all collections when DataCollections is empty.
type StopSnapshot struct {
	Type            SnapshotType
	DataCollections []string
}

// PauseSnapshot pauses a running incremental snapshot after the chunk in flight.
type PauseSnapshot struct{ Type SnapshotType }

// ResumeSnapshot resumes a paused incremental snapshot.
type ResumeSnapshot struct{ Type SnapshotType }

// Log writes Message to the worker's log.
type Log struct{ Message string }

// Window is a watermark row of an incremental snapshot: Open or close of the chunk whose id
// ChunkID starts the signal id.
type Window struct {
	Open    bool
	ChunkID string
}

func (*ExecuteSnapshot) action() {}
func (*StopSnapshot) action()    {}
func (*PauseSnapshot) action()   {}
func (*ResumeSnapshot) action()  {}
func (*Log) action()             {}
func (*Window) action()          {}

// ErrUnknownType reports a signal whose type no action handles.
var ErrUnknownType = errors.New("unknown signal type")

// Parse understands a signal. The error says why a signal is malformed or unknown; the caller
// logs it with the signal's id and goes on.
func Parse(s Signal) (Action, error) {
	if strings.TrimSpace(s.ID) == "" {
		return nil, errors.New("the signal has no id")
	}
	typ := strings.TrimSpace(s.Type)
	switch typ {
	case TypeWindowOpen, TypeWindowClose:
		// Debezium writes "<chunk id>-open" and "<chunk id>-close"; the chunk id is a UUID.
		id := s.ID
		if i := strings.LastIndexByte(id, '-'); i > 0 {
			id = id[:i]
		}
		return &Window{Open: typ == TypeWindowOpen, ChunkID: id}, nil
	case TypeExecuteSnapshot, TypeStopSnapshot, TypePauseSnapshot, TypeResumeSnapshot, TypeLog:
	case "":
		return nil, errors.New("the signal has no type")
	default:
		return nil, fmt.Errorf("%w %q: want one of execute-snapshot, stop-snapshot, pause-snapshot, resume-snapshot, log", ErrUnknownType, typ)
	}
	data, err := parseData(s.Data)
	if err != nil {
		return nil, err
	}
	switch typ {
	case TypeExecuteSnapshot:
		e, err := parseExecute(data)
		if err != nil {
			return nil, err // not a typed nil in the interface: a caller's a != nil must mean an action
		}
		return e, nil
	case TypeStopSnapshot:
		st, err := snapshotType(data)
		if err != nil {
			return nil, err
		}
		cols, err := stringList(data, "data-collections", false)
		if err != nil {
			return nil, err
		}
		return &StopSnapshot{Type: st, DataCollections: cols}, nil
	case TypePauseSnapshot, TypeResumeSnapshot:
		st, err := snapshotType(data)
		if err != nil {
			return nil, err
		}
		if st != Incremental {
			return nil, fmt.Errorf("%s applies to incremental snapshots only, not %q", typ, st)
		}
		if typ == TypePauseSnapshot {
			return &PauseSnapshot{Type: st}, nil
		}
		return &ResumeSnapshot{Type: st}, nil
	default: // log
		raw, ok := data["message"]
		if !ok {
			return nil, errors.New(`the log signal has no "message"`)
		}
		var msg string
		if err := json.Unmarshal(raw, &msg); err != nil {
			return nil, errors.New(`the log signal's "message" is not a string`)
		}
		if strings.TrimSpace(msg) == "" {
			return nil, errors.New(`the log signal's "message" is empty`)
		}
		return &Log{Message: msg}, nil
	}
}

// parseData reads the signal's data: a JSON object, or nothing.
func parseData(s string) (map[string]json.RawMessage, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return map[string]json.RawMessage{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("the signal's data is not a JSON object: %v", err)
	}
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	return m, nil
}

func parseExecute(data map[string]json.RawMessage) (*ExecuteSnapshot, error) {
	st, err := snapshotType(data)
	if err != nil {
		return nil, err
	}
	cols, err := stringList(data, "data-collections", true)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		if _, err := regexp.Compile(c); err != nil {
			return nil, fmt.Errorf("data collection %q is not a valid regular expression: %v", c, err)
		}
	}
	e := &ExecuteSnapshot{Type: st, DataCollections: cols}
	if raw, ok := data["additional-conditions"]; ok && string(raw) != "null" {
		var conds []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &conds); err != nil {
			return nil, errors.New(`"additional-conditions" is not a list of {"data-collection", "filter"} objects`)
		}
		for i, c := range conds {
			var dc, filter string
			if err := json.Unmarshal(c["data-collection"], &dc); err != nil || strings.TrimSpace(dc) == "" {
				return nil, fmt.Errorf(`additional condition %d has no "data-collection" string`, i)
			}
			if err := json.Unmarshal(c["filter"], &filter); err != nil || strings.TrimSpace(filter) == "" {
				return nil, fmt.Errorf(`additional condition %d has no "filter" string`, i)
			}
			re, err := regexp.Compile("^(?:" + dc + ")$")
			if err != nil {
				return nil, fmt.Errorf("additional condition %d: data collection %q is not a valid regular expression: %v", i, dc, err)
			}
			e.Conditions = append(e.Conditions, Condition{DataCollection: re, Filter: filter})
		}
	}
	if raw, ok := data["surrogate-key"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &e.SurrogateKey); err != nil {
			return nil, errors.New(`"surrogate-key" is not a string`)
		}
		e.SurrogateKey = strings.TrimSpace(e.SurrogateKey)
	}
	return e, nil
}

// snapshotType reads "type", incremental when absent (as Debezium), case-insensitive.
func snapshotType(data map[string]json.RawMessage) (SnapshotType, error) {
	raw, ok := data["type"]
	if !ok || string(raw) == "null" {
		return Incremental, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New(`the snapshot "type" is not a string`)
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "incremental":
		return Incremental, nil
	case "blocking":
		return Blocking, nil
	}
	return "", fmt.Errorf("snapshot type %q is neither incremental nor blocking", s)
}

// stringList reads a list of non-empty strings; required says whether it must be non-empty.
func stringList(data map[string]json.RawMessage, name string, required bool) ([]string, error) {
	raw, ok := data[name]
	if !ok || string(raw) == "null" {
		if required {
			return nil, fmt.Errorf("the signal has no %q", name)
		}
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%q is not a list of strings", name)
	}
	for _, s := range out {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("%q holds an empty name", name)
		}
	}
	if required && len(out) == 0 {
		return nil, fmt.Errorf("%q is empty", name)
	}
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out, nil
}

// Match returns the tables among captured (in the connector's id form, db.table or
// schema.table) that the data collection names or regular expressions select, each once, in
// the order of the patterns and then of captured; names that match no captured table are
// returned in missing.
func Match(patterns []string, captured []string) (tables, missing []string) {
	seen := map[string]bool{}
	for _, p := range patterns {
		re, err := regexp.Compile("^(?:" + p + ")$")
		found := false
		for _, c := range captured {
			if c == p || (err == nil && re.MatchString(c)) {
				found = true
				if !seen[c] {
					seen[c] = true
					tables = append(tables, c)
				}
			}
		}
		if !found {
			missing = append(missing, p)
		}
	}
	return tables, missing
}

// ConditionFor returns the filter of the first condition whose collection matches table.
func ConditionFor(conds []Condition, table string) string {
	for _, c := range conds {
		if c.DataCollection.MatchString(table) {
			return c.Filter
		}
	}
	return ""
}
