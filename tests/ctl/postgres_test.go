package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// TestCtlPostgres sets a PostgreSQL connector's offset by LSN: positions the server can no
// longer replay (before the slot's confirmed position) or has not reached are refused with exit
// code 4, a binlog position is refused for this connector, and the slot's confirmed position is
// accepted: streaming resumes with every transaction committed after it.
func TestCtlPostgres(t *testing.T) {
	tb := testbed.Postgres(t)
	name := fmt.Sprintf("ctl_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database))
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) [][][]byte {
		t.Helper()
		res, err := conn.Exec(ctx, sql).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return res[len(res)-1].Rows
	}
	t.Cleanup(func() {
		for i := 0; i < 40; i++ {
			conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, name)).ReadAll()
			if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, name)).ReadAll(); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+name+`"`).ReadAll()
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE").ReadAll()
		conn.Close(ctx)
	})
	exec("CREATE SCHEMA " + name + "; CREATE TABLE " + name + ".t (id INT PRIMARY KEY, v TEXT); INSERT INTO " + name + ".t VALUES (1,'a'),(2,'b')")

	w := e2e.StartWorker(t, testbed.Topic(t, "ctlpg-offsets"))
	prefix := testbed.Topic(t, "ctlpg")
	topic := prefix + "." + name + ".t"
	cons := e2e.NewConsumer(t, topic)
	w.Create("pg", map[string]string{
		"connector.class":             "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":                   "1",
		"topic.prefix":                prefix,
		"database.hostname":           tb.Host,
		"database.port":               strconv.Itoa(tb.Port),
		"database.user":               tb.User,
		"database.password":           tb.Password,
		"database.dbname":             tb.Database,
		"plugin.name":                 "pgoutput",
		"slot.name":                   name,
		"publication.name":            name,
		"publication.autocreate.mode": "filtered",
		"table.include.list":          name + ".t",
	})
	w.WaitState("pg", "RUNNING")
	cons.WaitFor(topic, 2)
	exec("INSERT INTO " + name + ".t VALUES (3,'c')")
	cons.WaitFor(topic, 3)
	time.Sleep(1500 * time.Millisecond) // the insert's offset committed and confirmed to the slot

	mustCLI(t, w, 0, "stop", "pg")
	w.WaitConnector("pg", "STOPPED")
	var offs struct {
		Offsets []struct{ Partition, Offset map[string]any }
	}
	if err := json.Unmarshal([]byte(mustCLI(t, w, 0, "offsets", "-o", "json", "pg")), &offs); err != nil || len(offs.Offsets) != 1 {
		t.Fatalf("offsets: %+v %v", offs, err)
	}
	confirmed := string(exec(fmt.Sprintf("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '%s'", name))[0][0])
	t.Logf("stored offset %v, slot confirmed %s", offs.Offsets[0].Offset, confirmed)

	mustCLI(t, w, 4, "set-offset", "pg", "--file", "mariadb-bin.000001", "--pos", "4")
	mustCLI(t, w, 4, "set-offset", "pg", "--gtids", "0-1-1")
	mustCLI(t, w, 2, "set-offset", "pg", "--lsn", "not-an-lsn")
	if out := mustCLI(t, w, 4, "set-offset", "pg", "--lsn", "0/1"); !strings.Contains(out, "confirmed position") {
		t.Errorf("an LSN before the slot's confirmed position: %s", out)
	}
	if out := mustCLI(t, w, 4, "set-offset", "pg", "--lsn", "FFFFFFF/0"); !strings.Contains(out, "after the server's current WAL position") {
		t.Errorf("an LSN after the server's: %s", out)
	}
	out := mustCLI(t, w, 0, "set-offset", "pg", "--lsn", confirmed, "--resume")
	if !strings.Contains(out, "altered successfully") {
		t.Errorf("set-offset --lsn %s: %s", confirmed, out)
	}
	w.WaitState("pg", "RUNNING")
	exec("INSERT INTO " + name + ".t VALUES (4,'d')")
	cons.WaitFor(topic, 4)
	cons.Settle(2 * time.Second)
	var keys []string
	for _, e := range e2e.Events(t, cons.Records(topic)) {
		keys = append(keys, e.Op+" "+e.Key)
	}
	// The slot confirms the commit before the last emitted transaction's (the connector skips
	// that transaction's emitted events by txId on a normal restart), so resuming at the confirmed
	// LSN sends the insert of 3 again: every transaction committed after the given LSN.
	want := `r {"id":1},r {"id":2},c {"id":3},c {"id":3},c {"id":4}`
	if strings.Join(keys, ",") != want {
		t.Errorf("events %q, want %s (the transactions committed after the LSN, once each, then the new one)", keys, want)
	}
}
