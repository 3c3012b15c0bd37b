package mysql

import (
	"testing"
)

// TestInitialStatements: database.initial.statements run on the connector's query connections
// (the snapshot's among them): each connection records itself in a table.
func TestInitialStatements(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE seen (conn BIGINT, note VARCHAR(20))", "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	cfg := d.config("srvinit", "table.include.list", d.name+`\.t`,
		"database.initial.statements", "SET @note = 'a;;b'; INSERT INTO "+d.name+".seen VALUES (CONNECTION_ID(), @note)")
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.pollUntil(1)
	rows, err := queryRows(d.conn, "SELECT COUNT(*), MIN(note) FROM "+d.name+".seen")
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] == "0" || rows[0][1] != "a;b" {
		t.Fatalf("seen: %v, want at least one connection with note a;b", rows)
	}
}
