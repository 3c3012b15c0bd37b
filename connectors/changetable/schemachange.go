package changetable

import (
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/schemahistory"
)

// buildSchemaChangeSchemas builds the key and value schemas of the connector's schema change
// events ("io.debezium.connector.<connector>.SchemaChangeKey" / "...Value").
func (t *Task) buildSchemaChangeSchemas() {
	t.scKey, t.scValue = envelope.SchemaChangeSchemas(t.dialect.Connector(), t.dialect.SourceSchema())
}

// schemaChangeRecord builds the schema change event of a history record on the <topic.prefix>
// topic. SQL Server and Db2 have no DDL text (their structures come from the catalog), so ddl
// is null, as in Debezium's SQL Server documentation's example.
func (t *Task) schemaChangeRecord(d *dbState, rec *schemahistory.Record, id relational.TableID, off Offset, ts time.Time, streaming bool) *api.SourceRecord {
	snap := envelope.SnapshotTrue
	if streaming {
		snap = envelope.SnapshotFalse
	}
	src := envelope.NewSource(t.dialect.SourceSchema(), &envelope.SourceInfo{
		Version: version.String(), Connector: t.dialect.Connector(), Name: t.cfg.TopicPrefix,
		Time: ts, Snapshot: snap, DB: d.name,
	})
	t.dialect.PutSource(src, id, off, streaming)
	key, v := envelope.SchemaChange(t.scKey, t.scValue, src, ts, rec, rec.SchemaName, "")
	return &api.SourceRecord{
		SourcePartition: d.part,
		SourceOffset:    rec.Position,
		Topic:           t.cfg.TopicPrefix,
		Partition:       0,
		KeySchema:       t.scKey,
		Key:             key,
		ValueSchema:     t.scValue,
		Value:           v,
	}
}
