package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// TestAlterTableMidStream: Relation messages carry ALTER TABLE into the events' schemas.
func TestAlterTableMidStream(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, a text)`, e.schema))
	task := e.start()
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (1, 'x')`, e.schema),
		fmt.Sprintf(`ALTER TABLE %s.t ADD COLUMN b int NOT NULL DEFAULT 7`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.t VALUES (2, 'y', 8)`, e.schema),
		fmt.Sprintf(`ALTER TABLE %s.t DROP COLUMN a`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.t VALUES (3, 9)`, e.schema))
	recs := e.poll(task, 3)
	fields := func(r *api.SourceRecord) string {
		var names []string
		for _, f := range r.ValueSchema.Field("after").Schema.Fields {
			names = append(names, f.Name)
		}
		return strings.Join(names, ",")
	}
	for i, want := range []string{"id,a", "id,a,b", "id,b"} {
		if got := fields(recs[i]); got != want {
			t.Errorf("event %d columns %s, want %s", i, got, want)
		}
	}
	if d := decode(recs[1]); d.after["b"] != int32(8) {
		t.Errorf("after ADD COLUMN: %v", d.after)
	}
	if f := recs[1].ValueSchema.Field("after").Schema.Field("b"); f.Schema.Optional || f.Schema.Default != int32(7) {
		t.Errorf("added NOT NULL DEFAULT 7 column: optional=%v default=%v", f.Schema.Optional, f.Schema.Default)
	}
	if d := decode(recs[2]); d.after["b"] != int32(9) {
		t.Errorf("after DROP COLUMN: %v", d.after)
	}
}

