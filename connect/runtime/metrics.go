package runtime

import (
	"io"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connectd/connectd/connect/metrics"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// rateWindow is Kafka's metrics.sample.window.ms × metrics.num.samples: rates cover the last
// 60 seconds, or the task's life when it is younger.
const rateWindow = 60 * time.Second

// durationStat is a count, sum and maximum of durations, updated lock-free on the hot path.
type durationStat struct {
	count, sumNanos, maxNanos atomic.Int64
}

func (d *durationStat) observe(x time.Duration) {
	d.count.Add(1)
	d.sumNanos.Add(int64(x))
	for {
		m := d.maxNanos.Load()
		if int64(x) <= m || d.maxNanos.CompareAndSwap(m, int64(x)) {
			return
		}
	}
}

func (d *durationStat) avgMs() float64 {
	n := d.count.Load()
	if n == 0 {
		return 0
	}
	return float64(d.sumNanos.Load()) / float64(n) / 1e6
}

func (d *durationStat) maxMs() float64 { return float64(d.maxNanos.Load()) / 1e6 }

// taskStats are a task's counters. The poll goroutine and producer callbacks add with one atomic
// each; rates are derived when /metrics is scraped.
type taskStats struct {
	polled, written, skipped, commitFailures atomic.Int64
	poll, commit                             durationStat

	mu      sync.Mutex // guards samples (scrapes only)
	started time.Time
	samples []rateSample
}

type rateSample struct {
	at              time.Time
	polled, written int64
}

// rates returns the records polled and written per second over the last rateWindow, and records
// a sample for the next scrape.
func (s *taskStats) rates(now time.Time) (poll, write float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := rateSample{at: now, polled: s.polled.Load(), written: s.written.Load()}
	base := rateSample{at: s.started}
	kept := s.samples[:0]
	for _, x := range s.samples {
		if now.Sub(x.at) <= rateWindow {
			kept = append(kept, x)
		}
	}
	s.samples = kept
	if len(s.samples) > 0 {
		base = s.samples[0]
	} else if now.Sub(s.started) > rateWindow {
		// No sample in the window: the best estimate is the average since the start.
		base = rateSample{at: s.started}
	}
	s.samples = append(s.samples, cur)
	secs := now.Sub(base.at).Seconds()
	if secs <= 0 {
		return 0, 0
	}
	return float64(cur.polled-base.polled) / secs, float64(cur.written-base.written) / secs
}

// taskStatus is the task's status as the Kafka Connect status metric names it.
func (t *taskRunner) taskStatus() string {
	switch {
	case t.failed.Load():
		return "failed"
	case t.stopping.Load():
		return "unassigned"
	case t.currentTarget() != herder.TargetStarted:
		return "paused"
	}
	return "running"
}

// WriteMetrics writes the worker's Kafka Connect metrics in the Prometheus text format, named as
// Strimzi's JMX exporter rules name the MBeans (docs/metrics.md).
func (w *Worker) WriteMetrics(out io.Writer) error {
	w.mu.Lock()
	tasks := make([]*taskRunner, 0, len(w.tasks))
	for _, t := range w.tasks {
		tasks = append(tasks, t)
	}
	conns := len(w.connectors)
	type connState struct{ name, status string }
	connStates := make([]connState, 0, conns)
	for name, c := range w.connectors {
		c.mu.Lock()
		st := "running"
		switch {
		case c.failed:
			st = "failed"
		case c.target == herder.TargetPaused:
			st = "paused"
		case c.target == herder.TargetStopped:
			st = "stopped"
		case !c.started:
			st = "unassigned"
		}
		c.mu.Unlock()
		connStates = append(connStates, connState{name, st})
	}
	w.mu.Unlock()
	sort.Slice(connStates, func(i, j int) bool { return connStates[i].name < connStates[j].name })
	sort.Slice(tasks, func(i, j int) bool {
		if tasks[i].id.Connector != tasks[j].id.Connector {
			return tasks[i].id.Connector < tasks[j].id.Connector
		}
		return tasks[i].id.Task < tasks[j].id.Task
	})
	now := time.Now()
	type row struct {
		labels       []metrics.Label
		status       string
		pollRate, wr float64
		t            *taskRunner
	}
	rows := make([]row, len(tasks))
	perConn := map[string]map[string]int{}
	var connNames []string
	for i, t := range tasks {
		pr, wr := t.stats.rates(now)
		st := t.taskStatus()
		rows[i] = row{labels: []metrics.Label{{Name: "connector", Value: t.id.Connector}, {Name: "task", Value: strconv.Itoa(t.id.Task)}}, status: st, pollRate: pr, wr: wr, t: t}
		if perConn[t.id.Connector] == nil {
			perConn[t.id.Connector] = map[string]int{}
			connNames = append(connNames, t.id.Connector)
		}
		perConn[t.id.Connector][st]++
		perConn[t.id.Connector]["total"]++
	}
	var m metrics.Writer
	m.Family("kafka_connect_worker_connector_count", "gauge", "The number of connectors run in this worker.")
	m.Sample("kafka_connect_worker_connector_count", float64(conns))
	m.Family("kafka_connect_worker_task_count", "gauge", "The number of tasks run in this worker.")
	m.Sample("kafka_connect_worker_task_count", float64(len(tasks)))
	for _, f := range []struct{ name, status, help string }{
		{"kafka_connect_worker_connector_connector_total_task_count", "total", "The number of tasks of the connector on the worker."},
		{"kafka_connect_worker_connector_connector_running_task_count", "running", "The number of running tasks of the connector on the worker."},
		{"kafka_connect_worker_connector_connector_paused_task_count", "paused", "The number of paused tasks of the connector on the worker."},
		{"kafka_connect_worker_connector_connector_failed_task_count", "failed", "The number of failed tasks of the connector on the worker."},
		{"kafka_connect_worker_connector_connector_unassigned_task_count", "unassigned", "The number of unassigned tasks of the connector on the worker."},
	} {
		m.Family(f.name, "gauge", f.help)
		for _, c := range connNames {
			m.Sample(f.name, float64(perConn[c][f.status]), metrics.Label{Name: "connector", Value: c})
		}
	}
	m.Family("kafka_connect_connector_status", "gauge", "The status of the connector (1 for its current status).")
	for _, c := range connStates {
		m.Sample("kafka_connect_connector_status", 1, metrics.Label{Name: "connector", Value: c.name}, metrics.Label{Name: "status", Value: c.status})
	}
	m.Family("kafka_connect_connector_task_status", "gauge", "The status of the connector task (1 for its current status).")
	for _, r := range rows {
		m.Sample("kafka_connect_connector_task_status", 1, append(r.labels[:2:2], metrics.Label{Name: "status", Value: r.status})...)
	}
	family := func(name, typ, help string, v func(r row) float64) {
		m.Family(name, typ, help)
		for _, r := range rows {
			m.Sample(name, v(r), r.labels...)
		}
	}
	family("kafka_connect_source_task_source_record_poll_total", "counter", "The total number of records produced/polled (before transformation) by this task.",
		func(r row) float64 { return float64(r.t.stats.polled.Load()) })
	family("kafka_connect_source_task_source_record_poll_rate", "gauge", "The average per-second number of records produced/polled (before transformation) by this task.",
		func(r row) float64 { return r.pollRate })
	family("kafka_connect_source_task_source_record_write_total", "counter", "The number of records output from the transformations and written to Kafka for this task.",
		func(r row) float64 { return float64(r.t.stats.written.Load()) })
	family("kafka_connect_source_task_source_record_write_rate", "gauge", "The average per-second number of records output from the transformations and written to Kafka for this task.",
		func(r row) float64 { return r.wr })
	family("kafka_connect_source_task_source_record_active_count", "gauge", "The number of records that have been produced by this task but not yet completely written to Kafka.",
		func(r row) float64 { return float64(r.t.inflightRecs.Load()) })
	family("kafka_connect_source_task_poll_batch_avg_time_ms", "gauge", "The average time in milliseconds taken by this task to poll for a batch of source records.",
		func(r row) float64 { return r.t.stats.poll.avgMs() })
	family("kafka_connect_source_task_poll_batch_max_time_ms", "gauge", "The maximum time in milliseconds taken by this task to poll for a batch of source records.",
		func(r row) float64 { return r.t.stats.poll.maxMs() })
	family("kafka_connect_connector_task_offset_commit_avg_time_ms", "gauge", "The average time in milliseconds taken by this task to commit offsets.",
		func(r row) float64 { return r.t.stats.commit.avgMs() })
	family("kafka_connect_connector_task_offset_commit_max_time_ms", "gauge", "The maximum time in milliseconds taken by this task to commit offsets.",
		func(r row) float64 { return r.t.stats.commit.maxMs() })
	family("kafka_connect_connector_task_offset_commit_failure_percentage", "gauge", "The average percentage of this task's offset commit attempts that failed (a ratio from 0 to 1, as Kafka's).",
		func(r row) float64 {
			if n := r.t.stats.commit.count.Load(); n > 0 {
				return float64(r.t.stats.commitFailures.Load()) / float64(n)
			}
			return 0
		})
	family("kafka_connect_connector_task_offset_commit_success_percentage", "gauge", "The average percentage of this task's offset commit attempts that succeeded (a ratio from 0 to 1, as Kafka's).",
		func(r row) float64 {
			if n := r.t.stats.commit.count.Load(); n > 0 {
				return 1 - float64(r.t.stats.commitFailures.Load())/float64(n)
			}
			return 0
		})
	family("kafka_connect_task_error_total_records_skipped", "counter", "The number of records skipped due to errors (errors.tolerance=all).",
		func(r row) float64 { return float64(r.t.stats.skipped.Load()) })
	writeConnectorMetrics(&m, tasks)
	return m.Flush(out)
}
