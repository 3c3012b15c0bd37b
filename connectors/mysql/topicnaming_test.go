package mysql

import (
	"testing"

	"github.com/connectd/connectd/connectors/source/sourcetest"
)

// TestTopicNaming: topic.naming.strategy (Debezium's SchemaTopicNamingStrategy: MariaDB tables
// have no schema, so <prefix><delimiter><table>), topic.delimiter, topic.transaction and
// topic.heartbeat.prefix name the topics as Debezium 3.5's MariaDB connector does on the test bed
// (hb_optnm, optnm_txs, optnm_t1 for prefix optnm); the default strategy keeps the database.
func TestTopicNaming(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t1 (id INT PRIMARY KEY)", "INSERT INTO t1 VALUES (1)")
	for _, c := range []struct {
		name, strategy, data, insert string
	}{
		{"schema", "io.debezium.schema.SchemaTopicNamingStrategy", "tn_t1", "INSERT INTO t1 VALUES (2)"},
		{"default", "io.debezium.schema.DefaultTopicNamingStrategy", "tn_" + d.name + "_t1", "INSERT INTO t1 VALUES (3)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := d.config("tn", "table.include.list", d.name+`\.t1`, "topic.naming.strategy", c.strategy,
				"topic.delimiter", "_", "topic.transaction", "txs", "topic.heartbeat.prefix", "hb",
				"provide.transaction.metadata", "true", "heartbeat.interval.ms", "200")
			r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.task.Heartbeat.TopicName(); got != "hb_tn" {
				t.Errorf("heartbeat topic %s, want hb_tn", got)
			}
			inserted := false
			seen := sourcetest.TopicsSeen(t, r.task.Poll, func(seen map[string]string) bool { return seen[c.data] != "" && seen["tn_txs"] != "" },
				func(seen map[string]string) {
					if seen[c.data] != "" && !inserted {
						inserted = true
						d.exec(c.insert)
					}
				})
			sourcetest.CheckTopics(t, seen, c.data, "tn_txs", "tn", "hb_tn")
		})
	}
}
