package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/connectd/connectd/connect/api"
)

// Offset fields connectd adds to the offsets of a running snapshot. Debezium ignores fields it
// does not know and, seeing a snapshot offset that is not marked complete, takes the snapshot
// again; connectd reads them to continue where the snapshot stopped (DESIGN.md, chunked snapshots).
const (
	// OffsetSnapshotTable is the id of the table the record's row belongs to. Without
	// OffsetSnapshotProgress, every table before it (in id order) is finished and no table
	// after it has started.
	OffsetSnapshotTable = "connectd_snapshot_table"
	// OffsetSnapshotKey is the key of the record's row, a JSON array (integers or strings);
	// absent when the table is read whole and restarts whole.
	OffsetSnapshotKey = "connectd_snapshot_key"
	// OffsetSnapshotProgress describes the other tables when several are read at once
	// (snapshot.max.threads > 1): a JSON object {"done_before": id, "done": [ids],
	// "keys": {id: key}, "ranges": {id: [[after, upTo], ...]}, "to": upTo}; the tables before
	// done_before and those in done are finished, the tables in keys continue after their key,
	// a table in ranges (split across connections) reads only those key ranges (null: no
	// bound), plus, for the record's own table, the range from its key up to "to"; every other
	// table starts from its beginning.
	OffsetSnapshotProgress = "connectd_snapshot_progress"
)

// SnapshotOffset is the snapshot progress one record's offset carries; the zero value (the
// snapshot's last record, or a snapshot without progress) carries none.
type SnapshotOffset struct {
	// Table, Key and Progress are the values of OffsetSnapshotTable, OffsetSnapshotKey and
	// OffsetSnapshotProgress ("" leaves the field out).
	Table, Key, Progress string
}

// Put writes the progress into an offset map.
func (o SnapshotOffset) Put(m map[string]any) {
	if o.Table == "" {
		return
	}
	m[OffsetSnapshotTable] = o.Table
	if o.Key != "" {
		m[OffsetSnapshotKey] = o.Key
	}
	if o.Progress != "" {
		m[OffsetSnapshotProgress] = o.Progress
	}
}

// ReadSnapshotOffset reads the progress fields of a stored offset (absent fields stay "").
func ReadSnapshotOffset(m map[string]any) SnapshotOffset {
	s := func(k string) string { v, _ := m[k].(string); return v }
	return SnapshotOffset{Table: s(OffsetSnapshotTable), Key: s(OffsetSnapshotKey), Progress: s(OffsetSnapshotProgress)}
}

// SnapshotResume is where an interrupted snapshot continues, decoded from the offset of the
// last record committed before the interruption.
type SnapshotResume struct {
	table string
	key   []string
	// parallel is set when the offset described the other tables (OffsetSnapshotProgress).
	parallel   bool
	doneBefore string
	done       map[string]bool
	keys       map[string][]string
	// ranges are the unfinished key ranges of tables split across connections.
	ranges map[string][]KeyRange
}

// KeyRange is a part of a table's key range: the rows whose key is greater than After (nil: from
// the first) and at most UpTo (nil: to the last).
type KeyRange struct {
	After, UpTo []string
}

// Resume decodes the progress; nil (and no error) when the offset carries none, so the
// snapshot must start again from its beginning.
func (o SnapshotOffset) Resume() (*SnapshotResume, error) {
	if o.Table == "" {
		return nil, nil
	}
	r := &SnapshotResume{table: o.Table}
	if o.Key != "" {
		k, err := DecodeSnapshotKey(o.Key)
		if err != nil {
			return nil, fmt.Errorf("offset field %q is %q: %w; remove the field to read the table again from its start", OffsetSnapshotKey, o.Key, err)
		}
		r.key = k
	}
	if o.Progress == "" {
		return r, nil
	}
	var p struct {
		DoneBefore string                          `json:"done_before"`
		Done       []string                        `json:"done"`
		Keys       map[string]json.RawMessage      `json:"keys"`
		Ranges     map[string][][2]json.RawMessage `json:"ranges"`
		To         json.RawMessage                 `json:"to"`
	}
	bad := func(err error) error {
		return fmt.Errorf("offset field %q is %q, not the progress connectd writes (%w); remove the snapshot fields of the offset to take the snapshot again", OffsetSnapshotProgress, o.Progress, err)
	}
	if err := json.Unmarshal([]byte(o.Progress), &p); err != nil {
		return nil, bad(err)
	}
	r.parallel, r.doneBefore = true, p.DoneBefore
	r.done = make(map[string]bool, len(p.Done))
	for _, d := range p.Done {
		r.done[d] = true
	}
	r.keys = make(map[string][]string, len(p.Keys))
	for id, raw := range p.Keys {
		k, err := DecodeSnapshotKey(string(raw))
		if err != nil {
			return nil, bad(err)
		}
		r.keys[id] = k
	}
	key := func(raw json.RawMessage) ([]string, error) {
		if len(raw) == 0 || string(raw) == "null" {
			return nil, nil
		}
		return DecodeSnapshotKey(string(raw))
	}
	to, err := key(p.To)
	if err != nil {
		return nil, bad(err)
	}
	if _, own := p.Ranges[o.Table]; own || to != nil {
		if p.Ranges == nil {
			p.Ranges = map[string][][2]json.RawMessage{}
		}
		p.Ranges[o.Table] = append(p.Ranges[o.Table], [2]json.RawMessage{json.RawMessage(o.Key), p.To})
	}
	r.ranges = make(map[string][]KeyRange, len(p.Ranges))
	for id, rs := range p.Ranges {
		out := make([]KeyRange, 0, len(rs))
		for _, pair := range rs {
			a, err := key(pair[0])
			if err != nil {
				return nil, bad(err)
			}
			u, err := key(pair[1])
			if err != nil {
				return nil, bad(err)
			}
			out = append(out, KeyRange{After: a, UpTo: u})
		}
		r.ranges[id] = out
	}
	return r, nil
}

