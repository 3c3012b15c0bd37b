package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
)

// Messages Kafka Connect answers offset changes with.
const (
	msgAltered = "The offsets for this connector have been altered successfully"
	msgReset   = "The offsets for this connector have been reset successfully"
)

// Kafka Connect's messages for changes only the leader of a distributed cluster may make.
const (
	msgLeaderConfigs  = "Only the leader can set connector configs."
	msgLeaderDelete   = "Only the leader can delete connector configs."
	msgLeaderRestart  = "Only the leader can process restart requests."
	msgLeaderOffsets  = "Only the leader can process external offsets modification requests"
	msgOffsetsStopped = "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint"
)

// StoredConnector is a connector as its herder stores it: the configuration, the target state and
// the task configurations (none while STOPPED).
type StoredConnector struct {
	Config map[string]string
	Target herder.TargetState
	Tasks  []map[string]string
}

// HerderBackend is what differs between the standalone herder and a distributed one: where
// connector configurations live, how a change is kept from racing another, and who may write.
// HerderCore does everything else, once, so both answer the REST API with the same checks,
// messages and statuses.
type HerderBackend interface {
	// Lookup returns a connector as stored, up to date with every change any worker of the
	// cluster acknowledged; false when there is no such connector.
	Lookup(ctx context.Context, name string) (StoredConnector, bool, error)
	// Names lists the stored connectors, sorted.
	Names(ctx context.Context) ([]string, error)
	// Writable waits until configurations can be written (a distributed cluster settles after a
	// rebalance) and returns the error that has the request forwarded to the leader, or nil.
	// msg is Kafka Connect's message for a follower.
	Writable(ctx context.Context, msg string) error
	// Exclusive runs fn so that no other change runs at the same time; it refuses once the
	// worker is stopping.
	Exclusive(ctx context.Context, fn func() error) error
	// LeaderOnly is Writable without the wait, for use inside Exclusive.
	LeaderOnly(msg string) error
	// StoreConfig writes a validated connector configuration. old is the stored connector,
	// nil when it is created with the target state initial (empty means STARTED).
	StoreConfig(ctx context.Context, name string, config map[string]string, initial herder.TargetState, old *StoredConnector) error
	// RemoveConfig deletes a connector's configuration; its offsets stay, as in Kafka Connect.
	RemoveConfig(ctx context.Context, name string, old StoredConnector) error
	// Restart has a restart request carried out: restartConnector and tasks are what it selects
	// from the statuses the REST answer shows.
	Restart(ctx context.Context, req herder.RestartRequest, restartConnector bool, tasks []herder.TaskID, c StoredConnector) error
	// Elsewhere returns nil when this worker runs the connector (task < 0) or task, else the
	// error that has the request forwarded to the worker that does.
	Elsewhere(connector string, task int) error
	// StartConnector starts a connector on this worker and has its task configurations
	// regenerated.
	StartConnector(name string, c StoredConnector) error
}

// HerderCore is the part of a herder that is the same whether configurations live in memory
// (standalone) or in the config topic (distributed): the REST reads, configuration and offset
// changes with Kafka Connect's checks and messages, restarts, and task configuration generation.
// A herder embeds it and supplies a HerderBackend.
type HerderCore struct {
	backend  HerderBackend
	worker   *Worker
	plugins  *plugins.Registry
	status   StatusStore
	workerID string
	info     herder.ServerInfo
	log      *slog.Logger
	ready    atomic.Bool
}

