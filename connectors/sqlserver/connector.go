package sqlserver

import (
	"context"
	"fmt"
	"maps"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/schemahistory"
)

// ClassName is the Debezium connector class this connector stands in for.
const ClassName = "io.debezium.connector.sqlserver.SqlServerConnector"

// connectorName is source.connector and the context header's connector name.
const connectorName = "sqlserver"

// Plugin describes the connector for the runtime's plugin registry.
func Plugin() api.Plugin {
	return api.Plugin{
		Class:   ClassName,
		Aliases: []string{"sqlserver", "SqlServer"},
		Version: version.String(),
		Spec:    spec,
		New:     func() api.SourceConnector { return &Connector{} },
	}
}

// Connector is the connector-level object: it checks the configuration and spreads
// database.names over the tasks.
type Connector struct {
	config map[string]string
	cfg    *Config
}

var _ api.SourceConnector = (*Connector)(nil)

// Start checks the configuration.
func (c *Connector) Start(_ api.ConnectorContext, config map[string]string) error {
	cfg, err := ParseConfig(config)
	if err != nil {
		return err
	}
	c.config, c.cfg = maps.Clone(config), cfg
	return nil
}

// TaskConfigs gives each task its share of database.names, round-robin, at most one task per
// database (Debezium's SqlServerConnector.buildTaskConfigs).
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	if c.cfg == nil {
		return nil, fmt.Errorf("the SQL Server connector was not started")
	}
	return changetable.TaskConfigs(c.config, propDatabaseNames, c.cfg.Databases, maxTasks), nil
}

// NewTask returns a new task.
func (c *Connector) NewTask() api.SourceTask { return &Task{} }

// Stop does nothing: the tasks own the connections.
func (c *Connector) Stop() error { return nil }

// AlterOffsets checks an offsets PATCH before the runtime writes it: each partition must be one
// of this connector's {"server": topic.prefix, "database": <one of database.names>} and each
// offset a change-table offset. Whether the LSN is still in the change tables is checked when
// the task starts (a purged position fails it, or re-snapshots under when_needed).
func (c *Connector) AlterOffsets(config map[string]string, offsets []api.PartitionOffset) error {
	cfg, err := ParseConfig(config)
	if err != nil {
		return err
	}
	for _, po := range offsets {
		db, _ := po.Partition["database"].(string)
		if len(po.Partition) != 2 || po.Partition["server"] != cfg.TopicPrefix || !contains(cfg.Databases, db) {
			return fmt.Errorf("partition %v is not this connector's: the SQL Server connector's partitions are {\"server\":%q,\"database\":<one of %v>}", po.Partition, cfg.TopicPrefix, cfg.Databases)
		}
		if po.Offset == nil {
			continue
		}
		if _, err := changetable.ParseOffset(po.Offset); err != nil {
			return fmt.Errorf("offset %v: %w", po.Offset, err)
		}
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Task is the SQL Server source task: package changetable's task with SQL Server's dialect.
type Task struct {
	inner *changetable.Task
	// openHistory replaces opening the schema history store (tests).
	openHistory func(ctx context.Context) (schemahistory.Store, error)
}

// Start parses the configuration and starts the shared change-table task.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, config map[string]string) error {
	cfg, err := ParseConfig(config)
	if err != nil {
		return err
	}
	t.inner = changetable.NewTask(newDialect(cfg), &cfg.Config)
	if t.openHistory != nil {
		t.inner.OpenHistory = t.openHistory
	}
	return t.inner.Start(ctx, tc, config)
}

// Poll returns the next batch of records.
func (t *Task) Poll(ctx context.Context) ([]*api.SourceRecord, error) { return t.inner.Poll(ctx) }

// Commit does nothing: SQL Server keeps change rows for the cleanup job's retention, whatever the
// connector confirmed.
func (t *Task) Commit(ctx context.Context, committed []api.PartitionOffset) error {
	return t.inner.Commit(ctx, committed)
}

// Stop stops the task.
func (t *Task) Stop() error {
	if t.inner == nil {
		return nil
	}
	return t.inner.Stop()
}
