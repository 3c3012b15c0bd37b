// Package sqltest is a test double of a database driver at the database/sql boundary, for the
// change-table connectors whose servers (SQL Server, Db2) cannot run on the project's machines.
// The connector under test opens it through database/sql exactly as it opens the real driver, so
// the double receives the connector's real SQL text and parameters; a test scripts the answer to
// each statement (recorded rows) and asserts on the statements it received. A statement nobody
// scripted is an error, so an unexpected query fails the test instead of passing silently.
package sqltest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// Result is the answer to one query: column names and rows of driver values.
type Result struct {
	Columns []string
	Rows    [][]any
}

// Handler answers a statement; args are the driver's parameters in order.
type Handler func(args []any) (*Result, error)

// Call is one statement the connector sent.
type Call struct {
	SQL  string
	Args []any
}

// Fake is one registered driver with its script.
type Fake struct {
	name string

	mu       sync.Mutex
	handlers map[string]Handler
	calls    []Call
}

var seq atomic.Int64

// New registers a fresh driver; DriverName is its name for sql.Open.
func New() *Fake {
	f := &Fake{name: fmt.Sprintf("connectd-sqltest-%d", seq.Add(1)), handlers: map[string]Handler{}}
	sql.Register(f.name, drv{f})
	return f
}

// DriverName is the name the driver was registered under.
func (f *Fake) DriverName() string { return f.name }

// On scripts the answer to the statement whose text is exactly query.
func (f *Fake) On(query string, h Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[query] = h
}

// Rows is a Handler that always answers with the same result.
func Rows(cols []string, rows ...[]any) Handler {
	return func([]any) (*Result, error) { return &Result{Columns: cols, Rows: rows}, nil }
}

// Calls returns the statements received so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CallsOf returns the received statements whose text is exactly query.
func (f *Fake) CallsOf(query string) []Call {
	var out []Call
	for _, c := range f.Calls() {
		if c.SQL == query {
			out = append(out, c)
		}
	}
	return out
}

func (f *Fake) run(query string, nv []driver.NamedValue) (*Result, error) {
	args := make([]any, len(nv))
	for i, v := range nv {
		args[i] = v.Value
	}
	f.mu.Lock()
	f.calls = append(f.calls, Call{SQL: query, Args: args})
	h := f.handlers[query]
	f.mu.Unlock()
	if h == nil {
		return nil, fmt.Errorf("sqltest: unexpected statement %q", query)
	}
	return h(args)
}

type drv struct{ f *Fake }

// Open implements driver.Driver.
func (d drv) Open(string) (driver.Conn, error) { return &conn{f: d.f}, nil }

type conn struct{ f *Fake }

var (
	_ driver.QueryerContext = (*conn)(nil)
	_ driver.ExecerContext  = (*conn)(nil)
	_ driver.ConnBeginTx    = (*conn)(nil)
)

// Prepare implements driver.Conn.
func (c *conn) Prepare(query string) (driver.Stmt, error) { return &stmt{c: c, q: query}, nil }

// Close implements driver.Conn.
func (c *conn) Close() error { return nil }

// Begin implements driver.Conn.
func (c *conn) Begin() (driver.Tx, error) { return c.BeginTx(context.Background(), driver.TxOptions{}) }

// BeginTx implements driver.Conn.
func (c *conn) BeginTx(_ context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if _, err := c.f.run(fmt.Sprintf("BEGIN TRANSACTION (isolation %d)", opts.Isolation), nil); err != nil {
		return nil, err
	}
	return tx{c}, nil
}

// QueryContext implements driver.Conn.
func (c *conn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := c.f.run(query, args)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = &Result{}
	}
	return &rows{r: r}, nil
}

// ExecContext implements driver.Conn.
func (c *conn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if _, err := c.f.run(query, args); err != nil {
		return nil, err
	}
	return driver.RowsAffected(0), nil
}

type tx struct{ c *conn }

// Commit implements driver.Tx.
func (t tx) Commit() error { _, err := t.c.f.run("COMMIT", nil); return err }

// Rollback implements driver.Tx.
func (t tx) Rollback() error { _, err := t.c.f.run("ROLLBACK", nil); return err }

type stmt struct {
	c *conn
	q string
}

// Close implements driver.Stmt.
func (s *stmt) Close() error { return nil }

// NumInput implements driver.Stmt.
func (s *stmt) NumInput() int { return -1 }

// Exec implements driver.Stmt.
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.q, named(args))
}

// Query implements driver.Stmt.
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.q, named(args))
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}

type rows struct {
	r *Result
	i int
}

// Columns implements driver.Rows.
func (r *rows) Columns() []string { return r.r.Columns }

// Close implements driver.Rows.
func (r *rows) Close() error { return nil }

// Next implements driver.Rows.
func (r *rows) Next(dest []driver.Value) error {
	if r.i >= len(r.r.Rows) {
		return io.EOF
	}
	row := r.r.Rows[r.i]
	r.i++
	if len(row) != len(dest) {
		return errors.New("sqltest: scripted row has " + fmt.Sprint(len(row)) + " values for " + fmt.Sprint(len(dest)) + " columns")
	}
	for i, v := range row {
		dest[i] = v
	}
	return nil
}

// Normalize collapses runs of white space, for comparing statements written over several lines.
func Normalize(s string) string { return strings.Join(strings.Fields(s), " ") }
