// Package bench is the side-by-side benchmark harness: it runs one workload through connectd and
// through Debezium (Kafka Connect with Debezium's plugins, deploy/testbed/debezium-up), one after
// the other on the same test bed, and through a plain franz-go producer that writes the same bytes
// from memory (the Kafka ceiling).
//
// For each system it measures, on a table of ~600-byte rows:
//
//   - snapshot rows/s: N preloaded rows, from the connector's creation (POST /connectors) to the
//     broker's append time of the N-th record on the change event topic;
//   - streaming events/s: M inserts (transactions of 100 rows) and updates (100 rows per
//     statement) written as fast as the database takes them, from the first write to the append
//     time of the last event;
//   - end-to-end latency p50/p99 at a fixed moderate rate: each row carries the time its inserting
//     statement ran (NOW(6) / statement_timestamp(), autocommit, so the commit follows at once),
//     and latency is the record's LogAppendTime minus that time;
//   - peak RSS (VmHWM) and CPU seconds (utime+stime) of the process under test: the connectd
//     process, or the Kafka Connect JVM.
//
// Every change event topic is created beforehand with message.timestamp.type=LogAppendTime, so
// every "in Kafka" time is the broker's own clock, which is the database's clock too: everything
// runs on one machine. Tables, topics, replication slots and offsets are reset between systems.
//
// The command is tests/bench/run (cmd/bench); results are Markdown files under
// tests/bench/results/.
package bench
