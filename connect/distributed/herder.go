package distributed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
)

// Herder runs a worker of a distributed cluster, as Kafka Connect's DistributedHerder: it keeps the
// worker in the Kafka group named by group.id, runs the connectors and tasks the leader assigns to
// it, reads the config topic for changes and answers the REST API. Configuration changes are
// written by the leader only (a follower answers herder.NotLeaderError and the REST layer forwards
// the request); target states may be written by any worker, as in Kafka Connect.
//
// One goroutine, the herder loop, applies assignments, reacts to config changes and performs
// writes, so those never race each other; REST reads are answered from snapshots.
type Herder struct {
	cfg      *workerconfig.Worker
	worker   *runtime.Worker
	plugins  *plugins.Registry
	configs  *ConfigStore
	status   *StatusStore
	offsets  offsets.Store
	member   *Member
	workerID string
	url      string
	info     herder.ServerInfo
	log      *slog.Logger
	client   *http.Client

	requests chan func()
	loopDone chan struct{}

	reconfMu      sync.Mutex
	reconfPending map[string]bool
	reconfBackoff map[string]time.Duration // next retry delay per connector after a failure
	reconfSignal  chan struct{}

	mu         sync.Mutex
	generation int32
	memberID   string
	assignment Assignment
	assigned   bool // holds an assignment (false while rebalancing)
	// stable is closed while the worker holds an assignment; changes wait on it during a
	// rebalance instead of failing at once.
	stable    chan struct{}
	leader    bool
	leaderURL string
	// The leader's view of the last rebalance: member URLs and what each member got.
	memberURLs  map[string]string
	assignments map[string]Assignment
	lastWork    map[string]int
	// assignedOffset is the config offset the leader's last assignment was computed at: a change
	// read from a record before it is already part of that assignment.
	assignedOffset int64

	ready    atomic.Bool
	stopping atomic.Bool
}

// HerderOptions configures a Herder.
type HerderOptions struct {
	Config   *workerconfig.Worker
	Plugins  *plugins.Registry
	Configs  *ConfigStore
	Status   *StatusStore
	Offsets  offsets.Store
	Producer runtime.Producer
	// Admin creates topics for connectors with topic.creation.* settings; nil disables that.
	Admin *kadm.Client
	// Group is the kgo client the membership requests go through.
	Group    *kgo.Client
	WorkerID string
	// URL is this worker's advertised REST URL, which other workers forward requests to.
	URL    string
	Info   herder.ServerInfo
	Logger *slog.Logger
	// WorkerLogger receives the worker's (connector and task) logs.
	WorkerLogger *slog.Logger
}

// NewHerder builds the herder and its worker.
func NewHerder(o HerderOptions) (*Herder, error) {
	h := &Herder{cfg: o.Config, plugins: o.Plugins, configs: o.Configs, status: o.Status, offsets: o.Offsets,
		workerID: o.WorkerID, url: o.URL, info: o.Info, log: o.Logger, client: &http.Client{Timeout: 30 * time.Second},
		requests: make(chan func()), loopDone: make(chan struct{}), reconfPending: map[string]bool{},
		reconfBackoff: map[string]time.Duration{},
		reconfSignal:  make(chan struct{}, 1), stable: make(chan struct{})}
	if h.log == nil {
		h.log = slog.Default()
	}
	wl := o.WorkerLogger
	if wl == nil {
		wl = h.log
	}
	w, err := runtime.NewWorker(runtime.WorkerOptions{Config: o.Config, Plugins: o.Plugins, Offsets: o.Offsets,
		Producer: o.Producer, Admin: o.Admin, Listener: h, Logger: wl})
	if err != nil {
		return nil, err
	}
	h.worker = w
	h.member = NewMember(o.Group, MemberConfig{
		Group:            o.Config.GroupID,
		SessionTimeout:   millis(o.Config.SessionTimeoutMs, 10000),
		RebalanceTimeout: millis(o.Config.RebalanceMs, 60000),
		Heartbeat:        millis(o.Config.HeartbeatMs, 3000),
		State:            func() WorkerState { return WorkerState{URL: h.url, ConfigOffset: h.configs.Offset()} },
		Assign:           h.assign,
		Assigned:         func(gen int32, id string, a Assignment) { h.call(func() { h.onAssigned(gen, id, a) }) },
		Revoked:          func() { h.call(h.onRevoked) },
		Logger:           h.log,
	})
	return h, nil
}

func millis(ms, def int64) time.Duration {
	if ms <= 0 {
		ms = def
	}
	return time.Duration(ms) * time.Millisecond
}

// Worker returns the worker running this herder's connectors and tasks.
func (h *Herder) Worker() *runtime.Worker { return h.worker }

// Run keeps the worker in the group until ctx is done, then stops every connector and task
// (committing offsets), leaves the group so the others take the work over at once, and returns.
func (h *Herder) Run(ctx context.Context) error {
	loopCtx, stopLoop := context.WithCancel(context.Background())
	go h.loop(loopCtx)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		h.readConfigs(loopCtx)
	}()
	go func() {
		<-ctx.Done()
		h.stopping.Store(true)
	}()
	err := h.member.Run(ctx)
	stopLoop()
	<-h.loopDone
	<-readerDone
	h.worker.Stop() // in case the member never joined or a callback was cut short
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// call runs fn on the herder loop and waits for it.
func (h *Herder) call(fn func()) {
	done := make(chan struct{})
	select {
	case h.requests <- func() { defer close(done); fn() }:
		<-done
	case <-h.loopDone:
	}
}

