// Package relational is the table model shared by the relational connectors and the schema
// history: table identifiers, columns, tables, and the set of tables a connector knows at a point
// of the database log. It mirrors Debezium's io.debezium.relational model (TableId, Column, Table,
// Tables) closely enough that a history written by Debezium rebuilds the same model here, and the
// reverse.
//
// The package is a leaf: it imports nothing else of the project and knows nothing of JSON; the
// history's wire format lives in package schemahistory.
//
// A Table is immutable once built (NewTable, or Build on a literal): readers on several goroutines
// may share it. A Tables set is not safe for concurrent mutation; Clone gives a cheap
// copy-on-write snapshot that another goroutine may read or change independently.
package relational
