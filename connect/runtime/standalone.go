package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/offsets"
)

// Messages Kafka Connect answers offset changes with.
const (
	msgAltered = "The offsets for this connector have been altered successfully"
	msgReset   = "The offsets for this connector have been reset successfully"
)

// connState is the stored configuration of one connector.
type connState struct {
	config map[string]string
	target herder.TargetState
	tasks  []map[string]string
}

// StandaloneHerder runs the connectors of a single worker: configurations live in memory (from
// the command line and the REST API, as Kafka Connect's standalone mode), statuses in a
// MemoryStatusStore, offsets in the worker's offset store. Changes are serialised by one lock, as
// Kafka's StandaloneHerder is synchronized; reads take a snapshot and never wait for a change
// in progress.
type StandaloneHerder struct {
	worker   *Worker
	plugins  *plugins.Registry
	status   StatusStore
	log      *slog.Logger
	workerID string
	info     herder.ServerInfo

	mu sync.Mutex // serialises changes

	cfgMu   sync.RWMutex // guards configs for readers
	configs map[string]*connState

	ready    atomic.Bool
	stopped  atomic.Bool
	reconfMu sync.Mutex // orders reconfWG.Add against Stop's Wait
	reconfWG sync.WaitGroup
}

// HerderOptions configures a StandaloneHerder.
type HerderOptions struct {
	Worker   *Worker
	Plugins  *plugins.Registry
	Status   StatusStore
	WorkerID string
	Info     herder.ServerInfo
	Logger   *slog.Logger
}

