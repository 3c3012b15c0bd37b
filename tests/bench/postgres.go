package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgres is the workload on PostgreSQL: schema connectd_bench, table events, published by
// <schema>_pub (both systems use that publication with publication.autocreate.mode=disabled,
// so neither decodes other tests' tables on the shared server).
type postgres struct {
	cfg    DBConfig
	schema string
	conn   *pgx.Conn
}

const (
	// pgStamp is commit_us for the latency phase: the statement's start in microseconds since
	// the epoch (the autocommit transaction commits right after it).
	pgStamp = "(extract(epoch from statement_timestamp())*1000000)::bigint"
)

// OpenPostgres connects to PostgreSQL; the workload lives in schema SchemaName(ns) of
// cfg.Database.
func OpenPostgres(ctx context.Context, cfg DBConfig, ns string) (Source, error) {
	pc, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable connect_timeout=10",
		cfg.Host, cfg.Port, cfg.User, cfg.Password, cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("bad PostgreSQL settings: %w", err)
	}
	// Every statement is different text; preparing each would double the round trips.
	pc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("could not connect to PostgreSQL at %s as %s (is the test bed up? deploy/testbed/up): %w", cfg.Addr(), cfg.User, err)
	}
	return &postgres{cfg: cfg, schema: SchemaName(ns), conn: conn}, nil
}

// The exported methods below implement Source, which documents them.

func (p *postgres) Name() string { return "postgres" }

func (p *postgres) exec(ctx context.Context, q string) error {
	if _, err := p.conn.Exec(ctx, q); err != nil {
		if len(q) > 120 {
			q = q[:120] + "..."
		}
		return fmt.Errorf("postgres: %s: %w", q, err)
	}
	return nil
}

func (p *postgres) Version(ctx context.Context) (string, error) {
	var v string
	if err := p.conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("could not read the PostgreSQL version: %w", err)
	}
	return v, nil
}

func (p *postgres) Schema() string { return p.schema }

func (p *postgres) pub() string { return p.schema + "_pub" }

func (p *postgres) slot(id int) string { return p.schema + "_slot_" + strconv.Itoa(id) }

func (p *postgres) DropAll(ctx context.Context) error {
	if err := p.DropSlots(ctx); err != nil {
		return err
	}
	if err := p.exec(ctx, "DROP PUBLICATION IF EXISTS "+p.pub()); err != nil {
		return err
	}
	return p.exec(ctx, "DROP SCHEMA IF EXISTS "+p.schema+" CASCADE")
}

func (p *postgres) Reset(ctx context.Context) error {
	if err := p.DropSlots(ctx); err != nil {
		return err
	}
	for _, q := range []string{
		"DROP PUBLICATION IF EXISTS " + p.pub(),
		"DROP SCHEMA IF EXISTS " + p.schema + " CASCADE",
		"CREATE SCHEMA " + p.schema,
	} {
		if err := p.exec(ctx, q); err != nil {
			return err
		}
	}
	if err := p.CreateTable(ctx, benchTable); err != nil {
		return err
	}
	return p.exec(ctx, "CREATE PUBLICATION "+p.pub()+" FOR TABLE "+p.schema+"."+benchTable)
}

func (p *postgres) CreateTable(ctx context.Context, table string) error {
	return p.exec(ctx, "CREATE TABLE "+p.schema+"."+table+` (
		id BIGINT NOT NULL PRIMARY KEY, n1 INT NOT NULL, n2 INT NOT NULL, n3 BIGINT NOT NULL,
		s1 VARCHAR(200) NOT NULL, s2 VARCHAR(200) NOT NULL, s3 VARCHAR(150) NOT NULL,
		price NUMERIC(12,2) NOT NULL, created TIMESTAMP(6) NOT NULL, commit_us BIGINT NOT NULL)`)
}

// Publish adds a table to the publication the connectors stream from.
func (p *postgres) Publish(ctx context.Context, table string) error {
	return p.exec(ctx, "ALTER PUBLICATION "+p.pub()+" ADD TABLE "+p.schema+"."+table)
}

func (p *postgres) DropTable(ctx context.Context, table string) error {
	return p.exec(ctx, "DROP TABLE IF EXISTS "+p.schema+"."+table)
}

// Preload loads rows with COPY, the fastest bulk path.
func (p *postgres) Preload(ctx context.Context, table string, n int) error {
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= n {
			return nil, nil
		}
		i++
		r := makeRow(i)
		return []any{int64(r.id), int32(r.n1), int32(r.n2), r.n3, r.s1, r.s2, r.s3, r.price, r.created, int64(0)}, nil
	})
	cols := []string{"id", "n1", "n2", "n3", "s1", "s2", "s3", "price", "created", "commit_us"}
	if _, err := p.conn.CopyFrom(ctx, pgx.Identifier{p.schema, table}, cols, src); err != nil {
		return fmt.Errorf("postgres: COPY into %s.%s: %w", p.schema, table, err)
	}
	return nil
}

func (p *postgres) Insert(ctx context.Context, table string, first, n int, stamp bool) error {
	expr := "0"
	if stamp {
		expr = pgStamp
	}
	return p.exec(ctx, insertSQL(p.schema+"."+table, first, n, expr))
}

func (p *postgres) Update(ctx context.Context, table string, from, to int) error {
	return p.exec(ctx, fmt.Sprintf("UPDATE %s.%s SET n1=n1+1, s3=substr(s3,2)||substr(s3,1,1) WHERE id BETWEEN %d AND %d",
		p.schema, table, from, to))
}

// DropSlots drops the namespace's replication slots.
func (p *postgres) DropSlots(ctx context.Context) error {
	rows, err := p.conn.Query(ctx, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1", p.schema+`\_slot\_%`)
	if err != nil {
		return fmt.Errorf("postgres: could not list replication slots: %w", err)
	}
	slots, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: could not list replication slots: %w", err)
	}
	for _, s := range slots {
		if err := p.dropSlot(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// dropSlot drops a replication slot, ending the walsender that still holds it (a connector that
// was just deleted may not have let go yet).
func (p *postgres) dropSlot(ctx context.Context, slot string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var active bool
		var pid *int32
		err := p.conn.QueryRow(ctx, "SELECT active, active_pid FROM pg_replication_slots WHERE slot_name=$1", slot).Scan(&active, &pid)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return fmt.Errorf("postgres: could not look up replication slot %s: %w", slot, err)
		}
		if !active {
			return p.exec(ctx, "SELECT pg_drop_replication_slot('"+slot+"')")
		}
		if time.Now().After(deadline) && pid != nil {
			_ = p.exec(ctx, "SELECT pg_terminate_backend("+strconv.Itoa(int(*pid))+")")
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			return fmt.Errorf("postgres: replication slot %s is still in use by pid %v after 60 s; stop the client holding it", slot, pid)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// ConnectorConfig: slot names are <schema>_slot_<id>.
func (p *postgres) ConnectorConfig(prefix string, id int) map[string]string {
	return map[string]string{
		"connector.class":             "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":                   "1",
		"database.hostname":           p.cfg.Host,
		"database.port":               strconv.Itoa(p.cfg.Port),
		"database.user":               p.cfg.User,
		"database.password":           p.cfg.Password,
		"database.dbname":             p.cfg.Database,
		"topic.prefix":                prefix,
		"table.include.list":          p.schema + "\\." + benchTable,
		"plugin.name":                 "pgoutput",
		"slot.name":                   p.slot(id),
		"publication.name":            p.pub(),
		"publication.autocreate.mode": "disabled",
		"snapshot.mode":               "initial",
	}
}

func (p *postgres) Close() error { return p.conn.Close(context.Background()) }
