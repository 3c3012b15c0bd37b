package mysql

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestCompatWithDebeziumMidSnapshotOffset: connectd snapshots two tables on two connections
// (snapshot.max.threads=2, chunks of 500) and is stopped in the middle, so the offsets topic
// holds connectd's mid-snapshot offset: Debezium's "snapshot" plus connectd's progress fields
// (connectd_snapshot_table, _key, _progress), and the schema history holds connectd's snapshot
// records. Debezium, started on that connector, must not skip the snapshot nor resume it from
// connectd's fields: it takes it again, a read event for every row of both tables.
func TestCompatWithDebeziumMidSnapshotOffset(t *testing.T) {
	kafka := testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumMariaDBClass)
	d := mariadb.New(t, "e2e")
	const rows, small = 60000, 20
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)",
		"INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_"+strconv.Itoa(rows),
		"CREATE TABLE u (id INT PRIMARY KEY)",
		"INSERT INTO u SELECT seq FROM seq_1_to_"+strconv.Itoa(small))
	prefix := "ms_" + d.Name
	name := "ms-" + d.Name
	history := "schema-history." + prefix
	topicT, topicU := prefix+"."+d.Name+".t", prefix+"."+d.Name+".u"
	cfg := connectorConfig(d, prefix, history, append([]string{
		"database.server.id", serverID(d.Name),
		"snapshot.mode", "initial",
		"snapshot.fetch.size", "500",
		"snapshot.max.threads", "2",
		"schema.history.internal.store.only.captured.databases.ddl", "true"}, schemalessJSON...)...)
	t.Cleanup(func() {
		dbz.Remove(name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{prefix}, []string{history}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	c := e2e.NewConsumer(t, topicT, topicU)

	// connectd, stopped as soon as the snapshot's first rows are in the topic.
	w := e2e.StartWorker(t, debezium.OffsetsTopic)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	c.WaitFor(topicT, 1)
	if code, b := w.Call("PUT", "/connectors/"+name+"/stop", nil); code >= 300 {
		t.Fatalf("PUT /connectors/%s/stop: %d %s", name, code, b)
	}
	w.WaitState(name, "NO_TASK")
	_, offsets := w.Call("GET", "/connectors/"+name+"/offsets", nil)
	w.Stop()
	t.Logf("connectd stopped with offsets %s", offsets)
	if !strings.Contains(string(offsets), `"snapshot":"INITIAL"`) || !strings.Contains(string(offsets), `"connectd_snapshot_table"`) {
		t.Fatalf("connectd's committed offset is not a mid-snapshot one (did the snapshot of %d rows finish before PUT /stop?): %s", rows, offsets)
	}
	c.Settle(time.Second)
	fromT, fromU := len(c.Records(topicT)), len(c.Records(topicU))
	if fromT >= rows {
		t.Fatalf("connectd wrote %d of %d rows of t before it stopped: no snapshot left to take again", fromT, rows)
	}

	// Debezium on the same connector, offsets and history.
	dbz.Create(name, cfg)
	dbz.WaitTask(name, "RUNNING")
	check := func(topic string, from, n int) {
		t.Helper()
		evs := e2e.Events(t, c.WaitFor(topic, from+n)[from:])
		keys := map[string]bool{}
		for i, e := range evs[:n] {
			if e.Op != "r" {
				t.Fatalf("%s: Debezium's event %d is %s, want a read event of its new snapshot", topic, i, e)
			}
			keys[e.Key] = true
		}
		if len(keys) != n {
			t.Fatalf("%s: Debezium read %d distinct keys, want all %d rows", topic, len(keys), n)
		}
	}
	check(topicT, fromT, rows)
	check(topicU, fromU, small)
	t.Logf("Debezium took the snapshot again: %d + %d read events after connectd's %d + %d", rows, small, fromT, fromU)
}
