package runtime_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/generator"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// An operator rewrites a stopped connector's offset with Kafka's own console producer, as they
// would for Kafka Connect; the connector resumes exactly there. The worker keeps its offsets in a
// Kafka topic (the distributed mode's store) and reads it to the end before the task starts.
func TestConsoleProducerRewriteIsWhereItResumes(t *testing.T) {
	brokers := testbed.Kafka(t)
	producerTool := testbed.ConsoleProducer(t)
	offTopic := testbed.Topic(t, "offsets")
	topic := testbed.Topic(t, "gen")

	cfg, _, err := workerconfig.Parse(map[string]string{
		"bootstrap.servers":              brokers,
		"offset.storage.file.filename":   "unused",
		"offset.flush.interval.ms":       "200",
		"listeners":                      "http://127.0.0.1:0",
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
	}, workerconfig.Standalone)
	if err != nil {
		t.Fatal(err)
	}
	store, err := offsets.NewKafkaStore(offsets.KafkaConfig{Brokers: []string{brokers}, Topic: offTopic, ReplicationFactor: 1, Partitions: 5})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := plugins.New(generator.Plugin())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan []string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runtime.RunStandalone(ctx, runtime.Options{Config: cfg, Plugins: reg, Version: "test", Offsets: store,
			OnReady: func(addrs []string) { ready <- addrs }})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	var addrs []string
	select {
	case addrs = <-ready:
	case err := <-done:
		t.Fatalf("the worker did not start: %v", err)
	case <-time.After(90 * time.Second):
		t.Fatal("the worker did not start")
	}
	c := client{e2e.NewClient(t, "http://"+addrs[0])}

	c.Expect(201, "POST", "/connectors", `{"name":"gen","config":{"connector.class":"GeneratorConnector","topic":"`+topic+`","rate":"300"}}`)
	c.WaitStatus("gen", "RUNNING", "RUNNING")
	wait.Until(t, "offsets are committed to the offsets topic", func() bool { return c.committed("gen")["0"] > 50 })
	c.Expect(204, "PUT", "/connectors/gen/stop", "")
	c.WaitStatus("gen", "STOPPED")
	if got := c.committed("gen")["0"]; got == 41 {
		t.Fatalf("the connector happens to be at seq 41 already; the test cannot tell a rewrite from no rewrite")
	}

	// The rewrite, exactly as an operator types it.
	cmd := exec.Command(producerTool, "--bootstrap-server", brokers, "--topic", offTopic,
		"--property", "parse.key=true", "--property", "key.separator=|")
	cmd.Stdin = strings.NewReader(`["gen",{"task":"0"}]|{"seq":41}` + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kafka-console-producer: %v\n%s", err, out)
	}

	// GET reads the topic to its end, so it shows the rewrite at once.
	if got := c.committed("gen")["0"]; got != 41 {
		t.Fatalf("GET offsets after the console producer's rewrite: seq %d, want 41", got)
	}
	before := endOffsets(t, brokers, topic)
	c.Expect(202, "PUT", "/connectors/gen/resume", "")
	c.WaitStatus("gen", "RUNNING", "RUNNING")
	recs := readFrom(t, brokers, topic, before, func(recs []genRecord) bool { return countTask(recs, 0) >= 5 })
	if first, _ := minSeq(recs, 0); first != 42 {
		t.Fatalf("after the console producer wrote seq 41, the task resumed at seq %d, want 42", first)
	}

	// The offset history (kept in Kafka too) shows the rewrite among the states it went through.
	var hist herder.OffsetHistory
	wait.Until(t, "the history shows the rewritten offset", func() bool {
		c.Expect(200, "GET", "/connectors/gen/offsets/history", "").JSON(t, &hist)
		for _, e := range hist.History {
			if len(e.Offsets) == 1 && e.Offsets[0].Offset["seq"] == float64(41) {
				return true
			}
		}
		return false
	})
}
