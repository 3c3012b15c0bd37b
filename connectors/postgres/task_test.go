package postgres

import (
	"fmt"
	"testing"
	"time"
)

// TestSnapshotThenStream: the initial snapshot reads the rows present when the slot was created,
// with Debezium's markers and offsets; changes made afterwards stream as c/u/d events with
// tombstones, and offsets carry lsn_commit, never ahead of what was processed.
func TestSnapshotThenStream(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.customers (id int PRIMARY KEY, name text NOT NULL, email varchar(100));
		CREATE TABLE %[1]s.orders (id bigint PRIMARY KEY, customer int, amount numeric(10,2));
		INSERT INTO %[1]s.customers VALUES (1, 'ann', 'ann@x'), (2, 'bob', NULL);
		INSERT INTO %[1]s.orders VALUES (10, 1, 12.50)`, e.schema))
	// A publication of this test's tables only: with FOR ALL TABLES, the commits of other tests
	// writing at the same time reach the slot, and the first streamed sequence would follow one.
	task := e.start("publication.autocreate.mode", "filtered")
	recs := e.poll(task, 3)
	wantMarkers := []string{"first", "last_in_data_collection", "last"}
	for i, r := range recs {
		d := decode(r)
		if d.op != "r" {
			t.Fatalf("record %d op %q, want r", i, d.op)
		}
		if d.source["snapshot"] != wantMarkers[i] {
			t.Errorf("record %d snapshot marker %v, want %s", i, d.source["snapshot"], wantMarkers[i])
		}
		if d.offset["snapshot"] != "INITIAL" || d.offset["last_snapshot_record"] != (i == 2) || d.offset["snapshot_completed"] != (i == 2) {
			t.Errorf("record %d offset %v", i, d.offset)
		}
		if _, ok := d.offset["lsn"].(int64); !ok {
			t.Errorf("record %d offset lsn %T, want int64", i, d.offset["lsn"])
		}
	}
	d := decode(recs[0])
	if d.topic != e.prefix+"."+e.schema+".customers" || d.key["id"] != int32(1) || d.after["name"] != "ann" || d.after["email"] != "ann@x" {
		t.Errorf("first snapshot record: %+v", d)
	}
	if d.source["connector"] != "postgresql" || d.source["db"] != e.db.Database || d.source["schema"] != e.schema || d.source["table"] != "customers" {
		t.Errorf("source block: %v", d.source)
	}
	if o := decode(recs[2]); o.after["amount"] != "12.50" || o.topic != e.prefix+"."+e.schema+".orders" {
		t.Errorf("orders snapshot record: %+v", o)
	}
	e.commit(task, recs)

	e.exec(fmt.Sprintf(`INSERT INTO %[1]s.customers VALUES (3, 'cid', 'c@x')`, e.schema),
		fmt.Sprintf(`BEGIN; UPDATE %[1]s.customers SET email = 'new@x' WHERE id = 1; DELETE FROM %[1]s.customers WHERE id = 2; COMMIT`, e.schema))
	recs = e.poll(task, 4) // c, u, d, tombstone
	c, u, del, tomb := decode(recs[0]), decode(recs[1]), decode(recs[2]), decode(recs[3])
	if c.op != "c" || c.after["id"] != int32(3) || c.before != nil || c.source["snapshot"] != nil {
		t.Errorf("insert: %+v", c)
	}
	if u.op != "u" || u.after["email"] != "new@x" || u.before != nil {
		t.Errorf("update (REPLICA IDENTITY DEFAULT has no before): %+v", u)
	}
	if del.op != "d" || del.before["id"] != int32(2) || del.before["name"] != "" || del.after != nil {
		t.Errorf("delete (key-only before; NOT NULL name gets Debezium's fallback \"\"): %+v", del)
	}
	if !tomb.tomb || tomb.key["id"] != int32(2) {
		t.Errorf("tombstone: %+v", tomb)
	}
	if u.source["txId"] != del.source["txId"] || u.source["txId"] == c.source["txId"] {
		t.Errorf("txIds: insert %v, update %v, delete %v", c.source["txId"], u.source["txId"], del.source["txId"])
	}
	// The update's transaction started after the insert's commit: its lsn_commit is that commit.
	if u.offset["lsn_commit"].(int64) <= c.offset["lsn_commit"].(int64) {
		t.Errorf("lsn_commit did not advance: %v then %v", c.offset, u.offset)
	}
	if u.offset["messageType"] != "UPDATE" || u.offset["lsn_events_processed"] != int64(1) {
		t.Errorf("update offset: %v", u.offset)
	}
	if seq := u.source["sequence"].(string); seq != fmt.Sprintf(`["%d","%d"]`, u.offset["lsn_commit"], u.offset["lsn"]) {
		t.Errorf("sequence %s, offset %v", seq, u.offset)
	}
	// The first transaction streamed after the snapshot follows no commit seen by this run: its
	// sequence starts with null, as Debezium's (tests/compat reference, orders record 2).
	if seq := c.source["sequence"].(string); seq != fmt.Sprintf(`[null,"%d"]`, c.offset["lsn"]) {
		t.Errorf("first streamed sequence %s, offset %v", seq, c.offset)
	}
}

// TestLSNConfirmedOnlyAfterCommit: the slot's confirmed_flush_lsn moves only to positions whose
// offsets were committed.
func TestLSNConfirmedOnlyAfterCommit(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY)`, e.schema))
	task := e.start()
	e.waitStreaming(task)
	before, _ := e.slotLSNs()
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (1)`, e.schema), fmt.Sprintf(`INSERT INTO %s.t VALUES (2)`, e.schema))
	recs := e.poll(task, 2)
	time.Sleep(1500 * time.Millisecond) // several status intervals
	if now, _ := e.slotLSNs(); now != before {
		t.Fatalf("confirmed_flush_lsn moved from %s to %s before any offset was committed", before, now)
	}
	e.commit(task, recs[:2])
	want := recs[1].SourceOffset["lsn_commit"].(int64)
	waitFor(t, "confirmed_flush_lsn to reach the committed lsn_commit", func() bool {
		c, _ := e.slotLSNs()
		return lsnOf(t, c) == want
	})
}

func lsnOf(t *testing.T, s string) int64 {
	var hi, lo uint32
	if _, err := fmt.Sscanf(s, "%X/%X", &hi, &lo); err != nil {
		t.Fatalf("bad LSN %q", s)
	}
	return int64(hi)<<32 | int64(lo)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
