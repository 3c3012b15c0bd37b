package mysql

import "testing"

// TestCompatOptionsWithDebezium runs the options comparison (tests/compat/workload/options,
// configs/options/dbz-compat-mariadb-options.json: masking, v1 and v2 hashing, truncation,
// message.key.columns, SchemaTopicNamingStrategy with topic.delimiter "_",
// field.name.adjustment.mode=avro, column/datatype.propagate.source.type,
// snapshot.include.collection.list and snapshot.select.statement.overrides) through connectd's
// MariaDB connector and compares its output with what Debezium wrote for it
// (tests/compat/reference/mariadb/options, tests/compat/capture-debezium-options) under
// allowed-differences.json, different-run.json and shared-server.json.
//
// It drops and recreates the database compat_opt, which only the options comparison uses,
// under a lock of its own.
func TestCompatOptionsWithDebezium(t *testing.T) {
	compareWithReference(t, compatCase{db: "compat_opt", workload: "tests/compat/workload/options", setup: []string{"mariadb-snapshot.sql"},
		config: "tests/compat/configs/options/dbz-compat-mariadb-options.json", topic: "connectd_mariadb_opt",
		name: "connectd-compat-mariadb-options", reference: "tests/compat/reference/mariadb/options", keep: "mariadb-options"})
}
