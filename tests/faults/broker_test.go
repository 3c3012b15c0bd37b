package faults

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// The broker cases need a Kafka broker that can be stopped and killed: never the test bed's,
// which other tests (and CI) share. privateBroker is a throwaway single-node KRaft broker run from
// the test bed's Kafka jars on free ports, with its data in the test's directory, so that it can
// be restarted on the same ports with the same data.
type privateBroker struct {
	t     *testing.T
	addr  string // PLAINTEXT listener, host:port
	cfg   string
	java  string
	jvm   []string
	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	log   *e2e.LockedBuffer
	start int
}

func startPrivateBroker(t *testing.T) *privateBroker {
	t.Helper()
	libs := testbed.KafkaLibs(t)
	dir := t.TempDir()
	plain, ctrl := e2e.FreePort(t), e2e.FreePort(t)
	b := &privateBroker{t: t, addr: "127.0.0.1:" + strconv.Itoa(plain), cfg: filepath.Join(dir, "server.properties"),
		java: testbed.Java21(t), log: &e2e.LockedBuffer{}}
	props := strings.Join([]string{
		"process.roles=broker,controller", "node.id=1", "controller.quorum.voters=1@127.0.0.1:" + strconv.Itoa(ctrl),
		"listeners=PLAINTEXT://" + b.addr + ",CONTROLLER://127.0.0.1:" + strconv.Itoa(ctrl),
		"advertised.listeners=PLAINTEXT://" + b.addr,
		"controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
		"log.dirs=" + filepath.Join(dir, "data"), "num.partitions=1", "default.replication.factor=1",
		"offsets.topic.replication.factor=1", "offsets.topic.num.partitions=1", "transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1", "transaction.state.log.num.partitions=1",
		"share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
		"group.initial.rebalance.delay.ms=0", "num.network.threads=1", "num.io.threads=2",
	}, "\n") + "\n"
	if err := os.WriteFile(b.cfg, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	b.jvm = []string{"-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
		"-Dkafka.logs.dir=" + filepath.Join(dir, "logs"), "-cp", filepath.Join(libs, "*")}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	format := exec.Command(b.java, append(b.jvm, "kafka.tools.StorageTool", "format", "-t", base64.RawURLEncoding.EncodeToString(id), "-c", b.cfg)...)
	if out, err := format.CombinedOutput(); err != nil {
		t.Fatalf("could not format the private broker's storage: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		b.stop(false)
		if t.Failed() {
			s := b.log.String()
			if len(s) > 4000 {
				s = s[len(s)-4000:]
			}
			t.Logf("private broker output (tail):\n%s", s)
		}
	})
	b.run()
	return b
}

// run starts the broker process and waits until it takes connections.
func (b *privateBroker) run() {
	b.t.Helper()
	b.mu.Lock()
	b.start++
	fmt.Fprintf(b.log, "\n--- start %d ---\n", b.start)
	cmd := exec.Command(b.java, append(b.jvm, "kafka.Kafka", b.cfg)...)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Start(); err != nil {
		b.mu.Unlock()
		b.t.Fatalf("could not start the private broker: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	b.cmd, b.done = cmd, done
	b.mu.Unlock()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-done:
			b.t.Fatalf("the private broker exited during start-up:\n%s", b.log)
		default:
		}
		if c, err := net.DialTimeout("tcp", b.addr, time.Second); err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the private broker did not listen on %s within 2 minutes", b.addr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends the broker: SIGKILL when kill, else SIGTERM (a controlled shutdown), waiting for the
// process to end.
func (b *privateBroker) stop(kill bool) {
	b.mu.Lock()
	cmd, done := b.cmd, b.done
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// runBrokerRestart is the broker case: a standalone worker streams to a private broker, which is
// stopped (SIGTERM) and later killed -9, each time started again after a few seconds. The
// producer's delivery timeout (2 minutes by default) outlasts the outage, so the task must stay
// RUNNING and deliver everything; were it to fail, the status must say so with a trace, and a
// restart must resume without a gap. Nothing may be committed past a batch Kafka did not take.
func runBrokerRestart(t *testing.T, src source) {
	seed := int64(envInt(t, "CONNECTD_FAULTS_SEED", 1))
	rnd := mrand.New(mrand.NewSource(seed + 400))
	b := startPrivateBroker(t)
	began := time.Now()
	rows := int64(1000)
	preload(t, src, rows)
	prefix := testbed.Topic(t, "brk")
	topic := src.topic(prefix)
	consumer := e2e.NewConsumerAt(t, b.addr, nil, topic)
	conn := src.connector(prefix)
	if _, ok := conn["schema.history.internal.kafka.bootstrap.servers"]; ok {
		conn["schema.history.internal.kafka.bootstrap.servers"] = b.addr
	}
	w := startWorker(t, t.TempDir(), 1, conn, map[string]string{"bootstrap.servers": b.addr}, nil)
	waitDistinct(t, consumer, topic, rows)
	load := startWorkload(src, seed, rows)
	defer load.stop()

	failures := 0
	watch := func(d time.Duration, states map[string]int) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			time.Sleep(300 * time.Millisecond)
			c, task, trace := w.state()
			if c == "" {
				t.Fatal("the worker's REST API did not answer while the broker was restarted")
			}
			states[task]++
			if task == "FAILED" {
				failures++
				t.Logf("the task failed: %.500s", trace)
				if trace == "" {
					t.Errorf("the task is FAILED without a trace")
				}
				if code, body := w.rest.Call("POST", "/connectors/faults/tasks/0/restart", nil); code >= 300 {
					t.Fatalf("restart: %d %s", code, body)
				}
			}
		}
	}
	kinds := []string{"stopped", "killed -9"}
	var downs []string
	for i, kind := range kinds {
		time.Sleep(time.Duration(1000+rnd.Intn(2000)) * time.Millisecond)
		down := time.Duration(2000+rnd.Intn(4000)) * time.Millisecond
		b.stop(i == 1)
		states := map[string]int{}
		watch(down, states)
		restarted := time.Now()
		b.run()
		t.Logf("broker %s for %s (start took %s); task states seen while it was down: %v", kind, down.Round(100*time.Millisecond),
			time.Since(restarted).Round(100*time.Millisecond), states)
		downs = append(downs, fmt.Sprintf("%s, %.0fs down", kind, time.Since(restarted).Seconds()+down.Seconds()))
		after := map[string]int{}
		watch(5*time.Second, after)
		t.Logf("task states seen after the broker came back: %v", after)
	}
	time.Sleep(time.Second)
	if err := load.stop(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	finish(t, src, w, consumer, topic, rows, result{connector: src.name(),
		fault:  fmt.Sprintf("private broker restarted (%s; %d task failures)", strings.Join(downs, "; "), failures),
		faults: len(kinds)}, began, load)
}

// TestMariaDBBrokerRestart: a private broker stopped and killed -9 under a MariaDB connector.
func TestMariaDBBrokerRestart(t *testing.T) { runBrokerRestart(t, newMaria(t)) }

// TestPostgresBrokerRestart: the same for the PostgreSQL connector.
func TestPostgresBrokerRestart(t *testing.T) { runBrokerRestart(t, newPG(t)) }
