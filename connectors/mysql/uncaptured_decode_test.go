package mysql

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/mariadb"
)

// TestUncapturedCompressedColumns checks that rows of an uncaptured database whose columns the
// binlog decoder cannot read (MariaDB's COMPRESSED columns) do not stop the stream of a
// captured one: they used to make every reconnect fail on the same event.
func TestUncapturedCompressedColumns(t *testing.T) {
	d := newDB(t)
	other := mariadb.New(t, "zip")
	d.exec("CREATE TABLE t (id INT PRIMARY KEY)")
	other.Exec("CREATE TABLE z (id INT PRIMARY KEY, b TEXT COMPRESSED, c VARCHAR(100) /*M!100301 COMPRESSED*/)")
	r, err := startTask(t, d.config("srvzip"), &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	other.Exec("INSERT INTO z VALUES (1, REPEAT('x', 300), 'abc')")
	d.exec("INSERT INTO t VALUES (7)")
	if got := ops(t, r.pollUntil(1), "id"); !reflect.DeepEqual(got, []string{"c:7"}) {
		t.Fatalf("ops %v", got)
	}
}

// TestSequencesInCapturedDatabase checks that a MariaDB sequence, whose refills are rows events
// of a table the connector does not model, does not stop the stream (it used to fail as rows
// of an unknown table), and that a column defaulting to NEXT VALUE FOR it streams.
func TestSequencesInCapturedDatabase(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE SEQUENCE s1", "CREATE TABLE t (id INT PRIMARY KEY DEFAULT NEXT VALUE FOR s1, v INT)")
	r, err := startTask(t, d.config("srvseq"), &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	d.exec("CREATE SEQUENCE s2 START WITH 10", "SELECT NEXTVAL(s2)", "INSERT INTO t (v) VALUES (5)", "SELECT SETVAL(s1, 100)",
		"INSERT INTO t (v) VALUES (6)")
	if got := ops(t, r.pollUntil(2), "id"); !reflect.DeepEqual(got, []string{"c:1", "c:101"}) {
		t.Fatalf("ops %v", got)
	}
}

// TestCapturedCompressedColumns checks that rows the binlog decoder cannot read in a captured
// table (MariaDB's COMPRESSED columns) stop the task with an error naming the event and the
// table, instead of reconnecting forever on the same event.
func TestCapturedCompressedColumns(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE z (id INT PRIMARY KEY, b TEXT COMPRESSED)")
	r, err := startTask(t, d.config("srvzipc"), &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	d.exec("INSERT INTO z VALUES (1, 'abc')")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		_, err := r.task.Poll(context.Background())
		if err == nil {
			continue
		}
		if !strings.Contains(err.Error(), "cannot decode the rows event") || !strings.Contains(err.Error(), ".z") {
			t.Fatalf("got %v, want an error about decoding the rows event of table z", err)
		}
		return
	}
	t.Fatal("no error within 30 s: the task keeps retrying an event it cannot decode")
}
