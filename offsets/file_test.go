package offsets

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

func newFileStore(t *testing.T, path string) *FileStore {
	t.Helper()
	s := NewFileStore(path, 0)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestFileStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "connect.offsets")
	s := newFileStore(t, path)
	sqlserver := map[string]any{"server": "server1", "database": "testDB"}
	if err := s.Set(ctx, "inventory-connector", []api.PartitionOffset{{Partition: mysqlPartition, Offset: mysqlOffset(154)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "sqlserver-connector", []api.PartitionOffset{{Partition: sqlserver, Offset: map[string]any{"commit_lsn": "00000025:00000d98:00a2", "event_serial_no": 1}}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"format":"connectd-offsets","version":1,"offsets":[
{"key":["inventory-connector",{"server":"dbserver1"}],"value":{"ts_sec":1700000000,"file":"mysql-bin.000003","pos":154,"row":1,"server_id":223344}},
{"key":["sqlserver-connector",{"server":"server1","database":"testDB"}],"value":{"event_serial_no":1,"commit_lsn":"00000025:00000d98:00a2"}}
]}
`
	if string(data) != want {
		t.Errorf("file content\n%s\nwant\n%s", data, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A restarted worker reads it back, with JSON integers as int64.
	s2 := newFileStore(t, path)
	got, err := s2.Get(ctx, "sqlserver-connector", []map[string]any{{"database": "testDB", "server": "server1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got[0], map[string]any{"commit_lsn": "00000025:00000d98:00a2", "event_serial_no": int64(1)}) {
		t.Fatalf("got %#v", got[0])
	}
	if err := s2.Delete(ctx, "inventory-connector", []map[string]any{mysqlPartition}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s2.List(ctx, "inventory-connector"); len(list) != 0 {
		t.Fatalf("after delete: %v", list)
	}
	// No temporary files left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("left a temporary file: %s", e.Name())
		}
	}
}

func TestFileStoreCorruptFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "connect.offsets")
	s := newFileStore(t, path)
	if err := s.Set(ctx, "c", []api.PartitionOffset{{Partition: mysqlPartition, Offset: mysqlOffset(1)}}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	good, _ := os.ReadFile(path)

	for name, content := range map[string]string{
		"torn":         string(good[:len(good)/2]),
		"empty":        "",
		"garbage":      "\x00\x01java serialization\xac\xed",
		"wrong format": `{"format":"something-else","version":1,"offsets":[]}`,
		"bad entry":    `{"format":"connectd-offsets","version":1,"offsets":[{"key":["c"],"value":{}}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			s := NewFileStore(path, 0)
			err := s.Start(ctx)
			if err == nil {
				_ = s.Close()
				t.Fatal("a damaged offset file was accepted")
			}
			for _, want := range []string{path, "restore it from a backup", "move the file away"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q: %v", want, err)
				}
			}
			// The damaged file is left as it was, for the operator to inspect.
			if now, _ := os.ReadFile(path); string(now) != content {
				t.Error("the damaged file was modified")
			}
		})
	}
}

func TestFileStoreEditedByHand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "connect.offsets")
	s := newFileStore(t, path)
	if err := s.Set(ctx, "c", []api.PartitionOffset{{Partition: mysqlPartition, Offset: mysqlOffset(1)}}); err != nil {
		t.Fatal(err)
	}
	// An operator rewrites the offset in the file (any spacing) while the worker runs.
	edited := `{"format":"connectd-offsets","version":1,"offsets":[
  {"key": [ "c", {"server": "dbserver1"} ], "value": {"file": "mysql-bin.000009", "pos": 4}}
]}`
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// Make sure the modification is visible even on file systems with coarse timestamps.
	later := time.Now().Add(2 * time.Second)
	_ = os.Chtimes(path, later, later)
	got, err := s.Get(ctx, "c", []map[string]any{mysqlPartition})
	if err != nil {
		t.Fatal(err)
	}
	if got[0]["file"] != "mysql-bin.000009" {
		t.Fatalf("hand edit not seen: %v", got[0])
	}
}

func TestFileStoreLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "connect.offsets")
	newFileStore(t, path)
	s2 := NewFileStore(path, 0)
	err := s2.Start(context.Background())
	if err == nil {
		_ = s2.Close()
		t.Fatal("two stores opened the same file")
	}
	if !strings.Contains(err.Error(), "another process") {
		t.Errorf("unclear error: %v", err)
	}
	if err := NewFileStore(filepath.Join(t.TempDir(), "missing", "x"), 0).Start(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing directory: %v", err)
	}
}

func TestFileStoreHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "connect.offsets")
	s := NewFileStore(path, 2)
	clock := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int64{1, 2, 2, 3} {
		if err := s.Set(ctx, "c", []api.PartitionOffset{{Partition: mysqlPartition, Offset: mysqlOffset(pos)}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Close()
	s2 := newFileStore(t, path)
	h, err := s2.History(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Offset["pos"] != int64(2) || h[1].Offset["pos"] != int64(3) {
		t.Fatalf("history %v", h)
	}
	if !h[0].Time.Equal(time.Date(2025, 3, 1, 10, 2, 0, 0, time.UTC)) {
		t.Errorf("history time %v", h[0].Time)
	}
	data, _ := os.ReadFile(path + ".history")
	if !strings.HasPrefix(string(data), `{"format":"connectd-offset-history","version":1,"history":[`) {
		t.Errorf("history file: %s", data)
	}
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore(0)
	r := ReaderFor(s, "c")
	if off, err := r.Offset(ctx, mysqlPartition); off != nil || err != nil {
		t.Fatalf("empty: %v %v", off, err)
	}
	// Values are stored as a reader of the topic would see them: int becomes int64, bytes base64.
	if err := s.Set(ctx, "c", []api.PartitionOffset{{Partition: mysqlPartition, Offset: map[string]any{"pos": 5, "b": []byte{1}}}}); err != nil {
		t.Fatal(err)
	}
	off, _ := r.Offset(ctx, map[string]any{"server": "dbserver1"})
	if !reflect.DeepEqual(off, map[string]any{"pos": int64(5), "b": "AQ=="}) {
		t.Fatalf("got %#v", off)
	}
	// Returned maps are copies.
	off["pos"] = int64(99)
	off2, _ := r.Offset(ctx, mysqlPartition)
	if off2["pos"] != int64(5) {
		t.Fatal("caller's change leaked into the store")
	}
	// A batch with an invalid entry writes nothing.
	err := s.Set(ctx, "c", []api.PartitionOffset{
		{Partition: mysqlPartition, Offset: map[string]any{"pos": 6}},
		{Partition: map[string]any{"server": "x"}, Offset: map[string]any{"nested": map[string]any{"a": 1}}},
	})
	if err == nil {
		t.Fatal("nested offset accepted")
	}
	if off, _ := r.Offset(ctx, mysqlPartition); off["pos"] != int64(5) {
		t.Fatal("part of a rejected batch was written")
	}
}
