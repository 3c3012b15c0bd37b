package mysql

import (
	"reflect"
	"testing"

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
