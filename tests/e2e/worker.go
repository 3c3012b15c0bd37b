package e2e

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
	"github.com/connectd/connectd/tests/testbed"
)

// Worker is a standalone worker serving the Kafka Connect REST API: one StartWorker runs in this
// process, or any other reached at Client.URL (then Stop does nothing).
type Worker struct {
	*Client
	cancel context.CancelFunc
	done   chan error
}

// StartWorker runs an in-process standalone worker with every built-in plugin, JSON converters
// without schemas and its offsets in the Kafka topic offsetsTopic (so the real console producer,
// or the Debezium reference worker, can share them). It stops at the test's cleanup.
// CONNECTD_TEST_WORKER_PROPS adds worker properties (k=v,k=v), e.g. for a benchmark.
func StartWorker(t *testing.T, offsetsTopic string) *Worker {
	t.Helper()
	w, err := StartWorkerWith(t, offsetsTopic, nil, nil)
	if err != nil {
		t.Fatalf("worker did not start: %v", err)
	}
	return w
}

// StartWorkerWith is StartWorker with extra worker properties (bootstrap.servers and security
// settings for a secured listener: the offsets store gets them too) and, when logs is not nil,
// the worker's logs written to it as text. A worker that stops before it is ready returns its
// error, so tests can check startup failures.
func StartWorkerWith(t *testing.T, offsetsTopic string, extra map[string]string, logs io.Writer) (*Worker, error) {
	t.Helper()
	kafka := testbed.Kafka(t)
	props := map[string]string{
		"bootstrap.servers":              kafka,
		"offset.storage.file.filename":   t.TempDir() + "/offsets",
		"listeners":                      "http://127.0.0.1:0",
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
		"offset.flush.interval.ms":       "500",
	}
	for _, kv := range strings.Split(os.Getenv("CONNECTD_TEST_WORKER_PROPS"), ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			props[k] = v
		}
	}
	maps.Copy(props, extra)
	if v := props["bootstrap.servers"]; v != "" {
		kafka = v
	}
	sec, err := kafkasec.Options(props)
	if err != nil {
		return nil, err
	}
	cfg, _, err := workerconfig.Parse(props, workerconfig.Standalone)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := plugins.New(bundle.Plugins()...)
	if err != nil {
		t.Fatal(err)
	}
	store, err := offsets.NewKafkaStore(offsets.KafkaConfig{Brokers: []string{kafka}, Topic: offsetsTopic, ReplicationFactor: -1,
		ClientOptions: sec})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Worker{Client: NewClient(t, ""), cancel: cancel, done: make(chan error, 1)}
	ready := make(chan []string, 1)
	go func() {
		o := runtime.Options{Config: cfg, Plugins: reg, Offsets: store, Version: "test",
			OnReady: func(addrs []string) { ready <- addrs }}
		if logs != nil {
			o.Loggers = runtime.NewLoggers(slog.NewTextHandler(logs, nil), slog.LevelInfo)
		}
		w.done <- runtime.RunStandalone(ctx, o)
	}()
	select {
	case addrs := <-ready:
		w.URL = "http://" + addrs[0]
	case err := <-w.done:
		cancel()
		return nil, err
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not start within a minute")
	}
	t.Cleanup(w.Stop)
	return w, nil
}

// Stop shuts an in-process worker down gracefully, as SIGTERM does: offsets flushed, tasks
// stopped. A second call does nothing.
func (w *Worker) Stop() {
	if w.cancel == nil {
		return
	}
	w.cancel()
	w.cancel = nil
	select {
	case err := <-w.done:
		if err != nil && err != context.Canceled {
			w.T.Logf("worker stopped: %v", err)
		}
	case <-time.After(90 * time.Second):
		w.T.Error("worker did not stop within 90s")
	}
}
