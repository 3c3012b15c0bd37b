package db2

import (
	"errors"
	"fmt"
	"maps"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/changetable"
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
func (c *Connector) NewTask() api.SourceTask { return newTask() }

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

// newTask returns a task: package changetable's task with this connector's dialect.
func newTask() *changetable.ConnectorTask {
	return changetable.NewConnectorTask(func(config map[string]string) (changetable.Dialect, *changetable.Config, error) {
		cfg, err := ParseConfig(config)
		if err != nil {
			return nil, nil, err
		}
		if driverName == "go_ibm_db" && !driverLinked {
			return nil, nil, ErrNoDriver
		}
		return newDialect(cfg), &cfg.Config, nil
	})
}
