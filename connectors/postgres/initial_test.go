package postgres

import (
	"context"
	"testing"
	"time"
)

// TestInitialStatements: database.initial.statements run, split as Debezium splits them (';;'
// is a semicolon inside a statement), on regular connections and not on the replication one.
func TestInitialStatements(t *testing.T) {
	e := newEnv(t)
	c, err := ParseConfig(e.config("database.initial.statements", "SET application_name = 'a;;b'; ; SET lock_timeout = 1234;"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := c.connect(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	rows, err := query(ctx, conn, "SELECT current_setting('application_name'), current_setting('lock_timeout')")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(rows[0][0])+" "+string(rows[0][1]), "a;b 1234ms"; got != want {
		t.Fatalf("settings after the initial statements: %q, want %q", got, want)
	}
	repl, err := c.connect(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(repl)
	srows, err := simpleQuery(ctx, repl, "SHOW application_name")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(srows[0][0]); got == "a;b" {
		t.Fatalf("the replication connection ran the initial statements (application_name %q)", got)
	}
}
