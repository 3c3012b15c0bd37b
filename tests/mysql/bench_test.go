package mysql

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestBenchmarkThroughput measures the connector end to end (MariaDB → worker → Kafka, JSON
// without schemas, ~600-byte rows) on this machine: snapshot rows/s, streaming events/s, and the
// process's peak RSS. It is a measurement, not a timed test: it asserts only that every event
// arrived, and runs only with CONNECTD_BENCH=1 (CONNECTD_BENCH_ROWS sets the row count).
//
//	CONNECTD_BENCH=1 go test -run TestBenchmarkThroughput -v -timeout 30m ./tests/mysql/
//	CONNECTD_BENCH=1 CONNECTD_BENCH_BINARY=1 go test -run TestBenchmarkThroughput -v ./tests/mysql/
func TestBenchmarkThroughput(t *testing.T) {
	rows := e2e.BenchRows(t)
	d := mariadb.New(t, "e2e")
	d.Exec("CREATE TABLE bench (id INT AUTO_INCREMENT PRIMARY KEY, a VARCHAR(200) NOT NULL, b VARCHAR(200) NOT NULL, " +
		"c VARCHAR(150) NOT NULL, n1 BIGINT NOT NULL, n2 INT NOT NULL, ts DATETIME(3) NOT NULL, price DECIMAL(10,2) NOT NULL)")
	fill := func(n int) {
		const chunk = 1000
		for done := 0; done < n; {
			k := min(chunk, n-done)
			var b strings.Builder
			b.WriteString("INSERT INTO bench (a,b,c,n1,n2,ts,price) VALUES ")
			for i := 0; i < k; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "('%s','%s','%s',%d,%d,'2024-05-06 07:08:09.123',%d.%02d)",
					strings.Repeat("a", 180), strings.Repeat("b", 180), strings.Repeat("c", 140), done+i, i, i, i%100)
			}
			d.Exec(b.String())
			done += k
		}
	}
	fill(rows)

	prefix := testbed.Topic(t, "bench")
	topic := prefix + "." + d.Name + ".bench"
	cfg := connectorConfig(d, prefix, prefix+"-history")
	// With CONNECTD_BENCH_BINARY=1 the worker is the connectd-test binary, and the RSS reported
	// is that process's alone.
	var w *e2e.Worker
	pid := 0
	if os.Getenv("CONNECTD_BENCH_BINARY") == "1" {
		w, pid = startBinaryWorker(t)
	} else {
		w = e2e.StartWorker(t, prefix+"-offsets")
	}
	adm := e2e.Admin(t)
	// Create the change event topic first, as deployments with topic.creation or an operator do,
	// so the snapshot figure measures the connector, not the broker's topic auto-creation.
	if _, err := adm.CreateTopic(context.Background(), 1, 1, nil, topic); err != nil {
		t.Fatal(err)
	}

	var peakHeap atomic.Uint64
	stopSampling := make(chan struct{})
	defer close(stopSampling)
	go func() {
		var ms goruntime.MemStats
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
			goruntime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
		}
	}()
	start := time.Now()
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": "bench", "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	e2e.WaitCount(t, adm, topic, int64(rows))
	snap := time.Since(start)

	if code, b := w.Call("PUT", "/connectors/bench/stop", nil); code != 204 && code != 202 {
		t.Fatalf("stop: %d %s", code, b)
	}
	w.WaitConnector("bench", "STOPPED")
	fill(rows) // the binlog now holds rows inserts the connector has not read
	if p := os.Getenv("CONNECTD_BENCH_HEAPPROFILE"); p != "" {
		// A heap profile while the binlog backlog streams, to see what holds memory.
		go func() {
			time.Sleep(700 * time.Millisecond)
			if f, err := os.Create(p); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	start = time.Now()
	if code, b := w.Call("PUT", "/connectors/bench/resume", nil); code != 202 && code != 204 {
		t.Fatalf("resume: %d %s", code, b)
	}
	e2e.WaitCount(t, adm, topic, int64(2*rows))
	stream := time.Since(start)

	if pid != 0 {
		t.Logf("rows=%d snapshot: %.1fs, %.0f rows/s; streaming: %.1fs, %.0f events/s; peak RSS of the connectd-test process: %s",
			rows, snap.Seconds(), float64(rows)/snap.Seconds(), stream.Seconds(), float64(rows)/stream.Seconds(), e2e.PeakRSS(pid))
		return
	}
	t.Logf("rows=%d snapshot: %.1fs, %.0f rows/s; streaming: %.1fs, %.0f events/s; peak RSS of the test process (worker, connector, Kafka client): %s, peak Go heap in use %d MB",
		rows, snap.Seconds(), float64(rows)/snap.Seconds(), stream.Seconds(), float64(rows)/stream.Seconds(), e2e.PeakRSS(0), peakHeap.Load()>>20)
}
