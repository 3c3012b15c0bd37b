package distributed_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/distributed"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// A config topic with more than one partition would let workers see configurations in different
// orders; the worker refuses it at start-up and says how to fix it, as Kafka Connect does.
func TestConfigTopicWithThreePartitionsIsRefused(t *testing.T) {
	c := newCluster(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	compact := "compact"
	topic := c.props["config.storage.topic"]
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), 3, 1, map[string]*string{"cleanup.policy": &compact}, topic); err != nil {
		t.Fatal(err)
	}
	w := startExpectingFailure(t, c.settings(nil, "http://127.0.0.1:0"))
	if !errors.Is(w, distributed.ErrConfigTopicPartitions) {
		t.Fatalf("error %v, want ErrConfigTopicPartitions", w)
	}
	for _, want := range []string{topic, "config.storage.topic", "single partition", "found 3 partitions"} {
		if !strings.Contains(w.Error(), want) {
			t.Errorf("error %q should mention %q", w, want)
		}
	}
}

// Create, pause, resume, stop, rewrite offsets, resume and delete a connector, every request sent
// to a follower: writes reach the leader (forwarded with forward=true) and every worker's view.
func TestLifecycleThroughFollowers(t *testing.T) {
	c := newCluster(t)
	// This test checks the eager protocol's spread and hand-over (TestCooperative* the others).
	c.props["connect.protocol"] = "eager"
	ws := []*worker{c.startInProcess(nil), c.startInProcess(nil), c.startInProcess(nil)}
	leader, followers := settled(t, ws...)
	f0, f1 := followers[0], followers[1]
	topic := testbed.Topic(t, "gen")

	// Create through a follower: 201 and the leader's answer.
	r := f0.expect(201, "POST", "/connectors", generatorConfig("gen", topic, nil))
	var info struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
	}
	r.JSON(t, &info)
	if info.Name != "gen" || info.Config["topic"] != topic {
		t.Fatalf("created %+v", info)
	}
	f0.expect(409, "POST", "/connectors", generatorConfig("gen", topic, nil))
	st := f1.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")
	// Eager round robin over three workers: the connector and its two tasks are spread out.
	owners := map[string]bool{st.Connector.WorkerID: true}
	for _, ts := range st.Tasks {
		owners[ts.WorkerID] = true
	}
	if len(owners) != 3 {
		t.Errorf("connector and tasks run on %v; the leader spreads them over the three workers", owners)
	}
	// Every worker answers reads from the shared topics.
	for _, w := range ws {
		var names []string
		w.expect(200, "GET", "/connectors", "").JSON(t, &names)
		if len(names) != 1 || names[0] != "gen" {
			t.Errorf("%s lists %v", w.URL, names)
		}
		var tasks []struct {
			Config map[string]string `json:"config"`
		}
		w.expect(200, "GET", "/connectors/gen/tasks", "").JSON(t, &tasks)
		if len(tasks) != 2 || tasks[1].Config["task.id"] != "1" {
			t.Errorf("%s tasks %+v", w.URL, tasks)
		}
	}

	f1.expect(202, "PUT", "/connectors/gen/pause", "")
	leader.WaitStatus("gen", "PAUSED", "PAUSED", "PAUSED")
	f0.expect(202, "PUT", "/connectors/gen/resume", "")
	leader.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")

	// Offsets may only change while the connector is STOPPED.
	patch := `{"offsets":[{"partition":{"task":"0"},"offset":{"seq":99999}},{"partition":{"task":"1"},"offset":{"seq":199999}}]}`
	if msg := f1.expect(400, "PATCH", "/connectors/gen/offsets", patch).ErrorMessage(t); !strings.Contains(msg, "STOPPED") {
		t.Errorf("PATCH while running: %q", msg)
	}
	f1.expect(204, "PUT", "/connectors/gen/stop", "")
	f0.WaitStatus("gen", "STOPPED")
	var tasks []any
	f0.expect(200, "GET", "/connectors/gen/tasks", "").JSON(t, &tasks)
	if len(tasks) != 0 {
		t.Fatalf("a STOPPED connector has no tasks; got %v", tasks)
	}
	if msg := f0.expect(400, "PATCH", "/connectors/gen/offsets", `{"offsets":[{"partition":{"task":"0"},"offset":{"seq":"x"}}]}`).ErrorMessage(t); !strings.Contains(msg, "refused") {
		t.Errorf("a malformed generator offset is refused by the connector: %q", msg)
	}
	f0.expect(200, "PATCH", "/connectors/gen/offsets", patch)
	if got := leader.committed("gen"); got[0] != 99999 || got[1] != 199999 {
		t.Fatalf("offsets after PATCH: %v", got)
	}
	start := readAll(t, c.brokers, topic)
	f1.expect(202, "PUT", "/connectors/gen/resume", "")
	f1.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")
	// Both tasks continue from the rewritten offsets.
	wait.Until(t, "both tasks produce after the patched offsets", func() bool {
		after := seqs(readAll(t, c.brokers, topic)[len(start):])
		return len(after[0]) > 0 && len(after[1]) > 0
	})
	after := seqs(readAll(t, c.brokers, topic)[len(start):])
	for task, first := range map[int]int64{0: 100000, 1: 200000} {
		min := int64(-1)
		for s := range after[task] {
			if min < 0 || s < min {
				min = s
			}
		}
		if min != first {
			t.Errorf("task %d resumed at %d, want %d (the patched offset + 1)", task, min, first)
		}
	}

	var topics map[string]struct {
		Topics []string `json:"topics"`
	}
	f0.expect(200, "GET", "/connectors/gen/topics", "").JSON(t, &topics)
	if got := topics["gen"].Topics; len(got) != 1 || got[0] != topic {
		t.Errorf("active topics %v, want [%s]", got, topic)
	}

	f0.expect(204, "DELETE", "/connectors/gen", "")
	for _, w := range ws {
		wait.Until(t, "the deletion reaches "+w.URL, func() bool { return w.Do("GET", "/connectors/gen", "").Code == 404 })
		w.expect(404, "GET", "/connectors/gen/status", "")
	}
	f1.expect(404, "DELETE", "/connectors/gen", "")
}

