package api

import "time"

// SourceRecord is one record a source task hands to the runtime, as Kafka Connect's SourceRecord.
//
// SourcePartition and SourceOffset are the connector's position: the runtime stores the offset of
// the last record Kafka acknowledged for each partition. A connector that must not resume inside a
// transaction sets on every record an offset from which a restart is safe (Debezium's event/row
// skip counters), so the runtime never has to know where transactions begin or end.
type SourceRecord struct {
	SourcePartition map[string]any
	SourceOffset    map[string]any
	Topic           string
	// Partition is the Kafka partition, or -1 to let the producer's murmur2 partitioner choose from
	// the key bytes, as Kafka Connect does when a connector leaves it null.
	Partition   int32
	KeySchema   *Schema
	Key         any
	ValueSchema *Schema
	Value       any
	// Timestamp is the record's Kafka timestamp; the zero time lets the producer set it.
	Timestamp time.Time
	Headers   []Header
}

// Header is one Kafka record header with its Connect schema.
type Header struct {
	Key    string
	Schema *Schema
	Value  any
}
