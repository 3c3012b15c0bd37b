package runtime_test

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/panicking"
	"github.com/connectd/connectd/tests/testbed"
)

// startWorker runs a standalone worker in this test process — the product's RunStandalone with
// the built-in connectors and the panicking test connector — with JSON converters (schemas
// enabled, as Kafka Connect's default) and the given extra properties. A panic that escaped a
// connector would end the test binary, so a test that goes on after one shows containment.
func startWorker(t *testing.T, extra map[string]string) client {
	t.Helper()
	props := map[string]string{
		"bootstrap.servers":            testbed.Kafka(t),
		"offset.storage.file.filename": t.TempDir() + "/offsets",
		"offset.flush.interval.ms":     "200",
		"listeners":                    "http://127.0.0.1:0",
		"key.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":              "org.apache.kafka.connect.json.JsonConverter",
	}
	for k, v := range extra {
		props[k] = v
	}
	cfg, _, err := workerconfig.Parse(props, workerconfig.Standalone)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := plugins.New(append(bundle.Plugins(), panicking.Plugin())...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan []string, 1)
	go func() {
		done <- runtime.RunStandalone(ctx, runtime.Options{Config: cfg, Plugins: reg, Version: "test",
			OnReady: func(addrs []string) { ready <- addrs }})
	}()
	c := client{e2e.NewClient(t, "")}
	select {
	case addrs := <-ready:
		c.URL = "http://" + addrs[0]
	case err := <-done:
		t.Fatalf("worker did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not start within a minute")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(90 * time.Second):
			t.Error("worker did not stop within 90s")
		}
	})
	return c
}

// mariadbConfig is a MariaDB connector configuration capturing d.
func mariadbConfig(t *testing.T, d *mariadb.DB, prefix string, extra ...string) map[string]string {
	h := fnv.New32a()
	h.Write([]byte(d.Name))
	m := map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   d.TB.Host,
		"database.port":                       strconv.Itoa(d.TB.Port),
		"database.user":                       d.TB.User,
		"database.password":                   d.TB.Password,
		"database.server.id":                  strconv.Itoa(20000 + int(h.Sum32()%1000000)),
		"database.include.list":               d.Name,
		"poll.interval.ms":                    "100",
		"schema.history.internal.kafka.topic": testbed.Topic(t, "history"),
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(t),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// alterTopic sets one config of topic.
func alterTopic(t *testing.T, topic, key, value string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(testbed.Kafka(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: key, Value: &value}}, topic)
	if err == nil {
		var r kadm.AlterConfigsResponse
		if r, err = resp.On(topic, nil); err == nil {
			err = r.Err
		}
	}
	if err != nil {
		t.Fatalf("alter %s of topic %s: %v", key, topic, err)
	}
}

// A panic in one connector's reader goroutine fails that task, with the panic and its stack in
// the REST trace, while a real MariaDB connector on the same worker goes on streaming changes into
// Kafka and the worker keeps serving.
func TestMariaDBStreamsWhileAnotherConnectorPanics(t *testing.T) {
	d := mariadb.New(t, "faults")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1, 'a')")
	c := startWorker(t, map[string]string{"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"})
	prefix := testbed.Topic(t, "faults")
	topic := prefix + "." + d.Name + ".t"
	consumer := e2e.NewConsumer(t, topic)
	c.Create("maria", mariadbConfig(t, d, prefix))
	c.WaitStatus("maria", "RUNNING", "RUNNING")
	consumer.WaitFor(topic, 1)

	c.Create("boom", map[string]string{"connector.class": panicking.Class, "topic": testbed.Topic(t, "boom"),
		"panic.in": "reader", "panic.after": "5"})
	st := c.WaitStatus("boom", "RUNNING", "FAILED")
	for _, want := range []string{"the task failed while polling for records: panic: boom in the reader goroutine after 5 records",
		"Stack of the panic:", "panicking.(*Task).panickyReader", "panicking.go:", "POST /connectors/boom/tasks/0/restart"} {
		if !strings.Contains(st.Tasks[0].Trace, want) {
			t.Errorf("the panicking task's trace does not contain %q:\n%s", want, st.Tasks[0].Trace)
		}
	}

	d.Exec("INSERT INTO t VALUES (2, 'b')", "UPDATE t SET v = 'c' WHERE id = 1", "DELETE FROM t WHERE id = 2")
	recs := consumer.WaitFor(topic, 5) // the snapshot's read, the insert, the update, the delete and its tombstone
	evs := e2e.Events(t, recs)
	if len(evs) < 4 || evs[1].Op != "c" || evs[2].Op != "u" || evs[3].Op != "d" {
		t.Errorf("the MariaDB connector's events after the panic:\n%s", e2e.Dump(recs))
	}
	c.WaitStatus("maria", "RUNNING", "RUNNING")
	c.Expect(200, "GET", "/health", "")
}

