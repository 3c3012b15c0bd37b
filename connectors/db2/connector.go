package db2

import (
	"errors"

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
		New:     func() api.SourceConnector { return newConnector() },
	}
}

// newConnector returns the connector: package changetable's with this connector's configuration.
func newConnector() *changetable.Connector {
	return &changetable.Connector{Name: "Db2", Open: readConfig, DatabasesProp: "", NewTaskFunc: func() api.SourceTask { return newTask() }}
}

// readConfig reads a configuration into the dialect and the change-table task's configuration.
func readConfig(config map[string]string) (changetable.Dialect, *changetable.Config, error) {
	cfg, err := ParseConfig(config)
	if err != nil {
		return nil, nil, err
	}
	return newDialect(cfg), &cfg.Config, nil
}

// newTask returns a task: package changetable's task with this connector's dialect; without
// the driver it fails at Start with the way to build one that has it.
func newTask() *changetable.ConnectorTask {
	return changetable.NewConnectorTask(func(config map[string]string) (changetable.Dialect, *changetable.Config, error) {
		if driverName == "go_ibm_db" && !driverLinked {
			if _, err := ParseConfig(config); err != nil {
				return nil, nil, err
			}
			return nil, nil, ErrNoDriver
		}
		return readConfig(config)
	})
}
