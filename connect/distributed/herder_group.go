package distributed

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// ---- membership ----

// state is this worker's member metadata: its REST URL, how far it read the config topic, and
// (for the cooperative protocols) what it runs.
func (h *Herder) state() WorkerState {
	h.mu.Lock()
	cur := h.assignment
	h.mu.Unlock()
	cur.Connectors = slices.Clone(cur.Connectors)
	cur.Tasks = slices.Clone(cur.Tasks)
	cur.RevokedConnectors, cur.RevokedTasks, cur.Delay = nil, nil, 0
	return WorkerState{URL: h.url, ConfigOffset: h.configs.Offset(), Current: &cur}
}

// assign runs on the leader during a rebalance: it reads the config topic to its end and spreads
// every connector and task over the members, eagerly or incrementally as the protocol the
// coordinator chose says.
func (h *Herder) assign(leaderID, protocol string, gen, lastGen int32, members []MemberState) map[string]Assignment {
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
	var out, full map[string]Assignment
	if v := protocolVersion(protocol); v == 0 {
		out = AssignEager(leaderID, members, w)
		full = out
	} else {
		out, full = h.coop.Assign(leaderID, members, w, gen, lastGen, v)
	}
	urls := make(map[string]string, len(members))
	for _, m := range members {
		urls[m.ID] = m.State.URL
	}
	h.mu.Lock()
	h.memberURLs, h.assignments, h.lastWork, h.assignedOffset = urls, full, w.Connectors, w.ConfigOffset
	h.mu.Unlock()
	revoked := 0
	for _, a := range out {
		revoked += len(a.RevokedConnectors) + len(a.RevokedTasks)
	}
	h.log.Info("assigned connectors and tasks", "protocol", protocol, "members", len(members), "connectors", len(w.Connectors),
		"config_offset", w.ConfigOffset, "revoked", revoked, "delay_ms", h.coop.delay.Milliseconds())
	return out
}

