// Package observe tests what an operator sees of a running connector on the test bed's real
// MariaDB, PostgreSQL and Kafka: Debezium's connector metrics on GET /metrics (parsed with
// Prometheus' own text parser) and the progress and lag in the REST status body, during a
// snapshot held half-way and while streaming.
package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/connectd/connectd/cmd/connectd/ctl"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// scrape fetches GET /metrics and parses it with Prometheus' text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return fams
}

// metric is a sample's value, or NaN when there is no sample with those labels.
func metric(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return nanValue
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		}
	}
	return nanValue
}

var nanValue = func() float64 { z := 0.0; return z / z }()

// taskStatus is the REST task status with connectd's progress and lag.
type taskStatus struct {
	State    string `json:"state"`
	Progress *struct {
		Phase             string   `json:"phase"`
		Table             string   `json:"table"`
		RowsDone          int64    `json:"rows_done"`
		RowsEstimated     *int64   `json:"rows_estimated"`
		Percent           *float64 `json:"percent"`
		Rate              float64  `json:"rate"`
		ETASeconds        *float64 `json:"eta_seconds"`
		TablesDone        int64    `json:"tables_done"`
		TablesTotal       int64    `json:"tables_total"`
		SnapshotCompleted bool     `json:"snapshot_completed"`
		EventsSeen        int64    `json:"events_seen"`
	} `json:"progress"`
	Lag *struct {
		MsBehindSource    *int64 `json:"ms_behind_source"`
		BinlogFile        string `json:"binlog_file"`
		BinlogPosition    *int64 `json:"binlog_position"`
		BinlogBytesBehind *int64 `json:"binlog_bytes_behind"`
		SlotLagBytes      *int64 `json:"slot_lag_bytes"`
		Error             string `json:"error"`
	} `json:"lag"`
}

func status(t *testing.T, w *e2e.Worker, name string) taskStatus {
	t.Helper()
	code, b := w.Call("GET", "/connectors/"+name+"/status", nil)
	if code != 200 {
		t.Fatalf("GET status: %d %s", code, b)
	}
	var s struct{ Tasks []taskStatus }
	if err := json.Unmarshal(b, &s); err != nil || len(s.Tasks) != 1 {
		t.Fatalf("status body %s: %v", b, err)
	}
	// The single-task endpoint carries the same additions.
	code, b1 := w.Call("GET", "/connectors/"+name+"/tasks/0/status", nil)
	var one taskStatus
	if code != 200 || json.Unmarshal(b1, &one) != nil || (one.Progress == nil) != (s.Tasks[0].Progress == nil) {
		t.Fatalf("GET tasks/0/status: %d %s (connector status %s)", code, b1, b)
	}
	return s.Tasks[0]
}

// story is one database's run: tables with rows, a connector created PAUSED so its snapshot
// stops when the queue is full, then resumed, then changes streamed.
type story struct {
	plugin, prefix, name string
	cfg                  map[string]string
	// tables are the captured tables (Debezium's ids, as RowsScanned's table label) with their rows.
	tables map[string]int
	// change makes 5 inserts (one transaction), 3 updates (one statement), 2 deletes.
	change func()
	// ctlLag is what `connectd ctl status` shows of the lag while streaming.
	ctlLag string
	// checkLag checks the connector's own lag fields while streaming.
	checkLag func(t *testing.T, fams map[string]*dto.MetricFamily, s taskStatus) bool
}

