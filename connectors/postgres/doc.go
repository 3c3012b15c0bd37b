// Package postgres is connectd's PostgreSQL source connector, a drop-in for Debezium's
// io.debezium.connector.postgresql.PostgresConnector: the same properties (slot.name,
// publication.name, publication.autocreate.mode, snapshot.mode, schema/table include lists, ...),
// the same change events, topics and offsets.
//
// It reads the database through logical replication with the built-in pgoutput plugin
// (pglogrepl over pgx's pgconn):
//
//   - Start decides from the stored offset, the replication slot and snapshot.mode what to do
//     (package snapshotmode). A stored offset whose slot is gone, invalidated, or confirmed past
//     the offset is a purged position: the task fails with an explanation under
//     snapshot.mode=initial, and takes a new snapshot under when_needed. A new slot is never
//     created silently for an existing offset.
//   - A snapshot creates the slot with EXPORT_SNAPSHOT and reads the tables in one
//     REPEATABLE READ transaction that imports that snapshot, so the snapshot and the stream meet
//     exactly at the slot's consistent point.
//   - Streaming decodes pgoutput messages in order. Relation messages rebuild a table's schemas
//     (ALTER TABLE); values are the server's text output mapped by package pgtypes.
//   - Offsets are Debezium's (lsn, lsn_proc, lsn_commit, txId, ts_usec, messageType,
//     lsn_events_processed). A restart resumes at lsn_commit and skips the events of a replayed
//     transaction that were already emitted, so Debezium's offsets work here and ours in Debezium.
//   - The LSN confirmed to the server is the lsn_commit of the offsets the runtime committed
//     (Task.Commit), so the slot never moves past what Kafka holds.
//   - Heartbeats carry, between transactions, the server's WAL end from keepalives, so the slot
//     advances while only uncaptured tables change and WAL does not pile up.
//   - On PostgreSQL 14+ pgoutput protocol 2 streams transactions larger than
//     logical_decoding_work_mem while they run; they are spooled to a temporary file and emitted
//     whole at their commit, in commit order (rolled-back savepoints and transactions dropped), so
//     memory stays bounded by the queue whatever the transaction's size.
//   - A broken replication connection is reopened and streaming resumes after the events already
//     queued, without a task restart.
//
// Memory: one reader goroutine owns the connections and table structures; records go through a
// bounded queue (max.queue.size, max.queue.size.in.bytes) to Poll. Per-table encoders (package
// envelope schemas plus package pgtypes decoders) are built once per Relation message version.
package postgres
