package offsets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/tests/testbed"
)

// These tests run the real Kafka tools against our store: kafka-console-producer (the Debezium
// FAQ's way to rewrite an offset) and a real Kafka Connect worker.

// consoleProduce runs the real kafka-console-producer with parse.key=true and key.separator=|,
// as the Debezium FAQ tells operators to, and feeds it lines.
func consoleProduce(t *testing.T, brokers []string, topic string, lines ...string) {
	t.Helper()
	tool := testbed.ConsoleProducer(t)
	cmd := exec.Command(tool, "--bootstrap-server", brokers[0], "--topic", topic,
		"--property", "parse.key=true", "--property", "key.separator=|")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kafka-console-producer: %v\n%s", err, out)
	}
}

// TestConsoleProducerRewrite follows the Debezium FAQ: with the connector stopped, an operator
// writes a new offset with kafka-console-producer; it must land on the partition our record is on
// (murmur2 on the same key bytes) and be the offset our store returns next.
func TestConsoleProducerRewrite(t *testing.T) {
	f := newKafkaFixture(t)
	s := f.store(t)
	ctx := testCtx(t)
	if err := s.Set(ctx, "inventory-connector", []api.PartitionOffset{{Partition: mysqlPartition, Offset: mysqlOffset(154)}}); err != nil {
		t.Fatal(err)
	}
	key, _ := EncodeKey("inventory-connector", mysqlPartition)
	consoleProduce(t, f.brokers, f.topic,
		string(key)+`|{"file":"mysql-bin.000004","pos":4,"row":1,"server_id":223344,"ts_sec":1700000999}`)

	got, err := s.Get(ctx, "inventory-connector", []map[string]any{mysqlPartition})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"file": "mysql-bin.000004", "pos": int64(4), "row": int64(1), "server_id": int64(223344), "ts_sec": int64(1700000999)}
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("after the console producer's rewrite Get returns %v, want %v", got[0], want)
	}
	var parts []int32
	for _, r := range consumeAll(t, f.brokers, f.topic) {
		if bytes.Equal(r.Key, key) {
			parts = append(parts, r.Partition)
		}
	}
	if len(parts) != 2 || parts[0] != parts[1] || parts[0] != PartitionFor(key, DefaultPartitions) {
		t.Fatalf("our record and the console producer's are on partitions %v; want both on %d", parts, PartitionFor(key, DefaultPartitions))
	}

	// An operator who types the key with spaces reaches another partition (different bytes),
	// where Kafka Connect would never look; we recognise the partition and take the newer offset.
	consoleProduce(t, f.brokers, f.topic,
		`[ "inventory-connector", { "server": "dbserver1" } ]|{ "file": "mysql-bin.000005", "pos": 4 }`)
	got, err = s.Get(ctx, "inventory-connector", []map[string]any{mysqlPartition})
	if err != nil {
		t.Fatal(err)
	}
	if got[0]["file"] != "mysql-bin.000005" {
		t.Fatalf("the hand-spaced rewrite was not honoured: %v", got[0])
	}
}

// freePort returns a TCP port on loopback that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// connectWorker is a real Kafka Connect distributed worker run from the test bed's jars.
type connectWorker struct {
	url string
	log string
	cmd *exec.Cmd
}

func startConnectWorker(t *testing.T, brokers []string, name string) *connectWorker {
	t.Helper()
	testbed.KafkaLibs(t)
	dir := t.TempDir()
	port := freePort(t)
	props := strings.Join([]string{
		"bootstrap.servers=" + brokers[0],
		"group.id=" + name,
		"config.storage.topic=" + name + "-configs",
		"offset.storage.topic=" + name + "-offsets",
		"status.storage.topic=" + name + "-status",
		"config.storage.replication.factor=1",
		"offset.storage.replication.factor=1",
		"status.storage.replication.factor=1",
		"key.converter=org.apache.kafka.connect.storage.StringConverter",
		"value.converter=org.apache.kafka.connect.storage.StringConverter",
		"offset.flush.interval.ms=500",
		fmt.Sprintf("listeners=http://127.0.0.1:%d", port),
		"rest.advertised.host.name=127.0.0.1",
		"plugin.discovery=only_scan",
	}, "\n") + "\n"
	propsFile := filepath.Join(dir, "worker.properties")
	if err := os.WriteFile(propsFile, []byte(props), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "worker.log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(testbed.RepoRoot(t), "deploy", "testbed", "kafka-class"),
		"org.apache.kafka.connect.cli.ConnectDistributed", propsFile)
	cmd.Env = append(os.Environ(), "KAFKA_HEAP_OPTS=-Xmx512m")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &connectWorker{url: fmt.Sprintf("http://127.0.0.1:%d", port), log: logFile, cmd: cmd}
	t.Cleanup(func() {
		// Only the worker this test started, by its pid.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		out.Close()
		if t.Failed() {
			data, _ := os.ReadFile(logFile)
			if len(data) > 8000 {
				data = data[len(data)-8000:]
			}
			t.Logf("Kafka Connect worker log (tail):\n%s", data)
		}
	})
	return w
}