// A connector created PAUSED through a follower is stored with its target state first; a restart
// request goes to the worker that runs the instance.
func TestCreatePausedAndRestartThroughFollower(t *testing.T) {
	c := newCluster(t)
	ws := []*worker{c.startInProcess(nil), c.startInProcess(nil)}
	_, followers := settled(t, ws...)
	f := followers[0]
	topic := testbed.Topic(t, "gen")
	body := strings.TrimSuffix(generatorConfig("p", topic, map[string]string{"tasks.max": "1"}), "}") + `,"initial_state":"PAUSED"}`
	f.expect(201, "POST", "/connectors", body)
	f.WaitStatus("p", "PAUSED")
	f.expect(202, "PUT", "/connectors/p/resume", "")
	f.WaitStatus("p", "RUNNING", "RUNNING")
	for _, w := range ws {
		w.expect(204, "POST", "/connectors/p/restart", "")
		w.expect(204, "POST", "/connectors/p/tasks/0/restart", "")
	}
	var plan e2e.Status
	f.expect(202, "POST", "/connectors/p/restart?includeTasks=true", "").JSON(t, &plan)
	if plan.Connector.State != "RESTARTING" || len(plan.Tasks) != 1 || plan.Tasks[0].State != "RESTARTING" {
		t.Errorf("restart plan %+v", plan)
	}
	f.WaitStatus("p", "RUNNING", "RUNNING")

	// A new configuration through a follower restarts the connector on its worker; its new task
	// configurations reach the leader and the tasks follow after one rebalance.
	cfg := map[string]string{"connector.class": "io.connectd.tests.GeneratorConnector", "topic": topic, "tasks.max": "3", "rate": "50"}
	b, _ := json.Marshal(cfg)
	f.expect(200, "PUT", "/connectors/p/config", string(b))
	f.WaitStatus("p", "RUNNING", "RUNNING", "RUNNING", "RUNNING")
	f.expect(200, "PATCH", "/connectors/p/config", `{"tasks.max":"1","rate":null}`)
	st := f.WaitStatus("p", "RUNNING", "RUNNING")
	var got map[string]string
	ws[0].expect(200, "GET", "/connectors/p/config", "").JSON(t, &got)
	if _, ok := got["rate"]; ok || got["tasks.max"] != "1" {
		t.Errorf("config after PATCH: %v", got)
	}
	if len(st.Tasks) != 1 {
		t.Errorf("tasks after PATCH: %+v", st.Tasks)
	}
}

// startExpectingFailure runs a worker that must refuse to start, and returns its error.
func startExpectingFailure(t *testing.T, props map[string]string) error {
	t.Helper()
	cfg, _, err := workerconfig.Parse(props, workerconfig.Distributed)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = distributed.Run(ctx, distributed.Options{Config: cfg, Plugins: reg, Version: "test"})
	if err == nil || ctx.Err() != nil {
		t.Fatalf("the worker started (%v); it must refuse the config topic", err)
	}
	return err
}

