// Package faults injects faults into real CDC connectors on the test bed and checks by content
// that nothing is lost or invented: kill -9 of the worker process at seeded random points (during
// the snapshot, while streaming, inside large transactions, around offset flushes), and the
// source's replication connection cut on the server side. Every change of the workload is a row
// version (id, seq) with a payload derived from both, so every record in Kafka can be checked
// against the table, and a version seen twice is counted as a duplicate.
//
// Scale: CONNECTD_FAULTS_KILLS (default 20 kill points per connector), CONNECTD_FAULTS_ROWS
// (default 20000 rows snapshotted), CONNECTD_FAULTS_SEED (default 1). CONNECTD_FAULTS_RESULTS
// names a file the results table rows are appended to (see RESULTS.md).
package faults

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// source is the database side of a fault test.
type source interface {
	// addr is the server's host:port.
	addr() string
	// name is "mariadb" or "postgres", for the results.
	name() string
	// exec runs statements on the test's own connection; a failure fails the test.
	exec(sqls ...string)
	// tx runs the statements as one transaction on the workload's connection.
	tx(sqls ...string) error
	// table returns seq per id of table f.
	table() map[int64]int64
	// connector returns the connector's properties for topic prefix prefix.
	connector(prefix string) map[string]string
	// topic returns the topic of table f.
	topic(prefix string) string
	// sessions returns the server-side ids of the worker process's replication sessions.
	sessions(workerPID int) ([]int64, error)
	// cut ends these sessions from the server side, as a DBA or a failover would.
	cut(ids []int64) error
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a non-negative integer", name, s)
	}
	return n
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/connectd once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "connectd-faults")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "connectd")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/connectd")
		cmd.Dir = testbed.RepoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// worker is one run of the worker process: `connectd standalone worker.properties
// connector.properties`, so a restart needs no REST call to bring the connector back.
type worker struct {
	t    *testing.T
	cmd  *exec.Cmd
	rest *e2e.Client
	log  string
	done chan struct{}
}

// startWorker starts a worker process on dir's offsets file.
func startWorker(t *testing.T, dir string, run int, connector map[string]string, extra map[string]string, ns *netns) *worker {
	t.Helper()
	port := e2e.FreePort(t)
	inside := port
	if ns != nil {
		inside = 8083 // the namespace's own loopback: any port is free
	}
	props := map[string]string{
		"bootstrap.servers":              testbed.Kafka(t),
		"offset.storage.file.filename":   filepath.Join(dir, "offsets"),
		"offset.flush.interval.ms":       "100",
		"listeners":                      fmt.Sprintf("http://127.0.0.1:%d", inside),
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
	}
	for k, v := range extra {
		props[k] = v
	}
	wp := e2e.WriteProps(t, dir, "worker.properties", props)
	cp := e2e.WriteProps(t, dir, "connector.properties", connector)
	logName := filepath.Join(dir, fmt.Sprintf("worker-%03d.log", run))
	cmd := exec.Command(binary(t), "standalone", wp, cp)
	if ns != nil {
		cmd = ns.command(t, cmd.Args, inside, port, logName+".worker")
	}
	return runWorker(t, cmd, logName, port, fmt.Sprintf("worker run %d", run), fmt.Sprintf("worker run %d", run), 4000, logName+".worker")
}

// preloadTopic preloads rows rows into src (preload) and returns a new topic prefix for the case
// name (testbed.Topic), the topic of src's table under it, and a consumer of that topic.
func preloadTopic(t *testing.T, src source, rows int64, name string) (prefix, topic string, consumer *e2e.Consumer) {
	t.Helper()
	preload(t, src, rows)
	prefix = testbed.Topic(t, name)
	topic = src.topic(prefix)
	return prefix, topic, e2e.NewConsumer(t, topic)
}

