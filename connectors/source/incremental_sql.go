package source

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// EngineConn is the database connection an IncrementalDB reads chunks and writes signals on.
// The engine's goroutine and the streaming goroutine (window checks) may both need it, so calls
// take turns; a connection that broke is opened again by the next call rather than failing every
// chunk after a server restart.
type EngineConn[C any] struct {
	dial  func(ctx context.Context) (C, error)
	alive func(ctx context.Context, c C) bool
	close func(c C)

	mu   sync.Mutex
	conn C
	open bool
}

// NewEngineConn returns an EngineConn that opens connections with dial, checks a kept one with
// alive before reusing it and closes it with close.
func NewEngineConn[C any](dial func(ctx context.Context) (C, error), alive func(ctx context.Context, c C) bool, close func(c C)) *EngineConn[C] {
	return &EngineConn[C]{dial: dial, alive: alive, close: close}
}

// Do runs f on the connection, opening it first when there is none or the kept one is dead.
func (e *EngineConn[C]) Do(ctx context.Context, f func(conn C) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.open && !e.alive(ctx, e.conn) {
		e.close(e.conn)
		e.open = false
	}
	if !e.open {
		c, err := e.dial(ctx)
		if err != nil {
			return err
		}
		e.conn, e.open = c, true
	}
	return f(e.conn)
}

// Close closes the connection, if one is open.
func (e *EngineConn[C]) Close() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.open {
		e.close(e.conn)
		e.open = false
	}
}

// KeysetSQL writes the statements an incremental or blocking snapshot reads a table with, in key
// order, one chunk at a time. The connectors differ only in how a key is compared with a bound
// and how its values travel (literals or parameters), which Bound supplies.
type KeysetSQL struct {
	// From is the quoted table name.
	From string
	// Key holds the quoted chunk key columns, in key order.
	Key []string
	// Bound writes the condition "key op vals" for the key columns (op is > or <=); an error
	// when a value does not fit its column (a stored key of another table's shape).
	Bound func(vals []any, op string) (string, error)
}

// MaxKeyQuery returns the statement that reads the largest key of c's rows (under its filter)
// with the select list sel.
func (q *KeysetSQL) MaxKeyQuery(sel string, c *Collection) string {
	var b strings.Builder
	b.WriteString("SELECT " + sel + " FROM " + q.From)
	if c.Filter != "" {
		b.WriteString(" WHERE (" + c.Filter + ")")
	}
	b.WriteString(" ORDER BY ")
	for i, k := range q.Key {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + " DESC")
	}
	b.WriteString(" LIMIT 1")
	return b.String()
}

// CountQuery returns the statement that counts c's rows whose key is not after max, under its
// filter: Debezium 3.7's bounded row count (SELECT COUNT(1) ... WHERE key <= max AND (filter)).
func (q *KeysetSQL) CountQuery(c *Collection, max []any) (string, error) {
	if len(max) != len(q.Key) {
		return "", fmt.Errorf("the largest key %v has %d values, the key of %s %d columns", max, len(max), c.ID, len(q.Key))
	}
	b, err := q.Bound(max, "<=")
	if err != nil {
		return "", err
	}
	s := "SELECT COUNT(1) FROM " + q.From + " WHERE " + b
	if c.Filter != "" {
		s += " AND (" + c.Filter + ")"
	}
	return s, nil
}

// ChunkQuery returns the statement that reads, with the select list sel, at most limit rows of
// c whose key is after after (nil: from the first) and not after max (nil: no bound), in key
// order.
func (q *KeysetSQL) ChunkQuery(sel string, c *Collection, after, max []any, limit int) (string, error) {
	var conds []string
	if after != nil {
		if len(after) != len(q.Key) {
			return "", fmt.Errorf("the stored chunk key %v has %d values, the key of %s %d columns; stop the snapshot (stop-snapshot) and signal it again", after, len(after), c.ID, len(q.Key))
		}
		b, err := q.Bound(after, ">")
		if err != nil {
			return "", err
		}
		conds = append(conds, b)
	}
	if len(max) == len(q.Key) {
		b, err := q.Bound(max, "<=")
		if err != nil {
			return "", err
		}
		conds = append(conds, b)
	}
	if c.Filter != "" {
		conds = append(conds, "("+c.Filter+")")
	}
	s := "SELECT " + sel + " FROM " + q.From
	if len(conds) > 0 {
		s += " WHERE " + strings.Join(conds, " AND ")
	}
	return s + " ORDER BY " + strings.Join(q.Key, ", ") + " LIMIT " + strconv.Itoa(limit), nil
}

// ConvertKey builds a chunk key of n values, the i-th from conv(i): the values a connector read
// as text, turned into the Java types of Debezium's offsets.
func ConvertKey(n int, conv func(i int) (any, error)) ([]any, error) {
	out := make([]any, n)
	for i := range out {
		v, err := conv(i)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
