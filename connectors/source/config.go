package source

import (
	"fmt"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/envelope"
)

// SettingsFrom returns the Settings the common configuration decides: topic.prefix,
// snapshot.mode and the queue; the connector adds the rest.
func SettingsFrom(c *cdcconfig.Common) Settings {
	return Settings{TopicPrefix: c.TopicPrefix, Mode: c.SnapshotMode, MaxQueue: c.MaxQueueSize, MaxQueueBytes: c.MaxQueueSizeInBytes,
		MaxBatch: c.MaxBatchSize, PollInterval: c.PollInterval}
}

// NewTable builds the event schemas of a captured table version as the common configuration
// says (column mappers, message.key.columns, source types, schema name adjustment): cols are the
// connector's column mappings, topic the table's topic, src its source block schema and keyName
// the table's name in message.key.columns (db.table, schema.table).
func NewTable(c *cdcconfig.Common, t *relational.Table, cols []envelope.Column, topic string, src *api.Schema, keyName string) (*envelope.TableSchema, error) {
	ts, err := envelope.NewTable(envelope.TableSpec{
		Table:            t,
		Columns:          cols,
		Topic:            topic,
		Source:           src,
		Mappers:          c.ColumnMappers,
		KeyColumns:       c.KeyColumns.For(keyName),
		SourceTypes:      c.SourceTypes,
		AdjustSchemaName: c.AdjustSchemaName,
		AdjustFieldName:  c.AdjustFieldName,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot build the event schemas of table %s: %w", t.ID, err)
	}
	return ts, nil
}
