package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/snapshotmode"
)

// TestRestartFromOffset: a task restarted with the committed offset streams exactly the changes
// made after it, including those made while it was stopped (the slot held the WAL), and takes
// no new snapshot.
func TestRestartFromOffset(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.t (id int PRIMARY KEY, v text); INSERT INTO %[1]s.t VALUES (1, 'snap')`, e.schema))
	task := e.start()
	e.commit(task, e.poll(task, 1))
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.t VALUES (2, 'a'), (3, 'a')`, e.schema))
	e.commit(task, e.poll(task, 2))
	if err := task.Stop(); err != nil {
		t.Fatal(err)
	}
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.t VALUES (4, 'while stopped')`, e.schema),
		fmt.Sprintf(`UPDATE %[1]s.t SET v = 'b' WHERE id = 2`, e.schema))

	task = e.start()
	recs := e.poll(task, 2)
	if d := decode(recs[0]); d.op != "c" || d.after["id"] != int32(4) {
		t.Errorf("first record after restart: %s", describe(recs[:1]))
	}
	if d := decode(recs[1]); d.op != "u" || d.after["id"] != int32(2) || d.after["v"] != "b" {
		t.Errorf("second record after restart: %s", describe(recs[1:]))
	}
	e.quiet(task, time.Second)
}

// TestRestartInsideTransaction: when the last committed offset is inside a transaction, the
// restarted task gets the whole transaction again from the server and emits only its events
// after that offset: no duplicates and no gap, for single-row WAL records and for COPY's
// multi-row records whose rows share one LSN.
func TestRestartInsideTransaction(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.t (id int PRIMARY KEY, v text)`, e.schema))
	task := e.start()
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.t SELECT g, 'x' FROM generate_series(1, 10) g`, e.schema))
	recs := e.poll(task, 10)
	e.commit(task, recs[:4])
	_ = task.Stop()

	task = e.start()
	recs = e.poll(task, 6)
	for i, r := range recs {
		if d := decode(r); d.after["id"] != int32(5+i) {
			t.Fatalf("after restart record %d: %s", i, describe(recs))
		}
	}
	e.quiet(task, 500*time.Millisecond)

	// COPY writes multi-insert WAL records: many rows at one LSN, told apart by
	// lsn_events_processed.
	var b strings.Builder
	for i := 100; i < 130; i++ {
		fmt.Fprintf(&b, "%d\tcopy\n", i)
	}
	if _, err := e.admin.CopyFrom(context.Background(), strings.NewReader(b.String()), fmt.Sprintf("COPY %s.t FROM STDIN", e.schema)); err != nil {
		t.Fatal(err)
	}
	recs = e.poll(task, 30)
	if recs[10].SourceOffset["lsn"] != recs[11].SourceOffset["lsn"] {
		t.Logf("COPY rows have distinct LSNs here; the same-LSN path is not exercised")
	}
	e.commit(task, recs[:12])
	_ = task.Stop()
	task = e.start()
	recs = e.poll(task, 18)
	for i, r := range recs {
		if d := decode(r); d.after["id"] != int32(112+i) {
			t.Fatalf("after restart inside COPY, record %d: %s", i, describe(recs))
		}
	}
	e.quiet(task, 500*time.Millisecond)
}

// TestDroppedSlot: a stored offset whose slot was dropped is a purged position. Under
// snapshot.mode=initial the task refuses to start and explains why and what to do; under
// when_needed it takes a new snapshot.
func TestDroppedSlot(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.t (id int PRIMARY KEY); INSERT INTO %[1]s.t VALUES (1), (2)`, e.schema))
	task := e.start()
	e.commit(task, e.poll(task, 2))
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.t VALUES (3)`, e.schema))
	e.commit(task, e.poll(task, 1))
	_ = task.Stop()
	e.exec(fmt.Sprintf(`SELECT pg_drop_replication_slot('%s')`, e.slot))
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.t VALUES (4)`, e.schema))

	_, err := e.tryStart("snapshot.mode", "initial")
	if err == nil {
		t.Fatal("Start succeeded with a dropped slot under snapshot.mode=initial")
	}
	t.Logf("Start error: %v", err)
	var pe *snapshotmode.PurgedError
	if !asPurged(err, &pe) {
		t.Fatalf("error is not a PurgedError: %v", err)
	}
	for _, want := range []string{"no replication slot named", e.slot, "snapshot.mode=when_needed", "offsets"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if c, _ := e.slotLSNs(); c != "" {
		t.Fatalf("a slot was created for the stored offset (confirmed at %s)", c)
	}

	task = e.start("snapshot.mode", "when_needed")
	recs := e.poll(task, 4)
	for i, r := range recs {
		if d := decode(r); d.op != "r" || d.after["id"] != int32(i+1) {
			t.Fatalf("re-snapshot record %d: %s", i, describe(recs))
		}
	}
	e.commit(task, recs)
	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.t VALUES (5)`, e.schema))
	if d := decode(e.poll(task, 1)[0]); d.op != "c" || d.after["id"] != int32(5) {
		t.Errorf("stream after re-snapshot: %+v", d)
	}
}

func asPurged(err error, pe **snapshotmode.PurgedError) bool {
	for err != nil {
		if p, ok := err.(*snapshotmode.PurgedError); ok {
			*pe = p
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestReconnectAfterLostConnection: when the replication connection breaks (here the walsender
// is terminated while the reader waits for room in the queue in the middle of a large
// transaction), the task reconnects by itself and continues after the events it had already
// queued: every row exactly once, in order.
func TestReconnectAfterLostConnection(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, pad text)`, e.schema))
	task := e.start("max.queue.size", "1000", "max.batch.size", "500")
	e.waitStreaming(task)
	// 10 MB in one transaction: far more than the socket buffers hold, so the connection breaks
	// while the server is still sending it.
	const rows = 40000
	e.exec(fmt.Sprintf(`INSERT INTO %s.t SELECT g, repeat('x', 250) FROM generate_series(1, %d) g`, e.schema, rows))
	// Let the queue fill, then cut the connection under the reader.
	waitFor(t, "the queue to fill", func() bool { return task.Reader.Queue.Len() >= 1000 })
	e.exec(fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s'`, e.slot))
	recs := e.poll(task, rows)
	for i, r := range recs {
		if id := decode(r).after["id"]; id != int32(i+1) {
			t.Fatalf("record %d is id %v, want %d", i, id, i+1)
		}
	}
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (100000)`, e.schema))
	if d := decode(e.poll(task, 1)[0]); d.after["id"] != int32(100000) {
		t.Errorf("after reconnect: %+v", d)
	}
	e.quiet(task, 500*time.Millisecond)
}

// TestErrorsMaxRetries: with errors.max.retries=0 a lost replication connection is not
// re-established: the task fails through Poll, naming the setting, with a permanent error (the
// shared supervisor's policy; TestReconnectAfterLostConnection shows the default, retrying).
func TestErrorsMaxRetries(t *testing.T) {
	e := newEnv(t)
	task := e.start("errors.max.retries", "0")
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s'`, e.slot))
	var err error
	for deadline := time.Now().Add(30 * time.Second); err == nil && time.Now().Before(deadline); {
		_, err = task.Poll(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), "errors.max.retries=0") || !api.IsPermanent(err) {
		t.Fatalf("Poll = %v, want a permanent error naming errors.max.retries=0", err)
	}
	if task.Status().Phase != "stopped" {
		t.Errorf("phase %s after the failure, want stopped", task.Status().Phase)
	}
}

