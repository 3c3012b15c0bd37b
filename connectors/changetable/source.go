package changetable

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
)

// The fields every change-table connector's source block has after the common ones, in
// Debezium's order (Db2SourceInfoStructMaker, SqlServerSourceInfoStructMaker); a connector's own
// fields follow from SourceOwnFields.
const (
	srcSchema = envelope.SourceCommonFields + iota
	srcTable
	srcChangeLSN
	srcCommitLSN
	// SourceOwnFields is the index of the first field a connector adds to SourceBuilder's.
	SourceOwnFields
)

// SourceBuilder starts the source block schema name: the common fields, then schema, table,
// change_lsn and commit_lsn; the connector adds its own fields and builds it.
func SourceBuilder(name string) *api.SchemaBuilder {
	return envelope.SourceSchemaBuilder(name).
		Field("schema", api.StringSchema).
		Field("table", api.StringSchema).
		Field("change_lsn", api.OptionalStringSchema).
		Field("commit_lsn", api.OptionalStringSchema)
}

// PutSource fills the fields of SourceBuilder: schema, table, the commit LSN, and the change LSN
// of a streamed event (a snapshot event carries the snapshot's commit LSN only, as Debezium's).
func PutSource(st *api.Struct, id relational.TableID, off Offset, streaming bool) {
	st.PutIndex(srcSchema, id.Schema)
	st.PutIndex(srcTable, id.Table)
	if !off.Commit.IsNull() {
		st.PutIndex(srcCommitLSN, off.Commit.String())
	}
	if streaming && !off.Change.IsNull() {
		st.PutIndex(srcChangeLSN, off.Change.String())
	}
}
