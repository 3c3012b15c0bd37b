package runtime_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

const stoppedMessage = "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint"

// A user's session with a standalone worker: one connector from a properties file, another
// created over REST, then pause, resume, stop, offsets, restart, delete, and SIGTERM.
func TestStandaloneWorkerSession(t *testing.T) {
	brokers := testbed.Kafka(t)
	bin := buildTestBinary(t)
	dir := t.TempDir()
	port := e2e.FreePort(t)
	topic := testbed.Topic(t, "gen")
	worker := e2e.WriteProps(t, dir, "worker.properties", map[string]string{
		"bootstrap.servers":              brokers,
		"offset.storage.file.filename":   filepath.Join(dir, "connect.offsets"),
		"offset.flush.interval.ms":       "200",
		"listeners":                      "http://127.0.0.1:" + itoa(port),
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
	})
	fileConn := e2e.WriteProps(t, dir, "from-file.properties", map[string]string{
		"name": "from-file", "connector.class": "io.connectd.tests.GeneratorConnector",
		"topic": topic + "-file", "count": "10", "password": "file-secret",
	})
	var stderr e2e.LockedBuffer
	cmd := exec.Command(bin, "standalone", worker, fileConn)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("worker log:\n%s", stderr.String())
		}
	}()
	c := client{e2e.NewClient(t, "http://127.0.0.1:"+itoa(port))}
	wait.Until(t, "the worker answers GET /health", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the worker exited: %v", err)
		default:
		}
		r, err := httpGet(c.URL + "/health")
		return err == nil && r == 200
	})

	var info herder.ServerInfo
	c.Expect(200, "GET", "/", "").JSON(t, &info)
	if info.KafkaClusterID == "" || info.Version == "" {
		t.Errorf("GET / = %+v", info)
	}
	var plugins []rest.PluginInfo
	c.Expect(200, "GET", "/connector-plugins", "").JSON(t, &plugins)
	if len(plugins) == 0 || plugins[len(plugins)-1].Class == "" {
		t.Errorf("GET /connector-plugins = %+v", plugins)
	}
	if r := c.Expect(200, "GET", "/openapi.json", ""); !bytes.Equal(r.Body, rest.OpenAPI) {
		t.Error("/openapi.json differs from connect/rest/openapi.json")
	}

	// The connector from the command line runs, with its password hidden.
	c.WaitStatus("from-file", "RUNNING", "RUNNING")
	cfg := map[string]string{}
	c.Expect(200, "GET", "/connectors/from-file/config", "").JSON(t, &cfg)
	if cfg["password"] != "[hidden]" {
		t.Errorf("GET config shows password %q", cfg["password"])
	}
	if r := c.Expect(200, "GET", "/connectors/from-file/tasks", ""); strings.Contains(string(r.Body), "file-secret") || !strings.Contains(string(r.Body), `"password":"[hidden]"`) {
		t.Errorf("GET tasks shows the password: %s", r.Body)
	}
	if strings.Contains(stderr.String(), "file-secret") {
		t.Error("the worker log shows the password")
	}

	// PUT config creates (201) then updates (200), and a GET→PUT round trip keeps the password.
	putCfg := `{"connector.class":"io.connectd.tests.GeneratorConnector","topic":"` + topic + `-put","count":"3","password":"put-secret"}`
	c.Expect(201, "PUT", "/connectors/put/config", putCfg)
	got := c.Expect(200, "GET", "/connectors/put/config", "")
	c.Expect(200, "PUT", "/connectors/put/config", string(got.Body))
	c.Expect(200, "PATCH", "/connectors/put/config", `{"count":"4"}`)
	if msg := c.Expect(400, "PUT", "/connectors/put/config", `{"name":"other","connector.class":"x"}`).ErrorMessage(t); msg != "Connector name configuration (other) doesn't match connector name in the URL (put)" {
		t.Errorf("name mismatch: %q", msg)
	}
	c.Expect(204, "DELETE", "/connectors/put", "")

	// Create over REST.
	create := `{"name":"gen","config":{"connector.class":"io.connectd.tests.GeneratorConnector","topic":"` + topic + `","rate":"200","tasks.max":2,"password":"rest-secret"}}`
	r := c.Expect(201, "POST", "/connectors", create)
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/connectors/gen") {
		t.Errorf("Location = %q", loc)
	}
	var ci herder.ConnectorInfo
	r.JSON(t, &ci)
	if ci.Name != "gen" || len(ci.Tasks) != 2 || ci.Type != "source" || ci.Config["password"] != "[hidden]" {
		t.Errorf("POST /connectors answered %s", r.Body)
	}
	if msg := c.Expect(409, "POST", "/connectors", create).ErrorMessage(t); msg != "Connector gen already exists" {
		t.Errorf("duplicate: %q", msg)
	}
	c.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")
	readFrom(t, brokers, topic, nil, func(recs []genRecord) bool { return countTask(recs, 0) >= 20 && countTask(recs, 1) >= 20 })

	var expanded map[string]map[string]json.RawMessage
	c.Expect(200, "GET", "/connectors?expand=status&expand=info", "").JSON(t, &expanded)
	if expanded["gen"]["status"] == nil || expanded["from-file"]["info"] == nil {
		t.Errorf("expand: %v", expanded)
	}

	// PATCH offsets while running is refused with Kafka's message; so is a malformed body.
	patch := `{"offsets":[{"partition":{"task":"0"},"offset":{"seq":5}}]}`
	if msg := c.Expect(400, "PATCH", "/connectors/gen/offsets", patch).ErrorMessage(t); msg != strings.ReplaceAll(stoppedMessage, "%s", "gen") {
		t.Errorf("PATCH while running: %q", msg)
	}
	if msg := c.Expect(400, "DELETE", "/connectors/gen/offsets", "").ErrorMessage(t); msg != strings.ReplaceAll(stoppedMessage, "%s", "gen") {
		t.Errorf("DELETE while running: %q", msg)
	}
	if msg := c.Expect(400, "PATCH", "/connectors/gen/offsets", `{"offsets":[{"partition":{"task":"0"}, "ofset":{"seq":5}}]}`).ErrorMessage(t); !strings.Contains(msg, "Unrecognized field") {
		t.Errorf("malformed PATCH: %q", msg)
	}
	if msg := c.Expect(400, "PATCH", "/connectors/gen/offsets", `{"offsets":[]}`).ErrorMessage(t); msg != "Partitions / offsets need to be provided for an alter offsets request" {
		t.Errorf("empty PATCH: %q", msg)
	}

	// Pause: tasks stay, stop producing; resume goes on from where they were.
	c.Expect(202, "PUT", "/connectors/gen/pause", "")
	c.WaitStatus("gen", "PAUSED", "PAUSED", "PAUSED")
	c.Expect(202, "PUT", "/connectors/gen/resume", "")
	c.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")

	// Stop, rewind task 0 to seq 5, resume: it continues at seq 6.
	c.Expect(204, "PUT", "/connectors/gen/stop", "")
	st := c.WaitStatus("gen", "STOPPED")
	if len(st.Tasks) != 0 {
		t.Fatalf("stopped connector has tasks %+v", st.Tasks)
	}
	var msg herder.Message
	c.Expect(200, "PATCH", "/connectors/gen/offsets", patch).JSON(t, &msg)
	if msg.Message != "The offsets for this connector have been altered successfully" {
		t.Errorf("PATCH answer %q", msg.Message)
	}
	if got := c.committed("gen")["0"]; got != 5 {
		t.Fatalf("GET offsets after PATCH: task 0 at %d, want 5", got)
	}
	var hist herder.OffsetHistory
	c.Expect(200, "GET", "/connectors/gen/offsets/history", "").JSON(t, &hist)
	if len(hist.History) < 2 {
		t.Fatalf("history %+v", hist)
	}
	before := endOffsets(t, brokers, topic)
	c.Expect(202, "PUT", "/connectors/gen/resume", "")
	c.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")
	recs := readFrom(t, brokers, topic, before, func(recs []genRecord) bool { return countTask(recs, 0) >= 10 })
	if first, _ := minSeq(recs, 0); first != 6 {
		t.Fatalf("after the rewind to seq 5, task 0 restarted at seq %d, want 6", first)
	}

	// A history entry is a PATCH body: rewind to the state before the rewind.
	c.Expect(204, "PUT", "/connectors/gen/stop", "")
	c.WaitStatus("gen", "STOPPED")
	entry, _ := json.Marshal(map[string]any{"offsets": hist.History[1].Offsets})
	c.Expect(200, "PATCH", "/connectors/gen/offsets", string(entry))
	want := int64(hist.History[1].Offsets[0].Offset["seq"].(float64))
	if got := c.committed("gen")["0"]; got != want {
		t.Errorf("after PATCHing history[1], task 0 is at %d, want %d", got, want)
	}

	// DELETE offsets while stopped resets them.
	c.Expect(200, "DELETE", "/connectors/gen/offsets", "").JSON(t, &msg)
	if msg.Message != "The offsets for this connector have been reset successfully" {
		t.Errorf("DELETE answer %q", msg.Message)
	}
	if got := c.committed("gen"); len(got) != 0 {
		t.Errorf("offsets after reset: %v", got)
	}
	c.Expect(202, "PUT", "/connectors/gen/resume", "")
	c.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")

	// Restarts: the connector alone (204), and with its tasks (202 + the plan).
	c.Expect(204, "POST", "/connectors/gen/restart", "")
	var plan e2e.Status
	c.Expect(202, "POST", "/connectors/gen/restart?includeTasks=true", "").JSON(t, &plan)
	if plan.Connector.State != "RESTARTING" || len(plan.Tasks) != 2 || plan.Tasks[0].State != "RESTARTING" {
		t.Errorf("restart plan %+v", plan)
	}
	c.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")
	c.Expect(204, "POST", "/connectors/gen/tasks/1/restart", "")
	c.Expect(200, "GET", "/connectors/gen/tasks/1/status", "")
	if msg := c.Expect(404, "GET", "/connectors/gen/tasks/9/status", "").ErrorMessage(t); msg != "No status found for task gen-9" {
		t.Errorf("unknown task: %q", msg)
	}

	// Validation of a bad value, over the plugin endpoint.
	var infos herder.ConfigInfos
	c.Expect(200, "PUT", "/connector-plugins/GeneratorConnector/config/validate", `{"connector.class":"io.connectd.tests.GeneratorConnector","name":"v","topic":"t","tasks.max":"zero"}`).JSON(t, &infos)
	if infos.ErrorCount != 1 {
		t.Errorf("validate error_count %d: %+v", infos.ErrorCount, infos)
	}
	found := false
	for _, ci := range infos.Configs {
		if ci.Value != nil && ci.Value.Name == "tasks.max" && len(ci.Value.Errors) == 1 && ci.Value.Errors[0] == "Invalid value zero for configuration tasks.max: Not a number of type INT" {
			found = true
		}
	}
	if !found {
		t.Errorf("validate did not report tasks.max: %+v", infos)
	}

	// Delete: gone from the API, its offsets stay.
	c.Expect(204, "DELETE", "/connectors/gen", "")
	if msg := c.Expect(404, "GET", "/connectors/gen", "").ErrorMessage(t); msg != "Connector gen not found" {
		t.Errorf("GET after delete: %q", msg)
	}
	c.Expect(404, "GET", "/connectors/gen/status", "")

	// SIGTERM: a clean exit, offsets of from-file flushed to the offsets file.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the worker exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the worker did not exit after SIGTERM")
	}
	data, err := os.ReadFile(filepath.Join(dir, "connect.offsets"))
	if err != nil || !bytes.Contains(data, []byte("from-file")) {
		t.Fatalf("offsets file after shutdown: %v %s", err, data)
	}
}

func httpGet(url string) (int, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
