package mysql

import (
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/schemahistory"
)

// buildSchemaChangeSchemas builds the key and value schemas of the flavour's schema change events.
func (t *Task) buildSchemaChangeSchemas() {
	t.scKey, t.scValue = envelope.SchemaChangeSchemas(t.flavor.connectorName(), t.srcSchema)
}

// schemaChangeRecord builds the schema change event of a history record on the <topic.prefix>
// topic.
func (t *Task) schemaChangeRecord(rec *schemahistory.Record, table *relational.TableID, ts time.Time, streaming bool) *api.SourceRecord {
	id := relational.TableID{Catalog: rec.DatabaseName}
	if table != nil {
		id = *table
	}
	snap := envelope.SnapshotTrue
	if streaming {
		snap = envelope.SnapshotFalse
	}
	src := t.source(nil, id, ts, snap)
	src.PutIndex(envelope.SourceDBIndex, rec.DatabaseName)
	key, v := envelope.SchemaChange(t.scKey, t.scValue, src, ts, rec, "", rec.DDL)
	return &api.SourceRecord{
		SourcePartition: t.partition,
		SourceOffset:    rec.Position,
		Topic:           t.cfg.TopicPrefix,
		Partition:       0,
		KeySchema:       t.scKey,
		Key:             key,
		ValueSchema:     t.scValue,
		Value:           v,
	}
}
