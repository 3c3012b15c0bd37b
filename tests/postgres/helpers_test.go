// Package postgres holds the end-to-end tests of the PostgreSQL connector: a real worker serving
// the Kafka Connect REST API, the test bed's PostgreSQL and Kafka, used as an operator would.
package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/builtin"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
	"github.com/connectd/connectd/tests/testbed"
)

// pg is a test's corner of the test bed's PostgreSQL: a schema, a slot and a publication named
// after the test, all dropped at cleanup so no slot keeps holding WAL.
type pg struct {
	t      *testing.T
	tb     testbed.DB
	conn   *pgconn.PgConn
	name   string
	schema string
	slot   string
	pub    string
}

func newPG(t *testing.T) *pg {
	t.Helper()
	tb := testbed.Postgres(t)
	name := fmt.Sprintf("e2e_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	dsn := fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := &pg{t: t, tb: tb, conn: conn, name: name, schema: name, slot: name, pub: name + "_pub"}
	p.exec("CREATE SCHEMA " + name)
	t.Cleanup(p.cleanup)
	return p
}

func (p *pg) cleanup() {
	ctx := context.Background()
	p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, p.slot)).ReadAll()
	for i := 0; i < 40; i++ {
		if _, err := p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, p.slot)).ReadAll(); err == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	p.conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+p.pub+`"`).ReadAll()
	p.conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+p.schema+" CASCADE").ReadAll()
	p.conn.Close(ctx)
}

// exec runs SQL; each argument may hold several statements.
func (p *pg) exec(sqls ...string) {
	p.t.Helper()
	for _, s := range sqls {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		_, err := p.conn.Exec(ctx, s).ReadAll()
		cancel()
		if err != nil {
			p.t.Fatalf("%.200s: %v", s, err)
		}
	}
}

// value returns the first column of the first row of a query.
func (p *pg) value(sql string) string {
	p.t.Helper()
	res, err := p.conn.Exec(context.Background(), sql).ReadAll()
	if err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
	if len(res) == 0 || len(res[len(res)-1].Rows) == 0 {
		return ""
	}
	return string(res[len(res)-1].Rows[0][0])
}

// config is the connector configuration for this test's schema.
func (p *pg) config(prefix string, kv ...string) map[string]string {
	m := map[string]string{
		"connector.class":     "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":           "1",
		"topic.prefix":        prefix,
		"database.hostname":   p.tb.Host,
		"database.port":       strconv.Itoa(p.tb.Port),
		"database.user":       p.tb.User,
		"database.password":   p.tb.Password,
		"database.dbname":     p.tb.Database,
		"plugin.name":         "pgoutput",
		"slot.name":           p.slot,
		"publication.name":    p.pub,
		"schema.include.list": p.schema,
		"poll.interval.ms":    "100",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// worker is an in-process standalone worker with its REST API and offsets in a Kafka topic.
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
	// CONNECTD_TEST_WORKER_PROPS adds worker properties (k=v,k=v), e.g. for the benchmark.
	for _, kv := range strings.Split(os.Getenv("CONNECTD_TEST_WORKER_PROPS"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			props[k] = v
		}
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

// stop shuts the worker down gracefully, as SIGTERM does: offsets flushed, tasks stopped.
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
	case <-time.After(90 * time.Second):
		w.t.Error("worker did not stop within 90s")
	}
}

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

func (w *worker) create(name string, cfg map[string]string) {
	w.t.Helper()
	if code, b := w.call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		w.t.Fatalf("POST /connectors: %d %s", code, b)
	}
}

// taskState returns the first task's state and trace.
func (w *worker) taskState(name string) (string, string) {
	code, b := w.call("GET", "/connectors/"+name+"/status", nil)
	if code != 200 {
		return "", string(b)
	}
	var st struct {
		Connector struct{ State, Trace string }
		Tasks     []struct{ State, Trace string }
	}
	_ = json.Unmarshal(b, &st)
	if len(st.Tasks) == 0 {
		return "NO_TASK", st.Connector.State + " " + st.Connector.Trace
	}
	return st.Tasks[0].State, st.Tasks[0].Trace
}

// waitState waits until the first task reaches state and returns its trace.
func (w *worker) waitState(name, state string) string {
	w.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
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

// consumer reads topics from their beginning.
type consumer struct {
	t    *testing.T
	cl   *kgo.Client
	recs map[string][]*kgo.Record
}

func newConsumer(t *testing.T, topics ...string) *consumer {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(testbed.Kafka(t)), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.MetadataMinAge(250*time.Millisecond),
		kgo.FetchMaxBytes(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &consumer{t: t, cl: cl, recs: map[string][]*kgo.Record{}}
}

func (c *consumer) fetch(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	fs := c.cl.PollFetches(ctx)
	fs.EachRecord(func(r *kgo.Record) { c.recs[r.Topic] = append(c.recs[r.Topic], r) })
}

// waitFor polls until topic holds at least n records and returns them.
func (c *consumer) waitFor(topic string, n int) []*kgo.Record {
	c.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for len(c.recs[topic]) < n {
		if time.Now().After(deadline) {
			c.t.Fatalf("topic %s: %d of %d records; last ones:\n%s", topic, len(c.recs[topic]), n, dump(tail(c.recs[topic], 10)))
		}
		c.fetch(500 * time.Millisecond)
	}
	return c.recs[topic]
}

// settle polls a little longer so records beyond the expected ones would show up.
func (c *consumer) settle(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		c.fetch(300 * time.Millisecond)
	}
}

func tail(rs []*kgo.Record, n int) []*kgo.Record {
	if len(rs) > n {
		return rs[len(rs)-n:]
	}
	return rs
}

func dump(rs []*kgo.Record) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s | %.300s\n", r.Key, r.Value)
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

func (e event) String() string {
	return fmt.Sprintf("%s %s %.80s->%.80s", e.Op, e.Key, e.Before, e.After)
}

// envelope is the part of a change event value the tests read.
type envelope struct {
	Op            string
	Before, After json.RawMessage
	Source        struct {
		Connector, Name, DB, Schema, Table, Snapshot, Sequence string
		TxID                                                   *int64 `json:"txId"`
		LSN                                                    *int64 `json:"lsn"`
	}
}

// events decodes change events (JSON without schemas); a tombstone has Op "tombstone".
func events(t *testing.T, rs []*kgo.Record) []event {
	t.Helper()
	out := make([]event, 0, len(rs))
	for _, r := range rs {
		e := event{Key: string(r.Key)}
		if r.Value == nil {
			e.Op = "tombstone"
			out = append(out, e)
			continue
		}
		var v envelope
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%.300s: %v", r.Value, err)
		}
		e.Op, e.Before, e.After = v.Op, string(v.Before), string(v.After)
		out = append(out, e)
	}
	return out
}
