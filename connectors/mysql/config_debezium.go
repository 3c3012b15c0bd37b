package mysql

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
)

// mysqlDebeziumKeys adds to spec the Debezium MySQL/MariaDB properties connectd does not
// implement beyond their default (or at all), so each is refused instead of ignored; the lists
// are checked against Debezium's by tests/speccheck.
func mysqlDebeziumKeys(spec api.ConfigSpec) api.ConfigSpec {
	return cdcconfig.AddMissing(cdcconfig.Complete(spec),
		cdcconfig.AtDefault("binlog.net.read.timeout", api.ConfigLong, "0", "the binlog connection uses the server's net_read_timeout"),
		cdcconfig.AtDefault("binlog.net.write.timeout", api.ConfigLong, "0", "the binlog connection uses the server's net_write_timeout"),
		cdcconfig.AtDefault("connect.keep.alive", api.ConfigBoolean, "true", "the binlog connection is always re-established after a failure"),
		cdcconfig.AtDefault("connect.keep.alive.interval.ms", api.ConfigLong, "60000", "the binlog connection is watched by its own heartbeat"),
		cdcconfig.AtDefault("database.server.id.offset", api.ConfigLong, "10000", "connectd opens one binlog connection per task"),
		cdcconfig.AtDefault("gtid.source.filter.dml.events", api.ConfigBoolean, "true", "gtid.source.includes/excludes are not implemented"),
		cdcconfig.AtDefault("min.row.count.to.stream.results", api.ConfigInt, "1000", "snapshot.fetch.size chunks every snapshot read"),
		cdcconfig.AtDefault("table.ignore.builtin", api.ConfigBoolean, "true", "the server's own databases (mysql, sys, information_schema, performance_schema) are never captured"),
		cdcconfig.AtDefault("use.nongraceful.disconnect", api.ConfigBoolean, "false", "the binlog connection is closed gracefully"),
		cdcconfig.AtDefault("database.jdbc.driver", api.ConfigClass, "com.mysql.cj.jdbc.Driver", "connectd speaks the MySQL protocol itself", "org.mariadb.jdbc.Driver"),
		cdcconfig.AtDefault("database.protocol", api.ConfigString, "jdbc:mysql", "connectd speaks the MySQL protocol itself", "jdbc:mariadb"),
		cdcconfig.AtDefault("sourceinfo.struct.maker", api.ConfigClass, "io.debezium.connector.mysql.MySqlSourceInfoStructMaker", "the source block is Debezium's default one",
			"io.debezium.connector.mariadb.MariaDbSourceInfoStructMaker"),
	)
}