func run(t *testing.T, st story) {
	w := e2e.StartWorker(t, testbed.Topic(t, "observe-offsets"))
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": st.name, "config": st.cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	// A connector created PAUSED does not start its tasks: pause it as soon as the snapshot
	// runs, well before it can read 30,000 rows through a 200-record queue.
	wait.Until(t, "the snapshot to start", func() bool {
		return metric(scrape(t, w.URL), "debezium_metrics_SnapshotRunning", "plugin", st.plugin, "name", st.prefix, "context", "snapshot") == 1
	})
	if code, b := w.Call("PUT", "/connectors/"+st.name+"/pause", nil); code != 202 {
		t.Fatalf("pause: %d %s", code, b)
	}
	total := 0
	for _, n := range st.tables {
		total += n
	}
	l := func(ctx string, more ...string) []string {
		return append([]string{"plugin", st.plugin, "name", st.prefix, "context", ctx}, more...)
	}

	// Paused: the snapshot fills the queue (200 records) and waits.
	var fams map[string]*dto.MetricFamily
	var last float64
	wait.Until(t, "the snapshot to stop half-way, the queue full", func() bool {
		fams = scrape(t, w.URL)
		rows := metric(fams, "debezium_metrics_TotalNumberOfEventsSeen", l("snapshot")...)
		full := metric(fams, "debezium_metrics_QueueRemainingCapacity", l("snapshot")...) == 0
		stable := rows == last
		last = rows
		return metric(fams, "debezium_metrics_SnapshotRunning", l("snapshot")...) == 1 && full && stable && rows > 0
	})
	if last >= float64(total) {
		t.Fatalf("the held snapshot saw %v rows of %d: it was not paused in time", last, total)
	}
	for name, want := range map[string]float64{"SnapshotCompleted": 0, "TotalTableCount": float64(len(st.tables)), "QueueTotalCapacity": 200} {
		if got := metric(fams, "debezium_metrics_"+name, l("snapshot")...); got != want {
			t.Errorf("half-way: debezium_metrics_%s = %v, want %v", name, got, want)
		}
	}
	if r := metric(fams, "debezium_metrics_RemainingTableCount", l("snapshot")...); !(r >= 1 && r <= float64(len(st.tables))) {
		t.Errorf("half-way: RemainingTableCount = %v", r)
	}
	ts := status(t, w, st.name)
	if b, err := json.Marshal(ts); err == nil {
		t.Logf("half-way: %s", b)
	}
	if p := ts.Progress; p == nil || p.Phase != "snapshot" || p.RowsDone != int64(last) || p.TablesTotal != int64(len(st.tables)) ||
		p.SnapshotCompleted || p.Table == "" || p.Percent == nil || *p.Percent >= 100 || p.RowsEstimated == nil {
		b, _ := json.Marshal(ts)
		t.Errorf("half-way REST status: %s (rows seen in /metrics %v)", b, last)
	}

	// connectd ctl status shows it, as a table and as JSON.
	if out := ctlStatus(t, w, st.name); !strings.Contains(out, "PROGRESS") || !strings.Contains(out, "snapshot "+ts.Progress.Table) ||
		!strings.Contains(out, " rows, ") || !strings.Contains(out, "%") || !strings.Contains(out, "rows/s") {
		t.Errorf("connectd ctl status half-way:\n%s", out)
	}
	if out := ctlStatus(t, w, st.name, "-o", "json"); !strings.Contains(out, `"phase": "snapshot"`) || !strings.Contains(out, `"rows_estimated"`) {
		t.Errorf("connectd ctl status -o json half-way:\n%s", out)
	}

	// Resumed: the snapshot completes with every row of every table counted.
	if code, b := w.Call("PUT", "/connectors/"+st.name+"/resume", nil); code != 202 {
		t.Fatalf("resume: %d %s", code, b)
	}
	wait.Until(t, "the snapshot to complete", func() bool {
		fams = scrape(t, w.URL)
		return metric(fams, "debezium_metrics_SnapshotCompleted", l("snapshot")...) == 1
	})
	for table, n := range st.tables {
		if got := metric(fams, "debezium_metrics_RowsScanned", l("snapshot", "table", table)...); got != float64(n) {
			t.Errorf("RowsScanned{table=%s} = %v, want %d", table, got, n)
		}
	}
	for name, want := range map[string]float64{"TotalNumberOfEventsSeen": float64(total), "RemainingTableCount": 0, "SnapshotRunning": 0} {
		if got := metric(fams, "debezium_metrics_"+name, l("snapshot")...); got != want {
			t.Errorf("after the snapshot: debezium_metrics_%s = %v, want %v", name, got, want)
		}
	}

	// Streaming: the events seen are the changes made.
	wait.Until(t, "streaming to be connected", func() bool {
		return metric(scrape(t, w.URL), "debezium_metrics_Connected", l("streaming")...) == 1
	})
	st.change()
	wait.Until(t, "the 10 changes to be counted", func() bool {
		fams = scrape(t, w.URL)
		return metric(fams, "debezium_metrics_TotalNumberOfEventsSeen", l("streaming")...) >= 10
	})
	time.Sleep(time.Second) // nothing more may arrive
	fams = scrape(t, w.URL)
	for name, want := range map[string]float64{"TotalNumberOfEventsSeen": 10, "TotalNumberOfCreateEventsSeen": 5,
		"TotalNumberOfUpdateEventsSeen": 3, "TotalNumberOfDeleteEventsSeen": 2} {
		if got := metric(fams, "debezium_metrics_"+name, l("streaming")...); got != want {
			t.Errorf("streaming: debezium_metrics_%s = %v, want %v", name, got, want)
		}
	}
	// Other tests write to the same servers: transactions are at least ours.
	if got := metric(fams, "debezium_metrics_NumberOfCommittedTransactions", l("streaming")...); !(got >= 3) {
		t.Errorf("NumberOfCommittedTransactions = %v, want >= 3", got)
	}
	if got := metric(fams, "debezium_metrics_MilliSecondsBehindSource", l("streaming")...); !(got >= 0 && got < 120000) {
		t.Errorf("MilliSecondsBehindSource = %v", got)
	}
	if got := metric(fams, "debezium_metrics_SnapshotCompleted", l("snapshot")...); got != 1 {
		t.Errorf("SnapshotCompleted while streaming = %v", got)
	}
	wait.Until(t, "the streaming status and lag", func() bool {
		fams = scrape(t, w.URL)
		s := status(t, w, st.name)
		if s.Progress == nil || s.Progress.Phase != "streaming" || s.Progress.EventsSeen != 10 || !s.Progress.SnapshotCompleted ||
			s.Progress.RowsDone != int64(total) || s.Lag == nil || s.Lag.MsBehindSource == nil {
			b, _ := json.Marshal(s)
			t.Logf("status: %s", b)
			return false
		}
		if !st.checkLag(t, fams, s) {
			return false
		}
		b, _ := json.Marshal(s)
		t.Logf("streaming: %s", b)
		return true
	})
	out := ctlStatus(t, w, st.name)
	if !strings.Contains(out, "streaming, 10 events") || !strings.Contains(out, " ms behind") || !strings.Contains(out, st.ctlLag) {
		t.Errorf("connectd ctl status while streaming:\n%s", out)
	}
	t.Logf("connectd ctl status:\n%s", out)
}

