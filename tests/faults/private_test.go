package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// The database-side faults (server restarts, binlog purges, slot invalidation) would hurt every
// other test using the shared test bed, so each of those tests runs a server of its own: a data
// directory in a temporary directory, a free port on loopback, the same server binaries the test
// bed installed. The test may stop it (a fast shutdown), kill it (SIGKILL to its whole process
// group: a crash) and start it again on the same directory and port.

// privateUser and privatePassword are the account the tests and the connector use on a private
// server.
const (
	privateUser     = "connectd"
	privatePassword = "connectd"
)

// privateServer is one database server of the test's own.
type privateServer struct {
	t    *testing.T
	kind string // "mariadb" or "postgres"
	dir  string // holds the data directory, the sockets and the log
	port int
	args []string
	cred *syscall.Credential // who the server runs as; nil: this process's user
	// stopSig is a fast shutdown: SIGTERM for mariadbd, SIGINT for postgres (SIGTERM is its
	// "smart" shutdown, which waits for every client).
	stopSig syscall.Signal
	ready   func() error
	cmd     *exec.Cmd
	done    chan struct{}
	starts  int
}

// privateBinary returns the path of a server binary, or ends the test (a failure under CI=true,
// where the test bed's packages must be installed, a skip elsewhere).
func privateBinary(t *testing.T, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if strings.Contains(p, "/") {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		} else if lp, err := exec.LookPath(p); err == nil {
			return lp
		}
	}
	msg := fmt.Sprintf("%s is not installed: deploy/testbed/up installs the servers the private database tests start", paths[0])
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// privateDir makes the server's directory: under /tmp (socket paths are limited to 108 bytes),
// owned by cred's user when the server runs as another user.
func privateDir(t *testing.T, pattern string, cred *syscall.Credential) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// run runs a setup command (as the server's user) and fails the test with its output.
func (s *privateServer) run(name string, args ...string) {
	s.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// newPrivateMaria initializes a MariaDB data directory and starts a server on it with a ROW
// binlog, as the test bed's (binlog_row_metadata=FULL, strict GTIDs).
func newPrivateMaria(t *testing.T) *privateServer {
	t.Helper()
	installDB := privateBinary(t, "mariadb-install-db", "/usr/bin/mariadb-install-db")
	mariadbd := privateBinary(t, "/usr/sbin/mariadbd", "mariadbd")
	s := &privateServer{t: t, kind: "mariadb", port: e2e.FreePort(t), stopSig: syscall.SIGTERM}
	s.dir = privateDir(t, "fmdb", nil)
	t.Cleanup(func() { os.RemoveAll(s.dir) })
	data := filepath.Join(s.dir, "data")
	asRoot := os.Geteuid() == 0
	install := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if asRoot {
		install = append(install, "--user=root")
	}
	s.run(installDB, install...)
	// The init file runs at every start: the account the tests and the connector use.
	init := ""
	for _, host := range []string{"%", "localhost", "127.0.0.1"} {
		init += fmt.Sprintf("CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY '%s';\nGRANT ALL PRIVILEGES ON *.* TO '%s'@'%s' WITH GRANT OPTION;\n",
			privateUser, host, privatePassword, privateUser, host)
	}
	init += "CREATE DATABASE IF NOT EXISTS faults;\n"
	initFile := filepath.Join(s.dir, "init.sql")
	if err := os.WriteFile(initFile, []byte(init), 0o644); err != nil {
		t.Fatal(err)
	}
	s.args = []string{mariadbd, "--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(s.port),
		"--bind-address=127.0.0.1", "--socket=" + filepath.Join(s.dir, "sock"), "--pid-file=" + filepath.Join(s.dir, "pid"),
		"--log-error=" + filepath.Join(s.dir, "error.log"), "--init-file=" + initFile, "--skip-name-resolve",
		"--log-bin=" + filepath.Join(data, "mariadb-bin"), "--binlog-format=ROW", "--binlog-row-image=FULL",
		"--binlog-row-metadata=FULL", "--server-id=1", "--gtid-strict-mode=ON", "--log-slave-updates=ON",
		"--innodb-buffer-pool-size=32M", "--innodb-log-file-size=48M", "--performance-schema=OFF", "--max-connections=60"}
	if asRoot {
		s.args = append(s.args, "--user=root")
	}
	s.ready = func() error {
		c, err := s.dialMaria("")
		if err != nil {
			return err
		}
		c.Close()
		return nil
	}
	s.start()
	return s
}

// dialMaria connects to a private MariaDB as the test account, with db as the current database.
func (s *privateServer) dialMaria(db string) (*client.Conn, error) {
	return client.Connect(net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), privateUser, privatePassword, db)
}

