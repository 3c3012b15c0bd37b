// Package runtime_test drives connectd like a user: it starts a worker with the test generator
// connector, talks to its REST API and reads what lands in the test bed's Kafka.
package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/testbed"
)

// lockedBuffer collects a process's output while the test reads it.
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

// client talks to one worker's REST API.
type client struct {
	t    *testing.T
	base string
}

type response struct {
	code int
	body []byte
	hdr  http.Header
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d %q is not the expected JSON: %v", r.code, r.body, err)
	}
}

func (r response) errorMessage(t *testing.T) string {
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
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: b, hdr: resp.Header}
}

// expect does a request and fails the test unless the status is code.
func (c client) expect(code int, method, path, body string) response {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.code != code {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, r.code, r.body, code)
	}
	return r
}

type taskState struct {
	ID    int    `json:"id"`
	State string `json:"state"`
	Trace string `json:"trace"`
}

type status struct {
	Name      string `json:"name"`
	Connector struct {
		State    string `json:"state"`
		WorkerID string `json:"worker_id"`
	} `json:"connector"`
	Tasks []taskState `json:"tasks"`
	Type  string      `json:"type"`
}

// eventually polls cond until it holds; the deadline only guards against a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c client) waitState(name, conn string, tasks ...string) status {
	c.t.Helper()
	var st status
	eventually(c.t, name+" is "+conn+" with tasks "+strings.Join(tasks, ","), func() bool {
		r := c.do("GET", "/connectors/"+name+"/status", "")
		if r.code != 200 {
			return false
		}
		r.json(c.t, &st)
		if st.Connector.State != conn || len(st.Tasks) != len(tasks) {
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
func (c client) committed(name string) map[string]int64 {
	c.t.Helper()
	var offs struct {
		Offsets []struct {
			Partition map[string]any `json:"partition"`
			Offset    map[string]any `json:"offset"`
		} `json:"offsets"`
	}
	c.expect(200, "GET", "/connectors/"+name+"/offsets", "").json(c.t, &offs)
	out := map[string]int64{}
	for _, o := range offs.Offsets {
		out[o.Partition["task"].(string)] = int64(o.Offset["seq"].(float64))
	}
	return out
}

// freePort returns a TCP port nothing listens on at the moment.
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
	var b bytes.Buffer
	for k, v := range props {
		b.WriteString(k + "=" + v + "\n")
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// buildTestBinary builds tests/cmd/connectd-test (connectd plus the generator) once per run.
func buildTestBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "connectd-test")
	cmd := exec.Command("go", "build", "-o", out, "./tests/cmd/connectd-test")
	cmd.Dir = testbed.RepoRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// endOffsets returns the end offset of every partition of topic.
func endOffsets(t *testing.T, brokers, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

type genRecord struct {
	Seq  int64 `json:"seq"`
	Task int   `json:"task"`
}

// readFrom reads generator records of topic from the given offsets (nil: from the start) until
// enough(records) holds.
func readFrom(t *testing.T, brokers, topic string, from map[int32]int64, enough func([]genRecord) bool) []genRecord {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(brokers)}
	if from == nil {
		opts = append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	} else {
		parts := map[int32]kgo.Offset{}
		for p, o := range from {
			parts[p] = kgo.NewOffset().At(o)
		}
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out []genRecord
	for !enough(out) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("timed out reading %s: %d records so far", topic, len(out))
		}
		fs.EachRecord(func(r *kgo.Record) {
			var g genRecord
			if err := json.Unmarshal(r.Value, &g); err != nil {
				t.Fatalf("record value %q: %v", r.Value, err)
			}
			out = append(out, g)
		})
	}
	return out
}

// minSeq returns the lowest seq of task among records.
func minSeq(recs []genRecord, task int) (int64, bool) {
	var m int64
	found := false
	for _, r := range recs {
		if r.Task == task && (!found || r.Seq < m) {
			m, found = r.Seq, true
		}
	}
	return m, found
}

func countTask(recs []genRecord, task int) int {
	n := 0
	for _, r := range recs {
		if r.Task == task {
			n++
		}
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
