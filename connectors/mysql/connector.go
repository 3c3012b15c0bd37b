// Package mysql is the MySQL and MariaDB source connector, a drop-in for Debezium's
// io.debezium.connector.mysql.MySqlConnector and io.debezium.connector.mariadb.MariaDbConnector:
// same properties and defaults, same events, offsets and schema history.
//
// A task snapshots (a consistent-snapshot transaction under a short global read lock, the binlog
// position and schemas read while locked, then the rows), then streams the binlog from exactly
// that position with go-mysql's BinlogSyncer, by GTID set when there is one. One reader
// goroutine owns the position, the table model and the per-table encoders; records reach Poll
// through the shared bounded queue, so a slow Kafka stalls the reader instead of growing memory.
//
// Offsets follow Debezium's BinlogOffsetContext: file and pos of the current transaction's
// start, gtids executed before it, and event/row counters of what was already emitted inside it,
// so a restart in the middle of a transaction skips exactly the rows already sent.
//
// DDL is parsed by the hand-written parser of package ddl (see its documentation for why not the
// TiDB parser); the snapshot records the schema the way Debezium does (the server charset, DROP
// TABLE for each table, DROP/CREATE DATABASE, USE, then SHOW CREATE TABLE per table), so a
// history replays in either implementation.
//
// Output matches Debezium 3.5's MariaDB connector record for record on the compatibility
// workload (tests/mysql TestCompatWithDebezium against tests/compat/reference), schema history
// positions included, except where Debezium's offsets make a restart repeat records:
//   - a transaction's END record carries the offset after its commit (Debezium's carries the one
//     before, with which a restart writes the BEGIN and a second, empty END);
//   - a DDL statement's events (schema change, TRUNCATE) carry the offset after it (Debezium's
//     is its GTID event with event=1, with which a restart applies and announces it again).
//
// Offsets Debezium wrote at those points are read as meaning what was written: resuming from
// them repeats neither the END nor the statement (tests/mysql crossover tests).
package mysql

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/source"
)

// The connector classes.
const (
	MySQLClass   = "io.debezium.connector.mysql.MySqlConnector"
	MariaDBClass = "io.debezium.connector.mariadb.MariaDbConnector"
)

// Plugins returns the MySQL and MariaDB connector plugins.
func Plugins() []api.Plugin {
	return []api.Plugin{
		{Class: MySQLClass, Version: version.String(), Spec: configSpec(), New: func() api.SourceConnector { return NewConnector(FlavorMySQL) }},
		{Class: MariaDBClass, Version: version.String(), Spec: configSpec(), New: func() api.SourceConnector { return NewConnector(FlavorMariaDB) }},
	}
}

// Connector is the connector-level object: it validates the configuration and runs one task
// (the binlog is a single ordered stream).
type Connector struct {
	source.Connector
	Flavor Flavor
}

// NewConnector returns the connector of the flavour's class.
func NewConnector(f Flavor) *Connector {
	c := &Connector{Flavor: f}
	c.Check = func(config map[string]string) error { _, err := parseConfig(config, c.Flavor); return err }
	c.NewTaskFunc = func() api.SourceTask { return &Task{Flavor: c.Flavor} }
	return c
}
