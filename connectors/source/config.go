package source

import (
	"errors"
	"fmt"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/signals"
)

// Relational is what every relational connector reads beyond cdcconfig.Common: which tables it
// captures, which of them the snapshot reads and on how many connections, and how its log
// connection is re-established.
type Relational struct {
	// Capture says which tables and columns are captured (cdcconfig.Common's Filters holds the
	// properties it was built from).
	Capture *filters.Filters
	// SnapshotSelection is snapshot.include.collection.list and
	// snapshot.select.statement.overrides (nil: every table, the connector's SELECT).
	SnapshotSelection *SnapshotSelection
	// SnapshotThreads is snapshot.max.threads: the connections the snapshot reads on.
	SnapshotThreads int
	// Retry is how the log connection is re-established after retriable errors.
	Retry RetryPolicy
}

// ParseRelational reads the Relational settings of a configuration ParseWith accepted, the
// tables chosen by fc (common's filters, with the connector's built-in exclusions). A signal
// configuration (signal.*) that cannot work is refused first, at start rather than when the
// first signal comes; then both problems are reported when the filters and the snapshot
// selection are wrong.
func ParseRelational(spec api.ConfigSpec, props map[string]string, common *cdcconfig.Common, fc filters.Config) (Relational, error) {
	if _, err := signals.ParseConfig(props); err != nil {
		return Relational{}, err
	}
	r := Relational{SnapshotThreads: int(cdcconfig.Int(spec, props, PropSnapshotThreads)), Retry: RetryPolicyFrom(common)}
	var ferr, serr error
	r.Capture, ferr = filters.New(fc)
	r.SnapshotSelection, serr = ParseSnapshotSelection(props)
	return r, errors.Join(ferr, serr)
}

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
