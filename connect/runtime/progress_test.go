package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api/progress"
	"github.com/connectd/connectd/connect/metrics"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A snapshotting task logs its progress periodically, not per row; a streaming one its lag.
func TestProgressLogLines(t *testing.T) {
	var logs syncBuffer
	p := progress.New("c", 0)
	p.Init("mariadb", "srv", nil)
	p.SnapshotStarted([]progress.TableEstimate{{Name: "db.a", Estimated: 1000}, {Name: "db.b", Estimated: -1}}, 0)
	for i := 0; i < 250; i++ {
		p.SnapshotRow("srv.db.a", 1, false)
	}
	tr := &taskRunner{progressEvery: 20 * time.Millisecond, progress: p, log: slog.New(slog.NewTextHandler(&logs, nil)), hardCtx: context.Background()}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { tr.progressLoop(stop); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "snapshot progress") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	line := logs.String()
	for _, want := range []string{"snapshot progress", "table=db.a", "tables_done=0", "tables_total=2", "rows_done=250", "rows_estimated=1000", "percent=25", "eta="} {
		if !strings.Contains(line, want) {
			t.Errorf("progress log lacks %q:\n%s", want, line)
		}
	}
	p.StreamingStarted()
	p.StreamEvent('c', 1000, 1500)
	p.SetBinlogPosition("bin.000001", 777)
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "streaming progress") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	<-done
	all := logs.String()
	for _, want := range []string{"streaming progress", "events_seen=1", "ms_behind_source=500", "binlog_file=bin.000001", "binlog_position=777"} {
		if !strings.Contains(all, want) {
			t.Errorf("streaming log lacks %q:\n%s", want, all)
		}
	}
}

// The Debezium families are written once each, with both contexts' samples.
func TestConnectorMetricsFamilies(t *testing.T) {
	p := progress.New("c", 0)
	p.Init("postgres", "srv", nil)
	p.SnapshotStarted([]progress.TableEstimate{{Name: "s.a", Estimated: 3}}, 0)
	p.SnapshotRow("srv.s.a", 1, false)
	p.SetLagProbe(progress.LagSlotBytes, func(context.Context) (int64, error) { return 42, nil })
	for deadline := time.Now().Add(10 * time.Second); p.View().Lag.Bytes < 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // the probe runs in the background
	}
	var m metrics.Writer
	writeConnectorMetrics(&m, []*taskRunner{{progress: p}, {progress: nil}})
	out := string(m.Bytes())
	for _, want := range []string{
		`debezium_metrics_RowsScanned{plugin="postgres",name="srv",context="snapshot",table="s.a"} 1`,
		`debezium_metrics_TotalNumberOfEventsSeen{plugin="postgres",name="srv",context="snapshot"} 1`,
		`debezium_metrics_TotalNumberOfEventsSeen{plugin="postgres",name="srv",context="streaming"} 0`,
		`debezium_metrics_SnapshotRunning{plugin="postgres",name="srv",context="snapshot"} 1`,
		`connectd_connector_slot_lag_bytes{plugin="postgres",name="srv",context="streaming"} 42`,
		`connectd_connector_snapshot_rows_estimated{plugin="postgres",name="srv",context="snapshot",table="s.a"} 3`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %s in:\n%s", want, out)
		}
	}
	if strings.Count(out, "# TYPE debezium_metrics_TotalNumberOfEventsSeen ") != 1 || strings.Contains(out, "BinlogPosition{") {
		t.Errorf("families repeated or a binlog metric for postgres:\n%s", out)
	}
}
