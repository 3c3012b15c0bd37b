package mysql

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
)

// mysqlDebeziumKeys adds to spec the Debezium MySQL/MariaDB properties connectd does not
// implement beyond their default (or at all), so each is refused instead of ignored; the lists
// are checked against Debezium's by tests/speccheck.
func mysqlDebeziumKeys(spec api.ConfigSpec) api.ConfigSpec {
	spec = cdcconfig.Complete(spec)
	for _, k := range []struct {
		name string
		typ  api.ConfigType
		def  string
		why  string
		also []string
	}{
		{"binlog.net.read.timeout", api.ConfigLong, "0", "the binlog connection uses the server's net_read_timeout", nil},
		{"binlog.net.write.timeout", api.ConfigLong, "0", "the binlog connection uses the server's net_write_timeout", nil},
		{"connect.keep.alive", api.ConfigBoolean, "true", "the binlog connection is always re-established after a failure", nil},
		{"connect.keep.alive.interval.ms", api.ConfigLong, "60000", "the binlog connection is watched by its own heartbeat", nil},
		{"database.server.id.offset", api.ConfigLong, "10000", "connectd opens one binlog connection per task", nil},
		{"gtid.source.filter.dml.events", api.ConfigBoolean, "true", "gtid.source.includes/excludes are not implemented", nil},
		{"min.row.count.to.stream.results", api.ConfigInt, "1000", "snapshot.fetch.size chunks every snapshot read", nil},
		{"table.ignore.builtin", api.ConfigBoolean, "true", "the server's own databases (mysql, sys, information_schema, performance_schema) are never captured", nil},
		{"use.nongraceful.disconnect", api.ConfigBoolean, "false", "the binlog connection is closed gracefully", nil},
		{"database.jdbc.driver", api.ConfigClass, "com.mysql.cj.jdbc.Driver", "connectd speaks the MySQL protocol itself", []string{"org.mariadb.jdbc.Driver"}},
		{"database.protocol", api.ConfigString, "jdbc:mysql", "connectd speaks the MySQL protocol itself", []string{"jdbc:mariadb"}},
		{"sourceinfo.struct.maker", api.ConfigClass, "io.debezium.connector.mysql.MySqlSourceInfoStructMaker", "the source block is Debezium's default one",
			[]string{"io.debezium.connector.mariadb.MariaDbSourceInfoStructMaker"}},
	} {
		spec = cdcconfig.AddAtDefault(spec, k.name, k.typ, k.def, k.why, k.also...)
	}
	return spec
}