// NewStandaloneHerder returns a herder over a worker. The worker's StatusListener must be the
// herder (see HerderListener) so states reach the status store.
func NewStandaloneHerder(o HerderOptions) *StandaloneHerder {
	h := &StandaloneHerder{worker: o.Worker, plugins: o.Plugins, status: o.Status, workerID: o.WorkerID,
		info: o.Info, log: o.Logger, configs: map[string]*connState{}}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.status == nil {
		h.status = NewMemoryStatusStore()
	}
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

// SetReady marks start-up as finished (GET /health answers 200 from then on).
func (h *StandaloneHerder) SetReady() { h.ready.Store(true) }

// Ready implements rest.Herder.
func (h *StandaloneHerder) Ready() bool { return h.ready.Load() }

// Plugins implements rest.Herder.
func (h *StandaloneHerder) Plugins() *plugins.Registry { return h.plugins }

// ServerInfo implements rest.Herder.
func (h *StandaloneHerder) ServerInfo(context.Context) (herder.ServerInfo, error) { return h.info, nil }

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

// ---- reads ----

func (h *StandaloneHerder) snapshot(name string) (connState, bool) {
	h.cfgMu.RLock()
	defer h.cfgMu.RUnlock()
	c, ok := h.configs[name]
	if !ok {
		return connState{}, false
	}
	return connState{config: c.config, target: c.target, tasks: c.tasks}, true
}

// Connectors implements rest.Herder.
func (h *StandaloneHerder) Connectors(context.Context) ([]string, error) {
	h.cfgMu.RLock()
	defer h.cfgMu.RUnlock()
	out := make([]string, 0, len(h.configs))
	for n := range h.configs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func infoOf(name string, c connState) herder.ConnectorInfo {
	info := herder.ConnectorInfo{Name: name, Config: maps.Clone(c.config), Tasks: make([]herder.TaskID, 0, len(c.tasks)), Type: herder.ConnectorTypeSource}
	for i := range c.tasks {
		info.Tasks = append(info.Tasks, herder.TaskID{Connector: name, Task: i})
	}
	return info
}

// ConnectorInfo implements rest.Herder.
func (h *StandaloneHerder) ConnectorInfo(_ context.Context, name string) (herder.ConnectorInfo, error) {
	c, ok := h.snapshot(name)
	if !ok {
		return herder.ConnectorInfo{}, herder.ConnectorNotFound(name)
	}
	return infoOf(name, c), nil
}

// ConnectorStatus implements rest.Herder.
func (h *StandaloneHerder) ConnectorStatus(_ context.Context, name string) (herder.ConnectorStateInfo, error) {
	cs, ok := h.status.Connector(name)
	if !ok {
		return herder.ConnectorStateInfo{}, herder.NotFound("No status found for connector %s", name)
	}
	out := herder.ConnectorStateInfo{Name: name, Type: herder.ConnectorTypeSource,
		Connector: herder.ConnectorState{State: cs.State, WorkerID: cs.WorkerID, Trace: cs.Trace}, Tasks: []herder.TaskState{}}
	for _, ts := range h.status.Tasks(name) {
		out.Tasks = append(out.Tasks, herder.TaskState{ID: ts.ID.Task, State: ts.State, WorkerID: ts.WorkerID, Trace: ts.Trace})
	}
	return out, nil
}

// TaskStatus implements rest.Herder.
func (h *StandaloneHerder) TaskStatus(_ context.Context, id herder.TaskID) (herder.TaskState, error) {
	ts, ok := h.status.Task(id)
	if !ok {
		return herder.TaskState{}, herder.NotFound("No status found for task %s", id)
	}
	return herder.TaskState{ID: id.Task, State: ts.State, WorkerID: ts.WorkerID, Trace: ts.Trace}, nil
}

// TaskConfigs implements rest.Herder.
func (h *StandaloneHerder) TaskConfigs(_ context.Context, name string) ([]herder.TaskInfo, error) {
	c, ok := h.snapshot(name)
	if !ok {
		return nil, herder.ConnectorNotFound(name)
	}
	out := make([]herder.TaskInfo, 0, len(c.tasks))
	for i, tc := range c.tasks {
		out = append(out, herder.TaskInfo{ID: herder.TaskID{Connector: name, Task: i}, Config: maps.Clone(tc)})
	}
	return out, nil
}

// ValidateConnectorConfig implements rest.Herder.
func (h *StandaloneHerder) ValidateConnectorConfig(_ context.Context, config map[string]string) (herder.ConfigInfos, error) {
	return Validate(h.plugins, config)
}

// ConnectorPluginConfig implements rest.Herder.
func (h *StandaloneHerder) ConnectorPluginConfig(_ context.Context, plugin string) ([]herder.ConfigKeyInfo, error) {
	return PluginConfig(h.plugins, plugin)
}

// ConnectorActiveTopics implements rest.Herder.
func (h *StandaloneHerder) ConnectorActiveTopics(_ context.Context, name string) ([]string, error) {
	if _, ok := h.snapshot(name); !ok {
		return nil, herder.ConnectorNotFound(name)
	}
	return h.status.Topics(name), nil
}

// ResetConnectorActiveTopics implements rest.Herder.
func (h *StandaloneHerder) ResetConnectorActiveTopics(_ context.Context, name string) error {
	if _, ok := h.snapshot(name); !ok {
		return herder.ConnectorNotFound(name)
	}
	h.status.ResetTopics(name)
	return nil
}

// ---- changes ----

// lock takes the change lock, refusing once the herder is stopping.
func (h *StandaloneHerder) lock() error {
	h.mu.Lock()
	if h.stopped.Load() {
		h.mu.Unlock()
		return herder.Errorf(http.StatusServiceUnavailable, "The worker is shutting down and no longer accepts changes")
	}
	return nil
}

// PutConnectorConfig implements rest.Herder.
func (h *StandaloneHerder) PutConnectorConfig(_ context.Context, name string, config map[string]string, initial herder.TargetState, allowReplace bool) (herder.ConnectorInfo, bool, error) {
	if err := h.lock(); err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	defer h.mu.Unlock()
	old, exists := h.snapshot(name)
	if exists {
		config = h.plugins.Unmask(config, old.config)
	} else {
		config = h.plugins.Unmask(config, nil)
	}
	infos, err := Validate(h.plugins, config)
	if err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	if infos.ErrorCount > 0 {
		return herder.ConnectorInfo{}, false, invalidConfig(infos)
	}
	if exists && !allowReplace {
		return herder.ConnectorInfo{}, false, herder.Conflict("Connector %s already exists", name)
	}
	target := herder.TargetStarted
	if exists {
		// A new configuration restarts the connector and its tasks, in the target state it had.
		target = old.target
		h.stopTasksLocked(name, old)
		h.worker.StopConnector(name)
	} else if initial != "" {
		target = initial
	}
	h.setConfig(name, &connState{config: config, target: target})
	h.log.Info("connector configuration stored", "connector", name, "created", !exists, "target", target, "config", h.plugins.Mask(config))
	if err := h.worker.StartConnector(name, config, target, h.reconfigureFunc(name)); err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	h.updateTasksLocked(name)
	c, _ := h.snapshot(name)
	return infoOf(name, c), !exists, nil
}

// PatchConnectorConfig implements rest.Herder.
func (h *StandaloneHerder) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (herder.ConnectorInfo, error) {
	c, ok := h.snapshot(name)
	if !ok {
		return herder.ConnectorInfo{}, herder.ConnectorNotFound(name)
	}
	cfg := maps.Clone(c.config)
	for k, v := range patch {
		if v == nil {
			delete(cfg, k)
		} else {
			cfg[k] = *v
		}
	}
	if n, ok := cfg["name"]; ok && n != name {
		return herder.ConnectorInfo{}, herder.BadRequest("Connector name configuration (%s) doesn't match connector name in the URL (%s)", n, name)
	}
	cfg["name"] = name
	info, _, err := h.PutConnectorConfig(ctx, name, cfg, "", true)
	return info, err
}

func (h *StandaloneHerder) setConfig(name string, c *connState) {
	h.cfgMu.Lock()
	h.configs[name] = c
	h.cfgMu.Unlock()
}

// DeleteConnector implements rest.Herder.
func (h *StandaloneHerder) DeleteConnector(_ context.Context, name string) error {
	if err := h.lock(); err != nil {
		return err
	}
	defer h.mu.Unlock()
	c, ok := h.snapshot(name)
	if !ok {
		return herder.ConnectorNotFound(name)
	}
	h.stopTasksLocked(name, c)
	h.worker.StopConnector(name)
	h.cfgMu.Lock()
	delete(h.configs, name)
	h.cfgMu.Unlock()
	// Offsets stay, as in Kafka Connect: a connector created again under the same name resumes.
	h.status.DeleteConnector(name)
	h.log.Info("connector deleted", "connector", name)
	return nil
}

func (h *StandaloneHerder) taskIDs(name string, n int) []herder.TaskID {
	ids := make([]herder.TaskID, n)
	for i := range ids {
		ids[i] = herder.TaskID{Connector: name, Task: i}
	}
	return ids
}

// stopTasksLocked stops a connector's tasks and forgets their statuses.
func (h *StandaloneHerder) stopTasksLocked(name string, c connState) {
	ids := h.taskIDs(name, len(c.tasks))
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

// updateTasksLocked asks a running, STARTED connector for its task configurations and, when they
// differ from the stored ones, replaces its tasks (Kafka's updateConnectorTasks).
func (h *StandaloneHerder) updateTasksLocked(name string) {
	c, ok := h.snapshot(name)
	if !ok || c.target != herder.TargetStarted || !h.worker.ConnectorRunning(name) {
		return
	}
	maxTasks, _ := strconv.Atoi(strings.TrimSpace(c.config["tasks.max"]))
	if maxTasks < 1 {
		maxTasks = 1
	}
	cfgs, err := h.worker.ConnectorTaskConfigs(name, maxTasks)
	if err != nil {
		return // the connector is FAILED with the reason
	}
	if tasksEqual(cfgs, c.tasks) && len(h.worker.Tasks(name)) == len(c.tasks) {
		return
	}
	h.stopTasksLocked(name, c)
	h.setConfig(name, &connState{config: c.config, target: c.target, tasks: cfgs})
	h.startTasksLocked(name, c.config, cfgs, h.taskIDs(name, len(cfgs)), c.target)
}

func (h *StandaloneHerder) startTasksLocked(name string, config map[string]string, cfgs []map[string]string, ids []herder.TaskID, target herder.TargetState) {
	for _, id := range ids {
		if id.Task >= len(cfgs) {
			continue
		}
		if err := h.worker.StartTask(id, config, cfgs[id.Task], target); err != nil {
			h.status.PutTask(TaskStatus{ID: id, State: herder.StateFailed, WorkerID: h.workerID, Trace: "could not start the task: " + err.Error()})
		}
	}
}

func tasksEqual(a, b []map[string]string) bool {
	return slices.EqualFunc(a, b, func(x, y map[string]string) bool { return maps.Equal(x, y) })
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
		c.tasks = nil
	}
	c.target = target
	h.setConfig(name, &connState{config: c.config, target: target, tasks: c.tasks})
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

// RestartConnector implements rest.Herder: the connector instance only, then its task configs
// are recomputed (tasks restart only if those changed), as Kafka Connect.
func (h *StandaloneHerder) RestartConnector(_ context.Context, name string) error {
	if err := h.lock(); err != nil {
		return err
	}
	defer h.mu.Unlock()
	c, ok := h.snapshot(name)
	if !ok {
		return herder.ConnectorNotFound(name)
	}
	h.worker.StopConnector(name)
	if err := h.worker.StartConnector(name, c.config, c.target, h.reconfigureFunc(name)); err != nil {
		return err
	}
	h.updateTasksLocked(name)
	return nil
}

// RestartConnectorAndTasks implements rest.Herder.
func (h *StandaloneHerder) RestartConnectorAndTasks(ctx context.Context, req herder.RestartRequest) (herder.ConnectorStateInfo, error) {
	if err := h.lock(); err != nil {
		return herder.ConnectorStateInfo{}, err
	}
	defer h.mu.Unlock()
	c, ok := h.snapshot(req.Connector)
	if !ok {
		return herder.ConnectorStateInfo{}, herder.NotFound("Unknown connector: %s", req.Connector)
	}
	plan, err := h.ConnectorStatus(ctx, req.Connector)
	if err != nil {
		return herder.ConnectorStateInfo{}, herder.NotFound("Status for connector %s not found", req.Connector)
	}
	restartConnector := req.ShouldRestartConnector(plan.Connector.State)
	if restartConnector {
		plan.Connector.State = herder.StateRestarting
	}
	var ids []herder.TaskID
	for i := range plan.Tasks {
		if req.ShouldRestartTask(plan.Tasks[i].State) {
			plan.Tasks[i].State = herder.StateRestarting
			ids = append(ids, herder.TaskID{Connector: req.Connector, Task: plan.Tasks[i].ID})
		}
	}
	if restartConnector {
		h.worker.StopConnector(req.Connector)
		h.status.PutConnector(ConnectorStatus{Name: req.Connector, State: herder.StateRestarting, WorkerID: h.workerID})
	}
	if len(ids) > 0 {
		h.worker.StopTasks(ids)
		for _, id := range ids {
			h.status.PutTask(TaskStatus{ID: id, State: herder.StateRestarting, WorkerID: h.workerID})
		}
	}
	if restartConnector {
		if err := h.worker.StartConnector(req.Connector, c.config, c.target, h.reconfigureFunc(req.Connector)); err != nil {
			return herder.ConnectorStateInfo{}, err
		}
	}
	h.startTasksLocked(req.Connector, c.config, c.tasks, ids, c.target)
	h.log.Info("restarted", "connector", req.Connector, "connectorRestarted", restartConnector, "tasks", len(ids))
	return plan, nil
}

// RestartTask implements rest.Herder.
func (h *StandaloneHerder) RestartTask(_ context.Context, id herder.TaskID) error {
	if err := h.lock(); err != nil {
		return err
	}
	defer h.mu.Unlock()
	c, ok := h.snapshot(id.Connector)
	if !ok {
		return herder.ConnectorNotFound(id.Connector)
	}
	if id.Task < 0 || id.Task >= len(c.tasks) {
		return herder.NotFound("Task %s not found", id)
	}
	h.worker.StopTasks([]herder.TaskID{id})
	h.startTasksLocked(id.Connector, c.config, c.tasks, []herder.TaskID{id}, c.target)
	return nil
}

// ---- offsets ----

// ConnectorOffsets implements rest.Herder.
func (h *StandaloneHerder) ConnectorOffsets(ctx context.Context, name string) (herder.ConnectorOffsets, error) {
	if _, ok := h.snapshot(name); !ok {
		return herder.ConnectorOffsets{}, herder.ConnectorNotFound(name)
	}
	list, err := h.worker.offsets.List(ctx, name)
	if err != nil {
		return herder.ConnectorOffsets{}, fmt.Errorf("could not read the offsets of connector %s: %w", name, err)
	}
	return herder.FromPartitionOffsets(list), nil
}

// modifiable returns the connector's state when its offsets may be changed: it exists and is
// STOPPED with no tasks (Kafka Connect's check, with its message).
func (h *StandaloneHerder) modifiable(name string) (connState, error) {
	c, ok := h.snapshot(name)
	if !ok {
		return c, herder.ConnectorNotFound(name)
	}
	if c.target != herder.TargetStopped || len(c.tasks) != 0 || len(h.worker.Tasks(name)) != 0 {
		return c, herder.BadRequest("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint", name)
	}
	return c, nil
}

// AlterConnectorOffsets implements rest.Herder.
func (h *StandaloneHerder) AlterConnectorOffsets(ctx context.Context, name string, req herder.ConnectorOffsets) (herder.Message, error) {
	if err := h.lock(); err != nil {
		return herder.Message{}, err
	}
	defer h.mu.Unlock()
	c, err := h.modifiable(name)
	if err != nil {
		return herder.Message{}, err
	}
	entries := req.PartitionOffsets()
	if err := checkOffsets(entries); err != nil {
		return herder.Message{}, err
	}
	if p, ok := h.plugins.Lookup(c.config["connector.class"]); ok {
		if alt, ok := p.New().(api.OffsetAlterer); ok {
			if err := safely(func() error { return alt.AlterOffsets(maps.Clone(c.config), entries) }); err != nil {
				return herder.Message{}, herder.BadRequest("The connector %s refused the offsets: %v", name, err)
			}
		}
	}
	if err := h.worker.offsets.Set(ctx, name, entries); err != nil {
		return herder.Message{}, fmt.Errorf("Failed to modify offsets for source connector %s: %w", name, err)
	}
	h.log.Info("offsets altered", "connector", name, "partitions", len(entries))
	return herder.Message{Message: msgAltered}, nil
}

// checkOffsets refuses what Kafka Connect's OffsetUtils.validateFormat refuses, plus entries
// without a partition.
func checkOffsets(entries []api.PartitionOffset) error {
	for i, e := range entries {
		if e.Partition == nil {
			return herder.BadRequest("offsets[%d] has no partition; every entry is {\"partition\":{...},\"offset\":{...}} (a null offset deletes the partition's offset)", i)
		}
		if err := offsets.ValidateOffsetMap("partition", e.Partition); err != nil {
			return herder.BadRequest("offsets[%d]: %v", i, err)
		}
		if err := offsets.ValidateOffsetMap("offset", e.Offset); err != nil {
			return herder.BadRequest("offsets[%d]: %v", i, err)
		}
	}
	return nil
}

// ResetConnectorOffsets implements rest.Herder.
func (h *StandaloneHerder) ResetConnectorOffsets(ctx context.Context, name string) (herder.Message, error) {
	if err := h.lock(); err != nil {
		return herder.Message{}, err
	}
	defer h.mu.Unlock()
	if _, err := h.modifiable(name); err != nil {
		return herder.Message{}, err
	}
	list, err := h.worker.offsets.List(ctx, name)
	if err != nil {
		return herder.Message{}, fmt.Errorf("could not read the offsets of connector %s: %w", name, err)
	}
	parts := make([]map[string]any, 0, len(list))
	for _, po := range list {
		parts = append(parts, po.Partition)
	}
	if len(parts) > 0 {
		if err := h.worker.offsets.Delete(ctx, name, parts); err != nil {
			return herder.Message{}, fmt.Errorf("Failed to modify offsets for source connector %s: %w", name, err)
		}
	}
	h.log.Info("offsets reset", "connector", name, "partitions", len(parts))
	return herder.Message{Message: msgReset}, nil
}

// ConnectorOffsetHistory implements rest.Herder.
func (h *StandaloneHerder) ConnectorOffsetHistory(ctx context.Context, name string) (herder.OffsetHistory, error) {
	if _, ok := h.snapshot(name); !ok {
		return herder.OffsetHistory{}, herder.ConnectorNotFound(name)
	}
	return OffsetHistory(ctx, h.worker.offsets, name)
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
