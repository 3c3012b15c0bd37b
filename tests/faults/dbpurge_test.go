package faults

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// TestMariaDBBinlogRotation: the (private) MariaDB server rotates its binlog again and again
// while changes stream, and purges the files the connector has read.
func TestMariaDBBinlogRotation(t *testing.T) {
	src := newPrivMaria(t)
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	rnd := rand.New(rand.NewSource(seed + 300))
	began := time.Now()
	rows := int64(1000)
	prefix, topic, consumer := preloadTopic(t, src, rows, "rotate")
	w := startWorker(t, t.TempDir(), 1, src.connector(prefix), nil, nil)
	waitDistinct(t, consumer, topic, rows)
	load := startWorkload(src, seed, rows)
	defer load.stop()
	const flushes = 10
	purged := 0
	for i := 1; i <= flushes; i++ {
		time.Sleep(time.Duration(300+rnd.Intn(900)) * time.Millisecond)
		src.exec("FLUSH BINARY LOGS")
		if i%3 == 0 {
			// Files before the one the connector reads are done with: purge them as a DBA would
			// (a file still being sent is kept by the server).
			logs := src.binlogs()
			if len(logs) > 2 {
				src.exec("PURGE BINARY LOGS TO '" + logs[len(logs)-2] + "'")
				purged++
			}
		}
		if c, task, trace := w.state(); c != "RUNNING" || task != "RUNNING" {
			t.Fatalf("rotation %d: the status says connector %q, task %q: %.400s", i, c, task, trace)
		}
	}
	time.Sleep(time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	assertNoPanic(t, w)
	finish(t, src, w, consumer, topic, rows, result{connector: src.name(),
		fault: fmt.Sprintf("binlog rotated %d times while streaming, read files purged %d times", flushes, purged), faults: flushes},
		began, load)
}

// TestMariaDBBinlogPurged: the binlog is purged past the position of the stopped connector.
func TestMariaDBBinlogPurged(t *testing.T) {
	src := newPrivMaria(t)
	runPositionGone(t, src, "binlog purged past the stopped connector's offset", func() {
		src.exec("FLUSH BINARY LOGS", "FLUSH BINARY LOGS")
		logs := src.binlogs()
		// The server keeps a file until InnoDB no longer needs it for crash recovery (its binlog
		// checkpoint), a moment after the rotation: purge until it is gone.
		for end := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
			src.exec("PURGE BINARY LOGS TO '" + logs[len(logs)-1] + "'")
			got := src.binlogs()
			if len(got) == 1 {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("the purge left binlogs %v", got)
			}
		}
	}, []string{"is no longer on the server", "snapshot.mode=when_needed"})
}

// TestPostgresSlotInvalidated: the stopped connector's slot is invalidated by
// max_slot_wal_keep_size.
func TestPostgresSlotInvalidated(t *testing.T) {
	src := newPrivPG(t, "max_slot_wal_keep_size=4MB")
	src.exec("CREATE TABLE public.filler (id serial PRIMARY KEY, v text)")
	runPositionGone(t, src, "slot invalidated by max_slot_wal_keep_size while the connector was stopped", func() {
		status := ""
		for i := 0; i < 100 && status != "lost"; i++ {
			// About 1 MB of WAL outside the captured schema, a new segment, and a checkpoint,
			// which invalidates a slot that holds more than max_slot_wal_keep_size.
			src.exec("INSERT INTO public.filler (v) SELECT repeat('x', 1000) FROM generate_series(1, 1000)",
				"SELECT pg_switch_wal()", "CHECKPOINT")
			rows, err := src.query("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'faults'")
			if err != nil || len(rows) != 1 {
				t.Fatalf("the slot: %v %v", rows, err)
			}
			status = rows[0][0]
		}
		if status != "lost" {
			t.Fatalf("the slot's wal_status is %q after 100 MB of WAL, not lost", status)
		}
	}, []string{`"faults"`, "max_slot_wal_keep_size", "snapshot.mode=when_needed"})
}

// runPositionGone is the purged-position case. The connector streams under the workload and
// catches up; it is stopped, the workload writes more, and lose (the fault) makes the stored
// position unavailable. Restarted (snapshot.mode=initial) the task must go FAILED, with a trace
// containing each of want (what is gone and what to do), deliver nothing and not panic; restarted
// with snapshot.mode=when_needed it must take a new snapshot and stream on. Every version must be
// in Kafka but those written while the connector was stopped, of which the new snapshot reads
// each row's last.
func runPositionGone(t *testing.T, src privSource, fault string, lose func(), want []string) {
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	began := time.Now()
	rows := int64(1000)
	prefix, topic, consumer := preloadTopic(t, src, rows, "gone")
	dir := t.TempDir()
	conn := src.connector(prefix)
	w := startWorker(t, dir, 1, conn, nil, nil)
	waitDistinct(t, consumer, topic, rows)
	load := startWorkload(src, seed, rows)
	defer load.stop()
	time.Sleep(3 * time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	before := waitCaughtUp(t, src, consumer, topic, purgeGap{}, "streaming before the stop")
	w.stop()

	// Changes the stopped connector does not see, then the fault.
	maxID := int64(0)
	for id := range before {
		maxID = max(maxID, id)
	}
	load = startWorkload(src, seed+1, maxID)
	time.Sleep(2 * time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload while the connector was stopped: %v", err)
	}
	lose()
	after := src.table()
	g := purgeGap{before: before, after: after}

	consumer.Settle(time.Second)
	delivered := len(consumer.Records(topic))
	w = startWorker(t, dir, 2, conn, nil, nil)
	trace := waitTaskFailed(t, w, "restart with the position gone", time.Minute)
	t.Logf("the task failed: %.600s", trace)
	for _, s := range want {
		if !strings.Contains(trace, s) {
			t.Errorf("the trace does not say %q: %s", s, trace)
		}
	}
	assertStaysFailed(t, w)
	consumer.Settle(time.Second)
	if n := len(consumer.Records(topic)); n != delivered {
		t.Errorf("the failed task delivered %d records", n-delivered)
	}
	assertNoPanic(t, w)
	w.stop()

	conn["snapshot.mode"] = "when_needed"
	w = startWorker(t, dir, 3, conn, nil, nil)
	waitVersions(t, consumer, topic, after, 2*time.Minute)
	waitTaskStreaming(t, w, "the new snapshot", time.Minute)
	for id := range after {
		maxID = max(maxID, id)
	}
	load = startWorkload(src, seed+2, maxID)
	defer load.stop()
	time.Sleep(3 * time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload after the new snapshot: %v", err)
	}
	assertNoPanic(t, w)
	finishPurgeGap(t, src, w, consumer, topic, g, result{connector: src.name(),
		fault:  fmt.Sprintf("%s: FAILED with the cause, then snapshot.mode=when_needed snapshots again (%d versions written meanwhile not expected)", fault, g.count()),
		faults: 1}, began, load)
}
