package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// TestCompatSameRun runs Debezium's PostgreSQL connector (on the reference worker,
// deploy/testbed/debezium-up) and connectd's over the same events of the same server in one run:
// both snapshot the database compat (each with its own slot and publication), then the
// streaming workload runs once and both stream it. Their outputs are then compared under
// tests/compat/allowed-differences.json alone, without the rules for a capture of another run
// (different-run.json): streamed source.lsn, txId, sequence, xmin and ts_ms (the commit time),
// transaction ids and BEGIN/END records, and the last offset per key (value and key bytes, member
// order included) must be equal; processing times must lie within each record's own life;
// snapshot records must hold the same rows, each side's position not after the first it
// streamed. This is also the small-scale capture-and-diff: a change of Debezium or of the test
// bed shows up here.
func TestCompatSameRun(t *testing.T) {
	dbz := debezium.Start(t, debeziumPGClass)
	root, tb, kafka := prepareCompat(t, lockCompat, "", "compat")
	brokers := []string{kafka}
	ctx := context.Background()
	reference, err := diff.LoadDump(filepath.Join(root, "tests/compat/reference/postgres/schemas"))
	if err != nil {
		t.Fatal(err)
	}
	unique := fmt.Sprintf("csr_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	config := func(prefix string) map[string]string { return compatConfig(t, tb, root, "dbz-compat-pg.json", prefix) }
	theirsName, theirsPrefix := "csr-dbz-"+unique, unique+"_dbz"
	oursName, oursPrefix := "csr-cd-"+unique, unique+"_cd"
	oursOffsets := unique + "_offsets"
	t.Cleanup(func() {
		dbz.Remove(theirsName)
		dropSlot(t, tb, theirsPrefix)
		dropSlot(t, tb, oursPrefix)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, brokers, []string{theirsPrefix, oursPrefix}, []string{oursOffsets}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	start, err := diff.EndOffsets(ctx, brokers, debezium.OffsetsTopic)
	if err != nil {
		t.Fatal(err)
	}

	// One snapshot after the other, as the reference capture ran them, then the streaming
	// workload once, read by both slots.
	snapshot := reference.Count(diff.SnapshotRecords)
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	dbz.Create(theirsName, config(theirsPrefix))
	dbz.WaitTask(theirsName, "RUNNING")
	if err := waitRecords(wctx, kafka, theirsPrefix, snapshot); err != nil {
		t.Fatalf("Debezium's snapshot: %v", err)
	}
	w := e2e.StartWorker(t, oursOffsets)
	w.Create(oursName, config(oursPrefix))
	w.WaitState(oursName, "RUNNING")
	if err := waitRecords(wctx, kafka, oursPrefix, snapshot); err != nil {
		t.Fatalf("connectd's snapshot: %v", err)
	}
	compatSQL(t, tb, root, "compat", "postgres-streaming.sql")
	total := reference.Count("")
	for _, prefix := range []string{theirsPrefix, oursPrefix} {
		if err := waitRecords(wctx, kafka, prefix, total); err != nil {
			t.Error(err) // compared all the same: the differences say what is missing
		}
	}
	qctx, qcancel := context.WithTimeout(ctx, 30*time.Second)
	defer qcancel()
	if _, err := diff.WaitQuiet(qctx, brokers, []string{theirsPrefix, oursPrefix}, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	// Both stop as an operator would stop them, committing their last offsets.
	dbz.Stop(theirsName)
	w.Stop()

	theirs, err := diff.ReadKafka(ctx, diff.Source{Brokers: brokers, OffsetsStart: start, Manifest: diff.Manifest{
		Prefix: theirsPrefix, Connector: theirsName, OffsetsTopic: debezium.OffsetsTopic,
		Producer: "Debezium (" + debeziumPGClass + ")"}})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := diff.ReadKafka(ctx, diff.Source{Brokers: brokers, Manifest: diff.Manifest{
		Prefix: oursPrefix, Connector: oursName, OffsetsTopic: oursOffsets}})
	if err != nil {
		t.Fatal(err)
	}
	compareSameRun(t, root, ours, theirs, nil)
}

// compareSameRun compares two connectors' outputs of one run under allowed-differences.json
// (plus extra files) and asserts that the value checks were exercised: streamed positions and
// commit times compared exactly (not allowed as different), processing times and snapshot
// positions checked by their bounds.
func compareSameRun(t *testing.T, root string, ours, theirs *diff.Dump, extra []string) {
	t.Helper()
	files := []string{filepath.Join(root, "tests/compat/allowed-differences.json")}
	for _, f := range extra {
		files = append(files, filepath.Join(root, "tests/compat", f))
	}
	rules, err := diff.LoadRules(files...)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"event-time", "pg-position", "binlog-position", "offsets-member-order", "transaction-id"} {
		for _, r := range rules.Rules {
			if r.ID == id {
				t.Fatalf("rule %s, for captures of another run, is in the same-run rules", id)
			}
		}
	}
	rep := diff.Compare(ours, theirs, rules)
	reportDiff(t, rep, "Debezium over the same events")
	if len(ours.Topics[diff.OffsetsTopic]) == 0 || len(theirs.Topics[diff.OffsetsTopic]) == 0 {
		t.Errorf("offsets: ours %d records, Debezium's %d: the last offsets were not compared",
			len(ours.Topics[diff.OffsetsTopic]), len(theirs.Topics[diff.OffsetsTopic]))
	}
	if theirs.Count(diff.StreamingRecords) == 0 || theirs.Count(diff.SnapshotRecords) == 0 || rep.Allowed["processing-time"] == 0 {
		t.Errorf("the comparison saw %d streamed and %d snapshot records of Debezium's, and checked %d processing times: the run did not do its job",
			theirs.Count(diff.StreamingRecords), theirs.Count(diff.SnapshotRecords), rep.Allowed["processing-time"])
	}
}

// lockCompat holds a session-level advisory lock for the test's lifetime, so two runs of the
// comparisons against one server (two checkouts, or a developer's run during CI's) take turns at
// the database compat instead of resetting it under each other.
func lockCompat(t *testing.T, tb testbed.DB) {
	t.Helper()
	// The key is "compat" in ASCII, shared by every test that resets the database compat.
	lockDatabase(t, tb, 6575773446243444, "compat", "the comparisons")
}

// lockDatabase takes the session advisory lock key for database db, held until the test ends;
// who names the tests that share it.
func lockDatabase(t *testing.T, tb testbed.DB, key int64, db, who string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database))
	if err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	if _, err := conn.Exec(lctx, fmt.Sprintf("SELECT pg_advisory_lock(%d)", key)).ReadAll(); err != nil {
		conn.Close(ctx)
		t.Fatalf("could not take the lock on the database %s within 15 minutes (another run of %s holds it): %v", db, who, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
}

// compatConfig reads a connector configuration of tests/compat/configs and points it at tb with
// topic.prefix and slot.name prefix and publication.name prefix_pub.
func compatConfig(t *testing.T, tb testbed.DB, root, file, prefix string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "tests/compat/configs", file))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]string
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["topic.prefix"], cfg["slot.name"], cfg["publication.name"] = prefix, prefix, prefix+"_pub"
	cfg["database.hostname"], cfg["database.port"] = tb.Host, fmt.Sprint(tb.Port)
	cfg["database.user"], cfg["database.password"] = tb.User, tb.Password
	return cfg
}

// keepOurs writes connectd's output under CONNECTD_COMPAT_KEEP/name when that is set, for
// looking at it by hand (CONNECTD_COMPAT_KEEP=/tmp/ours).
func keepOurs(t *testing.T, ours *diff.Dump, name string) {
	if dir := os.Getenv("CONNECTD_COMPAT_KEEP"); dir != "" {
		if err := ours.Write(filepath.Join(dir, name)); err != nil {
			t.Logf("could not keep connectd's output: %v", err)
		}
	}
}

// reportDiff fails the test with rep's differences (connectd differs from against), or logs
// that there are none.
func reportDiff(t *testing.T, rep *diff.Report, against string) {
	t.Helper()
	var out bytes.Buffer
	_ = rep.WriteText(&out, 30)
	if rep.HasDifferences() {
		t.Errorf("connectd differs from %s:\n%s", against, out.String())
	} else {
		t.Logf("no differences: %s", out.String())
	}
}
