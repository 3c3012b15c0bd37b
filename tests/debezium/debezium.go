// Package debezium controls the test bed's Debezium reference worker (deploy/testbed/debezium-up):
// Kafka Connect with Debezium's plugins on port 8183, its offsets in the topic dbz-offsets. The
// crossover tests run one connector under both runtimes, under the same name and on that offsets
// topic, as a user migrating would.
package debezium

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

const (
	// REST is the reference worker's REST API.
	REST = "http://127.0.0.1:8183"
	// OffsetsTopic is the reference worker's offsets topic.
	OffsetsTopic = "dbz-offsets"
	// RunIDHeader is the record header Debezium's connectors set to their run's id.
	RunIDHeader = "__debezium.context.runId"
)

// Worker is a client of the reference worker's REST API.
type Worker struct {
	*e2e.Client
	class string
}

// started is deploy/testbed/debezium-down's path once Start launched the reference worker, so
// StopIfStarted stops it again; a worker that was already running, or that another process was
// starting, is left alone.
var started struct {
	sync.Mutex
	down string
}

// Start returns the reference worker, starting it with deploy/testbed/debezium-up when it does not
// answer or does not offer connector class pluginClass (about 15 s; the first time also fetches
// Debezium's plugins from Maven Central). Outside CI a worker that cannot be started skips the
// test; under CI=true it fails it.
func Start(t *testing.T, pluginClass string) *Worker {
	t.Helper()
	w := &Worker{
		Client: &e2e.Client{T: t, URL: REST, HTTP: &http.Client{Timeout: 90 * time.Second}, Name: "Debezium worker"},
		class:  pluginClass,
	}
	started.Lock()
	defer started.Unlock()
	if w.Ready() {
		return w
	}
	dir := filepath.Join(testbed.RepoRoot(t), "deploy", "testbed")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(dir, "debezium-up")).CombinedOutput()
	if err != nil || !w.Ready() {
		msg := fmt.Sprintf("the Debezium reference worker could not be started with %s: %v\n%s", filepath.Join(dir, "debezium-up"), err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Stop it afterwards only if this call launched the JVM: debezium-up may instead have waited
	// for a worker someone else was starting, which is theirs to stop.
	if bytes.Contains(out, []byte("starting Kafka Connect with Debezium")) {
		started.down = filepath.Join(dir, "debezium-down")
	}
	return w
}

// StopIfStarted stops the reference worker with deploy/testbed/debezium-down if Start launched
// it, so its JVM does not hold memory while the next packages' tests run. Call it from TestMain
// after m.Run.
func StopIfStarted() {
	started.Lock()
	down := started.down
	started.down = ""
	started.Unlock()
	if down == "" {
		return
	}
	if out, err := exec.Command("bash", down).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "could not stop the Debezium reference worker with %s: %v\n%s", down, err, out)
	}
}

// Ready reports whether the worker answers and offers the connector class Start was given.
func (w *Worker) Ready() bool {
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(w.URL + "/connector-plugins")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == 200 && bytes.Contains(b, []byte(`"`+w.class+`"`))
}

// WaitTask waits until the connector's first task reaches state, failing the test at once if it
// fails.
func (w *Worker) WaitTask(name, state string) {
	w.T.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, task, trace := w.Status(name)
		if task == state {
			return
		}
		if task == "FAILED" || time.Now().After(deadline) {
			w.T.Fatalf("Debezium connector %s: task %s, want %s; %s", name, task, state, trace)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop stops the connector (PUT /stop: its task stops and commits its offsets) and waits until
// the worker reports it STOPPED with no task left.
func (w *Worker) Stop(name string) {
	w.T.Helper()
	if code, b := w.Call("PUT", "/connectors/"+name+"/stop", nil); code >= 300 {
		w.T.Fatalf("Debezium worker: PUT /connectors/%s/stop: %d %s", name, code, b)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		conn, task, _ := w.Status(name)
		if conn == "STOPPED" && task == "" {
			return
		}
		if time.Now().After(deadline) {
			w.T.Fatalf("Debezium connector %s: %s (task %s) two minutes after PUT /stop", name, conn, task)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Offsets returns GET /connectors/{c}/offsets (Kafka Connect serves it in any state).
func (w *Worker) Offsets(name string) string {
	_, b := w.Call("GET", "/connectors/"+name+"/offsets", nil)
	return string(b)
}

// Remove deletes the connector and its offsets from the worker, if it has it.
func (w *Worker) Remove(name string) {
	if code, _ := w.Call("GET", "/connectors/"+name, nil); code == 404 {
		return
	}
	if conn, _, _ := w.Status(name); conn != "STOPPED" {
		w.Call("PUT", "/connectors/"+name+"/stop", nil)
		for i := 0; i < 300; i++ {
			if conn, task, _ := w.Status(name); conn == "STOPPED" && task == "" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if code, b := w.Call("DELETE", "/connectors/"+name+"/offsets", nil); code >= 300 {
		w.T.Logf("Debezium worker: could not delete the offsets of %s: %d %s", name, code, b)
	}
	if code, b := w.Call("DELETE", "/connectors/"+name, nil); code >= 300 {
		w.T.Logf("Debezium worker: could not delete %s: %d %s", name, code, b)
	}
}
