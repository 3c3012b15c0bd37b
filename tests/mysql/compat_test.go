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

// TestCompatWithDebezium runs the compatibility workload (tests/compat/workload/mariadb-*.sql)
// through connectd's MariaDB connector with the reference configuration and compares every topic,
// the schema history and the offsets with what Debezium wrote for the same workload
// (tests/compat/reference/mariadb/{plain,schemas}), under the allowed differences of
// tests/compat/allowed-differences.json and, since the reference was captured on another day,
// tests/compat/different-run.json (each with its reason) and, since other clients may write
// to the same server, tests/compat/shared-server.json.
//
// It drops and recreates the database `compat`: tests/run runs one package at a time, and no
// other package uses that database on MariaDB.
func TestCompatWithDebezium(t *testing.T) {
	for _, c := range []struct{ name, config, reference string }{
		{"plain", "dbz-compat-mariadb-plain.json", "plain"},
		{"schemas", "dbz-compat-mariadb.json", "schemas"},
	} {
		t.Run(c.name, func(t *testing.T) { compatRun(t, c.config, c.reference) })
	}
}

// compatRun runs the workload under one reference configuration and diffs the output.
func compatRun(t *testing.T, config, reference string) {
	compareWithReference(t, compatCase{db: "compat", workload: "tests/compat/workload", setup: []string{"mariadb-reset.sql", "mariadb-snapshot.sql"},
		config: "tests/compat/configs/" + config, topic: "connectd_mariadb", name: "connectd-" + strings.TrimSuffix(config, ".json"),
		reference: "tests/compat/reference/mariadb/" + reference})
}

// compatCase is one comparison of connectd's output with a reference capture of Debezium's.
type compatCase struct {
	// db is the database the workload uses: one per server, reset under the lock
	// connectd_tests_<db>.
	db string
	// workload is the folder of the workload files; setup are run before the connector starts,
	// mariadb-streaming.sql once it has snapshotted.
	workload string
	setup    []string
	// config is the connector configuration file, reference the capture's folder (both from
	// the repository's root).
	config, reference string
	// topic is the name testbed.Topic makes the topic prefix of; name the connector's.
	topic, name string
	// keep, if set, is the folder under CONNECTD_COMPAT_KEEP that keeps connectd's output.
	keep string
}

// compareWithReference runs the workload of c through connectd's MariaDB connector and compares
// its topics, schema history and offsets with the reference capture under
// allowed-differences.json, different-run.json and shared-server.json.
func compareWithReference(t *testing.T, c compatCase) {
	root := testbed.RepoRoot(t)
	_, runSQL := compatDB(t, root, c.db, c.workload)
	for _, f := range c.setup {
		runSQL(f)
	}

	var cfg map[string]string
	b, err := os.ReadFile(filepath.Join(root, c.config))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	prefix := strings.ReplaceAll(testbed.Topic(t, c.topic), "-", "_")
	cfg["topic.prefix"] = prefix
	cfg["schema.history.internal.kafka.topic"] = "schema-history." + prefix
	cfg["schema.history.internal.kafka.bootstrap.servers"] = testbed.Kafka(t)
	topics := diff.WithDelimiter(prefix, cfg["topic.delimiter"])
	offsetsTopic := prefix + "-offsets"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{testbed.Kafka(t)}, []string{topics},
			[]string{offsetsTopic, cfg["schema.history.internal.kafka.topic"]}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})

	w := e2e.StartWorker(t, offsetsTopic)
	w.Create(c.name, cfg)
	w.WaitState(c.name, "RUNNING")
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
		Connector: c.name, OffsetsTopic: offsetsTopic, HistoryTopic: "schema-history." + prefix}})
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("CONNECTD_COMPAT_KEEP"); dir != "" && c.keep != "" {
		if err := ours.Write(filepath.Join(dir, c.keep)); err != nil {
			t.Logf("could not keep connectd's output: %v", err)
		}
	}
	theirs, err := diff.LoadDump(filepath.Join(root, c.reference))
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

// compatDB opens a connection to the test bed's MariaDB, takes the lock of the comparison's
// database db and returns the connection and a function that runs a workload file of folder
// dir (from the repository's root) on it. The database is one per server: a second run of the
// suite against the same server (two checkouts, or a developer's run during CI's) waits here
// instead of resetting it under this one. The lock is the session's, released when newDB's
// cleanup closes the connection, after the worker's cleanup stopped the connector.
func compatDB(t *testing.T, root, db, dir string) (*mariadb.DB, func(file string)) {
	t.Helper()
	d := mariadb.New(t, "e2e") // for its connection; the workload uses the database db
	if got := d.Query("SELECT GET_LOCK('connectd_tests_" + db + "', 900)"); len(got) != 1 || got[0][0] != "1" {
		t.Fatalf("could not take the lock on the database %s within 15 minutes (GET_LOCK returned %v): another run of this test holds it", db, got)
	}
	return d, func(file string) {
		b, err := os.ReadFile(filepath.Join(root, dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range splitSQL(string(b)) {
			d.Exec(st)
		}
	}
}

// splitSQL splits a workload file into statements: they end with ";" at the end of a line, and
// comment lines are dropped.
func splitSQL(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		tl := strings.TrimSpace(line)
		if tl == "" || strings.HasPrefix(tl, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(tl, ";") {
			st := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, st)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
