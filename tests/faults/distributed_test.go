package faults

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// The group cases run the connector in a distributed group of two connectd processes on the test
// bed's Kafka (group and internal topics unique to the test) and kill -9 the workers at seeded
// random points: while one joins the group, while the group rebalances after an earlier kill, the
// worker running the task, the idle one. Every killed worker is replaced at once by a new process,
// as a supervisor would. With exactly.once=true the workers run with
// exactly.once.source.support=enabled and the connector with exactly.once.support=required, and
// the records are read read_committed: there must be no duplicate at all.
//
// The sessioned protocol (the default, and the one exactly-once needs) keeps a departed worker's
// tasks unassigned for scheduled.rebalance.max.delay.ms, 5 minutes by default, in case it comes
// back; these tests set it to 0 so that a killed worker's task moves once the broker notices the
// death (session.timeout.ms, 6 s, the broker's minimum).

// groupSessionTimeout is the workers' session.timeout.ms.
const groupSessionTimeout = 6 * time.Second

// statusLieAfter bounds how long after its worker was killed the status may still show a task
// RUNNING there: the session timeout, the rebalance, the exactly-once fencing round, and the
// task's start on its new worker (connecting to the database).
const statusLieAfter = 40 * time.Second

// group is one test's distributed cluster.
type group struct {
	t     *testing.T
	dir   string
	props map[string]string
	runs  int
	dead  map[string]time.Time // worker ids (host:port) of killed workers, and when
	// worst is the longest a killed worker was shown running the task.
	worst time.Duration
	// failures counts the FAILED task states seen (each restarted over REST).
	failures int
}

// member is one worker process of the group.
type member struct {
	w       *worker
	id      string // the worker_id the statuses give it: its REST listener's host:port
	started time.Time
}

func newGroup(t *testing.T, eos bool) *group {
	props := map[string]string{
		"bootstrap.servers":                 testbed.Kafka(t),
		"group.id":                          testbed.Topic(t, "group"),
		"config.storage.topic":              testbed.Topic(t, "configs"),
		"offset.storage.topic":              testbed.Topic(t, "offsets"),
		"status.storage.topic":              testbed.Topic(t, "status"),
		"config.storage.replication.factor": "1",
		"offset.storage.replication.factor": "1",
		"status.storage.replication.factor": "1",
		"offset.storage.partitions":         "1",
		"status.storage.partitions":         "1",
		"key.converter":                     "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                   "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":      "false",
		"value.converter.schemas.enable":    "false",
		"session.timeout.ms":                strconv.Itoa(int(groupSessionTimeout.Milliseconds())),
		"heartbeat.interval.ms":             "1000",
		"offset.flush.interval.ms":          "100",
		"scheduled.rebalance.max.delay.ms":  "0",
		"task.shutdown.graceful.timeout.ms": "5000",
	}
	if eos {
		props["exactly.once.source.support"] = "enabled"
	}
	return &group{t: t, dir: t.TempDir(), props: props, dead: map[string]time.Time{}}
}

// start runs a new worker process of the group (`connectd distributed worker.properties`) and
// waits until its REST API answers.
func (g *group) start() *member {
	t := g.t
	t.Helper()
	g.runs++
	port := e2e.FreePort(t)
	id := fmt.Sprintf("127.0.0.1:%d", port)
	props := map[string]string{"listeners": "http://" + id}
	for k, v := range g.props {
		props[k] = v
	}
	wp := e2e.WriteProps(t, g.dir, fmt.Sprintf("worker-%03d.properties", g.runs), props)
	logName := filepath.Join(g.dir, fmt.Sprintf("worker-%03d.log", g.runs))
	run := g.runs
	w := runWorker(t, exec.Command(binary(t), "distributed", wp), logName, port, fmt.Sprintf("group worker %d", run), fmt.Sprintf("group worker %d (%s)", run, id), 3000)
	return &member{w: w, id: id, started: time.Now()}
}