// Ranges returns the unfinished key ranges of a table that was read split across connections
// (nil when it was not, or is finished: then From says where it starts).
func (r *SnapshotResume) Ranges(id string) []KeyRange {
	if r == nil || r.ranges == nil {
		return nil
	}
	rs, ok := r.ranges[id]
	if !ok {
		return nil
	}
	if rs == nil {
		rs = []KeyRange{}
	}
	return rs
}

// From says where the read of table id starts: skip when it was finished before the
// interruption, else after the key after (nil: from its beginning).
func (r *SnapshotResume) From(id string) (skip bool, after []string) {
	switch {
	case r == nil:
		return false, nil
	case id == r.table:
		return false, r.key
	case !r.parallel:
		return id < r.table, nil
	case id < r.doneBefore || r.done[id]:
		return true, nil
	}
	return false, r.keys[id]
}

// String describes the progress for the log.
func (r *SnapshotResume) String() string {
	if r == nil {
		return "from the beginning"
	}
	s := "table " + r.table + " after key " + fmt.Sprint(r.key)
	if r.parallel {
		s += fmt.Sprintf("; finished: before %s and %d more; %d more tables under way, %d split in key ranges", r.doneBefore, len(r.done), len(r.keys), len(r.ranges))
	}
	return s
}

// EncodeSnapshotKey writes key values as a JSON array: numbers when numeric (the values must
// then be integer literals), else strings. It runs for every snapshot row, so without
// reflection.
func EncodeSnapshotKey(key []string, numeric bool) string {
	return string(appendSnapshotKey(nil, key, numeric))
}

func appendSnapshotKey(b []byte, key []string, numeric bool) []byte {
	b = append(b, '[')
	for i, k := range key {
		if i > 0 {
			b = append(b, ',')
		}
		if numeric {
			b = append(b, k...)
		} else {
			b = appendJSONString(b, k)
		}
	}
	return append(b, ']')
}

// appendJSONString writes s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[r>>4], "0123456789abcdef"[r&0xf])
		case r == utf8.RuneError:
			b = append(b, `\ufffd`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// DecodeSnapshotKey reads an EncodeSnapshotKey value back (numbers and strings alike), once
// per start.
func DecodeSnapshotKey(s string) ([]string, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("not a non-empty JSON array")
	}
	key := make([]string, len(raw))
	for i, v := range raw {
		t := strings.TrimSpace(string(v))
		switch {
		case strings.HasPrefix(t, `"`):
			if err := json.Unmarshal(v, &key[i]); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		case t != "" && (t[0] == '-' || t[0] >= '0' && t[0] <= '9'):
			if _, err := strconv.ParseFloat(t, 64); err != nil {
				return nil, fmt.Errorf("element %d is %s, not a number", i, t)
			}
			key[i] = t
		default:
			return nil, fmt.Errorf("element %d is %s, neither a number nor a string", i, t)
		}
	}
	return key, nil
}

// PropSnapshotThreads is Debezium's snapshot.max.threads: how many connections the snapshot
// reads tables on at once.
const PropSnapshotThreads = "snapshot.max.threads"

// SnapshotThreadsKey returns the configuration key of snapshot.max.threads with the
// connector's description of how its connections share one view.
func SnapshotThreadsKey(doc string) api.ConfigKey {
	return api.ConfigKey{Name: PropSnapshotThreads, Type: api.ConfigInt, Default: "1", Importance: api.Medium,
		Doc: "Connections the snapshot reads tables on at once, all in one consistent view (" + doc + "). Above 1, rows of different tables interleave in the topics; each table's rows stay in key order, unless fewer tables are left than connections: then each keyed table's key range is split across the connections, and each range's rows are in key order.",
		Validate: func(v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 || n > 64 {
				return errors.New("must be a number of connections between 1 and 64")
			}
			return nil
		}}
}
