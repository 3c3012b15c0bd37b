package runtime

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// scrape fetches GET /metrics and parses it with Prometheus' own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return fams
}

// value returns the sample of family name whose labels include want, and whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// The Kafka Connect task metrics move as records flow: polled and written counts reach the
// records produced, a filtered record is polled but not written, an errors.tolerance=all skip is
// counted, and the status and count gauges follow the tasks.
func TestMetricsFollowTheTasks(t *testing.T) {
	h := newHarness(t, nil)
	srv := httptest.NewServer(rest.NewServer(rest.Options{Herder: h.herder, Metrics: h.worker.WriteMetrics}))
	defer srv.Close()
	k := "org.apache.kafka.connect.transforms."
	h.create(genConfig("m-gen", testbed.Topic(t, "metrics"), "count", "300", "tasks.max", "2"))
	h.create(genConfig("m-skip", testbed.Topic(t, "metricsk"), "count", "40", "errors.tolerance", "all",
		"transforms", "c", "transforms.c.type", k+"Cast$Value", "transforms.c.spec", "payload:int32"))
	wait.Until(t, "both connectors committed their last records", func() bool {
		c, s := h.committed("m-gen"), h.committed("m-skip")
		return c["0"] == 299 && c["1"] == 299 && s["0"] == 39
	})
	var fams map[string]*dto.MetricFamily
	wait.Until(t, "the metrics count every record", func() bool {
		fams = scrape(t, srv.URL)
		w0, _ := value(fams, "kafka_connect_source_task_source_record_write_total", map[string]string{"connector": "m-gen", "task": "0"})
		w1, _ := value(fams, "kafka_connect_source_task_source_record_write_total", map[string]string{"connector": "m-gen", "task": "1"})
		return w0 == 300 && w1 == 300
	})
	for _, c := range []struct {
		name  string
		label map[string]string
		want  float64
	}{
		{"kafka_connect_source_task_source_record_poll_total", map[string]string{"connector": "m-gen", "task": "1"}, 300},
		{"kafka_connect_source_task_source_record_poll_total", map[string]string{"connector": "m-skip", "task": "0"}, 40},
		{"kafka_connect_source_task_source_record_write_total", map[string]string{"connector": "m-skip", "task": "0"}, 0},
		{"kafka_connect_task_error_total_records_skipped", map[string]string{"connector": "m-skip", "task": "0"}, 40},
		{"kafka_connect_source_task_source_record_active_count", map[string]string{"connector": "m-gen", "task": "0"}, 0},
		{"kafka_connect_connector_task_status", map[string]string{"connector": "m-gen", "task": "0", "status": "running"}, 1},
		{"kafka_connect_connector_status", map[string]string{"connector": "m-skip", "status": "running"}, 1},
		{"kafka_connect_worker_connector_connector_running_task_count", map[string]string{"connector": "m-gen"}, 2},
		{"kafka_connect_worker_task_count", nil, 3},
		{"kafka_connect_worker_connector_count", nil, 2},
		{"kafka_connect_connector_task_offset_commit_failure_percentage", map[string]string{"connector": "m-gen", "task": "0"}, 0},
	} {
		if got, ok := value(fams, c.name, c.label); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.label, got, ok, c.want)
		}
	}
	for _, name := range []string{"kafka_connect_source_task_source_record_poll_rate", "kafka_connect_source_task_source_record_write_rate",
		"kafka_connect_connector_task_offset_commit_avg_time_ms"} {
		if v, ok := value(fams, name, map[string]string{"connector": "m-gen", "task": "0"}); !ok || v <= 0 {
			t.Errorf("%s = %v (present %v), want > 0 after 300 records", name, v, ok)
		}
	}
	if _, ok := value(fams, "kafka_connect_source_task_poll_batch_avg_time_ms", map[string]string{"connector": "m-gen", "task": "0"}); !ok {
		t.Error("kafka_connect_source_task_poll_batch_avg_time_ms is missing")
	}
}