// NewHerderCore returns the core of a herder whose backend is b. o.Status must be set.
func NewHerderCore(b HerderBackend, o HerderOptions) *HerderCore {
	c := &HerderCore{backend: b, worker: o.Worker, plugins: o.Plugins, status: o.Status,
		workerID: o.WorkerID, info: o.Info, log: o.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c
}

// statusSyncer is a status store other workers write to: reads first catch up with it, and
// changes are flushed before they are acknowledged.
type statusSyncer interface {
	Sync(ctx context.Context) error
	Flush(ctx context.Context) error
}

func (c *HerderCore) syncStatus(ctx context.Context) error {
	if s, ok := c.status.(statusSyncer); ok {
		return s.Sync(ctx)
	}
	return nil
}

func (c *HerderCore) flushStatus(ctx context.Context) error {
	if s, ok := c.status.(statusSyncer); ok {
		return s.Flush(ctx)
	}
	return nil
}

// SetReady marks start-up as finished (GET /health answers 200 from then on).
func (c *HerderCore) SetReady() { c.ready.Store(true) }

// Ready implements rest.Herder.
func (c *HerderCore) Ready() bool { return c.ready.Load() }

// Plugins implements rest.Herder.
func (c *HerderCore) Plugins() *plugins.Registry { return c.plugins }

// ServerInfo implements rest.Herder.
func (c *HerderCore) ServerInfo(context.Context) (herder.ServerInfo, error) { return c.info, nil }

// ---- reads ----

// lookup is Lookup with Kafka Connect's 404 for an unknown connector.
func (c *HerderCore) lookup(ctx context.Context, name string) (StoredConnector, error) {
	s, ok, err := c.backend.Lookup(ctx, name)
	if err != nil {
		return s, err
	}
	if !ok {
		return s, herder.ConnectorNotFound(name)
	}
	return s, nil
}

// Connectors implements rest.Herder.
func (c *HerderCore) Connectors(ctx context.Context) ([]string, error) { return c.backend.Names(ctx) }

func infoOf(name string, s StoredConnector) herder.ConnectorInfo {
	info := herder.ConnectorInfo{Name: name, Config: maps.Clone(s.Config), Tasks: make([]herder.TaskID, 0, len(s.Tasks)), Type: herder.ConnectorTypeSource}
	for i := range s.Tasks {
		info.Tasks = append(info.Tasks, herder.TaskID{Connector: name, Task: i})
	}
	return info
}

// ConnectorInfo implements rest.Herder.
func (c *HerderCore) ConnectorInfo(ctx context.Context, name string) (herder.ConnectorInfo, error) {
	s, err := c.lookup(ctx, name)
	if err != nil {
		return herder.ConnectorInfo{}, err
	}
	return infoOf(name, s), nil
}

// RemoteProgress is a backend whose tasks may run on other workers (distributed): it asks the
// worker running a task (workerID, as the status store names it) for the task's progress and lag,
// which only that worker knows. It returns nils when the worker cannot tell (not reachable in
// time, another version, a task that moved).
type RemoteProgress interface {
	RemoteTaskProgress(ctx context.Context, workerID string, id herder.TaskID) (*herder.TaskProgress, *herder.TaskLag)
}

type localProgressKey struct{}

// LocalProgressOnly marks a status request as one a worker sends another for its tasks' progress:
// the answer carries only what runs there, so two workers that disagree about an assignment never
// ask each other in a loop.
func LocalProgressOnly(ctx context.Context) context.Context {
	return context.WithValue(ctx, localProgressKey{}, true)
}

// taskProgress is a task's progress and lag: from this worker when it runs the task, else from
// the worker the status store names, when the backend can ask it.
func (c *HerderCore) taskProgress(ctx context.Context, id herder.TaskID, state herder.State, workerID string) (*herder.TaskProgress, *herder.TaskLag) {
	p, l := c.worker.TaskProgress(id)
	if p != nil || l != nil || state != herder.StateRunning || workerID == "" || workerID == c.workerID {
		return p, l
	}
	if local, _ := ctx.Value(localProgressKey{}).(bool); local {
		return nil, nil
	}
	if rp, ok := c.backend.(RemoteProgress); ok {
		return rp.RemoteTaskProgress(ctx, workerID, id)
	}
	return nil, nil
}

// ConnectorStatus implements rest.Herder: tasks beyond the stored task configurations (stopping
// after a reconfiguration) are left out.
func (c *HerderCore) ConnectorStatus(ctx context.Context, name string) (herder.ConnectorStateInfo, error) {
	s, ok, err := c.backend.Lookup(ctx, name)
	if err != nil {
		return herder.ConnectorStateInfo{}, err
	}
	if err := c.syncStatus(ctx); err != nil {
		return herder.ConnectorStateInfo{}, err
	}
	cs, found := c.status.Connector(name)
	if !ok || !found {
		return herder.ConnectorStateInfo{}, herder.NotFound("No status found for connector %s", name)
	}
	out := herder.ConnectorStateInfo{Name: name, Type: herder.ConnectorTypeSource,
		Connector: herder.ConnectorState{State: cs.State, WorkerID: cs.WorkerID, Trace: cs.Trace}, Tasks: []herder.TaskState{}}
	for _, ts := range c.status.Tasks(name) {
		if ts.ID.Task < len(s.Tasks) {
			st := herder.TaskState{ID: ts.ID.Task, State: ts.State, WorkerID: ts.WorkerID, Trace: ts.Trace}
			st.Progress, st.Lag = c.taskProgress(ctx, ts.ID, ts.State, ts.WorkerID)
			out.Tasks = append(out.Tasks, st)
		}
	}
	return out, nil
}

// TaskStatus implements rest.Herder.
func (c *HerderCore) TaskStatus(ctx context.Context, id herder.TaskID) (herder.TaskState, error) {
	if err := c.syncStatus(ctx); err != nil {
		return herder.TaskState{}, err
	}
	ts, ok := c.status.Task(id)
	if !ok {
		return herder.TaskState{}, herder.NotFound("No status found for task %s", id)
	}
	st := herder.TaskState{ID: id.Task, State: ts.State, WorkerID: ts.WorkerID, Trace: ts.Trace}
	st.Progress, st.Lag = c.taskProgress(ctx, id, ts.State, ts.WorkerID)
	return st, nil
}

// TaskConfigs implements rest.Herder.
func (c *HerderCore) TaskConfigs(ctx context.Context, name string) ([]herder.TaskInfo, error) {
	s, err := c.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]herder.TaskInfo, 0, len(s.Tasks))
	for i, tc := range s.Tasks {
		out = append(out, herder.TaskInfo{ID: herder.TaskID{Connector: name, Task: i}, Config: maps.Clone(tc)})
	}
	return out, nil
}

