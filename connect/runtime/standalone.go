package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/offsets"
)

// StandaloneHerder runs the connectors of a single worker: configurations live in memory (from
// the command line and the REST API, as Kafka Connect's standalone mode), statuses in a
// MemoryStatusStore, offsets in the worker's offset store. Changes are serialised by one lock, as
// Kafka's StandaloneHerder is synchronized; reads take a snapshot and never wait for a change
// in progress. What it shares with the distributed herder is in the embedded HerderCore, whose
// backend (standaloneBackend) is this map and this lock.
type StandaloneHerder struct {
	*HerderCore

	mu sync.Mutex // serialises changes

	cfgMu   sync.RWMutex // guards configs for readers
	configs map[string]StoredConnector

	stopped  atomic.Bool
	reconfMu sync.Mutex // orders reconfWG.Add against Stop's Wait
	reconfWG sync.WaitGroup
}

// HerderOptions configures a StandaloneHerder, or the HerderCore of another herder.
type HerderOptions struct {
	Worker   *Worker
	Plugins  *plugins.Registry
	Status   StatusStore
	WorkerID string
	Info     herder.ServerInfo
	Logger   *slog.Logger
}

// NewStandaloneHerder returns a herder over a worker. The worker's StatusListener must write to
// the same status store (see StatusRecorder) so states reach GET /connectors/{c}/status.
func NewStandaloneHerder(o HerderOptions) *StandaloneHerder {
	h := &StandaloneHerder{configs: map[string]StoredConnector{}}
	if o.Status == nil {
		o.Status = NewMemoryStatusStore()
	}
	h.HerderCore = NewHerderCore(standaloneBackend{h}, o)
	return h
}

// StatusRecorder returns a StatusListener writing to status with workerID, for a Worker whose
// herder is created after it.
func StatusRecorder(status StatusStore, workerID string) StatusListener {
	return statusRecorder{status: status, workerID: workerID}
}

type statusRecorder struct {
	status   StatusStore
	workerID string
}

func (r statusRecorder) OnConnectorState(name string, s herder.State, trace string) {
	r.status.PutConnector(ConnectorStatus{Name: name, State: s, Trace: trace, WorkerID: r.workerID})
}

func (r statusRecorder) OnTaskState(id herder.TaskID, s herder.State, trace string) {
	r.status.PutTask(TaskStatus{ID: id, State: s, Trace: trace, WorkerID: r.workerID})
}

func (r statusRecorder) OnTopicUsed(connector, topic string) { r.status.AddTopic(connector, topic) }

// Stop stops every connector and task (tasks first, each bounded by
// task.shutdown.graceful.timeout.ms, their offsets committed) and refuses later changes.
func (h *StandaloneHerder) Stop() {
	h.reconfMu.Lock()
	h.stopped.Store(true)
	h.reconfMu.Unlock()
	h.mu.Lock()
	h.worker.Stop()
	h.mu.Unlock()
	// Reconfigurations still queued see stopped and return; wait for them outside the lock they
	// take.
	h.reconfWG.Wait()
}

func (h *StandaloneHerder) snapshot(name string) (StoredConnector, bool) {
	h.cfgMu.RLock()
	defer h.cfgMu.RUnlock()
	c, ok := h.configs[name]
	return c, ok
}

func (h *StandaloneHerder) setConfig(name string, c StoredConnector) {
	h.cfgMu.Lock()
	h.configs[name] = c
	h.cfgMu.Unlock()
}

// lock takes the change lock, refusing once the herder is stopping.
func (h *StandaloneHerder) lock() error {
	h.mu.Lock()
	if h.stopped.Load() {
		h.mu.Unlock()
		return herder.Errorf(http.StatusServiceUnavailable, "The worker is shutting down and no longer accepts changes")
	}
	return nil
}

func taskIDs(name string, n int) []herder.TaskID {
	ids := make([]herder.TaskID, n)
	for i := range ids {
		ids[i] = herder.TaskID{Connector: name, Task: i}
	}
	return ids
}

// stopTasksLocked stops a connector's tasks and forgets their statuses.
func (h *StandaloneHerder) stopTasksLocked(name string, c StoredConnector) {
	ids := taskIDs(name, len(c.Tasks))
	// Tasks may run that the stored configs no longer list (a failed reconfiguration).
	for _, id := range h.worker.Tasks(name) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	h.worker.StopTasks(ids)
	for _, id := range ids {
		h.status.DeleteTask(id)
	}
}