// stableWait bounds how long a change waits for a rebalance to finish before it is refused with
// 409: long enough for a rebalance triggered by the previous request (stop, then PATCH offsets).
const stableWait = 30 * time.Second

// awaitStable waits until the worker holds an assignment, so a change sent during a rebalance
// (which every connector creation or stop causes) is served once the group settles rather than
// refused; past stableWait the caller's checks answer 409.
func (h *Herder) awaitStable(ctx context.Context) {
	h.mu.Lock()
	ch := h.stable
	h.mu.Unlock()
	t := time.NewTimer(stableWait)
	defer t.Stop()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-t.C:
	case <-h.loopDone:
	}
}

// do runs fn on the herder loop once the group is stable, waiting up to ctx for its result.
func (h *Herder) do(ctx context.Context, fn func() error) error {
	h.awaitStable(ctx)
	if h.stopping.Load() {
		return herder.Errorf(http.StatusServiceUnavailable, "The worker is shutting down and no longer accepts changes; send the request to another worker")
	}
	done := make(chan error, 1)
	select {
	case h.requests <- func() { done <- fn() }:
	case <-ctx.Done():
		return ctx.Err()
	case <-h.loopDone:
		return herder.Errorf(http.StatusServiceUnavailable, "The worker is shutting down and no longer accepts changes; send the request to another worker")
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Herder) loop(ctx context.Context) {
	defer close(h.loopDone)
	for {
		select {
		case <-ctx.Done():
			return
		case fn := <-h.requests:
			fn()
		case <-h.configs.Notify():
			h.onConfigEvents()
		case <-h.reconfSignal:
			h.onReconfigure()
		}
	}
}

// readConfigs follows the config topic, so changes written by other workers (a target state, a
// new task configuration) reach this worker within a fraction of a second.
func (h *Herder) readConfigs(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := h.configs.ReadToEnd(rctx); err != nil && ctx.Err() == nil {
			h.log.Warn("could not read the config topic; retrying", "error", err)
		}
		cancel()
	}
}

// ---- membership ----

// assign runs on the leader during a rebalance: it reads the config topic to its end and spreads
// every connector and task over the members.
func (h *Herder) assign(leaderID string, members []MemberState) map[string]Assignment {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.configs.ReadToEnd(ctx); err != nil {
		h.log.Warn("the leader could not read the config topic to its end before assigning; assigning from what it has", "error", err)
	}
	snap := h.configs.Snapshot()
	w := Work{ConfigOffset: snap.Offset, Connectors: make(map[string]int, len(snap.Connectors))}
	for name := range snap.Connectors {
		w.Connectors[name] = len(snap.Tasks[name])
	}
	out := AssignEager(leaderID, members, w)
	urls := make(map[string]string, len(members))
	for _, m := range members {
		urls[m.ID] = m.State.URL
	}
	h.mu.Lock()
	h.memberURLs, h.assignments, h.lastWork, h.assignedOffset = urls, out, w.Connectors, w.ConfigOffset
	h.mu.Unlock()
	h.log.Info("assigned connectors and tasks", "members", len(members), "connectors", len(w.Connectors), "config_offset", w.ConfigOffset)
	return out
}

func (h *Herder) onAssigned(gen int32, memberID string, a Assignment) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.configs.ReadToEnd(ctx); err != nil || h.configs.Offset() < a.ConfigOffset {
		h.log.Warn("could not read the config topic up to the leader's offset; rejoining", "leader_offset", a.ConfigOffset, "offset", h.configs.Offset(), "error", err)
		h.member.RequestRejoin()
		return
	}
	h.mu.Lock()
	if !h.assigned {
		close(h.stable)
	}
	h.generation, h.memberID, h.assignment, h.assigned = gen, memberID, a, true
	h.leader = a.Leader == memberID
	h.leaderURL = a.LeaderURL
	if !h.leader {
		h.memberURLs, h.assignments, h.lastWork = nil, nil, nil
	}
	h.mu.Unlock()
	h.status.SetGeneration(gen)
	snap := h.configs.Snapshot()
	for _, c := range a.Connectors {
		h.startConnector(c, snap)
	}
	for _, t := range a.Tasks {
		h.startTask(t, snap)
	}
	h.ready.Store(true)
	h.log.Info("joined the connect group", "group", h.cfg.GroupID, "generation", gen, "leader", a.Leader == memberID,
		"leader_url", a.LeaderURL, "connectors", a.Connectors, "tasks", taskNames(a.Tasks))
}

func taskNames(ts []TaskID) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

// onRevoked gives up everything before the worker rejoins (eager protocol): tasks stop and commit
// their offsets, connectors stop, and their statuses say UNASSIGNED unless another worker already
// reported on them.
func (h *Herder) onRevoked() {
	h.mu.Lock()
	a := h.assignment
	if h.assigned {
		h.stable = make(chan struct{})
	}
	h.assignment, h.assigned = Assignment{}, false
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A fresh view: statuses of instances whose connector is gone become tombstones, and
	// UNASSIGNED does not overwrite what another worker wrote meanwhile.
	_ = h.configs.ReadToEnd(ctx)
	_ = h.status.ReadToEnd(ctx)
	h.worker.Stop()
	for _, c := range a.Connectors {
		h.connectorUnassigned(c)
	}
	if err := h.status.Flush(ctx); err != nil {
		h.log.Warn("could not write every status before rejoining", "error", err)
	}
}