// Three worker processes; kill -9 the one running a task of a streaming connector. The task
// resumes on another worker after the session timeout and one rebalance, from its committed
// offset, and no record is lost: every sequence number up to the last committed one of each task
// is in the topic (records sent after the last commit before the kill appear twice, which
// at-least-once allows).
func TestKillWorkerWhileStreaming(t *testing.T) {
	c := newCluster(t)
	// This test checks the eager protocol's spread and hand-over (TestCooperative* the others).
	c.props["connect.protocol"] = "eager"
	ws := []*worker{c.startProcess(), c.startProcess(), c.startProcess()}
	_, followers := settled(t, ws...)
	topic := testbed.Topic(t, "gen")
	followers[0].expect(201, "POST", "/connectors", generatorConfig("gen", topic, map[string]string{"rate": "500"}))
	st := followers[1].WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")
	wait.Until(t, "both tasks stream and commit", func() bool {
		got := followers[1].committed("gen")
		return got[0] > 200 && got[1] > 200
	})

	var victim *worker
	var survivors []*worker
	for _, w := range ws {
		if w.url == st.Tasks[0].WorkerID {
			victim = w
		} else {
			survivors = append(survivors, w)
		}
	}
	if victim == nil {
		t.Fatalf("task 0 runs on %s, which is none of the workers", st.Tasks[0].WorkerID)
	}
	genBefore, _ := survivors[0].generation()
	before := survivors[0].committed("gen")
	killed := time.Now()
	victim.kill()
	t.Logf("killed -9 worker %s (it ran task 0; the connector ran on %s, task 1 on %s)", victim.url, st.Connector.WorkerID, st.Tasks[1].WorkerID)

	var after e2e.Status
	wait.Until(t, "every task runs on a surviving worker", func() bool {
		s, ok := survivors[0].GetStatus("gen")
		if !ok || s.Connector.State != "RUNNING" || s.Connector.WorkerID == victim.url || len(s.Tasks) != 2 {
			return false
		}
		for _, ts := range s.Tasks {
			if ts.State != "RUNNING" || ts.WorkerID == victim.url {
				return false
			}
		}
		after = s
		return true
	})
	t.Logf("task 0 RUNNING on %s %s after the kill (session.timeout.ms=%s, heartbeat.interval.ms=%s)",
		after.Tasks[0].WorkerID, time.Since(killed).Round(time.Millisecond), c.props["session.timeout.ms"], c.props["heartbeat.interval.ms"])
	genAfter, _ := survivors[0].generation()
	if genAfter != genBefore+1 {
		t.Errorf("the survivors went from generation %d to %d; one rebalance (generation %d) should move the work", genBefore, genAfter, genBefore+1)
	}
	wait.Until(t, "task 0 commits beyond where it was before the kill", func() bool {
		return survivors[0].committed("gen")[0] > before[0]
	})

	survivors[1].expect(204, "PUT", "/connectors/gen/stop", "")
	survivors[0].WaitStatus("gen", "STOPPED")
	final := survivors[0].committed("gen")
	found := seqs(readAll(t, c.brokers, topic))
	for task := 0; task < 2; task++ {
		dups := 0
		for seq := int64(0); seq <= final[task]; seq++ {
			n := found[task][seq]
			if n == 0 {
				t.Fatalf("task %d: seq %d is missing from %s (committed up to %d): a record was lost", task, seq, topic, final[task])
			}
			dups += n - 1
		}
		t.Logf("task %d: seq 0..%d all present, %d duplicates (sent again after the last commit before the kill)", task, final[task], dups)
	}
}

// A worker that joins gets a share of the work at the next rebalance; one that stops gracefully
// commits its tasks' offsets and leaves the group, and the others take its share at once, with
// no gap and no duplicate in any task's sequence.
func TestWorkerJoinsAndLeaves(t *testing.T) {
	c := newCluster(t)
	// This test checks the eager protocol's spread and hand-over (TestCooperative* the others).
	c.props["connect.protocol"] = "eager"
	a, b := c.startInProcess(nil), c.startInProcess(nil)
	settled(t, a, b)
	topic := testbed.Topic(t, "gen")
	a.expect(201, "POST", "/connectors", generatorConfig("gen", topic, map[string]string{"tasks.max": "4"}))
	a.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING")

	newcomer := c.startInProcess(nil)
	settled(t, a, b, newcomer)
	wait.Until(t, "the newcomer runs part of the connector", func() bool {
		st, ok := a.GetStatus("gen")
		if !ok || len(st.Tasks) != 4 {
			return false
		}
		n := 0
		for _, ts := range st.Tasks {
			if ts.State != "RUNNING" {
				return false
			}
			if ts.WorkerID == newcomer.url {
				n++
			}
		}
		return n > 0 || st.Connector.WorkerID == newcomer.url
	})

	newcomer.stop()
	if err := newcomer.err(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	wait.Until(t, "the remaining workers run everything", func() bool {
		st, ok := b.GetStatus("gen")
		if !ok || st.Connector.State != "RUNNING" || st.Connector.WorkerID == newcomer.url || len(st.Tasks) != 4 {
			return false
		}
		for _, ts := range st.Tasks {
			if ts.State != "RUNNING" || ts.WorkerID == newcomer.url {
				return false
			}
		}
		return true
	})
	b.expect(204, "PUT", "/connectors/gen/stop", "")
	a.WaitStatus("gen", "STOPPED")
	final := a.committed("gen")
	found := seqs(readAll(t, c.brokers, topic))
	for task := 0; task < 4; task++ {
		for seq := int64(0); seq <= final[task]; seq++ {
			switch found[task][seq] {
			case 0:
				t.Fatalf("task %d: seq %d missing (committed up to %d)", task, seq, final[task])
			case 1:
			default:
				// Every hand-over here is graceful: tasks commit what Kafka acknowledged before
				// they stop, so nothing is sent twice.
				t.Errorf("task %d: seq %d written %d times", task, seq, found[task][seq])
			}
		}
	}
}
