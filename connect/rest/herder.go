package rest

import (
	"context"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// Herder is what the REST API needs from the runtime: the standalone herder implements it, and so
// can a distributed one. Methods return *Error for user mistakes (unknown connector, invalid
// config, wrong state) and *NotLeaderError when only the leader may serve the request (the REST
// layer then forwards it). Configurations are returned as stored, secrets included: the REST
// layer hides secrets before anything leaves the process.
type Herder interface {
	// ServerInfo returns the worker's version, commit and Kafka cluster id.
	ServerInfo(ctx context.Context) (herder.ServerInfo, error)
	// Ready reports whether start-up has finished (GET /health).
	Ready() bool
	// Plugins returns the connector plugins the worker can run.
	Plugins() *plugins.Registry

	// Connectors lists connector names, sorted.
	Connectors(ctx context.Context) ([]string, error)
	// ConnectorInfo returns a connector's configuration and tasks.
	ConnectorInfo(ctx context.Context, name string) (herder.ConnectorInfo, error)
	// ConnectorStatus returns the state of a connector and its tasks.
	ConnectorStatus(ctx context.Context, name string) (herder.ConnectorStateInfo, error)
	// TaskStatus returns the state of one task.
	TaskStatus(ctx context.Context, id herder.TaskID) (herder.TaskState, error)
	// TaskConfigs returns the configurations of a connector's tasks.
	TaskConfigs(ctx context.Context, name string) ([]herder.TaskInfo, error)

	// PutConnectorConfig creates a connector (or replaces its configuration when allowReplace),
	// reporting whether it was created. initial is the target state of a new connector; empty
	// means STARTED. Secrets given as plugins.Hidden keep their stored value.
	PutConnectorConfig(ctx context.Context, name string, config map[string]string, initial herder.TargetState, allowReplace bool) (herder.ConnectorInfo, bool, error)
	// PatchConnectorConfig merges patch into a connector's configuration; a nil value removes
	// the key.
	PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (herder.ConnectorInfo, error)
	// DeleteConnector stops a connector and removes its configuration and status; its offsets
	// stay, as in Kafka Connect.
	DeleteConnector(ctx context.Context, name string) error
	// RestartConnector restarts the connector instance only.
	RestartConnector(ctx context.Context, name string) error
	// RestartConnectorAndTasks restarts what req selects and returns the status with the
	// restarted instances shown as RESTARTING.
	RestartConnectorAndTasks(ctx context.Context, req herder.RestartRequest) (herder.ConnectorStateInfo, error)
	// RestartTask restarts one task.
	RestartTask(ctx context.Context, id herder.TaskID) error
	// PauseConnector sets the PAUSED target state.
	PauseConnector(ctx context.Context, name string) error
	// ResumeConnector sets the STARTED target state.
	ResumeConnector(ctx context.Context, name string) error
	// StopConnector sets the STOPPED target state and shuts the tasks down.
	StopConnector(ctx context.Context, name string) error

	// ConnectorOffsets returns the committed offsets of a connector.
	ConnectorOffsets(ctx context.Context, name string) (herder.ConnectorOffsets, error)
	// AlterConnectorOffsets writes offsets (a nil offset deletes a partition's offset); the
	// connector must be STOPPED.
	AlterConnectorOffsets(ctx context.Context, name string, offsets herder.ConnectorOffsets) (herder.Message, error)
	// ResetConnectorOffsets deletes all offsets of a STOPPED connector.
	ResetConnectorOffsets(ctx context.Context, name string) (herder.Message, error)
	// ConnectorOffsetHistory returns the last committed offsets of a connector, newest first.
	ConnectorOffsetHistory(ctx context.Context, name string) (herder.OffsetHistory, error)

	// ValidateConnectorConfig validates a configuration against its plugin's spec and the common
	// connector settings. Secret values in the result are already hidden.
	ValidateConnectorConfig(ctx context.Context, config map[string]string) (herder.ConfigInfos, error)
	// ConnectorPluginConfig returns the configuration definitions of a plugin.
	ConnectorPluginConfig(ctx context.Context, plugin string) ([]herder.ConfigKeyInfo, error)

	// ConnectorActiveTopics lists the topics a connector has produced to since it was created or
	// its topics were last reset.
	ConnectorActiveTopics(ctx context.Context, name string) ([]string, error)
	// ResetConnectorActiveTopics forgets a connector's active topics.
	ResetConnectorActiveTopics(ctx context.Context, name string) error
}

// Loggers is what the /admin/loggers endpoints need.
type Loggers interface {
	// Levels returns every logger whose level was set explicitly, plus "root".
	Levels() map[string]herder.LoggerLevel
	// Level returns the effective level of a logger, or false when the name is not known.
	Level(name string) (herder.LoggerLevel, bool)
	// SetLevel sets the level of namespace and everything under it, returning the loggers whose
	// level changed.
	SetLevel(namespace, level string) ([]string, error)
}
