package avro

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// The Avro reference worker: Kafka Connect with Debezium's plugins and Apicurio's converter, a
// second instance of deploy/testbed/debezium-up with its own home, group and topics, so the
// shared reference worker on 8183 (which other tests use) is left alone.
const avroRefREST = "http://127.0.0.1:8184"

func avroRefEnv() []string {
	home := os.Getenv("TESTBED_HOME")
	if home == "" {
		h, _ := os.UserHomeDir()
		home = filepath.Join(h, ".cache", "connectd-testbed")
	}
	return append(os.Environ(), "DEBEZIUM_HOME="+filepath.Join(home, "debezium-avro"), "DEBEZIUM_REST_PORT=8184",
		"DEBEZIUM_GROUP_ID=debezium-avro", "DEBEZIUM_TOPIC_PREFIX=dbz-avro")
}

// startAvroReference starts the Avro reference worker unless it answers, and stops it at the
// test's end if this test started it.
func startAvroReference(t *testing.T) *e2e.Client {
	t.Helper()
	c := &e2e.Client{T: t, URL: avroRefREST, HTTP: &http.Client{Timeout: 90 * time.Second}, Name: "Debezium Avro worker"}
	ready := func() bool {
		resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(avroRefREST + "/connector-plugins?connectorsOnly=false")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return strings.Contains(b.String(), "io.apicurio.registry.utils.converter.AvroConverter") &&
			strings.Contains(b.String(), "io.debezium.connector.mariadb.MariaDbConnector")
	}
	if ready() {
		return c
	}
	dir := filepath.Join(testbed.RepoRoot(t), "deploy", "testbed")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(dir, "debezium-up"))
	cmd.Env = avroRefEnv()
	if out, err := cmd.CombinedOutput(); err != nil || !ready() {
		t.Fatalf("the Debezium Avro reference worker could not be started: %v\n%s", err, out)
	}
	// Stopped by TestMain once every test has run, so the tests share one start (~20 s).
	avroRefDown = filepath.Join(dir, "debezium-down")
	return c
}

// avroRefDown is debezium-down's path once startAvroReference started the Avro reference worker.
var avroRefDown string

// TestMain stops the Avro reference worker if a test started it, so its JVM does not hold memory
// while other packages' tests run.
func TestMain(m *testing.M) {
	code := m.Run()
	if avroRefDown != "" {
		down := exec.Command("bash", avroRefDown)
		down.Env = avroRefEnv()
		if out, err := down.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "could not stop the Avro reference worker: %v\n%s", err, out)
		}
	}
	os.Exit(code)
}

// TestDebeziumAvroCompat runs the same MariaDB table through Debezium (with Apicurio's Avro
// converter) and through connectd (with the same converter class and settings), each under its
// own topic.prefix, and compares what reached the registry and Kafka: the registered key and
// value schemas (canonical form, the prefix renamed), the key bytes after the schema id, and the
// before/after row bytes at the head of each value.
func TestDebeziumAvroCompat(t *testing.T) {
	reg := newRegistry(t)
	ref := startAvroReference(t)
	d := mariadb.New(t, "avrocmp")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, s SMALLINT NOT NULL, big BIGINT, price DECIMAL(10,2), name VARCHAR(20) DEFAULT 'x', "+
		"born DATE, at DATETIME(3), ts TIMESTAMP(6) NULL, flag TINYINT(1) NOT NULL DEFAULT 1, e ENUM('a','b') DEFAULT 'a', doc TEXT, raw VARBINARY(8))",
		"INSERT INTO t VALUES (1, -3, 9007199254740993, 123.45, 'alice', '1990-05-17', '2024-02-29 12:34:56.789', '2024-03-01 01:02:03.456789', 0, 'b', 'long text', x'00ff10')",
		"INSERT INTO t (id, s) VALUES (2, 7)")
	apicurioAPI := strings.TrimSuffix(reg.url, "/apis/ccompat/v7") + "/apis/registry/v2"
	conv := map[string]string{}
	for _, side := range []string{"key", "value"} {
		for k, v := range map[string]string{
			"": "io.apicurio.registry.utils.converter.AvroConverter", ".apicurio.registry.url": apicurioAPI,
			".apicurio.registry.auto-register": "true", ".apicurio.registry.as-confluent": "true",
			".apicurio.registry.use-id": "contentId",
		} {
			conv[side+".converter"+k] = v
		}
	}
	withConv := func(m map[string]string) map[string]string {
		for k, v := range conv {
			m[k] = v
		}
		return m
	}
	base := avroName(testbed.Topic(t, "cmp"))
	dbzPrefix, ourPrefix := base+"_dbz", base+"_cd"
	dbzCfg := withConv(mariadbConfig(d, dbzPrefix, "include.schema.changes", "false"))
	ourCfg := withConv(mariadbConfig(d, ourPrefix, "include.schema.changes", "false"))

	name := "avrocmp-" + base
	if code, b := ref.Call("POST", "/connectors", map[string]any{"name": name, "config": dbzCfg}); code != 201 {
		t.Fatalf("Debezium: POST /connectors: %d %s", code, b)
	}
	t.Cleanup(func() { ref.Call("DELETE", "/connectors/"+name, nil) })
	w := e2e.StartWorker(t, ourPrefix+"-offsets")
	w.Create(name, ourCfg)
	w.WaitState(name, "RUNNING")

	dbzTopic, ourTopic := dbzPrefix+"."+d.Name+".t", ourPrefix+"."+d.Name+".t"
	c := e2e.NewConsumer(t, dbzTopic, ourTopic)
	compareAvro(t, reg, dbzPrefix, ourPrefix, dbzTopic, ourTopic, c.WaitFor(dbzTopic, 2), c.WaitFor(ourTopic, 2))
}

