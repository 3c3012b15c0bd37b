package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
)

// DBConfig is how to reach a database server of the test bed.
type DBConfig struct {
	Host     string
	Port     int
	User     string
	Password string
	// Database is the database to connect to (PostgreSQL: where the bench schema lives; MariaDB:
	// unused, the bench database is created next to it).
	Database string
}

// Addr is host:port.
func (c DBConfig) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// mariaDB is the workload on MariaDB: database connectd_bench, table events.
type mariaDB struct {
	cfg    DBConfig
	schema string
	conn   *client.Conn
}

// mariaStamp is commit_us for the latency phase: the statement's start in microseconds since the
// epoch (NOW(6) is fixed for the statement; the autocommit transaction commits right after it).
const mariaStamp = "CAST(UNIX_TIMESTAMP(NOW(6))*1000000 AS SIGNED)"

// OpenMariaDB connects to MariaDB; the workload lives in database SchemaName(ns).
func OpenMariaDB(ctx context.Context, cfg DBConfig, ns string) (Source, error) {
	conn, err := client.ConnectWithContext(ctx, cfg.Addr(), cfg.User, cfg.Password, "", 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("could not connect to MariaDB at %s as %s (is the test bed up? deploy/testbed/up): %w", cfg.Addr(), cfg.User, err)
	}
	return &mariaDB{cfg: cfg, schema: SchemaName(ns), conn: conn}, nil
}

// The exported methods below implement Source, which documents them.

func (m *mariaDB) Name() string { return "mariadb" }

func (m *mariaDB) exec(q string) error {
	r, err := m.conn.Execute(q)
	if err != nil {
		if len(q) > 120 {
			q = q[:120] + "..."
		}
		return fmt.Errorf("mariadb: %s: %w", q, err)
	}
	r.Close()
	return nil
}

func (m *mariaDB) Version(context.Context) (string, error) {
	r, err := m.conn.Execute("SELECT VERSION()")
	if err != nil {
		return "", fmt.Errorf("could not read the MariaDB version: %w", err)
	}
	defer r.Close()
	v, err := r.GetString(0, 0)
	return strings.Clone(v), err // the string aliases a buffer Close returns to go-mysql's pool
}

func (m *mariaDB) Schema() string { return m.schema }

func (m *mariaDB) DropAll(context.Context) error {
	return m.exec("DROP DATABASE IF EXISTS " + m.schema)
}

func (m *mariaDB) Reset(ctx context.Context) error {
	if err := m.exec("DROP DATABASE IF EXISTS " + m.schema); err != nil {
		return err
	}
	if err := m.exec("CREATE DATABASE " + m.schema); err != nil {
		return err
	}
	return m.CreateTable(ctx, benchTable)
}

func (m *mariaDB) CreateTable(_ context.Context, table string) error {
	return m.exec("CREATE TABLE " + m.schema + "." + table + ` (
		id BIGINT NOT NULL PRIMARY KEY, n1 INT NOT NULL, n2 INT NOT NULL, n3 BIGINT NOT NULL,
		s1 VARCHAR(200) NOT NULL, s2 VARCHAR(200) NOT NULL, s3 VARCHAR(150) NOT NULL,
		price DECIMAL(12,2) NOT NULL, created DATETIME(6) NOT NULL, commit_us BIGINT NOT NULL
	) ENGINE=InnoDB`)
}

func (m *mariaDB) DropTable(_ context.Context, table string) error {
	return m.exec("DROP TABLE IF EXISTS " + m.schema + "." + table)
}

func (m *mariaDB) Preload(ctx context.Context, table string, n int) error {
	const chunk = 1000
	for first := 1; first <= n; first += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := m.exec(insertSQL(m.schema+"."+table, first, min(chunk, n-first+1), "0")); err != nil {
			return err
		}
	}
	return nil
}

func (m *mariaDB) Insert(_ context.Context, table string, first, n int, stamp bool) error {
	expr := "0"
	if stamp {
		expr = mariaStamp
	}
	return m.exec(insertSQL(m.schema+"."+table, first, n, expr))
}

func (m *mariaDB) Update(_ context.Context, table string, from, to int) error {
	return m.exec(fmt.Sprintf("UPDATE %s.%s SET n1=n1+1, s3=CONCAT(SUBSTRING(s3,2),SUBSTRING(s3,1,1)) WHERE id BETWEEN %d AND %d",
		m.schema, table, from, to))
}

func (m *mariaDB) DropSlots(context.Context) error { return nil }

func (m *mariaDB) ConnectorConfig(prefix string, id int) map[string]string {
	return map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"database.hostname":                   m.cfg.Host,
		"database.port":                       strconv.Itoa(m.cfg.Port),
		"database.user":                       m.cfg.User,
		"database.password":                   m.cfg.Password,
		"database.server.id":                  strconv.Itoa(184200 + id),
		"topic.prefix":                        prefix,
		"database.include.list":               m.schema,
		"table.include.list":                  m.schema + "\\." + benchTable,
		"snapshot.mode":                       "initial",
		"schema.history.internal.kafka.topic": prefix + ".history",
		"schema.history.internal.store.only.captured.databases.ddl": "true",
		"schema.history.internal.store.only.captured.tables.ddl":    "true",
	}
}

func (m *mariaDB) Close() error { return m.conn.Close() }
