package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/testbed"
)

// TestHarnessTiny runs the whole harness on a tiny MariaDB workload through connectd and the
// Kafka ceiling (no Debezium), so CI proves the harness works. It asserts what was counted, not
// how fast: every phase's records arrived, every latency sample was read, and the report says
// Debezium did not run.
func TestHarnessTiny(t *testing.T) {
	h := newHarnessTest(t, false)

	cfg := DefaultConfig()
	cfg.Namespace = testNamespace("benchtest_")
	cfg.DBs = []string{"mariadb"}
	cfg.Rows, cfg.Events = 500, 500
	cfg.LatencyRate, cfg.LatencyDuration, cfg.LatencyTxn = 200, 2*time.Second, 10
	cfg.Debezium, cfg.DebeziumDefaults = false, false
	cfg.Connectd, cfg.Kafka, cfg.MariaDB = h.connectd, h.kafka, h.mariadb
	cfg.WorkDir, cfg.Stall, cfg.Log = h.workDir, h.stall, h.log

	ctx := h.context(3*time.Minute, func(ctx context.Context) error { return Cleanup(ctx, cfg) })
	rs, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1 (MariaDB)", len(rs))
	}
	r := rs[0]
	o := r.Ours
	if !o.Ran || o.SnapshotRows != 500 || o.StreamEvents != 500 || o.LatencyEvents != 400 {
		t.Fatalf("connectd: ran=%v snapshot=%d streaming=%d latency=%d, want true 500 500 400", o.Ran, o.SnapshotRows, o.StreamEvents, o.LatencyEvents)
	}
	if len(o.Latencies) != 400 {
		t.Fatalf("read %d latency samples, want 400", len(o.Latencies))
	}
	for _, l := range o.Latencies {
		// Append times are whole milliseconds, so a sub-millisecond latency may read as up to
		// 1 ms below zero; anything earlier means commit_us or the timestamps are wrong.
		if l < -time.Millisecond || l > time.Minute {
			t.Fatalf("latency sample %v is impossible: commit_us or LogAppendTime are misread", l)
		}
	}
	if o.SnapshotDur <= 0 || o.StreamDur <= 0 || o.PeakRSSKiB <= 0 || o.CPUSeconds <= 0 {
		t.Fatalf("connectd: snapshot %v, streaming %v, peak RSS %d KiB, CPU %.2f s: every one should be positive", o.SnapshotDur, o.StreamDur, o.PeakRSSKiB, o.CPUSeconds)
	}
	if len(r.Ceiling) != 2 || r.Ceiling[0].Records != 500 || r.Ceiling[1].Records != 500 {
		t.Fatalf("ceiling: %+v, want 500 snapshot and 500 streaming records", r.Ceiling)
	}
	if r.Ceiling[0].Bytes != o.SnapshotBytes || r.Ceiling[1].Bytes != o.StreamBytes {
		t.Fatalf("ceiling bytes %d/%d differ from connectd's %d/%d: it must replay the same records", r.Ceiling[0].Bytes, r.Ceiling[1].Bytes, o.SnapshotBytes, o.StreamBytes)
	}
	if r.DBOnlyEvents != 500 {
		t.Fatalf("database-alone writes: %d events, want 500", r.DBOnlyEvents)
	}
	if sc := r.Source; !r.SourceRan || sc.ScanRows != 500 || sc.LogEvents != 500 || sc.ScanDur <= 0 || sc.LogDur <= 0 {
		t.Fatalf("source ceiling: %+v, want a timed scan of 500 rows and 500 events drained from the binlog", sc)
	}
	if o.FirstEventDur <= 0 || o.FirstEventDur > o.SnapshotDur {
		t.Fatalf("start to first event %v, snapshot %v: the first event must come after the start and before the last", o.FirstEventDur, o.SnapshotDur)
	}

	m := DescribeMachine(ctx, testbed.KafkaLibs(t), h.root)
	paths, err := WriteResults(t.TempDir(), m, cfg, rs)
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| snapshot rows/s (500 rows) |", "| streaming events/s, live (500 events) |", "| latency p99, ms |",
		"| peak RSS, MiB |", "## Physical limit", "| CPU s per 1,000 snapshot rows |", "| start to first event, s |",
		"Debezium (tuned): not run", "Debezium (defaults): not run", "| CPUs | ", "`poll.interval.ms=10`"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var r SystemResult
	for i := 100; i >= 1; i-- {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := r.Percentile(c.q); got != c.want {
			t.Errorf("p%.0f = %v, want %v", 100*c.q, got, c.want)
		}
	}
	if r.Latencies[0] != 100*time.Millisecond {
		t.Error("Percentile sorted the samples in place")
	}
}

