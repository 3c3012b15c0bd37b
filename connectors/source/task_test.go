package source

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/schemahistory"
)

// engine is a database-free Engine that records the calls the skeleton makes.
type engine struct {
	mode    snapshotmode.Mode
	history bool
	found   Found
	// failAt names the call that fails.
	failAt string

	mu       sync.Mutex
	calls    []string
	stored   map[string]any
	plan     snapshotmode.Plan
	released int
	streamed chan struct{}
}

func (e *engine) call(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, name)
	if e.failAt == name {
		return errors.New(name + " failed")
	}
	return nil
}

func (e *engine) Open(_ context.Context, tc api.TaskContext, _ map[string]string) (Settings, error) {
	return Settings{Connector: "fake", TopicPrefix: "srv", Partition: map[string]any{"server": "srv"}, Mode: e.mode,
		History: e.history, MaxQueue: 10, MaxBatch: 10, PollInterval: 10 * time.Millisecond}, e.call("Open")
}

func (e *engine) Inspect(_ context.Context, stored map[string]any) (Found, error) {
	e.stored = stored
	return e.found, e.call("Inspect")
}

func (e *engine) Prepare(_ context.Context, plan snapshotmode.Plan) error {
	e.plan = plan
	return e.call("Prepare")
}

func (e *engine) RunSnapshot(context.Context, snapshotmode.Plan) error { return e.call("RunSnapshot") }

func (e *engine) RunStream(ctx context.Context) error {
	if err := e.call("RunStream"); err != nil {
		return err
	}
	close(e.streamed)
	<-ctx.Done()
	return nil
}

func (e *engine) Committed(context.Context, []api.PartitionOffset) error { return e.call("Committed") }

func (e *engine) Release() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.released++
	return nil
}

func (e *engine) callList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.calls...)
}

type offsets map[string]any

func (o offsets) Offset(context.Context, map[string]any) (map[string]any, error) { return o, nil }

type taskCtx struct{ offs offsets }

func (c taskCtx) Offsets() api.OffsetReader { return c.offs }
func (c taskCtx) ConnectorName() string     { return "c" }
func (c taskCtx) TaskID() int               { return 0 }

func start(t *testing.T, e *engine, stored offsets, hist schemahistory.Store) (*Task, error) {
	t.Helper()
	e.streamed = make(chan struct{})
	task := &Task{Engine: e}
	if hist != nil {
		task.OpenHistory = func(context.Context, map[string]string) (schemahistory.Store, error) { return hist, nil }
	}
	err := task.Start(context.Background(), taskCtx{stored}, nil)
	t.Cleanup(func() { _ = task.Stop() })
	return task, err
}

// TestTaskRunsTheSteps: without an offset the skeleton snapshots and then streams, with the
// context headers of the run, and Stop releases the engine.
func TestTaskRunsTheSteps(t *testing.T) {
	e := &engine{mode: snapshotmode.Initial}
	task, err := start(t, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.streamed:
	case <-time.After(5 * time.Second):
		t.Fatalf("the engine never streamed: %v", e.callList())
	}
	if got := e.callList(); !reflect.DeepEqual(got, []string{"Open", "Inspect", "Prepare", "RunSnapshot", "RunStream"}) {
		t.Fatalf("calls %v", got)
	}
	if e.stored != nil || !e.plan.SnapshotData || e.plan.Stream != snapshotmode.FromSnapshot {
		t.Fatalf("stored %v, plan %+v", e.stored, e.plan)
	}
	if len(task.Headers) == 0 {
		t.Fatal("no context headers")
	}
	if err := task.Commit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := task.Stop(); err != nil {
		t.Fatal(err)
	}
	if e.released != 1 {
		t.Fatalf("released %d times", e.released)
	}
}

// TestTaskInitialOnlyDoesNotStream: the reader ends after the snapshot, without failing Poll.
func TestTaskInitialOnlyDoesNotStream(t *testing.T) {
	e := &engine{mode: snapshotmode.InitialOnly}
	task, err := start(t, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(e.callList()) < 4 && time.Now().Before(deadline) {
		if _, err := task.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := task.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.callList(); !reflect.DeepEqual(got, []string{"Open", "Inspect", "Prepare", "RunSnapshot"}) {
		t.Fatalf("calls %v", got)
	}
}

// TestTaskPurgedPosition: a stored position the server no longer has fails Start with the
// engine's description of what was needed and what is there, and releases the engine.
func TestTaskPurgedPosition(t *testing.T) {
	e := &engine{mode: snapshotmode.Initial, found: Found{SnapshotCompleted: true, Needed: "binlog file b.7", Available: "b.9 to b.12"}}
	_, err := start(t, e, offsets{"file": "b.7"}, nil)
	var pe *snapshotmode.PurgedError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "binlog file b.7") || !strings.Contains(err.Error(), "b.9 to b.12") {
		t.Fatalf("Start: %v", err)
	}
	if e.released == 0 {
		t.Fatal("a failed Start did not release the engine")
	}
	if got := e.callList(); !reflect.DeepEqual(got, []string{"Open", "Inspect"}) {
		t.Fatalf("calls %v", got)
	}
}

// TestTaskHistory: with an offset, a connector that keeps a schema history needs it: missing,
// initial refuses to start; recovery rebuilds it and streams from the offset.
func TestTaskHistory(t *testing.T) {
	stored := offsets{"file": "b.7"}
	found := Found{SnapshotCompleted: true, LogPositionAvailable: true}
	e := &engine{mode: snapshotmode.Initial, history: true, found: found}
	if _, err := start(t, e, stored, schemahistory.NewMemoryStore(false)); err == nil || !strings.Contains(err.Error(), "recovery") {
		t.Fatalf("Start without a history: %v", err)
	}
	e = &engine{mode: snapshotmode.Recovery, history: true, found: found}
	if _, err := start(t, e, stored, schemahistory.NewMemoryStore(false)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.stored, map[string]any(stored)) || !e.plan.RebuildHistory || !e.plan.SnapshotSchema || e.plan.SnapshotData || e.plan.Stream != snapshotmode.FromOffset {
		t.Fatalf("stored %v, plan %+v", e.stored, e.plan)
	}
}

// TestTaskFailsThroughPoll: an error of the reader fails the task through Poll.
func TestTaskFailsThroughPoll(t *testing.T) {
	e := &engine{mode: snapshotmode.Initial, failAt: "RunSnapshot"}
	task, err := start(t, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err = task.Poll(context.Background()); err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "RunSnapshot failed") {
		t.Fatalf("Poll: %v", err)
	}
}
