package distributed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// debeziumPlugins is the plugin.path deploy/testbed/debezium-up installs Debezium's connectors
// into.
func debeziumPlugins(t *testing.T) string {
	t.Helper()
	home := os.Getenv("TESTBED_HOME")
	if home == "" {
		h, _ := os.UserHomeDir()
		home = filepath.Join(h, ".cache", "connectd-testbed")
	}
	dir := filepath.Join(home, "debezium", "plugins")
	if _, err := os.Stat(filepath.Join(dir, "debezium-connector-postgres")); err != nil {
		// A fresh machine: the reference worker's start installs the plugins (and StopIfStarted,
		// in TestMain, stops the worker again).
		debezium.Start(t, "io.debezium.connector.postgresql.PostgresConnector")
	}
	if _, err := os.Stat(filepath.Join(dir, "debezium-connector-postgres")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Debezium's plugins are not installed in %s under CI=true: run deploy/testbed/debezium-up", dir)
		}
		t.Skipf("Debezium's plugins are not installed in %s: run deploy/testbed/debezium-up", dir)
	}
	return dir
}

// mixedPG is the test's table, slot and publication in the test bed's PostgreSQL.
type mixedPG struct {
	t                 *testing.T
	conn              *pgconn.PgConn
	db                testbed.DB
	schema, slot, pub string
}

func newMixedPG(t *testing.T) *mixedPG {
	t.Helper()
	db := testbed.Postgres(t)
	name := fmt.Sprintf("mixed_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", db.Host, db.Port, db.User, db.Password, db.Database))
	if err != nil {
		t.Fatal(err)
	}
	p := &mixedPG{t: t, conn: conn, db: db, schema: name, slot: name, pub: name + "_pub"}
	t.Cleanup(func() {
		ctx := context.Background()
		conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, p.slot)).ReadAll()
		for i := 0; i < 40; i++ {
			if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, p.slot)).ReadAll(); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+p.pub+`"`).ReadAll()
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+p.schema+" CASCADE").ReadAll()
		conn.Close(ctx)
	})
	p.exec("CREATE SCHEMA " + name + "; CREATE TABLE " + name + ".t (id int PRIMARY KEY, v text NOT NULL)")
	return p
}

func (p *mixedPG) exec(sql string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := p.conn.Exec(ctx, sql).ReadAll(); err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
}

func (p *mixedPG) insert(from, to int) {
	p.t.Helper()
	for id := from; id <= to; id++ {
		p.exec(fmt.Sprintf("INSERT INTO %s.t VALUES (%d, 'row %d')", p.schema, id, id))
	}
}

// rowEvents reads the change events of topic and returns, per id, the ops seen.
func rowEvents(t *testing.T, brokers, topic string, want int) map[int][]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[int][]string{}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for len(out) < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var e struct {
				Op    string `json:"op"`
				After struct {
					ID int `json:"id"`
				} `json:"after"`
			}
			if r.Value != nil && json.Unmarshal(r.Value, &e) == nil && e.Op != "" {
				out[e.After.ID] = append(out[e.After.ID], e.Op)
			}
		})
	}
	return out
}