// reconfigureFunc is what a connector's RequestTaskReconfiguration calls.
func (h *StandaloneHerder) reconfigureFunc(name string) func() {
	return func() {
		h.reconfMu.Lock()
		defer h.reconfMu.Unlock()
		if h.stopped.Load() {
			return
		}
		h.reconfWG.Add(1)
		go func() {
			defer h.reconfWG.Done()
			if h.lock() != nil {
				return
			}
			defer h.mu.Unlock()
			h.updateTasksLocked(name)
		}()
	}
}

// updateTasksLocked replaces a running, STARTED connector's tasks when the task configurations it
// generates differ from the stored ones (or fewer tasks run than are stored).
func (h *StandaloneHerder) updateTasksLocked(name string) {
	c, ok := h.snapshot(name)
	if !ok {
		return
	}
	cfgs, changed := h.NewTaskConfigs(name, c, len(h.worker.Tasks(name)) != len(c.Tasks))
	if !changed {
		return
	}
	h.stopTasksLocked(name, c)
	c.Tasks = cfgs
	h.setConfig(name, c)
	for _, id := range taskIDs(name, len(cfgs)) {
		h.StartTask(id, c)
	}
}

func (h *StandaloneHerder) setTarget(name string, target herder.TargetState, notFound func(string) error) error {
	if err := h.lock(); err != nil {
		return err
	}
	defer h.mu.Unlock()
	c, ok := h.snapshot(name)
	if !ok {
		return notFound(name)
	}
	if target == herder.TargetStopped {
		// STOPPED shuts the tasks down and drops their configurations: the connector has none
		// until it is resumed, which is what lets its offsets be changed safely.
		h.stopTasksLocked(name, c)
		c.Tasks = nil
	}
	c.Target = target
	h.setConfig(name, c)
	h.worker.SetTargetState(name, target)
	if target == herder.TargetStarted {
		h.updateTasksLocked(name)
	}
	h.log.Info("connector target state changed", "connector", name, "target", target)
	return nil
}

func unknownConnector(name string) error { return herder.NotFound("Unknown connector %s", name) }

// PauseConnector implements rest.Herder.
func (h *StandaloneHerder) PauseConnector(_ context.Context, name string) error {
	return h.setTarget(name, herder.TargetPaused, unknownConnector)
}

// ResumeConnector implements rest.Herder.
func (h *StandaloneHerder) ResumeConnector(_ context.Context, name string) error {
	return h.setTarget(name, herder.TargetStarted, unknownConnector)
}

// StopConnector implements rest.Herder.
func (h *StandaloneHerder) StopConnector(_ context.Context, name string) error {
	return h.setTarget(name, herder.TargetStopped, func(n string) error { return herder.ConnectorNotFound(n) })
}

// standaloneBackend is the HerderBackend of a StandaloneHerder: configurations in its map, changes
// under its lock, and every connector and task on this worker, which is always its own leader.
type standaloneBackend struct{ h *StandaloneHerder }

// Lookup implements HerderBackend.
func (b standaloneBackend) Lookup(_ context.Context, name string) (StoredConnector, bool, error) {
	c, ok := b.h.snapshot(name)
	return c, ok, nil
}

// Names implements HerderBackend.
func (b standaloneBackend) Names(context.Context) ([]string, error) {
	b.h.cfgMu.RLock()
	defer b.h.cfgMu.RUnlock()
	return slices.Sorted(maps.Keys(b.h.configs)), nil
}

// Writable implements HerderBackend: a standalone worker may always write.
func (b standaloneBackend) Writable(context.Context, string) error { return nil }

// LeaderOnly implements HerderBackend: a standalone worker is its own leader.
func (b standaloneBackend) LeaderOnly(string) error { return nil }

// Exclusive implements HerderBackend: under the change lock.
func (b standaloneBackend) Exclusive(_ context.Context, fn func() error) error {
	if err := b.h.lock(); err != nil {
		return err
	}
	defer b.h.mu.Unlock()
	return fn()
}

// Elsewhere implements HerderBackend: every instance runs on this worker.
func (b standaloneBackend) Elsewhere(string, int) error { return nil }

