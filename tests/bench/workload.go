package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// The workload's table: ~600 bytes of column data per row (three varchars of 180, 180 and 140
// characters, four integers, a decimal and a datetime) and commit_us, the time the inserting
// statement ran in microseconds since the epoch (0 outside the latency phase).
const (
	// DefaultNamespace names what a benchmark run owns: the MariaDB database / PostgreSQL schema
	// connectd_<ns>, topics <ns>_*, connectors <ns>-*, slots connectd_<ns>_slot_*. Tests use
	// their own so they never touch a benchmark running beside them.
	DefaultNamespace = "bench"
	benchTable       = "events"
	// dbOnlyTable is where the database-alone write rate is measured, while no connector runs.
	dbOnlyTable = "events_dbonly"
	// txnRows is the number of rows per streaming transaction (inserts) and per update statement.
	txnRows = 100
)

// Source is one database under test: it owns the bench table and writes the workload into it.
type Source interface {
	// Name is "mariadb" or "postgres".
	Name() string
	// Version is the server's version string.
	Version(ctx context.Context) (string, error)
	// Schema is the MariaDB database / PostgreSQL schema holding the bench table.
	Schema() string
	// Reset drops and recreates the bench schema with an empty table (and, for PostgreSQL, the
	// publication), dropping the replication slots of the namespace left from an earlier run.
	Reset(ctx context.Context) error
	// DropAll drops the bench schema, its publication and its slots.
	DropAll(ctx context.Context) error
	// CreateTable creates an empty table of the workload's shape in the bench schema.
	CreateTable(ctx context.Context, table string) error
	// DropTable drops a table of the bench schema if it exists.
	DropTable(ctx context.Context, table string) error
	// Preload bulk-loads rows 1..n (multi-row INSERTs or COPY).
	Preload(ctx context.Context, table string, n int) error
	// Insert inserts rows first..first+n-1 in one transaction; with stamp, commit_us is set by the
	// database from the statement's start time.
	Insert(ctx context.Context, table string, first, n int, stamp bool) error
	// Update changes rows from..to (inclusive) in one statement and transaction.
	Update(ctx context.Context, table string, from, to int) error
	// DropSlots drops the namespace's replication slots (PostgreSQL; a no-op for MariaDB).
	DropSlots(ctx context.Context) error
	// ConnectorConfig returns the Debezium connector properties for this database (without the
	// converters, which the harness adds); prefix is topic.prefix, id tells the two systems'
	// server ids and slots apart.
	ConnectorConfig(prefix string, id int) map[string]string
	// Close closes the connection.
	Close() error
}

// Topic is the change event topic of the bench table for a topic prefix: Debezium names it
// <prefix>.<db or schema>.<table> for both databases.
func Topic(prefix, schema string) string { return prefix + "." + schema + "." + benchTable }

// SchemaName is the MariaDB database / PostgreSQL schema of a namespace.
func SchemaName(ns string) string { return "connectd_" + ns }

// text is a fixed pseudo-random alphabet string; rows take slices of it at offsets derived from
// their id, so generating a row costs no randomness and the data is the same on every run.
var text = func() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
	b := make([]byte, 8192)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = alphabet[x%uint64(len(alphabet))]
	}
	return string(b)
}()

func slice(id, salt, n int) string {
	off := (id*7919 + salt*104729) % (len(text) - n)
	return text[off : off+n]
}

// row is one row of the workload; strings hold no quote or backslash, so they go into SQL as is.
type row struct {
	id, n1, n2 int
	n3         int64
	s1, s2, s3 string
	price      string
	created    time.Time
}

var createdBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func makeRow(id int) row {
	return row{
		id: id, n1: id % 1000003, n2: (id * 31) % 65536, n3: int64(id) * 1_000_003,
		s1: slice(id, 1, 180), s2: slice(id, 2, 180), s3: slice(id, 3, 140),
		price:   strconv.Itoa(id*37%10_000_000/100) + "." + fmt.Sprintf("%02d", id*37%100),
		created: createdBase.Add(time.Duration(id)*time.Second + time.Duration(id%1_000_000)*time.Microsecond),
	}
}

// appendValues appends the row as a SQL VALUES tuple; stampExpr is commit_us's expression.
func (r row) appendValues(b []byte, stampExpr string) []byte {
	b = append(b, '(')
	b = strconv.AppendInt(b, int64(r.id), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.n1), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.n2), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.n3, 10)
	for _, s := range []string{r.s1, r.s2, r.s3} {
		b = append(b, ",'"...)
		b = append(b, s...)
		b = append(b, '\'')
	}
	b = append(b, ',')
	b = append(b, r.price...)
	b = append(b, ",'"...)
	b = r.created.AppendFormat(b, "2006-01-02 15:04:05.000000")
	b = append(b, "',"...)
	b = append(b, stampExpr...)
	return append(b, ')')
}

const columnList = "(id,n1,n2,n3,s1,s2,s3,price,created,commit_us)"

// insertSQL is a multi-row INSERT of rows first..first+n-1.
func insertSQL(qualified string, first, n int, stampExpr string) string {
	b := make([]byte, 0, n*640+64)
	b = append(b, "INSERT INTO "...)
	b = append(b, qualified...)
	b = append(b, columnList...)
	b = append(b, " VALUES "...)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = makeRow(first+i).appendValues(b, stampExpr)
	}
	return string(b)
}

// streamPlan is the streaming phase's writes: alternating insert transactions (new ids after
// the preloaded ones) and update statements (preloaded ids, cycling), txnRows rows each.
type streamPlan struct {
	preloaded int // rows 1..preloaded exist
	nextID    int // next id to insert
	nextUpd   int // next id to update
}

func newStreamPlan(preloaded int) *streamPlan {
	return &streamPlan{preloaded: preloaded, nextID: preloaded + 1, nextUpd: 1}
}

// write performs events change events' worth of writes (rounded up to whole statements) and
// returns how many events they produce.
func (p *streamPlan) write(ctx context.Context, src Source, table string, events int) (int, error) {
	done := 0
	for i := 0; done < events; i++ {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		n := min(txnRows, events-done)
		if i%2 == 0 || p.preloaded == 0 {
			if err := src.Insert(ctx, table, p.nextID, n, false); err != nil {
				return done, err
			}
			p.nextID += n
		} else {
			n = min(n, p.preloaded)
			if p.nextUpd+n-1 > p.preloaded {
				p.nextUpd = 1
			}
			if err := src.Update(ctx, table, p.nextUpd, p.nextUpd+n-1); err != nil {
				return done, err
			}
			p.nextUpd += n
		}
		done += n
	}
	return done, nil
}

// pacedInserts inserts events rows at rate events/s in autocommit transactions of txn rows each,
// open loop (a late transaction does not delay the schedule of the next ones), stamping
// commit_us. It returns the rows written and the time it took.
func pacedInserts(ctx context.Context, src Source, table string, firstID, events, txn int, rate float64) (int, time.Duration, error) {
	interval := time.Duration(float64(time.Second) * float64(txn) / rate)
	start := time.Now()
	done := 0
	for i := 0; done < events; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				return done, time.Since(start), ctx.Err()
			case <-time.After(d):
			}
		}
		n := min(txn, events-done)
		if err := src.Insert(ctx, table, firstID+done, n, true); err != nil {
			return done, time.Since(start), err
		}
		done += n
	}
	return done, time.Since(start), nil
}
