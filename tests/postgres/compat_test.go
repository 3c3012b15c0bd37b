package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// TestCompatWithDebezium runs the compatibility workload (tests/compat/workload/postgres-*.sql)
// through connectd with the reference connector configurations (tests/compat/configs, names
// changed) and compares every topic, record, header and the final offset with what Debezium
// 3.7.0.Final wrote for the same workload (tests/compat/reference/postgres), allowing only the
// differences tests/compat/allowed-differences.json lists with their reasons and, since the
// reference was captured on another day, those of tests/compat/different-run.json.
//
// It drops and recreates the database "compat", which only the comparison uses (CI runs one test
// package at a time; tests/compat/capture-debezium, which uses it too, is run by hand).
func TestCompatWithDebezium(t *testing.T) {
	root, tb, kafka := prepareCompat(t, lockCompat, "", "compat")
	ctx := context.Background()

	// Both reference connectors (JSON without and with schemas) run side by side on one worker,
	// each with its own slot, as the reference capture ran them: both snapshot, then the streaming
	// workload runs once and both capture it.
	type run struct {
		reference, name, prefix string
		theirs                  *diff.Dump
	}
	var runs []run
	offsetsTopic := strings.ReplaceAll(testbed.Topic(t, "cpg-offsets"), "-", "_")
	t.Cleanup(func() {
		var prefixes []string
		for _, r := range runs {
			prefixes = append(prefixes, r.prefix)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, prefixes, []string{offsetsTopic}); err != nil {
			t.Logf("could not delete the comparison's topics: %v", err)
		}
	})
	w := e2e.StartWorker(t, offsetsTopic)
	for _, variant := range []struct{ config, reference string }{
		{"dbz-compat-pg-plain.json", "plain"},
		{"dbz-compat-pg.json", "schemas"},
	} {
		theirs, err := diff.LoadDump(filepath.Join(root, "tests/compat/reference/postgres", variant.reference))
		if err != nil {
			t.Fatal(err)
		}
		unique := fmt.Sprintf("cpg_%s_%d_%d", variant.reference, os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
		r := run{reference: variant.reference, name: "cpg-" + variant.reference, prefix: unique, theirs: theirs}
		cfg := compatConfig(t, tb, root, variant.config, unique)
		t.Cleanup(func() { dropSlot(t, tb, unique) })
		runs = append(runs, r)
		w.Create(r.name, cfg)
		w.WaitState(r.name, "RUNNING")
		c := e2e.NewConsumer(t, unique+".compat.unmapped_arrays")
		c.WaitFor(unique+".compat.unmapped_arrays", 1) // the last table of the snapshot
	}
	compatSQL(t, tb, root, "compat", "postgres-streaming.sql")

	// Wait until each run has written as many records as Debezium did, then until its topics stay
	// quiet a little longer, so records beyond Debezium's would be caught as differences too.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var prefixes []string
	for _, r := range runs {
		if err := waitRecords(wctx, kafka, r.prefix, r.theirs.Count("")); err != nil {
			// Compared all the same: the differences say what is missing.
			t.Error(err)
		}
		prefixes = append(prefixes, r.prefix)
	}
	qctx, qcancel := context.WithTimeout(ctx, 30*time.Second)
	defer qcancel()
	if _, err := diff.WaitQuiet(qctx, []string{kafka}, prefixes, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	w.Stop() // flush the last offsets, as the reference capture's last ones were

	// Only the normalisations of allowed-differences.json: the connector reads the database
	// compat alone, so no other test's transactions can reach its topics (shared-server.json
	// is for the MariaDB connector, which sees every transaction of the server).
	rules, err := diff.LoadRules(filepath.Join(root, "tests/compat/allowed-differences.json"),
		filepath.Join(root, "tests/compat/different-run.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		t.Run(r.reference, func(t *testing.T) {
			ours, err := diff.ReadKafka(ctx, diff.Source{Brokers: []string{kafka},
				Manifest: diff.Manifest{Prefix: r.prefix, Connector: r.name, OffsetsTopic: offsetsTopic}})
			if err != nil {
				t.Fatal(err)
			}
			keepOurs(t, ours, r.reference)
			reportDiff(t, diff.Compare(ours, r.theirs, rules), "Debezium 3.7.0.Final")
		})
	}
}

// prepareCompat takes the lock of a comparison's database db and resets it with the workload's
// postgres-reset.sql (run in the test bed's database) and postgres-snapshot.sql (run in db), dir
// being the workload's folder under tests/compat/workload ("" or "options/"). It returns the
// repository's root, the test bed's PostgreSQL and its Kafka.
func prepareCompat(t *testing.T, lock func(*testing.T, testbed.DB), dir, db string) (string, testbed.DB, string) {
	t.Helper()
	root := testbed.RepoRoot(t)
	tb := testbed.Postgres(t)
	kafka := testbed.Kafka(t)
	lock(t, tb)
	compatSQL(t, tb, root, tb.Database, dir+"postgres-reset.sql")
	compatSQL(t, tb, root, db, dir+"postgres-snapshot.sql")
	return root, tb, kafka
}

// compatSQL runs a compatibility workload file (tests/compat/workload) in database db.
func compatSQL(t *testing.T, tb testbed.DB, root, db, file string) {
	t.Helper()
	ctx := context.Background()
	sql, err := os.ReadFile(filepath.Join(root, "tests/compat/workload", file))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// One statement at a time, as psql sends them: several in one query would share an
	// implicit transaction, which DROP DATABASE refuses.
	for _, st := range strings.SplitAfter(string(sql), ";\n") {
		if strings.TrimSpace(stripComments(st)) == "" {
			continue
		}
		if _, err := conn.Exec(ctx, st).ReadAll(); err != nil {
			t.Fatalf("%s: %.200s: %v", file, st, err)
		}
	}
}

// waitRecords waits until the topics of prefix hold at least n records in all.
func waitRecords(ctx context.Context, kafka, prefix string, n int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var have int64
	for {
		topics, err := diff.PrefixTopics(ctx, adm, prefix)
		if err != nil {
			return err
		}
		have = 0
		if len(topics) > 0 {
			ends, err := adm.ListEndOffsets(ctx, topics...)
			if err != nil {
				return fmt.Errorf("could not list the end offsets of %s: %w", prefix, err)
			}
			ends.Each(func(e kadm.ListedOffset) { have += max(e.Offset, 0) })
		}
		if have >= int64(n) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the topics of %s hold %d records, Debezium wrote %d: %w", prefix, have, n, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stripComments drops SQL line comments.
func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// dropSlot drops a replication slot left by a test.
func dropSlot(t *testing.T, tb testbed.DB, slot string) {
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database))
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	for i := 0; i < 40; i++ {
		if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, slot)).ReadAll(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}
