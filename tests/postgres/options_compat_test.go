package postgres

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// TestCompatOptionsWithDebezium runs the options comparison (tests/compat/workload/options,
// configs/options/dbz-compat-pg-options.json: masking, v1 and v2 hashing, truncation,
// message.key.columns, DefaultTopicNamingStrategy with topic.delimiter "-",
// field.name.adjustment.mode=avro, column/datatype.propagate.source.type,
// snapshot.include.collection.list and snapshot.select.statement.overrides) through connectd and
// compares its output with what Debezium wrote for it (tests/compat/reference/postgres/options,
// tests/compat/capture-debezium-options), under allowed-differences.json and different-run.json.
//
// It drops and recreates the database compat_opt, which only the options comparison uses, under
// an advisory lock of its own.
func TestCompatOptionsWithDebezium(t *testing.T) {
	root, tb, kafka := prepareCompat(t, lockCompatOptions, "options/", "compat_opt")
	ctx := context.Background()

	theirs, err := diff.LoadDump(filepath.Join(root, "tests/compat/reference/postgres/options"))
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("cpgopt_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	name := "cpg-options"
	cfg := compatConfig(t, tb, root, "options/dbz-compat-pg-options.json", prefix)
	offsetsTopic := prefix + "_offsets"
	topics := diff.WithDelimiter(prefix, cfg["topic.delimiter"])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{topics}, []string{offsetsTopic}); err != nil {
			t.Logf("could not delete the comparison's topics: %v", err)
		}
	})
	t.Cleanup(func() { dropSlot(t, tb, prefix) })
	w := e2e.StartWorker(t, offsetsTopic)
	w.Create(name, cfg)
	w.WaitState(name, "RUNNING")
	// As many snapshot records as Debezium wrote (customers 1 and 3: the override leaves 2 out;
	// nokey and withpk; nothing of audit, outside snapshot.include.collection.list), then quiet.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := waitRecords(wctx, kafka, topics, optionsRecords(theirs, true)); err != nil {
		t.Error(err)
	}
	qctx, qcancel := context.WithTimeout(ctx, 30*time.Second)
	defer qcancel()
	if _, err := diff.WaitQuiet(qctx, []string{kafka}, []string{topics}, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	compatSQL(t, tb, root, "compat_opt", "options/postgres-streaming.sql")
	if err := waitRecords(wctx, kafka, topics, optionsRecords(theirs, false)); err != nil {
		t.Error(err) // compared all the same: the differences say what is missing
	}
	q2ctx, q2cancel := context.WithTimeout(ctx, 30*time.Second)
	defer q2cancel()
	if _, err := diff.WaitQuiet(q2ctx, []string{kafka}, []string{topics}, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	w.Stop() // flush the last offsets

	rules, err := diff.LoadRules(filepath.Join(root, "tests/compat/allowed-differences.json"),
		filepath.Join(root, "tests/compat/different-run.json"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := diff.ReadKafka(ctx, diff.Source{Brokers: []string{kafka},
		Manifest: diff.Manifest{Prefix: prefix, Delimiter: cfg["topic.delimiter"], Connector: name, OffsetsTopic: offsetsTopic}})
	if err != nil {
		t.Fatal(err)
	}
	keepOurs(t, ours, "options")
	reportDiff(t, diff.Compare(ours, theirs, rules), "Debezium for the options comparison")
}

// lockCompatOptions takes a session advisory lock for the database compat_opt, held until the
// test ends, so two runs of the options comparison never reset it under each other.
func lockCompatOptions(t *testing.T, tb testbed.DB) {
	t.Helper()
	// The key is "compatop" in ASCII.
	lockDatabase(t, tb, 7165065861608533872, "compat_opt", "the options comparison")
}

// optionsRecords counts the records of a dump's data topics: only the snapshot's (op "r") with
// snapshot set, else all of them.
func optionsRecords(d *diff.Dump, snapshot bool) int {
	n := 0
	for logical, recs := range d.Topics {
		if logical == diff.OffsetsTopic || logical == diff.HistoryTopic {
			continue
		}
		for _, r := range recs {
			if !snapshot || bytes.Contains(r.Value, []byte(`"op":"r"`)) {
				n++
			}
		}
	}
	return n
}
