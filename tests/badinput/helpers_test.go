// Package badinput_test sends a running worker what users and broken tools send by mistake —
// malformed connector configurations and offset bodies, offsets the server never had, oversized
// bodies, unknown paths and methods — and checks that each gets a precise error while the worker
// and a real connector running next to it carry on.
package badinput_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// mariadbConfig is a MariaDB connector configuration capturing d.
func mariadbConfig(t *testing.T, d *mariadb.DB, prefix string) map[string]string {
	h := fnv.New32a()
	h.Write([]byte(d.Name + prefix))
	return map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   d.TB.Host,
		"database.port":                       strconv.Itoa(d.TB.Port),
		"database.user":                       d.TB.User,
		"database.password":                   d.TB.Password,
		"database.server.id":                  strconv.Itoa(30000 + int(h.Sum32()%1000000)),
		"database.include.list":               d.Name,
		"poll.interval.ms":                    "100",
		"schema.history.internal.kafka.topic": testbed.Topic(t, "history"),
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(t),
	}
}

// pg is a test's schema, slot and publication on the test bed's PostgreSQL, dropped at cleanup.
type pg struct {
	t    *testing.T
	tb   testbed.DB
	conn *pgconn.PgConn
	name string
}

func newPG(t *testing.T) *pg {
	t.Helper()
	tb := testbed.Postgres(t)
	name := fmt.Sprintf("bad_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := &pg{t: t, tb: tb, conn: conn, name: name}
	p.exec("CREATE SCHEMA " + name)
	t.Cleanup(func() {
		ctx := context.Background()
		conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, name)).ReadAll()
		for i := 0; i < 40; i++ {
			if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, name)).ReadAll(); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+name+`_pub"`).ReadAll()
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE").ReadAll()
		conn.Close(ctx)
	})
	return p
}

func (p *pg) exec(sqls ...string) {
	p.t.Helper()
	for _, s := range sqls {
		if _, err := p.conn.Exec(context.Background(), s).ReadAll(); err != nil {
			p.t.Fatalf("%.200s: %v", s, err)
		}
	}
}

func (p *pg) config(prefix string) map[string]string {
	return map[string]string{
		"connector.class":     "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":           "1",
		"topic.prefix":        prefix,
		"database.hostname":   p.tb.Host,
		"database.port":       strconv.Itoa(p.tb.Port),
		"database.user":       p.tb.User,
		"database.password":   p.tb.Password,
		"database.dbname":     p.tb.Database,
		"plugin.name":         "pgoutput",
		"slot.name":           p.name,
		"publication.name":    p.name + "_pub",
		"schema.include.list": p.name,
		"poll.interval.ms":    "100",
	}
}
