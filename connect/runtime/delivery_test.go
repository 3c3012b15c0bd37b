package runtime

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
	"github.com/connectd/connectd/tests/generator"
	"github.com/connectd/connectd/tests/wait"
)

// standaloneOn is a standalone herder with the given producer and offset store, for the failure
// tests below that need neither Kafka nor a file.
func standaloneOn(t *testing.T, props map[string]string, prod Producer, store offsets.Store) (*StandaloneHerder, *MemoryStatusStore) {
	t.Helper()
	all := map[string]string{"offset.storage.file.filename": "unused", "offset.flush.interval.ms": "50",
		"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"}
	for k, v := range props {
		all[k] = v
	}
	cfg, _, err := workerconfig.Parse(all, workerconfig.Standalone)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := plugins.New(generator.Plugin())
	status := NewMemoryStatusStore()
	w, err := NewWorker(WorkerOptions{Config: cfg, Plugins: reg, Offsets: store, Producer: prod, Listener: StatusRecorder(status, "w")})
	if err != nil {
		t.Fatal(err)
	}
	w.shutdownTimeout, w.flushTimeout = 200*time.Millisecond, 200*time.Millisecond
	h := NewStandaloneHerder(HerderOptions{Worker: w, Plugins: reg, Status: status, WorkerID: "w"})
	t.Cleanup(h.Stop)
	return h, status
}

// waitTaskFailed waits until task 0 of connector name is FAILED and returns its trace.
func waitTaskFailed(t *testing.T, h *StandaloneHerder, name string) string {
	t.Helper()
	var trace string
	wait.Until(t, name+"'s task is FAILED", func() bool {
		st, err := h.ConnectorStatus(context.Background(), name)
		if err != nil || len(st.Tasks) != 1 || st.Tasks[0].State != herder.StateFailed {
			return false
		}
		trace = st.Tasks[0].Trace
		return true
	})
	return trace
}

// With Kafka not acknowledging anything (unreachable), the task turns FAILED once its records
// waited delivery.timeout.ms, rather than staying RUNNING for the whole outage, and says so.
func TestUnacknowledgedRecordsFailTheTaskAfterTheDeliveryTimeout(t *testing.T) {
	h, _ := standaloneOn(t, map[string]string{"producer.delivery.timeout.ms": "500"}, &blockingProducer{}, offsets.NewMemoryStore(0))
	began := time.Now()
	if _, _, err := h.PutConnectorConfig(context.Background(), "dt", genConfig("dt", "t", "batch.size", "1"), "", false); err != nil {
		t.Fatal(err)
	}
	trace := waitTaskFailed(t, h, "dt")
	if took := time.Since(began); took < 500*time.Millisecond {
		t.Errorf("the task failed after %s, before delivery.timeout.ms", took)
	}
	for _, want := range []string{"Kafka did not accept a record within delivery.timeout.ms (500ms)", "nothing is lost", "restart the task"} {
		if !strings.Contains(trace, want) {
			t.Errorf("the trace does not say %q:\n%s", want, trace)
		}
	}
}

// slowProducer acknowledges every record after a delay shorter than the delivery timeout.
type slowProducer struct{ acks atomic.Int64 }

func (p *slowProducer) Produce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	go func() {
		time.Sleep(100 * time.Millisecond)
		p.acks.Add(1)
		promise(r, nil)
	}()
}

// A slow Kafka that keeps acknowledging is no failure, however long records keep flowing.
func TestSlowAcknowledgementsKeepTheTaskRunning(t *testing.T) {
	prod := &slowProducer{}
	h, _ := standaloneOn(t, map[string]string{"producer.delivery.timeout.ms": "1000"}, prod, offsets.NewMemoryStore(0))
	if _, _, err := h.PutConnectorConfig(context.Background(), "slow", genConfig("slow", "t", "batch.size", "5", "rate", "100"), "", false); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, "records are acknowledged", func() bool { return prod.acks.Load() > 0 })
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		st, err := h.ConnectorStatus(context.Background(), "slow")
		if err != nil || len(st.Tasks) != 1 || st.Tasks[0].State != herder.StateRunning {
			t.Fatalf("status %+v %v, want the task RUNNING", st, err)
		}
	}
}

// fullStore is an offset store whose writes fail as a full disk's do, until freed.
type fullStore struct {
	*offsets.MemoryStore
	full atomic.Bool
}

func (s *fullStore) Set(ctx context.Context, connector string, entries []api.PartitionOffset) error {
	if s.full.Load() {
		return fmt.Errorf("cannot write the offset file: %w", &fs.PathError{Op: "write", Path: "/x/.offsets.tmp", Err: syscall.ENOSPC})
	}
	return s.MemoryStore.Set(ctx, connector, entries)
}

// A full disk under the offset store fails the task with a trace saying so and what to do; a
// restart once there is room resumes from the last committed offset.
func TestFullOffsetDiskFailsTheTask(t *testing.T) {
	store := &fullStore{MemoryStore: offsets.NewMemoryStore(0)}
	h, _ := standaloneOn(t, nil, &slowProducer{}, store)
	if _, _, err := h.PutConnectorConfig(context.Background(), "full", genConfig("full", "t", "batch.size", "5", "rate", "200"), "", false); err != nil {
		t.Fatal(err)
	}
	committed := func() int {
		offs, _ := store.List(context.Background(), "full")
		return len(offs)
	}
	wait.Until(t, "an offset is committed", func() bool { return committed() > 0 })
	store.full.Store(true)
	trace := waitTaskFailed(t, h, "full")
	for _, want := range []string{"no space left on device", "The disk holding the offset store is full", "restart the task"} {
		if !strings.Contains(trace, want) {
			t.Errorf("the trace does not say %q:\n%s", want, trace)
		}
	}
	store.full.Store(false)
	if err := h.RestartTask(context.Background(), herder.TaskID{Connector: "full", Task: 0}); err != nil {
		t.Fatal(err)
	}
	wait.Until(t, "the restarted task runs", func() bool {
		st, err := h.ConnectorStatus(context.Background(), "full")
		return err == nil && len(st.Tasks) == 1 && st.Tasks[0].State == herder.StateRunning
	})
}