// A MariaDB row holding a ~1,000,000-byte LONGTEXT is delivered with default settings (its insert
// event is under Kafka's default 1 MiB limits); its update, whose event carries the value twice
// (before and after), is over them and fails the task with a message naming the topic, the key,
// the size and the settings — never a silent drop, never a retry loop.
func TestMariaDBLargeRow(t *testing.T) {
	d := mariadb.New(t, "bigrow")
	d.Exec("CREATE TABLE big (id INT PRIMARY KEY, n INT, doc LONGTEXT)", "INSERT INTO big VALUES (0, 0, 'small')")
	c := startWorker(t, nil)
	prefix := testbed.Topic(t, "bigrow")
	topic := prefix + "." + d.Name + ".big"
	consumer := e2e.NewConsumer(t, topic)
	cfg := mariadbConfig(t, d, prefix)
	c.Create("big", cfg)
	c.WaitStatus("big", "RUNNING", "RUNNING")
	consumer.WaitFor(topic, 1) // the snapshot's read of row 0: the streaming position is taken
	d.Exec("INSERT INTO big VALUES (1, 0, REPEAT('x', 1000000))")
	recs := consumer.WaitFor(topic, 2)
	if n := len(recs[1].Value); n < 1000000 || n > 1048576 {
		t.Fatalf("the insert's event has %d bytes", n)
	}
	if !strings.Contains(string(recs[1].Value), `"op":"c"`) {
		t.Fatalf("the second event is not the insert: %.300s", recs[1].Value)
	}

	d.Exec("UPDATE big SET n = 1 WHERE id = 1")
	st := c.WaitStatus("big", "RUNNING", "FAILED")
	tr := st.Tasks[0].Trace
	for _, want := range []string{"Kafka did not accept a record for topic " + topic + " with key", `"payload":{"id":1}`,
		"the producer refused it before sending", "max.request.size=1048576", "producer.max.request.size",
		"producer.override.max.request.size", "message.max.bytes", "max.message.bytes", "MESSAGE_TOO_LARGE"} {
		if !strings.Contains(tr, want) {
			t.Errorf("the trace does not contain %q:\n%s", want, tr)
		}
	}
	consumer.Settle(2 * time.Second)
	if n := len(consumer.Records(topic)); n != 2 {
		t.Errorf("%d records in %s after the refused update, want the read and the insert only", n, topic)
	}
	if s := c.WaitStatus("big", "RUNNING", "FAILED"); s.Tasks[0].Trace != tr {
		t.Errorf("the task's trace changed: no retry was expected")
	}

	// Doing what the message says delivers the update: nothing was committed past it.
	alterTopic(t, topic, "max.message.bytes", "3000000")
	cfg["producer.override.max.request.size"] = "3000000"
	body, _ := json.Marshal(cfg)
	c.Expect(200, "PUT", "/connectors/big/config", string(body))
	c.WaitStatus("big", "RUNNING", "RUNNING")
	recs = consumer.WaitFor(topic, 3)
	if v := string(recs[2].Value); len(v) < 2000000 || !strings.Contains(v, `"op":"u"`) {
		t.Errorf("the third event is not the update: %.300s", v)
	}
	consumer.Settle(time.Second)
	if n := len(consumer.Records(topic)); n != 3 {
		t.Errorf("%d records in %s after the restart, want the read, the insert and the update", n, topic)
	}
}
