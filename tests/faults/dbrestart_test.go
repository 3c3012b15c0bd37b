package faults

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// TestMariaDBServerRestart: the connector's (private) MariaDB server is shut down and killed
// while changes stream, then started again.
func TestMariaDBServerRestart(t *testing.T) { runRestarts(t, newPrivMaria(t)) }

// TestPostgresServerRestart: the same for PostgreSQL.
func TestPostgresServerRestart(t *testing.T) { runRestarts(t, newPrivPG(t)) }

// The retry settings of the restart case: reconnections 200 ms apart at first, doubling up to
// 2 s, at most 10 in a row, about 15 s of outage in all.
const (
	restartMaxRetries   = 10
	restartBudget       = 200*time.Millisecond + 400*time.Millisecond + 800*time.Millisecond + 1600*time.Millisecond + 6*2*time.Second
	restartOutageLonger = restartBudget + 15*time.Second
)

// runRestarts is the source-restart case. While the workload writes, the private server goes
// down CONNECTD_FAULTS_RESTARTS times (default 4; alternately a fast shutdown and a kill -9 of
// its processes) for a seeded 1-4 s and comes back. Each time the task must stay RUNNING while
// its Connected metric says it is not connected, then reconnect within its retries
// (errors.max.retries=10, errors.retry.delay.initial.ms=200, errors.retry.delay.max.ms=2000).
// Then one outage outlasts the retries: the task must go FAILED with a trace naming
// errors.max.retries, stay FAILED, and a task restart once the server is back must resume.
// Every version must be in Kafka.
func runRestarts(t *testing.T, src privSource) {
	restarts := envInt(t, "CONNECTD_FAULTS_RESTARTS", 4)
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	rnd := rand.New(rand.NewSource(seed + 200))
	began := time.Now()
	srv := src.server()
	rows := int64(1000)
	prefix, topic, consumer := preloadTopic(t, src, rows, "dbrestart")
	conn := src.connector(prefix)
	conn["errors.max.retries"] = fmt.Sprint(restartMaxRetries)
	conn["errors.retry.delay.initial.ms"] = "200"
	conn["errors.retry.delay.max.ms"] = "2000"
	w := startWorker(t, t.TempDir(), 1, conn, nil, nil)
	waitDistinct(t, consumer, topic, rows)
	waitTaskStreaming(t, w, "after the snapshot", time.Minute)
	load := startWorkload(src, seed, rows)
	defer load.stop()

	kills := 0
	for i := 1; i <= restarts; i++ {
		time.Sleep(time.Duration(500+rnd.Intn(1500)) * time.Millisecond)
		how := "fast shutdown"
		if i%2 == 0 {
			how = "kill -9"
			kills++
			srv.kill()
		} else {
			srv.stop()
		}
		what := fmt.Sprintf("outage %d (%s)", i, how)
		down := time.Duration(1000+rnd.Intn(3000)) * time.Millisecond
		watchOutage(t, w, what, down)
		srv.start()
		waitTaskStreaming(t, w, what+": after the server came back", time.Minute)
	}

	// An outage longer than the retries: FAILED with the cause and what to do, and it stays so.
	time.Sleep(time.Second)
	srv.stop()
	failedAt := time.Now()
	trace := waitTaskFailed(t, w, "an outage past errors.max.retries", restartOutageLonger)
	t.Logf("the task failed %.1f s into the outage: %.400s", time.Since(failedAt).Seconds(), trace)
	if !strings.Contains(trace, fmt.Sprintf("errors.max.retries=%d", restartMaxRetries)) {
		t.Errorf("the trace does not name errors.max.retries: %s", trace)
	}
	if time.Since(failedAt) < restartBudget/2 {
		t.Errorf("the task failed %.1f s into the outage, before its retries (about %.0f s) were used", time.Since(failedAt).Seconds(), restartBudget.Seconds())
	}
	assertStaysFailed(t, w)
	srv.start()
	if code, b := w.rest.Call("POST", "/connectors/faults/tasks/0/restart", nil); code >= 300 {
		t.Fatalf("restart: %d %s", code, b)
	}
	waitTaskStreaming(t, w, "the task restarted after the long outage", time.Minute, trace)
	time.Sleep(2 * time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	assertNoPanic(t, w)
	finish(t, src, w, consumer, topic, rows, result{connector: src.name(),
		fault: fmt.Sprintf("server restarted under the writer (%d fast shutdowns, %d kill -9, 1-4 s down), then down past errors.max.retries (task FAILED, restarted)",
			restarts-kills, kills),
		faults: restarts + 1}, began, load)
}

// assertStaysFailed checks for 2 s that the status stays connector RUNNING, task FAILED.
func assertStaysFailed(t *testing.T, w *worker) {
	t.Helper()
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		if c, task, _ := w.state(); c != "RUNNING" || task != "FAILED" {
			t.Fatalf("after the task failed the status says connector %q, task %q", c, task)
		}
	}
}

// watchOutage samples the status for the outage's length while the server is down: the task
// must stay RUNNING (it retries), and once it noticed the outage (within a second: the server
// closed the connection, or the kernel did for a killed one) its Connected metric must be 0.
func watchOutage(t *testing.T, w *worker, what string, down time.Duration) {
	t.Helper()
	start := time.Now()
	samples, disconnected := 0, 0
	for time.Since(start) < down {
		time.Sleep(250 * time.Millisecond)
		c, task, trace := w.state()
		if c != "RUNNING" || task != "RUNNING" {
			t.Fatalf("%s: %.1f s into it the status says connector %q, task %q (%.400s); the task should be retrying",
				what, time.Since(start).Seconds(), c, task, trace)
		}
		if time.Since(start) < time.Second {
			continue
		}
		samples++
		if w.streamConnected() == 0 {
			disconnected++
		}
	}
	if disconnected != samples {
		t.Errorf("%s: the Connected metric said 1 in %d of %d samples while the server was down", what, samples-disconnected, samples)
	}
}
