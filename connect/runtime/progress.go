package runtime

import (
	"math"
	"os"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api/progress"
	"github.com/connectd/connectd/connect/metrics"
	"github.com/connectd/connectd/connect/runtime/herder"
)

// ConnectorMetricsEnv, set to "off" (or "false", "0"), stops handing tasks a progress, so
// connectors count nothing: the Debezium metrics, the REST progress and the progress log lines
// disappear. It exists to measure what the counting costs (tests/bench); there is no reason to
// set it otherwise.
const ConnectorMetricsEnv = "CONNECTD_CONNECTOR_METRICS"

func connectorMetricsEnabled() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(ConnectorMetricsEnv))) {
	case "off", "false", "0", "no":
		return false
	}
	return true
}

// progressLogInterval is how often a task logs its progress while it snapshots; streaming lag is
// logged every streamLogEvery of those. A taskRunner's progressEvery, when set, replaces it
// (tests), so no goroutine reads a package variable a test changes.
const progressLogInterval = 10 * time.Second

const streamLogEvery = 6

// progressLoop logs the task's progress until stop is closed: one line per interval while the
// snapshot runs (table, rows, estimate, percent, rate, ETA), one per minute while streaming.
func (t *taskRunner) progressLoop(stop <-chan struct{}) {
	if t.progress == nil {
		return
	}
	every := t.progressEvery
	if every <= 0 {
		every = progressLogInterval
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		n++
		v := t.progress.View()
		switch {
		case v.Snapshot.Running:
			s := v.Snapshot
			args := []any{"table", s.Current, "tables_done", s.TotalTables - s.RemainingTables, "tables_total", s.TotalTables,
				"rows_done", s.Rows, "rows_per_second", math.Round(s.Rate)}
			if s.RowsEstimated >= 0 {
				args = append(args, "rows_estimated", s.RowsEstimated)
			}
			if s.Percent >= 0 {
				args = append(args, "percent", math.Round(s.Percent*10)/10)
			}
			if s.ETASeconds >= 0 {
				args = append(args, "eta", (time.Duration(s.ETASeconds) * time.Second).String())
			}
			t.log.Info("snapshot progress", args...)
		case v.Phase == progress.PhaseStreaming && n%streamLogEvery == 0:
			args := []any{"events_seen", v.Streaming.EventsSeen, "connected", v.Streaming.Connected}
			if v.Streaming.MilliSecondsBehindSource >= 0 {
				args = append(args, "ms_behind_source", v.Streaming.MilliSecondsBehindSource)
			}
			if v.Streaming.BinlogFile != "" {
				args = append(args, "binlog_file", v.Streaming.BinlogFile, "binlog_position", v.Streaming.BinlogPosition)
			}
			if v.Lag.Kind != 0 && v.Lag.Bytes >= 0 {
				args = append(args, lagName(v.Lag.Kind), v.Lag.Bytes)
			}
			t.log.Info("streaming progress", args...)
		}
	}
}

func lagName(k progress.LagKind) string {
	if k == progress.LagSlotBytes {
		return "slot_lag_bytes"
	}
	return "binlog_bytes_behind"
}

// TaskProgress returns the progress and lag of a task this worker runs, nil when it runs
// elsewhere, reports nothing or metrics are off.
func (w *Worker) TaskProgress(id herder.TaskID) (*herder.TaskProgress, *herder.TaskLag) {
	if w == nil {
		return nil, nil
	}
	w.mu.Lock()
	t := w.tasks[id]
	w.mu.Unlock()
	if t == nil || t.progress == nil {
		return nil, nil
	}
	if plugin, _ := t.progress.Plugin(); plugin == "" {
		return nil, nil
	}
	return progressBody(t.progress.View())
}

// progressBody turns a view into the REST status additions.
func progressBody(v progress.View) (*herder.TaskProgress, *herder.TaskLag) {
	s := v.Snapshot
	p := &herder.TaskProgress{Phase: v.Phase.String(), Table: s.Current, RowsDone: s.Rows, Rate: math.Round(s.Rate*10) / 10,
		TablesDone: s.TotalTables - s.RemainingTables, TablesTotal: s.TotalTables, SnapshotCompleted: s.Completed,
		EventsSeen: v.Streaming.EventsSeen}
	if s.RowsEstimated >= 0 {
		p.RowsEstimated = ptr(s.RowsEstimated)
	}
	if s.Percent >= 0 {
		p.Percent = ptr(math.Round(s.Percent*10) / 10)
	}
	if s.ETASeconds >= 0 {
		p.ETASeconds = ptr(math.Round(s.ETASeconds))
	}
	if v.Phase != progress.PhaseStreaming {
		return p, nil
	}
	l := &herder.TaskLag{BinlogFile: v.Streaming.BinlogFile}
	if v.Streaming.MilliSecondsBehindSource >= 0 {
		l.MsBehindSource = ptr(v.Streaming.MilliSecondsBehindSource)
	}
	if l.BinlogFile != "" {
		l.BinlogPosition = ptr(v.Streaming.BinlogPosition)
	}
	switch {
	case v.Lag.Kind == 0:
	case v.Lag.Bytes < 0:
		l.Error = v.Lag.Error
	case v.Lag.Kind == progress.LagSlotBytes:
		l.SlotLagBytes = ptr(v.Lag.Bytes)
	default:
		l.BinlogBytesBehind = ptr(v.Lag.Bytes)
	}
	return p, l
}

