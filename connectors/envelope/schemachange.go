package envelope

import (
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/schemahistory"
)

// Schema change event schemas, as Debezium's SchemaFactory (schemaHistoryColumnSchema,
// schemaHistoryTableSchema, schemaHistoryChangeSchema, schemaChangeKey/ValueSchema).
var (
	columnSchema = api.StructSchema().Name("io.debezium.connector.schema.Column").Version(1).
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
	tableChangeSchema = api.StructSchema().Name("io.debezium.connector.schema.Table").Version(1).
				Field("defaultCharsetName", api.OptionalStringSchema).
				Field("primaryKeyColumnNames", api.ArraySchema(api.StringSchema).Optional().Build()).
				Field("columns", api.ArraySchema(columnSchema).Build()).
				Field("comment", api.OptionalStringSchema).
				Optional().
				Build()
	changeSchema = api.StructSchema().Name("io.debezium.connector.schema.Change").Version(1).
			Field("type", api.StringSchema).
			Field("id", api.StringSchema).
			Field("table", tableChangeSchema).
			Build()
)

// SchemaChangeSchemas returns the key and value schemas of a connector's schema change events
// ("io.debezium.connector.<connector>.SchemaChangeKey" / "...Value"), whose source block has the
// schema source.
func SchemaChangeSchemas(connector string, source *api.Schema) (key, value *api.Schema) {
	ns := "io.debezium.connector." + connector
	key = api.StructSchema().Name(ns+".SchemaChangeKey").Version(1).
		Field("databaseName", api.StringSchema).Build()
	value = api.StructSchema().Name(ns+".SchemaChangeValue").Version(1).
		Field("source", source).
		Field("ts_ms", api.Int64Schema).
		Field("databaseName", api.OptionalStringSchema).
		Field("schemaName", api.OptionalStringSchema).
		Field("ddl", api.OptionalStringSchema).
		Field("tableChanges", api.ArraySchema(changeSchema).Build()).
		Build()
	return key, value
}

// SchemaChange builds the key and value of the schema change event of a history record: src is
// its source block, schemaName and ddl are null when empty (SQL Server and Db2 have no DDL text).
func SchemaChange(keySchema, valueSchema *api.Schema, src *api.Struct, ts time.Time, rec *schemahistory.Record, schemaName, ddl string) (key, value *api.Struct) {
	key = api.NewStruct(keySchema)
	key.PutIndex(0, rec.DatabaseName)
	v := api.NewStruct(valueSchema)
	v.PutIndex(0, src)
	v.PutIndex(1, ts.UnixMilli())
	v.PutIndex(2, rec.DatabaseName)
	if schemaName != "" {
		v.PutIndex(3, schemaName)
	}
	if ddl != "" {
		v.PutIndex(4, ddl)
	}
	changes := make([]any, 0, len(rec.TableChanges))
	for i := range rec.TableChanges {
		ch := &rec.TableChanges[i]
		c := api.NewStruct(changeSchema)
		c.PutIndex(0, string(ch.Type))
		c.PutIndex(1, ch.ID.DoubleQuoted())
		if ch.Table != nil {
			c.PutIndex(2, tableStruct(ch.Table))
		}
		changes = append(changes, c)
	}
	v.PutIndex(5, changes)
	return key, v
}

func tableStruct(tb *relational.Table) *api.Struct {
	s := api.NewStruct(tableChangeSchema)
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
		cs := api.NewStruct(columnSchema)
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
		if len(c.EnumValues) > 0 {
			ev := make([]any, len(c.EnumValues))
			for j, e := range c.EnumValues {
				ev[j] = e
			}
			cs.PutIndex(14, ev)
		}
		cols[i] = cs
	}
	s.PutIndex(2, cols)
	if tb.Comment != "" {
		s.PutIndex(3, tb.Comment)
	}
	return s
}