func (h *Herder) connectorUnassigned(c string) {
	if h.configs.Contains(c) {
		h.status.PutConnector(runtime.ConnectorStatus{Name: c, State: herder.StateUnassigned, WorkerID: h.workerID})
	} else {
		h.status.DeleteConnector(c)
	}
}

func (h *Herder) startConnector(name string, snap ClusterConfig) {
	cfg, ok := snap.Connectors[name]
	if !ok {
		return // deleted after the assignment was computed
	}
	target := snap.Target(name)
	if err := h.worker.StartConnector(name, cfg, target, h.reconfigureFunc(name)); err != nil {
		h.status.PutConnector(runtime.ConnectorStatus{Name: name, State: herder.StateFailed, WorkerID: h.workerID,
			Trace: "could not start the connector: " + err.Error()})
		return
	}
	if target == herder.TargetStarted {
		h.requestReconfigure(name)
	}
}

func (h *Herder) startTask(t TaskID, snap ClusterConfig) {
	cfg, ok := snap.Connectors[t.Connector]
	tasks := snap.Tasks[t.Connector]
	if !ok || int(t.Task) >= len(tasks) {
		h.log.Warn("assigned a task without a configuration; it starts after the next rebalance", "task", t.String())
		return
	}
	id := herder.TaskID{Connector: t.Connector, Task: int(t.Task)}
	if err := h.worker.StartTask(id, cfg, tasks[t.Task], snap.Target(t.Connector)); err != nil {
		h.status.PutTask(runtime.TaskStatus{ID: id, State: herder.StateFailed, WorkerID: h.workerID, Trace: "could not start the task: " + err.Error()})
	}
}

// ---- status listener (the worker reports here) ----

// OnConnectorState implements runtime.StatusListener.
func (h *Herder) OnConnectorState(name string, s herder.State, trace string) {
	h.status.PutConnector(runtime.ConnectorStatus{Name: name, State: s, Trace: trace, WorkerID: h.workerID})
}

// OnTaskState implements runtime.StatusListener. A task stopped because its connector was deleted,
// or because the connector now has fewer tasks, leaves no status behind.
func (h *Herder) OnTaskState(id herder.TaskID, s herder.State, trace string) {
	if s == herder.StateUnassigned && id.Task >= h.configs.TaskCount(id.Connector) {
		h.status.DeleteTask(id)
		return
	}
	h.status.PutTask(runtime.TaskStatus{ID: id, State: s, Trace: trace, WorkerID: h.workerID})
}

// OnTopicUsed implements runtime.StatusListener.
func (h *Herder) OnTopicUsed(connector, topic string) { h.status.AddTopic(connector, topic) }

// ---- config changes ----

func (h *Herder) runs(connector string) bool {
	return slices.Contains(h.worker.Connectors(), connector)
}

func (h *Herder) onConfigEvents() {
	events := h.configs.TakeEvents()
	if len(events) == 0 {
		return
	}
	snap := h.configs.Snapshot()
	h.mu.Lock()
	leader, assigned, lastWork, assignedOffset := h.leader, h.assigned, h.lastWork, h.assignedOffset
	h.mu.Unlock()
	rebalance := false
	for _, ev := range events {
		c := ev.Connector
		// Only the leader rebalances, and only for changes its last assignment did not include.
		newToLeader := leader && ev.Offset >= assignedOffset
		switch ev.Kind {
		case ConnectorUpdated:
			if h.runs(c) {
				// A new configuration restarts the connector; its task configurations are then
				// regenerated and, when they change, the tasks move with the next rebalance.
				h.log.Info("connector configuration changed; restarting the connector", "connector", c)
				h.worker.StopConnector(c)
				h.startConnector(c, snap)
			}
			if _, known := lastWork[c]; newToLeader && !known {
				rebalance = true
			}
		case ConnectorRemoved:
			ran := h.runs(c) || len(h.worker.Tasks(c)) > 0
			if ran {
				h.worker.StopTasks(h.worker.Tasks(c))
				h.worker.StopConnector(c)
			}
			if ran || leader {
				h.status.DeleteConnector(c)
			}
			if newToLeader {
				rebalance = true
			}
		case TargetStateChanged:
			t := snap.Target(c)
			h.worker.SetTargetState(c, t)
			if t == herder.TargetStarted && h.runs(c) {
				h.requestReconfigure(c)
			}
		case TasksCommitted:
			// New task configurations take effect through a rebalance: the eager protocol
			// restarts every task with the configuration committed at the leader's offset.
			if newToLeader && snap.Contains(c) {
				rebalance = true
			}
		case RestartRequested:
			if assigned {
				h.restart(ev.Restart, snap)
			}
		}
	}
	if rebalance {
		h.log.Info("connectors or tasks changed; rebalancing the group")
		h.member.RequestRejoin()
	}
}