var joinedRe = regexp.MustCompile(`msg="joined the connect group".* generation=(\d+)`)

// generation is the last generation the member joined, -1 before its first join.
func (m *member) generation() int {
	b, _ := os.ReadFile(m.w.log)
	all := joinedRe.FindAllSubmatch(b, -1)
	if len(all) == 0 {
		return -1
	}
	n, _ := strconv.Atoi(string(all[len(all)-1][1]))
	return n
}

// status returns the connector's status from the first member that gives one.
func (g *group) status(ms [2]*member) (e2e.Status, bool) {
	for _, m := range ms {
		r := m.w.rest.Do("GET", "/connectors/faults/status", "")
		if r.Code != 200 {
			continue
		}
		var st e2e.Status
		if json.Unmarshal(r.Body, &st) == nil {
			return st, true
		}
	}
	return e2e.Status{}, false
}

// check asserts that the status tells the truth: no task FAILED (it would be restarted, and
// counted), and the task not shown RUNNING on a worker killed longer than statusLieAfter ago.
// It returns the index of the member running the task, -1 when none does (yet).
func (g *group) check(ms [2]*member) int {
	st, ok := g.status(ms)
	if !ok || len(st.Tasks) == 0 {
		return -1
	}
	task := st.Tasks[0]
	switch task.State {
	case "FAILED":
		g.failures++
		g.t.Errorf("the task FAILED during the group faults: %.600s", task.Trace)
		if task.Trace == "" {
			g.t.Errorf("the task is FAILED without a trace")
		}
		ms[0].w.rest.Do("POST", "/connectors/faults/tasks/0/restart", "")
	case "RUNNING":
		for i, m := range ms {
			if m.id == task.WorkerID {
				return i
			}
		}
		killed, wasKilled := g.dead[task.WorkerID]
		if !wasKilled {
			g.t.Errorf("the status shows the task RUNNING on %s, which is no worker of the group", task.WorkerID)
			return -1
		}
		ago := time.Since(killed)
		g.worst = max(g.worst, ago)
		if ago > statusLieAfter {
			g.t.Errorf("the status still shows the task RUNNING on %s, killed -9 %s ago", task.WorkerID, ago.Round(time.Second))
		}
	}
	return -1
}

