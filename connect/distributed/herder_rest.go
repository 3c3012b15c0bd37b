package distributed

import (
	"context"
	"maps"
	"slices"

	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// clusterBackend is the runtime.HerderBackend of a distributed Herder: configurations in the
// config topic (read to its end before each answer, so a read after a write on any worker sees
// it), changes on the herder loop once the group is stable, writes by the leader only, and
// instances restarted by the worker running them.
type clusterBackend struct{ h *Herder }

// Lookup implements runtime.HerderBackend from the config topic read to its end.
func (b clusterBackend) Lookup(ctx context.Context, name string) (runtime.StoredConnector, bool, error) {
	snap, err := b.h.fresh(ctx)
	if err != nil {
		return runtime.StoredConnector{}, false, err
	}
	s, ok := stored(snap, name)
	return s, ok, nil
}

// Names implements runtime.HerderBackend from the config topic read to its end.
func (b clusterBackend) Names(ctx context.Context) ([]string, error) {
	snap, err := b.h.fresh(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(snap.Connectors)), nil
}

// Writable implements runtime.HerderBackend: it waits for the group to settle, then refuses on a
// follower.
func (b clusterBackend) Writable(ctx context.Context, msg string) error {
	b.h.awaitStable(ctx)
	return b.h.leaderOnly(msg)
}

// Exclusive implements runtime.HerderBackend: on the herder loop.
func (b clusterBackend) Exclusive(ctx context.Context, fn func() error) error { return b.h.do(ctx, fn) }

// LeaderOnly implements runtime.HerderBackend.
func (b clusterBackend) LeaderOnly(msg string) error { return b.h.leaderOnly(msg) }

// StoreConfig writes the configuration (and the target state of a new connector that does not
// start); the worker the connector is assigned to restarts it when it reads the record.
func (b clusterBackend) StoreConfig(ctx context.Context, name string, config map[string]string, initial herder.TargetState, old *runtime.StoredConnector) error {
	var target herder.TargetState
	if old == nil && initial != "" && initial != herder.TargetStarted {
		target = initial
	}
	return b.h.configs.PutConnectorConfig(ctx, name, config, target)
}

// RemoveConfig writes tombstones for the configuration and the target state; the worker running
// the connector stops it and the group rebalances.
func (b clusterBackend) RemoveConfig(ctx context.Context, name string, _ runtime.StoredConnector) error {
	return b.h.configs.RemoveConnector(ctx, name)
}

// Restart writes the request to the config topic: every worker restarts what it runs of the
// connector when it reads it (Herder.restart).
func (b clusterBackend) Restart(ctx context.Context, req herder.RestartRequest, _ bool, _ []herder.TaskID, _ runtime.StoredConnector) error {
	return b.h.configs.PutRestartRequest(ctx, req)
}

// Elsewhere implements runtime.HerderBackend: a connector or task another worker runs is
// restarted there.
func (b clusterBackend) Elsewhere(connector string, task int) error {
	if task < 0 {
		if b.h.runs(connector) {
			return nil
		}
		return b.h.elsewhere(connector, -1, "connector "+connector)
	}
	id := herder.TaskID{Connector: connector, Task: task}
	if slices.Contains(b.h.worker.Tasks(connector), id) {
		return nil
	}
	return b.h.elsewhere(connector, task, "task "+id.String())
}

// StartConnector implements runtime.HerderBackend; a connector that cannot start is reported FAILED.
func (b clusterBackend) StartConnector(name string, s runtime.StoredConnector) error {
	b.h.startStored(name, s)
	return nil
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
