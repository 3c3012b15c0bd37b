package envelope

import (
	"time"

	"github.com/connectd/connectd/connect/api"
)

// Snapshot is the value of the source block's snapshot field (Debezium's SnapshotRecord).
type Snapshot uint8

// The snapshot markers, in Debezium's declaration order. SnapshotFalse, the zero value, is a
// streamed event: Debezium leaves the field unset then, and the schema default "false" shows.
const (
	SnapshotFalse Snapshot = iota
	SnapshotTrue
	SnapshotFirst
	SnapshotFirstInDataCollection
	SnapshotLastInDataCollection
	SnapshotLast
	SnapshotIncremental
)

var snapshotNames = [...]string{
	SnapshotFalse: "false", SnapshotTrue: "true", SnapshotFirst: "first",
	SnapshotFirstInDataCollection: "first_in_data_collection", SnapshotLastInDataCollection: "last_in_data_collection",
	SnapshotLast: "last", SnapshotIncremental: "incremental",
}

// String returns the marker as written in the source block ("true", "last", "false", ...).
func (s Snapshot) String() string {
	if int(s) < len(snapshotNames) {
		return snapshotNames[s]
	}
	return "false"
}

// value is what the source struct holds: nil for false, as Debezium's SnapshotRecord.toSource.
func (s Snapshot) value() any {
	if s == SnapshotFalse || int(s) >= len(snapshotNames) {
		return nil
	}
	return snapshotNames[s]
}

// ParseSnapshot reads a source block's snapshot value; unknown or empty values are SnapshotFalse.
func ParseSnapshot(s string) Snapshot {
	for i, n := range snapshotNames {
		if n == s {
			return Snapshot(i)
		}
	}
	return SnapshotFalse
}

// snapshotSchema is SchemaFactory.snapshotRecordSchema: an optional io.debezium.data.Enum v1
// whose allowed values are SnapshotRecord's constants in declaration order, default "false".
var snapshotSchema = api.NewSchema(api.TypeString).Name(EnumName).Version(1).
	Param(EnumAllowedParam, "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental").
	Default("false").Optional().Build()

// SnapshotSchema returns the schema of the source block's snapshot field. Shared: do not modify.
func SnapshotSchema() *api.Schema { return snapshotSchema }

// The indexes of the common source fields; connector fields follow from SourceCommonFields on.
const (
	SourceVersionIndex = iota
	SourceConnectorIndex
	SourceNameIndex
	SourceTsMsIndex
	SourceSnapshotIndex
	SourceDBIndex
	SourceSequenceIndex
	SourceTsUsIndex
	SourceTsNsIndex
	// SourceCommonFields is the number of common fields, the index of the first connector field.
	SourceCommonFields
)

// SourceSchemaBuilder starts a source block schema named name ("io.debezium.connector.mysql.Source",
// "io.debezium.connector.postgresql.Source") with Debezium 3.x's common fields in order: version,
// connector, name, ts_ms, snapshot, db, sequence, ts_us, ts_ns. The connector appends its own fields
// (MySQL: table, server_id, gtid, file, pos, row, thread, query; PostgreSQL: schema, table, txId,
// lsn, xmin) and builds it.
func SourceSchemaBuilder(name string) *api.SchemaBuilder {
	return api.StructSchema().Name(name).Version(SourceVersion).
		Field("version", api.StringSchema).
		Field("connector", api.StringSchema).
		Field("name", api.StringSchema).
		Field("ts_ms", api.Int64Schema).
		Field("snapshot", snapshotSchema).
		Field("db", api.StringSchema).
		Field("sequence", api.OptionalStringSchema).
		Field("ts_us", api.OptionalInt64Schema).
		Field("ts_ns", api.OptionalInt64Schema)
}

// SourceInfo holds the common source fields of one event.
type SourceInfo struct {
	Version   string // connectd's own version (connect/version), so a consumer can tell who wrote the event
	Connector string // "mysql", "mariadb", "postgresql", "sqlserver", "db2"
	Name      string // topic.prefix
	// Time is when the change happened in the database (commit or event time); the zero time
	// means now, as Debezium.
	Time     time.Time
	Snapshot Snapshot
	DB       string // database name; empty is written as "", as Debezium
	Sequence string // optional; empty leaves it unset
}

// NewSource returns a struct of schema (built from SourceSchemaBuilder) with the common fields
// filled from info; the caller puts the connector's fields with PutIndex from
// SourceCommonFields on.
func NewSource(schema *api.Schema, info *SourceInfo) *api.Struct {
	st := api.NewStruct(schema)
	PutSourceCommon(st, info)
	return st
}

// PutSourceCommon fills the common fields of a source struct built on a SourceSchemaBuilder
// schema, as AbstractSourceInfoStructMaker.commonStruct.
func PutSourceCommon(st *api.Struct, info *SourceInfo) {
	ts := info.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	st.PutIndex(SourceVersionIndex, info.Version)
	st.PutIndex(SourceConnectorIndex, info.Connector)
	st.PutIndex(SourceNameIndex, info.Name)
	st.PutIndex(SourceTsMsIndex, ts.UnixMilli())
	st.PutIndex(SourceSnapshotIndex, info.Snapshot.value())
	st.PutIndex(SourceDBIndex, info.DB)
	if info.Sequence != "" {
		st.PutIndex(SourceSequenceIndex, info.Sequence)
	} else {
		st.PutIndex(SourceSequenceIndex, nil)
	}
	st.PutIndex(SourceTsUsIndex, ts.UnixMicro())
	st.PutIndex(SourceTsNsIndex, unixNano(ts))
}

// unixNano is seconds×1e9 + nanos as Debezium computes it; time.UnixNano is undefined outside
// 1678..2262 and Debezium's long overflows the same way, so the plain product is kept.
func unixNano(t time.Time) int64 {
	return t.Unix()*1_000_000_000 + int64(t.Nanosecond())
}
