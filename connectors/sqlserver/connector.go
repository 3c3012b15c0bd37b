package sqlserver

import (
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
		New:     func() api.SourceConnector { return newConnector() },
	}
}

// newConnector returns the connector: package changetable's with this connector's configuration.
func newConnector() *changetable.Connector {
	return &changetable.Connector{Name: "SQL Server", Open: readConfig, DatabasesProp: propDatabaseNames, NewTaskFunc: func() api.SourceTask { return newTask() }}
}

// readConfig reads a configuration into the dialect and the change-table task's configuration.
func readConfig(config map[string]string) (changetable.Dialect, *changetable.Config, error) {
	cfg, err := ParseConfig(config)
	if err != nil {
		return nil, nil, err
	}
	return newDialect(cfg), &cfg.Config, nil
}

// newTask returns a task: package changetable's task with this connector's dialect.
func newTask() *changetable.ConnectorTask { return changetable.NewConnectorTask(readConfig) }
