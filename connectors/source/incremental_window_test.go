package source

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/signals"
)

var windowKeySchema = api.StructSchema().Field("k", api.StringSchema).Build()

// windowDB is an IncrementalDB over one table of text keys, "d.t" (topic "p.d.t"), whose chunk
// reads return rows; it implements read-only windows (Watermark counts up) and, when fold is
// set, folds keys as a case-insensitive PAD SPACE collation does.
type windowDB struct {
	rows   []ChunkRow
	fold   bool
	mu     sync.Mutex
	marks  int
	writes int
}

func (d *windowDB) Tables() []string { return []string{"d.t"} }

func (d *windowDB) MaxKey(context.Context, *Collection) ([]any, error) { return []any{"zzz"}, nil }

func (d *windowDB) ReadChunk(_ context.Context, _ *Collection, after, _ []any, _ int) ([]ChunkRow, error) {
	if after != nil {
		return nil, nil
	}
	return d.rows, nil
}

func (d *windowDB) WriteSignal(context.Context, string, string, string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes++
	return errors.New("read-only")
}

func (d *windowDB) ReadRecords(_ *Collection, row ChunkRow, offset map[string]any, _ envelope.Snapshot) ([]*api.SourceRecord, error) {
	return []*api.SourceRecord{keyRecord(row.Key[0].(string), offset)}, nil
}

func (d *windowDB) Watermark(context.Context) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.marks++
	return strings.Repeat("w", d.marks), nil
}

// foldingDB adds KeyFolder to windowDB.
type foldingDB struct{ *windowDB }

func (d foldingDB) FoldKey(_ *Collection, column, v string) string {
	if column != "k" {
		return v
	}
	return strings.ToLower(strings.TrimRight(v, " "))
}

func keyRecord(k string, offset map[string]any) *api.SourceRecord {
	key := api.NewStruct(windowKeySchema)
	key.PutIndex(0, k)
	return &api.SourceRecord{Topic: "p.d.t", Key: key, SourceOffset: offset}
}

// runWindow runs one read-only chunk of db: the streamed keys arrive while the window is open,
// then the stream passes the high watermark; it returns the keys of the emitted reads.
func runWindow(t *testing.T, db IncrementalDB, streamed ...string) []string {
	t.Helper()
	var mu sync.Mutex
	var emitted []string
	e := NewIncremental(db, &signals.Config{ChunkSize: 100}, "", nil, nil, func(_ context.Context, recs []*api.SourceRecord) error {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			emitted = append(emitted, r.Key.(*api.Struct).GetIndex(0).(string))
		}
		return nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.Start(ctx)
	e.handle(ctx, signals.Signal{ID: "s-1", Type: "execute-snapshot", Data: `{"data-collections":["d.t"]}`})
	var low, high string
	wait := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	wait("the chunk read", func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		low, high = e.low, e.high
		return e.ready
	})
	for _, k := range streamed {
		if err := e.Observe(ctx, keyRecord(k, map[string]any{})); err != nil {
			t.Fatal(err)
		}
	}
	// A stream short of the high watermark keeps the window open.
	if err := e.Passed(ctx, map[string]any{}, func(l, h string) bool { return false }); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(emitted) != 0 {
		t.Fatalf("reads emitted before the stream passed the high watermark: %v", emitted)
	}
	mu.Unlock()
	var gotLow, gotHigh string
	if err := e.Passed(ctx, map[string]any{"pos": 1}, func(l, h string) bool { gotLow, gotHigh = l, h; return true }); err != nil {
		t.Fatal(err)
	}
	if gotLow != low || gotHigh != high || low == "" || low == high {
		t.Errorf("Passed was asked about watermarks %q..%q, the chunk read %q..%q", gotLow, gotHigh, low, high)
	}
	wait("the snapshot's end", func() bool { return !e.Running() })
	mu.Lock()
	defer mu.Unlock()
	return emitted
}

// TestReadOnlyWindow checks that a read-only chunk writes nothing, waits for the stream to pass
// its high watermark and drops the reads of keys streamed inside its window.
func TestReadOnlyWindow(t *testing.T) {
	db := &windowDB{rows: []ChunkRow{{Key: []any{"abc"}}, {Key: []any{"Def"}}, {Key: []any{"ghi"}}}}
	got := runWindow(t, db, "Def", "other")
	if strings.Join(got, ",") != "abc,ghi" {
		t.Errorf("emitted reads %v, want abc,ghi (Def changed inside the window)", got)
	}
	if db.writes != 0 {
		t.Errorf("%d writes to the source", db.writes)
	}
}

// TestWindowKeyCollation checks that a streamed key the collation calls equal to a buffered
// read's (other case, trailing spaces) drops that read, and that without a KeyFolder keys
// compare exactly.
func TestWindowKeyCollation(t *testing.T) {
	rows := []ChunkRow{{Key: []any{"abc"}}, {Key: []any{"Def"}}, {Key: []any{"ghi"}}}
	got := runWindow(t, foldingDB{&windowDB{rows: rows}}, "ABC  ", "dEF")
	if strings.Join(got, ",") != "ghi" {
		t.Errorf("emitted reads %v, want ghi: abc and Def changed inside the window", got)
	}
	got = runWindow(t, &windowDB{rows: rows}, "ABC  ", "dEF")
	if strings.Join(got, ",") != "abc,Def,ghi" {
		t.Errorf("without a collation, emitted reads %v, want abc,Def,ghi", got)
	}
}
