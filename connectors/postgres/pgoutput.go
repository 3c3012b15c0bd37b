package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The row change messages are decoded here rather than with pglogrepl.Parse: pglogrepl copies
// every column into its own allocation, while this reads the values straight from the message
// buffer into Connect values (the buffer is reused by the next receive, and no value aliases it).
// Everything else (Begin, Commit, Relation, Truncate, ...) still goes through pglogrepl.

var errShortMessage = errors.New("pgoutput message is truncated")

// change is an Insert ('I'), Update ('U') or Delete ('D') message. oldKind is 'K' (key columns),
// 'O' (the whole old row, REPLICA IDENTITY FULL) or 0; old and new are the raw TupleData parts.
type change struct {
	kind     byte
	relation uint32
	oldKind  byte
	old      []byte
	new      []byte
}

// parseChange splits a row change message (protocol version 1, no streaming xid) into its parts.
func parseChange(data []byte) (change, error) {
	var c change
	if len(data) < 6 {
		return c, errShortMessage
	}
	c.kind = data[0]
	c.relation = binary.BigEndian.Uint32(data[1:5])
	rest := data[5:]
	next := func() (byte, []byte, error) {
		if len(rest) < 1 {
			return 0, nil, errShortMessage
		}
		k := rest[0]
		n, err := tupleLen(rest[1:])
		if err != nil {
			return 0, nil, err
		}
		t := rest[1 : 1+n]
		rest = rest[1+n:]
		return k, t, nil
	}
	switch c.kind {
	case 'I':
		k, t, err := next()
		if err != nil || k != 'N' {
			return c, fmt.Errorf("bad insert message: %w", orBadKind(err, k))
		}
		c.new = t
	case 'U':
		k, t, err := next()
		if err != nil {
			return c, fmt.Errorf("bad update message: %w", err)
		}
		if k == 'K' || k == 'O' {
			c.oldKind, c.old = k, t
			if k, t, err = next(); err != nil {
				return c, fmt.Errorf("bad update message: %w", err)
			}
		}
		if k != 'N' {
			return c, fmt.Errorf("bad update message: %w", orBadKind(nil, k))
		}
		c.new = t
	case 'D':
		k, t, err := next()
		if err != nil || (k != 'K' && k != 'O') {
			return c, fmt.Errorf("bad delete message: %w", orBadKind(err, k))
		}
		c.oldKind, c.old = k, t
	default:
		return c, fmt.Errorf("message type %q is not a row change", c.kind)
	}
	return c, nil
}

func orBadKind(err error, k byte) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("unexpected tuple kind %q", k)
}

// tupleLen returns the length in bytes of the TupleData at the start of b.
func tupleLen(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, errShortMessage
	}
	n := int(binary.BigEndian.Uint16(b))
	off := 2
	for i := 0; i < n; i++ {
		if off >= len(b) {
			return 0, errShortMessage
		}
		switch b[off] {
		case 'n', 'u':
			off++
		case 't', 'b':
			if off+5 > len(b) {
				return 0, errShortMessage
			}
			l := int(binary.BigEndian.Uint32(b[off+1:]))
			off += 5
			if l < 0 || off+l > len(b) {
				return 0, errShortMessage
			}
			off += l
		default:
			return 0, fmt.Errorf("unexpected column kind %q", b[off])
		}
	}
	return off, nil
}

// decodeTupleData turns raw TupleData into values in table column order; see decodeTuple.
func (t *Task) decodeTupleData(tb *table, td []byte, old []any, keyOnly bool) ([]any, error) {
	return t.decodeTupleInto(nil, tb, td, old, keyOnly)
}

// decodeTupleInto is decodeTupleData writing into buf's array when it is large enough: the
// stream decodes every change into the same two slices, whose values the change's records copy.
func (t *Task) decodeTupleInto(buf []any, tb *table, td []byte, old []any, keyOnly bool) ([]any, error) {
	if td == nil {
		return nil, nil
	}
	n := int(binary.BigEndian.Uint16(td)) // tupleLen checked the layout
	if n != len(tb.cols) {
		return nil, fmt.Errorf("a row of table %s has %d columns, its Relation message %d; the stream is out of sync", tb.id, n, len(tb.cols))
	}
	var row []any
	if cap(buf) >= n {
		row = buf[:n]
		clear(row)
	} else {
		row = make([]any, n)
	}
	off := 2
	for i := 0; i < n; i++ {
		kind := td[off]
		off++
		var data []byte
		if kind == 't' || kind == 'b' {
			l := int(binary.BigEndian.Uint32(td[off:]))
			data = td[off+4 : off+4+l]
			off += 4 + l
		}
		c := &tb.cols[i]
		if !c.emit {
			continue
		}
		switch kind {
		case 't':
			v, err := c.mapping.Decode(data)
			if err != nil {
				return nil, fmt.Errorf("table %s column %s: %w", tb.id, c.name, err)
			}
			row[i] = v
		case 'n':
			if keyOnly && !c.key && !c.optional && !c.hasDefault {
				row[i] = c.mapping.Zero
			}
		case 'u':
			switch {
			case old != nil && old[i] != nil:
				row[i] = old[i]
			case c.mapping.Toast != nil:
				row[i] = c.mapping.Toast
			case !c.optional:
				row[i] = c.mapping.Zero
			}
		default:
			return nil, fmt.Errorf("table %s column %s: binary tuple data was not asked for", tb.id, c.name)
		}
	}
	return row, nil
}
