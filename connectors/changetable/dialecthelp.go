package changetable

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
)

// BeginSnapshot sets the snapshot's isolation on conn with the connector's statement, begins the
// snapshot transaction and, when lock is set (snapshot.isolation.mode=exclusive), runs the
// statement lock returns for each captured table in it.
func BeginSnapshot(ctx context.Context, conn *sql.Conn, setIsolation string, tables []relational.TableID, lock func(relational.TableID) string) (*sql.Tx, error) {
	if _, err := conn.ExecContext(ctx, setIsolation); err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if lock != nil {
		for _, id := range tables {
			if _, err := tx.ExecContext(ctx, lock(id)); err != nil {
				_ = tx.Rollback()
				return nil, fmt.Errorf("cannot lock table %s: %w", id, err)
			}
		}
	}
	return tx, nil
}

// MapColumns maps a table's columns to Connect with the connector's mapping; a column the
// filters leave out (include says no), unless it is in the primary key, has no schema.
func MapColumns(t *relational.Table, include func(col string) bool, mapColumn func(*relational.Column) (envelope.Column, error)) ([]envelope.Column, error) {
	out := make([]envelope.Column, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		if !include(c.Name) && !t.IsPrimaryKeyColumn(c.Name) {
			out[i] = envelope.Column{Name: c.Name}
			continue
		}
		m, err := mapColumn(c)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		out[i] = m
	}
	return out, nil
}

// QueryNames runs a query whose rows are one name each and returns those keep accepts.
func QueryNames(ctx context.Context, h *sql.DB, keep func(string) bool, query string, args ...any) ([]string, error) {
	rows, err := h.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if keep(n) {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

// QueryLSN runs a query returning one LSN (binary) on a database, connection or transaction.
func QueryLSN(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, query string, args ...any) (LSN, error) {
	var b []byte
	if err := q.QueryRowContext(ctx, query, args...).Scan(&b); err != nil {
		return NullLSN, err
	}
	return LSNFromBytes(b), nil
}
