package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// sessionParams pin the text output the value decoders (package pgtypes) read, on regular and
// replication connections alike: the walsender applies startup parameters to the session that
// runs pgoutput's output functions too.
var sessionParams = map[string]string{
	"DateStyle":          "ISO, MDY",
	"IntervalStyle":      "iso_8601",
	"TimeZone":           "UTC",
	"extra_float_digits": "3",
	"bytea_output":       "hex",
	"application_name":   "connectd",
}

// quoteConnValue quotes a libpq keyword/value connection string value.
func quoteConnValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// pgConfig builds the connection settings; replication opens a walsender connection on the
// database (replication=database), which accepts both replication commands and SQL.
func (c *Config) pgConfig(replication bool) (*pgconn.Config, error) {
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=%s connect_timeout=30",
		quoteConnValue(c.Hostname), c.Port, quoteConnValue(c.User), quoteConnValue(c.Password),
		quoteConnValue(c.Database), c.SSLMode) + c.sslConnParams()
	pc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot build the PostgreSQL connection settings from database.*: %w", err)
	}
	for k, v := range sessionParams {
		pc.RuntimeParams[k] = v
	}
	if replication {
		pc.RuntimeParams["replication"] = "database"
		if c.WorkMemKB > 0 {
			// How much of a transaction the server decodes in memory before it streams it (or
			// spills it to disk without streaming).
			pc.RuntimeParams["logical_decoding_work_mem"] = strconv.Itoa(c.WorkMemKB) + "kB"
		}
	}
	return pc, nil
}

// connect opens a connection and runs database.initial.statements on regular ones.
func (c *Config) connect(ctx context.Context, replication bool) (*pgconn.PgConn, error) {
	pc, err := c.pgConfig(replication)
	if err != nil {
		return nil, err
	}
	conn, err := pgconn.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to PostgreSQL at %s:%d database %q as %q: %w; check database.hostname, database.port, database.dbname and the credentials",
			c.Hostname, c.Port, c.Database, c.User, c.explainTLS(err))
	}
	if !replication {
		for _, st := range c.InitialStatements {
			if _, err := conn.Exec(ctx, st).ReadAll(); err != nil {
				conn.Close(context.Background())
				return nil, fmt.Errorf("database.initial.statements: %q failed: %w", st, err)
			}
		}
	}
	return conn, nil
}

// closeConn closes a connection without waiting long for a server that is gone.
func closeConn(conn *pgconn.PgConn) {
	if conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// query runs a parameterised statement (text parameters and results) and returns its rows.
func query(ctx context.Context, conn *pgconn.PgConn, sql string, args ...string) ([][][]byte, error) {
	params := make([][]byte, len(args))
	for i, a := range args {
		params[i] = []byte(a)
	}
	res := conn.ExecParams(ctx, sql, params, nil, nil, nil).Read()
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Rows, nil
}

// simpleQuery runs SQL with the simple protocol (the only one a walsender connection speaks)
// and returns the rows of its last statement.
func simpleQuery(ctx context.Context, conn *pgconn.PgConn, sql string) ([][][]byte, error) {
	results, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(results) == 0 {
		return nil, nil
	}
	return results[len(results)-1].Rows, nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteLiteral quotes an SQL string literal (standard_conforming_strings on, the default since 9.1).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// atoi64 parses a catalog number.
func atoi64(b []byte) int64 {
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n
}

// isPgError reports whether err is a server error with the given SQLSTATE.
func isPgError(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}