// TestAlterOffsets: an offsets PATCH is checked against the server before it is accepted.
func TestAlterOffsets(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.t (id int PRIMARY KEY); INSERT INTO %[1]s.t VALUES (1)`, e.schema))
	task := e.start()
	recs := e.poll(task, 1)
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (2)`, e.schema))
	recs = append(recs, e.poll(task, 1)...)
	e.commit(task, recs)
	last := recs[1].SourceOffset
	waitFor(t, "the slot to confirm the committed position", func() bool {
		c, _ := e.slotLSNs()
		return lsnOf(t, c) == last["lsn_commit"].(int64)
	})
	_ = task.Stop()

	c := &Connector{}
	part := map[string]any{"server": e.prefix}
	if err := c.AlterOffsets(e.config(), []api.PartitionOffset{{Partition: part, Offset: last}}); err != nil {
		t.Errorf("the committed offset was refused: %v", err)
	}
	if err := c.AlterOffsets(e.config(), []api.PartitionOffset{{Partition: part, Offset: nil}}); err != nil {
		t.Errorf("a reset was refused: %v", err)
	}
	old := map[string]any{"lsn": int64(16), "lsn_proc": int64(16), "lsn_commit": int64(16), "txId": int64(1), "ts_usec": int64(0)}
	if err := c.AlterOffsets(e.config(), []api.PartitionOffset{{Partition: part, Offset: old}}); err == nil || !strings.Contains(err.Error(), "confirmed position") {
		t.Errorf("an offset before the slot's confirmed position: %v", err)
	}
	if err := c.AlterOffsets(e.config(), []api.PartitionOffset{{Partition: map[string]any{"server": "other"}, Offset: last}}); err == nil {
		t.Error("another connector's partition was accepted")
	}
	if err := c.AlterOffsets(e.config(), []api.PartitionOffset{{Partition: part, Offset: map[string]any{"file": "x"}}}); err == nil {
		t.Error("a MySQL offset was accepted")
	}
}
