package distributed_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/distributed"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// A real Kafka Connect worker (4.x, the test bed's jars) and connectd read each other's config and
// status topics: Kafka Connect starts from connector, task, commit and target-state records
// connectd wrote (a connector created PAUSED, as after a migration), and connectd reads what
// Kafka Connect writes when it resumes, stops and deletes the connector (KIP-875 target states,
// its session key, its statuses), seeing what Kafka Connect's own REST API shows.
func TestKafkaConnectReadsAndWritesTheSameTopics(t *testing.T) {
	c := newCluster(t)
	libs := testbed.KafkaLibs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The connector Kafka Connect ships with, so both sides know the class names.
	dir := t.TempDir()
	input := filepath.Join(dir, "input.txt")
	if err := os.WriteFile(input, []byte("one\ntwo\nthree\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := testbed.Topic(t, "file")
	cfg := map[string]string{"name": "fs", "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
		"tasks.max": "1", "file": input, "topic": out}
	task := map[string]string{"file": input, "topic": out, "batch.size": "2000", "task.class": "org.apache.kafka.connect.file.FileStreamSourceTask"}

	configs := distributed.NewConfigStore(distributed.ConfigStoreOptions{Brokers: []string{c.brokers}, Topic: c.props["config.storage.topic"], ReplicationFactor: 1})
	if err := configs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer configs.Close()
	if err := configs.PutConnectorConfig(ctx, "fs", cfg, herder.TargetPaused); err != nil {
		t.Fatal(err)
	}
	if err := configs.PutTaskConfigs(ctx, "fs", []map[string]string{task}); err != nil {
		t.Fatal(err)
	}

	kc := startKafkaConnect(t, c, libs)
	wait.Until(t, "Kafka Connect lists the connector connectd wrote", func() bool {
		var names []string
		r := kc.Do("GET", "/connectors", "")
		return r.Code == 200 && json.Unmarshal(r.Body, &names) == nil && len(names) == 1 && names[0] == "fs"
	})
	var gotCfg map[string]string
	kc.expect(200, "GET", "/connectors/fs/config", "").JSON(t, &gotCfg)
	if !maps.Equal(gotCfg, cfg) {
		t.Errorf("Kafka Connect read config %v, want %v", gotCfg, cfg)
	}
	var tasks []struct {
		Config map[string]string `json:"config"`
	}
	kc.expect(200, "GET", "/connectors/fs/tasks", "").JSON(t, &tasks)
	if len(tasks) != 1 || !maps.Equal(tasks[0].Config, task) {
		t.Errorf("Kafka Connect read task configs %v, want [%v]", tasks, task)
	}
	kc.WaitStatus("fs", "PAUSED", "PAUSED")

	// Kafka Connect resumes it: the file reaches the topic.
	kc.expect(202, "PUT", "/connectors/fs/resume", "")
	kcStatus := kc.WaitStatus("fs", "RUNNING", "RUNNING")
	if n := countRecords(t, c.brokers, out, 3); n != 3 {
		t.Fatalf("%d records in %s, want 3", n, out)
	}

	// connectd reads Kafka Connect's statuses as Kafka Connect shows them.
	statuses := distributed.NewStatusStore(distributed.StatusStoreOptions{Brokers: []string{c.brokers}, Topic: c.props["status.storage.topic"], WorkerID: "reader:0"})
	if err := statuses.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer statuses.Close()
	if err := statuses.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	cs, ok := statuses.Connector("fs")
	if !ok || string(cs.State) != kcStatus.Connector.State || cs.WorkerID != kcStatus.Connector.WorkerID || cs.Generation < 1 {
		t.Errorf("connectd read connector status %+v; Kafka Connect shows %+v", cs, kcStatus.Connector)
	}
	ts := statuses.Tasks("fs")
	if len(ts) != 1 || string(ts[0].State) != "RUNNING" || ts[0].WorkerID != kcStatus.Tasks[0].WorkerID {
		t.Errorf("connectd read task statuses %+v; Kafka Connect shows %+v", ts, kcStatus.Tasks)
	}
	// Kafka Connect records the active topic asynchronously after the first record.
	wait.Until(t, "connectd reads Kafka Connect's active topic record", func() bool {
		got := statuses.Topics("fs")
		return statuses.ReadToEnd(ctx) == nil && len(got) == 1 && got[0] == out
	})

	// Kafka Connect stops it (tasks emptied, then {"state":"PAUSED","state.v2":"STOPPED"}).
	kc.expect(204, "PUT", "/connectors/fs/stop", "")
	kc.WaitStatus("fs", "STOPPED")
	if err := configs.ReadToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	snap := configs.Snapshot()
	if snap.Target("fs") != herder.TargetStopped || len(snap.Tasks["fs"]) != 0 || !maps.Equal(snap.Connectors["fs"], cfg) {
		t.Errorf("after Kafka Connect stopped the connector, connectd reads target %s, %d tasks, config %v",
			snap.Target("fs"), len(snap.Tasks["fs"]), snap.Connectors["fs"])
	}
	if err := statuses.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if cs, _ := statuses.Connector("fs"); cs.State != herder.StateStopped {
		t.Errorf("connectd reads connector status %s, want STOPPED", cs.State)
	}

	kc.expect(204, "DELETE", "/connectors/fs", "")
	wait.Until(t, "connectd sees the deletion", func() bool {
		return configs.ReadToEnd(ctx) == nil && !configs.Contains("fs")
	})
}

// startKafkaConnect runs org.apache.kafka.connect.cli.ConnectDistributed on the cluster's topics,
// in a group of its own.
func startKafkaConnect(t *testing.T, c *cluster, libs string) client {
	t.Helper()
	kc, _ := startKafkaConnectWith(t, c, libs, nil)
	return kc
}

// startKafkaConnectWith is startKafkaConnect with more worker properties; stop ends the worker
// gracefully (SIGTERM: its tasks commit their offsets and it leaves the group).
func startKafkaConnectWith(t *testing.T, c *cluster, libs string, extra map[string]string) (kc client, stop func()) {
	t.Helper()
	port := e2e.FreePort(t)
	dir := t.TempDir()
	props := map[string]string{
		"bootstrap.servers":                 c.brokers,
		"group.id":                          c.props["group.id"],
		"config.storage.topic":              c.props["config.storage.topic"],
		"offset.storage.topic":              c.props["offset.storage.topic"],
		"status.storage.topic":              c.props["status.storage.topic"],
		"config.storage.replication.factor": "1",
		"offset.storage.replication.factor": "1",
		"status.storage.replication.factor": "1",
		"offset.storage.partitions":         c.props["offset.storage.partitions"],
		"status.storage.partitions":         c.props["status.storage.partitions"],
		"key.converter":                     "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                   "org.apache.kafka.connect.storage.StringConverter",
		"listeners":                         "http://127.0.0.1:" + strconv.Itoa(port),
		"rest.advertised.host.name":         "127.0.0.1",
		"rest.advertised.port":              strconv.Itoa(port),
		"offset.flush.interval.ms":          "500",
		"plugin.discovery":                  "service_load",
	}
	maps.Copy(props, extra)
	file := e2e.WriteProps(t, dir, "connect-distributed.properties", props)
	log4j := filepath.Join(dir, "log4j2.properties")
	if err := os.WriteFile(log4j, []byte("status = warn\nrootLogger.level = WARN\nrootLogger.appenderRef.stdout.ref = STDOUT\n"+
		"appender.stdout.type = Console\nappender.stdout.name = STDOUT\nappender.stdout.layout.type = PatternLayout\n"+
		"appender.stdout.layout.pattern = [%d] %p %m (%c)%n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("java", "-Xms64m", "-Xmx384m", "-Djava.awt.headless=true", "-Dlog4j2.configurationFile="+log4j,
		"-cp", filepath.Join(libs, "*"), "org.apache.kafka.connect.cli.ConnectDistributed", file)
	buf := &e2e.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("Kafka Connect output:\n%s", buf)
		}
	})
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	kc = client{e2e.NewClient(t, "http://127.0.0.1:"+strconv.Itoa(port))}
	wait.Until(t, "Kafka Connect answers on its REST port", func() bool {
		select {
		case <-done:
			t.Fatalf("Kafka Connect exited:\n%s", buf)
		default:
		}
		return kc.Do("GET", "/connectors", "").Code == 200
	})
	return kc, stop
}

// countRecords reads topic from the start until it has want records (or a minute passed).
func countRecords(t *testing.T, brokers, topic string, want int) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := 0
	for n < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			if strings.TrimSpace(string(r.Value)) != "" {
				n++
			}
		})
	}
	return n
}