// TestDebeziumAvroCompatPostgres is TestDebeziumAvroCompat for PostgreSQL: a snapshot row, a
// streamed insert and update, through Debezium and connectd, each with its own slot.
func TestDebeziumAvroCompatPostgres(t *testing.T) {
	reg := newRegistry(t)
	ref := startAvroReference(t)
	p := newPGSchema(t)
	p.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY, label text NOT NULL, qty numeric(8,3), price numeric, at timestamptz,
		d date, flag boolean DEFAULT true, tags text[], j jsonb, u uuid, b bytea)`, p.name))
	p.exec(fmt.Sprintf(`ALTER TABLE %s.t REPLICA IDENTITY FULL`, p.name))
	p.exec(fmt.Sprintf(`INSERT INTO %s.t VALUES (1, 'one', 2.500, 12.3456, '2024-02-29 12:00:00.123456+00', '1990-05-17', false, '{a,b}', '{"k": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\x00ff')`, p.name))
	base := avroName(testbed.Topic(t, "cmppg"))
	dbzPrefix, ourPrefix := base+"_dbz", base+"_cd"
	cfg := func(prefix, slot string) map[string]string {
		m := map[string]string{
			"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1",
			"topic.prefix": prefix, "database.hostname": p.tb.Host, "database.port": strconv.Itoa(p.tb.Port),
			"database.user": p.tb.User, "database.password": p.tb.Password, "database.dbname": p.tb.Database,
			"plugin.name": "pgoutput", "slot.name": slot, "publication.name": slot + "_pub",
			"publication.autocreate.mode": "filtered", "table.include.list": p.name + ".t", "poll.interval.ms": "100",
		}
		p.slots = append(p.slots, slot)
		for _, side := range []string{"key", "value"} {
			m[side+".converter"] = "io.apicurio.registry.utils.converter.AvroConverter"
			m[side+".converter.apicurio.registry.url"] = strings.TrimSuffix(reg.url, "/apis/ccompat/v7") + "/apis/registry/v2"
			m[side+".converter.apicurio.registry.auto-register"] = "true"
			m[side+".converter.apicurio.registry.as-confluent"] = "true"
			m[side+".converter.apicurio.registry.use-id"] = "contentId"
		}
		return m
	}
	name := "avrocmp-" + base
	if code, b := ref.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg(dbzPrefix, p.name+"_dbz")}); code != 201 {
		t.Fatalf("Debezium: POST /connectors: %d %s", code, b)
	}
	t.Cleanup(func() { ref.Call("DELETE", "/connectors/"+name, nil) })
	w := e2e.StartWorker(t, ourPrefix+"-offsets")
	w.Create(name, cfg(ourPrefix, p.name+"_cd"))
	w.WaitState(name, "RUNNING")
	dbzTopic, ourTopic := dbzPrefix+"."+p.name+".t", ourPrefix+"."+p.name+".t"
	c := e2e.NewConsumer(t, dbzTopic, ourTopic)
	c.WaitFor(dbzTopic, 1)
	c.WaitFor(ourTopic, 1)
	p.exec(fmt.Sprintf(`INSERT INTO %s.t (id, label) VALUES (2, 'two')`, p.name),
		fmt.Sprintf(`UPDATE %s.t SET label = 'uno', qty = NULL WHERE id = 1`, p.name))
	compareAvro(t, reg, dbzPrefix, ourPrefix, dbzTopic, ourTopic, c.WaitFor(dbzTopic, 3), c.WaitFor(ourTopic, 3))
}

// pgSchema is a test's schema on the test bed's PostgreSQL, dropped with its slots and
// publications at cleanup.
type pgSchema struct {
	t     *testing.T
	tb    testbed.DB
	conn  *pgconn.PgConn
	name  string
	slots []string
}

func newPGSchema(t *testing.T) *pgSchema {
	t.Helper()
	tb := testbed.Postgres(t)
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database)
	conn, err := pgconn.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := &pgSchema{t: t, tb: tb, conn: conn, name: fmt.Sprintf("avrocmp_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)}
	t.Cleanup(func() {
		ctx := context.Background()
		for _, slot := range p.slots {
			conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, slot)).ReadAll()
			for i := 0; i < 40; i++ {
				if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, slot)).ReadAll(); err == nil {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+slot+`_pub"`).ReadAll()
		}
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+p.name+" CASCADE").ReadAll()
		conn.Close(ctx)
	})
	p.exec("CREATE SCHEMA " + p.name)
	return p
}