// StoreConfig stores the configuration and (re)starts the connector; a new configuration
// restarts it and its tasks in the target state it had.
func (b standaloneBackend) StoreConfig(_ context.Context, name string, config map[string]string, initial herder.TargetState, old *StoredConnector) error {
	target := herder.TargetStarted
	if old != nil {
		target = old.Target
		b.h.stopTasksLocked(name, *old)
		b.h.worker.StopConnector(name)
	} else if initial != "" {
		target = initial
	}
	c := StoredConnector{Config: config, Target: target}
	b.h.setConfig(name, c)
	return b.StartConnector(name, c)
}

// RemoveConfig implements HerderBackend: the connector and its tasks stop, their statuses go.
func (b standaloneBackend) RemoveConfig(_ context.Context, name string, old StoredConnector) error {
	b.h.stopTasksLocked(name, old)
	b.h.worker.StopConnector(name)
	b.h.cfgMu.Lock()
	delete(b.h.configs, name)
	b.h.cfgMu.Unlock()
	b.h.status.DeleteConnector(name)
	return nil
}

// StartConnector implements HerderBackend: it starts the connector, then regenerates its task
// configurations.
func (b standaloneBackend) StartConnector(name string, c StoredConnector) error {
	if err := b.h.worker.StartConnector(name, c.Config, c.Target, b.h.reconfigureFunc(name)); err != nil {
		return err
	}
	b.h.updateTasksLocked(name)
	return nil
}

// Restart implements HerderBackend: this worker runs every instance, so it restarts them itself.
func (b standaloneBackend) Restart(_ context.Context, req herder.RestartRequest, restartConnector bool, ids []herder.TaskID, c StoredConnector) error {
	return b.h.RestartInstances(req.Connector, restartConnector, ids, c)
}

// OffsetHistory reads a connector's offset history as a list of states, newest first: one entry
// per commit, holding the offset every partition had right after it (a partition whose offset had
// been deleted is listed with a null offset; one not yet known is left out). Each entry is a valid
// offsets PATCH body that puts the whole connector back where it was then ("rewind to where we
// were at 10:00").
func OffsetHistory(ctx context.Context, store offsets.Store, name string) (herder.OffsetHistory, error) {
	hist, err := store.History(ctx, name)
	if err != nil {
		return herder.OffsetHistory{}, fmt.Errorf("could not read the offset history of connector %s: %w", name, err)
	}
	// History lists each partition's entries oldest first. Merge them by time, keeping each
	// partition's order; entries with the same time and distinct partitions are one commit.
	type event struct {
		part int
		e    offsets.HistoryEntry
	}
	var partitions []map[string]any
	index := map[string]int{}
	events := make([]event, 0, len(hist))
	for _, e := range hist {
		k, err := offsets.EncodeKey(name, e.Partition)
		if err != nil {
			continue
		}
		i, ok := index[string(k)]
		if !ok {
			i = len(partitions)
			index[string(k)] = i
			partitions = append(partitions, e.Partition)
		}
		events = append(events, event{part: i, e: e})
	}
	sort.SliceStable(events, func(a, b int) bool { return events[a].e.Time.Before(events[b].e.Time) })

	state := make([]map[string]any, len(partitions))
	known := make([]bool, len(partitions))
	var out []herder.OffsetHistoryEntry
	emit := func(t time.Time) {
		he := herder.OffsetHistoryEntry{Time: t.UTC().Truncate(time.Millisecond), TimestampMs: t.UnixMilli(), Offsets: []herder.ConnectorOffset{}}
		for i, p := range partitions {
			if known[i] {
				he.Offsets = append(he.Offsets, herder.ConnectorOffset{Partition: p, Offset: state[i]})
			}
		}
		out = append(out, he)
	}
	inGroup := map[int]bool{}
	var groupTime time.Time
	for n, ev := range events {
		if n > 0 && (!ev.e.Time.Equal(groupTime) || inGroup[ev.part]) {
			emit(groupTime)
			clear(inGroup)
		}
		groupTime = ev.e.Time
		inGroup[ev.part] = true
		state[ev.part], known[ev.part] = ev.e.Offset, true
	}
	if len(events) > 0 {
		emit(groupTime)
	}
	slices.Reverse(out)
	return herder.OffsetHistory{History: out}, nil
}
