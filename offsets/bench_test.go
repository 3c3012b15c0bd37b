package offsets

import (
	"context"
	"fmt"
	"testing"

	"github.com/connectd/connectd/connect/api"
)

// debeziumMySQLOffset is what MySqlOffsetContext.getOffset returns while streaming with GTIDs.
func debeziumMySQLOffset() map[string]any {
	return map[string]any{
		"server_id": int64(223344), "ts_sec": int64(1700000000), "gtids": "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5012",
		"file": "mysql-bin.000003", "pos": int64(154), "event": int64(2), "row": int64(1), "transaction_id": nil,
	}
}

func BenchmarkEncodeOffsetMySQL(b *testing.B) {
	off := debeziumMySQLOffset()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeOffset(off); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeKeyMySQL(b *testing.B) {
	part := map[string]any{"server": "dbserver1"}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendKey(buf[:0], "inventory-connector", part); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOffsetMySQL(b *testing.B) {
	value, _ := EncodeOffset(debeziumMySQLOffset())
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeOffset(value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKafkaSet10000 commits 10,000 partitions' offsets in one Set to the real broker (acks=all).
func BenchmarkKafkaSet10000(b *testing.B) {
	f := newKafkaFixture(b)
	s := f.store(b)
	entries := make([]api.PartitionOffset, 10000)
	for i := range entries {
		entries[i] = api.PartitionOffset{Partition: map[string]any{"server": fmt.Sprintf("db%05d", i)}, Offset: debeziumMySQLOffset()}
	}
	ctx := context.Background()
	pos := int64(0)
	for b.Loop() {
		pos++
		for i := range entries {
			entries[i].Offset["pos"] = pos
		}
		if err := s.Set(ctx, "bench", entries); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKafkaGet is the cost of a Get when nothing new was written: one ListOffsets round trip
// to find the end, then a map lookup.
func BenchmarkKafkaGet(b *testing.B) {
	f := newKafkaFixture(b)
	s := f.store(b)
	ctx := context.Background()
	part := map[string]any{"server": "dbserver1"}
	if err := s.Set(ctx, "bench", []api.PartitionOffset{{Partition: part, Offset: debeziumMySQLOffset()}}); err != nil {
		b.Fatal(err)
	}
	parts := []map[string]any{part}
	for b.Loop() {
		if _, err := s.Get(ctx, "bench", parts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKafkaSetOne is one connector commit: one offset plus its history list, acks=all.
func BenchmarkKafkaSetOne(b *testing.B) {
	f := newKafkaFixture(b)
	s := f.store(b)
	ctx := context.Background()
	entry := []api.PartitionOffset{{Partition: map[string]any{"server": "dbserver1"}, Offset: debeziumMySQLOffset()}}
	pos := int64(0)
	for b.Loop() {
		pos++
		entry[0].Offset["pos"] = pos
		if err := s.Set(ctx, "bench", entry); err != nil {
			b.Fatal(err)
		}
	}
}
