package schemahistory

import (
	"github.com/connectd/connectd/connect/api/relational"
)

// ChangeType is the kind of a TableChange, spelled as Debezium's TableChangeType.
type ChangeType string

// The change types.
const (
	Create ChangeType = "CREATE"
	Alter  ChangeType = "ALTER"
	Drop   ChangeType = "DROP"
)

// Record is one entry of the schema history, field for field Debezium's HistoryRecord.
type Record struct {
	// Source is the connector's source partition ({"server": "<topic.prefix>"} for MySQL; SQL
	// Server adds "database").
	Source map[string]any
	// Position is the connector's offset at the schema change (for MySQL file, pos, gtids, ...).
	Position map[string]any
	// TsMs is when the connector recorded the change, in milliseconds since the epoch; zero for
	// records written by Debezium 1.x, which had none.
	TsMs int64
	// DatabaseName is the database the DDL ran in. Debezium's MySQL connector writes "" for
	// statements outside any database (SET ...), and so does the encoder: the field is always
	// written.
	DatabaseName string
	// SchemaName is the schema the DDL ran in; MySQL has none. Empty is omitted, as Debezium omits
	// null.
	SchemaName string
	// DDL is the statement as the database logged it. SQL Server and Db2 have none (their changes
	// come from the catalog); empty is omitted.
	DDL string
	// TableChanges is the structure of each table the statement created, altered or dropped. It is
	// empty for statements that touch no captured table (CREATE DATABASE, SET, ...) and for
	// histories written before Debezium 1.2, which held DDL only.
	TableChanges []TableChange

	// sourceKeys and positionKeys remember the key order of a decoded record, so that encoding it
	// again gives the same bytes; see encodeMap.
	sourceKeys   []string
	positionKeys []string
}

// TableChange is one element of a record's tableChanges, as Debezium's TableChanges.TableChange.
type TableChange struct {
	Type ChangeType
	// ID is the table the change is about; for a rename, its new id.
	ID relational.TableID
	// PreviousID is the table's id before an ALTER that renamed it; zero otherwise.
	PreviousID relational.TableID
	// Table is the table's whole structure after a CREATE or ALTER. A DROP has none, except in
	// histories written by Debezium before 2.4, which stored the dropped table's last structure.
	Table *relational.Table
}

// Valid reports whether the record has the fields every history record must have, source and
// position; Debezium skips records without them on recovery.
func (r *Record) Valid() bool {
	return r.Source != nil && r.Position != nil
}
