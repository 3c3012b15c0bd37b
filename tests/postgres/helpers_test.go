// Package postgres holds the end-to-end tests of the PostgreSQL connector: a real worker serving
// the Kafka Connect REST API, the test bed's PostgreSQL and Kafka, used as an operator would.
package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// pg is a test's corner of the test bed's PostgreSQL: a schema, a slot and a publication named
// after the test, all dropped at cleanup so no slot keeps holding WAL.
type pg struct {
	t      *testing.T
	tb     testbed.DB
	conn   *pgconn.PgConn
	name   string
	schema string
	slot   string
	pub    string
}

func newPG(t *testing.T) *pg {
	t.Helper()
	tb := testbed.Postgres(t)
	name := fmt.Sprintf("e2e_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := &pg{t: t, tb: tb, conn: conn, name: name, schema: name, slot: name, pub: name + "_pub"}
	p.exec("CREATE SCHEMA " + name)
	t.Cleanup(p.cleanup)
	return p
}

func (p *pg) cleanup() {
	ctx := context.Background()
	p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, p.slot)).ReadAll()
	for i := 0; i < 40; i++ {
		if _, err := p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, p.slot)).ReadAll(); err == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	p.conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+p.pub+`"`).ReadAll()
	p.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+p.schema+" CASCADE").ReadAll()
	p.conn.Close(ctx)
}

// exec runs SQL; each argument may hold several statements.
func (p *pg) exec(sqls ...string) {
	p.t.Helper()
	for _, s := range sqls {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		_, err := p.conn.Exec(ctx, s).ReadAll()
		cancel()
		if err != nil {
			p.t.Fatalf("%.200s: %v", s, err)
		}
	}
}

// value returns the first column of the first row of a query.
func (p *pg) value(sql string) string {
	p.t.Helper()
	res, err := p.conn.Exec(context.Background(), sql).ReadAll()
	if err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
	if len(res) == 0 || len(res[len(res)-1].Rows) == 0 {
		return ""
	}
	return string(res[len(res)-1].Rows[0][0])
}

// config is the connector configuration for this test's schema.
func (p *pg) config(prefix string, kv ...string) map[string]string {
	m := map[string]string{
		"connector.class":     "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":           "1",
		"topic.prefix":        prefix,
		"database.hostname":   p.tb.Host,
		"database.port":       strconv.Itoa(p.tb.Port),
		"database.user":       p.tb.User,
		"database.password":   p.tb.Password,
		"database.dbname":     p.tb.Database,
		"plugin.name":         "pgoutput",
		"slot.name":           p.slot,
		"publication.name":    p.pub,
		"schema.include.list": p.schema,
		"poll.interval.ms":    "100",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// envelope is the part of a change event value the tests read.
type envelope struct {
	Op            string
	Before, After json.RawMessage
	Source        struct {
		Connector, Name, DB, Schema, Table, Snapshot, Sequence string
		TxID                                                   *int64 `json:"txId"`
		LSN                                                    *int64 `json:"lsn"`
	}
}

// ev is a change event with key, op, before and after; the tests list their expected events with it.
func ev(key, op, before, after string) e2e.Event {
	return e2e.Event{Key: key, Op: op, Before: before, After: after}
}

// schemalessJSON is the connector properties of JSON keys and values without schemas, which
// keep the assertions short; append it to config's pairs.
var schemalessJSON = []string{
	"key.converter", "org.apache.kafka.connect.json.JsonConverter",
	"value.converter", "org.apache.kafka.connect.json.JsonConverter",
	"key.converter.schemas.enable", "false",
	"value.converter.schemas.enable", "false",
}
