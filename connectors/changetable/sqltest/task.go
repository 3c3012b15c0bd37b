package sqltest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/schemahistory"
)

// LSN returns the bytes of an LSN written as Debezium prints it, for recorded rows.
func LSN(t testing.TB, s string) []byte {
	t.Helper()
	l, err := changetable.ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return l.Bytes()
}

// Offsets is the stored offsets of a task a test drives, by partition key (the connector's
// partition as key says), and the task's context.
type Offsets struct {
	// Name is the connector's name.
	Name string
	// Key names a partition, as the offsets are stored under it.
	Key func(partition map[string]any) (string, error)
	mu  sync.Mutex
	m   map[string]map[string]any
}

// Put stores the offset of the partition named key.
func (o *Offsets) Put(key string, offset map[string]any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]map[string]any{}
	}
	o.m[key] = offset
}

// Offset implements api.OffsetReader.
func (o *Offsets) Offset(_ context.Context, p map[string]any) (map[string]any, error) {
	k, err := o.Key(p)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[k], nil
}

// Offsets implements api.TaskContext.
func (o *Offsets) Offsets() api.OffsetReader { return o }

// ConnectorName implements api.TaskContext.
func (o *Offsets) ConnectorName() string { return o.Name }

// TaskID implements api.TaskContext.
func (o *Offsets) TaskID() int { return 0 }

// Drain polls until n records arrived (at most 10 s).
func Drain(t testing.TB, poll func(context.Context) ([]*api.SourceRecord, error), n int) []*api.SourceRecord {
	t.Helper()
	var out []*api.SourceRecord
	deadline := time.Now().Add(10 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		recs, err := poll(ctx)
		cancel()
		if err != nil {
			t.Fatalf("poll after %d records: %v", len(out), err)
		}
		out = append(out, recs...)
	}
	if len(out) < n {
		t.Fatalf("got %d records, want %d", len(out), n)
	}
	return out
}

var plainJSON, _ = jsonconv.New(map[string]string{"schemas.enable": "false"}, false)

// Payload renders a record value as JSON without schemas and decodes it to maps (nil for a
// tombstone).
func Payload(t testing.TB, r *api.SourceRecord) map[string]any {
	t.Helper()
	if r.Value == nil {
		return nil
	}
	b, err := plainJSON.Encode(nil, r.ValueSchema, r.Value)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// JSON is v as compact JSON, for comparisons.
func JSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// Start starts task on offs with hist as its schema history and config, stopping it when the
// test ends.
func Start(t testing.TB, task *changetable.ConnectorTask, offs *Offsets, hist schemahistory.Store, config map[string]string) (*changetable.ConnectorTask, error) {
	t.Helper()
	task.OpenHistory = func(context.Context) (schemahistory.Store, error) { return hist, nil }
	err := task.Start(context.Background(), offs, config)
	if err == nil {
		t.Cleanup(func() { _ = task.Stop() })
	}
	return task, err
}

// Use makes the connector open f for the test: it sets *driverName (the connector's driver
// variable) to f's driver and puts it back when the test ends.
func (f *Fake) Use(t testing.TB, driverName *string) {
	old := *driverName
	*driverName = f.DriverName()
	t.Cleanup(func() { *driverName = old })
}
