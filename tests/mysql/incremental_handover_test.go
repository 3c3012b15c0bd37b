package mysql

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/incrhandover"
	"github.com/connectd/connectd/tests/incrtest"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// The hand-over tests run one incremental snapshot under two runtimes (package incrhandover drives
// them): the first starts it, is paused and stopped in the middle, and the second, started on
// the same connector name, offsets topic and schema history, finishes it.

// TestIncrementalHandoverConnectdToDebezium: connectd starts the snapshot; Debezium finishes it.
func TestIncrementalHandoverConnectdToDebezium(t *testing.T) {
	newIncHandover(t).ConnectdToDebezium()
}

// TestIncrementalHandoverDebeziumToConnectd: Debezium starts the snapshot; connectd finishes it.
func TestIncrementalHandoverDebeziumToConnectd(t *testing.T) {
	newIncHandover(t).DebeziumToConnectd()
}

// newIncHandover makes one hand-over test's database, connector and topics.
func newIncHandover(t *testing.T) *incrhandover.Test {
	t.Helper()
	testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumMariaDBClass)
	d := mariadb.New(t, "ih")
	d.Exec("CREATE TABLE big (id INT PRIMARY KEY, v INT NOT NULL)",
		"INSERT INTO big SELECT seq, 0 FROM seq_1_to_"+strconv.Itoa(incrhandover.Rows),
		"CREATE TABLE dbz_signal (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))",
		"CREATE TABLE done (id INT PRIMARY KEY)")
	prefix := "ih_" + d.Name
	history := "schema-history." + prefix
	h := &incrhandover.Test{T: t, Dbz: dbz, Name: "ih-" + d.Name, Topic: prefix + "." + d.Name + ".big",
		Done: prefix + "." + d.Name + ".done", Notify: prefix + ".notifications",
		Prefix: prefix, History: []string{history}, Collection: d.Name + ".big",
		Table: func(name string) string { return name },
		Exec:  d.Exec,
		Tx:    func(qs ...string) { t.Helper(); d.Exec(append(append([]string{"BEGIN"}, qs...), "COMMIT")...) },
		Query: d.Query,
		StartWriter: func() *incrtest.Writer {
			return startBigWriter(t, d, time.Now().UnixNano(), incrhandover.Rows, 2*time.Millisecond)
		},
		CheckCollections: func(runtime string, off map[string]any) {
			t.Helper()
			want := `[{"incremental_snapshot_collections_id":"` + d.Name + `.big","incremental_snapshot_collections_additional_condition":null,"incremental_snapshot_collections_surrogate_key":null}]`
			if off[source.OffIncCollections] != want || off[source.OffIncCorrelationID] != "ih-1" {
				t.Fatalf("%s's committed offset has %s = %v and %s = %v, want %s and ih-1: no snapshot to hand over",
					runtime, source.OffIncCollections, off[source.OffIncCollections], source.OffIncCorrelationID, off[source.OffIncCorrelationID], want)
			}
		},
	}
	// One configuration for both runtimes: no initial snapshot, the signal table in the
	// captured database, small chunks so the snapshot is mid-way when it is paused, and the
	// notifications on a topic, which says when each runtime paused and completed.
	h.Config = connectorConfig(d, prefix, history, append([]string{
		"database.server.id", serverID(d.Name),
		"snapshot.mode", "no_data",
		"signal.data.collection", d.Name + ".dbz_signal",
		"incremental.snapshot.chunk.size", strconv.Itoa(incrhandover.Chunk),
		"notification.enabled.channels", "sink",
		"notification.sink.topic.name", h.Notify,
		"schema.history.internal.store.only.captured.databases.ddl", "true",
		// Other tests' DDL on the shared server (TEXT COMPRESSED, ...) would stop Debezium's parser.
		"schema.history.internal.skip.unparseable.ddl", "true"}, schemalessJSON...)...)
	h.Start()
	return h
}

// startBigWriter starts a writer that inserts (inside and beyond the key range), updates and
// deletes rows of table big of d, on a connection of its own, with pause after each change; the
// test's cleanup halts it.
func startBigWriter(t *testing.T, d *mariadb.DB, seed int64, keys int, pause time.Duration) *incrtest.Writer {
	t.Helper()
	conn, err := client.Connect(net.JoinHostPort(d.TB.Host, strconv.Itoa(d.TB.Port)), d.TB.User, d.TB.Password, d.Name)
	if err != nil {
		t.Fatal(err)
	}
	w := incrtest.StartPacedWriter(seed, keys, pause, incrtest.MariaDBChanges("big"), func(q string) error {
		r, err := conn.Execute(q)
		if err == nil {
			r.Close()
		}
		return err
	})
	t.Cleanup(func() {
		_ = w.Halt()
		conn.Close()
	})
	return w
}
