package schemahistory

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseConfigDefaultsToKafka(t *testing.T) {
	cfg, err := ParseConfig(map[string]string{
		PropKafkaTopic:                                       " schema-changes.inventory ",
		PropKafkaBootstrapServers:                            "k1:9092, k2:9092",
		PropStoreOnlyCapturedDDL:                             "true",
		PropStoreOnlyCapturedDBs:                             "TRUE",
		PropKafkaRecoveryAttempts:                            "7",
		PropKafkaQueryTimeout:                                "1500",
		"schema.history.internal.producer.security.protocol": "SSL",
		"schema.history.internal.consumer.sasl.mechanism":    "PLAIN",
		"schema.history.internal.producer.max.block.ms":      "1000",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kind != KindKafka || cfg.Kafka.Topic != "schema-changes.inventory" || !slices.Equal(cfg.Kafka.Brokers, []string{"k1:9092", "k2:9092"}) {
		t.Errorf("kafka settings %+v", cfg.Kafka)
	}
	if !cfg.StoreOnlyCapturedTablesDDL || !cfg.StoreOnlyCapturedDatabasesDDL || cfg.SkipUnparseableDDL || cfg.PreferDDL {
		t.Errorf("flags %+v", cfg)
	}
	if cfg.Kafka.PollInterval != 100*time.Millisecond || cfg.Kafka.RecoveryAttempts != 7 || cfg.Kafka.QueryTimeout != 1500*time.Millisecond ||
		cfg.Kafka.CreateTimeout != 30*time.Second || cfg.Kafka.ReplicationFactor != -1 {
		t.Errorf("kafka tuning %+v", cfg.Kafka)
	}
	if !cfg.CatalogBeforeSchema || cfg.DDLFilter != DefaultDDLFilter {
		t.Error("defaults not applied")
	}
	if cfg.ProducerProps["security.protocol"] != "SSL" || cfg.ConsumerProps["sasl.mechanism"] != "PLAIN" ||
		!slices.Equal(cfg.Ignored, []string{"schema.history.internal.producer.max.block.ms"}) {
		t.Errorf("pass-through properties %v %v, ignored %v", cfg.ProducerProps, cfg.ConsumerProps, cfg.Ignored)
	}
}

func TestParseConfigFileAndMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.dat")
	for _, class := range []string{ClassFile, "io.debezium.relational.history.FileDatabaseHistory"} {
		cfg, err := ParseConfig(map[string]string{PropClass: class, PropFileName: path, PropFileTruncateTorn: "true"})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Kind != KindFile || cfg.FilePath != path || !cfg.File.TruncateTornRecord {
			t.Errorf("%s: %+v", class, cfg)
		}
		s, err := Open(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if fs, ok := s.(*FileStore); !ok || fs.Path() != path {
			t.Errorf("Open gave %T", s)
		}
		s.Close()
	}
	cfg, err := ParseConfig(map[string]string{PropClass: ClassMemory})
	if err != nil || cfg.Kind != KindMemory {
		t.Fatalf("memory: %+v %v", cfg, err)
	}
	if s, err := Open(t.Context(), cfg); err != nil {
		t.Fatal(err)
	} else if _, ok := s.(*MemoryStore); !ok {
		t.Errorf("Open gave %T", s)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		props map[string]string
		want  []string
	}{
		{map[string]string{}, []string{PropKafkaTopic + " is required", PropKafkaBootstrapServers + " is required"}},
		{map[string]string{PropClass: ClassFile}, []string{PropFileName + " is required"}},
		{map[string]string{PropClass: "io.debezium.storage.s3.history.S3SchemaHistory"},
			[]string{"Invalid value io.debezium.storage.s3.history.S3SchemaHistory for configuration schema.history.internal", "a Kafka topic"}},
		{map[string]string{PropClass: ClassMemory, PropKafkaPollInterval: "-1", PropKafkaRecoveryAttempts: "x", PropSkipUnparseableDDL: "maybe"},
			[]string{"must be zero or more", "Not a number", "Expected value to be either true or false"}},
	}
	for _, c := range cases {
		_, err := ParseConfig(c.props)
		if err == nil {
			t.Errorf("%v: no error", c.props)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not say %q", c.props, err, w)
			}
		}
	}
}
