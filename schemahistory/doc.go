// Package schemahistory stores and replays a connector's schema history, compatible with
// Debezium's: the same record format (io.debezium.relational.history.HistoryRecord with
// tableChanges as JsonTableChangeSerializer writes them), the same Kafka topic layout
// (KafkaSchemaHistory: one partition, records without keys, each value pretty-printed as
// Jackson's DefaultPrettyPrinter lays it out) and the same file layout (FileSchemaHistory: one
// compact JSON record per line). A history written by Debezium replays here into
// the table model of package relational, and a history written here replays in Debezium.
//
// On start a historized connector (MySQL, MariaDB, SQL Server, Db2) calls Replay with its stored
// offset: every record at or before that offset is applied to a relational.Tables, from its
// tableChanges when it has them, else through the connector's own DDL parser (the history never
// parses DDL itself, so it imports no connector). While streaming, the connector appends a Record
// for each schema change with Store.Record before it emits events that depend on it.
//
// Differences from Debezium, on purpose:
//   - the Kafka store refuses to start on a topic that would lose history (more than one
//     partition, compaction, finite retention) instead of logging a warning;
//   - a record that is not valid JSON stops the replay with an error naming the topic, partition
//     and offset (or file and line) instead of being skipped, because a skipped schema change
//     silently corrupts every later event of that table.
package schemahistory
