// Package distributed_test runs connectd in distributed mode the way a user does: several workers
// with the same group.id on one machine, each with its own REST port, the test generator connector,
// and the test bed's Kafka holding configs, statuses, offsets and the records.
package distributed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/distributed"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/tests/generator"
	"github.com/connectd/connectd/tests/testbed"
)

// workerEnv makes the test binary run a distributed worker instead of the tests, so the kill -9
// test has real processes to kill.
const workerEnv = "CONNECTD_TEST_DISTRIBUTED_WORKER"

func TestMain(m *testing.M) {
	if f := os.Getenv(workerEnv); f != "" {
		os.Exit(workerProcess(f))
	}
	os.Exit(m.Run())
}

func registry() (*plugins.Registry, error) { return plugins.New(generator.Plugin()) }

// workerProcess is `connectd distributed worker.properties` with the generator registered.
func workerProcess(file string) int {
	props, err := workerconfig.ReadPropertiesFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	cfg, _, err := workerconfig.Parse(props, workerconfig.Distributed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	reg, err := registry()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	if err := distributed.RunProcess(cfg, reg, "test", os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}

// lockedBuffer collects a worker's log while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// cluster is the settings every worker of one test shares: group and topics unique to the test.
type cluster struct {
	t       *testing.T
	brokers string
	props   map[string]string
}

func newCluster(t *testing.T) *cluster {
	brokers := testbed.Kafka(t)
	return &cluster{t: t, brokers: brokers, props: map[string]string{
		"bootstrap.servers":                 brokers,
		"group.id":                          testbed.Topic(t, "group"),
		"config.storage.topic":              testbed.Topic(t, "configs"),
		"offset.storage.topic":              testbed.Topic(t, "offsets"),
		"status.storage.topic":              testbed.Topic(t, "status"),
		"config.storage.replication.factor": "1",
		"offset.storage.replication.factor": "1",
		"status.storage.replication.factor": "1",
		"offset.storage.partitions":         "5",
		"status.storage.partitions":         "3",
		"key.converter":                     workerconfig.JSONConverter,
		"value.converter":                   workerconfig.JSONConverter,
		"key.converter.schemas.enable":      "false",
		"value.converter.schemas.enable":    "false",
		// The broker's group.min.session.timeout.ms is 6 s.
		"session.timeout.ms":                "6000",
		"heartbeat.interval.ms":             "1000",
		"offset.flush.interval.ms":          "500",
		"task.shutdown.graceful.timeout.ms": "5000",
	}}
}

// worker is one running worker and its REST client.
type worker struct {
	client
	log  *lockedBuffer
	stop func() // graceful stop (in-process: cancel; process: SIGTERM), waits for the end
	kill func() // kill -9 (processes only)
	url  string // advertised URL, as in the statuses' worker_id
	err  func() error
}

// startInProcess runs a worker inside the test process on a free port.
func (c *cluster) startInProcess(extra map[string]string) *worker {
	c.t.Helper()
	props := c.settings(extra, "http://127.0.0.1:0")
	cfg, _, err := workerconfig.Parse(props, workerconfig.Distributed)
	if err != nil {
		c.t.Fatal(err)
	}
	reg, err := registry()
	if err != nil {
		c.t.Fatal(err)
	}
	buf := &lockedBuffer{}
	loggers := runtime.NewLoggers(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}), slog.LevelInfo)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan []string, 1)
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		runErr = distributed.Run(ctx, distributed.Options{Config: cfg, Plugins: reg, Version: "test", Loggers: loggers,
			OnReady: func(addrs []string) { ready <- addrs }})
	}()
	var addr string
	select {
	case a := <-ready:
		addr = a[0]
	case <-done:
		c.t.Fatalf("worker did not start: %v\n%s", runErr, buf)
	}
	w := &worker{client: client{t: c.t, base: "http://" + addr}, log: buf, url: addr}
	var once sync.Once
	w.stop = func() { once.Do(func() { cancel(); <-done }) }
	w.err = func() error { <-done; return runErr }
	c.t.Cleanup(func() {
		w.stop()
		if c.t.Failed() {
			c.t.Logf("log of worker %s:\n%s", addr, buf)
		}
	})
	return w
}

func (c *cluster) settings(extra map[string]string, listener string) map[string]string {
	props := map[string]string{"listeners": listener}
	for k, v := range c.props {
		props[k] = v
	}
	for k, v := range extra {
		props[k] = v
	}
	return props
}

// startProcess runs a worker as a separate process (the test binary re-executed) on a free port.
func (c *cluster) startProcess() *worker {
	c.t.Helper()
	port := freePort(c.t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	file := writeProps(c.t, c.t.TempDir(), "worker.properties", c.settings(nil, "http://"+addr))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+file)
	buf := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	w := &worker{client: client{t: c.t, base: "http://" + addr}, log: buf, url: addr}
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
		})
	}
	w.kill = func() { once.Do(func() { _ = cmd.Process.Kill(); <-done }) }
	w.err = func() error { <-done; return waitErr }
	c.t.Cleanup(func() {
		w.stop()
		if c.t.Failed() {
			c.t.Logf("log of worker process %s:\n%s", addr, buf)
		}
	})
	eventually(c.t, "worker "+addr+" answers", func() bool {
		select {
		case <-done:
			c.t.Fatalf("worker %s exited: %v\n%s", addr, waitErr, buf)
		default:
		}
		r, err := http.Get(w.base + "/")
		if err != nil {
			return false
		}
		r.Body.Close()
		return true
	})
	return w
}

var joinedRe = regexp.MustCompile(`msg="joined the connect group".* generation=(\d+) leader=(true|false)`)