func (p *pgSchema) exec(sqls ...string) {
	p.t.Helper()
	for _, s := range sqls {
		if _, err := p.conn.Exec(context.Background(), s).ReadAll(); err != nil {
			p.t.Fatalf("%s: %v", s, err)
		}
	}
}

// compareAvro checks that Debezium's and connectd's records of one table match: the registered
// key and value schemas, the key bytes and the before/after bytes of each value.
func compareAvro(t *testing.T, reg *registry, dbzPrefix, ourPrefix, dbzTopic, ourTopic string, dbz, ours []*kgo.Record) {
	t.Helper()

	// The registered schemas: the same once the prefix (part of the record names) is renamed.
	for _, part := range []string{"key", "value"} {
		// Apicurio's converter registers records of another namespace (Debezium's Source) as
		// subjects of their own and refers to them; connectd inlines them, as Confluent's
		// converter does. The reference is inlined again for the comparison.
		dbzSchema := dereference(t, reg, dbzTopic+"-"+part)
		ourSchema := latestSchema(t, reg, ourTopic+"-"+part)
		renamed := strings.ReplaceAll(dbzSchema, dbzPrefix, ourPrefix)
		if canonical(t, renamed) != canonical(t, ourSchema) {
			t.Errorf("%s schema, canonical form:\nDebezium %s\nconnectd %s", part, canonical(t, renamed), canonical(t, ourSchema))
		}
		if d := jsonDiff(t, renamed, ourSchema); d != "" {
			t.Errorf("%s schema JSON differs (beyond the canonical form) at %s\nDebezium %s\nconnectd %s", part, d, renamed, ourSchema)
		}
	}

	// The bytes after the schema id: keys whole; values up to the end of before/after, the
	// fields before the source block (whose positions and timestamps differ between the runs).
	valueSchema := latestSchema(t, reg, ourTopic+"-value")
	for i := range dbz {
		if !bytes.Equal(dbz[i].Key[5:], ours[i].Key[5:]) {
			t.Errorf("record %d: key bytes after the id differ:\nDebezium % x\nconnectd % x", i, dbz[i].Key[5:], ours[i].Key[5:])
		}
		db, ob := rowBytes(t, valueSchema, dbz[i].Value[5:]), rowBytes(t, valueSchema, ours[i].Value[5:])
		if !bytes.Equal(db, ob) {
			t.Errorf("record %d: before/after bytes differ:\nDebezium % x\nconnectd % x\nDebezium %v\nconnectd %v", i, db, ob,
				reg.decode(dbz[i].Value).value["after"], reg.decode(ours[i].Value).value["after"])
		}
	}
}

