package mysql

import (
	"strings"
	"testing"

	"github.com/connectd/connectd/connectors/envelope"
)

// TestConfigDefaults: the common keys come from cdcconfig with MySQL's own defaults where they
// differ, and the spec leaves the runtime's keys to the runtime.
func TestConfigDefaults(t *testing.T) {
	base := map[string]string{"topic.prefix": "p", "database.hostname": "h", "database.user": "u",
		"schema.history.internal.kafka.topic": "h", "schema.history.internal.kafka.bootstrap.servers": "k"}
	c, err := parseConfig(base, FlavorMySQL)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 3306 || c.MaxQueueSizeInBytes != 8<<20 || c.MaxBatchSize != 2048 || c.MaxQueueSize != 8192 || c.Modes.Time != envelope.TimeAdaptiveMicroseconds ||
		c.Modes.Decimal != envelope.DecimalPrecise || c.Modes.Binary != envelope.BinaryBytes || c.SnapshotLocking != "minimal" || !c.SkippedOperations.Has(envelope.OpTruncate) || c.SkippedOperations.Has(envelope.OpCreate) ||
		!c.TombstonesOnDelete || !c.IncludeSchemaChanges || c.TransactionTopic != "p.transaction" || c.HeartbeatPrefix != "__debezium-heartbeat" {
		t.Errorf("defaults: %+v", c)
	}
	spec := configSpec()
	for _, n := range []string{"name", "connector.class", "tasks.max", "schema.include.list"} {
		if spec.Key(n) != nil {
			t.Errorf("spec declares %s", n)
		}
	}
	if spec.Key("signal.data.collection").Unsupported || spec.Key("signal.kafka.topic") == nil || spec.Key("notification.sink.topic.name") == nil ||
		spec.Key("database.port").Default != "3306" {
		t.Error("spec: signal.data.collection and the signal and notification keys must be supported, port 3306")
	}

	// A queue no larger than a batch is raised to four batches, as this connector always did.
	base["max.batch.size"], base["max.queue.size"] = "5000", "100"
	if c, err = parseConfig(base, FlavorMySQL); err != nil {
		t.Fatalf("small queue: %v", err)
	}
	if c.MaxQueueSize != 20000 || c.MaxBatchSize != 5000 {
		t.Errorf("small queue: queue %d batch %d", c.MaxQueueSize, c.MaxBatchSize)
	}
	base["max.batch.size"] = "0"
	if _, err = parseConfig(base, FlavorMySQL); err == nil || !strings.Contains(err.Error(), "max.batch.size") {
		t.Errorf("max.batch.size=0: %v", err)
	}
}
