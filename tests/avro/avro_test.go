// Package avro holds the end-to-end tests of the Avro converter: real connectors (MariaDB and
// PostgreSQL) in an in-process worker, the test bed's schema registry (Apicurio Registry's
// Confluent API) and Kafka; records are read back the way a consumer does, with the registry's
// schema for the id in each record and goavro.
package avro

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// registry is the test bed's registry, read as a consumer's deserializer reads it.
type registry struct {
	t      *testing.T
	url    string
	cl     *sr.Client
	codecs map[int]*goavro.Codec
}

func newRegistry(t *testing.T) *registry {
	u := testbed.SchemaRegistry(t)
	cl, err := sr.NewClient(sr.URLs(u))
	if err != nil {
		t.Fatal(err)
	}
	return &registry{t: t, url: u, cl: cl, codecs: map[int]*goavro.Codec{}}
}

// decoded is one Kafka record part read back: the schema id in its header and its Avro value.
type decoded struct {
	id    int
	value map[string]any
}

// decode reads Confluent wire format bytes: magic byte 0, the schema id, then Avro binary that
// must decode with the registry's schema for that id and leave nothing over.
func (r *registry) decode(b []byte) decoded {
	r.t.Helper()
	if len(b) < 5 || b[0] != 0 {
		r.t.Fatalf("not Confluent wire format (magic byte 0 and a 4-byte id): % x", b[:min(len(b), 8)])
	}
	id := int(binary.BigEndian.Uint32(b[1:5]))
	codec := r.codecs[id]
	if codec == nil {
		s, err := r.cl.SchemaByID(context.Background(), id)
		if err != nil {
			r.t.Fatalf("registry has no schema with id %d: %v", id, err)
		}
		if codec, err = goavro.NewCodec(s.Schema); err != nil {
			r.t.Fatalf("schema %d does not parse with goavro: %v\n%s", id, err, s.Schema)
		}
		r.codecs[id] = codec
	}
	native, rest, err := codec.NativeFromBinary(b[5:])
	if err != nil || len(rest) != 0 {
		r.t.Fatalf("record does not decode with schema %d: %v (%d bytes left)", id, err, len(rest))
	}
	return decoded{id: id, value: native.(map[string]any)}
}

func (r *registry) versions(subject string) []int {
	r.t.Helper()
	vs, err := r.cl.SubjectVersions(context.Background(), subject)
	if err != nil {
		r.t.Fatalf("versions of subject %s: %v", subject, err)
	}
	return vs
}

// setCompatibility sets a subject's compatibility level (Apicurio has no rule by default).
func (r *registry) setCompatibility(subject string, level sr.CompatibilityLevel) {
	r.t.Helper()
	for _, res := range r.cl.SetCompatibility(context.Background(), sr.SetCompatibility{Level: level}, subject) {
		if res.Err != nil {
			r.t.Fatalf("set compatibility of %s: %v", subject, res.Err)
		}
	}
}

// union unwraps goavro's {"type": value} form of a union branch.
func union(t *testing.T, v any) any {
	t.Helper()
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		t.Fatalf("%#v is not a union value", v)
	}
	for _, x := range m {
		return x
	}
	return nil
}

func row(t *testing.T, d decoded, field string) map[string]any {
	t.Helper()
	r, _ := union(t, d.value[field]).(map[string]any)
	return r
}

// avroName makes a test topic name a valid Avro namespace part: Debezium's schema names start with
// topic.prefix, and Avro names allow letters, digits and _ only.
func avroName(s string) string {
	return strings.NewReplacer("-", "_", ".", "_").Replace(s)
}

func avroConfig(reg string, kv ...string) []string {
	return append([]string{
		"key.converter", "io.confluent.connect.avro.AvroConverter",
		"key.converter.schema.registry.url", reg,
		"value.converter", "io.confluent.connect.avro.AvroConverter",
		"value.converter.schema.registry.url", reg,
	}, kv...)
}

