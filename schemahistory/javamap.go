package schemahistory

import (
	"slices"
	"strings"
	"unicode/utf16"
)

// Debezium builds a record's source and position from the connector's partition and offset maps,
// which are java.util.HashMaps, so their keys appear in HashMap iteration order: by bucket, a
// bucket being the key's String.hashCode spread and masked by the table size. Go maps have no
// order, so javaHashOrder recomputes Java's: a record written here lists its position keys exactly
// as Debezium would have, and a user diffing the two histories sees no difference.

// debeziumKeyOrder is the order in which Debezium's connectors put offset keys into their maps;
// it decides the order of keys that share a HashMap bucket (a bucket keeps insertion order).
var debeziumKeyOrder = []string{
	// MySQL and MariaDB (BinlogOffsetContext.offsetUsingPosition, then getOffset)
	"server_id", "gtids", "file", "pos", "event", "row", "ts_sec", "snapshot",
	// SQL Server and Db2
	"commit_lsn", "change_lsn", "event_serial_no", "snapshot_completed",
	// TransactionContext.store, then IncrementalSnapshotContext.store
	"transaction_id", "transaction_data_collection_order_",
	"incremental_snapshot_collections", "incremental_snapshot_primary_key",
	"incremental_snapshot_maximum_key", "incremental_snapshot_correlation_id",
}

// javaStringHash is java.lang.String.hashCode: the polynomial 31 over the UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			for _, u := range utf16.Encode([]rune(s[i:])) {
				h = 31*h + int32(u)
			}
			return h
		}
		h = 31*h + int32(s[i])
	}
	return h
}

// javaHashOrder returns keys in the iteration order of a java.util.HashMap holding them, created
// with the default capacity (16) and load factor (0.75) and filled one key at a time.
func javaHashOrder(keys []string) []string {
	capacity := 16
	for len(keys) > capacity*3/4 {
		capacity *= 2
	}
	bucket := func(k string) int {
		h := javaStringHash(k)
		h ^= int32(uint32(h) >> 16) // HashMap.hash spreads the high bits down
		return int(uint32(h) & uint32(capacity-1))
	}
	rank := func(k string) int {
		for i, known := range debeziumKeyOrder {
			if k == known || strings.HasSuffix(known, "_") && strings.HasPrefix(k, known) {
				return i
			}
		}
		return len(debeziumKeyOrder)
	}
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b string) int {
		if ba, bb := bucket(a), bucket(b); ba != bb {
			return ba - bb
		}
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return out
}