// ValidateConnectorConfig implements rest.Herder.
func (c *HerderCore) ValidateConnectorConfig(_ context.Context, config map[string]string) (herder.ConfigInfos, error) {
	infos, err := validateResolved(c.plugins, c.providers(), config)
	if err != nil {
		return infos, err
	}
	return c.withEOSChecks(infos, config), nil
}

// providers returns the worker's config providers (nil without a worker).
func (c *HerderCore) providers() *workerconfig.Providers {
	if c.worker == nil {
		return nil
	}
	return c.worker.providers
}

// ConnectorPluginConfig implements rest.Herder.
func (c *HerderCore) ConnectorPluginConfig(_ context.Context, plugin string) ([]herder.ConfigKeyInfo, error) {
	return PluginConfig(c.plugins, plugin)
}

// ConnectorActiveTopics implements rest.Herder.
func (c *HerderCore) ConnectorActiveTopics(ctx context.Context, name string) ([]string, error) {
	if _, err := c.lookup(ctx, name); err != nil {
		return nil, err
	}
	if err := c.syncStatus(ctx); err != nil {
		return nil, err
	}
	return c.status.Topics(name), nil
}

// ResetConnectorActiveTopics implements rest.Herder (any worker may, as in Kafka Connect).
func (c *HerderCore) ResetConnectorActiveTopics(ctx context.Context, name string) error {
	if _, err := c.lookup(ctx, name); err != nil {
		return err
	}
	if err := c.syncStatus(ctx); err != nil {
		return err
	}
	c.status.ResetTopics(name)
	return c.flushStatus(ctx)
}

// ---- configuration changes ----

