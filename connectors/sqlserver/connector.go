package sqlserver

import (
	"fmt"
	"maps"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/changetable"
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
func (c *Connector) NewTask() api.SourceTask { return newTask() }

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

// newTask returns a task: package changetable's task with this connector's dialect.
func newTask() *changetable.ConnectorTask {
	return changetable.NewConnectorTask(func(config map[string]string) (changetable.Dialect, *changetable.Config, error) {
		cfg, err := ParseConfig(config)
		if err != nil {
			return nil, nil, err
		}
		return newDialect(cfg), &cfg.Config, nil
	})
}
