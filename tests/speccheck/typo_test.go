package speccheck

import (
	"slices"
	"strings"
	"testing"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// TestUnknownKeyWarnsWithNearestKey validates configurations as POST /connectors does: a key no
// spec knows is listed with the nearest known key and no error; families, pass-through client
// settings and runtime settings are not warned about.
func TestUnknownKeyWarnsWithNearestKey(t *testing.T) {
	reg, err := plugins.New(bundle.Plugins()...)
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"name": "typo", "topic.prefix": "typo", "database.hostname": "db", "database.user": "u",
		"schema.history.internal.kafka.topic": "h", "schema.history.internal.kafka.bootstrap.servers": "k:9092",
	}
	cases := []struct {
		class, key, want string
	}{
		{"io.debezium.connector.mariadb.MariaDbConnector", "database.hostnme", "database.hostname"},
		{"io.debezium.connector.mysql.MySqlConnector", "snapshot.mod", "snapshot.mode"},
		{"io.debezium.connector.postgresql.PostgresConnector", "slot.nmae", "slot.name"},
		{"io.debezium.connector.postgresql.PostgresConnector", "tombstones.on.delte", "tombstones.on.delete"},
	}
	for _, c := range cases {
		cfg := map[string]string{"connector.class": c.class, c.key: "x", "database.dbname": "d"}
		for k, v := range base {
			cfg[k] = v
		}
		infos, err := runtime.Validate(reg, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ci := find(infos, c.key)
		if ci == nil {
			t.Errorf("%s: %s is not listed as unknown", c.class, c.key)
			continue
		}
		if len(ci.Value.Errors) != 0 || !slices.Equal(ci.Value.RecommendedValues, []string{c.want}) {
			t.Errorf("%s: %s: want no error and recommended %s, got errors %q recommended %q", c.class, c.key, c.want, ci.Value.Errors, ci.Value.RecommendedValues)
		}
	}
	known := map[string]string{
		"connector.class":                                 "io.debezium.connector.mariadb.MariaDbConnector",
		"column.mask.with.5.chars":                        "db.t.c",
		"column.mask.hash.SHA-256.with.salt.abc":          "db.t.c",
		"schema.history.internal.producer.acks":           "1",
		"schema.history.internal.consumer.sasl.mechanism": "PLAIN",
		"transforms":                  "r",
		"transforms.r.type":           "org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.r.regex":          "a",
		"transforms.r.replacement":    "b",
		"producer.override.linger.ms": "5",
	}
	for k, v := range base {
		known[k] = v
	}
	infos, err := runtime.Validate(reg, known)
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range infos.Configs {
		if ci.Definition == nil && ci.Value != nil && len(ci.Value.Errors) == 0 && known[ci.Value.Name] != "" {
			t.Errorf("known key %s was warned about as unknown", ci.Value.Name)
		}
	}
}

func find(infos herder.ConfigInfos, name string) *herder.ConfigInfo {
	for i := range infos.Configs {
		c := &infos.Configs[i]
		if c.Definition == nil && c.Value != nil && c.Value.Name == name {
			return c
		}
	}
	return nil
}

// TestHistoryClientProperties: the schema history clients' security settings validate; another
// client property is refused (connectd would not apply it), not ignored.
func TestHistoryClientProperties(t *testing.T) {
	reg, err := plugins.New(bundle.Plugins()...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{
		"name": "h", "connector.class": "io.debezium.connector.mariadb.MariaDbConnector", "topic.prefix": "h",
		"database.hostname": "db", "database.user": "u",
		"schema.history.internal.kafka.topic": "h", "schema.history.internal.kafka.bootstrap.servers": "k:9092",
		"schema.history.internal.producer.security.protocol": "SSL",
		"schema.history.internal.consumer.security.protocol": "SSL",
	}
	infos, err := runtime.Validate(reg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if infos.ErrorCount != 0 {
		t.Fatalf("security settings: %d errors: %+v", infos.ErrorCount, infos.Configs)
	}
	cfg["schema.history.internal.producer.acks"] = "1"
	if infos, err = runtime.Validate(reg, cfg); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, c := range infos.Configs {
		if c.Value != nil {
			msgs = append(msgs, c.Value.Errors...)
		}
	}
	if infos.ErrorCount != 1 || !slices.ContainsFunc(msgs, func(m string) bool {
		return strings.Contains(m, "schema.history.internal.producer.acks is not supported by connectd")
	}) {
		t.Fatalf("acks: want one error refusing it, got %q", msgs)
	}
}
