package postgres

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
)

// debeziumKeys adds to spec the Debezium PostgreSQL properties connectd does not implement
// beyond their default (or at all), so each is refused instead of ignored; the lists are checked
// against Debezium's by tests/speccheck. A property the connector implements is declared in
// buildSpec and wins.
func debeziumKeys(spec api.ConfigSpec) api.ConfigSpec {
	return cdcconfig.AddMissing(cdcconfig.Complete(spec),
		cdcconfig.AtDefault(cdcconfig.IncrementalSnapshotChunkSize, api.ConfigInt, "1024", "the PostgreSQL connector has no incremental snapshots yet"),
		cdcconfig.AtDefault(cdcconfig.SignalEnabledChannels, api.ConfigList, "source", "the PostgreSQL connector reads no signals yet"),
		cdcconfig.AtDefault("database.tcpKeepAlive", api.ConfigBoolean, "true", "connections always use TCP keep-alive"),
		cdcconfig.AtDefault("flush.lsn.source", api.ConfigBoolean, "true", "the slot's flushed LSN follows the committed offsets"),
		cdcconfig.AtDefault("include.schema.comments", api.ConfigBoolean, "false", "column comments are not read"),
		cdcconfig.AtDefault("internal.offset.activity.monitor.interval.ms", api.ConfigLong, "600000", "an internal Debezium switch"),
		cdcconfig.AtDefault("internal.signal.processor.semaphore.wait.ms", api.ConfigLong, "10000", "an internal Debezium switch"),
		cdcconfig.AtDefault("internal.signal.synchronous.batch.size", api.ConfigInt, "10", "an internal Debezium switch"),
		cdcconfig.AtDefault("legacy.snapshot.max.threads", api.ConfigBoolean, "false", "connectd snapshots one table at a time"),
		cdcconfig.AtDefault("lsn.flush.timeout.action", api.ConfigString, "fail", "a flush the server does not confirm fails the task"),
		cdcconfig.AtDefault("lsn.flush.timeout.ms", api.ConfigLong, "30000", "the flushed LSN is sent with each status update"),
		cdcconfig.AtDefault("memory.management.schemas.class", api.ConfigClass, "io.debezium.relational.ConcurrentMapTableMappingStorage", "the table model is held in memory"),
		cdcconfig.AtDefault("memory.management.tables.class", api.ConfigClass, "io.debezium.relational.ConcurrentMapTableMappingStorage", "the table model is held in memory"),
		cdcconfig.AtDefault("schema.refresh.mode", api.ConfigString, "columns_diff", "the table model is refreshed from each relation message"),
		cdcconfig.AtDefault("signal.emit.failure.backoff.ms", api.ConfigLong, "10000", "the PostgreSQL connector reads no signals yet"),
		cdcconfig.AtDefault("signal.emit.failure.max.retries", api.ConfigInt, "0", "the PostgreSQL connector reads no signals yet"),
		cdcconfig.AtDefault("skip.messages.without.change", api.ConfigBoolean, "false", "every change message is emitted"),
		cdcconfig.AtDefault("slot.failover", api.ConfigBoolean, "false", "the slot is created without failover"),
		cdcconfig.AtDefault("slot.max.retries", api.ConfigInt, "6", "the replication connection is retried as errors.max.retries says"),
		cdcconfig.AtDefault("slot.retry.delay.ms", api.ConfigLong, "10000", "the replication connection is retried as errors.retry.delay.* say"),
		cdcconfig.AtDefault("snapshot.isolation.mode", api.ConfigString, "serializable", "the snapshot reads in one REPEATABLE READ, READ ONLY transaction on the slot's exported snapshot"),
		cdcconfig.AtDefault("snapshot.locking.mode", api.ConfigString, "none", "the snapshot takes no table locks"),
		cdcconfig.AtDefault("sourceinfo.struct.maker", api.ConfigClass, "io.debezium.connector.postgresql.PostgresSourceInfoStructMaker", "the source block is Debezium's default one"),
		cdcconfig.AtDefault("statistics.metrics.enabled", api.ConfigBoolean, "true", "connectd's metrics are always on"),
		cdcconfig.Refused(cdcconfig.Converters, api.ConfigList, "custom converters are Java classes"),
		cdcconfig.Refused(cdcconfig.RetriableRestartWaitMs, api.ConfigLong, "errors.retry.delay.initial.ms and errors.retry.delay.max.ms set the waits between reconnections"),
		cdcconfig.Refused("database.include.list", api.ConfigList, "the PostgreSQL connector captures one database, database.dbname"),
		cdcconfig.Refused("database.exclude.list", api.ConfigList, "the PostgreSQL connector captures one database, database.dbname"),
		cdcconfig.Refused("database.sslfactory", api.ConfigString, "it names a Java SSLSocketFactory; use database.sslrootcert/sslcert/sslkey"),
		cdcconfig.Refused("event.converting.failure.handling.mode", api.ConfigString, "a value that cannot be converted stops the task"),
		cdcconfig.Refused("lsn.flush.mode", api.ConfigString, "the slot's flushed LSN always follows the committed offsets"),
		cdcconfig.Refused("message.prefix.include.list", api.ConfigList, "logical decoding messages are not captured"),
		cdcconfig.Refused("message.prefix.exclude.list", api.ConfigList, "logical decoding messages are not captured"),
		cdcconfig.Refused("notification.http.url", api.ConfigString, "connectd sends no notifications"),
		cdcconfig.Refused("notification.http.allow.private.networks", api.ConfigBoolean, "connectd sends no notifications"),
		cdcconfig.Refused("notification.http.retries", api.ConfigInt, "connectd sends no notifications"),
		cdcconfig.Refused("notification.http.timeout.ms", api.ConfigInt, "connectd sends no notifications"),
		cdcconfig.Refused("replica.identity.autoset.values", api.ConfigString, "replica identities are not changed by the connector"),
		cdcconfig.Refused("snapshot.locking.mode.custom.name", api.ConfigString, "there are no custom locking modes"),
	)
}