// TestMariaDBMetricsAndProgress: a MariaDB connector's metrics and REST progress during a held
// snapshot, after it, and while streaming.
func TestMariaDBMetricsAndProgress(t *testing.T) {
	d := mariadb.New(t, "observe")
	d.Exec("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE small (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE nothing (id INT PRIMARY KEY)")
	d.Exec("INSERT INTO big SELECT seq, CONCAT('row ', seq) FROM seq_1_to_30000")
	insertRows(func(q string) { d.Exec(q) }, "small", 300)
	d.Exec("ANALYZE TABLE big, small")
	prefix := testbed.Topic(t, "observe")
	cfg := map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   d.TB.Host,
		"database.port":                       strconv.Itoa(d.TB.Port),
		"database.user":                       d.TB.User,
		"database.password":                   d.TB.Password,
		"database.server.id":                  strconv.Itoa(7100 + rand.IntN(800)),
		"database.include.list":               d.Name,
		"schema.history.internal.kafka.topic": prefix + "-history",
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(t),
		"poll.interval.ms":    "100",
		"max.queue.size":      "200",
		"max.batch.size":      "50",
		"snapshot.fetch.size": "100",
	}
	run(t, story{plugin: "mariadb", prefix: prefix, name: "observe-mariadb", cfg: cfg, ctlLag: " binlog bytes behind",
		tables: map[string]int{d.Name + ".big": 30000, d.Name + ".small": 300, d.Name + ".nothing": 0},
		change: func() {
			d.Exec("BEGIN", "INSERT INTO small VALUES (1001,'a'),(1002,'b'),(1003,'c'),(1004,'d'),(1005,'e')", "COMMIT",
				"UPDATE small SET v = 'u' WHERE id IN (1, 2, 3)",
				"DELETE FROM small WHERE id IN (4, 5)")
		},
		checkLag: func(t *testing.T, fams map[string]*dto.MetricFamily, s taskStatus) bool {
			l := []string{"plugin", "mariadb", "name", prefix, "context", "streaming"}
			pos := metric(fams, "debezium_metrics_BinlogPosition", l...)
			behind := metric(fams, "connectd_connector_binlog_bytes_behind", l...)
			if !(pos > 4) || !(behind >= 0) || s.Lag.BinlogFile == "" || s.Lag.BinlogPosition == nil || s.Lag.BinlogBytesBehind == nil ||
				*s.Lag.BinlogPosition <= 4 || metric(fams, "connectd_connector_binlog_file_info", append(l, "file", s.Lag.BinlogFile)...) != 1 {
				t.Logf("binlog lag: position %v, bytes behind %v, status %+v", pos, behind, *s.Lag)
				return false
			}
			return true
		},
	})
}

