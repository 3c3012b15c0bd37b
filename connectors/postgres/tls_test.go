package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connectors/source/sourcetest"
	"github.com/connectd/connectd/tests/testbed"
)

// TestDatabaseTLSModes connects to the test bed's TLS-enabled PostgreSQL with each
// database.sslmode, the CA in database.sslrootcert and the client certificate in
// database.sslcert/sslkey (pg_stat_ssl shows the server received it), and shows a server
// certificate from another CA is refused with a clear error.
func TestDatabaseTLSModes(t *testing.T) {
	db := testbed.Postgres(t)
	ca := testbed.DBCA(t)
	dir := filepath.Dir(ca)
	// The client key must not be readable by others (libpq's rule, which pgx follows too).
	key := filepath.Join(t.TempDir(), "client.key")
	b, err := os.ReadFile(filepath.Join(dir, "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, b, 0o600); err != nil {
		t.Fatal(err)
	}
	crt := filepath.Join(dir, "client.crt")
	wrongCA := sourcetest.WrongCAFile(t)
	cfg := func(kv ...string) map[string]string {
		m := map[string]string{
			"connector.class": ClassName, "topic.prefix": "tls", "database.hostname": db.Host,
			"database.port": fmt.Sprint(db.Port), "database.user": db.User, "database.password": db.Password,
			"database.dbname": db.Database,
		}
		return sourcetest.With(m, kv...)
	}
	cases := []sourcetest.TLSCase{
		sourcetest.TLS("disable", cfg("database.sslmode", "disable"), false, ""),
		sourcetest.TLS("prefer (default)", cfg(), true, ""),
		sourcetest.TLS("require", cfg("database.sslmode", "require"), true, ""),
		sourcetest.TLS("verify-ca", cfg("database.sslmode", "verify-ca", "database.sslrootcert", ca), true, ""),
		sourcetest.TLS("verify-full 127.0.0.1", cfg("database.sslmode", "verify-full", "database.sslrootcert", ca), true, ""),
		sourcetest.TLS("verify-full localhost", cfg("database.sslmode", "verify-full", "database.sslrootcert", ca, "database.hostname", "localhost"), true, ""),
		sourcetest.TLS("verify-full with a client certificate", cfg("database.sslmode", "verify-full", "database.sslrootcert", ca,
			"database.sslcert", crt, "database.sslkey", key), true, ""),
		sourcetest.TLS("verify-ca wrong CA", cfg("database.sslmode", "verify-ca", "database.sslrootcert", wrongCA), false,
			"the PostgreSQL server's certificate is not signed by a CA in database.sslrootcert"),
		sourcetest.TLS("verify-full wrong CA", cfg("database.sslmode", "verify-full", "database.sslrootcert", wrongCA), false,
			"the PostgreSQL server's certificate is not signed by a CA in database.sslrootcert"),
	}
	sourcetest.RunTLSCases(t, cases, func(t *testing.T, props map[string]string) (bool, error) {
		pc, err := ParseConfig(props)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		conn, err := pc.connect(ctx, false)
		if err != nil {
			return false, err
		}
		defer conn.Close(ctx)
		res, err := conn.Exec(ctx, "SELECT ssl, coalesce(client_dn, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()").ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		row := res[0].Rows[0]
		if props["database.sslcert"] != "" && !strings.Contains(string(row[1]), "CN=connectd") {
			t.Errorf("client_dn %q: the client certificate was not presented", row[1])
		}
		return string(row[0]) == "t", nil
	})
}

// TestDatabaseTLSSnapshotAndStream runs the connector end to end over verified TLS: the snapshot
// and the replication connection both use database.sslmode and database.sslrootcert.
func TestDatabaseTLSSnapshotAndStream(t *testing.T) {
	ca := testbed.DBCA(t)
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, v text)`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.t VALUES (1, 'a')`, e.schema))
	task := e.start("database.sslmode", "verify-full", "database.sslrootcert", ca, "slot.drop.on.stop", "true")
	if got := decode(e.poll(task, 1)[0]); fmt.Sprint(got.after["v"]) != "a" {
		t.Fatalf("snapshot: %+v", got)
	}
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (2, 'b')`, e.schema))
	if got := decode(e.poll(task, 1)[0]); fmt.Sprint(got.after["v"]) != "b" {
		t.Fatalf("stream: %+v", got)
	}
}