// watch checks the status every 250 ms for d.
func (g *group) watch(ms [2]*member, d time.Duration) {
	for end := time.Now().Add(d); ; {
		g.check(ms)
		if time.Now().After(end) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// settle waits, checking the status, until both workers joined the same generation and the
// connector and its task run on them.
func (g *group) settle(ms [2]*member) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if gen := ms[0].generation(); g.check(ms) >= 0 && gen >= 0 && gen == ms[1].generation() {
			st, _ := g.status(ms)
			if st.Connector.State == "RUNNING" && (st.Connector.WorkerID == ms[0].id || st.Connector.WorkerID == ms[1].id) {
				return
			}
		}
		if time.Now().After(deadline) {
			st, _ := g.status(ms)
			g.t.Fatalf("the connector did not settle on the live workers %s and %s within 2 minutes: %+v", ms[0].id, ms[1].id, st)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// create creates connector "faults" through m, retrying while the group rebalances.
func (g *group) create(m *member, conn map[string]string) {
	body, _ := json.Marshal(map[string]any{"name": "faults", "config": conn})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r := m.w.rest.Do("POST", "/connectors", string(body))
		if r.Code == 201 {
			return
		}
		if time.Now().After(deadline) || (r.Code != 409 && r.Code != -1 && r.Code != 503) {
			g.t.Fatalf("create the connector: %d %s", r.Code, r.Body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// runGroupKills is the group case: the snapshot of rows rows, then the workload streaming while
// workers are killed -9 CONNECTD_FAULTS_GROUP_KILLS times (default 6), then every version is
// checked, with exactly-once support on when eos.
func runGroupKills(t *testing.T, src source, eos bool) {
	kills := envInt(t, "CONNECTD_FAULTS_GROUP_KILLS", 6)
	rows := int64(envInt(t, "CONNECTD_FAULTS_GROUP_ROWS", 2000))
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	rnd := rand.New(rand.NewSource(seed + 300))
	began := time.Now()
	preload(t, src, rows)
	prefix := testbed.Topic(t, "grp")
	topic := src.topic(prefix)
	consumer := e2e.NewConsumerAt(t, testbed.Kafka(t), []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted())}, topic)
	g := newGroup(t, eos)
	ms := [2]*member{g.start(), g.start()}
	conn := src.connector(prefix)
	if eos {
		conn["exactly.once.support"] = "required"
		conn["transaction.boundary"] = "poll"
	}
	g.create(ms[0], conn)
	g.settle(ms)
	waitDistinct(t, consumer, topic, rows)
	load := startWorkload(src, seed, rows)
	defer load.stop()

	kinds := map[string]int{}
	lastKill := time.Time{}
	for i := 0; i < kills; i++ {
		// Every other kill hits the task's worker in a settled group (the task moves mid-stream);
		// the others come 0-3 s after the previous one, while its replacement joins or the group
		// rebalances, and hit either worker.
		k := rnd.Intn(2)
		owner := -1
		if i%2 == 0 {
			g.settle(ms)
			g.watch(ms, time.Duration(rnd.Intn(2000))*time.Millisecond)
			if owner = g.check(ms); owner >= 0 {
				k = owner
			}
		} else {
			g.watch(ms, time.Duration(rnd.Intn(3000))*time.Millisecond)
			owner = g.check(ms)
		}
		var kind string
		switch {
		case i%2 == 0 && k == owner:
			kind = "the task's worker, group settled"
		case i%2 == 0:
			kind = "the idle worker, group settled"
		case ms[k].generation() < 0:
			kind = "while it joined"
		case ms[0].generation() != ms[1].generation() || time.Since(lastKill) < groupSessionTimeout+2*time.Second:
			kind = "in a rebalance"
		case k == owner:
			kind = "the task's worker"
		default:
			kind = "the idle worker"
		}
		kinds[kind]++
		t.Logf("kill %d: %s (%s), %d workload transactions so far", i+1, ms[k].id, kind, load.done.Load())
		ms[k].w.kill()
		lastKill = time.Now()
		g.dead[ms[k].id] = lastKill
		ms[k] = g.start()
	}
	g.settle(ms)
	t.Logf("the status showed a killed worker running the task for up to %s", g.worst.Round(time.Second))
	time.Sleep(time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	var desc []string
	for k, n := range kinds {
		desc = append(desc, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(desc)
	fault := fmt.Sprintf("group of 2, kill -9: %s (%d task failures)", strings.Join(desc, ", "), g.failures)
	finish(t, src, ms[0].w, consumer, topic, rows, result{connector: src.name(), fault: fault, faults: kills, eos: eos}, began, load)
}

// TestMariaDBGroupKills: kill -9 of the workers of a 2-worker distributed group running a MariaDB
// connector, at least once.
func TestMariaDBGroupKills(t *testing.T) { runGroupKills(t, newMaria(t), false) }

// TestPostgresGroupKills: the same for the PostgreSQL connector.
func TestPostgresGroupKills(t *testing.T) { runGroupKills(t, newPG(t), false) }

// TestMariaDBGroupKillsExactlyOnce: the group kills with exactly-once support; a read_committed
// consumer must see no duplicate.
func TestMariaDBGroupKillsExactlyOnce(t *testing.T) { runGroupKills(t, newMaria(t), true) }

// TestPostgresGroupKillsExactlyOnce: the same for the PostgreSQL connector.
func TestPostgresGroupKillsExactlyOnce(t *testing.T) { runGroupKills(t, newPG(t), true) }