// TestPostgresMetricsAndProgress: the same story on PostgreSQL, with the slot's lag.
func TestPostgresMetricsAndProgress(t *testing.T) {
	tb := testbed.Postgres(t)
	name := fmt.Sprintf("obs_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", tb.Host, tb.Port, tb.User, tb.Password, tb.Database))
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string) {
		t.Helper()
		if _, err := conn.Exec(ctx, q).ReadAll(); err != nil {
			t.Fatalf("%.200s: %v", q, err)
		}
	}
	slot, pub := name, name+"_pub"
	t.Cleanup(func() {
		conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, slot)).ReadAll()
		for i := 0; i < 40; i++ {
			if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, slot)).ReadAll(); err == nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+pub+`"`).ReadAll()
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE").ReadAll()
		conn.Close(ctx)
	})
	exec("CREATE SCHEMA " + name)
	exec("CREATE TABLE " + name + ".big (id INT PRIMARY KEY, v TEXT)")
	exec("CREATE TABLE " + name + ".small (id INT PRIMARY KEY, v TEXT)")
	exec("CREATE TABLE " + name + ".nothing (id INT PRIMARY KEY)")
	exec("INSERT INTO " + name + ".big SELECT i, 'row ' || i FROM generate_series(1, 30000) i")
	insertRows(exec, name+".small", 300)
	exec("ANALYZE " + name + ".big, " + name + ".small")
	prefix := testbed.Topic(t, "observe")
	cfg := map[string]string{
		"connector.class":           "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":                 "1",
		"topic.prefix":              prefix,
		"database.hostname":         tb.Host,
		"database.port":             strconv.Itoa(tb.Port),
		"database.user":             tb.User,
		"database.password":         tb.Password,
		"database.dbname":           tb.Database,
		"plugin.name":               "pgoutput",
		"slot.name":                 slot,
		"publication.name":          pub,
		"schema.include.list":       name,
		"poll.interval.ms":          "100",
		"max.queue.size":            "200",
		"max.batch.size":            "50",
		"snapshot.fetch.size":       "100",
		"status.update.interval.ms": "500",
	}
	run(t, story{plugin: "postgres", prefix: prefix, name: "observe-postgres", cfg: cfg, ctlLag: "slot lag ",
		tables: map[string]int{name + ".big": 30000, name + ".small": 300, name + ".nothing": 0},
		change: func() {
			exec("BEGIN; INSERT INTO " + name + ".small VALUES (1001,'a'),(1002,'b'),(1003,'c'),(1004,'d'),(1005,'e'); COMMIT")
			exec("UPDATE " + name + ".small SET v = 'u' WHERE id IN (1, 2, 3)")
			exec("DELETE FROM " + name + ".small WHERE id IN (4, 5)")
		},
		checkLag: func(t *testing.T, fams map[string]*dto.MetricFamily, s taskStatus) bool {
			lag := metric(fams, "connectd_connector_slot_lag_bytes", "plugin", "postgres", "name", prefix, "context", "streaming")
			if !(lag >= 0) || s.Lag.SlotLagBytes == nil || s.Lag.BinlogFile != "" {
				t.Logf("slot lag: %v, status %+v", lag, *s.Lag)
				return false
			}
			return true
		},
	})
}

