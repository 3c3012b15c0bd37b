// Package offsets stores source connector offsets the way Kafka Connect does, so connectd, Kafka
// Connect, Debezium and the usual Kafka tools (kcat, kafka-console-producer, Debezium's FAQ
// procedures) read and write the same records.
//
// # Stores
//
// Store is what the runtime, the REST offsets endpoints and the connectors (through ReaderFor, an
// api.OffsetReader) use. Three implementations:
//
//   - KafkaStore: a compacted topic (offset.storage.topic, default connect-offsets, 25
//     partitions), for distributed mode.
//   - FileStore: a JSON file (offset.storage.file.filename), for standalone mode.
//   - MemoryStore: memory only, for tests.
//
// Set is durable when it returns (acknowledged by Kafka with acks=all and an idempotent producer,
// or fsynced), so a returned Set is the flush. A nil offset in Set, or Delete, writes a tombstone.
// Partitions are identified by their canonical key bytes (EncodeKey), never by Go map identity.
//
// # Record format
//
// Keys and values are what Kafka Connect's JsonConverter writes with schemas disabled (the
// worker's internal converter):
//
//	key   ["inventory-connector",{"server":"dbserver1"}]
//	value {"ts_sec":1700000000,"file":"mysql-bin.000003","pos":154,"row":1,"server_id":223344,"event":2}
//
// Compact JSON. Object fields come in java.util.HashMap iteration order, because Debezium builds
// partitions and offsets as HashMaps and Jackson writes them in iteration order: buckets of
// String.hashCode spread as h^(h>>>16), table of 16 doubled while size > 0.75*table; keys sharing
// a bucket follow Debezium's insertion order for Debezium's field names and byte order for others.
// Strings are escaped as Jackson does (\" \\ \b \t \n \f \r, other controls \u00XX, characters
// beyond U+FFFF as an escaped surrogate pair \uD83D\uDE00, everything else raw UTF-8, '/' as is).
// Integers are Java longs: decoding yields int64 (an integer beyond int64 is an error, never a
// silent wrap as in Java); other numbers float64, written as Java's Double.toString; []byte is a
// base64 string; NaN and infinities are quoted strings, as Jackson writes them. Offsets and
// partitions hold primitive values only, as Kafka Connect's OffsetUtils requires. testdata holds
// golden bytes produced by the real JsonConverter (testdata/gen/GenGoldens.java).
// The Java rules themselves (hash order, escaping, number text) live in package
// connect/api/javafmt, shared with the JSON converter and the schema history.
//
// Records go to partition toPositive(murmur2(key)) % partitions, the Java producer's default
// partitioner (Murmur2, PartitionFor), so a rewrite with kafka-console-producer --property
// parse.key=true --property key.separator=| lands on the partition Kafka Connect uses, and
// compaction keeps only the newest record per key.
//
// # Reading the topic
//
// As Kafka Connect's KafkaOffsetBackingStore, the store keeps the newest offset of every key in
// memory. Every Get and List first reads the topic to its current end: it lists the end offsets
// (last stable offsets: records are read committed, so offsets written in Kafka transactions count
// once committed) and fetches until every partition reaches them. An offset written by any client
// while a connector was stopped is therefore the one the connector starts from. The reader issues
// Fetch requests itself (see package topiclog) to know exactly how far it has read, which a consumer does
// not expose when a partition ends in transaction markers or compacted-away batches.
//
// Hand-written keys. Kafka Connect looks offsets up by exact key bytes, so a key typed with spaces
// or another field order is invisible to it. We decode every key and file it under its canonical
// form: when several spellings of one partition exist, the newest record (by timestamp; the
// canonical spelling on ties) wins, and the next Set of that partition writes tombstones for the
// other spellings so they cannot come back.
//
// Malformed records. A record whose key cannot be attributed to a connector is logged (log/slog,
// with topic, partition and offset) and skipped. A malformed key that still names its connector
// (["name",{broken...) or a malformed value under a connector's key is kept as a BadRecordError:
// Get and List of that connector fail with it (topic, partition, offset, problem, and how to fix
// it: a corrected record with the same key, or a tombstone), so the connector fails with that
// detail instead of starting from the wrong place. Other connectors are unaffected. A later good
// record or tombstone with the same key bytes clears the error.
//
// # Topics
//
// Start creates a missing topic with cleanup.policy=compact (partitions and replication factor
// from the configuration; -1 means the broker's default) and refuses an existing topic whose
// cleanup.policy is not exactly compact, with a message giving the kafka-configs command that
// fixes it: with delete, Kafka drops offsets after retention.ms and connectors silently restart
// from scratch. The partitions of a topic are learnt at Start (and when a leader moves); partitions
// added while the store runs are read after a restart.
//
// # Offset history
//
// An extension of ours: the last N (HistorySize, default 100) committed offsets of every
// connector partition with their commit time, so an operator can see where a connector was and go
// back there (OffsetAt picks the offset in force at a given time). History is written by Set: a
// partition gets an entry when its offset changed (an idle connector committing the same position
// adds nothing); a delete is an entry with a null offset. When the offset found in the store is not
// the last history entry (written by Debezium before a migration, by kafka-console-producer, or by
// hand), it is recorded first, with its record timestamp, so every position the connector resumed
// from is in the history.
//
// Kafka: a separate compacted topic, <offsets topic>-history (1 partition by default), keyed by the
// same canonical key bytes, each value the partition's whole bounded list:
//
//	{"version":1,"entries":[{"ts_ms":1740823260000,"offset":{...}},{"ts_ms":1740823320000,"offset":null}]}
//
// Compaction keeps one record per partition, so the topic stays about N entries per partition. Set
// reads it to its end before appending, so several workers append to the same list. Each commit
// that changes an offset rewrites that partition's list (N entries, typically 20-30 KB at N=100);
// malformed history records are logged and skipped, never fatal.
//
// File store: a sibling file, the offsets file name plus ".history", same entry lists.
//
// # File format (standalone mode)
//
// Kafka Connect's standalone worker stores Java-serialized maps, which we do not read; a connector
// moved from Kafka Connect standalone starts without offsets unless they are written in this format.
// The file is JSON, one offset per line, keys in canonical form, sorted:
//
//	{"format":"connectd-offsets","version":1,"offsets":[
//	{"key":["inventory-connector",{"server":"dbserver1"}],"value":{"file":"mysql-bin.000003","pos":154}}
//	]}
//
// The history file:
//
//	{"format":"connectd-offset-history","version":1,"history":[
//	{"key":["inventory-connector",{"server":"dbserver1"}],"entries":[{"ts_ms":1740823260000,"offset":{"file":"mysql-bin.000003","pos":154}}]}
//	]}
//
// Every Set writes the history file (when it changed), then the offsets file, each atomically:
// temporary file in the same directory, fsync, rename, fsync of the directory. A crash leaves the
// old or the new file, never a mix. A file that does not parse (torn by a disk fault, truncated,
// edited wrongly) stops Start with an error naming the file and the ways out (restore a backup,
// fix it by hand, or move it away to start from scratch on purpose); it is never replaced by an
// empty store. The file may be edited by hand, even while the worker runs: the store notices the
// change (size or modification time) and reloads it before the next read or write. A lock file
// (<name>.lock, flock) keeps two workers from sharing one offsets file.
//
// # Not emulated
//
// HashMap tree bins (8+ keys colliding in one bucket of a 64+ table) and the digits JDK 18 and
// older print for a few doubles (1.0E23 as 9.999999999999999E22); offsets never reach either.
package offsets
