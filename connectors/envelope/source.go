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

// snapshotValues are the markers as the source struct holds them, boxed once: a string put in an
// interface is an allocation, and every event carries one.
var snapshotValues, snapshotStrings = func() (v, s [len(snapshotNames)]any) {
	for i, n := range snapshotNames {
		if Snapshot(i) != SnapshotFalse {
			v[i] = n
		}
		s[i] = n
	}
	return v, s
}()

// value is what the source struct holds: nil for false, as Debezium's SnapshotRecord.toSource.
func (s Snapshot) value() any {
	if int(s) >= len(snapshotValues) {
		return nil
	}
	return snapshotValues[s]
}

// Boxed is String in an interface, boxed once for all events: what a connector puts in the
// source struct's snapshot field when it sets the marker of a record it held back.
func (s Snapshot) Boxed() any {
	if int(s) < len(snapshotStrings) {
		return snapshotStrings[s]
	}
	return s.String()
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
	return (*SourceCache)(nil).NewSource(schema, info)
}

// NewSource is the package's NewSource reusing the cache's boxed values (a nil cache boxes
// every value anew).
func (c *SourceCache) NewSource(schema *api.Schema, info *SourceInfo) *api.Struct {
	st := api.NewStruct(schema)
	c.PutSourceCommon(st, info)
	return st
}

// PutSourceCommon fills the common fields of a source struct built on a SourceSchemaBuilder
// schema, as AbstractSourceInfoStructMaker.commonStruct.
func PutSourceCommon(st *api.Struct, info *SourceInfo) {
	(*SourceCache)(nil).PutSourceCommon(st, info)
}

// PutSourceCommon is the package's PutSourceCommon reusing the cache's boxed values.
func (c *SourceCache) PutSourceCommon(st *api.Struct, info *SourceInfo) {
	ts := info.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	st.PutIndex(SourceVersionIndex, c.String(SourceVersionIndex, info.Version))
	st.PutIndex(SourceConnectorIndex, c.String(SourceConnectorIndex, info.Connector))
	st.PutIndex(SourceNameIndex, c.String(SourceNameIndex, info.Name))
	st.PutIndex(SourceTsMsIndex, c.Int64(SourceTsMsIndex, ts.UnixMilli()))
	st.PutIndex(SourceSnapshotIndex, info.Snapshot.value())
	st.PutIndex(SourceDBIndex, c.String(SourceDBIndex, info.DB))
	if info.Sequence != "" {
		st.PutIndex(SourceSequenceIndex, c.String(SourceSequenceIndex, info.Sequence))
	} else {
		st.PutIndex(SourceSequenceIndex, nil)
	}
	st.PutIndex(SourceTsUsIndex, c.Int64(SourceTsUsIndex, ts.UnixMicro()))
	st.PutIndex(SourceTsNsIndex, c.Int64(SourceTsNsIndex, unixNano(ts)))
}

// sourceCacheFields is how many source fields a SourceCache keeps a value for: the common ones
// and the connectors' own (MySQL has eight, PostgreSQL six).
const sourceCacheFields = SourceCommonFields + 12

// SourceCache keeps, per source field index, the last value put in an interface: most source
// fields (version, connector, name, db, table, file, server id, the binlog event's position and
// time, a snapshot's time) repeat from one event to the next, and boxing a string or an int64
// into the struct's interface is an allocation per field per event, a good part of the GC work
// of the record path. The cache belongs to one goroutine (a streamer, a snapshot reader); the
// zero value is ready; a nil cache boxes every value anew.
type SourceCache struct {
	strs [sourceCacheFields]struct {
		s string
		v any
	}
	ints [sourceCacheFields]struct {
		n int64
		v any
	}
}

// String returns s in an interface, the one returned last for field index i when s is the same.
func (c *SourceCache) String(i int, s string) any {
	if c == nil || i < 0 || i >= len(c.strs) {
		return s
	}
	e := &c.strs[i]
	if e.v == nil || e.s != s {
		e.s, e.v = s, s
	}
	return e.v
}

// Int64 returns n in an interface, the one returned last for field index i when n is the same.
func (c *SourceCache) Int64(i int, n int64) any {
	if c == nil || i < 0 || i >= len(c.ints) {
		return n
	}
	e := &c.ints[i]
	if e.v == nil || e.n != n {
		e.n, e.v = n, n
	}
	return e.v
}

// unixNano is seconds×1e9 + nanos as Debezium computes it; time.UnixNano is undefined outside
// 1678..2262 and Debezium's long overflows the same way, so the plain product is kept.
func unixNano(t time.Time) int64 {
	return t.Unix()*1_000_000_000 + int64(t.Nanosecond())
}
