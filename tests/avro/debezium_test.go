package avro

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

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
	t.Cleanup(func() {
		down := exec.Command("bash", filepath.Join(dir, "debezium-down"))
		down.Env = avroRefEnv()
		if out, err := down.CombinedOutput(); err != nil {
			t.Logf("could not stop the Avro reference worker: %v\n%s", err, out)
		}
	})
	return c
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
	dbz, ours := c.WaitFor(dbzTopic, 2), c.WaitFor(ourTopic, 2)

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
		if !sameJSON(t, renamed, ourSchema) {
			t.Errorf("%s schema JSON differs (beyond the canonical form):\nDebezium %s\nconnectd %s", part, renamed, ourSchema)
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

// sameJSON compares two JSON texts as values (key order aside, which json.Marshal of a map
// changes in the dereferenced schema).
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		t.Fatalf("not JSON: %s / %s", a, b)
	}
	return reflect.DeepEqual(va, vb)
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