// call sends a REST request and returns the status and body.
func (w *connectWorker) call(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.url+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// until polls cond every 200ms until it holds or ctx ends; what describes the wait for the error.
func until(t *testing.T, ctx context.Context, what string, cond func() (bool, string)) {
	t.Helper()
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s; last state: %s", what, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestRealKafkaConnectWorker runs Kafka Connect's own distributed worker with its bundled
// FileStreamSourceConnector. Our store must read the offsets the worker commits, and an offset
// our store writes while the connector is stopped must be where the worker resumes: it re-reads
// the file from that byte position.
func TestRealKafkaConnectWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM; skipped with -short")
	}
	addr := testbed.Kafka(t)
	brokers := []string{addr}
	name := testbed.Topic(t, "kc")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	dataTopic := name + "-data"
	admCl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	if _, err := kadm.NewClient(admCl).CreateTopic(ctx, 1, 1, nil, dataTopic); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(t.TempDir(), "input.txt")
	lines := []string{"line-1", "line-2", "line-3", "line-4", "line-5"}
	content := strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(input, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	w := startConnectWorker(t, brokers, name)
	until(t, ctx, "the worker's REST API", func() (bool, string) {
		code, body, err := w.call(ctx, "GET", "/connectors", nil)
		return err == nil && code == 200, fmt.Sprint(code, string(body), err)
	})
	connector := "file-src"
	config := map[string]any{"name": connector, "config": map[string]string{
		"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
		"tasks.max":       "1",
		"file":            input,
		"topic":           dataTopic,
	}}
	until(t, ctx, "the connector to be created", func() (bool, string) {
		code, body, err := w.call(ctx, "POST", "/connectors", config)
		return err == nil && (code == 201 || code == 409 && strings.Contains(string(body), "already exists")), fmt.Sprint(code, string(body), err)
	})

	// Our store, on the worker's offsets topic (which the worker created with 25 partitions).
	s, err := NewKafkaStore(KafkaConfig{Brokers: brokers, Topic: name + "-offsets", ReplicationFactor: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	partition := map[string]any{"filename": input}
	position := func() (any, string) {
		got, err := s.Get(ctx, connector, []map[string]any{partition})
		if err != nil {
			t.Fatal(err)
		}
		if got[0] == nil {
			return nil, "no offset yet"
		}
		return got[0]["position"], fmt.Sprint(got[0])
	}
	until(t, ctx, "the worker's offset for the whole file", func() (bool, string) {
		p, state := position()
		return p == int64(len(content)), state
	})

	// The worker's record key is byte for byte ours, on the partition ours would use.
	key, _ := EncodeKey(connector, partition)
	var javaRecs []*kgo.Record
	for _, r := range consumeAll(t, brokers, name+"-offsets") {
		if r.Value != nil {
			javaRecs = append(javaRecs, r)
		}
	}
	if len(javaRecs) == 0 {
		t.Fatal("no offset records from the worker")
	}
	for _, r := range javaRecs {
		if !bytes.Equal(r.Key, key) {
			t.Errorf("the worker wrote key %s, we encode %s", r.Key, key)
		}
		if r.Partition != PartitionFor(key, DefaultPartitions) {
			t.Errorf("the worker put the key on partition %d, our partitioner picks %d", r.Partition, PartitionFor(key, DefaultPartitions))
		}
	}

	// Stop the connector, rewind its offset with our store to the start of line-3, resume.
	if code, body, err := w.call(ctx, "PUT", "/connectors/"+connector+"/stop", nil); err != nil || code >= 300 {
		t.Fatalf("stop: %d %s %v", code, body, err)
	}
	until(t, ctx, "the connector to stop", func() (bool, string) {
		code, body, err := w.call(ctx, "GET", "/connectors/"+connector+"/status", nil)
		return err == nil && code == 200 && strings.Contains(string(body), `"state":"STOPPED"`), fmt.Sprint(code, string(body), err)
	})
	rewind := int64(len("line-1\nline-2\n"))
	if err := s.Set(ctx, connector, []api.PartitionOffset{{Partition: partition, Offset: map[string]any{"position": rewind}}}); err != nil {
		t.Fatal(err)
	}
	if code, body, err := w.call(ctx, "PUT", "/connectors/"+connector+"/resume", nil); err != nil || code >= 300 {
		t.Fatalf("resume: %d %s %v", code, body, err)
	}

	// The worker re-reads the file from our position: line-3..line-5 appear a second time.
	want := append(append([]string{}, lines...), lines[2:]...)
	until(t, ctx, "the worker to re-emit the file from the rewound position", func() (bool, string) {
		var got []string
		for _, r := range consumeAll(t, brokers, dataTopic) {
			got = append(got, string(r.Value))
		}
		return reflect.DeepEqual(got, want), fmt.Sprint(got)
	})
	// And it commits its new position past our rewind, which we read again.
	until(t, ctx, "the worker's offset after the rewind", func() (bool, string) {
		p, state := position()
		return p == int64(len(content)), state
	})
	// Our record is on the topic among the worker's, under the same key.
	var ours int
	for _, r := range consumeAll(t, brokers, name+"-offsets") {
		if bytes.Equal(r.Key, key) && string(r.Value) == fmt.Sprintf(`{"position":%d}`, rewind) {
			ours++
		}
	}
	if ours != 1 {
		t.Errorf("found %d records with our rewound offset", ours)
	}
}