// PutConnectorConfig implements rest.Herder. Validation may take time (a connector may reach its
// database), so it runs before the change is serialised with others.
func (c *HerderCore) PutConnectorConfig(ctx context.Context, name string, config map[string]string, initial herder.TargetState, allowReplace bool) (herder.ConnectorInfo, bool, error) {
	if err := c.backend.Writable(ctx, msgLeaderConfigs); err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	old, _, err := c.backend.Lookup(ctx, name)
	if err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	config = c.plugins.Unmask(config, old.Config)
	infos, err := validateResolved(c.plugins, c.providers(), config)
	if err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	infos = c.withEOSChecks(infos, config)
	if infos.ErrorCount > 0 {
		return herder.ConnectorInfo{}, false, invalidConfig(infos)
	}
	var info herder.ConnectorInfo
	var created bool
	err = c.backend.Exclusive(ctx, func() error {
		if err := c.backend.LeaderOnly(msgLeaderConfigs); err != nil {
			return err
		}
		old, exists, err := c.backend.Lookup(ctx, name)
		if err != nil {
			return err
		}
		if exists && !allowReplace {
			return herder.Conflict("Connector %s already exists", name)
		}
		prev := &old
		if !exists {
			prev = nil
		}
		if err := c.backend.StoreConfig(ctx, name, config, initial, prev); err != nil {
			return err
		}
		c.log.Info("connector configuration stored", "connector", name, "created", !exists, "config", c.plugins.Mask(config))
		s, _, err := c.backend.Lookup(ctx, name)
		info, created = infoOf(name, s), !exists
		return err
	})
	if err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	return info, created, nil
}

// PatchConnectorConfig implements rest.Herder: patch is merged into the stored configuration (a
// nil value removes the key) and the result is put as a whole.
func (c *HerderCore) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (herder.ConnectorInfo, error) {
	if err := c.backend.Writable(ctx, msgLeaderConfigs); err != nil {
		return herder.ConnectorInfo{}, err
	}
	s, err := c.lookup(ctx, name)
	if err != nil {
		return herder.ConnectorInfo{}, err
	}
	cfg := maps.Clone(s.Config)
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
	info, _, err := c.PutConnectorConfig(ctx, name, cfg, "", true)
	return info, err
}

// DeleteConnector implements rest.Herder: the connector and its tasks stop, its configuration and
// status go; its offsets stay, as in Kafka Connect, so one created again under the name resumes.
func (c *HerderCore) DeleteConnector(ctx context.Context, name string) error {
	return c.backend.Exclusive(ctx, func() error {
		if err := c.backend.LeaderOnly(msgLeaderDelete); err != nil {
			return err
		}
		s, err := c.lookup(ctx, name)
		if err != nil {
			return err
		}
		if err := c.backend.RemoveConfig(ctx, name, s); err != nil {
			return err
		}
		c.log.Info("connector deleted", "connector", name)
		return nil
	})
}

// ---- restarts ----

// RestartConnector implements rest.Herder: the connector instance only, then its task configs
// are regenerated (tasks restart only if those changed), as Kafka Connect. Another worker's
// connector is restarted there.
func (c *HerderCore) RestartConnector(ctx context.Context, name string) error {
	return c.backend.Exclusive(ctx, func() error {
		s, err := c.lookup(ctx, name)
		if err != nil {
			return err
		}
		if err := c.backend.Elsewhere(name, -1); err != nil {
			return err
		}
		c.worker.StopConnector(name)
		return c.backend.StartConnector(name, s)
	})
}

// RestartTask implements rest.Herder; another worker's task is restarted there.
func (c *HerderCore) RestartTask(ctx context.Context, id herder.TaskID) error {
	return c.backend.Exclusive(ctx, func() error {
		s, err := c.lookup(ctx, id.Connector)
		if err != nil {
			return err
		}
		if id.Task < 0 || id.Task >= len(s.Tasks) {
			return herder.NotFound("Task %s not found", id)
		}
		if err := c.backend.Elsewhere(id.Connector, id.Task); err != nil {
			return err
		}
		c.worker.StopTasks([]herder.TaskID{id})
		c.StartTask(id, s)
		return nil
	})
}