// restart restarts what this worker runs of a connector, as a restart request read from the
// config topic asks (every worker processes it for its own instances).
func (h *Herder) restart(req herder.RestartRequest, snap ClusterConfig) {
	if !snap.Contains(req.Connector) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = h.status.Sync(ctx)
	c := req.Connector
	restartConn := false
	if h.runs(c) {
		st, _ := h.status.Connector(c)
		restartConn = req.ShouldRestartConnector(st.State)
	}
	var ids []herder.TaskID
	for _, id := range h.worker.Tasks(c) {
		st, _ := h.status.Task(id)
		if req.ShouldRestartTask(st.State) {
			ids = append(ids, id)
		}
	}
	if !restartConn && len(ids) == 0 {
		return
	}
	if restartConn {
		h.worker.StopConnector(c)
		h.status.PutConnector(runtime.ConnectorStatus{Name: c, State: herder.StateRestarting, WorkerID: h.workerID})
	}
	if len(ids) > 0 {
		h.worker.StopTasks(ids)
		for _, id := range ids {
			h.status.PutTask(runtime.TaskStatus{ID: id, State: herder.StateRestarting, WorkerID: h.workerID})
		}
	}
	if restartConn {
		h.startConnector(c, snap)
	}
	for _, id := range ids {
		h.startTask(TaskID{Connector: id.Connector, Task: int32(id.Task)}, snap)
	}
	h.log.Info("restarted", "connector", c, "connectorRestarted", restartConn, "tasks", len(ids))
}

// ---- task reconfiguration ----

// reconfigureFunc is what a connector's RequestTaskReconfiguration calls; it must not block.
func (h *Herder) reconfigureFunc(name string) func() {
	return func() { h.requestReconfigure(name) }
}

func (h *Herder) requestReconfigure(name string) {
	h.reconfMu.Lock()
	h.reconfPending[name] = true
	h.reconfMu.Unlock()
	select {
	case h.reconfSignal <- struct{}{}:
	default:
	}
}

func (h *Herder) onReconfigure() {
	h.reconfMu.Lock()
	names := slices.Sorted(maps.Keys(h.reconfPending))
	clear(h.reconfPending)
	h.reconfMu.Unlock()
	for _, n := range names {
		h.reconfigure(n)
	}
}

// reconfigure asks a connector this worker runs for its task configurations and, when they differ
// from the committed ones, has the leader write them (Kafka's reconfigureConnectorTasksWithRetry).
func (h *Herder) reconfigure(name string) {
	snap := h.configs.Snapshot()
	if !snap.Contains(name) || snap.Target(name) != herder.TargetStarted || !h.worker.ConnectorRunning(name) {
		return
	}
	maxTasks, _ := strconv.Atoi(strings.TrimSpace(snap.Connectors[name]["tasks.max"]))
	if maxTasks < 1 {
		maxTasks = 1
	}
	cfgs, err := h.worker.ConnectorTaskConfigs(name, maxTasks)
	if err != nil {
		return // the connector is FAILED with the reason
	}
	if !snap.Inconsistent[name] && tasksEqual(cfgs, snap.Tasks[name]) {
		return
	}
	h.mu.Lock()
	leader, leaderURL := h.leader, h.leaderURL
	h.mu.Unlock()
	if leader {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.configs.PutTaskConfigs(ctx, name, cfgs); err != nil {
			h.log.Warn("could not write task configurations; retrying", "connector", name, "error", err)
			h.retryReconfigure(name)
			return
		}
		h.log.Info("task configurations written", "connector", name, "tasks", len(cfgs))
		h.reconfigured(name)
		return
	}
	if leaderURL == "" {
		h.retryReconfigure(name)
		return
	}
	go func() {
		if err := h.sendTaskConfigs(leaderURL, name, cfgs); err != nil {
			h.log.Warn("could not send task configurations to the leader; retrying", "connector", name, "leader", leaderURL, "error", err)
			h.retryReconfigure(name)
			return
		}
		h.reconfigured(name)
	}()
}

// retryReconfigure tries a connector's reconfiguration again after a delay that starts at 250 ms
// (Kafka Connect's) and doubles up to 8 s while the leader cannot be reached (it may have died;
// the next rebalance names a new one).
func (h *Herder) retryReconfigure(name string) {
	h.reconfMu.Lock()
	d := h.reconfBackoff[name]
	if d == 0 {
		d = 250 * time.Millisecond
	}
	h.reconfBackoff[name] = min(2*d, 8*time.Second)
	h.reconfMu.Unlock()
	time.AfterFunc(d, func() {
		if !h.stopping.Load() {
			h.requestReconfigure(name)
		}
	})
}

// reconfigured resets the retry delay after task configurations reached the leader.
func (h *Herder) reconfigured(name string) {
	h.reconfMu.Lock()
	delete(h.reconfBackoff, name)
	h.reconfMu.Unlock()
}

func tasksEqual(a, b []map[string]string) bool {
	return slices.EqualFunc(a, b, func(x, y map[string]string) bool { return maps.Equal(x, y) })
}

// sendTaskConfigs posts task configurations to the leader, as Kafka Connect's worker does:
// POST /connectors/{c}/tasks with a JSON list of maps.
func (h *Herder) sendTaskConfigs(leaderURL, name string, cfgs []map[string]string) error {
	body, err := json.Marshal(cfgs)
	if err != nil {
		return err
	}
	u := strings.TrimRight(leaderURL, "/") + "/connectors/" + url.PathEscape(name) + "/tasks?forward=true"
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var em rest.ErrorMessage
		_ = json.NewDecoder(resp.Body).Decode(&em)
		return fmt.Errorf("the leader answered %d: %s", resp.StatusCode, em.Message)
	}
	return nil
}

