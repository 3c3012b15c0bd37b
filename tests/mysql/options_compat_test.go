package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

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
	root := testbed.RepoRoot(t)
	d := mariadb.New(t, "e2e") // for its connection; the workload uses the database compat_opt
	if got := d.Query("SELECT GET_LOCK('connectd_tests_compat_opt', 900)"); len(got) != 1 || got[0][0] != "1" {
		t.Fatalf("could not take the lock on the database compat_opt within 15 minutes (GET_LOCK returned %v): another run of this test holds it", got)
	}
	runSQL := func(file string) {
		b, err := os.ReadFile(filepath.Join(root, "tests/compat/workload/options", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range splitSQL(string(b)) {
			d.Exec(st)
		}
	}
	runSQL("mariadb-snapshot.sql")

	var cfg map[string]string
	b, err := os.ReadFile(filepath.Join(root, "tests/compat/configs/options/dbz-compat-mariadb-options.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	prefix := strings.ReplaceAll(testbed.Topic(t, "connectd_mariadb_opt"), "-", "_")
	cfg["topic.prefix"] = prefix
	cfg["schema.history.internal.kafka.topic"] = "schema-history." + prefix
	cfg["schema.history.internal.kafka.bootstrap.servers"] = testbed.Kafka(t)
	topics := diff.WithDelimiter(prefix, cfg["topic.delimiter"])
	offsetsTopic := prefix + "-offsets"
	name := "connectd-compat-mariadb-options"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{testbed.Kafka(t)}, []string{topics},
			[]string{offsetsTopic, cfg["schema.history.internal.kafka.topic"]}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})

	w := e2e.StartWorker(t, offsetsTopic)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	w.WaitState(name, "RUNNING")
	brokers := []string{testbed.Kafka(t)}
	ctx := context.Background()
	if _, err := diff.WaitQuiet(ctx, brokers, []string{topics}, 4*time.Second); err != nil {
		t.Fatal(err)
	}
	runSQL("mariadb-streaming.sql")
	if _, err := diff.WaitQuiet(ctx, brokers, []string{topics}, 6*time.Second); err != nil {
		t.Fatal(err)
	}
	ours, err := diff.ReadKafka(ctx, diff.Source{Brokers: brokers, Manifest: diff.Manifest{Prefix: prefix, Delimiter: cfg["topic.delimiter"],
		Connector: name, OffsetsTopic: offsetsTopic, HistoryTopic: "schema-history." + prefix}})
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("CONNECTD_COMPAT_KEEP"); dir != "" {
		if err := ours.Write(filepath.Join(dir, "mariadb-options")); err != nil {
			t.Logf("could not keep connectd's output: %v", err)
		}
	}
	theirs, err := diff.LoadDump(filepath.Join(root, "tests/compat/reference/mariadb/options"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := diff.LoadRules(filepath.Join(root, "tests/compat/allowed-differences.json"),
		filepath.Join(root, "tests/compat/different-run.json"),
		filepath.Join(root, "tests/compat/shared-server.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep := diff.Compare(ours, theirs, rules)
	t.Logf("compared %d topics, %d of Debezium's records; allowed differences: %v", rep.Topics, rep.Records, rep.Allowed)
	if rep.HasDifferences() {
		var out bytes.Buffer
		_ = rep.WriteText(&out, 30)
		t.Errorf("connectd's output differs from Debezium's (%d differences):\n%s", len(rep.Differences), out.String())
	}
}