func mariadbConfig(d *mariadb.DB, prefix string, kv ...string) map[string]string {
	m := map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   d.TB.Host,
		"database.port":                       strconv.Itoa(d.TB.Port),
		"database.user":                       d.TB.User,
		"database.password":                   d.TB.Password,
		"database.server.id":                  strconv.Itoa(20000 + int(time.Now().UnixNano()%900000)),
		"database.include.list":               d.Name,
		"schema.history.internal.kafka.topic": prefix + "-history",
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(d.T),
		"poll.interval.ms": "100",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestMariaDBAvro runs the MariaDB connector with Avro keys and values: snapshot and streamed
// rows decode with the registry's schemas; ALTER TABLE ADD COLUMN registers a second version and
// old and new records both decode; an incompatible change fails the task with the registry's
// reason.
func TestMariaDBAvro(t *testing.T) {
	reg := newRegistry(t)
	d := mariadb.New(t, "avro")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, s SMALLINT NOT NULL, price DECIMAL(10,2), name VARCHAR(20), born DATE, at DATETIME(3), flag TINYINT(1) NOT NULL DEFAULT 1)",
		"INSERT INTO t VALUES (1, -3, 123.45, 'alice', '1990-05-17', '2024-02-29 12:34:56.789', 0)")
	prefix := avroName(testbed.Topic(t, "avro"))
	topic := prefix + "." + d.Name + ".t"
	w := e2e.StartWorker(t, prefix+"-offsets")
	name := "avro-mariadb"
	w.Create(name, mariadbConfig(d, prefix, avroConfig(reg.url)...))
	w.WaitState(name, "RUNNING")
	c := e2e.NewConsumer(t, topic)
	c.WaitFor(topic, 1)
	d.Exec("INSERT INTO t (id, s, name) VALUES (2, 7, NULL)")
	recs := c.WaitFor(topic, 2)

	first := reg.decode(recs[0].Value)
	if k := reg.decode(recs[0].Key); k.value["id"] != int32(1) {
		t.Errorf("key of row 1: %v", k.value)
	}
	after := row(t, first, "after")
	if first.value["op"] != "r" || after["id"] != int32(1) || union(t, after["name"]) != "alice" || after["s"] != int32(-3) {
		t.Errorf("snapshot row: %v", first.value)
	}
	if p := union(t, after["price"]).(*big.Rat); p.FloatString(2) != "123.45" {
		t.Errorf("price %v", p)
	}
	second := reg.decode(recs[1].Value)
	if a := row(t, second, "after"); second.value["op"] != "c" || a["id"] != int32(2) || a["name"] != nil || a["price"] != nil {
		t.Errorf("inserted row: %v", second.value)
	}
	if first.id != second.id {
		t.Errorf("one table, one schema: ids %d and %d", first.id, second.id)
	}
	subject := topic + "-value"
	if vs := reg.versions(subject); len(vs) != 1 {
		t.Errorf("subject %s has versions %v before the ALTER, want 1", subject, vs)
	}

	// An added nullable column is a compatible change: a second version, under BACKWARD.
	reg.setCompatibility(subject, sr.CompatBackward)
	d.Exec("ALTER TABLE t ADD COLUMN email VARCHAR(40) NULL", "INSERT INTO t (id, s, email) VALUES (3, 1, 'c@x')")
	recs = c.WaitFor(topic, 3)
	third := reg.decode(recs[2].Value)
	if third.id == first.id {
		t.Errorf("the record after ALTER TABLE still uses schema id %d", first.id)
	}
	if a := row(t, third, "after"); union(t, a["email"]) != "c@x" {
		t.Errorf("row after ALTER: %v", third.value)
	}
	if vs := reg.versions(subject); len(vs) != 2 {
		t.Errorf("subject %s has versions %v after ADD COLUMN, want 2", subject, vs)
	}
	// The old records still decode with their own schema.
	if a := row(t, reg.decode(recs[0].Value), "after"); a["id"] != int32(1) {
		t.Errorf("old record re-read: %v", a)
	}

	// A Java consumer with a real Avro deserializer reads the same records, old and new.
	java := javaDecode(t, reg, topic, [][]byte{recs[0].Value, recs[1].Value, recs[2].Value})
	for i, want := range [][]string{
		{`"op": "r"`, `"id": 1,`, `"name": "alice"`},
		{`"op": "c"`, `"id": 2,`, `"name": null`},
		{`"op": "c"`, `"id": 3,`, `"email": "c@x"`},
	} {
		for _, w := range want {
			if !strings.Contains(java[i], w) {
				t.Errorf("Java deserializer, record %d: no %s in\n%s", i, w, java[i])
			}
		}
	}

	// A column whose type changes from string to int breaks BACKWARD: the registry refuses the
	// schema and the task fails saying so, quoting the DDL that changed the table.
	d.Exec("UPDATE t SET name = '5'", "ALTER TABLE t MODIFY name INT", "INSERT INTO t (id, s, name) VALUES (4, 1, 4)")
	trace := w.WaitState(name, "FAILED")
	for _, want := range []string{"subject " + subject, "HTTP 409", "incompatible", "ALTER TABLE t MODIFY name INT"} {
		if !strings.Contains(trace, want) {
			t.Errorf("task trace does not say %q:\n%.2000s", want, trace)
		}
	}
	if vs := reg.versions(subject); len(vs) != 2 {
		t.Errorf("subject %s has versions %v after the refused change, want 2", subject, vs)
	}
}

