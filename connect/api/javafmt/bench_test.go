package javafmt

import (
	"strings"
	"testing"
)

// benchStrings are what the hot paths quote: offset and schema field names, binlog file names,
// GTID sets, and a row's text column.
var benchStrings = map[string]string{
	"key":   "server_id",
	"file":  "mysql-bin.000003",
	"gtids": "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5012",
	"text":  strings.Repeat("Customer since 2019, prefers e-mail; ", 9),
	"utf8":  strings.Repeat("Grüße aus Köln, 東京 😀; ", 8),
	"ddl":   "CREATE TABLE `t` (\n  `id` INT NOT NULL,\n  `name` VARCHAR(20) DEFAULT \"x\",\n  PRIMARY KEY (`id`)\n)",
}

func BenchmarkAppendString(b *testing.B) {
	for _, name := range []string{"key", "file", "gtids", "text", "utf8", "ddl"} {
		s := benchStrings[name]
		b.Run(name, func(b *testing.B) {
			dst := make([]byte, 0, 2*len(s)+64)
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendString(dst[:0], s)
			}
		})
	}
}

func BenchmarkAppendDouble(b *testing.B) {
	for name, f := range map[string]float64{"plain": 123456.789, "integral": 100, "sci": 1.2345678e-5, "random": 0.30000000000000004} {
		b.Run(name, func(b *testing.B) {
			dst := make([]byte, 0, 32)
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendDouble(dst[:0], f)
			}
		})
	}
}

func BenchmarkDebeziumHashMapOrder(b *testing.B) {
	for name, keys := range map[string][]string{
		"mysql":     {"server_id", "ts_sec", "gtids", "file", "pos", "event", "row", "transaction_id"},
		"partition": {"server"},
		"postgres":  {"ts_usec", "txId", "lsn", "lsn_proc", "lsn_commit", "messageType"},
	} {
		b.Run(name, func(b *testing.B) {
			work := make([]string, len(keys))
			b.ReportAllocs()
			for b.Loop() {
				copy(work, keys)
				DebeziumHashMapOrder(work)
			}
		})
	}
}
