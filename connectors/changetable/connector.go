package changetable

import (
	"fmt"
	"maps"
	"reflect"

	"github.com/connectd/connectd/connect/api"
)

// Connector is a change-table connector's api.SourceConnector: it checks the configuration,
// gives the tasks their databases and checks an offsets PATCH against the connector's partitions.
type Connector struct {
	// Name is the connector's name in messages ("SQL Server").
	Name string
	// Open reads a configuration into the connector's dialect and the task configuration.
	Open func(config map[string]string) (Dialect, *Config, error)
	// DatabasesProp is the property listing the databases, spread over the tasks; "" when the
	// connector reads one database with one task.
	DatabasesProp string
	// NewTaskFunc returns a new task.
	NewTaskFunc func() api.SourceTask

	config map[string]string
	cfg    *Config
}

var _ api.SourceConnector = (*Connector)(nil)

// Start checks the configuration.
func (c *Connector) Start(_ api.ConnectorContext, config map[string]string) error {
	_, cfg, err := c.Open(config)
	if err != nil {
		return err
	}
	c.config, c.cfg = maps.Clone(config), cfg
	return nil
}

// TaskConfigs gives each task its share of the databases, round-robin, at most one task per
// database (Debezium's SqlServerConnector.buildTaskConfigs); one task for a one-database
// connector.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	switch {
	case c.cfg == nil:
		return nil, fmt.Errorf("the %s connector was not started", c.Name)
	case maxTasks < 1:
		return nil, nil
	case c.DatabasesProp == "":
		return []map[string]string{maps.Clone(c.config)}, nil
	}
	return TaskConfigs(c.config, c.DatabasesProp, c.cfg.Databases, maxTasks), nil
}

// NewTask returns a new task.
func (c *Connector) NewTask() api.SourceTask { return c.NewTaskFunc() }

// Stop does nothing: the tasks own the connections.
func (c *Connector) Stop() error { return nil }

// AlterOffsets checks an offsets PATCH before the runtime writes it: each partition must be the
// partition of one of the connector's databases and each offset a change-table offset. Whether
// the LSN is still in the change tables is checked when the task starts (a purged position fails
// it, or re-snapshots under when_needed).
func (c *Connector) AlterOffsets(config map[string]string, offsets []api.PartitionOffset) error {
	d, cfg, err := c.Open(config)
	if err != nil {
		return err
	}
	var parts []map[string]any
	for _, db := range cfg.Databases {
		parts = append(parts, d.Partition(db))
	}
	for _, po := range offsets {
		known := false
		for _, p := range parts {
			known = known || reflect.DeepEqual(map[string]any(po.Partition), p)
		}
		if !known {
			return fmt.Errorf("partition %v is not this connector's: the %s connector's partitions are %v", po.Partition, c.Name, parts)
		}
		if po.Offset == nil {
			continue
		}
		if _, err := ParseOffset(po.Offset); err != nil {
			return fmt.Errorf("offset %v: %w", po.Offset, err)
		}
	}
	return nil
}