// generation returns the last generation the worker joined and whether it led it.
func (w *worker) generation() (int, bool) {
	m := joinedRe.FindAllStringSubmatch(w.log.String(), -1)
	if len(m) == 0 {
		return -1, false
	}
	last := m[len(m)-1]
	g, _ := strconv.Atoi(last[1])
	return g, last[2] == "true"
}

// settled waits until every worker joined the same generation, and returns the leader and the
// followers of it.
func settled(t *testing.T, ws ...*worker) (leader *worker, followers []*worker) {
	t.Helper()
	eventually(t, "the workers agree on a generation", func() bool {
		leader, followers = nil, nil
		g0, _ := ws[0].generation()
		for _, w := range ws {
			g, l := w.generation()
			if g != g0 || g < 0 {
				return false
			}
			if r := w.do("GET", "/health", ""); r.code != 200 {
				return false
			}
			if l {
				leader = w
			} else {
				followers = append(followers, w)
			}
		}
		return leader != nil
	})
	return leader, followers
}

// client talks to one worker's REST API.
type client struct {
	t    *testing.T
	base string
}

type response struct {
	code int
	body []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d %q is not the expected JSON: %v", r.code, r.body, err)
	}
}

func (r response) message(t *testing.T) string {
	t.Helper()
	var e struct {
		Code    int    `json:"error_code"`
		Message string `json:"message"`
	}
	r.json(t, &e)
	if e.Code != r.code {
		t.Fatalf("error_code %d differs from the HTTP status %d", e.Code, r.code)
	}
	return e.Message
}

func (c client) do(method, path, body string) response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{code: -1, body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: b}
}

// expect does a request and fails the test unless the status is code. A 409 (the cluster is
// rebalancing) is retried, as a user would.
func (c client) expect(code int, method, path, body string) response {
	c.t.Helper()
	var r response
	eventually(c.t, method+" "+path+" is not refused by a rebalance", func() bool {
		r = c.do(method, path, body)
		return r.code != http.StatusConflict || code == http.StatusConflict
	})
	if r.code != code {
		c.t.Fatalf("%s %s%s: %d %s, want %d", method, c.base, path, r.code, r.body, code)
	}
	return r
}

type taskState struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace"`
}

type status struct {
	Name      string `json:"name"`
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
		Trace    string `json:"trace"`
	} `json:"connector"`
	Tasks []taskState `json:"tasks"`
}

func (c client) status(name string) (status, bool) {
	var st status
	r := c.do("GET", "/connectors/"+name+"/status", "")
	if r.code != 200 {
		return st, false
	}
	r.json(c.t, &st)
	return st, true
}

// waitState waits until the connector and its tasks are in the given states.
func (c client) waitState(name, conn string, tasks ...string) status {
	c.t.Helper()
	var st status
	eventually(c.t, name+" is "+conn+" with tasks "+strings.Join(tasks, ","), func() bool {
		var ok bool
		st, ok = c.status(name)
		if !ok || st.Connector.State != conn || len(st.Tasks) != len(tasks) {
			return false
		}
		for i, s := range tasks {
			if st.Tasks[i].State != s {
				return false
			}
		}
		return true
	})
	return st
}

// committed returns the committed seq per generator task, from GET /connectors/{c}/offsets.
func (c client) committed(name string) map[int]int64 {
	c.t.Helper()
	var offs struct {
		Offsets []struct {
			Partition map[string]any `json:"partition"`
			Offset    map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	c.expect(200, "GET", "/connectors/"+name+"/offsets", "").json(c.t, &offs)
	out := map[int]int64{}
	for _, o := range offs.Offsets {
		n, _ := strconv.Atoi(o.Partition["task"].(string))
		out[n] = int64(o.Offset["seq"].(float64))
	}
	return out
}

// eventually polls cond until it holds; the deadline only guards against a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeProps(t *testing.T, dir, name string, props map[string]string) string {
	t.Helper()
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k + "=" + props[k] + "\n")
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// generatorConfig is a REST body creating a generator connector.
func generatorConfig(name, topic string, extra map[string]string) string {
	cfg := map[string]string{"connector.class": generator.Class, "topic": topic, "tasks.max": "2", "rate": "200", "batch.size": "20"}
	for k, v := range extra {
		cfg[k] = v
	}
	b, _ := json.Marshal(map[string]any{"name": name, "config": cfg})
	return string(b)
}

type genRecord struct {
	Seq  int64 `json:"seq"`
	Task int   `json:"task"`
}

// readAll reads every generator record of topic up to its current end.
func readAll(t *testing.T, brokers, topic string) []genRecord {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	parts := map[int32]kgo.Offset{}
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			parts[o.Partition] = kgo.NewOffset().AtStart()
			remaining[o.Partition] = o.Offset
		}
	})
	if len(parts) == 0 {
		return nil
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts})
	var out []genRecord
	for len(remaining) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("timed out reading %s: %d records so far", topic, len(out))
		}
		fs.EachRecord(func(r *kgo.Record) {
			if end, ok := remaining[r.Partition]; ok {
				if r.Offset < end {
					var g genRecord
					if err := json.Unmarshal(r.Value, &g); err != nil {
						t.Fatalf("record value %q: %v", r.Value, err)
					}
					out = append(out, g)
				}
				if r.Offset+1 >= end {
					delete(remaining, r.Partition)
				}
			}
		})
	}
	return out
}

// seqs returns, per task, the set of sequence numbers found.
func seqs(recs []genRecord) map[int]map[int64]int {
	out := map[int]map[int64]int{}
	for _, r := range recs {
		if out[r.Task] == nil {
			out[r.Task] = map[int64]int{}
		}
		out[r.Task][r.Seq]++
	}
	return out
}
