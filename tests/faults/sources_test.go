package faults

import (
	"context"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// maria is a test's database on the test bed's MariaDB.
type maria struct {
	t      *testing.T
	d      *mariadb.DB
	writer *client.Conn
}

func newMaria(t *testing.T) *maria {
	d := mariadb.New(t, "faults")
	w, err := client.Connect(net.JoinHostPort(d.TB.Host, strconv.Itoa(d.TB.Port)), d.TB.User, d.TB.Password, d.Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return &maria{t: t, d: d, writer: w}
}

func (m *maria) addr() string          { return m.d.TB.Addr() }
func (m *maria) name() string          { return "mariadb" }
func (m *maria) exec(sqls ...string)   { m.t.Helper(); m.d.Exec(sqls...) }
func (m *maria) topic(p string) string { return p + "." + m.d.Name + ".f" }

func (m *maria) tx(sqls ...string) error {
	for _, q := range append(append([]string{"BEGIN"}, sqls...), "COMMIT") {
		r, err := m.writer.Execute(q)
		if err != nil {
			return fmt.Errorf("%.100s: %w", q, err)
		}
		r.Close()
	}
	return nil
}

func (m *maria) table() map[int64]int64 {
	out := map[int64]int64{}
	for _, r := range m.d.Query("SELECT id, seq FROM f") {
		id, _ := strconv.ParseInt(r[0], 10, 64)
		seq, _ := strconv.ParseInt(r[1], 10, 64)
		out[id] = seq
	}
	return out
}

func (m *maria) connector(prefix string) map[string]string {
	h := fnv.New32a()
	h.Write([]byte(m.d.Name))
	return map[string]string{
		"name":                                "faults",
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   m.d.TB.Host,
		"database.port":                       strconv.Itoa(m.d.TB.Port),
		"database.user":                       m.d.TB.User,
		"database.password":                   m.d.TB.Password,
		"database.server.id":                  strconv.Itoa(40000 + int(h.Sum32()%1000000)),
		"database.include.list":               m.d.Name,
		"poll.interval.ms":                    "50",
		"snapshot.fetch.size":                 "2000",
		"schema.history.internal.kafka.topic": prefix + "-history",
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(m.t),
	}
}

var ssPorts = regexp.MustCompile(`127\.0\.0\.1:(\d+)\s+\S+:(\d+)\s+users:\(\("[^"]*",pid=(\d+)`)

// localPorts returns the local ports of pid's TCP connections to port, from ss.
func localPorts(pid, port int) (map[string]bool, error) {
	out, err := exec.Command("ss", "-tnpH", "state", "established").Output()
	if err != nil {
		return nil, fmt.Errorf("ss: %w", err)
	}
	ports := map[string]bool{}
	for _, m := range ssPorts.FindAllStringSubmatch(string(out), -1) {
		if m[2] == strconv.Itoa(port) && m[3] == strconv.Itoa(pid) {
			ports[m[1]] = true
		}
	}
	return ports, nil
}

// sessions finds the worker's binlog dump threads: MariaDB shows the client's address in the
// process list, and ss tells which local ports are the worker's.
func (m *maria) sessions(pid int) ([]int64, error) {
	ports, err := localPorts(pid, m.d.TB.Port)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range m.d.Query("SELECT ID, HOST FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'") {
		if i := strings.LastIndexByte(r[1], ':'); i >= 0 && ports[r[1][i+1:]] {
			id, _ := strconv.ParseInt(r[0], 10, 64)
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (m *maria) cut(ids []int64) error {
	for _, id := range ids {
		r, err := m.d.Conn.Execute(fmt.Sprintf("KILL %d", id))
		if err != nil && !strings.Contains(err.Error(), "Unknown thread") {
			return err
		}
		if r != nil {
			r.Close()
		}
	}
	return nil
}

// pg is a test's schema, slot and publication on the test bed's PostgreSQL.
type pg struct {
	t            *testing.T
	tb           testbed.DB
	conn, writer *pgconn.PgConn
	schema       string
}

func newPG(t *testing.T) *pg {
	t.Helper()
	tb := testbed.Postgres(t)
	name := fmt.Sprintf("faults_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database)
	connect := func() *pgconn.PgConn {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgconn.Connect(ctx, dsn+" search_path="+name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p := &pg{t: t, tb: tb, conn: connect(), writer: connect(), schema: name}
	p.exec("CREATE SCHEMA " + name)
	t.Cleanup(func() {
		ctx := context.Background()
		p.writer.Close(ctx)
		p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, name)).ReadAll()
		for i := 0; i < 40; i++ {
			if _, err := p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, name)).ReadAll(); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		p.conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+name+`_pub"`).ReadAll()
		p.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE").ReadAll()
		p.conn.Close(ctx)
	})
	return p
}

func (p *pg) addr() string           { return p.tb.Addr() }
func (p *pg) name() string           { return "postgres" }
func (p *pg) topic(pr string) string { return pr + "." + p.schema + ".f" }

func (p *pg) exec(sqls ...string) {
	p.t.Helper()
	for _, s := range sqls {
		if _, err := p.conn.Exec(context.Background(), s).ReadAll(); err != nil {
			p.t.Fatalf("%.200s: %v", s, err)
		}
	}
}

func (p *pg) tx(sqls ...string) error {
	// PostgreSQL's CONCAT needs text; the workload's statements are written for both servers.
	q := "BEGIN;" + strings.Join(sqls, ";") + ";COMMIT"
	q = strings.ReplaceAll(q, "CONCAT('p', id, '-', seq + 1)", "'p' || id || '-' || (seq + 1)")
	_, err := p.writer.Exec(context.Background(), q).ReadAll()
	return err
}

func (p *pg) table() map[int64]int64 {
	res, err := p.conn.Exec(context.Background(), "SELECT id, seq FROM f").ReadAll()
	if err != nil {
		p.t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, r := range res[0].Rows {
		id, _ := strconv.ParseInt(string(r[0]), 10, 64)
		seq, _ := strconv.ParseInt(string(r[1]), 10, 64)
		out[id] = seq
	}
	return out
}

func (p *pg) connector(prefix string) map[string]string {
	return map[string]string{
		"name":                "faults",
		"connector.class":     "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":           "1",
		"topic.prefix":        prefix,
		"database.hostname":   p.tb.Host,
		"database.port":       strconv.Itoa(p.tb.Port),
		"database.user":       p.tb.User,
		"database.password":   p.tb.Password,
		"database.dbname":     p.tb.Database,
		"plugin.name":         "pgoutput",
		"slot.name":           p.schema,
		"publication.name":    p.schema + "_pub",
		"schema.include.list": p.schema,
		"poll.interval.ms":    "50",
		"snapshot.fetch.size": "2000",
	}
}

// sessions is the walsender of the test's slot (one slot per test, so no need for the pid).
func (p *pg) sessions(int) ([]int64, error) {
	res, err := p.conn.Exec(context.Background(), fmt.Sprintf(
		"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '%s' AND active_pid IS NOT NULL", p.schema)).ReadAll()
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range res[0].Rows {
		id, _ := strconv.ParseInt(string(r[0]), 10, 64)
		ids = append(ids, id)
	}
	return ids, nil
}

func (p *pg) cut(ids []int64) error {
	for _, id := range ids {
		if _, err := p.conn.Exec(context.Background(), fmt.Sprintf("SELECT pg_terminate_backend(%d)", id)).ReadAll(); err != nil {
			return err
		}
	}
	return nil
}
