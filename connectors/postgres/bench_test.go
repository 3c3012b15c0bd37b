package postgres

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestReaderThroughput measures the task alone (PostgreSQL → pgoutput → records in the queue →
// Poll), without the worker and Kafka, to tell the connector's own cost from the pipeline's. Runs
// only with CONNECTD_BENCH=1; CONNECTD_BENCH_ROWS sets the row count.
//
//	CONNECTD_BENCH=1 go test -run TestReaderThroughput -v ./connectors/postgres/
func TestReaderThroughput(t *testing.T) {
	if os.Getenv("CONNECTD_BENCH") != "1" {
		t.Skip("set CONNECTD_BENCH=1 to run the reader throughput measurement")
	}
	rows := 100_000
	if v, err := strconv.Atoi(os.Getenv("CONNECTD_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.bench (id serial PRIMARY KEY, a varchar(200) NOT NULL, b varchar(200) NOT NULL,
		c varchar(150) NOT NULL, n1 bigint NOT NULL, n2 int NOT NULL, ts timestamp(3) NOT NULL, price numeric(10,2) NOT NULL)`, e.schema))
	fill := func(n int) {
		for done := 0; done < n; done += 1000 {
			e.exec(fmt.Sprintf(`INSERT INTO %s.bench (a, b, c, n1, n2, ts, price)
				SELECT repeat('a', 180), repeat('b', 180), repeat('c', 140), g, g, '2024-05-06 07:08:09.123', (g %% 100) + 0.25
				FROM generate_series(1, %d) g`, e.schema, min(1000, n-done)))
		}
	}
	fill(rows)
	start := time.Now()
	task := e.start("max.batch.size", "4096")
	drain := func(n int) {
		got := 0
		for got < n {
			recs, err := task.Poll(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got += len(recs)
			if len(recs) > 0 {
				e.commit(task, recs)
			}
		}
	}
	drain(rows)
	snap := time.Since(start)
	e.waitStreaming(task)
	_ = task.Stop()
	fill(rows)
	start = time.Now()
	task = e.start("max.batch.size", "4096")
	drain(rows)
	stream := time.Since(start)
	t.Logf("rows=%d snapshot %.0f rows/s, streaming %.0f events/s (task alone, no Kafka)", rows,
		float64(rows)/snap.Seconds(), float64(rows)/stream.Seconds())
}
