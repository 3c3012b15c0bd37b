package source

import (
	"context"
	"fmt"
)

// RangeReader is a ChunkReader that can also read part of a keyed table's key range, so that a
// table is read on several connections at once when there are fewer tables than connections
// (DESIGN.md, "One large table across connections").
type RangeReader[T, R any] interface {
	ChunkReader[T, R]
	// SplitKeys returns at most parts-1 keys, ascending, that cut the rows whose key is greater
	// than after (nil: every row) into parts of about equal size, none smaller than minRows
	// rows; nil when the rows are too few to split. It runs in the snapshot's consistent view.
	SplitKeys(ctx context.Context, table *SnapshotTable[T], after []string, parts, minRows int) ([][]string, error)
	// ReadRange is ReadChunk for the rows whose key is also at most upTo (never nil).
	ReadRange(ctx context.Context, table *SnapshotTable[T], after, upTo []string, limit int, add func(row R, key []string) error) error
}

// keyRange is one part of a table's key range: the rows after after, up to upTo (nil: no bound).
type keyRange struct {
	after, upTo []string
	// afterEnc and upToEnc are after and upTo encoded ("" for nil), for the progress.
	afterEnc, upToEnc string
	// lastKey is the encoded key of the range's last emitted row ("" before its first; a
	// resumed range counts as emitted up to where it resumes).
	lastKey string
	// pending counts the range's rows handed over but not emitted yet.
	pending     int
	ended, done bool
}

// snapUnit is one piece of work for a reader: a range of a table, with its bounds (copied, so
// the readers never touch the emitter's state).
type snapUnit struct {
	table, rng  int
	after, upTo []string
}

// split says the table's progress is a list of ranges rather than one key.
func (st *tableState[R]) split() bool {
	return len(st.ranges) > 1 || st.ranges[0].upTo != nil
}

// started says rows of the table were emitted before, in this run or an interrupted one.
func (st *tableState[R]) started() bool {
	if st.partial {
		return true
	}
	for i := range st.ranges {
		if st.ranges[i].lastKey != "" {
			return true
		}
	}
	return false
}

// readChunk reads a chunk of a range: ReadRange when the range has an upper bound.
func readChunk[T, R any](ctx context.Context, rd ChunkReader[T, R], t *SnapshotTable[T], after, upTo []string, limit int, add func(R, []string) error) error {
	if upTo == nil {
		return rd.ReadChunk(ctx, t, after, limit, add)
	}
	rr, ok := rd.(RangeReader[T, R])
	if !ok {
		return fmt.Errorf("the stored snapshot progress reads table %s in key ranges, which this connector cannot; remove the snapshot fields of the offset to take the snapshot again", t.ID)
	}
	return rr.ReadRange(ctx, t, after, upTo, limit, add)
}

// newRange returns a range with its encoded bounds.
func newRange(after, upTo []string, numeric bool) keyRange {
	r := keyRange{after: after, upTo: upTo}
	if after != nil {
		r.afterEnc = EncodeSnapshotKey(after, numeric)
	}
	if upTo != nil {
		r.upToEnc = EncodeSnapshotKey(upTo, numeric)
	}
	return r
}

// planRanges sets up the emitter's table states from the resume point and returns the work
// list. When the tables to read are fewer than the readers and the readers can read key ranges,
// every keyed table is split into as many ranges as there are readers (each at least a chunk),
// so that one large table is read on every connection.
func planRanges[T, R any](ctx context.Context, readers []ChunkReader[T, R], tables []SnapshotTable[T], opts SnapshotOptions, limit int, e *snapEmitter[T, R]) ([]snapUnit, error) {
	var reading []int
	for i := range tables {
		st := &e.state[i]
		skip, a := opts.Resume.From(tables[i].ID)
		rs := opts.Resume.Ranges(tables[i].ID)
		if !tables[i].Keyed {
			a, rs = nil, nil
		}
		switch {
		case skip, rs != nil && len(rs) == 0:
			// Finished by an earlier run: not "empty, restarts harmlessly" (started).
			st.done, st.partial = true, true
			st.ranges = []keyRange{{done: true, ended: true}}
			continue
		case rs != nil:
			st.partial = true
			for _, r := range rs {
				kr := newRange(r.After, r.UpTo, opts.NumericKeys && !tables[i].TextKey)
				kr.lastKey = kr.afterEnc
				st.ranges = append(st.ranges, kr)
			}
		default:
			kr := newRange(a, nil, opts.NumericKeys && !tables[i].TextKey)
			kr.lastKey = kr.afterEnc
			st.ranges = []keyRange{kr}
		}
		reading = append(reading, i)
	}
	if rr, ok := readers[0].(RangeReader[T, R]); ok && len(readers) > 1 && len(reading) < len(readers) {
		for _, i := range reading {
			st := &e.state[i]
			if !tables[i].Keyed || st.split() {
				continue
			}
			after := st.ranges[0].after
			cuts, err := rr.SplitKeys(ctx, &tables[i], after, len(readers), limit)
			if err != nil {
				return nil, fmt.Errorf("cannot split table %s across the snapshot's connections: %w", tables[i].ID, err)
			}
			if len(cuts) == 0 {
				continue
			}
			last := st.ranges[0].lastKey
			st.ranges = st.ranges[:0]
			for _, c := range cuts {
				st.ranges = append(st.ranges, newRange(after, c, opts.NumericKeys && !tables[i].TextKey))
				after = c
			}
			st.ranges = append(st.ranges, newRange(after, nil, opts.NumericKeys && !tables[i].TextKey))
			st.ranges[0].lastKey = last
		}
	}
	var todo []snapUnit
	for _, i := range reading {
		st := &e.state[i]
		st.open = len(st.ranges)
		for r := range st.ranges {
			todo = append(todo, snapUnit{table: i, rng: r, after: st.ranges[r].after, upTo: st.ranges[r].upTo})
		}
	}
	return todo, nil
}

// appendRanges writes the "ranges" (and "to") members of the progress: for every split table
// under way, its unfinished ranges as [after, upTo] pairs of keys (null: unbounded); for the
// record's own table ti, its other ranges, its own range being (the record's key, "to"].
func (e *snapEmitter[T, R]) appendRanges(b []byte, w, ti, ri int) []byte {
	n := 0
	for i := w; i < len(e.state); i++ {
		st := &e.state[i]
		if st.done || !st.split() {
			continue
		}
		if n == 0 {
			b = append(b, `,"ranges":{`...)
		} else {
			b = append(b, ',')
		}
		n++
		b = appendJSONString(b, e.tables[i].ID)
		b = append(b, ":["...)
		m := 0
		for r := range st.ranges {
			kr := &st.ranges[r]
			if kr.done || i == ti && r == ri {
				continue
			}
			if m > 0 {
				b = append(b, ',')
			}
			m++
			b = append(b, '[')
			if kr.lastKey != "" {
				b = append(b, kr.lastKey...)
			} else {
				b = appendKeyOrNull(b, kr.afterEnc)
			}
			b = append(b, ',')
			b = appendKeyOrNull(b, kr.upToEnc)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	if n > 0 {
		b = append(b, '}')
	}
	if own := &e.state[ti]; own.split() && own.ranges[ri].upToEnc != "" {
		b = append(b, `,"to":`...)
		b = append(b, own.ranges[ri].upToEnc...)
	}
	return b
}

func appendKeyOrNull(b []byte, enc string) []byte {
	if enc == "" {
		return append(b, "null"...)
	}
	return append(b, enc...)
}
