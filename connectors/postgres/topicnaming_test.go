package postgres

import (
	"fmt"
	"testing"

	"github.com/connectd/connectd/connectors/source/sourcetest"
)

// TestTopicNaming: topic.naming.strategy, topic.delimiter, topic.transaction and
// topic.heartbeat.prefix name the topics as Debezium 3.7's PostgreSQL connector does on the test
// bed: SchemaTopicNamingStrategy (the default) <prefix>_<schema>_<table>,
// DefaultTopicNamingStrategy <prefix>_<table> (PostgreSQL tables have no catalog); the key schema
// is named after the topic.
func TestTopicNaming(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.t1 (id int PRIMARY KEY)`, e.schema), fmt.Sprintf(`INSERT INTO %s.t1 VALUES (1)`, e.schema))
	for i, c := range []struct{ strategy, data string }{
		{"io.debezium.schema.SchemaTopicNamingStrategy", e.prefix + "_" + e.schema + "_t1"},
		{"io.debezium.schema.DefaultTopicNamingStrategy", e.prefix + "_t1"},
	} {
		t.Run(c.strategy, func(t *testing.T) {
			task := e.start("topic.naming.strategy", c.strategy, "topic.delimiter", "_", "topic.transaction", "txs",
				"topic.heartbeat.prefix", "hb", "provide.transaction.metadata", "true", "slot.drop.on.stop", "true")
			defer task.Stop()
			if got, want := task.Heartbeat.TopicName(), "hb_"+e.prefix; got != want {
				t.Errorf("heartbeat topic %s, want %s", got, want)
			}
			inserted := false
			seen := sourcetest.TopicsSeen(t, task.Poll, func(seen map[string]string) bool { return seen[c.data] != "" && seen[e.prefix+"_txs"] != "" },
				func(seen map[string]string) {
					if seen[c.data] != "" && !inserted && task.phase.Load() == phaseStreaming {
						inserted = true
						e.exec(fmt.Sprintf(`INSERT INTO %s.t1 VALUES (%d)`, e.schema, 10+i))
					}
				})
			sourcetest.CheckTopics(t, seen, c.data, e.prefix+"_txs", "hb_"+e.prefix)
		})
	}
}