// PutTaskConfigs is the leader's side of POST /connectors/{c}/tasks: the worker running the
// connector sends the task configurations it generated.
func (h *Herder) PutTaskConfigs(ctx context.Context, name string, cfgs []map[string]string) error {
	return h.do(ctx, func() error {
		if err := h.leaderOnly("Only the leader may write task configurations."); err != nil {
			return err
		}
		if !h.configs.Contains(name) {
			return herder.ConnectorNotFound(name)
		}
		if err := h.configs.PutTaskConfigs(ctx, name, cfgs); err != nil {
			return err
		}
		h.log.Info("task configurations written", "connector", name, "tasks", len(cfgs))
		return nil
	})
}

// ---- REST: reads ----

// leaderOnly refuses a change on a follower (the REST layer forwards it to the leader) and while
// the group rebalances (409, as Kafka Connect's RebalanceNeededException: the client retries).
func (h *Herder) leaderOnly(msg string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case !h.assigned:
		return herder.Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance); retry in a moment")
	case !h.leader:
		return &herder.NotLeaderError{Message: msg, LeaderURL: h.leaderURL}
	}
	return nil
}

// fresh reads the config topic to its end and returns the view, so a read after a write (on any
// worker) sees it.
func (h *Herder) fresh(ctx context.Context) (ClusterConfig, error) {
	if err := h.configs.ReadToEnd(ctx); err != nil {
		return ClusterConfig{}, err
	}
	return h.configs.Snapshot(), nil
}

// Ready implements rest.Herder: the worker has joined the group and run its first assignment.
func (h *Herder) Ready() bool { return h.ready.Load() }

// Plugins implements rest.Herder.
func (h *Herder) Plugins() *plugins.Registry { return h.plugins }

// ServerInfo implements rest.Herder.
func (h *Herder) ServerInfo(context.Context) (herder.ServerInfo, error) { return h.info, nil }

// Connectors implements rest.Herder.
func (h *Herder) Connectors(ctx context.Context) ([]string, error) {
	snap, err := h.fresh(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(snap.Connectors)), nil
}

func infoOf(name string, snap ClusterConfig) herder.ConnectorInfo {
	info := herder.ConnectorInfo{Name: name, Config: maps.Clone(snap.Connectors[name]), Tasks: []herder.TaskID{}, Type: herder.ConnectorTypeSource}
	for i := range snap.Tasks[name] {
		info.Tasks = append(info.Tasks, herder.TaskID{Connector: name, Task: i})
	}
	return info
}

// ConnectorInfo implements rest.Herder.
func (h *Herder) ConnectorInfo(ctx context.Context, name string) (herder.ConnectorInfo, error) {
	snap, err := h.fresh(ctx)
	if err != nil {
		return herder.ConnectorInfo{}, err
	}
	if !snap.Contains(name) {
		return herder.ConnectorInfo{}, herder.ConnectorNotFound(name)
	}
	return infoOf(name, snap), nil
}

// ConnectorStatus implements rest.Herder: read from the status topic, which every worker follows.
func (h *Herder) ConnectorStatus(ctx context.Context, name string) (herder.ConnectorStateInfo, error) {
	snap, err := h.fresh(ctx)
	if err != nil {
		return herder.ConnectorStateInfo{}, err
	}
	if err := h.status.Sync(ctx); err != nil {
		return herder.ConnectorStateInfo{}, err
	}
	cs, ok := h.status.Connector(name)
	if !ok || !snap.Contains(name) {
		return herder.ConnectorStateInfo{}, herder.NotFound("No status found for connector %s", name)
	}
	out := herder.ConnectorStateInfo{Name: name, Type: herder.ConnectorTypeSource,
		Connector: herder.ConnectorState{State: cs.State, WorkerID: cs.WorkerID, Trace: cs.Trace}, Tasks: []herder.TaskState{}}
	n := len(snap.Tasks[name])
	for _, ts := range h.status.Tasks(name) {
		if ts.ID.Task < n {
			out.Tasks = append(out.Tasks, herder.TaskState{ID: ts.ID.Task, State: ts.State, WorkerID: ts.WorkerID, Trace: ts.Trace})
		}
	}
	return out, nil
}

// TaskStatus implements rest.Herder.
func (h *Herder) TaskStatus(ctx context.Context, id herder.TaskID) (herder.TaskState, error) {
	if err := h.status.Sync(ctx); err != nil {
		return herder.TaskState{}, err
	}
	ts, ok := h.status.Task(id)
	if !ok {
		return herder.TaskState{}, herder.NotFound("No status found for task %s", id)
	}
	return herder.TaskState{ID: id.Task, State: ts.State, WorkerID: ts.WorkerID, Trace: ts.Trace}, nil
}

// TaskConfigs implements rest.Herder.
func (h *Herder) TaskConfigs(ctx context.Context, name string) ([]herder.TaskInfo, error) {
	snap, err := h.fresh(ctx)
	if err != nil {
		return nil, err
	}
	if !snap.Contains(name) {
		return nil, herder.ConnectorNotFound(name)
	}
	out := make([]herder.TaskInfo, 0, len(snap.Tasks[name]))
	for i, tc := range snap.Tasks[name] {
		out = append(out, herder.TaskInfo{ID: herder.TaskID{Connector: name, Task: i}, Config: maps.Clone(tc)})
	}
	return out, nil
}

