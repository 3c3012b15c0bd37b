package javafmt

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// StringHash returns hashCode() of the Java String holding s: s[0]*31^(n-1) + ... + s[n-1] over
// its UTF-16 code units, in 32-bit two's complement arithmetic. A character outside the Basic
// Multilingual Plane counts as its two surrogates, and invalid UTF-8 as the U+FFFD characters
// Java's decoder would have put in its place (one per maximal invalid subpart, as AppendString).
func StringHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			h = 31*h + utf8.RuneError
			i += invalidRun(s[i:])
		case r > 0xFFFF:
			r -= 0x10000
			h = 31*h + (0xD800 + r>>10)
			h = 31*h + (0xDC00 + r&0x3FF)
			i += size
		default:
			h = 31*h + r
			i += size
		}
	}
	return h
}

// HashMapTableSize returns the number of buckets of a java.util.HashMap made with new
// HashMap<>() after n keys were put into it one by one: 16, doubled whenever the size exceeds
// three quarters (the default load factor) of the buckets.
func HashMapTableSize(n int) int {
	size := 16
	for n > size/4*3 {
		size *= 2
	}
	return size
}

// bucket is the bucket of key s in a table of mask+1 buckets: HashMap.hash spreads the high bits
// of the hash code down (h ^ h>>>16) before masking, so keys differing only there still spread.
func bucket(s string, mask uint32) uint32 {
	h := uint32(StringHash(s))
	return (h ^ h>>16) & mask
}

// HashMapOrder sorts keys, given in the order they were put, into the order in which a
// java.util.HashMap made with new HashMap<>() and filled by put iterates them: bucket by bucket
// (see HashMapTableSize and StringHash), and inside a bucket in put order, which resizes keep.
// It sorts in place and returns keys.
//
// The order is exact for maps filled by put, except for a bucket holding 8 or more keys in a
// table of 64 or more buckets: Java turns such a bucket into a red-black tree (a "tree bin"),
// which iterates in another order. That needs dozens of colliding keys; the maps these orders are
// for (partitions, offsets, source blocks) hold about ten. A map built another way (the copy
// constructor, putAll into a presized map, Map.of) can iterate differently too.
func HashMapOrder(keys []string) []string {
	return sortByBucket(keys, false)
}

// DebeziumHashMapOrder sorts keys taken from a Go map, which has no order, into the order
// Debezium's HashMap would iterate them: as HashMapOrder, with keys that share a bucket ranked
// by the order Debezium's connectors put them (debeziumPutOrder), and keys Debezium does not put
// after those, in byte order. The result depends only on the set of keys. It sorts in place and
// returns keys; HashMapOrder's tree-bin caveat applies.
func DebeziumHashMapOrder(keys []string) []string {
	return sortByBucket(keys, true)
}

// smallMap is the most keys sorted with buckets held on the stack; offsets and partitions have
// fewer, so their encoding allocates nothing.
const smallMap = 16

// sortByBucket sorts keys by bucket, stable, breaking ties by Debezium's put order when debezium
// is set (else the input order stands as the put order).
func sortByBucket(keys []string, debezium bool) []string {
	n := len(keys)
	if n < 2 {
		return keys
	}
	mask := uint32(HashMapTableSize(n) - 1)
	if n > smallMap {
		return sortLarge(keys, mask, debezium)
	}
	// Insertion sort on precomputed buckets: for a handful of keys this beats a general sort,
	// and it is stable, which HashMapOrder relies on.
	var stack [smallMap]uint32
	buckets := stack[:n]
	for i, k := range keys {
		buckets[i] = bucket(k, mask)
	}
	for i := 1; i < n; i++ {
		k, b := keys[i], buckets[i]
		j := i
		for ; j > 0 && (b < buckets[j-1] || b == buckets[j-1] && debezium && putBefore(k, keys[j-1])); j-- {
			keys[j], buckets[j] = keys[j-1], buckets[j-1]
		}
		keys[j], buckets[j] = k, b
	}
	return keys
}

// putBefore reports whether Debezium puts key a before key b: a ranks before b in
// debeziumPutOrder, or neither is there and a sorts first.
func putBefore(a, b string) bool {
	if ra, rb := putRank(a), putRank(b); ra != rb {
		return ra < rb
	}
	return a < b
}

// sortLarge is sortByBucket for maps too big for insertion sort.
func sortLarge(keys []string, mask uint32, debezium bool) []string {
	type entry struct {
		bucket uint32
		rank   int
		key    string
	}
	es := make([]entry, len(keys))
	for i, k := range keys {
		es[i] = entry{bucket: bucket(k, mask), key: k}
		if debezium {
			es[i].rank = putRank(k)
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.bucket, b.bucket); c != 0 || !debezium {
			return c
		}
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	for i := range es {
		keys[i] = es[i].key
	}
	return keys
}

// debeziumPutOrder lists the keys of Debezium's partition and offset maps in an order consistent
// with the order every connector puts them into its HashMap. Only the relative order of keys put
// into the same map, and sharing a bucket there, matters; each connector's put sequence below is
// a subsequence of the list (checked in Debezium 3.x's sources):
//
//   - partitions: server, then database (SqlServerPartition, Collect.hashMapOf);
//   - MySQL and MariaDB, BinlogOffsetContext.offsetUsingPosition then getOffset: server_id,
//     gtids, file, pos, event, row, ts_sec, then snapshot;
//   - PostgreSQL, PostgresOffsetContext.getOffset: ts_usec, txId, lsn, xmin, snapshot,
//     last_snapshot_record, snapshot_completed, lsn_proc, lsn_commit, messageType,
//     lsn_events_processed;
//   - SQL Server (SqlServerOffsetContext.getOffset) and Db2: snapshot, snapshot_completed,
//     commit_lsn, change_lsn, event_serial_no;
//   - then, for all of them while streaming, TransactionContext.store (transaction_id, then one
//     transaction_data_collection_order_<table> per table) and IncrementalSnapshotContext.store
//     (primary key, maximum key, collections, correlation id).
//
// task_id and incremental_snapshot_window_opened are not put by Debezium 3.x; they are kept,
// last of their groups, so maps written by earlier connectd versions keep their order.
var debeziumPutOrder = []string{
	"server", "database", "task_id",
	"server_id", "gtids", "file", "pos", "event", "row", "ts_sec",
	"ts_usec", "txId", "lsn", "xmin",
	"snapshot", "last_snapshot_record", "snapshot_completed",
	"lsn_proc", "lsn_commit", "messageType", "lsn_events_processed",
	"commit_lsn", "change_lsn", "event_serial_no",
	"transaction_id", transactionOrderPrefix,
	"incremental_snapshot_primary_key", "incremental_snapshot_maximum_key",
	"incremental_snapshot_collections", "incremental_snapshot_correlation_id",
	"incremental_snapshot_window_opened",
}

// transactionOrderPrefix starts the per-table event counts TransactionContext.store puts, one key
// per table, which all rank where the prefix stands in debeziumPutOrder.
const transactionOrderPrefix = "transaction_data_collection_order_"

var debeziumRank = func() map[string]int {
	m := make(map[string]int, len(debeziumPutOrder))
	for i, k := range debeziumPutOrder {
		m[k] = i
	}
	return m
}()

// putRank is k's position in debeziumPutOrder, after all of them when Debezium does not put k.
func putRank(k string) int {
	if r, ok := debeziumRank[k]; ok {
		return r
	}
	if strings.HasPrefix(k, transactionOrderPrefix) {
		return debeziumRank[transactionOrderPrefix]
	}
	return len(debeziumPutOrder)
}
