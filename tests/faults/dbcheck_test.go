package faults

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
)

// What the database-side cases share: the worker's Connected metric, waiting for a task state,
// and a content check that knows which versions could not be delivered (written while the log
// that held them was purged: a new snapshot reads only the rows' state).

// streamConnected is the worker's debezium_metrics_Connected of the streaming context: 1 or 0, -1
// when the worker does not report it (not streaming yet).
func (w *worker) streamConnected() int {
	code, body := w.rest.Call("GET", "/metrics", nil)
	if code != 200 {
		w.t.Fatalf("GET /metrics: %d %.300s", code, body)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "debezium_metrics_Connected{") || !strings.Contains(line, `context="streaming"`) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			w.t.Fatalf("a Connected sample that does not parse: %q", line)
		}
		return int(v)
	}
	return -1
}

// waitTaskStreaming waits until the task is RUNNING and connected to the database again; a FAILED
// task fails the test (what was asked of it was within its retries), unless it shows the trace
// stale: a restarted task keeps its last run's FAILED status until the new run has started (its
// connections opened, the schema history read), as in Kafka Connect.
func waitTaskStreaming(t *testing.T, w *worker, what string, within time.Duration, stale ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c, task, trace := w.state()
		if task == "FAILED" && (len(stale) == 0 || trace != stale[0]) {
			t.Fatalf("%s: the task failed: %.600s", what, trace)
		}
		if c == "RUNNING" && task == "RUNNING" && w.streamConnected() == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not streaming within %s (connector %q, task %q, connected %d)", what, within, c, task, w.streamConnected())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitTaskFailed waits until the task is FAILED and returns its trace; until then the task must
// be RUNNING (or unassigned for an instant at start).
func waitTaskFailed(t *testing.T, w *worker, what string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c, task, trace := w.state()
		switch task {
		case "FAILED":
			if c != "RUNNING" {
				t.Errorf("%s: the connector is %q with its task FAILED; Kafka Connect shows the connector RUNNING", what, c)
			}
			return trace
		case "RUNNING", "UNASSIGNED", "":
		default:
			t.Fatalf("%s: task state %q while it should run or fail", what, task)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the task did not fail within %s (task %q)", what, within, task)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// assertNoPanic fails the test when the worker's log shows a panic (a fault must end in an error).
func assertNoPanic(t *testing.T, w *worker) {
	t.Helper()
	b, err := os.ReadFile(w.log)
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(string(b), "panic:"); i >= 0 {
		t.Errorf("the worker's log shows a panic: %.500s", b[i:])
	}
}

// waitVersions waits until the topic holds version want[id] of every row.
func waitVersions(t *testing.T, consumer *e2e.Consumer, topic string, want map[int64]int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		seen := map[[2]int64]bool{}
		for _, r := range consumer.Records(topic) {
			var ev struct {
				After *struct {
					ID  int64 `json:"id"`
					Seq int64 `json:"seq"`
				}
			}
			if r.Value != nil && json.Unmarshal(r.Value, &ev) == nil && ev.After != nil {
				seen[[2]int64{ev.After.ID, ev.After.Seq}] = true
			}
		}
		missing := 0
		for id, s := range want {
			if !seen[[2]int64{id, s}] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows' versions not in Kafka within %s", missing, len(want), within)
		}
		consumer.Settle(500 * time.Millisecond)
	}
}

// purgeGap says which versions a case cannot deliver: those written while the connector was stopped
// and the log holding them was purged, except each row's state when the new snapshot read it.
// before is the table when the connector stopped, after when it started again.
type purgeGap struct{ before, after map[int64]int64 }

func (g purgeGap) excused(id, seq int64) bool {
	a, ok := g.after[id]
	if !ok || seq >= a {
		return false
	}
	b, had := g.before[id]
	return !had || seq > b
}

// count is the number of versions g excuses.
func (g purgeGap) count() int {
	n := 0
	for id, a := range g.after {
		b, had := g.before[id]
		if !had {
			b = -1
		}
		if a > b+1 {
			n += int(a - b - 1)
		}
	}
	return n
}

// checkPurgeGap is check with the versions g excuses neither expected nor lost (they may still be in
// Kafka, when streamed before the purge reached them).
func checkPurgeGap(t *testing.T, consumer *e2e.Consumer, topic string, table map[int64]int64, g purgeGap, quiet bool) (res result, missing []string) {
	t.Helper()
	return checkExcusing(t, consumer, topic, table, g.excused, quiet)
}

// finishPurgeGap is finish for a case with a purge gap: it waits until every expected version is in
// Kafka (or delivery stalls), checks the status and compares by content.
func finishPurgeGap(t *testing.T, src source, w *worker, consumer *e2e.Consumer, topic string, g purgeGap, res result, began time.Time, load *workload) {
	t.Helper()
	finishExcusing(t, src, w, consumer, topic, g.excused, 5*time.Minute, res, began, load)
}

// waitCaughtUp waits until every version the table implies (but those g excuses) is in Kafka.
func waitCaughtUp(t *testing.T, src source, consumer *e2e.Consumer, topic string, g purgeGap, what string) map[int64]int64 {
	t.Helper()
	table := src.table()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		consumer.Settle(time.Second)
		r, missing := checkPurgeGap(t, consumer, topic, table, g, true)
		if r.lost == 0 {
			if r.invented+r.wrong > 0 {
				checkPurgeGap(t, consumer, topic, table, g, false)
				t.Fatalf("%s: %d invented versions, %d wrong records", what, r.invented, r.wrong)
			}
			return table
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d versions not in Kafka after 2 minutes, e.g. %s", what, r.lost, r.versions, strings.Join(missing, " "))
		}
	}
}
