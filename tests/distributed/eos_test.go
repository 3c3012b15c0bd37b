package distributed_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// eosKills is how many times TestExactlyOnceKillNine kills a worker (CONNECTD_EOS_KILLS, default 3).
func eosKills(t *testing.T) int {
	if v := os.Getenv("CONNECTD_EOS_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CONNECTD_EOS_KILLS=%q: expected a positive number", v)
		}
		return n
	}
	return 3
}

// The generator connector (synthetic source, two tasks, transaction.boundary=poll) streams while
// a worker process is killed -9 at random points, several times, each time replaced by a new one.
// A read_committed consumer then sees every record of each task exactly once with
// exactly.once.source.support=enabled; with it disabled nothing is lost either but the records
// sent after the last offset commit before each kill appear twice. Both counts are logged.
func TestExactlyOnceKillNine(t *testing.T) {
	for _, mode := range []string{"enabled", "disabled"} {
		t.Run(mode, func(t *testing.T) { eosKillRun(t, mode == "enabled") })
	}
}

func eosKillRun(t *testing.T, eos bool) {
	const count = 4000 // records per task
	kills := eosKills(t)
	c := newEOSCluster(t)
	if eos {
		c.props["exactly.once.source.support"] = "enabled"
	}
	ws := []*worker{c.startProcess(), c.startProcess()}
	settled(t, ws...)
	topic := testbed.Topic(t, "eos")
	extra := map[string]string{"tasks.max": "2", "rate": "250", "batch.size": "20", "count": strconv.Itoa(count), "transaction.boundary": "poll"}
	if eos {
		extra["exactly.once.support"] = "required"
	}
	ws[0].expect(201, "POST", "/connectors", generatorConfig("eos", topic, extra))
	ws[0].WaitStatus("eos", "RUNNING", "RUNNING", "RUNNING")

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
	for i := range kills {
		time.Sleep(time.Duration(500+rng.IntN(2500)) * time.Millisecond)
		k := rng.IntN(len(ws))
		victim := ws[k]
		before := ws[1-k].committed("eos")
		victim.kill()
		t.Logf("kill %d: killed -9 worker %s (committed before: %v)", i+1, victim.url, before)
		ws[k] = c.startProcess()
		wait.Until(t, "both tasks commit again after the kill", func() bool {
			got := ws[1-k].committed("eos")
			return (got[0] > before[0] || got[0] == count-1) && (got[1] > before[1] || got[1] == count-1)
		})
	}
	wait.UntilDescribed(t, "every task committed its last record", func() bool {
		got := ws[0].committed("eos")
		return got[0] == count-1 && got[1] == count-1
	}, func() string { return "committed " + describeCommitted(ws[0].committed("eos")) })

	found := readCommitted(t, c.brokers, topic, 2*count)
	lost, dups := 0, 0
	for task := range 2 {
		for seq := int64(0); seq < count; seq++ {
			switch n := found[task][seq]; {
			case n == 0:
				lost++
			case n > 1:
				dups += n - 1
			}
		}
	}
	t.Logf("exactly.once.source.support=%v: %d kills, %d records per task, read_committed saw %d lost, %d duplicates", map[bool]string{true: "enabled", false: "disabled"}[eos], kills, count, lost, dups)
	if lost > 0 {
		t.Fatalf("%d records lost", lost)
	}
	if eos && dups > 0 {
		t.Fatalf("%d duplicates with exactly-once support enabled", dups)
	}
}

func describeCommitted(m map[int]int64) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// readCommitted reads topic with isolation.level=read_committed until it saw at least want
// records and then nothing more for 3 s, and returns how often each task's seq appeared.
func readCommitted(t *testing.T, brokers, topic string, want int) map[int]map[int64]int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	deadline := time.Now().Add(2 * time.Minute)
	out := map[int]map[int64]int{}
	total := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			var g genRecord
			if err := json.Unmarshal(r.Value, &g); err != nil {
				t.Fatalf("record value %q: %v", r.Value, err)
			}
			if out[g.Task] == nil {
				out[g.Task] = map[int64]int{}
			}
			out[g.Task][g.Seq]++
			n++
		})
		total += n
		if n == 0 && total >= want {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("read %d committed records of %s in 2 minutes, want at least %d", total, topic, want)
		}
	}
}

