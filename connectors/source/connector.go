package source

import (
	"fmt"
	"maps"

	"github.com/connectd/connectd/connect/api"
)

// Connector is the connector object of a relational source whose log one task reads (a binlog,
// a replication slot): Start checks the configuration and TaskConfigs hands it to that task. A
// connector embeds it and sets Check and NewTaskFunc.
type Connector struct {
	// Check parses and validates a configuration.
	Check func(config map[string]string) error
	// NewTaskFunc returns a new task.
	NewTaskFunc func() api.SourceTask

	config map[string]string
}

// Start checks the configuration and keeps it for the task.
func (c *Connector) Start(_ api.ConnectorContext, config map[string]string) error {
	if err := c.Check(config); err != nil {
		return err
	}
	c.config = maps.Clone(config)
	return nil
}

// TaskConfigs returns one task configuration: a log cannot be split between tasks.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	if maxTasks < 1 {
		return nil, fmt.Errorf("tasks.max=%d: the connector needs one task", maxTasks)
	}
	return []map[string]string{maps.Clone(c.config)}, nil
}

// NewTask returns a new task.
func (c *Connector) NewTask() api.SourceTask { return c.NewTaskFunc() }

// Stop does nothing: the task owns the connections.
func (c *Connector) Stop() error { return nil }

// ExactlyOnceSupport implements api.ExactlyOnceSupporter: every record carries the offset a
// restart resumes after, so records and offsets written in one transaction are delivered once
// (Debezium's connectors answer SUPPORTED too).
func (c *Connector) ExactlyOnceSupport(map[string]string) api.ExactlyOnceSupport {
	return api.ExactlyOnceSupported
}