// runWorker starts cmd, its output going to the file logName, as a worker whose REST API answers
// on the loopback port, and waits until the port takes connections: the worker exiting first, or
// a minute passing, fails the test. When the test ends the worker is killed and, if the test
// failed, the last tail bytes of its log and of the files also names (those that exist) are
// logged. name names the worker in the messages, logLabel (say, with the worker's address) in
// the one of its log.
func runWorker(t *testing.T, cmd *exec.Cmd, logName string, port int, name, logLabel string, tail int, also ...string) *worker {
	t.Helper()
	logf, err := os.Create(logName)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	w := &worker{t: t, cmd: cmd, rest: e2e.NewClient(t, "http://"+addr), log: logName, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(w.done) }()
	t.Cleanup(func() {
		w.kill()
		if t.Failed() {
			b, _ := os.ReadFile(logName)
			for _, f := range also {
				if more, err := os.ReadFile(f); err == nil {
					b = append(b, more...)
				}
			}
			if len(b) > tail {
				b = b[len(b)-tail:]
			}
			t.Logf("%s log (tail):\n%s", logLabel, b)
		}
	})
	deadline := time.Now().Add(time.Minute)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		select {
		case <-w.done:
			b, _ := os.ReadFile(logName)
			t.Fatalf("%s exited at start:\n%s", name, b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the REST API did not come up", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return w
}

// kill sends SIGKILL and waits for the process to end.
func (w *worker) kill() {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
}

// stop sends SIGTERM (a graceful stop: offsets flushed) and waits.
func (w *worker) stop() {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(60 * time.Second):
		w.kill()
	}
}

// state returns the connector's and its first task's state and trace, "" when unknown.
func (w *worker) state() (conn, task, trace string) {
	code, body := w.rest.Call("GET", "/connectors/faults/status", nil)
	if code != 200 {
		return "", "", ""
	}
	var st struct {
		Connector struct{ State string }
		Tasks     []struct{ State, Trace string }
	}
	if json.Unmarshal(body, &st) != nil || len(st.Tasks) == 0 {
		return st.Connector.State, "", ""
	}
	return st.Connector.State, st.Tasks[0].State, st.Tasks[0].Trace
}

// pad is the payload column of version seq of row id: every record's value can be checked.
func pad(id, seq int64) string { return fmt.Sprintf("p%d-%d", id, seq) }

// workload writes row versions into table f while the faults happen: single-row inserts and
// updates, multi-row transactions, and large single-statement transactions. Every update adds 1
// to seq and sets pad accordingly, so the table's final seq says which versions must be in Kafka.
// pad is assigned before seq: MariaDB evaluates SET assignments left to right with the new values.
type workload struct {
	src      source
	rnd      *rand.Rand
	nextID   int64
	ids      int64 // ids 1..ids exist
	stopc    chan struct{}
	wg       sync.WaitGroup
	err      error
	ops, big int
	// done is ops for other goroutines while the workload runs (a kill's log line).
	done atomic.Int64
}

func startWorkload(src source, seed int64, rows int64) *workload {
	w := &workload{src: src, rnd: rand.New(rand.NewSource(seed)), nextID: rows + 1, ids: rows, stopc: make(chan struct{})}
	w.wg.Add(1)
	go w.run()
	return w
}

func (w *workload) run() {
	defer w.wg.Done()
	for {
		select {
		case <-w.stopc:
			return
		default:
		}
		var sqls []string
		switch p := w.rnd.Intn(100); {
		case p < 40:
			id := w.nextID
			w.nextID++
			sqls = []string{fmt.Sprintf("INSERT INTO f VALUES (%d, 0, '%s')", id, pad(id, 0))}
		case p < 85:
			id := 1 + w.rnd.Int63n(w.nextID-1)
			sqls = []string{fmt.Sprintf("UPDATE f SET pad = CONCAT('p', id, '-', seq + 1), seq = seq + 1 WHERE id = %d", id)}
		case p < 97:
			for i := 0; i < 20; i++ {
				id := w.nextID
				w.nextID++
				sqls = append(sqls, fmt.Sprintf("INSERT INTO f VALUES (%d, 0, '%s')", id, pad(id, 0)))
			}
		default:
			// A large transaction: one statement changing up to 2000 rows.
			from := 1 + w.rnd.Int63n(w.nextID-1)
			sqls = []string{fmt.Sprintf("UPDATE f SET pad = CONCAT('p', id, '-', seq + 1), seq = seq + 1 WHERE id BETWEEN %d AND %d", from, from+1999)}
			w.big++
		}
		if err := w.src.tx(sqls...); err != nil {
			w.err = err
			return
		}
		w.ops++
		w.done.Store(int64(w.ops))
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *workload) stop() error {
	select {
	case <-w.stopc:
	default:
		close(w.stopc)
	}
	w.wg.Wait()
	return w.err
}

// result is one row of the results table.
type result struct {
	connector, fault                      string
	faults, records, versions, lost, dups int
	dupReads                              int // of dups, repeated snapshot reads
	invented, wrong                       int
	seconds                               float64
	// eos: exactly-once support was on, and the records were read read_committed; the
	// duplicates go to their own column and must be 0.
	eos bool
}

func (r result) String() string {
	dups, eosDups := fmt.Sprintf("%d (%d snapshot reads)", r.dups, r.dupReads), "-"
	if r.eos {
		dups, eosDups = eosDups, dups
	}
	return fmt.Sprintf("| %s | %s | %d | %d | %d | %d | %s | %s | %d | %.0f |", r.connector, r.fault, r.faults, r.records,
		r.versions, r.lost, dups, eosDups, r.invented+r.wrong, r.seconds)
}

// check compares every record of the topic with the table: each version (id, seq) of every row
// must be in Kafka (the rows of the snapshot are read at version 0, before the workload starts), with
// the payload of that version; a version seen more than once counts as duplicates; a version the
// table never had (seq above the row's final seq, or a row not in the table) is invented.
func check(t *testing.T, consumer *e2e.Consumer, topic string, table map[int64]int64, quiet bool) (res result, missing []string) {
	t.Helper()
	return checkExcusing(t, consumer, topic, table, nil, quiet)
}

// checkExcusing is check with the versions excused reports true for (when it is not nil) neither
// expected nor lost.
func checkExcusing(t *testing.T, consumer *e2e.Consumer, topic string, table map[int64]int64, excused func(id, seq int64) bool, quiet bool) (res result, missing []string) {
	t.Helper()
	report := func(format string, args ...any) {
		if !quiet {
			t.Errorf(format, args...)
		}
	}
	seen := map[[2]int64]int{}
	reads := map[[2]int64]int{}
	for _, r := range consumer.Records(topic) {
		res.records++
		if r.Value == nil {
			continue
		}
		var ev struct {
			Op    string
			After *struct {
				ID  int64  `json:"id"`
				Seq int64  `json:"seq"`
				Pad string `json:"pad"`
			}
		}
		if err := json.Unmarshal(r.Value, &ev); err != nil || ev.After == nil {
			res.wrong++
			report("a record that is not an insert, update or read event: %.300s", r.Value)
			continue
		}
		a := ev.After
		final, ok := table[a.ID]
		switch {
		case !ok || a.Seq > final || a.Seq < 0:
			res.invented++
			if res.invented <= 5 {
				report("invented version: %.300s (table seq %d, ok %v)", r.Value, final, ok)
			}
		case a.Pad != pad(a.ID, a.Seq):
			res.wrong++
			if res.wrong <= 5 {
				report("wrong payload: %.300s", r.Value)
			}
		}
		seen[[2]int64{a.ID, a.Seq}]++
		if ev.Op == "r" {
			reads[[2]int64{a.ID, a.Seq}]++
		}
	}
	for id, final := range table {
		for s := int64(0); s <= final; s++ {
			if excused != nil && excused(id, s) {
				continue
			}
			res.versions++
			n := seen[[2]int64{id, s}]
			if n == 0 {
				res.lost++
				if len(missing) < 10 {
					missing = append(missing, fmt.Sprintf("%d@%d", id, s))
				}
			} else {
				res.dups += n - 1
				// A row read by more than one snapshot run: its reads beyond the first.
				if r := reads[[2]int64{id, s}]; r > 1 {
					res.dupReads += r - 1
				}
			}
		}
	}
	return res, missing
}

// appendResult adds the row to CONNECTD_FAULTS_RESULTS when set.
func appendResult(t *testing.T, r result) {
	t.Logf("%s", r)
	name := os.Getenv("CONNECTD_FAULTS_RESULTS")
	if name == "" {
		return
	}
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, r.String())
}

// runKills is the kill -9 case: rows rows snapshotted while the worker is killed at seeded
// random points, then streaming under the workload with kills at random points, then a last run
// that catches up; every version is checked.
func runKills(t *testing.T, src source) {
	kills := envInt(t, "CONNECTD_FAULTS_KILLS", 20)
	rows := int64(envInt(t, "CONNECTD_FAULTS_ROWS", 20000))
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	rnd := rand.New(rand.NewSource(seed))
	began := time.Now()
	prefix, topic, consumer := preloadTopic(t, src, rows, "faults")
	dir := t.TempDir()
	conn := src.connector(prefix)
	run := 0

	// Kills during the snapshot: a quarter of them, each after a random 0.3-2 s of running.
	// A kill counts as in the snapshot when the topic does not hold every row after it.
	snapKills, inSnapshot := max(1, kills/4), 0
	for i := 0; i < snapKills; i++ {
		run++
		w := startWorker(t, dir, run, conn, nil, nil)
		time.Sleep(time.Duration(100+rnd.Intn(1400)) * time.Millisecond)
		w.kill()
		consumer.Settle(300 * time.Millisecond)
		if distinct(consumer, topic) < int(rows) {
			inSnapshot++
		}
	}
	// Let the snapshot finish, then stream under the workload with the remaining kills.
	run++
	w := startWorker(t, dir, run, conn, nil, nil)
	waitDistinct(t, consumer, topic, rows)
	load := startWorkload(src, seed, rows)
	defer load.stop()
	for i := snapKills; i < kills; i++ {
		time.Sleep(time.Duration(500+rnd.Intn(2500)) * time.Millisecond)
		w.kill()
		run++
		w = startWorker(t, dir, run, conn, nil, nil)
	}
	time.Sleep(time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	finish(t, src, w, consumer, topic, rows, result{connector: src.name(),
		fault:  fmt.Sprintf("kill -9: %d in the snapshot, %d streaming (large tx, flushes every 100 ms)", inSnapshot, kills-inSnapshot),
		faults: kills}, began, load)
}

// finish waits until every version is in Kafka (or two minutes pass), checks the status, and
// compares by content.
func finish(t *testing.T, src source, w *worker, consumer *e2e.Consumer, topic string, rows int64, res result, began time.Time, load *workload) {
	t.Helper()
	finishExcusing(t, src, w, consumer, topic, nil, 10*time.Minute, res, began, load)
}

// finishExcusing is finish with the versions excused reports true for (when it is not nil) neither
// expected nor lost, and delivery given up to hardcap.
func finishExcusing(t *testing.T, src source, w *worker, consumer *e2e.Consumer, topic string, excused func(id, seq int64) bool, hardcap time.Duration,
	res result, began time.Time, load *workload) {
	t.Helper()
	table := src.table()
	want := 0
	for _, s := range table {
		want += int(s) + 1
	}
	// Wait while records keep arriving; check (which decodes every record) only when they stop.
	// A pipeline that stalls for 30 s, or takes until hardcap, is reported by the check below.
	end, lastGrowth, prev := time.Now().Add(hardcap), time.Now(), -1
	for time.Now().Before(end) {
		consumer.Settle(2 * time.Second)
		if n := len(consumer.Records(topic)); n != prev {
			prev, lastGrowth = n, time.Now()
			continue
		}
		if r, _ := checkExcusing(t, consumer, topic, table, excused, true); r.lost == 0 || time.Since(lastGrowth) > 30*time.Second {
			break
		}
	}
	consumer.Settle(2 * time.Second)
	if c, task, trace := w.state(); c != "RUNNING" || task != "RUNNING" {
		t.Errorf("status after the faults: connector %s, task %s %s", c, task, trace)
	}
	w.stop()
	got, missing := checkExcusing(t, consumer, topic, table, excused, false)
	got.connector, got.fault, got.faults, got.eos = res.connector, res.fault, res.faults, res.eos
	got.seconds = time.Since(began).Seconds()
	switch {
	case excused == nil: // every version of the table is expected
		t.Logf("%d workload transactions (%d large), %d rows, %d versions expected", load.ops, load.big, len(table), want)
	case load != nil:
		t.Logf("%d workload transactions (%d large), %d rows", load.ops, load.big, len(table))
	}
	appendResult(t, got)
	if got.lost > 0 {
		t.Errorf("%d of %d versions lost, e.g. %s", got.lost, got.versions, strings.Join(missing, " "))
	}
	if got.invented+got.wrong > 0 {
		t.Errorf("%d invented versions, %d wrong records", got.invented, got.wrong)
	}
	if got.eos && got.dups > 0 {
		t.Errorf("%d duplicates for a read_committed consumer with exactly-once support on", got.dups)
	}
}

// preload creates table f with rows rows at version 0.
func preload(t *testing.T, src source, rows int64) {
	t.Helper()
	src.exec("CREATE TABLE f (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, pad VARCHAR(64) NOT NULL)")
	for start := int64(1); start <= rows; start += 5000 {
		var b strings.Builder
		b.WriteString("INSERT INTO f VALUES ")
		for id := start; id < start+5000 && id <= rows; id++ {
			if id > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,0,'%s')", id, pad(id, 0))
		}
		src.exec(b.String())
	}
}

// distinct is the number of keys in the records of topic read so far.
func distinct(consumer *e2e.Consumer, topic string) int {
	ids := map[string]bool{}
	for _, r := range consumer.Records(topic) {
		ids[string(r.Key)] = true
	}
	return len(ids)
}

// waitDistinct waits until the topic holds a record for each of the ids 1..n.
func waitDistinct(t *testing.T, consumer *e2e.Consumer, topic string, n int64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		got := distinct(consumer, topic)
		if int64(got) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the snapshot delivered %d of %d rows", got, n)
		}
		consumer.Settle(500 * time.Millisecond)
	}
}