// TestPostgresAvro runs the PostgreSQL connector with Avro and the other naming strategies: keys
// under RecordNameStrategy, values under TopicRecordNameStrategy; a numeric column's
// VariableScaleDecimal struct and timestamps decode.
func TestPostgresAvro(t *testing.T) {
	reg := newRegistry(t)
	tb := testbed.Postgres(t)
	name := fmt.Sprintf("avro_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database)
	conn, err := pgconn.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(context.Background(), sql).ReadAll(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, name)).ReadAll()
		for i := 0; i < 40; i++ {
			if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, name)).ReadAll(); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+name+`_pub"`).ReadAll()
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE").ReadAll()
		conn.Close(ctx)
	})
	exec("CREATE SCHEMA " + name)
	exec(fmt.Sprintf("CREATE TABLE %s.items (id bigint PRIMARY KEY, label text NOT NULL, qty numeric(8,3), at timestamptz, tags text[])", name))
	exec(fmt.Sprintf("INSERT INTO %s.items VALUES (1, 'one', 2.500, '2024-02-29 12:00:00+00', '{a,b}')", name))

	prefix := avroName(testbed.Topic(t, "avropg"))
	topic := prefix + "." + name + ".items"
	w := e2e.StartWorker(t, prefix+"-offsets")
	cfg := map[string]string{
		"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1",
		"topic.prefix": prefix, "database.hostname": tb.Host, "database.port": strconv.Itoa(tb.Port),
		"database.user": tb.User, "database.password": tb.Password, "database.dbname": tb.Database,
		"plugin.name": "pgoutput", "slot.name": name, "publication.name": name + "_pub",
		"schema.include.list": name, "poll.interval.ms": "100",
	}
	for kv, i := avroConfig(reg.url,
		"key.converter.key.subject.name.strategy", "io.confluent.kafka.serializers.subject.RecordNameStrategy",
		"value.converter.value.subject.name.strategy", "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"), 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	w.Create("avro-pg", cfg)
	w.WaitState("avro-pg", "RUNNING")
	c := e2e.NewConsumer(t, topic)
	c.WaitFor(topic, 1)
	exec(fmt.Sprintf("UPDATE %s.items SET label = 'uno', qty = NULL WHERE id = 1", name))
	recs := c.WaitFor(topic, 2)

	snap := reg.decode(recs[0].Value)
	a := row(t, snap, "after")
	if snap.value["op"] != "r" || a["id"] != int64(1) || a["label"] != "one" {
		t.Errorf("snapshot: %v", snap.value)
	}
	if tags := union(t, a["tags"]).([]any); len(tags) != 2 || union(t, tags[0]) != "a" {
		t.Errorf("tags: %v", a["tags"])
	}
	upd := reg.decode(recs[1].Value)
	if u := row(t, upd, "after"); upd.value["op"] != "u" || u["label"] != "uno" || u["qty"] != nil {
		t.Errorf("update: %v", upd.value)
	}
	keySubject := prefix + "." + name + ".items.Key"
	valueSubject := topic + "-" + prefix + "." + name + ".items.Envelope"
	if reg.decode(recs[0].Key).value["id"] != int64(1) {
		t.Errorf("key: % x", recs[0].Key)
	}
	for _, s := range []string{keySubject, valueSubject} {
		if vs := reg.versions(s); len(vs) != 1 {
			t.Errorf("subject %s: versions %v, want 1", s, vs)
		}
	}
}

// TestRegistryUnreachable checks the error a task reports when the registry does not answer.
func TestRegistryUnreachable(t *testing.T) {
	d := mariadb.New(t, "avrodown")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	prefix := avroName(testbed.Topic(t, "avrodown"))
	w := e2e.StartWorker(t, prefix+"-offsets")
	w.Create("avro-down", mariadbConfig(d, prefix, avroConfig(dead)...))
	trace := w.WaitState("avro-down", "FAILED")
	// The first record is the schema change event on the topic named after the prefix.
	for _, want := range []string{"schema registry " + dead, "subject " + prefix + "-key", "connection refused"} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace does not say %q:\n%.1500s", want, trace)
		}
	}
}
