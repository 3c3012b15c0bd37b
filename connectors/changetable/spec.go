package changetable

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/source"
)

// CommonSpec is cdcconfig's common keys as the change-table connectors take them: less those they
// have no use for or do not implement yet, with the server's port and the user's privileges
// (userDoc), and the signal table refused; connector names the connector in that refusal.
func CommonSpec(connector, port, userDoc string) api.ConfigSpec {
	s := cdcconfig.ConnectorSpec(
		filters.DatabaseIncludeList, filters.DatabaseExcludeList,
		cdcconfig.SnapshotDelayMs, cdcconfig.IncrementalSnapshotChunkSize,
		cdcconfig.SchemaNameAdjustmentMode, cdcconfig.FieldNameAdjustmentMode, cdcconfig.SignalEnabledChannels,
		cdcconfig.HistorySkipUnparseableDDL, cdcconfig.EventProcessingFailureMode,
		cdcconfig.RetriableRestartWaitMs, cdcconfig.MessageKeyColumns, cdcconfig.Converters,
		cdcconfig.TopicNamingStrategy, cdcconfig.TopicDelimiter, cdcconfig.HeartbeatActionQuery,
	)
	s.Key(cdcconfig.Port).Default = port
	s.Key(cdcconfig.User).Doc = userDoc
	sig := s.Key(cdcconfig.SignalDataCollection)
	sig.Unsupported = true
	sig.Doc = "Signal table; not supported by connectd's " + connector + " connector yet."
	return s
}

// NewConfig returns the change-table task's configuration from the common keys: the connector
// adds the databases it reads and what only it has.
func NewConfig(common *cdcconfig.Common, raw map[string]string, databases []string) Config {
	return Config{
		TopicPrefix:          common.TopicPrefix,
		Databases:            databases,
		SnapshotMode:         common.SnapshotMode,
		Mappers:              common.ColumnMappers,
		Tombstones:           common.TombstonesOnDelete,
		TxMetadata:           common.ProvideTransactionMetadata,
		TxTopic:              common.TransactionTopic,
		IncludeSchemaChanges: common.IncludeSchemaChanges,
		SkipCreate:           common.SkippedOperations.Has(envelope.OpCreate),
		SkipUpdate:           common.SkippedOperations.Has(envelope.OpUpdate),
		SkipDelete:           common.SkippedOperations.Has(envelope.OpDelete),
		MaxBatchSize:         common.MaxBatchSize,
		MaxQueueSize:         common.MaxQueueSize,
		MaxQueueBytes:        common.MaxQueueSizeInBytes,
		PollInterval:         common.PollInterval,
		Retry:                source.RetryPolicyFrom(common),
		Raw:                  raw,
	}
}

// ValueModes are the value mapping settings of a change-table connector.
type ValueModes struct {
	Decimal envelope.DecimalMode
	Time    envelope.TimePrecisionMode
	Binary  envelope.BinaryMode
}

// ValueModesFrom returns the value mapping settings of the common keys.
func ValueModesFrom(common *cdcconfig.Common) ValueModes {
	return ValueModes{Decimal: common.DecimalMode, Time: common.TimePrecisionMode, Binary: common.BinaryMode}
}