func TestReadProcSelf(t *testing.T) {
	u, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.RSSKiB <= 0 || u.HWMKiB < u.RSSKiB {
		t.Fatalf("VmRSS %d KiB, VmHWM %d KiB: want 0 < VmRSS <= VmHWM", u.RSSKiB, u.HWMKiB)
	}
	if _, err := readProc(-1); err == nil {
		t.Fatal("reading pid -1 should fail")
	}
}

// TestMarkdownTargets checks the verdicts of the results table on made-up numbers.
func TestMarkdownTargets(t *testing.T) {
	cfg := DefaultConfig()
	ours := SystemResult{System: "connectd", Ran: true, SnapshotRows: 1000, SnapshotDur: time.Second, StreamEvents: 1000, StreamDur: time.Second,
		Latencies: []time.Duration{time.Millisecond}, PeakRSSKiB: 100 << 10, CPUSeconds: 1}
	dbz := SystemResult{System: "Debezium", Ran: true, SnapshotRows: 1000, SnapshotDur: 4 * time.Second, StreamEvents: 1000, StreamDur: 2 * time.Second,
		Latencies: []time.Duration{500 * time.Millisecond}, PeakRSSKiB: 600 << 10, CPUSeconds: 3}
	r := &DBResult{DB: "postgres", DBVersion: "15", Ours: ours, Dbz: dbz,
		Ceiling: []CeilingResult{{Phase: "snapshot", Records: 1000, Bytes: 1e6, Dur: time.Second}, {Phase: "streaming", Records: 1000, Bytes: 1e6, Dur: time.Second / 2}}}
	md := Markdown(Machine{}, cfg, r)
	for _, want := range []string{
		"| snapshot rows/s (200000 rows) | 1000 | 250 | not run | 4.00× | ≥ 5× tuned | **no** |",
		"| streaming events/s, live (200000 events) | 1000 | 500 | not run | 2.00× | – | – |",
		"| latency p99, ms | 1.0 | 500.0 | not run | 0.00× | ≤ ½ of tuned | yes |",
		"| peak RSS, MiB | 100 | 600 | not run | 0.17× | < 100 MiB | **no** |",
		"| snapshot | 1000 | – | 1000 | 1000 | 100% | ≥ 80% | yes |",
		"| live streaming (bounded by the writer) | 2000 | – | 2000 | 1000 | 50% | – | – |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// TestMedianResult checks that repeated runs combine into per-metric medians with pooled latency
// samples, so one disturbed run does not decide the report.
func TestMedianResult(t *testing.T) {
	run := func(snap time.Duration, rss int64, lat ...time.Duration) SystemResult {
		return SystemResult{System: "connectd", Ran: true, SnapshotRows: 100, SnapshotDur: snap, PeakRSSKiB: rss, Latencies: lat, Notes: []string{"n"}}
	}
	m := medianResult([]SystemResult{
		run(10*time.Second, 300, time.Millisecond),
		run(time.Second, 100, 2*time.Millisecond),
		run(2*time.Second, 200, 3*time.Millisecond),
	})
	if m.SnapshotDur != 2*time.Second || m.PeakRSSKiB != 200 {
		t.Fatalf("median snapshot %v, RSS %d; want 2s and 200", m.SnapshotDur, m.PeakRSSKiB)
	}
	if len(m.Latencies) != 3 || m.Percentile(1) != 3*time.Millisecond {
		t.Fatalf("latencies %v: want the 3 samples of all runs pooled", m.Latencies)
	}
	if len(m.Notes) != 3 || m.Notes[2] != "run 3: n" {
		t.Fatalf("notes %q: want each run's notes, numbered", m.Notes)
	}
	c := medianCeiling([][]CeilingResult{
		{{Phase: "snapshot", Records: 10, Dur: 3 * time.Second}},
		{{Phase: "snapshot", Records: 10, Dur: time.Second}},
		{{Phase: "snapshot", Records: 10, Dur: 2 * time.Second}},
	})
	if len(c) != 1 || c[0].Dur != 2*time.Second {
		t.Fatalf("median ceiling %+v, want one snapshot phase of 2s", c)
	}
}

// TestReadMachine checks the machine's CPU accounting on this process's own work and on the test
// bed's broker and databases, which must be found by their process names.
func TestReadMachine(t *testing.T) {
	testbed.Kafka(t)
	testbed.MariaDB(t)
	testbed.Postgres(t)
	before := readMachine()
	if before.kafka <= 0 || before.db <= 0 {
		t.Fatalf("the broker's CPU %.2f s, the databases' %.2f s: the test bed's processes were not found", before.kafka, before.db)
	}
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
	}
	m := readMachine().sub(before)
	if m.Wall < 0.3 || m.Busy < 0.2 {
		t.Fatalf("after 0.3 s spinning: wall %.2f s, machine busy %.2f CPU s", m.Wall, m.Busy)
	}
	if m.Kafka < 0 || m.DB < 0 || m.BusyShare() > 1.05 {
		t.Fatalf("impossible reading %+v (busy share %.2f)", m, m.BusyShare())
	}
}