// The throughput cost of exactly-once support: the generator (two tasks, as fast as the runtime
// takes records, 200 records per poll) writes the same records with exactly.once.source.support
// enabled (transaction.boundary=poll: one transaction per poll) and disabled, on one in-process
// worker; the time from creating the connector to both tasks' last committed offset is logged.
func TestExactlyOnceThroughput(t *testing.T) {
	const count = 20000 // records per task
	rates := map[bool]float64{}
	for _, eos := range []bool{false, true} {
		c := newEOSCluster(t)
		if eos {
			c.props["exactly.once.source.support"] = "enabled"
		}
		w := c.startInProcess(nil)
		settled(t, w)
		topic := testbed.Topic(t, "eos-rate")
		extra := map[string]string{"tasks.max": "2", "rate": "0", "batch.size": "200", "count": strconv.Itoa(count)}
		start := time.Now()
		w.expect(201, "POST", "/connectors", generatorConfig("rate", topic, extra))
		wait.Until(t, "both tasks committed their last record", func() bool {
			got := w.committed("rate")
			return got[0] == count-1 && got[1] == count-1
		})
		elapsed := time.Since(start)
		rates[eos] = 2 * count / elapsed.Seconds()
		t.Logf("exactly.once.source.support=%v: %d records in %s, %.0f records/s", eos, 2*count, elapsed.Round(time.Millisecond), rates[eos])
		w.stop()
	}
	t.Logf("exactly-once (transaction.boundary=poll, 200 records per poll) runs at %.0f%% of the at-least-once rate", 100*rates[true]/rates[false])
}

// When a connector's task count shrinks, the leader fences the transactional ids the new
// generation no longer has: a zombie of task 1 with an open transaction cannot commit it, and the
// config topic holds Kafka Connect's task-count record for the connector.
func TestExactlyOnceLeaderFencesRemovedTasks(t *testing.T) {
	c := newEOSCluster(t)
	c.props["exactly.once.source.support"] = "enabled"
	w := c.startInProcess(nil)
	settled(t, w)
	topic := testbed.Topic(t, "eos-fence")
	w.expect(201, "POST", "/connectors", generatorConfig("fz", topic, map[string]string{"tasks.max": "2", "exactly.once.support": "required"}))
	w.WaitStatus("fz", "RUNNING", "RUNNING", "RUNNING")
	wait.Until(t, "both tasks commit", func() bool {
		got := w.committed("fz")
		return got[0] > 10 && got[1] > 10
	})

	// A zombie of task 1: the same transactional id, initialized after the real task (which it
	// fences; the task fails), with a transaction open.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	zombie, err := kgo.NewClient(kgo.SeedBrokers(c.brokers), kgo.TransactionalID(c.props["group.id"]+"-fz-1"), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer zombie.Close()
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := zombie.ProduceSync(ctx, &kgo.Record{Value: []byte(`{"seq":-1,"task":1,"payload":"zombie"}`)}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	body, _ := json.Marshal(map[string]string{"connector.class": "io.connectd.tests.GeneratorConnector", "topic": topic, "tasks.max": "1",
		"rate": "200", "batch.size": "20", "exactly.once.support": "required"})
	w.expect(200, "PUT", "/connectors/fz/config", string(body))
	wait.Until(t, "the connector runs one task", func() bool {
		s, ok := w.GetStatus("fz")
		return ok && len(s.Tasks) == 1 && s.Tasks[0].State == "RUNNING"
	})
	if err := zombie.EndTransaction(ctx, kgo.TryCommit); err == nil {
		t.Fatal("the zombie of removed task 1 committed its transaction after the leader's fencing round")
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.brokers), kgo.ConsumeTopics(c.props["config.storage.topic"]), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var count string
	wait.Until(t, "the task-count record of connector fz is written", func() bool {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		defer pcancel()
		cl.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
			if string(r.Key) == "tasks-fencing-fz" {
				count = string(r.Value)
			}
		})
		return count == `{"task-count":1}`
	})
}

// transaction.boundary=interval commits every transaction.boundary.interval.ms: every record
// arrives once, for a read_committed consumer, and the offsets follow.
func TestExactlyOnceIntervalBoundary(t *testing.T) {
	const count = 1500
	c := newEOSCluster(t)
	c.props["exactly.once.source.support"] = "enabled"
	w := c.startInProcess(nil)
	settled(t, w)
	topic := testbed.Topic(t, "eos-interval")
	w.expect(201, "POST", "/connectors", generatorConfig("iv", topic, map[string]string{"tasks.max": "2", "rate": "1000", "batch.size": "10",
		"count": strconv.Itoa(count), "transaction.boundary": "interval", "transaction.boundary.interval.ms": "300", "exactly.once.support": "required"}))
	wait.Until(t, "both tasks committed their last record", func() bool {
		got := w.committed("iv")
		return got[0] == count-1 && got[1] == count-1
	})
	found := readCommitted(t, c.brokers, topic, 2*count)
	for task := range 2 {
		if len(found[task]) != count {
			t.Fatalf("task %d: %d distinct records, want %d", task, len(found[task]), count)
		}
		for seq, n := range found[task] {
			if n != 1 || seq < 0 || seq >= count {
				t.Fatalf("task %d: seq %d seen %d times", task, seq, n)
			}
		}
	}
}

// newEOSCluster is a cluster whose killed workers' tasks move at once: the sessioned protocol
// (which exactly-once needs for its session key) holds a departed worker's share for
// scheduled.rebalance.max.delay.ms, 5 minutes by default, longer than these tests wait.
func newEOSCluster(t testing.TB) *cluster {
	c := newCluster(t)
	c.props["scheduled.rebalance.max.delay.ms"] = "0"
	return c
}