// insertRows fills table with rows 1..n in statements of 100 rows.
func insertRows(exec func(string), table string, n int) {
	for i := 1; i <= n; i += 100 {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " VALUES ")
		for j := i; j < i+100 && j <= n; j++ {
			if j > i {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'row %d')", j, j)
		}
		exec(b.String())
	}
}

// ctlStatus runs `connectd ctl status name` against the worker.
func ctlStatus(t *testing.T, w *e2e.Worker, name string, more ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if code := ctl.Run(append([]string{"--url", w.URL, "status", name}, more...), &out, &errs); code != 0 {
		t.Fatalf("connectd ctl status %s: exit %d: %s", name, code, errs.String())
	}
	return out.String()
}

// TestConnectorMetricsOff: with CONNECTD_CONNECTOR_METRICS=off (the benchmark's switch) the
// connector reports nothing: no Debezium metrics, no progress in the status, the Kafka Connect
// metrics still there.
func TestConnectorMetricsOff(t *testing.T) {
	t.Setenv("CONNECTD_CONNECTOR_METRICS", "off")
	d := mariadb.New(t, "observeoff")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1),(2)")
	w := e2e.StartWorker(t, testbed.Topic(t, "observe-offsets"))
	prefix := testbed.Topic(t, "observeoff")
	w.Create("off", map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   d.TB.Host,
		"database.port":                       strconv.Itoa(d.TB.Port),
		"database.user":                       d.TB.User,
		"database.password":                   d.TB.Password,
		"database.server.id":                  strconv.Itoa(7100 + rand.IntN(800)),
		"database.include.list":               d.Name,
		"schema.history.internal.kafka.topic": prefix + "-history",
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(t),
	})
	w.WaitState("off", "RUNNING")
	c := e2e.NewConsumer(t, prefix+"."+d.Name+".t")
	c.WaitFor(prefix+"."+d.Name+".t", 2)
	fams := scrape(t, w.URL)
	for name := range fams {
		if strings.HasPrefix(name, "debezium_") || strings.HasPrefix(name, "connectd_connector_") {
			t.Errorf("metrics are off but %s is served", name)
		}
	}
	// The two rows and the schema change events.
	if got := metric(fams, "kafka_connect_source_task_source_record_write_total", "connector", "off"); !(got >= 2) {
		t.Errorf("kafka_connect_source_task_source_record_write_total = %v, want at least 2", got)
	}
	if s := status(t, w, "off"); s.Progress != nil || s.Lag != nil {
		t.Errorf("metrics are off but the status has progress %+v lag %+v", s.Progress, s.Lag)
	}
}
