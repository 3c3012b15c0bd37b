package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// TestCompatSameRun runs Debezium's MariaDB connector (on the reference worker,
// deploy/testbed/debezium-up) and connectd's over the same events of the same server in one run:
// both snapshot the database compat, then the streaming workload runs once and both read it
// from the same binlog. Their outputs are compared under tests/compat/allowed-differences.json
// and shared-server.json, without the rules for a capture of another run (different-run.json):
// streamed source.file, pos, row, gtid, server_id, thread and ts_ms (the commit time),
// transaction ids and BEGIN/END records, the schema history and the last offset per key (value
// and key bytes, member order included) must be equal; processing times must lie within each
// record's own life; snapshot records must hold the same rows, each side's position not after
// the first it streamed. This is also the small-scale capture-and-diff: a change of Debezium or
// of the test bed shows up here.
func TestCompatSameRun(t *testing.T) {
	root := testbed.RepoRoot(t)
	kafka := testbed.Kafka(t)
	brokers := []string{kafka}
	dbz := debezium.Start(t, debeziumMariaDBClass)
	// See compatDB: the lock serialises the runs that reset the database compat.
	d, runSQL := compatDB(t, root, "compat", "tests/compat/workload")
	runSQL("mariadb-reset.sql")
	runSQL("mariadb-snapshot.sql")
	reference, err := diff.LoadDump(filepath.Join(root, "tests/compat/reference/mariadb/schemas"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "tests/compat/configs/dbz-compat-mariadb.json"))
	if err != nil {
		t.Fatal(err)
	}
	unique := strings.ReplaceAll(testbed.Topic(t, "msr"), "-", "_")
	config := func(prefix string) map[string]string {
		var cfg map[string]string
		if err := json.Unmarshal(b, &cfg); err != nil {
			t.Fatal(err)
		}
		cfg["topic.prefix"] = prefix
		cfg["schema.history.internal.kafka.topic"] = "schema-history." + prefix
		cfg["schema.history.internal.kafka.bootstrap.servers"] = kafka
		cfg["database.hostname"], cfg["database.port"] = d.TB.Host, fmt.Sprint(d.TB.Port)
		cfg["database.user"], cfg["database.password"] = d.TB.User, d.TB.Password
		// Two binlog readers with one server id disconnect each other.
		cfg["database.server.id"] = serverID(prefix)
		return cfg
	}
	theirsName, theirsPrefix := "msr-dbz-"+unique, unique+"_dbz"
	oursName, oursPrefix := "msr-cd-"+unique, unique+"_cd"
	oursOffsets := unique + "_offsets"
	t.Cleanup(func() {
		dbz.Remove(theirsName)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, brokers, []string{theirsPrefix, oursPrefix},
			[]string{oursOffsets, "schema-history." + theirsPrefix, "schema-history." + oursPrefix}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	ctx := context.Background()
	start, err := diff.EndOffsets(ctx, brokers, debezium.OffsetsTopic)
	if err != nil {
		t.Fatal(err)
	}

	// One snapshot after the other, as the reference capture ran them, then the streaming
	// workload once; both read it from the binlog.
	snapshot := reference.Count(diff.SnapshotRecords)
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	dbz.Create(theirsName, config(theirsPrefix))
	dbz.WaitTask(theirsName, "RUNNING")
	if err := waitChanges(wctx, kafka, theirsPrefix, snapshot); err != nil {
		t.Fatalf("Debezium's snapshot: %v", err)
	}
	w := e2e.StartWorker(t, oursOffsets)
	w.Create(oursName, config(oursPrefix))
	w.WaitState(oursName, "RUNNING")
	if err := waitChanges(wctx, kafka, oursPrefix, snapshot); err != nil {
		t.Fatalf("connectd's snapshot: %v", err)
	}
	runSQL("mariadb-streaming.sql")
	total := 0
	for logical, rs := range reference.Topics {
		if logical != diff.OffsetsTopic && logical != diff.HistoryTopic && logical != diff.PrefixPlaceholder+".transaction" {
			total += len(rs)
		}
	}
	for _, prefix := range []string{theirsPrefix, oursPrefix} {
		if err := waitChanges(wctx, kafka, prefix, total); err != nil {
			t.Error(err) // compared all the same: the differences say what is missing
		}
	}
	// Other clients of the server keep the transaction topics busy (BEGIN/END of their
	// transactions), so quiet may never come: a few seconds for the last offsets to be flushed.
	qctx, qcancel := context.WithTimeout(ctx, 15*time.Second)
	defer qcancel()
	if _, err := diff.WaitQuiet(qctx, brokers, []string{theirsPrefix, oursPrefix}, 3*time.Second); err != nil {
		t.Logf("the topics did not stay quiet (other clients of the server): %v", err)
	}
	dbz.Stop(theirsName)
	w.Stop()

	theirs, err := diff.ReadKafka(ctx, diff.Source{Brokers: brokers, OffsetsStart: start, Manifest: diff.Manifest{
		Prefix: theirsPrefix, Connector: theirsName, OffsetsTopic: debezium.OffsetsTopic,
		HistoryTopic: "schema-history." + theirsPrefix, Producer: "Debezium (" + debeziumMariaDBClass + ")"}})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := diff.ReadKafka(ctx, diff.Source{Brokers: brokers, Manifest: diff.Manifest{
		Prefix: oursPrefix, Connector: oursName, OffsetsTopic: oursOffsets, HistoryTopic: "schema-history." + oursPrefix}})
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("CONNECTD_COMPAT_KEEP"); dir != "" {
		_ = ours.Write(filepath.Join(dir, "ours"))
		_ = theirs.Write(filepath.Join(dir, "theirs"))
	}
	rules, err := diff.LoadRules(filepath.Join(root, "tests/compat/allowed-differences.json"),
		filepath.Join(root, "tests/compat/shared-server.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep := diff.Compare(ours, theirs, rules)
	var out bytes.Buffer
	_ = rep.WriteText(&out, 30)
	if rep.HasDifferences() {
		t.Errorf("connectd differs from Debezium over the same events:\n%s", out.String())
	} else {
		t.Logf("no differences: %s", out.String())
	}
	// The checks were exercised: offsets, schema history, streamed and snapshot records.
	for _, topic := range []string{diff.OffsetsTopic, diff.HistoryTopic} {
		if len(ours.Topics[topic]) == 0 || len(theirs.Topics[topic]) == 0 {
			t.Errorf("%s: ours %d records, Debezium's %d: not compared", topic, len(ours.Topics[topic]), len(theirs.Topics[topic]))
		}
	}
	if theirs.Count(diff.StreamingRecords) == 0 || theirs.Count(diff.SnapshotRecords) == 0 || rep.Allowed["processing-time"] == 0 {
		t.Errorf("the comparison saw %d streamed and %d snapshot records of Debezium's, and checked %d processing times: the run did not do its job",
			theirs.Count(diff.StreamingRecords), theirs.Count(diff.SnapshotRecords), rep.Allowed["processing-time"])
	}
}

// waitChanges waits until the topics of prefix other than its transaction topic (which other
// clients' transactions reach too) hold at least n records in all.
func waitChanges(ctx context.Context, kafka, prefix string, n int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var have int64
	counts := map[string]int64{}
	for {
		lctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		topics, err := diff.PrefixTopics(lctx, adm, prefix)
		if err != nil {
			cancel()
			return err
		}
		var change []string
		for _, t := range topics {
			if t != prefix+".transaction" {
				change = append(change, t)
			}
		}
		have = 0
		if len(change) > 0 {
			ends, err := adm.ListEndOffsets(lctx, change...)
			if err != nil {
				cancel()
				return fmt.Errorf("could not list the end offsets of %s: %w", prefix, err)
			}
			ends.Each(func(e kadm.ListedOffset) { have += max(e.Offset, 0); counts[e.Topic] = e.Offset })
		}
		cancel()
		if have >= int64(n) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the topics of %s hold %d records (%v), want %d: %w", prefix, have, counts, n, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