func latestSchema(t *testing.T, reg *registry, subject string) string {
	t.Helper()
	var s string
	deadline := time.Now().Add(30 * time.Second)
	for {
		ss, err := reg.cl.SchemaByVersion(context.Background(), subject, -1)
		if err == nil {
			s = ss.Schema.Schema
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subject %s: %v", subject, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return s
}

// jsonDiff compares two JSON texts as values (key order aside, which differs between Avro
// libraries and json.Marshal) and returns where they first differ, or "".
func jsonDiff(t *testing.T, a, b string) string {
	t.Helper()
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		t.Fatalf("not JSON: %s / %s", a, b)
	}
	var walk func(path string, x, y any) string
	walk = func(path string, x, y any) string {
		switch xv := x.(type) {
		case map[string]any:
			yv, ok := y.(map[string]any)
			if !ok {
				return path
			}
			keys := map[string]bool{}
			for k := range xv {
				keys[k] = true
			}
			for k := range yv {
				keys[k] = true
			}
			for k := range keys {
				label := k
				if n, ok := xv["name"].(string); ok {
					label = n + "." + k
				}
				if d := walk(path+"/"+label, xv[k], yv[k]); d != "" {
					return d
				}
			}
			return ""
		case []any:
			yv, ok := y.([]any)
			if !ok || len(xv) != len(yv) {
				return fmt.Sprintf("%s (Debezium %v, connectd %v)", path, x, y)
			}
			for i := range xv {
				if d := walk(fmt.Sprintf("%s[%d]", path, i), xv[i], yv[i]); d != "" {
					return d
				}
			}
			return ""
		}
		if !reflect.DeepEqual(x, y) {
			return fmt.Sprintf("%s (Debezium %v, connectd %v)", path, x, y)
		}
		return ""
	}
	return walk("", va, vb)
}

// dereference returns a subject's latest schema with the schemas it refers to inlined where
// their name is first used, as one self-contained Avro schema.
func dereference(t *testing.T, reg *registry, subject string) string {
	t.Helper()
	ss, err := reg.cl.SchemaByVersion(context.Background(), subject, -1)
	if err != nil {
		t.Fatalf("subject %s: %v", subject, err)
	}
	if len(ss.Schema.References) == 0 {
		return ss.Schema.Schema
	}
	defs := map[string]any{}
	for _, r := range ss.Schema.References {
		var def any
		if err := json.Unmarshal([]byte(dereference(t, reg, r.Subject)), &def); err != nil {
			t.Fatal(err)
		}
		defs[r.Name] = def
	}
	dec := json.NewDecoder(strings.NewReader(ss.Schema.Schema))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		t.Fatal(err)
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			if def, ok := defs[x]; ok {
				delete(defs, x)
				return def
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for _, k := range []string{"type", "items", "values", "fields"} {
				if e, ok := x[k]; ok {
					x[k] = walk(e)
				}
			}
		}
		return v
	}
	root = walk(root)
	out, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func canonical(t *testing.T, schema string) string {
	t.Helper()
	c, err := goavro.NewCodec(schema)
	if err != nil {
		t.Fatalf("%v: %s", err, schema)
	}
	return c.CanonicalSchema()
}

// rowBytes returns the leading bytes of an envelope's Avro body that hold its before and after
// fields: the body read with a schema of only those two fields leaves the rest unread.
func rowBytes(t *testing.T, envelopeSchema string, body []byte) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal([]byte(envelopeSchema), &env); err != nil {
		t.Fatal(err)
	}
	fields := env["fields"].([]any)
	if len(fields) < 2 || fields[0].(map[string]any)["name"] != "before" || fields[1].(map[string]any)["name"] != "after" {
		t.Fatalf("the envelope does not start with before and after: %s", envelopeSchema)
	}
	env["fields"] = fields[:2]
	head, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	c, err := goavro.NewCodec(string(head))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, err := c.NativeFromBinary(body)
	if err != nil {
		t.Fatalf("reading before/after: %v", err)
	}
	return body[:len(body)-len(rest)]
}
