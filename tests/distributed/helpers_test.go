// Package distributed_test runs connectd in distributed mode the way a user does: several workers
// with the same group.id on one machine, each with its own REST port, the test generator connector,
// and the test bed's Kafka holding configs, statuses, offsets and the records.
package distributed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
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
	"github.com/connectd/connectd/connectors/mysql"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/generator"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
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

func registry() (*plugins.Registry, error) {
	return plugins.New(append(mysql.Plugins(), generator.Plugin())...)
}

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
	log  *e2e.LockedBuffer
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
	buf := &e2e.LockedBuffer{}
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
	w := &worker{client: client{e2e.NewClient(c.t, "http://"+addr)}, log: buf, url: addr}
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
	port := e2e.FreePort(c.t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	file := e2e.WriteProps(c.t, c.t.TempDir(), "worker.properties", c.settings(nil, "http://"+addr))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+file)
	buf := &e2e.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	w := &worker{client: client{e2e.NewClient(c.t, "http://"+addr)}, log: buf, url: addr}
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
	wait.Until(c.t, "worker "+addr+" answers", func() bool {
		select {
		case <-done:
			c.t.Fatalf("worker %s exited: %v\n%s", addr, waitErr, buf)
		default:
		}
		r, err := http.Get(w.URL + "/")
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
	wait.Until(t, "the workers agree on a generation", func() bool {
		leader, followers = nil, nil
		g0, _ := ws[0].generation()
		for _, w := range ws {
			g, l := w.generation()
			if g != g0 || g < 0 {
				return false
			}
			if r := w.Do("GET", "/health", ""); r.Code != 200 {
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
type client struct{ *e2e.Client }

// expect does a request and fails the test unless the status is code. A 409 (the cluster is
// rebalancing) is retried, as a user would.
func (c client) expect(code int, method, path, body string) e2e.Response {
	c.T.Helper()
	var r e2e.Response
	wait.Until(c.T, method+" "+path+" is not refused by a rebalance", func() bool {
		r = c.Do(method, path, body)
		return r.Code != http.StatusConflict || code == http.StatusConflict
	})
	if r.Code != code {
		c.T.Fatalf("%s %s%s: %d %s, want %d", method, c.URL, path, r.Code, r.Body, code)
	}
	return r
}

// committed returns the committed seq per generator task, from GET /connectors/{c}/offsets.
func (c client) committed(name string) map[int]int64 {
	c.T.Helper()
	out := map[int]int64{}
	for task, seq := range e2e.GeneratorSeqs(c.T, c.expect(200, "GET", "/connectors/"+name+"/offsets", "")) {
		n, _ := strconv.Atoi(task)
		out[n] = seq
	}
	return out
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