// runCuts is the connection-cut case: while the workload runs, the connector's replication
// session is ended on the server side cuts times; the status must show the task RUNNING again
// (the connector reconnects) or FAILED with a trace naming the cause, and after the last cut
// (with a task restart when it failed) every version must be in Kafka.
func runCuts(t *testing.T, src source, cuts int) {
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	rnd := rand.New(rand.NewSource(seed + 100))
	began := time.Now()
	rows := int64(1000)
	prefix, topic, consumer := preloadTopic(t, src, rows, "cuts")
	dir := t.TempDir()
	w := startWorker(t, dir, 1, src.connector(prefix), nil, nil)
	waitDistinct(t, consumer, topic, rows)
	load := startWorkload(src, seed, rows)
	defer load.stop()
	failures := 0
	for i := 0; i < cuts; i++ {
		time.Sleep(time.Duration(500+rnd.Intn(1500)) * time.Millisecond)
		var ids []int64
		for j := 0; j < 100 && len(ids) == 0; j++ {
			var err error
			if ids, err = src.sessions(w.cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			if len(ids) == 0 {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if len(ids) == 0 {
			t.Fatalf("cut %d: the worker has no replication session to end", i+1)
		}
		if err := src.cut(ids); err != nil {
			t.Fatal(err)
		}
		// The status must settle on the truth: the task RUNNING on a new session, or FAILED with
		// a trace (then restarted, as an operator would).
		deadline := time.Now().Add(time.Minute)
		for {
			time.Sleep(300 * time.Millisecond)
			_, task, trace := w.state()
			if task == "FAILED" {
				failures++
				t.Logf("cut %d: the task failed: %.300s", i+1, trace)
				if trace == "" {
					t.Errorf("cut %d: FAILED without a trace", i+1)
				}
				if code, b := w.rest.Call("POST", "/connectors/faults/tasks/0/restart", nil); code >= 300 {
					t.Fatalf("restart: %d %s", code, b)
				}
				continue
			}
			now, err := src.sessions(w.cmd.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			if task == "RUNNING" && len(now) > 0 && now[0] != ids[0] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cut %d: no new replication session within a minute (task %q, sessions %v)", i+1, task, now)
			}
		}
	}
	time.Sleep(time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	finish(t, src, w, consumer, topic, rows, result{connector: src.name(), fault: fmt.Sprintf("replication session cut (%d task failures)", failures),
		faults: cuts}, began, load)
}

// runKafkaCut is the Kafka case: the worker (in its own network namespace) loses Kafka for
// longer than the producer's delivery timeout while the workload runs. The task must fail with
// a trace or keep retrying — the status saying which at every step — and never drop a batch and
// commit offsets past it: after Kafka is back (and the task restarted if it failed) every version
// must be in Kafka.
func runKafkaCut(t *testing.T, src source) {
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	began := time.Now()
	rows := int64(1000)
	prefix, topic, consumer := preloadTopic(t, src, rows, "kcut")
	ns := newNetns(t, testbed.Kafka(t), src.addr())
	const deliveryTimeout = 8 * time.Second
	w := startWorker(t, t.TempDir(), 1, src.connector(prefix),
		map[string]string{"producer.delivery.timeout.ms": strconv.Itoa(int(deliveryTimeout.Milliseconds()))}, ns)
	waitDistinct(t, consumer, topic, rows)
	load := startWorkload(src, seed, rows)
	defer load.stop()
	time.Sleep(2 * time.Second)

	kafka := ns.gates[port(t, testbed.Kafka(t))]
	kafka.setCut(true)
	// What was in flight lands or fails within a second; after that nothing may arrive, which
	// shows the worker has no way to Kafka but the gate.
	time.Sleep(time.Second)
	consumer.Settle(time.Second)
	during := len(consumer.Records(topic))
	states := map[string]int{}
	var trace string
	for end := time.Now().Add(deliveryTimeout + 10*time.Second); time.Now().Before(end); {
		time.Sleep(500 * time.Millisecond)
		c, task, tr := w.state()
		if c == "" {
			t.Fatal("the worker's REST API did not answer while Kafka was cut")
		}
		states[task]++
		if task == "FAILED" && trace == "" {
			trace = tr
		}
	}
	consumer.Settle(time.Second)
	if n := len(consumer.Records(topic)); n != during {
		t.Fatalf("%d records reached Kafka while the worker's way to it was cut: the cut does not work", n-during)
	}
	kafka.setCut(false)
	t.Logf("task states seen (500 ms apart) while Kafka was cut: %v", states)
	if states["FAILED"] == 0 {
		t.Errorf("the task never showed FAILED while Kafka was unreachable for %s, longer than delivery.timeout.ms (%s): the status said %v",
			deliveryTimeout+10*time.Second, deliveryTimeout, states)
	}
	// Records that timed out in the producer fail the task, possibly only once the producer
	// reaches Kafka again; the status must then say FAILED with the cause, and a restart (as the
	// trace tells the operator) resumes from the last acknowledged record.
	failures := 0
	restart := func(when, trace string) {
		failures++
		t.Logf("the task failed (%s): %.500s", when, trace)
		if !strings.Contains(trace, "Kafka did not accept a record") || !strings.Contains(trace, "restart") {
			t.Errorf("the trace does not say what happened and what to do: %s", trace)
		}
		if code, b := w.rest.Call("POST", "/connectors/faults/tasks/0/restart", nil); code >= 300 {
			t.Fatalf("restart: %d %s", code, b)
		}
	}
	if states["FAILED"] > 0 {
		restart("while Kafka was cut", trace)
	}
	after := map[string]int{}
	for end := time.Now().Add(deliveryTimeout + 10*time.Second); time.Now().Before(end); {
		time.Sleep(500 * time.Millisecond)
		_, task, tr := w.state()
		after[task]++
		if task == "FAILED" {
			restart("after Kafka came back", tr)
		}
	}
	t.Logf("task states seen after Kafka came back: %v", after)
	time.Sleep(2 * time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	finish(t, src, w, consumer, topic, rows, result{connector: src.name(),
		fault:  fmt.Sprintf("Kafka unreachable %s > delivery.timeout.ms (%d task failures)", deliveryTimeout+10*time.Second, failures),
		faults: 1}, began, load)
}

func port(t *testing.T, addr string) int {
	_, ps, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(ps)
	return p
}