// newPrivatePG initializes a PostgreSQL 15 cluster (1 MB WAL segments, so a test fills a few
// quickly) and starts it with logical decoding; settings are extra postgres -c settings.
func newPrivatePG(t *testing.T, settings ...string) *privateServer {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin/"
	initdb := privateBinary(t, bin+"initdb")
	postgres := privateBinary(t, bin+"postgres")
	s := &privateServer{t: t, kind: "postgres", port: e2e.FreePort(t), stopSig: syscall.SIGINT}
	// PostgreSQL refuses to run as root: as root, it runs as the postgres user, as the test
	// bed's cluster does.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("PostgreSQL cannot run as root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	s.dir = privateDir(t, "fpg", s.cred)
	t.Cleanup(func() { os.RemoveAll(s.dir) })
	data := filepath.Join(s.dir, "data")
	s.run(initdb, "-D", data, "-U", privateUser, "--auth=trust", "-E", "UTF8", "--no-sync", "--wal-segsize=1")
	s.args = []string{postgres, "-D", data, "-p", strconv.Itoa(s.port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + s.dir, "-c", "wal_level=logical", "-c", "max_wal_senders=10",
		"-c", "max_replication_slots=10", "-c", "shared_buffers=16MB", "-c", "max_connections=40",
		"-c", "fsync=off", "-c", "logging_collector=off"}
	for _, kv := range settings {
		s.args = append(s.args, "-c", kv)
	}
	s.ready = func() error {
		c, err := s.dialPG()
		if err != nil {
			return err
		}
		c.Close(context.Background())
		return nil
	}
	s.start()
	return s
}

// dialPG connects to a private PostgreSQL's postgres database as the test account, with the
// faults schema first on the search path.
func (s *privateServer) dialPG() (*pgconn.PgConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return pgconn.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=postgres sslmode=disable search_path=faults,public",
		s.port, privateUser, privatePassword))
}

