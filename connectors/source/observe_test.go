package source

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/progress"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
)

// events returns n change events of one table, op c (or r), as a connector hands them to Put.
func events(t testing.TB, n int, op envelope.Op) []*api.SourceRecord {
	t.Helper()
	tbl, err := relational.NewTable(relational.TableID{Catalog: "db", Table: "t"}, []relational.Column{
		{Name: "id", JDBCType: relational.TypeBigInt, TypeName: "BIGINT"},
		{Name: "v", JDBCType: relational.TypeVarchar, TypeName: "VARCHAR", Optional: true},
	}, []string{"id"}, "utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	src := envelope.SourceSchemaBuilder("io.debezium.connector.mysql.Source").Field("table", api.OptionalStringSchema).Build()
	ts, err := envelope.NewTable(envelope.TableSpec{Table: tbl, Topic: "srv.db.t", Source: src,
		Columns: []envelope.Column{{Name: "id", Schema: api.Int64Schema}, {Name: "v", Schema: api.OptionalStringSchema}}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*api.SourceRecord, 0, n)
	for i := 0; i < n; i++ {
		s := envelope.NewSource(src, &envelope.SourceInfo{Name: "srv", DB: "db", Time: time.UnixMilli(1000)})
		recs, err := ts.Records(nil, &envelope.Event{Op: op, After: []any{int64(i), "value"}, Source: s, Time: time.UnixMilli(1500)}, false)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, recs...)
	}
	return out
}

// Put counts what it queues: read events as the snapshot rows of their table, others as
// streamed events with their lag.
func TestPutReportsProgress(t *testing.T) {
	r := NewReader(100, 0, 10, time.Millisecond)
	p := progress.New("c", 0)
	r.Observe(progress.NewContext(context.Background(), p), "mysql", "srv")
	p.SnapshotStarted([]progress.TableEstimate{{Name: "db.t", Estimated: 3}}, 0)
	for _, rec := range append(events(t, 3, envelope.OpRead), events(t, 2, envelope.OpUpdate)...) {
		if err := r.Put(context.Background(), rec, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	v := p.View()
	if v.Plugin != "mysql" || v.Snapshot.Rows != 3 || len(v.Snapshot.Tables) != 1 || v.Snapshot.Tables[0].Rows != 3 ||
		v.Streaming.EventsSeen != 2 || v.Streaming.Updates != 2 || v.Streaming.MilliSecondsBehindSource != 500 {
		t.Fatalf("progress after 3 reads and 2 updates: %+v", v)
	}
	if v.Queue.TotalCapacity != 100 || v.Queue.RemainingCapacity != 95 {
		t.Fatalf("queue %+v", v.Queue)
	}
}

// BenchmarkPut measures what counting costs on the reader's path: Put and Poll of change events
// with the task's progress (on) and without (off, CONNECTD_CONNECTOR_METRICS=off).
func BenchmarkPut(b *testing.B) {
	recs := events(b, 1000, envelope.OpCreate)
	for _, on := range []bool{false, true} {
		name := "progress=off"
		if on {
			name = "progress=on"
		}
		b.Run(name, func(b *testing.B) {
			r := NewReader(2048, 0, 1000, time.Millisecond)
			if on {
				r.Observe(progress.NewContext(context.Background(), progress.New("c", 0)), "mysql", "srv")
			}
			ctx := context.Background()
			b.ReportAllocs()
			// CPU time, not wall time, is the measure: on a shared machine wall time per
			// operation mostly measures the other processes.
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := r.Put(ctx, recs[i%len(recs)], nil, 0); err != nil {
					b.Fatal(err)
				}
				if i%1000 == 999 {
					if _, err := r.Poll(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