// RestartConnectorAndTasks implements rest.Herder: the answer is the status with the instances
// to be restarted shown as RESTARTING.
func (c *HerderCore) RestartConnectorAndTasks(ctx context.Context, req herder.RestartRequest) (herder.ConnectorStateInfo, error) {
	var plan herder.ConnectorStateInfo
	err := c.backend.Exclusive(ctx, func() error {
		if err := c.backend.LeaderOnly(msgLeaderRestart); err != nil {
			return err
		}
		s, ok, err := c.backend.Lookup(ctx, req.Connector)
		if err != nil {
			return err
		}
		if !ok {
			return herder.NotFound("Unknown connector: %s", req.Connector)
		}
		plan, err = c.ConnectorStatus(ctx, req.Connector)
		if err != nil {
			return herder.NotFound("Status for connector %s not found", req.Connector)
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
		return c.backend.Restart(ctx, req, restartConnector, ids, s)
	})
	return plan, err
}

// RestartInstances stops the connector (when restartConnector) and the tasks ids of this worker,
// reports them RESTARTING, and starts them again with their stored configurations.
func (c *HerderCore) RestartInstances(name string, restartConnector bool, ids []herder.TaskID, s StoredConnector) error {
	if !restartConnector && len(ids) == 0 {
		return nil
	}
	if restartConnector {
		c.worker.StopConnector(name)
		c.status.PutConnector(ConnectorStatus{Name: name, State: herder.StateRestarting, WorkerID: c.workerID})
	}
	if len(ids) > 0 {
		c.worker.StopTasks(ids)
		for _, id := range ids {
			c.status.PutTask(TaskStatus{ID: id, State: herder.StateRestarting, WorkerID: c.workerID})
		}
	}
	// Tasks first: starting the connector regenerates its task configurations, and a backend
	// that finds fewer tasks running than stored (the ones just stopped) starts them itself;
	// starting them here afterwards would find them running and report them FAILED.
	for _, id := range ids {
		c.StartTask(id, s)
	}
	if restartConnector {
		if err := c.backend.StartConnector(name, s); err != nil {
			return err
		}
	}
	c.log.Info("restarted", "connector", name, "connectorRestarted", restartConnector, "tasks", len(ids))
	return nil
}

// StartTask starts a task of this worker with its stored configuration; a task that cannot start
// is reported FAILED with the reason.
func (c *HerderCore) StartTask(id herder.TaskID, s StoredConnector) {
	if id.Task < 0 || id.Task >= len(s.Tasks) {
		c.log.Warn("a task without a configuration cannot start; it starts once its configuration is stored", "task", id.String())
		return
	}
	if err := c.worker.StartTask(id, s.Config, s.Tasks[id.Task], s.Target); err != nil {
		c.status.PutTask(TaskStatus{ID: id, State: herder.StateFailed, WorkerID: c.workerID, Trace: "could not start the task: " + err.Error()})
	}
}

// NewTaskConfigs asks a running, STARTED connector of this worker for its task configurations
// (Kafka's updateConnectorTasks), returning them when they differ from the stored ones or when
// force is set (the stored ones are known to be incomplete).
func (c *HerderCore) NewTaskConfigs(name string, s StoredConnector, force bool) ([]map[string]string, bool) {
	if s.Target != herder.TargetStarted || !c.worker.ConnectorRunning(name) {
		return nil, false
	}
	maxTasks, _ := strconv.Atoi(strings.TrimSpace(s.Config["tasks.max"]))
	if maxTasks < 1 {
		maxTasks = 1
	}
	cfgs, err := c.worker.ConnectorTaskConfigs(name, maxTasks)
	if err != nil {
		return nil, false // the connector is FAILED with the reason
	}
	if !force && slices.EqualFunc(cfgs, s.Tasks, func(x, y map[string]string) bool { return maps.Equal(x, y) }) {
		return nil, false
	}
	return cfgs, true
}

// ---- offsets ----

// ConnectorOffsets implements rest.Herder; any worker reads the offset store.
func (c *HerderCore) ConnectorOffsets(ctx context.Context, name string) (herder.ConnectorOffsets, error) {
	if _, err := c.lookup(ctx, name); err != nil {
		return herder.ConnectorOffsets{}, err
	}
	list, err := c.worker.offsets.List(ctx, name)
	if err != nil {
		return herder.ConnectorOffsets{}, fmt.Errorf("could not read the offsets of connector %s: %w", name, err)
	}
	return herder.FromPartitionOffsets(list), nil
}

// modifiable returns a connector whose offsets may change: it exists and is STOPPED with no
// tasks (Kafka Connect's checks and messages). Called inside Exclusive.
func (c *HerderCore) modifiable(ctx context.Context, name string) (StoredConnector, error) {
	if err := c.backend.LeaderOnly(msgLeaderOffsets); err != nil {
		return StoredConnector{}, err
	}
	s, err := c.lookup(ctx, name)
	if err != nil {
		return s, err
	}
	if s.Target != herder.TargetStopped || len(s.Tasks) != 0 || len(c.worker.Tasks(name)) != 0 {
		return s, herder.BadRequest(msgOffsetsStopped, name)
	}
	return s, nil
}

// AlterConnectorOffsets implements rest.Herder: a connector that implements api.OffsetAlterer
// checks the offsets first.
func (c *HerderCore) AlterConnectorOffsets(ctx context.Context, name string, req herder.ConnectorOffsets) (herder.Message, error) {
	var msg herder.Message
	err := c.backend.Exclusive(ctx, func() error {
		s, err := c.modifiable(ctx, name)
		if err != nil {
			return err
		}
		entries := req.PartitionOffsets()
		if err := checkOffsets(entries); err != nil {
			return err
		}
		if p, ok := c.plugins.Lookup(s.Config["connector.class"]); ok {
			if alt, ok := p.New().(api.OffsetAlterer); ok {
				if err := safely(func() error { return alt.AlterOffsets(maps.Clone(s.Config), entries) }); err != nil {
					return herder.BadRequest("The connector %s refused the offsets: %v", name, err)
				}
			}
		}
		if err := c.worker.offsets.Set(ctx, name, entries); err != nil {
			return fmt.Errorf("Failed to modify offsets for source connector %s: %w", name, err)
		}
		c.log.Info("offsets altered", "connector", name, "partitions", len(entries))
		msg = herder.Message{Message: msgAltered}
		return nil
	})
	return msg, err
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
func (c *HerderCore) ResetConnectorOffsets(ctx context.Context, name string) (herder.Message, error) {
	var msg herder.Message
	err := c.backend.Exclusive(ctx, func() error {
		if _, err := c.modifiable(ctx, name); err != nil {
			return err
		}
		list, err := c.worker.offsets.List(ctx, name)
		if err != nil {
			return fmt.Errorf("could not read the offsets of connector %s: %w", name, err)
		}
		parts := make([]map[string]any, 0, len(list))
		for _, po := range list {
			parts = append(parts, po.Partition)
		}
		if len(parts) > 0 {
			if err := c.worker.offsets.Delete(ctx, name, parts); err != nil {
				return fmt.Errorf("Failed to modify offsets for source connector %s: %w", name, err)
			}
		}
		c.log.Info("offsets reset", "connector", name, "partitions", len(parts))
		msg = herder.Message{Message: msgReset}
		return nil
	})
	return msg, err
}

// ConnectorOffsetHistory implements rest.Herder.
func (c *HerderCore) ConnectorOffsetHistory(ctx context.Context, name string) (herder.OffsetHistory, error) {
	if _, err := c.lookup(ctx, name); err != nil {
		return herder.OffsetHistory{}, err
	}
	return OffsetHistory(ctx, c.worker.offsets, name)
}
