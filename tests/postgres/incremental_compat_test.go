package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/incrcompat"
	"github.com/connectd/connectd/tests/testbed"
)

// TestIncrementalCompatSameRun is tests/mysql's TestIncrementalCompatSameRun on PostgreSQL:
// Debezium's connector and connectd's, side by side on one table, each with its own slot,
// publication and signal table, get the same signal rows (execute-snapshot with pause-snapshot in
// one transaction, then resume-snapshot); their watermark rows, incremental_snapshot_* offset
// fields while paused and Incremental Snapshot notifications must match, with the differences
// that test allows. The PostgreSQL reference is Debezium 3.7, whose format adds to 3.5's (the
// MariaDB reference's): correlationId and dataCollectionId in the watermark rows' data (compared
// by value: the signal's id and the table), each collection's correlation id in
// incremental_snapshot_collections, incremental_snapshot_total_rows (the same field set and
// values while paused), DATA_COLLECTIONS_RESOLVED after STARTED and total_rows, total_chunks and
// chunk_index in the progress notifications (compared with the rest of additional_data).
func TestIncrementalCompatSameRun(t *testing.T) {
	const rows, chunk = 10050, 100
	kafka := testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumPGClass)
	p := newPG(t)
	p.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (id bigint PRIMARY KEY, v text NOT NULL);
		INSERT INTO %[1]s.big SELECT g, 'v' || g FROM generate_series(1, %[2]d) g;
		CREATE TABLE %[1]s.sig_dbz (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
		CREATE TABLE %[1]s.sig_cd (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
		CREATE TABLE %[1]s.done (id int PRIMARY KEY)`, p.schema, rows))
	theirs, ours := incrcompat.Sides(p.name, p.schema)
	both := []*incrcompat.Side{theirs, ours}
	slot := func(s *incrcompat.Side) string { return p.slot + "_" + s.Tag }
	pub := func(s *incrcompat.Side) string { return p.pub + "_" + s.Tag }
	oursOffsets := "isr-offsets-" + p.name
	config := func(s *incrcompat.Side) map[string]string {
		cfg := p.config(s.Prefix,
			"slot.name", slot(s),
			"publication.name", pub(s),
			"table.include.list", p.schema+".big,"+p.schema+"."+s.Signal+","+p.schema+".done",
			"publication.autocreate.mode", "filtered",
			"snapshot.mode", "no_data",
			"signal.data.collection", p.schema+"."+s.Signal,
			"incremental.snapshot.chunk.size", strconv.Itoa(chunk),
			"notification.enabled.channels", "sink",
			"notification.sink.topic.name", s.Notify,
			"key.converter", "org.apache.kafka.connect.json.JsonConverter",
			"value.converter", "org.apache.kafka.connect.json.JsonConverter",
			"key.converter.schemas.enable", "false",
			"value.converter.schemas.enable", "false")
		delete(cfg, "poll.interval.ms")
		return cfg
	}
	t.Cleanup(func() {
		dbz.Remove(theirs.Name)
		ctx := context.Background()
		for _, s := range both {
			p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, slot(s))).ReadAll()
			for i := 0; i < 40; i++ {
				if _, err := p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, slot(s))).ReadAll(); err == nil {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			p.conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+pub(s)+`"`).ReadAll()
		}
		dctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(dctx, []string{kafka}, []string{theirs.Prefix, ours.Prefix}, []string{oursOffsets}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	r := &incrcompat.Run{T: t, Dbz: dbz, Theirs: theirs, Ours: ours, OursOffsets: oursOffsets, Config: config,
		Rows: rows, Collection: p.schema + ".big", TablePrefix: p.schema + ".",
		Tx:         func(stmts []string) { p.exec("BEGIN;" + strings.Join(stmts, ";") + ";COMMIT") },
		Query:      p.query,
		InsertDone: func(id int) { p.exec(fmt.Sprintf("INSERT INTO %s.done VALUES (%d)", p.schema, id)) },
		MarkRetry:  true,
		OffsetFields: []string{source.OffIncCollections, source.OffIncMaximumKey, source.OffIncCorrelationID,
			source.OffIncPrimaryKey, source.OffIncTotalRows},
		TotalRows:    true,
		WatermarkIDs: true,
	}
	r.Run()
}