// TestTruncateAndTransactionMetadata: TRUNCATE is an op "t" event (when not skipped), and with
// provide.transaction.metadata each transaction is framed by BEGIN and END records whose ids are
// Debezium's "<txId>:<lsn>", with per-table counts, and each event carries its transaction block.
func TestTruncateAndTransactionMetadata(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.a (id int PRIMARY KEY); CREATE TABLE %[1]s.b (id int PRIMARY KEY)`, e.schema))
	// A publication of this test's tables only: with FOR ALL TABLES, the transactions of other
	// tests writing at the same time reach the slot and frame no event of this test's tables.
	task := e.start("provide.transaction.metadata", "true", "tombstones.on.delete", "false", "publication.autocreate.mode", "filtered")
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`BEGIN; INSERT INTO %[1]s.a VALUES (1), (2); INSERT INTO %[1]s.b VALUES (1); COMMIT`, e.schema),
		fmt.Sprintf(`TRUNCATE %[1]s.a`, e.schema))
	recs := e.poll(task, 8) // BEGIN, 3 inserts, END, BEGIN, truncate, END
	txTopic := e.prefix + ".transaction"
	begin, end := plain(recs[0].Value).(map[string]any), plain(recs[4].Value).(map[string]any)
	if recs[0].Topic != txTopic || begin["status"] != "BEGIN" || end["status"] != "END" || end["event_count"] != int64(3) {
		t.Fatalf("transaction records: %v / %v", begin, end)
	}
	txID := decode(recs[1]).source["txId"].(int64)
	if id := begin["id"].(string); !strings.HasPrefix(id, fmt.Sprintf("%d:", txID)) {
		t.Errorf("BEGIN id %q, want %d:<lsn>", id, txID)
	}
	// data_collections come in Java HashMap order of the table names (as Debezium's), which depends
	// on this test's random schema name: look the counts up by name.
	colls := end["data_collections"].([]any)
	counts := map[string]any{}
	for _, c := range colls {
		m := c.(map[string]any)
		counts[m["data_collection"].(string)] = m["event_count"]
	}
	if len(colls) != 2 || counts[e.schema+".a"] != int64(2) || counts[e.schema+".b"] != int64(1) {
		t.Errorf("END data_collections: %v", colls)
	}
	for i, wantOrder := range []int64{1, 2, 3} {
		v := plain(recs[1+i].Value).(map[string]any)
		tx := v["transaction"].(map[string]any)
		if tx["total_order"] != wantOrder {
			t.Errorf("event %d transaction block %v", i, tx)
		}
		off := recs[1+i].SourceOffset
		if off["transaction_id"] != fmt.Sprint(txID) {
			t.Errorf("event %d offset transaction_id %v", i, off["transaction_id"])
		}
	}
	tr := decode(recs[6])
	if tr.op != "t" || recs[6].Key != nil || tr.before != nil || tr.after != nil || tr.source["table"] != "a" {
		t.Errorf("truncate event: %+v key=%v", tr, recs[6].Key)
	}
}

// TestHeartbeatsMoveSlotAndStoppedSlotHoldsWAL: with only an uncaptured table changing, the
// heartbeats' offsets, once committed, move the slot (confirmed_flush_lsn and restart_lsn advance,
// so WAL does not pile up); with the task stopped the slot does not move and a restart streams
// every captured change made meanwhile.
//
// With publication.autocreate.mode=all_tables the server sends the uncaptured table's
// transactions and the connector drops them; with filtered the server sends nothing for them (it
// skips empty transactions) and only its keepalives tell how far WAL has gone.
func TestHeartbeatsMoveSlotAndStoppedSlotHoldsWAL(t *testing.T) {
	for _, mode := range []string{"all_tables", "filtered"} {
		t.Run(mode, func(t *testing.T) { testHeartbeats(t, mode) })
	}
}

func testHeartbeats(t *testing.T, pubMode string) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.t (id int PRIMARY KEY); CREATE TABLE %[1]s.noise (id serial PRIMARY KEY, pad text)`, e.schema))
	hbTopic := "__debezium-heartbeat." + e.prefix
	kv := []string{"heartbeat.interval.ms", "200", "table.exclude.list", e.schema + `\.noise`, "publication.autocreate.mode", pubMode}
	task := e.start(kv...)
	e.waitStreaming(task)
	c0, r0 := e.slotLSNs()
	deadline := time.Now().Add(60 * time.Second)
	for {
		e.exec(fmt.Sprintf(`INSERT INTO %s.noise (pad) SELECT repeat('x', 200) FROM generate_series(1, 200)`, e.schema), "CHECKPOINT")
		recs, err := task.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Topic != hbTopic {
				t.Fatalf("unexpected record from an uncaptured table: %s", describe([]*api.SourceRecord{r}))
			}
		}
		e.commit(task, recs)
		c, r := e.slotLSNs()
		if lsnOf(t, c) > lsnOf(t, c0) && lsnOf(t, r) > lsnOf(t, r0) {
			t.Logf("slot moved: confirmed %s -> %s, restart %s -> %s; task status %+v", c0, c, r0, r, task.Status())
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot did not advance with heartbeats: confirmed %s -> %s, restart %s -> %s", c0, c, r0, r)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if st := task.Status(); st.Phase != "streaming" || st.ConfirmedLSN == "" {
		t.Errorf("status %+v", st)
	}
	if err := task.Stop(); err != nil {
		t.Fatal(err)
	}
	// The walsender handles the task's last status update before it exits.
	waitFor(t, "the slot to be released", func() bool {
		return e.queryRow(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, e.slot)[0] == "f"
	})
	c1, r1 := e.slotLSNs()
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (1)`, e.schema))
	for i := 0; i < 3; i++ {
		e.exec(fmt.Sprintf(`INSERT INTO %s.noise (pad) SELECT repeat('x', 200) FROM generate_series(1, 200)`, e.schema), "CHECKPOINT")
	}
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (2)`, e.schema))
	if c2, r2 := e.slotLSNs(); c2 != c1 || r2 != r1 {
		t.Fatalf("stopped slot moved: confirmed %s -> %s, restart %s -> %s", c1, c2, r1, r2)
	}
	task = e.start(kv...)
	var got []int32
	for len(got) < 2 {
		recs, err := task.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Topic != hbTopic {
				got = append(got, decode(r).after["id"].(int32))
			}
		}
	}
	if got[0] != 1 || got[1] != 2 || len(got) != 2 {
		t.Errorf("after restart got ids %v, want [1 2]", got)
	}
}

