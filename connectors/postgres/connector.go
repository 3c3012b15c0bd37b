package postgres

import (
	"maps"

	"github.com/connectd/connectd/connect/api"
)

// ClassName is the Debezium connector class this connector stands in for.
const ClassName = "io.debezium.connector.postgresql.PostgresConnector"

// Plugin describes the connector for the runtime's plugin registry.
func Plugin() api.Plugin {
	return api.Plugin{
		Class:   ClassName,
		Aliases: []string{"postgres", "postgresql"},
		Version: Version,
		Spec:    spec,
		New:     func() api.SourceConnector { return &Connector{} },
	}
}

// Connector is the connector-level object: a PostgreSQL slot is read by exactly one task.
type Connector struct {
	config map[string]string
}

var _ api.SourceConnector = (*Connector)(nil)

// Start checks the configuration.
func (c *Connector) Start(_ api.ConnectorContext, config map[string]string) error {
	if _, err := ParseConfig(config); err != nil {
		return err
	}
	c.config = maps.Clone(config)
	return nil
}

// TaskConfigs returns one task configuration: a replication slot has a single reader.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	if maxTasks < 1 {
		return nil, nil
	}
	return []map[string]string{maps.Clone(c.config)}, nil
}

// NewTask returns a new task.
func (c *Connector) NewTask() api.SourceTask { return NewTask() }

// Stop does nothing: the task owns the connections.
func (c *Connector) Stop() error { return nil }
