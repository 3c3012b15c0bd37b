package changetable

import (
	"context"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/schemahistory"
)

// ConnectorTask is a change-table connector's api.SourceTask: Start reads the configuration with
// the connector's open, which returns its dialect, and runs the shared Task with it.
type ConnectorTask struct {
	open func(config map[string]string) (Dialect, *Config, error)
	// OpenHistory, when set before Start, replaces opening the schema history store (tests).
	OpenHistory func(ctx context.Context) (schemahistory.Store, error)
	inner       *Task
}

// NewConnectorTask returns an unstarted task of the connector whose configuration open reads.
func NewConnectorTask(open func(config map[string]string) (Dialect, *Config, error)) *ConnectorTask {
	return &ConnectorTask{open: open}
}

var _ api.SourceTask = (*ConnectorTask)(nil)

// Start reads the configuration and starts the shared change-table task.
func (t *ConnectorTask) Start(ctx context.Context, tc api.TaskContext, config map[string]string) error {
	d, cfg, err := t.open(config)
	if err != nil {
		return err
	}
	t.inner = NewTask(d, cfg)
	if t.OpenHistory != nil {
		t.inner.OpenHistory = t.OpenHistory
	}
	return t.inner.Start(ctx, tc, config)
}

// Poll returns the next batch of records.
func (t *ConnectorTask) Poll(ctx context.Context) ([]*api.SourceRecord, error) {
	return t.inner.Poll(ctx)
}

// Commit does nothing the databases need: their capture jobs prune the change tables on their
// own schedule, whatever the connector confirmed.
func (t *ConnectorTask) Commit(ctx context.Context, committed []api.PartitionOffset) error {
	return t.inner.Commit(ctx, committed)
}

// Stop stops the task.
func (t *ConnectorTask) Stop() error {
	if t.inner == nil {
		return nil
	}
	return t.inner.Stop()
}
