package runtime

import (
	"strconv"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/testbed"
)

// BenchmarkSourcePipeline measures the whole source path against the test bed's Kafka: poll
// generator records, convert key and value with the JSON converter (schemas disabled), produce
// (idempotent, acks=all), acknowledge and commit offsets. One op is one record; the clock stops
// when the offset of the last record is committed.
func BenchmarkSourcePipeline(b *testing.B) {
	for _, tasks := range []int{1, 4} {
		b.Run("tasks="+strconv.Itoa(tasks), func(b *testing.B) {
			h := newHarness(b, map[string]string{"offset.flush.interval.ms": "50"})
			topic := testbed.Topic(b, "bench")
			perTask := max(b.N/tasks, 1)
			cfg := genConfig("bench", topic, "count", strconv.Itoa(perTask), "tasks.max", strconv.Itoa(tasks),
				"payload.size", "200", "batch.size", "1000")
			b.ResetTimer()
			h.create(cfg)
			last := int64(perTask - 1)
			for {
				c := h.committed("bench")
				done := len(c) == tasks
				for _, v := range c {
					done = done && v == last
				}
				if done {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			b.StopTimer()
			recs := float64(perTask * tasks)
			b.ReportMetric(recs/b.Elapsed().Seconds(), "records/s")
			if st := h.status("bench"); st.Tasks[0].State != herder.StateRunning {
				b.Fatalf("status %+v", st)
			}
		})
	}
}
