package progress

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type fakeQueue struct{ n, c int }

func (q fakeQueue) Len() int        { return q.n }
func (q fakeQueue) Cap() int        { return q.c }
func (q fakeQueue) Bytes() int64    { return int64(q.n) * 100 }
func (q fakeQueue) MaxBytes() int64 { return 1 << 20 }

func TestSnapshotThenStreaming(t *testing.T) {
	p := New("c1", 0)
	p.Init("mariadb", "srv", fakeQueue{n: 3, c: 10})
	p.SnapshotStarted([]TableEstimate{{"db.a", 2}, {"db.b", -1}, {"db.empty", 0}, {"db.c", 4}}, 0)
	p.SnapshotRow("srv.db.a", 1000, false)
	p.SnapshotRow("srv.db.a", 1000, true)
	p.SnapshotRow("srv.db.b", 1000, false)
	v := p.View()
	s := v.Snapshot
	if !s.Running || s.Completed || s.TotalTables != 4 || s.RemainingTables != 3 || s.Rows != 3 || s.Current != "db.b" {
		t.Fatalf("snapshot view mid-way: %+v", s)
	}
	// a (read: 2) + c (estimate 4) + empty (0); b has no estimate and is not done.
	if s.RowsEstimated != 6 || s.Percent != 50 {
		t.Fatalf("estimate %d percent %v, want 6 and 50", s.RowsEstimated, s.Percent)
	}
	for i := 0; i < 4; i++ {
		p.SnapshotRow("srv.db.c", 1000, i == 3)
	}
	p.StreamingStarted()
	p.SetConnected(true)
	p.StreamEvent('c', 1000, 1250)
	p.StreamEvent('u', 2000, 2100)
	p.StreamEvent('d', 0, 3000)
	p.TransactionCommitted()
	p.EventFiltered()
	p.SetBinlogPosition("bin.000002", 400)
	p.SetLagProbe(LagBinlogBytes, func(context.Context) (int64, error) { return 77, nil })
	v = p.View()
	s = v.Snapshot
	if s.Running || !s.Completed || s.RemainingTables != 0 || s.Percent != 100 || s.Current != "" {
		t.Fatalf("snapshot view at the end: %+v", s)
	}
	want := map[string]int64{"db.a": 2, "db.b": 1, "db.empty": 0, "db.c": 4}
	for _, tv := range s.Tables {
		if want[tv.Name] != tv.Rows || !tv.Done {
			t.Errorf("table %s: %+v, want %d rows, done", tv.Name, tv, want[tv.Name])
		}
	}
	st := v.Streaming
	if v.Phase != PhaseStreaming || !st.Connected || st.EventsSeen != 3 || st.Creates != 1 || st.Updates != 1 || st.Deletes != 1 ||
		st.CommittedTransactions != 1 || st.Filtered != 1 || st.MilliSecondsBehindSource != 100 || st.BinlogFile != "bin.000002" || st.BinlogPosition != 400 {
		t.Fatalf("streaming view: %+v", st)
	}
	if l := waitLag(t, p); l.Kind != LagBinlogBytes || l.Bytes != 77 {
		t.Fatalf("lag %+v", l)
	}
	if !v.Queue.Known || v.Queue.TotalCapacity != 10 || v.Queue.RemainingCapacity != 7 || v.Queue.CurrentBytes != 300 {
		t.Fatalf("queue %+v", v.Queue)
	}
}

// Rows of tables read in parallel interleave: a table is done when its last row says so.
func TestInterleavedTables(t *testing.T) {
	p := New("c1", 0)
	p.Init("mysql", "srv", nil)
	p.SnapshotStarted([]TableEstimate{{"db.a", 2}, {"db.b", 2}}, 0)
	p.SnapshotRow("srv.db.a", 1, false)
	p.SnapshotRow("srv.db.b", 1, false)
	p.SnapshotRow("srv.db.a", 1, true)
	v := p.View()
	if v.Snapshot.RemainingTables != 1 || v.Snapshot.Current != "" || !v.Snapshot.Tables[0].Done || v.Snapshot.Tables[1].Done {
		t.Fatalf("after a's last row: %+v", v.Snapshot)
	}
	p.SnapshotRow("srv.db.b", 1, true)
	if v := p.View(); v.Snapshot.RemainingTables != 0 || v.Snapshot.Tables[1].Rows != 2 {
		t.Fatalf("after b's last row: %+v", v.Snapshot)
	}
}

func TestResumedSnapshotAndAbort(t *testing.T) {
	p := New("c1", 0)
	p.Init("postgres", "srv", nil)
	p.SnapshotStarted([]TableEstimate{{"s.a", 5}, {"s.b", 5}, {"s.c", 5}}, 1)
	p.SnapshotRow("srv.s.b", 0, false)
	if v := p.View(); v.Snapshot.RemainingTables != 2 {
		t.Fatalf("remaining %d, want 2 (a done before, b in progress)", v.Snapshot.RemainingTables)
	}
	p.SnapshotAborted()
	v := p.View()
	if v.Snapshot.Running || v.Snapshot.Completed || !v.Snapshot.Aborted {
		t.Fatalf("after abort: %+v", v.Snapshot)
	}
}

func TestLagProbeFailureAndPanic(t *testing.T) {
	p := New("c1", 0)
	p.SetLagProbe(LagSlotBytes, func(context.Context) (int64, error) { return 0, errors.New("no route") })
	if l := waitLag(t, p); l.Bytes != -1 || l.Error != "no route" {
		t.Fatalf("lag %+v", l)
	}
	p.SetLagProbe(LagSlotBytes, func(context.Context) (int64, error) { panic("boom") })
	if l := waitLag(t, p); l.Bytes != -1 || !strings.Contains(l.Error, "panicked: boom") {
		t.Fatalf("lag after a panicking probe %+v", l)
	}
}

// waitLag returns the lag once a background probe has answered.
func waitLag(t *testing.T, p *Task) LagView {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l := p.View().Lag
		if l.Bytes >= 0 || l.Error != "" || time.Now().After(deadline) {
			return l
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNilTaskIsANoOp(t *testing.T) {
	var p *Task
	p.Init("x", "y", nil)
	p.SnapshotStarted(nil, 0)
	p.SnapshotRow("t", 1, true)
	p.StreamEvent('c', 1, 2)
	p.SnapshotCompleted()
	p.TransactionCommitted()
	p.SetBinlogPosition("f", 1)
	if v := p.View(); v.Plugin != "" {
		t.Fatal("a nil task has a view")
	}
}

func TestEventPathAllocatesNothing(t *testing.T) {
	p := New("c1", 0)
	p.Init("mysql", "srv", nil)
	p.SnapshotStarted([]TableEstimate{{"db.a", 10}}, 0)
	topic := "srv.db.a"
	if n := testing.AllocsPerRun(1000, func() { p.SnapshotRow(topic, 5, false) }); n != 0 {
		t.Errorf("SnapshotRow allocates %v times", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		p.StreamEvent('u', 1, 2)
		p.SetBinlogPosition("bin.000001", 9)
		p.TransactionCommitted()
	}); n != 0 {
		t.Errorf("the streaming calls allocate %v times", n)
	}
}

func BenchmarkStreamEvent(b *testing.B) {
	p := New("c1", 0)
	for i := 0; i < b.N; i++ {
		p.StreamEvent('c', 1, 2)
	}
}

func BenchmarkSnapshotRow(b *testing.B) {
	p := New("c1", 0)
	p.Init("mysql", "srv", nil)
	for i := 0; i < b.N; i++ {
		p.SnapshotRow("srv.db.a", 5, false)
	}
}