// ValidateConnectorConfig implements rest.Herder.
func (h *Herder) ValidateConnectorConfig(_ context.Context, config map[string]string) (herder.ConfigInfos, error) {
	return runtime.Validate(h.plugins, config)
}

// ConnectorPluginConfig implements rest.Herder.
func (h *Herder) ConnectorPluginConfig(_ context.Context, plugin string) ([]herder.ConfigKeyInfo, error) {
	return runtime.PluginConfig(h.plugins, plugin)
}

// ConnectorActiveTopics implements rest.Herder.
func (h *Herder) ConnectorActiveTopics(ctx context.Context, name string) ([]string, error) {
	snap, err := h.fresh(ctx)
	if err != nil {
		return nil, err
	}
	if !snap.Contains(name) {
		return nil, herder.ConnectorNotFound(name)
	}
	if err := h.status.Sync(ctx); err != nil {
		return nil, err
	}
	return h.status.Topics(name), nil
}

// ResetConnectorActiveTopics implements rest.Herder (any worker may, as in Kafka Connect).
func (h *Herder) ResetConnectorActiveTopics(ctx context.Context, name string) error {
	snap, err := h.fresh(ctx)
	if err != nil {
		return err
	}
	if !snap.Contains(name) {
		return herder.ConnectorNotFound(name)
	}
	if err := h.status.Sync(ctx); err != nil {
		return err
	}
	h.status.ResetTopics(name)
	return h.status.Flush(ctx)
}

// ---- REST: changes ----

// PutConnectorConfig implements rest.Herder (leader only).
func (h *Herder) PutConnectorConfig(ctx context.Context, name string, config map[string]string, initial herder.TargetState, allowReplace bool) (herder.ConnectorInfo, bool, error) {
	h.awaitStable(ctx)
	if err := h.leaderOnly("Only the leader can set connector configs."); err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	snap, err := h.fresh(ctx)
	if err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	config = h.plugins.Unmask(config, snap.Connectors[name])
	// Validation may take time (a connector may reach its database); it runs outside the loop.
	infos, err := runtime.Validate(h.plugins, config)
	if err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	if infos.ErrorCount > 0 {
		return herder.ConnectorInfo{}, false, runtime.InvalidConfigError(infos)
	}
	var info herder.ConnectorInfo
	var created bool
	err = h.do(ctx, func() error {
		if err := h.leaderOnly("Only the leader can set connector configs."); err != nil {
			return err
		}
		snap := h.configs.Snapshot()
		exists := snap.Contains(name)
		if exists && !allowReplace {
			return herder.Conflict("Connector %s already exists", name)
		}
		var target herder.TargetState
		if !exists && initial != "" && initial != herder.TargetStarted {
			target = initial
		}
		if err := h.configs.PutConnectorConfig(ctx, name, config, target); err != nil {
			return err
		}
		h.log.Info("connector configuration stored", "connector", name, "created", !exists, "config", h.plugins.Mask(config))
		snap = h.configs.Snapshot()
		info, created = infoOf(name, snap), !exists
		return nil
	})
	if err != nil {
		return herder.ConnectorInfo{}, false, err
	}
	return info, created, nil
}

