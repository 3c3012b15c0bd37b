package schemahistory

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
)

// The replay benchmarks rebuild the model of 1,000 tables from 100,000 records: each table is
// created once and altered 99 times, every record carrying the table's whole structure as
// Debezium's do. Tables have 6 to 14 columns of MySQL types plus 0 to 3 added by the ALTERs.
const (
	benchTables  = 1000
	benchRecords = 100_000
)

var benchColumnTypes = []relational.Column{
	{JDBCType: relational.TypeBigInt, TypeName: "BIGINT", TypeExpression: "BIGINT", Length: relational.Int(20)},
	{JDBCType: relational.TypeVarchar, TypeName: "VARCHAR", TypeExpression: "VARCHAR", Length: relational.Int(255), Optional: true},
	{JDBCType: relational.TypeDecimal, TypeName: "DECIMAL", TypeExpression: "DECIMAL", Length: relational.Int(12), Scale: relational.Int(2),
		HasDefaultValue: true, DefaultValueExpression: relational.String("0.00")},
	{JDBCType: relational.TypeTimestampWithTimezone, TypeName: "TIMESTAMP", TypeExpression: "TIMESTAMP", Length: relational.Int(3), Optional: true, HasDefaultValue: true},
	{JDBCType: relational.TypeChar, TypeName: "ENUM", TypeExpression: "ENUM", Length: relational.Int(1), EnumValues: []string{"'new'", "'paid'", "'shipped'"}},
	{JDBCType: relational.TypeInteger, TypeName: "INT", TypeExpression: "INT", Length: relational.Int(11), Optional: true},
}

func benchTable(tb testing.TB, i, k int) *relational.Table {
	n := 6 + i%9 + k%4
	cols := make([]relational.Column, n)
	for c := range cols {
		cols[c] = benchColumnTypes[c%len(benchColumnTypes)]
		cols[c].Name = fmt.Sprintf("col_%d", c)
	}
	cols[0].Name, cols[0].AutoIncremented, cols[0].Generated = "id", true, true
	t, err := relational.NewTable(relational.TableID{Catalog: fmt.Sprintf("db%d", i%10), Table: fmt.Sprintf("table_%d", i)}, cols, []string{"id"}, "utf8mb4")
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// benchHistory calls emit with the encoded benchmark records in history order.
func benchHistory(tb testing.TB, emit func([]byte)) {
	buf := make([]byte, 0, 8<<10)
	perTable := benchRecords / benchTables
	for k := range perTable {
		for i := range benchTables {
			n := k*benchTables + i
			typ, ddl := Alter, fmt.Sprintf("ALTER TABLE table_%d ADD COLUMN c%d INT", i, k)
			if k == 0 {
				typ, ddl = Create, fmt.Sprintf("CREATE TABLE table_%d (...)", i)
			}
			t := benchTable(tb, i, k)
			rec := &Record{
				Source:       map[string]any{"server": "bench"},
				Position:     map[string]any{"ts_sec": int64(1700000000 + n/100), "file": "mysql-bin.000042", "pos": int64(4 + 300*n), "gtids": fmt.Sprintf("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-%d", n+1), "server_id": int64(1)},
				TsMs:         int64(1700000000000 + n),
				DatabaseName: t.ID.Catalog,
				DDL:          ddl,
				TableChanges: []TableChange{{Type: typ, ID: t.ID, Table: t}},
			}
			var err error
			if buf, err = AppendRecord(buf[:0], rec, Compact); err != nil {
				tb.Fatal(err)
			}
			emit(buf)
		}
	}
}

// memoryHistory holds the benchmark history encoded, as a MemoryStore would.
func memoryHistory(tb testing.TB) (*MemoryStore, int) {
	s := NewMemoryStore(true)
	size := 0
	benchHistory(tb, func(b []byte) {
		s.AppendRaw(append([]byte(nil), b...))
		size += len(b)
	})
	return s, size
}

func benchReplay(b *testing.B, store Store, size int) {
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	var tables *relational.Tables
	for b.Loop() {
		tables = relational.NewTables(false)
		st, err := Replay(context.Background(), store, tables, ReplayOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if st.Applied != benchRecords {
			b.Fatalf("applied %d records", st.Applied)
		}
	}
	b.StopTimer()
	if tables.Len() != benchTables {
		b.Fatalf("replay built %d tables", tables.Len())
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(size)/benchRecords, "bytes/record")
}

// BenchmarkReplay100k decodes and applies 100,000 history records held in memory.
func BenchmarkReplay100k(b *testing.B) {
	store, size := memoryHistory(b)
	benchReplay(b, store, size)
}

// BenchmarkReplay100kFile replays the same history from a FileStore, streaming it from disk: the
// path a standalone connector takes, and the one to measure peak memory on (the history is not
// held in memory).
func BenchmarkReplay100kFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.dat")
	s, err := OpenFile(path, FileOptions{CatalogBeforeSchema: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	size := 0
	var batch []*Record
	dec := NewDecoder(true)
	flush := func() {
		if err := s.Record(context.Background(), batch...); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	benchHistory(b, func(raw []byte) {
		rec, err := dec.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		batch = append(batch, rec)
		size += len(raw) + 1
		if len(batch) == 1000 {
			flush()
		}
	})
	flush()
	benchReplay(b, s, size)
}

// BenchmarkEncodeRecord measures writing one record of a 10-column table.
func BenchmarkEncodeRecord(b *testing.B) {
	rec := &Record{
		Source:       map[string]any{"server": "bench"},
		Position:     map[string]any{"file": "mysql-bin.000042", "pos": int64(4), "server_id": int64(1)},
		DatabaseName: "db1",
		DDL:          "ALTER TABLE t ADD COLUMN c INT",
		TableChanges: []TableChange{{Type: Alter, ID: relational.TableID{Catalog: "db1", Table: "t"}, Table: benchTable(b, 4, 0)}},
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendRecord(buf[:0], rec, Pretty); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}