func (h *Herder) onAssigned(gen int32, memberID string, a Assignment) {
	h.mu.Lock()
	prev := h.assignment
	h.mu.Unlock()
	full := a
	if a.Version > 0 {
		// Cooperative: keep what runs, less what is revoked, plus what is new.
		full.Connectors = slices.DeleteFunc(slices.Clone(prev.Connectors), func(c string) bool { return slices.Contains(a.RevokedConnectors, c) })
		full.Tasks = slices.DeleteFunc(slices.Clone(prev.Tasks), func(t TaskID) bool { return slices.Contains(a.RevokedTasks, t) })
		for _, c := range a.Connectors {
			if !slices.Contains(full.Connectors, c) {
				full.Connectors = append(full.Connectors, c)
			}
		}
		for _, t := range a.Tasks {
			if !slices.Contains(full.Tasks, t) {
				full.Tasks = append(full.Tasks, t)
			}
		}
		full.RevokedConnectors, full.RevokedTasks = nil, nil
	}
	// Stop first what this worker must no longer run: revoked work (cooperative), or anything
	// left from a cooperative generation when the group fell back to eager.
	h.stopUnassigned(prev, full)
	if h.rejoinTimer != nil {
		h.rejoinTimer.Stop()
		h.rejoinTimer = nil
	}
	if a.Delay > 0 {
		// The leader holds a departed worker's share back; whoever rejoins first after the delay
		// makes it reassign it.
		d := time.Duration(a.Delay) * time.Millisecond
		h.rejoinTimer = time.AfterFunc(d, h.member.RequestRejoin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.configs.ReadToEnd(ctx); err != nil || h.configs.Offset() < a.ConfigOffset {
		h.log.Warn("could not read the config topic up to the leader's offset; rejoining", "leader_offset", a.ConfigOffset, "offset", h.configs.Offset(), "error", err)
		if a.Version > 0 {
			h.mu.Lock()
			h.assignment = full
			h.mu.Unlock()
		}
		h.member.RequestRejoin()
		return
	}
	h.mu.Lock()
	if !h.assigned {
		close(h.stable)
	}
	h.generation, h.memberID, h.assignment, h.assigned = gen, memberID, full, true
	h.leader = a.Leader == memberID
	h.leaderURL = a.LeaderURL
	if !h.leader {
		h.memberURLs, h.assignments, h.lastWork = nil, nil, nil
	}
	h.mu.Unlock()
	h.status.SetGeneration(gen)
	h.ensureSessionKey()
	snap := h.configs.Snapshot()
	running := h.worker.Connectors()
	for _, c := range full.Connectors {
		if !slices.Contains(running, c) {
			h.startConnector(c, snap)
		}
	}
	for _, t := range full.Tasks {
		if !slices.Contains(h.worker.Tasks(t.Connector), (herder.TaskID{Connector: t.Connector, Task: int(t.Task)})) {
			h.startTask(t, snap)
		}
	}
	h.SetReady()
	if len(a.RevokedConnectors)+len(a.RevokedTasks) > 0 {
		// The revoked work is assigned elsewhere in the next round, which this starts.
		h.member.RequestRejoin()
	}
	h.log.Info("joined the connect group", "group", h.cfg.GroupID, "generation", gen, "leader", a.Leader == memberID,
		"leader_url", a.LeaderURL, "connectors", a.Connectors, "tasks", taskNames(a.Tasks),
		"revoked_connectors", a.RevokedConnectors, "revoked_tasks", taskNames(a.RevokedTasks), "delay_ms", a.Delay, "protocol_version", a.Version)
}

// stopUnassigned stops the tasks and connectors of prev that are not in next, committing the
// tasks' offsets; connectors given up are reported UNASSIGNED unless deleted.
func (h *Herder) stopUnassigned(prev, next Assignment) {
	var tasks []herder.TaskID
	conns := map[string]bool{}
	for _, c := range prev.Connectors {
		conns[c] = true
	}
	for _, t := range prev.Tasks {
		conns[t.Connector] = true
	}
	for c := range conns {
		for _, id := range h.worker.Tasks(c) {
			if !slices.Contains(next.Tasks, TaskID{Connector: id.Connector, Task: int32(id.Task)}) {
				tasks = append(tasks, id)
			}
		}
	}
	var stopConns []string
	for _, c := range h.worker.Connectors() {
		if conns[c] && !slices.Contains(next.Connectors, c) {
			stopConns = append(stopConns, c)
		}
	}
	if len(tasks) == 0 && len(stopConns) == 0 {
		return
	}
	h.worker.StopTasks(tasks)
	for _, c := range stopConns {
		h.worker.StopConnector(c)
		h.connectorUnassigned(c)
	}
	h.log.Info("stopped revoked connectors and tasks", "connectors", stopConns, "tasks", len(tasks))
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
	if s, ok := stored(snap, name); ok {
		h.startStored(name, s)
	} // else deleted after the assignment was computed
}

// startStored starts a connector of this worker; one that cannot start is reported FAILED.
func (h *Herder) startStored(name string, s runtime.StoredConnector) {
	if err := h.worker.StartConnector(name, s.Config, s.Target, h.reconfigureFunc(name)); err != nil {
		h.status.PutConnector(runtime.ConnectorStatus{Name: name, State: herder.StateFailed, WorkerID: h.workerID,
			Trace: "could not start the connector: " + err.Error()})
		return
	}
	if s.Target == herder.TargetStarted {
		h.requestReconfigure(name)
	}
}

func (h *Herder) startTask(t TaskID, snap ClusterConfig) {
	s, ok := stored(snap, t.Connector)
	if !ok || int(t.Task) >= len(s.Tasks) {
		h.log.Warn("assigned a task without a configuration; it starts after the next rebalance", "task", t.String())
		return
	}
	h.StartTask(herder.TaskID{Connector: t.Connector, Task: int(t.Task)}, s)
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
			// restarts every task with the configuration committed at the leader's offset. Under
			// the cooperative ones this worker restarts its own tasks of the connector with the
			// new configurations now, and the rebalance only moves tasks that appeared or went.
			if newToLeader && snap.Contains(c) {
				rebalance = true
			}
			if h.cooperative() {
				h.restartTasksOf(c, snap)
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
	s, _ := stored(snap, c)
	_ = h.RestartInstances(c, restartConn, ids, s) // a connector that cannot start is reported FAILED
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
	s, ok := stored(snap, name)
	if !ok {
		return
	}
	cfgs, changed := h.NewTaskConfigs(name, s, snap.Inconsistent[name])
	if !changed {
		return
	}
	h.mu.Lock()
	leader, leaderURL := h.leader, h.leaderURL
	h.mu.Unlock()
	if leader {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.putTaskConfigs(ctx, name, cfgs); err != nil {
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

// cooperative says whether this worker's current assignment came from a cooperative protocol.
func (h *Herder) cooperative() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.assigned && h.assignment.Version > 0
}

// restartTasksOf restarts the tasks of connector c this worker runs with their newly committed
// configurations, and starts the assigned ones that could not start for want of one.
func (h *Herder) restartTasksOf(c string, snap ClusterConfig) {
	h.mu.Lock()
	var mine []TaskID
	for _, t := range h.assignment.Tasks {
		if t.Connector == c {
			mine = append(mine, t)
		}
	}
	h.mu.Unlock()
	running := h.worker.Tasks(c)
	h.worker.StopTasks(running)
	for _, t := range mine {
		h.startTask(t, snap)
	}
	if len(running) > 0 || len(mine) > 0 {
		h.log.Info("task configurations changed; restarted this worker's tasks of the connector", "connector", c, "stopped", len(running), "started", len(mine))
	}
}
