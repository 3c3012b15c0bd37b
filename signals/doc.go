// Package signals reads Debezium's signals and turns them into actions a connector performs
// while it streams: ad hoc incremental and blocking snapshots, stopping, pausing and resuming
// them, and log messages. It holds the signal format (Parse), the channels signals arrive on
// (the signal table, a Kafka topic, a file, the REST API) and the notifications a connector
// sends about its snapshots (a Kafka topic in Debezium's format, the log).
//
// A malformed or unknown signal is never fatal: it is logged with its id and the reason and
// dropped, and the connector keeps streaming, as in Debezium.
package signals
