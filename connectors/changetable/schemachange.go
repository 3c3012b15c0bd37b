package changetable

import (
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/schemahistory"
)

// Schema change event schemas, as Debezium's SchemaFactory (schemaHistoryColumnSchema,
// schemaHistoryTableSchema, schemaHistoryChangeSchema, schemaChangeKey/ValueSchema).
var (
	scColumnSchema = api.StructSchema().Name("io.debezium.connector.schema.Column").Version(1).
			Field("name", api.StringSchema).
			Field("jdbcType", api.Int32Schema).
			Field("nativeType", api.OptionalInt32Schema).
			Field("typeName", api.StringSchema).
			Field("typeExpression", api.OptionalStringSchema).
			Field("charsetName", api.OptionalStringSchema).
			Field("length", api.OptionalInt32Schema).
			Field("scale", api.OptionalInt32Schema).
			Field("position", api.Int32Schema).
			Field("optional", api.OptionalBooleanSchema).
			Field("autoIncremented", api.OptionalBooleanSchema).
			Field("generated", api.OptionalBooleanSchema).
			Field("comment", api.OptionalStringSchema).
			Field("defaultValueExpression", api.OptionalStringSchema).
			Field("enumValues", api.ArraySchema(api.StringSchema).Optional().Build()).
			Build()
	scTableSchema = api.StructSchema().Name("io.debezium.connector.schema.Table").Version(1).
			Field("defaultCharsetName", api.OptionalStringSchema).
			Field("primaryKeyColumnNames", api.ArraySchema(api.StringSchema).Optional().Build()).
			Field("columns", api.ArraySchema(scColumnSchema).Build()).
			Field("comment", api.OptionalStringSchema).
			Optional().
			Build()
	scChangeSchema = api.StructSchema().Name("io.debezium.connector.schema.Change").Version(1).
			Field("type", api.StringSchema).
			Field("id", api.StringSchema).
			Field("table", scTableSchema).
			Build()
)

// buildSchemaChangeSchemas builds the key and value schemas of the connector's schema change
// events ("io.debezium.connector.<connector>.SchemaChangeKey" / "...Value").
func (t *Task) buildSchemaChangeSchemas() {
	ns := "io.debezium.connector." + t.dialect.Connector()
	t.scKey = api.StructSchema().Name(ns+".SchemaChangeKey").Version(1).
		Field("databaseName", api.StringSchema).Build()
	t.scValue = api.StructSchema().Name(ns+".SchemaChangeValue").Version(1).
		Field("source", t.dialect.SourceSchema()).
		Field("ts_ms", api.Int64Schema).
		Field("databaseName", api.OptionalStringSchema).
		Field("schemaName", api.OptionalStringSchema).
		Field("ddl", api.OptionalStringSchema).
		Field("tableChanges", api.ArraySchema(scChangeSchema).Build()).
		Build()
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
	key := api.NewStruct(t.scKey)
	key.PutIndex(0, rec.DatabaseName)
	v := api.NewStruct(t.scValue)
	v.PutIndex(0, src)
	v.PutIndex(1, ts.UnixMilli())
	v.PutIndex(2, rec.DatabaseName)
	if rec.SchemaName != "" {
		v.PutIndex(3, rec.SchemaName)
	}
	changes := make([]any, 0, len(rec.TableChanges))
	for i := range rec.TableChanges {
		ch := &rec.TableChanges[i]
		c := api.NewStruct(scChangeSchema)
		c.PutIndex(0, string(ch.Type))
		c.PutIndex(1, ch.ID.DoubleQuoted())
		if ch.Table != nil {
			c.PutIndex(2, tableStruct(ch.Table))
		}
		changes = append(changes, c)
	}
	v.PutIndex(5, changes)
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

func tableStruct(tb *relational.Table) *api.Struct {
	s := api.NewStruct(scTableSchema)
	if tb.DefaultCharsetName != "" {
		s.PutIndex(0, tb.DefaultCharsetName)
	}
	pk := make([]any, len(tb.PrimaryKeyColumnNames))
	for i, n := range tb.PrimaryKeyColumnNames {
		pk[i] = n
	}
	s.PutIndex(1, pk)
	cols := make([]any, len(tb.Columns))
	for i := range tb.Columns {
		c := &tb.Columns[i]
		cs := api.NewStruct(scColumnSchema)
		cs.PutIndex(0, c.Name)
		cs.PutIndex(1, int32(c.JDBCType))
		if c.NativeType.Valid {
			cs.PutIndex(2, int32(c.NativeType.V))
		}
		cs.PutIndex(3, c.TypeName)
		if c.TypeExpression != "" {
			cs.PutIndex(4, c.TypeExpression)
		}
		if c.CharsetName != "" {
			cs.PutIndex(5, c.CharsetName)
		}
		if c.Length.Valid {
			cs.PutIndex(6, int32(c.Length.V))
		}
		if c.Scale.Valid {
			cs.PutIndex(7, int32(c.Scale.V))
		}
		cs.PutIndex(8, int32(c.Position))
		cs.PutIndex(9, c.Optional)
		cs.PutIndex(10, c.AutoIncremented)
		cs.PutIndex(11, c.Generated)
		if c.Comment != "" {
			cs.PutIndex(12, c.Comment)
		}
		if c.DefaultValueExpression.Valid {
			cs.PutIndex(13, c.DefaultValueExpression.V)
		}
		cols[i] = cs
	}
	s.PutIndex(2, cols)
	if tb.Comment != "" {
		s.PutIndex(3, tb.Comment)
	}
	return s
}