// PatchConnectorConfig implements rest.Herder (leader only).
func (h *Herder) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (herder.ConnectorInfo, error) {
	h.awaitStable(ctx)
	if err := h.leaderOnly("Only the leader can set connector configs."); err != nil {
		return herder.ConnectorInfo{}, err
	}
	snap, err := h.fresh(ctx)
	if err != nil {
		return herder.ConnectorInfo{}, err
	}
	old, ok := snap.Connectors[name]
	if !ok {
		return herder.ConnectorInfo{}, herder.ConnectorNotFound(name)
	}
	cfg := maps.Clone(old)
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

// DeleteConnector implements rest.Herder (leader only): tombstones for the configuration and the
// target state; the worker running the connector stops it and the group rebalances. Offsets stay.
func (h *Herder) DeleteConnector(ctx context.Context, name string) error {
	return h.do(ctx, func() error {
		if err := h.leaderOnly("Only the leader can delete connector configs."); err != nil {
			return err
		}
		if !h.configs.Contains(name) {
			return herder.ConnectorNotFound(name)
		}
		if err := h.configs.RemoveConnector(ctx, name); err != nil {
			return err
		}
		h.log.Info("connector deleted", "connector", name)
		return nil
	})
}

func (h *Herder) putTarget(ctx context.Context, name string, target herder.TargetState) error {
	snap, err := h.fresh(ctx)
	if err != nil {
		return err
	}
	if !snap.Contains(name) {
		return herder.NotFound("Unknown connector %s", name)
	}
	if err := h.configs.PutTargetState(ctx, name, target); err != nil {
		return err
	}
	h.log.Info("connector target state changed", "connector", name, "target", target)
	return nil
}

// PauseConnector implements rest.Herder; any worker writes the target state, as in Kafka Connect.
func (h *Herder) PauseConnector(ctx context.Context, name string) error {
	return h.putTarget(ctx, name, herder.TargetPaused)
}

// ResumeConnector implements rest.Herder; any worker writes the target state, as in Kafka Connect.
func (h *Herder) ResumeConnector(ctx context.Context, name string) error {
	return h.putTarget(ctx, name, herder.TargetStarted)
}

// StopConnector implements rest.Herder (leader only): the task configurations are emptied first,
// then the STOPPED target state is written, as Kafka Connect does, so a STOPPED connector never
// has tasks and its offsets can be changed.
func (h *Herder) StopConnector(ctx context.Context, name string) error {
	return h.do(ctx, func() error {
		if !h.configs.Contains(name) {
			return herder.ConnectorNotFound(name)
		}
		if err := h.leaderOnly("Only the leader can transition connectors to the STOPPED state."); err != nil {
			return err
		}
		if err := h.configs.PutTaskConfigs(ctx, name, nil); err != nil {
			return err
		}
		if err := h.configs.PutTargetState(ctx, name, herder.TargetStopped); err != nil {
			return err
		}
		h.log.Info("connector target state changed", "connector", name, "target", herder.TargetStopped)
		return nil
	})
}

// ownerURL returns the URL of the worker the leader assigned a connector (task < 0) or task to.
// Called with h.mu held.
func (h *Herder) ownerURL(connector string, task int) string {
	for id, a := range h.assignments {
		if task < 0 && slices.Contains(a.Connectors, connector) || task >= 0 && slices.Contains(a.Tasks, TaskID{Connector: connector, Task: int32(task)}) {
			return h.memberURLs[id]
		}
	}
	return ""
}

// elsewhere answers a request for an instance this worker does not run: the leader knows its
// owner and has the request forwarded there; a follower has it forwarded to the leader.
func (h *Herder) elsewhere(connector string, task int, what string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.leader && h.assigned {
		if u := h.ownerURL(connector, task); u != "" && u != h.url {
			return &herder.NotLeaderError{Message: "Cannot restart " + what + " since it is not assigned to this member", LeaderURL: u}
		}
		return herder.Conflict("Cannot complete request because of a conflicting operation (e.g. worker rebalance): %s is not assigned to any worker right now", what)
	}
	return &herder.NotLeaderError{Message: "Cannot restart " + what + " since it is not assigned to this member", LeaderURL: h.leaderURL}
}

// RestartConnector implements rest.Herder: the worker running the connector restarts it; others
// have the request forwarded there.
func (h *Herder) RestartConnector(ctx context.Context, name string) error {
	return h.do(ctx, func() error {
		snap := h.configs.Snapshot()
		if !snap.Contains(name) {
			return herder.ConnectorNotFound(name)
		}
		if !h.runs(name) {
			return h.elsewhere(name, -1, "connector "+name)
		}
		h.worker.StopConnector(name)
		h.startConnector(name, snap)
		return nil
	})
}

// RestartTask implements rest.Herder: the worker running the task restarts it; others have the
// request forwarded there.
func (h *Herder) RestartTask(ctx context.Context, id herder.TaskID) error {
	return h.do(ctx, func() error {
		snap := h.configs.Snapshot()
		if !snap.Contains(id.Connector) {
			return herder.ConnectorNotFound(id.Connector)
		}
		if id.Task < 0 || id.Task >= len(snap.Tasks[id.Connector]) {
			return herder.NotFound("Task %s not found", id)
		}
		if !slices.Contains(h.worker.Tasks(id.Connector), id) {
			return h.elsewhere(id.Connector, id.Task, "task "+id.String())
		}
		h.worker.StopTasks([]herder.TaskID{id})
		h.startTask(TaskID{Connector: id.Connector, Task: int32(id.Task)}, snap)
		return nil
	})
}

// RestartConnectorAndTasks implements rest.Herder (leader only): the request is written to the
// config topic, every worker restarts what it runs of the connector, and the answer is the
// status with the instances to be restarted shown as RESTARTING.
func (h *Herder) RestartConnectorAndTasks(ctx context.Context, req herder.RestartRequest) (herder.ConnectorStateInfo, error) {
	var plan herder.ConnectorStateInfo
	err := h.do(ctx, func() error {
		if err := h.leaderOnly("Only the leader can process restart requests."); err != nil {
			return err
		}
		if !h.configs.Contains(req.Connector) {
			return herder.NotFound("Unknown connector: %s", req.Connector)
		}
		var err error
		plan, err = h.ConnectorStatus(ctx, req.Connector)
		if err != nil {
			return herder.NotFound("Status for connector %s not found", req.Connector)
		}
		if req.ShouldRestartConnector(plan.Connector.State) {
			plan.Connector.State = herder.StateRestarting
		}
		for i := range plan.Tasks {
			if req.ShouldRestartTask(plan.Tasks[i].State) {
				plan.Tasks[i].State = herder.StateRestarting
			}
		}
		return h.configs.PutRestartRequest(ctx, req)
	})
	return plan, err
}

// ---- REST: offsets ----

// ConnectorOffsets implements rest.Herder; any worker reads the offsets topic.
func (h *Herder) ConnectorOffsets(ctx context.Context, name string) (herder.ConnectorOffsets, error) {
	snap, err := h.fresh(ctx)
	if err != nil {
		return herder.ConnectorOffsets{}, err
	}
	if !snap.Contains(name) {
		return herder.ConnectorOffsets{}, herder.ConnectorNotFound(name)
	}
	list, err := h.offsets.List(ctx, name)
	if err != nil {
		return herder.ConnectorOffsets{}, fmt.Errorf("could not read the offsets of connector %s: %w", name, err)
	}
	return herder.FromPartitionOffsets(list), nil
}

// modifiable checks, on the leader, that a connector's offsets may change: it exists, is STOPPED
// and has no tasks (Kafka Connect's checks and messages).
func (h *Herder) modifiable(ctx context.Context, name string) (map[string]string, error) {
	if err := h.leaderOnly("Only the leader can process external offsets modification requests"); err != nil {
		return nil, err
	}
	snap, err := h.fresh(ctx)
	if err != nil {
		return nil, err
	}
	if !snap.Contains(name) {
		return nil, herder.ConnectorNotFound(name)
	}
	if snap.Target(name) != herder.TargetStopped || len(snap.Tasks[name]) != 0 || len(h.worker.Tasks(name)) != 0 {
		return nil, herder.BadRequest("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint", name)
	}
	return snap.Connectors[name], nil
}

// AlterConnectorOffsets implements rest.Herder (leader only).
func (h *Herder) AlterConnectorOffsets(ctx context.Context, name string, req herder.ConnectorOffsets) (herder.Message, error) {
	var msg herder.Message
	err := h.do(ctx, func() error {
		cfg, err := h.modifiable(ctx, name)
		if err != nil {
			return err
		}
		entries := req.PartitionOffsets()
		if err := runtime.CheckOffsets(entries); err != nil {
			return err
		}
		if p, ok := h.plugins.Lookup(cfg["connector.class"]); ok {
			if alt, ok := p.New().(api.OffsetAlterer); ok {
				if err := runtime.Safely(func() error { return alt.AlterOffsets(maps.Clone(cfg), entries) }); err != nil {
					return herder.BadRequest("The connector %s refused the offsets: %v", name, err)
				}
			}
		}
		if err := h.offsets.Set(ctx, name, entries); err != nil {
			return fmt.Errorf("Failed to modify offsets for source connector %s: %w", name, err)
		}
		h.log.Info("offsets altered", "connector", name, "partitions", len(entries))
		msg = herder.Message{Message: runtime.MsgOffsetsAltered}
		return nil
	})
	return msg, err
}

// ResetConnectorOffsets implements rest.Herder (leader only).
func (h *Herder) ResetConnectorOffsets(ctx context.Context, name string) (herder.Message, error) {
	var msg herder.Message
	err := h.do(ctx, func() error {
		if _, err := h.modifiable(ctx, name); err != nil {
			return err
		}
		list, err := h.offsets.List(ctx, name)
		if err != nil {
			return fmt.Errorf("could not read the offsets of connector %s: %w", name, err)
		}
		parts := make([]map[string]any, 0, len(list))
		for _, po := range list {
			parts = append(parts, po.Partition)
		}
		if len(parts) > 0 {
			if err := h.offsets.Delete(ctx, name, parts); err != nil {
				return fmt.Errorf("Failed to modify offsets for source connector %s: %w", name, err)
			}
		}
		h.log.Info("offsets reset", "connector", name, "partitions", len(parts))
		msg = herder.Message{Message: runtime.MsgOffsetsReset}
		return nil
	})
	return msg, err
}

// ConnectorOffsetHistory implements rest.Herder.
func (h *Herder) ConnectorOffsetHistory(ctx context.Context, name string) (herder.OffsetHistory, error) {
	snap, err := h.fresh(ctx)
	if err != nil {
		return herder.OffsetHistory{}, err
	}
	if !snap.Contains(name) {
		return herder.OffsetHistory{}, herder.ConnectorNotFound(name)
	}
	return runtime.OffsetHistory(ctx, h.offsets, name)
}

// ---- internal REST endpoint ----

// Handler wraps the REST API with the endpoint workers use among themselves: POST
// /connectors/{c}/tasks, by which the worker running a connector hands the leader its task
// configurations (Kafka Connect's internal endpoint, unsigned as with connect.protocol=eager).
func (h *Herder) Handler(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := taskConfigsPath(r)
		if !ok {
			api.ServeHTTP(w, r)
			return
		}
		writeErr := func(status int, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(rest.ErrorMessage{ErrorCode: status, Message: msg})
		}
		var cfgs []map[string]string
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<20)).Decode(&cfgs); err != nil {
			writeErr(http.StatusBadRequest, "the body must be a JSON list of task configurations (maps of strings): "+err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), rest.DefaultRequestTimeout)
		defer cancel()
		err := h.PutTaskConfigs(ctx, name, cfgs)
		var re *herder.Error
		var nl *herder.NotLeaderError
		switch {
		case err == nil:
			w.WriteHeader(http.StatusNoContent)
		case errors.As(err, &re):
			writeErr(re.Status, re.Message)
		case errors.As(err, &nl):
			// The sender retries once it knows the new leader (after the rebalance).
			writeErr(http.StatusConflict, nl.Error())
		default:
			writeErr(http.StatusInternalServerError, err.Error())
		}
	})
}

// taskConfigsPath matches POST /connectors/{c}/tasks.
func taskConfigsPath(r *http.Request) (string, bool) {
	if r.Method != http.MethodPost {
		return "", false
	}
	p := strings.TrimRight(r.URL.Path, "/")
	tail, ok := strings.CutPrefix(p, "/connectors/")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(tail, "/tasks")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}
