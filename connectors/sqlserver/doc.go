// Package sqlserver is connectd's SQL Server source connector, a stand-in for Debezium's
// io.debezium.connector.sqlserver.SqlServerConnector with the same properties (database.names,
// table.include.list, snapshot.mode, snapshot.isolation.mode, ...), topics
// (<topic.prefix>.<database>.<schema>.<table>), source block, offsets
// ({commit_lsn, change_lsn, event_serial_no} under the partition {server, database}) and
// schema history.
//
// Like Debezium's, it reads SQL Server's own change data capture tables through
// github.com/microsoft/go-mssqldb, never the transaction log: a snapshot in the configured
// isolation level, then polling cdc.fn_cdc_get_all_changes_<capture_instance>(from, to,
// N'all update old') between the stored LSN and sys.fn_cdc_get_max_lsn(). Ordering, update
// pairing, restarts inside a transaction, capture-instance switches and purged positions are
// package changetable's; this package holds the SQL text, the type mapping and the source block.
//
// No SQL Server can run on the project's machines, so the connector is tested through a test
// double of the driver at the database/sql boundary (package changetable/sqltest) on recorded
// rows, asserting the SQL it sends; it has not been run against a real server yet.
package sqlserver
