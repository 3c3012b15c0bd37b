package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/incrhandover"
	"github.com/connectd/connectd/tests/incrtest"
	"github.com/connectd/connectd/tests/testbed"
)

// The hand-over tests run one incremental snapshot under two runtimes (package incrhandover
// drives them): the first starts it, is paused and stopped in the middle, and the second,
// started on the same connector name, slot, publication and offsets topic, finishes it.

// TestIncrementalHandoverConnectdToDebezium: connectd starts the snapshot; Debezium finishes it.
func TestIncrementalHandoverConnectdToDebezium(t *testing.T) {
	newIncHandover(t).ConnectdToDebezium()
}

// TestIncrementalHandoverDebeziumToConnectd: Debezium starts the snapshot; connectd finishes it.
func TestIncrementalHandoverDebeziumToConnectd(t *testing.T) {
	newIncHandover(t).DebeziumToConnectd()
}

// newIncHandover makes one hand-over test's schema, connector and topics.
func newIncHandover(t *testing.T) *incrhandover.Test {
	t.Helper()
	testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumPGClass)
	p := newPG(t)
	p.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (id int PRIMARY KEY, v int NOT NULL);
		INSERT INTO %[1]s.big SELECT g, 0 FROM generate_series(1, %[2]d) g;
		CREATE TABLE %[1]s.dbz_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
		CREATE TABLE %[1]s.done (id int PRIMARY KEY)`, p.schema, incrhandover.Rows))
	prefix := "ih_" + p.name
	h := &incrhandover.Test{T: t, Dbz: dbz, Name: "ih-" + p.name, Topic: prefix + "." + p.schema + ".big",
		Done: prefix + "." + p.schema + ".done", Notify: prefix + ".notifications",
		Prefix: prefix, Collection: p.schema + ".big",
		Table: func(name string) string { return p.schema + "." + name },
		Exec:  p.exec,
		Tx:    func(qs ...string) { t.Helper(); p.exec("BEGIN;" + strings.Join(qs, ";") + ";COMMIT") },
		Query: p.query,
		StartWriter: func() *incrtest.Writer {
			return startBigWriter(t, p, time.Now().UnixNano(), incrhandover.Rows, 2*time.Millisecond)
		},
		// Debezium 3.7 adds each collection's correlation id to the list; the fields both write
		// must hold the same.
		CheckCollections: func(runtime string, off map[string]any) {
			t.Helper()
			var colls []map[string]*string
			s, _ := off[source.OffIncCollections].(string)
			if err := json.Unmarshal([]byte(s), &colls); err != nil || len(colls) != 1 || colls[0]["incremental_snapshot_collections_id"] == nil ||
				*colls[0]["incremental_snapshot_collections_id"] != p.schema+".big" || off[source.OffIncCorrelationID] != "ih-1" {
				t.Fatalf("%s's committed offset has %s = %v and %s = %v, want %s.big and ih-1: no snapshot to hand over",
					runtime, source.OffIncCollections, s, source.OffIncCorrelationID, off[source.OffIncCorrelationID], p.schema)
			}
		},
		Released: p.waitSlotInactive,
	}
	// One configuration for both runtimes: the publication holds only this test's tables (the
	// signal table among them: its inserts come back through the log), no initial snapshot,
	// small chunks so the snapshot is mid-way when it is paused, and the notifications on a
	// topic, which says when each runtime paused and completed.
	h.Config = p.config(prefix, append([]string{
		"table.include.list", p.schema + ".big," + p.schema + ".dbz_signal," + p.schema + ".done",
		"publication.autocreate.mode", "filtered",
		"snapshot.mode", "no_data",
		"signal.data.collection", p.schema + ".dbz_signal",
		"incremental.snapshot.chunk.size", strconv.Itoa(incrhandover.Chunk),
		"notification.enabled.channels", "sink",
		"notification.sink.topic.name", h.Notify}, schemalessJSON...)...)
	delete(h.Config, "poll.interval.ms") // a connectd-only tuning Debezium would log as unknown
	h.Start()
	return h
}

// query returns the rows of a query as text.
func (p *pg) query(sql string) [][]string {
	p.t.Helper()
	res, err := p.conn.Exec(context.Background(), sql).ReadAll()
	if err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
	var out [][]string
	for _, row := range res[len(res)-1].Rows {
		r := make([]string, len(row))
		for i, v := range row {
			r[i] = string(v)
		}
		out = append(out, r)
	}
	return out
}

// startBigWriter starts a writer that inserts (inside and beyond the key range), updates and
// deletes rows of table big of p's schema, on a connection of its own, with pause after each
// change; the test's cleanup halts it.
func startBigWriter(t *testing.T, p *pg, seed int64, keys int, pause time.Duration) *incrtest.Writer {
	t.Helper()
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", p.tb.Host, p.tb.Port, p.tb.User, p.tb.Password, p.tb.Database)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	w := incrtest.StartPacedWriter(seed, keys, pause, incrtest.PostgresChanges(p.schema+".big"), func(q string) error {
		_, err := conn.Exec(context.Background(), q).ReadAll()
		return err
	})
	t.Cleanup(func() {
		_ = w.Halt()
		conn.Close(context.Background())
	})
	return w
}