func ptr[T any](v T) *T { return &v }

// writeConnectorMetrics writes Debezium's connector metrics of the tasks that report them, named
// as the JMX exporter rules of Debezium's monitoring example name its MBeans
// (debezium.<plugin>:type=connector-metrics,context=<context>,server=<topic.prefix>): see
// docs/metrics.md.
func writeConnectorMetrics(m *metrics.Writer, tasks []*taskRunner) {
	var views []progress.View
	seen := map[[2]string]bool{}
	for _, t := range tasks {
		if t.progress == nil {
			continue
		}
		plugin, server := t.progress.Plugin()
		// Debezium registers one MBean per plugin and server; a second connector on the same
		// topic.prefix would repeat label sets, which the exposition format forbids.
		if plugin == "" || seen[[2]string{plugin, server}] {
			continue
		}
		seen[[2]string{plugin, server}] = true
		views = append(views, t.progress.View())
	}
	if len(views) == 0 {
		return
	}
	labels := func(v *progress.View, context string) []metrics.Label {
		return []metrics.Label{{Name: "plugin", Value: v.Plugin}, {Name: "name", Value: v.Server}, {Name: "context", Value: context}}
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	type attr struct {
		name, help       string
		snapshot, stream func(v *progress.View) float64 // nil: not an attribute of that context
		onlyPlugin       string
	}
	queue := func(f func(q progress.QueueView) int64) func(v *progress.View) float64 {
		return func(v *progress.View) float64 {
			if !v.Queue.Known {
				return math.NaN()
			}
			return float64(f(v.Queue))
		}
	}
	sinceLast := func(v *progress.View) float64 { return float64(v.Streaming.MilliSecondsSinceLastEvent) }
	attrs := []attr{
		{name: "SnapshotRunning", help: "Whether the snapshot was started.", snapshot: func(v *progress.View) float64 { return b2f(v.Snapshot.Running) }},
		{name: "SnapshotCompleted", help: "Whether the snapshot completed.", snapshot: func(v *progress.View) float64 { return b2f(v.Snapshot.Completed) }},
		{name: "SnapshotAborted", help: "Whether the snapshot was aborted.", snapshot: func(v *progress.View) float64 { return b2f(v.Snapshot.Aborted) }},
		{name: "SnapshotDurationInSeconds", help: "The total number of seconds that the snapshot has taken so far, even if not complete.",
			snapshot: func(v *progress.View) float64 { return math.Floor(v.Snapshot.DurationSeconds) }},
		{name: "TotalTableCount", help: "The total number of tables that are being included in the snapshot.",
			snapshot: func(v *progress.View) float64 { return float64(v.Snapshot.TotalTables) }},
		{name: "RemainingTableCount", help: "The number of tables that the snapshot has yet to copy.",
			snapshot: func(v *progress.View) float64 { return float64(v.Snapshot.RemainingTables) }},
		{name: "TotalNumberOfEventsSeen", help: "The total number of events that this connector has seen since last started or reset.",
			snapshot: func(v *progress.View) float64 { return float64(v.Snapshot.Rows) },
			stream:   func(v *progress.View) float64 { return float64(v.Streaming.EventsSeen) }},
		{name: "TotalNumberOfCreateEventsSeen", help: "The total number of create events that this connector has seen since last started or reset.",
			stream: func(v *progress.View) float64 { return float64(v.Streaming.Creates) }},
		{name: "TotalNumberOfUpdateEventsSeen", help: "The total number of update events that this connector has seen since last started or reset.",
			stream: func(v *progress.View) float64 { return float64(v.Streaming.Updates) }},
		{name: "TotalNumberOfDeleteEventsSeen", help: "The total number of delete events that this connector has seen since last started or reset.",
			stream: func(v *progress.View) float64 { return float64(v.Streaming.Deletes) }},
		{name: "NumberOfEventsFiltered", help: "The number of events that have been filtered by include/exclude list filtering rules configured on the connector.",
			snapshot: func(*progress.View) float64 { return 0 },
			stream:   func(v *progress.View) float64 { return float64(v.Streaming.Filtered) }},
		{name: "NumberOfCommittedTransactions", help: "The number of processed transactions that were committed.",
			stream: func(v *progress.View) float64 { return float64(v.Streaming.CommittedTransactions) }},
		{name: "MilliSecondsBehindSource", help: "The number of milliseconds between the last change event's timestamp and the connector processing it.",
			stream: func(v *progress.View) float64 { return float64(v.Streaming.MilliSecondsBehindSource) }},
		{name: "MilliSecondsSinceLastEvent", help: "The number of milliseconds since the connector has read and processed the most recent event.",
			snapshot: sinceLast, stream: sinceLast},
		{name: "Connected", help: "Flag that denotes whether the connector is currently connected to the database server.",
			stream: func(v *progress.View) float64 { return b2f(v.Streaming.Connected) }},
		{name: "QueueTotalCapacity", help: "The length the queue used to pass events between the snapshotter/streamer and the main Kafka Connect loop.",
			snapshot: queue(func(q progress.QueueView) int64 { return q.TotalCapacity }), stream: queue(func(q progress.QueueView) int64 { return q.TotalCapacity })},
		{name: "QueueRemainingCapacity", help: "The free capacity of the queue used to pass events between the snapshotter/streamer and the main Kafka Connect loop.",
			snapshot: queue(func(q progress.QueueView) int64 { return q.RemainingCapacity }), stream: queue(func(q progress.QueueView) int64 { return q.RemainingCapacity })},
		{name: "CurrentQueueSizeInBytes", help: "The current volume, in bytes, of records in the queue.",
			snapshot: queue(func(q progress.QueueView) int64 { return q.CurrentBytes }), stream: queue(func(q progress.QueueView) int64 { return q.CurrentBytes })},
		{name: "MaxQueueSizeInBytes", help: "The maximum buffer of the queue in bytes (max.queue.size.in.bytes; 0: unbounded).",
			snapshot: queue(func(q progress.QueueView) int64 { return q.MaxBytes }), stream: queue(func(q progress.QueueView) int64 { return q.MaxBytes })},
		{name: "BinlogPosition", help: "The most recent position (in bytes) within the binlog that the connector has read.",
			stream: func(v *progress.View) float64 { return float64(v.Streaming.BinlogPosition) }, onlyPlugin: "binlog"},
	}
	for _, a := range attrs {
		name := "debezium_metrics_" + a.name
		m.Family(name, "untyped", a.help)
		for i := range views {
			v := &views[i]
			if a.onlyPlugin == "binlog" && v.Plugin != "mysql" && v.Plugin != "mariadb" {
				continue
			}
			if a.snapshot != nil {
				m.Sample(name, a.snapshot(v), labels(v, "snapshot")...)
			}
			if a.stream != nil {
				m.Sample(name, a.stream(v), labels(v, "streaming")...)
			}
		}
	}
	m.Family("debezium_metrics_RowsScanned", "untyped", "The number of rows scanned per table during the snapshot.")
	for i := range views {
		v := &views[i]
		for _, t := range v.Snapshot.Tables {
			m.Sample("debezium_metrics_RowsScanned", float64(t.Rows), append(labels(v, "snapshot"), metrics.Label{Name: "table", Value: t.Name})...)
		}
	}
	// connectd's own: what Debezium has no attribute (or only a string attribute) for.
	m.Family("connectd_connector_snapshot_rows_estimated", "gauge", "The database's estimate of a snapshot table's rows when the snapshot started (-1: unknown).")
	for i := range views {
		v := &views[i]
		for _, t := range v.Snapshot.Tables {
			m.Sample("connectd_connector_snapshot_rows_estimated", float64(t.Estimated), append(labels(v, "snapshot"), metrics.Label{Name: "table", Value: t.Name})...)
		}
	}
	m.Family("connectd_connector_binlog_file_info", "gauge", "The binlog file of the last event read (MySQL, MariaDB), as a label; the value is 1.")
	for i := range views {
		v := &views[i]
		if v.Streaming.BinlogFile != "" {
			m.Sample("connectd_connector_binlog_file_info", 1, append(labels(v, "streaming"), metrics.Label{Name: "file", Value: v.Streaming.BinlogFile})...)
		}
	}
	for _, f := range []struct {
		kind       progress.LagKind
		name, help string
	}{
		{progress.LagBinlogBytes, "connectd_connector_binlog_bytes_behind", "The bytes of binlog the server wrote after the last event read (MySQL, MariaDB; probed at most every 5 s; -1: unknown)."},
		{progress.LagSlotBytes, "connectd_connector_slot_lag_bytes", "The WAL the replication slot holds back: the server's WAL end minus the LSN last confirmed (PostgreSQL; -1: unknown)."},
	} {
		m.Family(f.name, "gauge", f.help)
		for i := range views {
			v := &views[i]
			if v.Lag.Kind == f.kind {
				m.Sample(f.name, float64(v.Lag.Bytes), labels(v, "streaming")...)
			}
		}
	}
}
