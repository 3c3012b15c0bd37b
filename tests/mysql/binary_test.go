package mysql

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestBinary runs the real test binary (tests/cmd/connectd-test standalone) as a black box: a
// MariaDB connector created over its REST API snapshots and streams into Kafka.
func TestBinary(t *testing.T) {
	d := mariadb.New(t, "e2e")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO t VALUES (1,'a')")
	w, _ := startBinaryWorker(t)
	code, b := w.Call("GET", "/connector-plugins", nil)
	if code != 200 || !strings.Contains(string(b), "io.debezium.connector.mariadb.MariaDbConnector") || !strings.Contains(string(b), "io.debezium.connector.mysql.MySqlConnector") {
		t.Fatalf("GET /connector-plugins: %d %s", code, b)
	}
	var plugins []struct{ Class, Version string }
	if err := json.Unmarshal(b, &plugins); err != nil {
		t.Fatal(err)
	}
	for _, p := range plugins {
		// The test binary adds a test-only plugin of its own version; the shipped ones are Debezium's classes.
		if strings.HasPrefix(p.Class, "io.debezium.") && p.Version != binaryVersion {
			t.Errorf("plugin %s has version %q, want the binary's %q", p.Class, p.Version, binaryVersion)
		}
	}
	prefix := testbed.Topic(t, "bin")
	cfg := connectorConfig(d, prefix, prefix+"-history")

	// Validation reports a wrong value and an unimplemented Debezium property, by name.
	bad := map[string]string{}
	for k, v := range cfg {
		bad[k] = v
	}
	bad["name"] = "bin"
	bad["snapshot.mode"] = "sometimes"
	bad["gtid.source.includes"] = "3E11FA47-71CA-11E1-9E33-C80AA9429562"
	code, b = w.Call("PUT", "/connector-plugins/io.debezium.connector.mariadb.MariaDbConnector/config/validate", bad)
	var vr struct {
		ErrorCount int `json:"error_count"`
	}
	if err := json.Unmarshal(b, &vr); code != 200 || err != nil || vr.ErrorCount != 2 ||
		!strings.Contains(string(b), "snapshot.mode") || !strings.Contains(string(b), "not supported") {
		t.Errorf("validate: %d %.2000s", code, b)
	}

	if code, b := w.Call("POST", "/connectors", map[string]any{"name": "bin", "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	w.WaitState("bin", "RUNNING")
	topic := prefix + "." + d.Name + ".t"
	c := e2e.NewConsumer(t, topic)
	c.WaitFor(topic, 1)
	d.Exec("UPDATE t SET v = 'b' WHERE id = 1")
	recs := c.WaitFor(topic, 2)
	evs := e2e.Events(t, recs)
	if evs[0].Op != "r" || evs[1].Op != "u" || evs[1].After != `{"id":1,"v":"b"}` {
		t.Fatalf("events %v", evs)
	}
	// source.version says connectd wrote the events: the binary's own version, in the snapshot
	// and while streaming.
	for i, r := range recs {
		var v struct {
			Source struct{ Version string } `json:"source"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil || v.Source.Version != binaryVersion {
			t.Errorf("event %d: source.version = %q (%v), want %q", i, v.Source.Version, err, binaryVersion)
		}
	}
}

// binaryVersion is the version startBinaryWorker builds the worker with.
const binaryVersion = "7.7.7-binary-test"

// startBinaryWorker builds tests/cmd/connectd-test and runs it as a standalone worker (file
// offsets) until the test ends; it returns the worker and its process id.
func startBinaryWorker(t *testing.T) (*e2e.Worker, int) {
	t.Helper()
	kafka := testbed.Kafka(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "connectd-test")
	// Built with a version of its own, so the test sees that the one set at build time is what the
	// plugins list and the events carry.
	build := exec.Command("go", "build", "-ldflags", "-X github.com/connectd/connectd/connect/version.Version="+binaryVersion,
		"-o", bin, "./tests/cmd/connectd-test")
	build.Dir = testbed.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port := e2e.FreePort(t)
	props := fmt.Sprintf("bootstrap.servers=%s\noffset.storage.file.filename=%s\nlisteners=http://127.0.0.1:%d\n"+
		"key.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\n"+
		"key.converter.schemas.enable=false\nvalue.converter.schemas.enable=false\noffset.flush.interval.ms=500\n",
		kafka, filepath.Join(dir, "offsets"), port)
	if err := os.WriteFile(filepath.Join(dir, "worker.properties"), []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "standalone", filepath.Join(dir, "worker.properties"))
	logf, _ := os.Create(filepath.Join(dir, "worker.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "worker.log"))
			t.Logf("worker log:\n%s", b)
		}
	})
	w := &e2e.Worker{Client: e2e.NewClient(t, fmt.Sprintf("http://127.0.0.1:%d", port))}
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		if i > 300 {
			t.Fatal("the worker's REST API did not come up")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return w, cmd.Process.Pid
}
