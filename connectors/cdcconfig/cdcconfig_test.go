package cdcconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/snapshotmode"
)

func base() map[string]string {
	return map[string]string{
		"name": "inventory-connector", "connector.class": "io.debezium.connector.mysql.MySqlConnector",
		"topic.prefix": "dbserver1", "database.hostname": "127.0.0.1", "database.user": "debezium",
		"database.password": "dbz secret",
	}
}

func with(kv ...string) map[string]string {
	c := base()
	for i := 0; i < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

func TestDefaults(t *testing.T) {
	c, err := Parse(base())
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"tasks", c.TasksMax, 1},
		{"snapshot", c.SnapshotMode, snapshotmode.Initial},
		{"tombstones", c.TombstonesOnDelete, true},
		{"txmeta", c.ProvideTransactionMetadata, false},
		{"tx topic", c.TransactionTopic, "dbserver1.transaction"},
		{"hb", c.HeartbeatInterval, time.Duration(0)},
		{"hb topic", c.HeartbeatTopic, "__debezium-heartbeat.dbserver1"},
		{"decimal", c.DecimalMode, envelope.DecimalPrecise},
		{"time", c.TimePrecisionMode, envelope.TimeAdaptive},
		{"binary", c.BinaryMode, envelope.BinaryBytes},
		{"batch", c.MaxBatchSize, 2048},
		{"queue", c.MaxQueueSize, 8192},
		{"queue bytes", c.MaxQueueSizeInBytes, int64(8388608)},
		{"poll", c.PollInterval, 500 * time.Millisecond},
		{"chunk", c.IncrementalSnapshotChunkSize, 1024},
		{"skip t", c.SkippedOperations.Has(envelope.OpTruncate), true},
		{"skip c", c.SkippedOperations.Has(envelope.OpCreate), false},
		{"failure", c.EventProcessingFailureMode, "fail"},
		{"password", c.Password, "dbz secret"},
		{"schema changes", c.IncludeSchemaChanges, true},
		{"port", c.Port, 0},
		{"retries", c.ErrorsMaxRetries, -1},
		{"retry delay", c.RetryDelayInitial, 300 * time.Millisecond},
		{"retry delay max", c.RetryDelayMax, 10 * time.Second},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseValues(t *testing.T) {
	c, err := Parse(with("snapshot.mode", "SCHEMA_ONLY", "tombstones.on.delete", "false", "provide.transaction.metadata", "true",
		"heartbeat.interval.ms", "10000", "decimal.handling.mode", "string", "time.precision.mode", "connect",
		"binary.handling.mode", "hex", "max.batch.size", "100", "max.queue.size", "200", "max.queue.size.in.bytes", "0",
		"poll.interval.ms", "50", "table.include.list", `inventory\.orders`, "skipped.operations", "none",
		"database.port", "3307", "schema.history.internal.kafka.topic", "schema-changes.inventory",
		"schema.history.internal.kafka.bootstrap.servers", "127.0.0.1:9092", "topic.transaction", "tx"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SnapshotMode != snapshotmode.NoData || c.TombstonesOnDelete || !c.ProvideTransactionMetadata || c.HeartbeatInterval != 10*time.Second ||
		c.DecimalMode != envelope.DecimalString || c.TimePrecisionMode != envelope.TimeConnect || c.BinaryMode != envelope.BinaryHex ||
		c.MaxBatchSize != 100 || c.MaxQueueSize != 200 || c.MaxQueueSizeInBytes != 0 || c.PollInterval != 50*time.Millisecond ||
		c.Filters.TableInclude != `inventory\.orders` || c.SkippedOperations != 0 || c.Port != 3307 ||
		c.HistoryKafkaTopic != "schema-changes.inventory" || c.TransactionTopic != "dbserver1.tx" {
		t.Errorf("parsed %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		cfg   map[string]string
		wants []string
	}{
		{with("topic.prefix", "db server"), []string{"topic.prefix", "invalid format"}},
		{func() map[string]string { c := base(); delete(c, "topic.prefix"); return c }(), []string{`"topic.prefix"`}},
		{with("snapshot.mode", "sometimes"), []string{"snapshot.mode", "sometimes"}},
		{with("decimal.handling.mode", "exact"), []string{"decimal.handling.mode", "precise"}},
		{with("time.precision.mode", "isostring"), []string{"time.precision.mode"}},
		{with("max.batch.size", "9000"), []string{"max.queue.size (8192) must be larger than max.batch.size (9000)"}},
		{with("table.include.list", "a", "table.exclude.list", "b"), []string{"table.exclude.list", "table.include.list"}},
		{with("table.include.list", "(unclosed"), []string{"table.include.list"}},
		{with("heartbeat.interval.ms", "-5"), []string{"heartbeat.interval.ms"}},
		{with("skipped.operations", "c,x"), []string{"skipped.operations", `"x"`}},
		{with("database.port", "99999"), []string{"database.port"}},
		{with("tombstones.on.delete", "yes"), []string{"tombstones.on.delete"}},
		{with("schema.history.internal.kafka.topic", "h"), []string{"schema.history.internal.kafka.bootstrap.servers"}},
		{with("message.key.columns", "db.t"), []string{"message.key.columns entry \"db.t\" is not"}},
	}
	for _, tt := range tests {
		_, err := Parse(tt.cfg)
		if err == nil {
			t.Errorf("Parse(%v) succeeded", tt.cfg)
			continue
		}
		for _, w := range tt.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "dbz secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestMask(t *testing.T) {
	cfg := with("database.ssl.keystore.password", "ks", "schema.history.internal.producer.sasl.jaas.config", "jaas", "table.include.list", "x")
	m := Mask(cfg)
	for k, want := range map[string]string{"database.password": Masked, "database.ssl.keystore.password": Masked,
		"schema.history.internal.producer.sasl.jaas.config": Masked, "table.include.list": "x", "database.user": "debezium"} {
		if m[k] != want {
			t.Errorf("%s = %q, want %q", k, m[k], want)
		}
	}
	if cfg["database.password"] != "dbz secret" {
		t.Error("Mask changed its input")
	}
	spec := append(Spec(), api.ConfigKey{Name: "vault.ref", Type: api.ConfigPassword})
	if MaskWith(spec, map[string]string{"vault.ref": "v"})["vault.ref"] != Masked {
		t.Error("spec PASSWORD key not masked")
	}
}

func TestSpec(t *testing.T) {
	s := Spec()
	seen := map[string]bool{}
	for _, k := range s {
		if seen[k.Name] {
			t.Errorf("duplicate key %s", k.Name)
		}
		seen[k.Name] = true
		if k.Doc == "" || k.Importance == "" || k.Type == "" {
			t.Errorf("key %s lacks doc/importance/type", k.Name)
		}
		if k.Default != "" && k.Validate != nil {
			if err := k.Validate(k.Default); err != nil {
				t.Errorf("default of %s fails its own validation: %v", k.Name, err)
			}
		}
	}
	for _, n := range []string{"name", "connector.class", "tasks.max", "topic.prefix", "database.hostname", "database.port", "database.user",
		"database.password", "snapshot.mode", "tombstones.on.delete", "provide.transaction.metadata", "heartbeat.interval.ms",
		"heartbeat.action.query", "decimal.handling.mode", "time.precision.mode", "binary.handling.mode", "max.batch.size",
		"max.queue.size", "max.queue.size.in.bytes", "poll.interval.ms", "database.include.list", "table.exclude.list",
		"column.exclude.list", "signal.data.collection", "incremental.snapshot.chunk.size", "schema.history.internal.kafka.topic",
		"schema.history.internal.kafka.bootstrap.servers", "schema.history.internal.skip.unparseable.ddl",
		"schema.history.internal.store.only.captured.tables.ddl", "event.processing.failure.handling.mode", "skipped.operations"} {
		if !seen[n] {
			t.Errorf("spec lacks %s", n)
		}
	}
	if s.Key("database.password").Type != api.ConfigPassword {
		t.Error("password is not PASSWORD")
	}
	s[0].Name = "changed"
	if Spec()[0].Name != "name" {
		t.Error("Spec returns shared state")
	}
}

func TestConnectorSpec(t *testing.T) {
	s := ConnectorSpec(HistoryKafkaTopic, SnapshotDelayMs)
	for _, n := range []string{Name, ConnectorClass, TasksMax, HistoryKafkaTopic, SnapshotDelayMs} {
		if s.Key(n) != nil {
			t.Errorf("connector spec keeps %s", n)
		}
	}
	if s.Key(TopicPrefix) == nil || s.Key(HistoryKafkaBootstrapServers) == nil || len(s) != len(Spec())-5 {
		t.Errorf("connector spec has %d keys, want %d", len(s), len(Spec())-5)
	}
	// A connector's spec is its own: changing a key does not change the next one.
	s.Key(Port).Default = "3306"
	if ConnectorSpec().Key(Port).Default != "" {
		t.Error("ConnectorSpec returns shared state")
	}
	// Without name and connector.class, a connector's properties alone validate.
	if _, n := ConnectorSpec().Validate(map[string]string{"topic.prefix": "p", "database.hostname": "h", "database.user": "u"}); n != 0 {
		t.Errorf("%d validation errors without the runtime's keys", n)
	}
}

func TestSkippedOperations(t *testing.T) {
	tests := []struct {
		in  string
		has string
		err bool
	}{
		{"", "t", false}, {"none", "", false}, {"c, u", "cu", false}, {"d,t", "dt", false}, {"r", "", true},
	}
	for _, tt := range tests {
		s, err := ParseSkippedOperations(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		for _, o := range "cudt" {
			if s.Has(envelope.Op(o)) != strings.ContainsRune(tt.has, o) {
				t.Errorf("%q: Has(%c) = %v", tt.in, o, s.Has(envelope.Op(o)))
			}
		}
	}
}
