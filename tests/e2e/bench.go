package e2e

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/testbed"
)

// Admin returns an admin client of the test bed's Kafka, closed at the test's cleanup.
func Admin(t *testing.T) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(testbed.Kafka(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// WaitCount waits until topic's partitions hold n records in all. It counts end offsets rather
// than reading the records, so a benchmark's figure is the connector's, not the reader's.
func WaitCount(t *testing.T, adm *kadm.Client, topic string, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Minute)
	for {
		ends, err := adm.ListEndOffsets(context.Background(), topic)
		if err == nil {
			var total int64
			ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
			if total >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("topic %s has %d of %d records", topic, total, n)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PeakRSS returns the peak resident set size (VmHWM) of process pid, 0 meaning this process, as
// /proc reports it, or "unknown".
func PeakRSS(pid int) string {
	path := "/proc/self/status"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}

// BenchRows skips the test unless CONNECTD_BENCH=1 (a throughput benchmark is a measurement, run
// on purpose) and returns the row count it should use: CONNECTD_BENCH_ROWS, or 200,000.
func BenchRows(t *testing.T) int {
	t.Helper()
	if os.Getenv("CONNECTD_BENCH") != "1" {
		t.Skip("set CONNECTD_BENCH=1 to run the throughput benchmark")
	}
	rows := 200_000
	if v, err := strconv.Atoi(os.Getenv("CONNECTD_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	return rows
}
