package runtime

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestConfigProvidersResolveAtStartAndStayHidden runs a worker with the file, directory and env
// providers: the tasks write to the topic and count the references resolve to, while the stored
// config, task configs, validation answer, status traces and logs only ever show the references.
func TestConfigProvidersResolveAtStartAndStayHidden(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	if err := os.Mkdir(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	topic := testbed.Topic(t, "prov")
	const password = "pr0vider-Secret-9f3"
	propsFile := filepath.Join(secrets, "conn.properties")
	if err := os.WriteFile(propsFile, []byte("topic="+topic+"\npassword: "+password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secrets, "count"), []byte("20"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "outside.properties")
	if err := os.WriteFile(outside, []byte("topic=elsewhere\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CONNECTD_TEST_PROV_FAIL_AT", "73519")
	t.Setenv("CONNECTD_TEST_PROV_FLUSH_MS", "150")
	t.Setenv("CONNECTD_TEST_PROV_HIDDEN", "not-allowed")

	h := newHarness(t, map[string]string{
		"config.providers":                             "file,dir,env",
		"config.providers.file.class":                  "org.apache.kafka.common.config.provider.FileConfigProvider",
		"config.providers.file.param.allowed.paths":    secrets,
		"config.providers.dir.class":                   "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
		"config.providers.env.class":                   "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
		"config.providers.env.param.allowlist.pattern": "CONNECTD_TEST_PROV_(FAIL_AT|FLUSH_MS)",
		// The worker's own settings may use its providers.
		"offset.flush.interval.ms": "${env:CONNECTD_TEST_PROV_FLUSH_MS}",
	})
	if got := h.worker.flushInterval.Milliseconds(); got != 150 {
		t.Errorf("offset.flush.interval.ms from ${env:...} = %dms, want 150", got)
	}
	var logs lockedBuffer
	h.worker.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	raw := genConfig("prov", "${file:"+propsFile+":topic}",
		"password", "${file:"+propsFile+":password}",
		"count", "${dir:"+secrets+":count}",
		"tasks.max", "2")

	// Validation resolves (count must be a long) but answers with the references.
	infos, err := h.herder.ValidateConnectorConfig(h.ctx, raw)
	if err != nil || infos.ErrorCount != 0 {
		t.Fatalf("validate: %d errors, %v: %+v", infos.ErrorCount, err, infos.Configs)
	}
	for _, c := range infos.Configs {
		if c.Value != nil && c.Value.Value != nil {
			if want, ok := raw[c.Value.Name]; ok && *c.Value.Value != want && c.Value.Name != "password" {
				t.Errorf("validate shows %s = %q, want the raw %q", c.Value.Name, *c.Value.Value, want)
			}
			if strings.Contains(*c.Value.Value, password) || *c.Value.Value == topic {
				t.Errorf("validate shows the resolved value of %s", c.Value.Name)
			}
		}
	}

	h.create(raw)
	h.waitStates("prov", herder.StateRunning, herder.StateRunning, herder.StateRunning)
	recs := readTopic(t, h.brokers, topic, func(m map[int][]int64) bool { return len(m[0]) >= 20 && len(m[1]) >= 20 })
	for task := range 2 {
		if len(recs[task]) != 20 {
			t.Errorf("task %d wrote %d records to the resolved topic, want the resolved count 20", task, len(recs[task]))
		}
	}

	info, err := h.herder.ConnectorInfo(h.ctx, "prov")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range raw {
		if info.Config[k] != v {
			t.Errorf("stored config %s = %q, want the raw %q", k, info.Config[k], v)
		}
	}
	tasks, err := h.herder.TaskConfigs(h.ctx, "prov")
	if err != nil || len(tasks) != 2 {
		t.Fatalf("task configs = %+v, %v", tasks, err)
	}
	for _, ti := range tasks {
		for _, k := range []string{"topic", "password", "count"} {
			if ti.Config[k] != raw[k] {
				t.Errorf("task %d config %s = %q, want the raw reference %q", ti.ID.Task, k, ti.Config[k], raw[k])
			}
		}
	}

	// A failure quoting a resolved value shows it hidden.
	fail := genConfig("prov-fail", "${file:"+propsFile+":topic}", "fail.at.seq", "${env:CONNECTD_TEST_PROV_FAIL_AT}",
		"rate", "0", "batch.size", "100000")
	h.create(fail)
	st := h.waitStates("prov-fail", herder.StateRunning, herder.StateFailed)
	if tr := st.Tasks[0].Trace; strings.Contains(tr, "73519") || !strings.Contains(tr, "fail at seq [hidden]") {
		t.Errorf("trace does not hide the resolved fail.at.seq:\n%s", tr)
	}

	// A reference the provider may not read fails the create with a reason naming the path.
	bad := genConfig("prov-bad", "${file:"+outside+":topic}")
	if _, _, err := h.herder.PutConnectorConfig(h.ctx, "prov-bad", bad, "", false); err == nil || !strings.Contains(err.Error(), "allowed.paths") {
		t.Errorf("create with a path outside allowed.paths: err = %v, want one naming allowed.paths", err)
	}
	// An env variable outside allowlist.pattern stays unresolved, as in Kafka Connect.
	hidden := genConfig("prov-hidden", "${file:"+propsFile+":topic}", "count", "${env:CONNECTD_TEST_PROV_HIDDEN}")
	infos, err = h.herder.ValidateConnectorConfig(h.ctx, hidden)
	if err != nil || infos.ErrorCount == 0 {
		t.Errorf("count=${env:NOT_ALLOWED} validated with %d errors, %v; want it left unresolved and refused", infos.ErrorCount, err)
	}

	wait.Until(t, "the worker logged the connector's start", func() bool { return strings.Contains(logs.String(), "starting connector") })
	for _, secret := range []string{password, "73519"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the worker logged the resolved value %q:\n%s", secret, logs.String())
		}
	}
}
