package changetable

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/filters"
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
