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
	spec = cdcconfig.Complete(spec)
	for _, k := range []struct {
		name string
		typ  api.ConfigType
		def  string
		why  string
	}{
		{cdcconfig.IncrementalSnapshotChunkSize, api.ConfigInt, "1024", "the PostgreSQL connector has no incremental snapshots yet"},
		{cdcconfig.SignalEnabledChannels, api.ConfigList, "source", "the PostgreSQL connector reads no signals yet"},
		{"database.tcpKeepAlive", api.ConfigBoolean, "true", "connections always use TCP keep-alive"},
		{"flush.lsn.source", api.ConfigBoolean, "true", "the slot's flushed LSN follows the committed offsets"},
		{"include.schema.comments", api.ConfigBoolean, "false", "column comments are not read"},
		{"internal.offset.activity.monitor.interval.ms", api.ConfigLong, "600000", "an internal Debezium switch"},
		{"internal.signal.processor.semaphore.wait.ms", api.ConfigLong, "10000", "an internal Debezium switch"},
		{"internal.signal.synchronous.batch.size", api.ConfigInt, "10", "an internal Debezium switch"},
		{"legacy.snapshot.max.threads", api.ConfigBoolean, "false", "connectd snapshots one table at a time"},
		{"lsn.flush.timeout.action", api.ConfigString, "fail", "a flush the server does not confirm fails the task"},
		{"lsn.flush.timeout.ms", api.ConfigLong, "30000", "the flushed LSN is sent with each status update"},
		{"memory.management.schemas.class", api.ConfigClass, "io.debezium.relational.ConcurrentMapTableMappingStorage", "the table model is held in memory"},
		{"memory.management.tables.class", api.ConfigClass, "io.debezium.relational.ConcurrentMapTableMappingStorage", "the table model is held in memory"},
		{"schema.refresh.mode", api.ConfigString, "columns_diff", "the table model is refreshed from each relation message"},
		{"signal.emit.failure.backoff.ms", api.ConfigLong, "10000", "the PostgreSQL connector reads no signals yet"},
		{"signal.emit.failure.max.retries", api.ConfigInt, "0", "the PostgreSQL connector reads no signals yet"},
		{"skip.messages.without.change", api.ConfigBoolean, "false", "every change message is emitted"},
		{"slot.failover", api.ConfigBoolean, "false", "the slot is created without failover"},
		{"slot.max.retries", api.ConfigInt, "6", "the replication connection is retried as errors.max.retries says"},
		{"slot.retry.delay.ms", api.ConfigLong, "10000", "the replication connection is retried as errors.retry.delay.* say"},
		{"snapshot.isolation.mode", api.ConfigString, "serializable", "the snapshot reads in one REPEATABLE READ, READ ONLY transaction on the slot's exported snapshot"},
		{"snapshot.locking.mode", api.ConfigString, "none", "the snapshot takes no table locks"},
		{"sourceinfo.struct.maker", api.ConfigClass, "io.debezium.connector.postgresql.PostgresSourceInfoStructMaker", "the source block is Debezium's default one"},
		{"statistics.metrics.enabled", api.ConfigBoolean, "true", "connectd's metrics are always on"},
	} {
		spec = cdcconfig.AddAtDefault(spec, k.name, k.typ, k.def, k.why)
	}
	for _, k := range []struct {
		name string
		typ  api.ConfigType
		why  string
	}{
		{cdcconfig.Converters, api.ConfigList, "custom converters are Java classes"},
		{cdcconfig.RetriableRestartWaitMs, api.ConfigLong, "errors.retry.delay.initial.ms and errors.retry.delay.max.ms set the waits between reconnections"},
		{"database.include.list", api.ConfigList, "the PostgreSQL connector captures one database, database.dbname"},
		{"database.exclude.list", api.ConfigList, "the PostgreSQL connector captures one database, database.dbname"},
		{"database.sslfactory", api.ConfigString, "it names a Java SSLSocketFactory; use database.sslrootcert/sslcert/sslkey"},
		{"event.converting.failure.handling.mode", api.ConfigString, "a value that cannot be converted stops the task"},
		{"lsn.flush.mode", api.ConfigString, "the slot's flushed LSN always follows the committed offsets"},
		{"message.prefix.include.list", api.ConfigList, "logical decoding messages are not captured"},
		{"message.prefix.exclude.list", api.ConfigList, "logical decoding messages are not captured"},
		{"notification.http.url", api.ConfigString, "connectd sends no notifications"},
		{"notification.http.allow.private.networks", api.ConfigBoolean, "connectd sends no notifications"},
		{"notification.http.retries", api.ConfigInt, "connectd sends no notifications"},
		{"notification.http.timeout.ms", api.ConfigInt, "connectd sends no notifications"},
		{"replica.identity.autoset.values", api.ConfigString, "replica identities are not changed by the connector"},
		{"snapshot.locking.mode.custom.name", api.ConfigString, "there are no custom locking modes"},
	} {
		spec = cdcconfig.AddRefused(spec, k.name, k.typ, k.why)
	}
	return spec
}