// TestMixedJavaAndGoGroup runs a real Kafka Connect 4.x worker with Debezium's plugins and a
// connectd worker in one group (same group.id and internal topics, connect.protocol=sessioned on
// both, so internal requests are signed with the session key whichever wrote it). A Debezium
// PostgreSQL connector is created through the connectd worker (forwarded to the leader, Java or
// Go) and runs wherever the leader puts it; its worker then stops, and the connector moves to the
// other one, which resumes from the same offsets: every row is in the topic, none snapshotted
// twice, none missing. Then a worker of the first kind joins again and the survivor stops, so the
// connector moves back the other way.
func TestMixedJavaAndGoGroup(t *testing.T) {
	libs := testbed.KafkaLibs(t)
	plugins := debeziumPlugins(t)
	c := newCluster(t)
	c.props["connect.protocol"] = "sessioned"
	c.props["scheduled.rebalance.max.delay.ms"] = "3000"
	javaProps := map[string]string{"plugin.path": plugins, "connect.protocol": "sessioned", "scheduled.rebalance.max.delay.ms": "3000",
		"key.converter": workerconfig.JSONConverter, "value.converter": workerconfig.JSONConverter,
		"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false",
		"session.timeout.ms": c.props["session.timeout.ms"], "heartbeat.interval.ms": c.props["heartbeat.interval.ms"]}
	p := newMixedPG(t)
	prefix := "mx_" + p.schema
	topic := prefix + "." + p.schema + ".t"
	cfg := map[string]string{"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1",
		"topic.prefix": prefix, "database.hostname": p.db.Host, "database.port": strconv.Itoa(p.db.Port),
		"database.user": p.db.User, "database.password": p.db.Password, "database.dbname": p.db.Database,
		"plugin.name": "pgoutput", "slot.name": p.slot, "publication.name": p.pub, "publication.autocreate.mode": "filtered",
		"schema.include.list": p.schema, "table.include.list": p.schema + ".t", "snapshot.mode": "initial"}
	body, _ := json.Marshal(map[string]any{"name": "mixed", "config": cfg})

	kc, stopJava := startKafkaConnectWith(t, c, libs, javaProps)
	gw := c.startInProcess(nil)
	wait.Until(t, "the connectd worker joins the group with the Java worker", func() bool {
		g, _ := gw.generation()
		return g > 0 && gw.Do("GET", "/health", "").Code == 200
	})
	_, goLeads := gw.generation()
	t.Logf("leader: %s", map[bool]string{true: "connectd", false: "Kafka Connect"}[goLeads])

	p.insert(1, 3) // snapshotted
	gw.expect(201, "POST", "/connectors", string(body))
	st := kc.WaitStatus("mixed", "RUNNING", "RUNNING")
	first := st.Tasks[0].WorkerID
	p.insert(4, 6) // streamed
	if got := rowEvents(t, c.brokers, topic, 6); len(got) != 6 {
		t.Fatalf("rows in %s after the first worker: %v", topic, got)
	}
	javaFirst := first != gw.url
	t.Logf("the connector's task runs first on %s (Java: %v)", first, javaFirst)

	// The worker running it stops; the other takes it over after the scheduled delay.
	var survivor client
	if javaFirst {
		stopJava()
		survivor = gw.client
	} else {
		gw.stop()
		survivor = kc
	}
	p.insert(7, 9) // while it moves
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, ok := survivor.GetStatus("mixed")
		if ok && len(s.Tasks) == 1 && s.Tasks[0].State == "RUNNING" && s.Tasks[0].WorkerID != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connector's task did not move to the other worker; last status %+v", s)
		}
		time.Sleep(500 * time.Millisecond)
	}
	p.insert(10, 12)
	got := rowEvents(t, c.brokers, topic, 12)
	for id := 1; id <= 12; id++ {
		ops := got[id]
		if len(ops) == 0 {
			t.Errorf("row %d is missing from %s after the move", id, topic)
		}
		for _, op := range ops {
			if id > 3 && op == "r" {
				t.Errorf("row %d was snapshotted again after the move: %v", id, ops)
			}
		}
	}
	t.Logf("moved %s → other; events per row: %v", map[bool]string{true: "Java", false: "Go"}[javaFirst], got)

	// A worker of the first kind joins the survivor's group (whose leader is now the
	// survivor) and the survivor stops: the connector moves back the other way.
	second := survivor
	var back client
	if javaFirst {
		back, _ = startKafkaConnectWith(t, c, libs, javaProps)
		wait.Until(t, "the new Java worker is in the group", func() bool {
			var names []string
			r := back.Do("GET", "/connectors", "")
			return r.Code == 200 && json.Unmarshal(r.Body, &names) == nil && len(names) == 1
		})
		time.Sleep(5 * time.Second) // its join completes the rebalance
		gw.stop()
	} else {
		g2 := c.startInProcess(nil)
		wait.Until(t, "the new connectd worker is in the group", func() bool {
			g, _ := g2.generation()
			return g > 0
		})
		back = g2.client
		stopJava()
	}
	_ = second
	secondOwner, _ := back.GetStatus("mixed")
	t.Logf("second owner before the move back: %+v", secondOwner.Tasks)
	p.insert(13, 15)
	deadline = time.Now().Add(2 * time.Minute)
	for {
		s, ok := back.GetStatus("mixed")
		if ok && len(s.Tasks) == 1 && s.Tasks[0].State == "RUNNING" && s.Tasks[0].WorkerID != secondOwner.Tasks[0].WorkerID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connector's task did not move back; last status %+v", s)
		}
		time.Sleep(500 * time.Millisecond)
	}
	p.insert(16, 18)
	got = rowEvents(t, c.brokers, topic, 18)
	for id := 1; id <= 18; id++ {
		if len(got[id]) == 0 {
			t.Errorf("row %d is missing from %s after the move back", id, topic)
		}
		for _, op := range got[id] {
			if id > 3 && op == "r" {
				t.Errorf("row %d was snapshotted again: %v", id, got[id])
			}
		}
	}
	t.Logf("moved back; events per row: %v", got)
}
