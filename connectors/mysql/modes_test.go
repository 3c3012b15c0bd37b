package mysql

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// TestSnapshotModes checks the start decisions of the other snapshot modes on the real server.
func TestSnapshotModes(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")

	t.Run("never streams from the oldest binlog without reading rows", func(t *testing.T) {
		cfg := d.config("srvn", "snapshot.mode", "never", "schema.history.internal.skip.unparseable.ddl", "true")
		r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
		if err != nil {
			t.Fatal(err)
		}
		// The oldest binlog predates this test's tables: their CREATE TABLE is streamed, so
		// inserts after it decode; no snapshot read appears.
		d.exec("INSERT INTO t VALUES (2)")
		got := ops(t, r.pollUntil(2), "id")
		if got[0] != "c:1" || got[len(got)-1] != "c:2" {
			t.Fatalf("never: %v", got)
		}
	})

	t.Run("snapshot without the global read lock", func(t *testing.T) {
		r, err := startTask(t, d.config("srvl", "snapshot.locking.mode", "none"), &memHistory{}, &memOffsets{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ops(t, r.pollUntil(2), "id"); !reflect.DeepEqual(got, []string{"r:1", "r:2"}) {
			t.Fatalf("snapshot: %v", got)
		}
		r.waitStreaming()
		d.exec("INSERT INTO t VALUES (10)", "DELETE FROM t WHERE id = 10")
		if got := ops(t, r.pollUntil(3), "id"); !reflect.DeepEqual(got, []string{"c:10", "d:10", "tomb:10"}) {
			t.Fatalf("stream: %v", got)
		}
	})

	t.Run("initial_only snapshots and does not stream", func(t *testing.T) {
		r, err := startTask(t, d.config("srvo", "snapshot.mode", "initial_only"), &memHistory{}, &memOffsets{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ops(t, r.pollUntil(2), "id"); !reflect.DeepEqual(got, []string{"r:1", "r:2"}) {
			t.Fatalf("initial_only: %v", got)
		}
		d.exec("INSERT INTO t VALUES (3)")
		r.quiet(500 * time.Millisecond)
	})

	t.Run("always snapshots again although an offset exists", func(t *testing.T) {
		hist, offs := &memHistory{}, &memOffsets{}
		cfg := d.config("srvw", "snapshot.mode", "always")
		r, err := startTask(t, cfg, hist, offs)
		if err != nil {
			t.Fatal(err)
		}
		n := len(r.pollUntil(3))
		r.task.Stop()
		r2, err := startTask(t, cfg, hist, offs)
		if err != nil {
			t.Fatal(err)
		}
		if got := ops(t, r2.pollUntil(n), "id"); !reflect.DeepEqual(got, []string{"r:1", "r:2", "r:3"}) {
			t.Fatalf("always, second start: %v", got)
		}
	})

	t.Run("recovery rebuilds a lost history and streams from the offset", func(t *testing.T) {
		hist, offs := &memHistory{}, &memOffsets{}
		cfg := d.config("srvr")
		r, err := startTask(t, cfg, hist, offs)
		if err != nil {
			t.Fatal(err)
		}
		r.pollUntil(3)
		r.task.Stop()
		d.exec("INSERT INTO t VALUES (4)")
		// The history is lost: initial refuses to start, recovery rebuilds it.
		if _, err := startTask(t, cfg, &memHistory{}, offs); err == nil || !strings.Contains(err.Error(), "recovery") {
			t.Fatalf("initial without history: %v", err)
		}
		cfg["snapshot.mode"] = "recovery"
		r2, err := startTask(t, cfg, &memHistory{}, offs)
		if err != nil {
			t.Fatal(err)
		}
		if got := ops(t, r2.pollUntil(1), "id"); !reflect.DeepEqual(got, []string{"c:4"}) {
			t.Fatalf("recovery: %v", got)
		}
	})
}

// TestNoDataOnTablesWithRows: snapshot.mode=no_data, and its older name schema_only, read no row
// of tables that already hold rows, and streaming starts at the position of the schema snapshot:
// a change made before the start is not emitted, one made once the task streams is; restarted on
// its offset, the task continues from there with what changed while it was stopped.
func TestNoDataOnTablesWithRows(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c')")
	for i, mode := range []string{"no_data", "schema_only"} {
		t.Run(mode, func(t *testing.T) {
			d.exec(fmt.Sprintf("UPDATE t SET v = 'before %d' WHERE id = 1", i))
			hist, offs := &memHistory{}, &memOffsets{}
			cfg := d.config(fmt.Sprintf("srvnd%d", i), "snapshot.mode", mode, "database.server.id", strconv.Itoa(6690+i))
			r, err := startTask(t, cfg, hist, offs)
			if err != nil {
				t.Fatal(err)
			}
			r.waitStreaming()
			d.exec(fmt.Sprintf("INSERT INTO t VALUES (%d,'after')", 10+i), fmt.Sprintf("UPDATE t SET v = 'after %d' WHERE id = 2", i))
			if got, want := ops(t, r.pollUntil(2), "id"), []string{fmt.Sprintf("c:%d", 10+i), "u:2"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("first events %v, want %v: a row was read or a change before the start streamed", got, want)
			}
			r.quiet(300 * time.Millisecond)
			noReads(t, r.all, r.other)
			r.task.Stop()

			d.exec(fmt.Sprintf("INSERT INTO t VALUES (%d,'stopped')", 20+i))
			r2, err := startTask(t, cfg, hist, offs)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ops(t, r2.pollUntil(1), "id"), []string{fmt.Sprintf("c:%d", 20+i)}; !reflect.DeepEqual(got, want) {
				t.Fatalf("after the restart %v, want %v", got, want)
			}
			r2.quiet(300 * time.Millisecond)
			noReads(t, r2.all, r2.other)
		})
	}
}

// noReads fails on any snapshot read (op r) among the records.
func noReads(t *testing.T, lists ...[]*api.SourceRecord) {
	t.Helper()
	for _, l := range lists {
		for _, rec := range l {
			if d := decode(t, rec); d.Value != nil && d.Value["op"] == "r" {
				t.Fatalf("snapshot read emitted: %s", describe([]*api.SourceRecord{rec}))
			}
		}
	}
}

// TestTruncateHeartbeatFilters checks op "t" (skipped.operations=none), heartbeats on an idle
// binlog, and the table and column filters.
func TestTruncateHeartbeatFilters(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE keep (id INT PRIMARY KEY, secret VARCHAR(10), v INT)", "CREATE TABLE skip (id INT PRIMARY KEY)")
	cfg := d.config("srvf", "snapshot.mode", "no_data", "skipped.operations", "none", "heartbeat.interval.ms", "200",
		"table.include.list", d.name+"\\.keep", "column.exclude.list", d.name+"\\.keep\\.secret")
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	d.exec("INSERT INTO skip VALUES (1)", "INSERT INTO keep VALUES (1,'pw',5)", "TRUNCATE TABLE keep")
	evs := r.pollUntil(2)
	if got := ops(t, evs, "id"); !reflect.DeepEqual(got, []string{"c:1", "t:<nil>"}) {
		t.Fatalf("ops %v", got)
	}
	if a := decode(t, evs[0]).Value["after"].(map[string]any); !reflect.DeepEqual(a, map[string]any{"id": 1.0, "v": 5.0}) {
		t.Errorf("excluded column present: %v", a)
	}
	if evs[1].Key != nil || evs[1].Topic != "srvf."+d.name+".keep" {
		t.Errorf("truncate event %+v", evs[1])
	}
	deadline := time.Now().Add(10 * time.Second)
	var hb *api.SourceRecord
	for hb == nil && time.Now().Before(deadline) {
		r.quiet(300 * time.Millisecond)
		for _, o := range r.other {
			if o.Topic == "__debezium-heartbeat.srvf" {
				hb = o
			}
		}
	}
	if hb == nil {
		t.Fatal("no heartbeat on an idle binlog")
	}
	if hb.SourceOffset[offFile] == nil || decode(t, hb).Key["serverName"] != "srvf" {
		t.Errorf("heartbeat %v %v", hb.SourceOffset, decode(t, hb).Key)
	}
}

// TestReconnect kills the connector's binlog connection on the server: the task reconnects from
// its restart point and loses or repeats no event.
func TestReconnect(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY)")
	cfg := d.config("srvc", "snapshot.mode", "no_data", "database.server.id", "6677")
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	d.exec("INSERT INTO t VALUES (1)")
	r.pollUntil(1)
	killBinlogDumps(t, d)
	d.exec("INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)")
	if got := ops(t, r.pollUntil(2), "id"); !reflect.DeepEqual(got, []string{"c:2", "c:3"}) {
		t.Fatalf("after reconnect %v", got)
	}
	r.quiet(500 * time.Millisecond)
}

// killBinlogDumps kills the server's binlog dump threads, the connector's among them.
func killBinlogDumps(t *testing.T, d *db) {
	t.Helper()
	killed := 0
	res, err := d.conn.Execute("SHOW PROCESSLIST")
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Values {
		cmd, _ := res.GetString(i, 4)
		if strings.HasPrefix(cmd, "Binlog Dump") {
			id, _ := res.GetInt(i, 0)
			// Other tests' streams may run too; killing them only makes them reconnect.
			if _, err := d.conn.Execute("KILL " + strconv.FormatInt(id, 10)); err == nil {
				killed++
			}
		}
	}
	if killed == 0 {
		t.Fatal("found no binlog dump thread to kill")
	}
}

// TestErrorsMaxRetries: with errors.max.retries=0 a lost binlog connection is not re-established:
// the task fails through Poll, naming the setting, with a permanent error.
func TestErrorsMaxRetries(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY)")
	cfg := d.config("srvr", "snapshot.mode", "no_data", "database.server.id", "6678", "errors.max.retries", "0")
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	killBinlogDumps(t, d)
	for deadline := time.Now().Add(30 * time.Second); err == nil && time.Now().Before(deadline); {
		_, err = r.task.Poll(context.Background())
	}
	if err == nil || !strings.Contains(err.Error(), "errors.max.retries=0") || !api.IsPermanent(err) {
		t.Fatalf("Poll = %v, want a permanent error naming errors.max.retries=0", err)
	}
}

// TestIncludeQuery checks source.query carries the statement of each row event
// (include.query=true, MariaDB's ANNOTATE_ROWS events), and a restart inside the transaction
// still skips exactly the emitted rows although annotate events are counted.
func TestIncludeQuery(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY)")
	hist, offs := &memHistory{}, &memOffsets{}
	cfg := d.config("srvq", "snapshot.mode", "no_data", "include.query", "true")
	r, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r.waitStreaming()
	d.exec("BEGIN", "INSERT INTO t VALUES (1),(2)", "INSERT INTO t VALUES (3)", "COMMIT")
	evs := r.pollUntil(3)
	for i, want := range []string{"INSERT INTO t VALUES (1),(2)", "INSERT INTO t VALUES (1),(2)", "INSERT INTO t VALUES (3)"} {
		if q := decode(t, evs[i]).Value["source"].(map[string]any)["query"]; q != want {
			t.Errorf("record %d query %v, want %q", i, q, want)
		}
	}
	r.task.Stop()
	offs.Set(evs[1].SourceOffset)
	r2, err := startTask(t, cfg, hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	if got := ops(t, r2.pollUntil(1), "id"); !reflect.DeepEqual(got, []string{"c:3"}) {
		t.Fatalf("after restart %v", got)
	}
	r2.quiet(300 * time.Millisecond)
}
