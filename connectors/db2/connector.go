package db2

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/schemahistory"
)

// ClassName is the Debezium connector class this connector stands in for.
const ClassName = "io.debezium.connector.db2.Db2Connector"

const connectorName = "db2"

// driverLinked is set by the db2-tagged build, which links go_ibm_db.
var driverLinked bool

// ErrNoDriver is returned by a task's Start in a build without the Db2 driver.
var ErrNoDriver = errors.New("this connectd binary was built without Db2 support: the go_ibm_db driver needs cgo and IBM's CLI driver; " +
	"build with `go build -tags db2` with CGO_CFLAGS=-I<clidriver>/include and CGO_LDFLAGS=-L<clidriver>/lib " +
	"(a clidriver ships in the ibm_db wheel on PyPI) and run it with LD_LIBRARY_PATH=<clidriver>/lib")

// Plugin describes the connector for the runtime's plugin registry.
func Plugin() api.Plugin {
	return api.Plugin{
		Class:   ClassName,
		Aliases: []string{"db2", "Db2"},
		Version: version.String(),
		Spec:    spec,
		New:     func() api.SourceConnector { return &Connector{} },
	}
}

// Connector is the connector-level object: one database, one task.
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

// TaskConfigs returns one task configuration: the connector reads one database.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	if maxTasks < 1 {
		return nil, nil
	}
	return []map[string]string{maps.Clone(c.config)}, nil
}

// NewTask returns a new task.
func (c *Connector) NewTask() api.SourceTask { return &Task{} }

// Stop does nothing.
func (c *Connector) Stop() error { return nil }

// AlterOffsets checks an offsets PATCH: the partition must be {"server": topic.prefix} and the
// offset a change-table offset.
func (c *Connector) AlterOffsets(config map[string]string, offsets []api.PartitionOffset) error {
	cfg, err := ParseConfig(config)
	if err != nil {
		return err
	}
	for _, po := range offsets {
		if len(po.Partition) != 1 || po.Partition["server"] != cfg.TopicPrefix {
			return fmt.Errorf("partition %v is not this connector's: the Db2 connector has one partition, {\"server\":%q}", po.Partition, cfg.TopicPrefix)
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

// Task is the Db2 source task: package changetable's task with Db2's dialect.
type Task struct {
	inner       *changetable.Task
	openHistory func(ctx context.Context) (schemahistory.Store, error)
}

// Start parses the configuration and starts the shared change-table task; without the driver
// it fails with the way to build one that has it.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, config map[string]string) error {
	cfg, err := ParseConfig(config)
	if err != nil {
		return err
	}
	if driverName == "go_ibm_db" && !driverLinked {
		return ErrNoDriver
	}
	t.inner = changetable.NewTask(newDialect(cfg), &cfg.Config)
	if t.openHistory != nil {
		t.inner.OpenHistory = t.openHistory
	}
	return t.inner.Start(ctx, tc, config)
}

// Poll returns the next batch of records.
func (t *Task) Poll(ctx context.Context) ([]*api.SourceRecord, error) { return t.inner.Poll(ctx) }

// Commit does nothing: the ASN capture prunes the CD tables on its own schedule.
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
