package distributed_test

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/distributed"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/generator"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

var taskStoppedRe = regexp.MustCompile(`msg="task stopped".* connector=(\S+) task=(\d+)`)

// stoppedTasks lists the tasks a worker's log says it stopped, in order.
func (w *worker) stoppedTasks() []string {
	var out []string
	for _, m := range taskStoppedRe.FindAllStringSubmatch(w.log.String(), -1) {
		out = append(out, m[1]+"-"+m[2])
	}
	return out
}

// owners returns, for every connector and task the cluster reports RUNNING, the worker running
// it ("c" for a connector, "c-0" for its task 0), and how many units are not RUNNING.
func owners(t *testing.T, w *worker) (map[string]string, int) {
	t.Helper()
	var all map[string]struct {
		Status herder.ConnectorStateInfo `json:"status"`
	}
	w.expect(200, "GET", "/connectors?expand=status", "").JSON(t, &all)
	out := map[string]string{}
	notRunning := 0
	for name, s := range all {
		if s.Status.Connector.State == "RUNNING" {
			out[name] = s.Status.Connector.WorkerID
		} else {
			notRunning++
		}
		for _, ts := range s.Status.Tasks {
			if ts.State == "RUNNING" {
				out[fmt.Sprintf("%s-%d", name, ts.ID)] = ts.WorkerID
			} else {
				notRunning++
			}
		}
		if len(s.Status.Tasks) == 0 {
			notRunning++
		}
	}
	return out, notRunning
}

// stable waits until all n connectors and their single tasks run and the owners did not change
// for two polls a second apart; it returns the owners and how long it took.
func stable(t *testing.T, w *worker, n int) (map[string]string, time.Duration) {
	t.Helper()
	start := time.Now()
	var last map[string]string
	wait.Until(t, fmt.Sprintf("%d connectors and their tasks run on a stable assignment", n), func() bool {
		cur, notRunning := owners(t, w)
		same := len(cur) == 2*n && notRunning == 0 && fmt.Sprint(sorted(cur)) == fmt.Sprint(sorted(last))
		last = cur
		if !same {
			time.Sleep(time.Second)
		}
		return same
	})
	return last, time.Since(start)
}

func sorted(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"@"+v)
	}
	sort.Strings(out)
	return out
}

// TestCooperativeRebalanceMovesOnlyTheShare runs 60 small connectors (one generator task each,
// all writing one topic) on three workers with connect.protocol=sessioned, as Kafka Connect's
// default, and a short scheduled.rebalance.max.delay.ms. A fourth worker joins: the others give
// up just its share (each stopped task is one that now runs on the newcomer) and stop nothing
// else. The fourth leaves: its share is held back for the delay, then spread over the three,
// which stop none of their own tasks. The times to a stable assignment are logged.
func TestCooperativeRebalanceMovesOnlyTheShare(t *testing.T) {
	const n = 60
	c := newCluster(t)
	c.props["connect.protocol"] = "sessioned"
	c.props["scheduled.rebalance.max.delay.ms"] = "5000"
	topic := testbed.Topic(t, "coop")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	configs := distributed.NewConfigStore(distributed.ConfigStoreOptions{Brokers: []string{c.brokers}, Topic: c.props["config.storage.topic"], ReplicationFactor: 1})
	if err := configs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		cfg := map[string]string{"name": fmt.Sprintf("g%02d", i), "connector.class": generator.Class, "topic": topic, "tasks.max": "1", "rate": "1", "batch.size": "1"}
		if err := configs.PutConnectorConfig(ctx, cfg["name"], cfg, herder.TargetStarted); err != nil {
			t.Fatal(err)
		}
	}
	configs.Close()

	ws := []*worker{c.startInProcess(nil), c.startInProcess(nil), c.startInProcess(nil)}
	settled(t, ws...)
	before, took := stable(t, ws[0], n)
	t.Logf("3 workers: stable after %s", took.Round(time.Millisecond))
	per := map[string]int{}
	for _, o := range before {
		per[o]++
	}
	if len(per) != 3 {
		t.Fatalf("the work runs on %v, want all three workers", per)
	}
	stops := func() map[string]int {
		out := map[string]int{}
		for _, w := range ws {
			out[w.url] = len(w.stoppedTasks())
		}
		return out
	}
	base := stops()

	w4 := c.startInProcess(nil)
	after, took := stable(t, ws[0], n)
	t.Logf("4th worker joined: stable after %s", took.Round(time.Millisecond))
	moved := map[string]bool{}
	for unit, o := range after {
		if before[unit] != o {
			if o != w4.url {
				t.Errorf("%s moved from %s to %s, not to the newcomer", unit, before[unit], o)
			}
			moved[unit] = true
		}
	}
	if got := len(moved); got < 2*n/4-4 || got > 2*n/4+4 {
		t.Errorf("%d units moved to the newcomer, want about a quarter of %d", got, 2*n)
	}
	for _, w := range ws {
		for _, task := range w.stoppedTasks()[base[w.url]:] {
			if !moved[task] {
				t.Errorf("%s stopped %s, which did not move", w.url, task)
			}
		}
	}

	base = stops()
	w4.stop()
	left := time.Now()
	final, took := stable(t, ws[0], n)
	t.Logf("4th worker left: stable after %s (delay 5 s)", took.Round(time.Millisecond))
	if d := time.Since(left); d < 4*time.Second {
		t.Errorf("the departed worker's share was reassigned after %s, before scheduled.rebalance.max.delay.ms", d)
	}
	for unit, o := range final {
		if o == w4.url {
			t.Errorf("%s still reported on the departed worker", unit)
		}
		if after[unit] != w4.url && after[unit] != o {
			t.Errorf("%s moved from %s to %s though its worker stayed", unit, after[unit], o)
		}
	}
	for _, w := range ws {
		if extra := w.stoppedTasks()[base[w.url]:]; len(extra) > 0 {
			t.Errorf("%s stopped %v when the 4th worker left", w.url, extra)
		}
	}
	t.Logf("moved to the newcomer: %d units; stops on the others: join %v", len(moved), base)
}