// start starts the server on its directory and waits until it accepts the test account.
func (s *privateServer) start() {
	s.t.Helper()
	s.starts++
	logName := filepath.Join(s.dir, "server.log")
	logf, err := os.OpenFile(logName, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// A process group of its own: kill reaches PostgreSQL's backends too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("cannot start the private %s server: %v", s.kind, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	done := s.done
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	if s.starts == 1 {
		s.t.Cleanup(func() {
			s.kill()
			if s.t.Failed() {
				s.t.Logf("private %s server log (tail):\n%s", s.kind, s.logTail())
			}
		})
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		err := s.ready()
		if err == nil {
			return
		}
		select {
		case <-done:
			s.t.Fatalf("the private %s server exited at start %d:\n%s", s.kind, s.starts, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the private %s server did not accept connections within 90 s (%v):\n%s", s.kind, err, s.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logTail is the end of the server's log (and MariaDB's error log).
func (s *privateServer) logTail() string {
	var b []byte
	for _, n := range []string{"server.log", "error.log"} {
		if x, err := os.ReadFile(filepath.Join(s.dir, n)); err == nil {
			b = append(b, x...)
		}
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// running reports whether the server process is alive.
func (s *privateServer) running() bool {
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// stop is a fast shutdown: clients are disconnected, the server writes a checkpoint and exits.
func (s *privateServer) stop() {
	s.t.Helper()
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Signal(s.stopSig)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.t.Errorf("the private %s server did not shut down within 60 s; killing it", s.kind)
		s.kill()
	}
}

// kill is a crash: SIGKILL to the server's whole process group, then crash recovery at the next
// start.
func (s *privateServer) kill() {
	if !s.running() {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// privSource is a fault test's source on a private server.
type privSource interface {
	source
	server() *privateServer
}

// connLost reports whether err says the connection (or the server) went away rather than that
// the statement failed: the transaction's outcome is then unknown, and the table is the truth.
func connLost(err error) bool {
	var me *gomysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case gomysql.ER_SERVER_SHUTDOWN, gomysql.ER_CON_COUNT_ERROR, gomysql.ER_NET_READ_ERROR, gomysql.ER_NET_READ_INTERRUPTED,
			gomysql.ER_NET_ERROR_ON_WRITE, gomysql.ER_NET_WRITE_INTERRUPTED, 1927: // 1927: ER_CONNECTION_KILLED
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 57P01-57P03: shutdown, crash shutdown, cannot connect now; 08: connection exception.
		return strings.HasPrefix(pe.Code, "57P") || strings.HasPrefix(pe.Code, "08")
	}
	return true
}

// redial waits until dial succeeds (the server may be down for a while), up to a minute.
func redial[C any](dial func() (C, error)) (C, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := dial()
		if err == nil || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// privMaria is the faults source on a private MariaDB server, in its database faults. Its
// connections outlive the server's restarts: the workload's reconnects (waiting for the server),
// and the test's are opened per call.
type privMaria struct {
	t        *testing.T
	srv      *privateServer
	writer   *client.Conn
	serverID int
	// lostTx counts workload transactions whose connection broke: their outcome is unknown.
	lostTx int
}

func newPrivMaria(t *testing.T) *privMaria {
	t.Helper()
	m := &privMaria{t: t, srv: newPrivateMaria(t), serverID: 5000 + rand.Intn(100000)}
	t.Cleanup(func() {
		if m.writer != nil {
			m.writer.Close()
		}
	})
	return m
}

func (m *privMaria) server() *privateServer { return m.srv }
func (m *privMaria) addr() string           { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.srv.port)) }
func (m *privMaria) name() string           { return "mariadb" }
func (m *privMaria) topic(p string) string  { return p + ".faults.f" }
func (m *privMaria) cut(ids []int64) error  { return m.execIDs("KILL %d", ids) }
func (m *privMaria) sessions(pid int) ([]int64, error) {
	ports, err := localPorts(pid, m.srv.port)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range m.query("SELECT ID, HOST FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'") {
		if i := strings.LastIndexByte(r[1], ':'); i >= 0 && ports[r[1][i+1:]] {
			id, _ := strconv.ParseInt(r[0], 10, 64)
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (m *privMaria) execIDs(format string, ids []int64) error {
	c, err := m.srv.dialMaria("faults")
	if err != nil {
		return err
	}
	defer c.Close()
	for _, id := range ids {
		r, err := c.Execute(fmt.Sprintf(format, id))
		if err != nil && !strings.Contains(err.Error(), "Unknown thread") {
			return err
		}
		if r != nil {
			r.Close()
		}
	}
	return nil
}

func (m *privMaria) exec(sqls ...string) {
	m.t.Helper()
	c, err := m.srv.dialMaria("faults")
	if err != nil {
		m.t.Fatal(err)
	}
	defer c.Close()
	for _, q := range sqls {
		r, err := c.Execute(q)
		if err != nil {
			m.t.Fatalf("%.200s: %v", q, err)
		}
		r.Close()
	}
}

// query returns the rows of q, each value as a string.
func (m *privMaria) query(q string) [][]string {
	m.t.Helper()
	c, err := m.srv.dialMaria("faults")
	if err != nil {
		m.t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Execute(q)
	if err != nil {
		m.t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	return mariadb.Rows(r)
}

// tx runs the workload's transaction; when the connection breaks (the server stopped) it returns
// nil without knowing whether the transaction committed, and the next call reconnects, waiting
// for the server to be back.
func (m *privMaria) tx(sqls ...string) error {
	if m.writer == nil {
		c, err := redial(func() (*client.Conn, error) { return m.srv.dialMaria("faults") })
		if err != nil {
			return fmt.Errorf("the private MariaDB server did not come back within a minute: %w", err)
		}
		m.writer = c
	}
	for _, q := range append(append([]string{"BEGIN"}, sqls...), "COMMIT") {
		r, err := m.writer.Execute(q)
		if err != nil {
			if connLost(err) {
				m.writer.Close()
				m.writer = nil
				m.lostTx++
				return nil
			}
			return fmt.Errorf("%.100s: %w", q, err)
		}
		r.Close()
	}
	return nil
}

func (m *privMaria) table() map[int64]int64 {
	out := map[int64]int64{}
	for _, r := range m.query("SELECT id, seq FROM f") {
		id, _ := strconv.ParseInt(r[0], 10, 64)
		seq, _ := strconv.ParseInt(r[1], 10, 64)
		out[id] = seq
	}
	return out
}

func (m *privMaria) connector(prefix string) map[string]string {
	return map[string]string{
		"name":                                "faults",
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   "127.0.0.1",
		"database.port":                       strconv.Itoa(m.srv.port),
		"database.user":                       privateUser,
		"database.password":                   privatePassword,
		"database.server.id":                  strconv.Itoa(m.serverID),
		"database.include.list":               "faults",
		"poll.interval.ms":                    "50",
		"snapshot.fetch.size":                 "2000",
		"schema.history.internal.kafka.topic": prefix + "-history",
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(m.t),
	}
}

// binlogs lists the server's binlog files, oldest first.
func (m *privMaria) binlogs() []string {
	var out []string
	for _, r := range m.query("SHOW BINARY LOGS") {
		out = append(out, r[0])
	}
	return out
}

// privPG is the faults source on a private PostgreSQL server: schema faults of database
// postgres, slot faults, publication faults_pub.
type privPG struct {
	t      *testing.T
	srv    *privateServer
	writer *pgconn.PgConn
	lostTx int
}

func newPrivPG(t *testing.T, settings ...string) *privPG {
	t.Helper()
	p := &privPG{t: t, srv: newPrivatePG(t, settings...)}
	t.Cleanup(func() {
		if p.writer != nil {
			p.writer.Close(context.Background())
		}
	})
	p.exec("CREATE SCHEMA faults")
	return p
}

func (p *privPG) server() *privateServer { return p.srv }
func (p *privPG) addr() string           { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.srv.port)) }
func (p *privPG) name() string           { return "postgres" }
func (p *privPG) topic(pr string) string { return pr + ".faults.f" }

// query runs q on a new connection and returns its rows as strings.
func (p *privPG) query(q string) ([][]string, error) {
	c, err := p.srv.dialPG()
	if err != nil {
		return nil, err
	}
	defer c.Close(context.Background())
	res, err := c.Exec(context.Background(), q).ReadAll()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, r := range res {
		for _, row := range r.Rows {
			var s []string
			for _, v := range row {
				s = append(s, string(v))
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func (p *privPG) exec(sqls ...string) {
	p.t.Helper()
	for _, q := range sqls {
		if _, err := p.query(q); err != nil {
			p.t.Fatalf("%.200s: %v", q, err)
		}
	}
}

// tx: see privMaria.tx.
func (p *privPG) tx(sqls ...string) error {
	if p.writer == nil {
		c, err := redial(p.srv.dialPG)
		if err != nil {
			return fmt.Errorf("the private PostgreSQL server did not come back within a minute: %w", err)
		}
		p.writer = c
	}
	q := "BEGIN;" + strings.Join(sqls, ";") + ";COMMIT"
	q = strings.ReplaceAll(q, "CONCAT('p', id, '-', seq + 1)", "'p' || id || '-' || (seq + 1)")
	if _, err := p.writer.Exec(context.Background(), q).ReadAll(); err != nil {
		if connLost(err) || p.writer.IsClosed() {
			p.writer.Close(context.Background())
			p.writer = nil
			p.lostTx++
			return nil
		}
		return err
	}
	return nil
}

func (p *privPG) table() map[int64]int64 {
	rows, err := p.query("SELECT id, seq FROM f")
	if err != nil {
		p.t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, r := range rows {
		id, _ := strconv.ParseInt(r[0], 10, 64)
		seq, _ := strconv.ParseInt(r[1], 10, 64)
		out[id] = seq
	}
	return out
}

func (p *privPG) connector(prefix string) map[string]string {
	return map[string]string{
		"name":                "faults",
		"connector.class":     "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":           "1",
		"topic.prefix":        prefix,
		"database.hostname":   "127.0.0.1",
		"database.port":       strconv.Itoa(p.srv.port),
		"database.user":       privateUser,
		"database.password":   privatePassword,
		"database.dbname":     "postgres",
		"plugin.name":         "pgoutput",
		"slot.name":           "faults",
		"publication.name":    "faults_pub",
		"schema.include.list": "faults",
		"poll.interval.ms":    "50",
		"snapshot.fetch.size": "2000",
	}
}

// sessions is the walsender of the slot.
func (p *privPG) sessions(int) ([]int64, error) {
	rows, err := p.query("SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'faults' AND active_pid IS NOT NULL")
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range rows {
		id, _ := strconv.ParseInt(r[0], 10, 64)
		ids = append(ids, id)
	}
	return ids, nil
}

func (p *privPG) cut(ids []int64) error {
	for _, id := range ids {
		if _, err := p.query(fmt.Sprintf("SELECT pg_terminate_backend(%d)", id)); err != nil {
			return err
		}
	}
	return nil
}
