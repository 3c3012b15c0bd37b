// Package mysql holds the end-to-end tests of the MySQL/MariaDB connector: a real worker with its
// REST API, the real MariaDB and the real Kafka of the test bed, used the way an operator would.
package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/builtin"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/twmb/franz-go/pkg/kgo"
)

// db is a test database on the test bed's MariaDB, dropped when the test ends.
type db struct {
	t    *testing.T
	tb   testbed.DB
	name string
	conn *client.Conn
}

func newDB(t *testing.T) *db {
	t.Helper()
	tb := testbed.MariaDB(t)
	name := strings.ReplaceAll(strings.ToLower(testbed.Topic(t, "e2e")), "-", "_")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	name = "e" + strings.TrimLeft(name, "_")
	conn, err := client.Connect(net.JoinHostPort(tb.Host, strconv.Itoa(tb.Port)), tb.User, tb.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	d := &db{t: t, tb: tb, name: name, conn: conn}
	d.exec("CREATE DATABASE `"+name+"`", "USE `"+name+"`")
	t.Cleanup(func() {
		d.exec("DROP DATABASE IF EXISTS `" + name + "`")
		conn.Close()
	})
	return d
}

func (d *db) exec(qs ...string) {
	d.t.Helper()
	for _, q := range qs {
		r, err := d.conn.Execute(q)
		if err != nil {
			d.t.Fatalf("%s: %v", q, err)
		}
		r.Close()
	}
}

func (d *db) query(q string) [][]string {
	d.t.Helper()
	r, err := d.conn.Execute(q)
	if err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	var out [][]string
	for i := range r.Values {
		var row []string
		for j := range r.Values[i] {
			fv := r.Values[i][j]
			if fv.Type == mysql.FieldValueTypeString {
				row = append(row, string(fv.AsString()))
			} else {
				row = append(row, fv.String())
			}
		}
		out = append(out, row)
	}
	return out
}

// worker is an in-process standalone worker serving the Kafka Connect REST API, with its offsets
// in a Kafka topic (so the real console producer can rewrite them).
type worker struct {
	t      *testing.T
	url    string
	cancel context.CancelFunc
	done   chan error
}

func startWorker(t *testing.T, offsetsTopic string) *worker {
	t.Helper()
	kafka := testbed.Kafka(t)
	props := map[string]string{
		"bootstrap.servers":              kafka,
		"offset.storage.file.filename":   t.TempDir() + "/offsets",
		"listeners":                      "http://127.0.0.1:0",
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
		"offset.flush.interval.ms":       "500",
	}
	cfg, _, err := workerconfig.Parse(props, workerconfig.Standalone)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := plugins.New(builtin.Plugins()...)
	if err != nil {
		t.Fatal(err)
	}
	store, err := offsets.NewKafkaStore(offsets.KafkaConfig{Brokers: []string{kafka}, Topic: offsetsTopic, ReplicationFactor: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{t: t, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan []string, 1)
	go func() {
		w.done <- runtime.RunStandalone(ctx, runtime.Options{Config: cfg, Plugins: reg, Offsets: store, Version: "test",
			OnReady: func(addrs []string) { ready <- addrs }})
	}()
	select {
	case addrs := <-ready:
		w.url = "http://" + addrs[0]
	case err := <-w.done:
		t.Fatalf("worker did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not start within a minute")
	}
	t.Cleanup(w.stop)
	return w
}

// stop shuts the worker down gracefully (offsets flushed), as SIGTERM does.
func (w *worker) stop() {
	if w.cancel == nil {
		return
	}
	w.cancel()
	w.cancel = nil
	select {
	case err := <-w.done:
		if err != nil && err != context.Canceled {
			w.t.Logf("worker stopped: %v", err)
		}
	case <-time.After(60 * time.Second):
		w.t.Error("worker did not stop within a minute")
	}
}

// call sends a REST request and returns the status and body.
func (w *worker) call(method, path string, body any) (int, []byte) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// taskState returns the first task's state and trace.
func (w *worker) taskState(name string) (string, string) {
	code, b := w.call("GET", "/connectors/"+name+"/status", nil)
	if code != 200 {
		return "", string(b)
	}
	var st struct {
		Connector struct{ State string }
		Tasks     []struct{ State, Trace string }
	}
	_ = json.Unmarshal(b, &st)
	if len(st.Tasks) == 0 {
		return "NO_TASK", st.Connector.State
	}
	return st.Tasks[0].State, st.Tasks[0].Trace
}

// waitState waits until the first task reaches state.
func (w *worker) waitState(name, state string) string {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, trace := w.taskState(name)
		if s == state {
			return trace
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("connector %s: task state %s, want %s; %s", name, s, state, trace)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// connectorConfig is a MariaDB connector configuration for d.
func connectorConfig(d *db, prefix, history string, extra ...string) map[string]string {
	m := map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   d.tb.Host,
		"database.port":                       strconv.Itoa(d.tb.Port),
		"database.user":                       d.tb.User,
		"database.password":                   d.tb.Password,
		"database.server.id":                  "6201",
		"database.include.list":               d.name,
		"schema.history.internal.kafka.topic": history,
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(d.t),
		"poll.interval.ms": "100",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// consumer reads topics from their beginning.
type consumer struct {
	t    *testing.T
	cl   *kgo.Client
	mu   sync.Mutex
	recs map[string][]*kgo.Record
}

func newConsumer(t *testing.T, topics ...string) *consumer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(testbed.Kafka(t)), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.MetadataMinAge(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &consumer{t: t, cl: cl, recs: map[string][]*kgo.Record{}}
}

// waitFor polls until topic holds at least n records and returns them.
func (c *consumer) waitFor(topic string, n int) []*kgo.Record {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for len(c.recs[topic]) < n {
		if time.Now().After(deadline) {
			c.t.Fatalf("topic %s: %d of %d records:\n%s", topic, len(c.recs[topic]), n, dump(c.recs[topic]))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := c.cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { c.recs[r.Topic] = append(c.recs[r.Topic], r) })
	}
	return c.recs[topic]
}

// settle polls a little longer so records beyond the expected ones would show up.
func (c *consumer) settle(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := c.cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { c.recs[r.Topic] = append(c.recs[r.Topic], r) })
	}
}

func dump(rs []*kgo.Record) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s | %s\n", r.Key, r.Value)
	}
	return b.String()
}

// event is a change event reduced to what the assertions compare.
type event struct {
	Key    string
	Op     string
	Before string
	After  string
}

func (e event) String() string { return fmt.Sprintf("%s %s %s->%s", e.Op, e.Key, e.Before, e.After) }

// events decodes change events (JSON without schemas); a tombstone has Op "tombstone".
func events(t *testing.T, rs []*kgo.Record) []event {
	t.Helper()
	var out []event
	for _, r := range rs {
		e := event{Key: string(r.Key)}
		if r.Value == nil {
			e.Op = "tombstone"
			out = append(out, e)
			continue
		}
		var v struct {
			Op            string
			Before, After json.RawMessage
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%s: %v", r.Value, err)
		}
		e.Op, e.Before, e.After = v.Op, string(v.Before), string(v.After)
		out = append(out, e)
	}
	return out
}

// consoleProduce writes lines with the real kafka-console-producer, key and value split on |.
func consoleProduce(t *testing.T, topic string, lines ...string) {
	t.Helper()
	tool := testbed.ConsoleProducer(t)
	cmd := exec.Command(tool, "--bootstrap-server", testbed.Kafka(t), "--topic", topic,
		"--property", "parse.key=true", "--property", "key.separator=|")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kafka-console-producer: %v\n%s", err, out)
	}
}
