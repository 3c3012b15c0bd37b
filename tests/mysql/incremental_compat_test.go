package mysql

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/incrcompat"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestIncrementalCompatSameRun runs one incremental snapshot under Debezium's MariaDB connector
// (on the reference worker) and under connectd's, side by side on the same table of the same
// server, each signalled through a signal table of its own with the same rows: execute-snapshot
// with pause-snapshot, then resume-snapshot. It compares what the issue asks to match:
//
//   - the watermark rows each wrote into its signal table: the same number of
//     snapshot-window-open and -close rows, in Debezium's form (id "<uuid>-open"/"-close",
//     data {"openWindowTimestamp": "<Instant>"[, "closeWindowTimestamp": "<Instant>"]}); the
//     uuids are random and the instants the clock's, so those are compared by format (a version
//     4 UUID, Java's Instant.toString) and by pairing (each open has its close, carrying the
//     same openWindowTimestamp);
//   - the incremental_snapshot_* fields of the offsets while paused (execute-snapshot and
//     pause-snapshot come in one transaction, so each has read exactly the first chunk): the
//     same field names and values byte for byte, the keys as Java-serialized Longs;
//   - the Incremental Snapshot notification records on the sink topic (those of the signal; the
//     Initial Snapshot ones of snapshot.mode=no_data are logged, not compared: connectd writes
//     none for a schema-only snapshot, Debezium STARTED and COMPLETED): key {id}, value id (the
//     signal's id), type, aggregate_type and additional_data equal for every notification, in
//     the same order, with
//     justified differences: connector_name is each connector's topic.prefix and the timestamps
//     are each clock's (checked to lie within the run); additional_data is compared as a map,
//     as Debezium's member order is a Java HashMap's.
func TestIncrementalCompatSameRun(t *testing.T) {
	const rows, chunk = 10050, 100 // a partial last chunk: Debezium ends a table with an empty one
	kafka := testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumMariaDBClass)
	d := mariadb.New(t, "isr")
	d.Exec("CREATE TABLE big (id BIGINT PRIMARY KEY, v VARCHAR(20) NOT NULL)",
		"INSERT INTO big SELECT seq, CONCAT('v', seq) FROM seq_1_to_"+strconv.Itoa(rows),
		"CREATE TABLE sig_dbz (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))",
		"CREATE TABLE sig_cd (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))",
		"CREATE TABLE done (id INT PRIMARY KEY)")
	theirs, ours := incrcompat.Sides(d.Name, d.Name)
	oursOffsets := "isr-offsets-" + d.Name
	config := func(s *incrcompat.Side) map[string]string {
		return connectorConfig(d, s.Prefix, "schema-history."+s.Prefix, append([]string{
			"database.server.id", serverID(s.Prefix),
			"snapshot.mode", "no_data",
			"signal.data.collection", d.Name + "." + s.Signal,
			"incremental.snapshot.chunk.size", strconv.Itoa(chunk),
			"notification.enabled.channels", "sink",
			"notification.sink.topic.name", s.Notify,
			"schema.history.internal.store.only.captured.databases.ddl", "true",
			// Other tests' DDL on the shared server (TEXT COMPRESSED, ...) would stop Debezium's parser.
			"schema.history.internal.skip.unparseable.ddl", "true"}, schemalessJSON...)...)
	}
	t.Cleanup(func() {
		dbz.Remove(theirs.Name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{theirs.Prefix, ours.Prefix},
			[]string{oursOffsets, "schema-history." + theirs.Prefix, "schema-history." + ours.Prefix}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	r := &incrcompat.Run{T: t, Dbz: dbz, Theirs: theirs, Ours: ours, OursOffsets: oursOffsets, Config: config,
		Rows: rows, Collection: d.Name + ".big",
		Tx:         func(stmts []string) { d.Exec(append(append([]string{"BEGIN"}, stmts...), "COMMIT")...) },
		Query:      d.Query,
		InsertDone: func(id int) { d.Exec(fmt.Sprintf("INSERT INTO done VALUES (%d)", id)) },
		OffsetFields: []string{source.OffIncCollections, source.OffIncMaximumKey, source.OffIncCorrelationID,
			source.OffIncPrimaryKey},
		KeyIsLong: true,
		Settle:    2 * time.Second,
	}
	r.Run()
}