// TestStreamedTransactions: with logical_decoding_work_mem at its minimum, large transactions
// arrive as streamed chunks while they run (protocol 2). They must come out whole, at their commit
// position (after a small transaction that committed while they ran), without the rows of a
// rolled-back savepoint, not at all when rolled back, and after a restart inside one, without
// duplicates.
func TestStreamedTransactions(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, pad text)`, e.schema))
	kv := []string{"connectd.pgoutput.logical.decoding.work.mem.kb", "64"}
	task := e.start(kv...)
	e.waitStreaming(task)
	c, err := ParseConfig(e.config())
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.connect(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(other)
	run := func(sql string) {
		t.Helper()
		if _, err := simpleQuery(t.Context(), other, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	ins := func(from, to int) string {
		return fmt.Sprintf(`INSERT INTO %s.t SELECT g, repeat('p', 100) FROM generate_series(%d, %d) g`, e.schema, from, to)
	}
	run("BEGIN")
	run(ins(1, 3000))
	run("SAVEPOINT s")
	run(ins(5001, 5500))
	run("ROLLBACK TO SAVEPOINT s")
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (9000, 'small')`, e.schema)) // commits while the big one runs
	run(ins(3001, 4000))
	run("COMMIT")
	run("BEGIN")
	run(ins(10001, 13000))
	run("ROLLBACK")
	e.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (20000, 'after')`, e.schema))

	recs := e.poll(task, 4002)
	ids := func(recs []*api.SourceRecord) []int32 {
		out := make([]int32, len(recs))
		for i, r := range recs {
			out[i] = decode(r).after["id"].(int32)
		}
		return out
	}
	got := ids(recs)
	if got[0] != 9000 || got[4001] != 20000 {
		t.Fatalf("order: first %d, last %d; want 9000 then the large transaction then 20000", got[0], got[4001])
	}
	for i := 1; i <= 4000; i++ {
		if got[i] != int32(i) {
			t.Fatalf("event %d is id %d, want %d", i, got[i], i)
		}
	}
	if n := task.replayed.Load(); n < 1 {
		t.Fatalf("no transaction was streamed by the server (replayed %d); the test does not exercise protocol 2 streaming", n)
	}
	txID := decode(recs[1]).source["txId"]
	if decode(recs[4000]).source["txId"] != txID {
		t.Errorf("the streamed transaction's events carry different txIds")
	}

	// Restart inside the streamed transaction: its events after the committed one, once.
	e.commit(task, recs[:2001]) // 9000 and 1..2000
	_ = task.Stop()
	task = e.start(kv...)
	recs = e.poll(task, 2001)
	got = ids(recs)
	if got[0] != 2001 || got[1999] != 4000 || got[2000] != 20000 {
		t.Fatalf("after restart: first %d, 2000th %d, last %d", got[0], got[1999], got[2000])
	}
	e.quiet(task, 500*time.Millisecond)
}

// TestHeartbeatActionQuery: heartbeat.action.query runs on every heartbeat, so a captured
// heartbeat table changes (and WAL moves) even when nothing else does.
func TestHeartbeatActionQuery(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.hb (id int PRIMARY KEY, ts timestamptz)`, e.schema))
	task := e.start("heartbeat.interval.ms", "200",
		"heartbeat.action.query", fmt.Sprintf(`INSERT INTO %s.hb VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = now()`, e.schema))
	e.waitStreaming(task)
	changes := 0
	deadline := time.Now().Add(30 * time.Second)
	for changes < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("heartbeat.action.query produced %d change events", changes)
		}
		recs, err := task.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Topic == e.prefix+"."+e.schema+".hb" {
				changes++
			}
		}
	}
}
