package schemahistory

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
)

func recoverAll(t *testing.T, s Store) []*Record {
	t.Helper()
	var out []*Record
	if err := s.Recover(t.Context(), func(r *Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// testRecords returns n records creating and altering a few tables, as a connector writes them.
func testRecords(t testing.TB, n int) []*Record {
	t.Helper()
	recs := make([]*Record, n)
	for i := range recs {
		id := relational.TableID{Catalog: "shop", Table: fmt.Sprintf("t%d", i%5)}
		cols := []relational.Column{{Name: "id", JDBCType: relational.TypeBigInt, TypeName: "BIGINT", TypeExpression: "BIGINT"}}
		for c := 0; c < i/5; c++ {
			cols = append(cols, relational.Column{Name: fmt.Sprintf("c%d", c), JDBCType: relational.TypeVarchar,
				TypeName: "VARCHAR", TypeExpression: "VARCHAR", Length: relational.Int(10 + c), Optional: true})
		}
		tbl, err := relational.NewTable(id, cols, []string{"id"}, "utf8mb4")
		if err != nil {
			t.Fatal(err)
		}
		typ := Alter
		if i < 5 {
			typ = Create
		}
		recs[i] = &Record{
			Source:       map[string]any{"server": "shop"},
			Position:     map[string]any{"file": "binlog.000001", "pos": int64(100 * (i + 1)), "ts_sec": int64(1700000000 + i)},
			TsMs:         int64(1700000000000 + i),
			DatabaseName: "shop",
			DDL:          fmt.Sprintf("ALTER TABLE %s ADD COLUMN c%d VARCHAR(%d)", id.Table, i/5, 10+i/5),
			TableChanges: []TableChange{{Type: typ, ID: id, Table: tbl}},
		}
	}
	return recs
}

func TestFileStoreWriteRecover(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "history.dat")
	s, err := OpenFile(path, FileOptions{CatalogBeforeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(t.Context()); ok {
		t.Error("a new history file exists")
	}
	recs := testRecords(t, 23)
	if err := s.Record(t.Context(), recs[:3]...); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[3:] {
		if err := s.Record(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := s.Exists(t.Context()); !ok {
		t.Error("a written history file does not exist")
	}
	s.Close()
	if err := s.Record(t.Context(), recs[0]); err == nil {
		t.Error("Record on a closed store succeeded")
	}

	// The file is what Debezium's FileSchemaHistory writes: one compact record per line.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for _, r := range recs {
		b, _ := MarshalRecord(r, Compact)
		want.Write(b)
		want.WriteByte('\n')
	}
	if !bytes.Equal(data, want.Bytes()) {
		t.Fatalf("file content differs from one compact record per line")
	}

	s, err = OpenFile(path, FileOptions{CatalogBeforeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := recoverAll(t, s)
	if len(got) != len(recs) {
		t.Fatalf("recovered %d records, want %d", len(got), len(recs))
	}
	tables := relational.NewTables(false)
	if _, err := Replay(t.Context(), s, tables, ReplayOptions{}); err != nil {
		t.Fatal(err)
	}
	if tables.Len() != 5 || len(tables.Get(relational.TableID{Catalog: "shop", Table: "t2"}).Columns) != 5 {
		t.Errorf("replayed %v", tables)
	}
}

func TestFileStoreReadsDebeziumFile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "mysql-2.3.2-file.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dbhistory.dat")
	// Debezium's other file-based stores start each record with a newline: blank lines are skipped.
	if err := os.WriteFile(path, append([]byte("\n"), src...), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFile(path, FileOptions{CatalogBeforeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tables := relational.NewTables(false)
	st, err := Replay(t.Context(), s, tables, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tbl := tables.Get(relational.TableID{Catalog: "debezium", Table: "test_table"})
	if st.Records != 6 || tbl == nil || strings.Join(tbl.ColumnNames(), ",") != "id,msg" || tbl.Column("msg").Length != relational.Int(255) {
		t.Fatalf("replayed %v, stats %+v", tables, st)
	}
}

func TestFileStoreTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.dat")
	s, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recs := testRecords(t, 3)
	if err := s.Record(t.Context(), recs...); err != nil {
		t.Fatal(err)
	}
	s.Close()
	whole, _ := os.ReadFile(path)
	torn, _ := MarshalRecord(testRecords(t, 4)[3], Compact)
	if err := os.WriteFile(path, append(bytes.Clone(whole), torn[:len(torn)/2]...), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err = OpenFile(path, FileOptions{})
	if !errors.Is(err, ErrTornRecord) || !strings.Contains(err.Error(), path+" line 4") ||
		!strings.Contains(err.Error(), PropFileTruncateTorn+"=true") {
		t.Fatalf("opening a file with a torn last line: %v", err)
	}
	if data, _ := os.ReadFile(path); len(data) == len(whole) {
		t.Fatal("the failed open changed the file")
	}

	s, err = OpenFile(path, FileOptions{TruncateTornRecord: true})
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, whole) {
		t.Fatalf("truncation left %d bytes, want %d", len(data), len(whole))
	}
	if err := s.Record(t.Context(), testRecords(t, 4)[3]); err != nil {
		t.Fatal(err)
	}
	if got := recoverAll(t, s); len(got) != 4 {
		t.Errorf("recovered %d records after the repair, want 4", len(got))
	}
	s.Close()
}

func TestFileStoreLastLineWithoutNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.dat")
	b, _ := MarshalRecord(testRecords(t, 1)[0], Compact)
	if err := os.WriteFile(path, b, 0o644); err != nil { // a whole record, newline missing
		t.Fatal(err)
	}
	s, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatalf("a complete last record without newline was refused: %v", err)
	}
	defer s.Close()
	if err := s.Record(t.Context(), testRecords(t, 2)[1]); err != nil {
		t.Fatal(err)
	}
	if got := recoverAll(t, s); len(got) != 2 {
		t.Errorf("recovered %d records, want 2", len(got))
	}
}

func TestFileStoreMalformedLineAndLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.dat")
	long := testRecords(t, 1)[0]
	long.DDL = strings.Repeat("x", 600<<10) // longer than the reader's buffer
	good, _ := MarshalRecord(long, Compact)
	content := string(good) + "\n" + string(good) + "\n{\"source\":{},\"position\":{},\"ddl\":1}\n" + string(good) + "\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	err = s.Recover(t.Context(), func(r *Record) error {
		if r.DDL != long.DDL {
			t.Errorf("record %d: DDL of %d bytes, want %d", n, len(r.DDL), len(long.DDL))
		}
		n++
		return nil
	})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), path+" line 3") || n != 2 {
		t.Errorf("after %d records: %v; want a malformed-record error naming line 3", n, err)
	}
}
