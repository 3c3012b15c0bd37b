package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
	"github.com/connectd/connectd/tests/broker"
	"github.com/connectd/connectd/tests/generator"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// harness is a standalone herder on the test bed's Kafka with an in-memory offset store.
type harness struct {
	t       testing.TB
	brokers string
	herder  *StandaloneHerder
	worker  *Worker
	store   offsets.Store
	ctx     context.Context
}

// newHarness starts the herder with the generator and the more plugins registered.
func newHarness(t testing.TB, extra map[string]string, more ...api.Plugin) *harness {
	t.Helper()
	brokers := broker.Kafka(t)
	props := map[string]string{
		"bootstrap.servers":              brokers,
		"offset.storage.file.filename":   "unused",
		"offset.flush.interval.ms":       "100",
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
	}
	maps.Copy(props, extra)
	cfg, _, err := workerconfig.Parse(props, workerconfig.Standalone)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := plugins.New(append([]api.Plugin{generator.Plugin()}, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	producer, err := NewProducer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := offsets.NewMemoryStore(0)
	status := NewMemoryStatusStore()
	w, err := NewWorker(WorkerOptions{Config: cfg, Plugins: reg, Offsets: store, Producer: producer, Admin: kadm.NewClient(producer), Listener: StatusRecorder(status, "test:8083")})
	if err != nil {
		t.Fatal(err)
	}
	h := NewStandaloneHerder(HerderOptions{Worker: w, Plugins: reg, Status: status, WorkerID: "test:8083"})
	t.Cleanup(func() {
		h.Stop()
		producer.Close()
	})
	return &harness{t: t, brokers: brokers, herder: h, worker: w, store: store, ctx: context.Background()}
}

func genConfig(name, topic string, kv ...string) map[string]string {
	cfg := map[string]string{"name": name, "connector.class": generator.Class, "topic": topic}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

func (h *harness) create(cfg map[string]string) {
	h.t.Helper()
	if _, created, err := h.herder.PutConnectorConfig(h.ctx, cfg["name"], cfg, "", false); err != nil || !created {
		h.t.Fatalf("create %s: created=%v err=%v", cfg["name"], created, err)
	}
}

func (h *harness) status(name string) herder.ConnectorStateInfo {
	h.t.Helper()
	st, err := h.herder.ConnectorStatus(h.ctx, name)
	if err != nil {
		h.t.Fatalf("status of %s: %v", name, err)
	}
	return st
}

// waitStates waits until the connector and exactly len(tasks) tasks are in the given states.
func (h *harness) waitStates(name string, conn herder.State, tasks ...herder.State) herder.ConnectorStateInfo {
	h.t.Helper()
	var st herder.ConnectorStateInfo
	defer func() {
		if h.t.Failed() {
			h.t.Logf("last status of %s: %+v", name, st)
		}
	}()
	wait.Until(h.t, name+" is "+string(conn)+" with tasks "+fmtStates(tasks), func() bool {
		st = h.status(name)
		if st.Connector.State != conn || len(st.Tasks) != len(tasks) {
			return false
		}
		for i, s := range tasks {
			if st.Tasks[i].State != s {
				return false
			}
		}
		return true
	})
	return st
}

func fmtStates(s []herder.State) string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return "[" + strings.Join(out, ",") + "]"
}

// committed returns the committed seq of each generator task ("0", "1", ...).
func (h *harness) committed(name string) map[string]int64 {
	h.t.Helper()
	offs, err := h.herder.ConnectorOffsets(h.ctx, name)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]int64{}
	for _, o := range offs.Offsets {
		out[o.Partition["task"].(string)] = o.Offset["seq"].(int64)
	}
	return out
}

type genRecord struct {
	Seq  int64 `json:"seq"`
	Task int   `json:"task"`
}

// readTopic returns the generator records in topic, per task in partition order, reading until
// want(records) holds.
func readTopic(t *testing.T, brokers, topic string, want func(map[int][]int64) bool) map[int][]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[int][]int64{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for !want(out) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("timed out reading %s; have %v", topic, summary(out))
		}
		fs.EachRecord(func(r *kgo.Record) {
			var g genRecord
			if err := json.Unmarshal(r.Value, &g); err != nil {
				t.Fatalf("record %q: %v", r.Value, err)
			}
			var k genRecord
			if err := json.Unmarshal(r.Key, &k); err != nil || k.Seq != g.Seq {
				t.Fatalf("key %q does not match value seq %d", r.Key, g.Seq)
			}
			out[g.Task] = append(out[g.Task], g.Seq)
		})
	}
	return out
}

func summary(m map[int][]int64) string {
	var b strings.Builder
	for task, seqs := range m {
		b.WriteString("task " + strconv.Itoa(task) + ": " + strconv.Itoa(len(seqs)) + " records; ")
	}
	return b.String()
}

// Generator records of one task arrive in order per Kafka partition only, so tests compare sets.
func seqSet(seqs []int64) map[int64]int {
	m := map[int64]int{}
	for _, s := range seqs {
		m[s]++
	}
	return m
}

func TestCreateStreamsAndCommitsOffsets(t *testing.T) {
	h := newHarness(t, nil)
	topic := testbed.Topic(t, "gen")
	h.create(genConfig("gen", topic, "count", "50", "tasks.max", "2"))
	h.waitStates("gen", herder.StateRunning, herder.StateRunning, herder.StateRunning)
	wait.Until(t, "both tasks committed seq 49", func() bool {
		c := h.committed("gen")
		return c["0"] == 49 && c["1"] == 49
	})
	recs := readTopic(t, h.brokers, topic, func(m map[int][]int64) bool { return len(m[0]) >= 50 && len(m[1]) >= 50 })
	for task := range 2 {
		set := seqSet(recs[task])
		for s := range int64(50) {
			if set[s] != 1 {
				t.Errorf("task %d seq %d appears %d times", task, s, set[s])
			}
		}
	}
	info, err := h.herder.ConnectorInfo(h.ctx, "gen")
	if err != nil || len(info.Tasks) != 2 || info.Type != "source" {
		t.Fatalf("info = %+v, %v", info, err)
	}
	if topics, _ := h.herder.ConnectorActiveTopics(h.ctx, "gen"); len(topics) != 1 || topics[0] != topic {
		t.Errorf("active topics = %v, want [%s]", topics, topic)
	}
}

func TestPauseResumeStopAndOffsetsPatch(t *testing.T) {
	h := newHarness(t, nil)
	topic := testbed.Topic(t, "gen")
	h.create(genConfig("gen", topic, "rate", "500", "tasks.max", "1"))
	h.waitStates("gen", herder.StateRunning, herder.StateRunning)
	wait.Until(t, "some records are committed", func() bool { return h.committed("gen")["0"] > 10 })

	// Offsets cannot change while the connector runs.
	_, err := h.herder.AlterConnectorOffsets(h.ctx, "gen", herder.ConnectorOffsets{Offsets: []herder.ConnectorOffset{{Partition: map[string]any{"task": "0"}, Offset: map[string]any{"seq": int64(5)}}}})
	var re *herder.Error
	if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Message != "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/gen/stop' endpoint" {
		t.Fatalf("PATCH while running: %v", err)
	}

	// PAUSED: the task stays, stops polling, and nothing new is produced.
	if err := h.herder.PauseConnector(h.ctx, "gen"); err != nil {
		t.Fatal(err)
	}
	h.waitStates("gen", herder.StatePaused, herder.StatePaused)
	var stable int64
	wait.Until(t, "the committed offset settles while paused", func() bool {
		a := h.committed("gen")["0"]
		time.Sleep(300 * time.Millisecond) // three flush intervals
		stable = h.committed("gen")["0"]
		return a == stable
	})
	time.Sleep(500 * time.Millisecond)
	if got := h.committed("gen")["0"]; got != stable {
		t.Fatalf("the paused task advanced from seq %d to %d", stable, got)
	}
	if err := h.herder.ResumeConnector(h.ctx, "gen"); err != nil {
		t.Fatal(err)
	}
	h.waitStates("gen", herder.StateRunning, herder.StateRunning)
	wait.Until(t, "the resumed task moves on", func() bool { return h.committed("gen")["0"] > stable+20 })

	// STOPPED: no tasks; offsets can be altered; resuming starts after the new offset.
	if err := h.herder.StopConnector(h.ctx, "gen"); err != nil {
		t.Fatal(err)
	}
	st := h.waitStates("gen", herder.StateStopped)
	if len(st.Tasks) != 0 {
		t.Fatalf("a stopped connector has tasks: %+v", st)
	}
	if info, _ := h.herder.ConnectorInfo(h.ctx, "gen"); len(info.Tasks) != 0 {
		t.Fatalf("a stopped connector lists tasks: %+v", info)
	}
	stoppedAt := h.committed("gen")["0"]
	msg, err := h.herder.AlterConnectorOffsets(h.ctx, "gen", herder.ConnectorOffsets{Offsets: []herder.ConnectorOffset{{Partition: map[string]any{"task": "0"}, Offset: map[string]any{"seq": int64(5)}}}})
	if err != nil || msg.Message != "The offsets for this connector have been altered successfully" {
		t.Fatalf("PATCH while stopped: %v %v", msg, err)
	}
	if _, err := h.herder.AlterConnectorOffsets(h.ctx, "gen", herder.ConnectorOffsets{Offsets: []herder.ConnectorOffset{{Partition: map[string]any{"task": "0"}, Offset: map[string]any{"seq": "x"}}}}); !errors.As(err, &re) || re.Status != 400 {
		t.Fatalf("the generator accepted a string seq: %v", err)
	}
	if c := h.committed("gen")["0"]; c != 5 {
		t.Fatalf("offset after PATCH = %d, want 5", c)
	}
	hist, err := h.herder.ConnectorOffsetHistory(h.ctx, "gen")
	if err != nil || len(hist.History) < 2 || hist.History[0].Offsets[0].Offset["seq"] != int64(5) {
		t.Fatalf("history = %+v, %v; want the PATCH first", hist, err)
	}
	if hist.History[1].Offsets[0].Offset["seq"] != stoppedAt {
		t.Errorf("history[1] = %v, want seq %d (where the task stopped); history %+v", hist.History[1].Offsets, stoppedAt, hist.History[:4])

	}
	if err := h.herder.ResumeConnector(h.ctx, "gen"); err != nil {
		t.Fatal(err)
	}
	h.waitStates("gen", herder.StateRunning, herder.StateRunning)
	wait.Until(t, "the task resumed after seq 5", func() bool { c := h.committed("gen")["0"]; return c > 5 && c < stoppedAt })
	recs := readTopic(t, h.brokers, topic, func(m map[int][]int64) bool { return seqSet(m[0])[6] >= 2 })
	if n := seqSet(recs[0])[6]; n < 2 {
		t.Fatalf("seq 6 was produced %d times, want a second time after the rewind", n)
	}

	// DELETE offsets (reset) needs STOPPED too, then removes everything.
	if err := h.herder.StopConnector(h.ctx, "gen"); err != nil {
		t.Fatal(err)
	}
	if msg, err := h.herder.ResetConnectorOffsets(h.ctx, "gen"); err != nil || msg.Message != "The offsets for this connector have been reset successfully" {
		t.Fatalf("reset: %v %v", msg, err)
	}
	if c := h.committed("gen"); len(c) != 0 {
		t.Fatalf("offsets after reset = %v", c)
	}
}

func TestFailedTaskRestart(t *testing.T) {
	h := newHarness(t, nil)
	topic := testbed.Topic(t, "gen")
	h.create(genConfig("genfail", topic, "count", "30", "fail.at.seq", "10", "batch.size", "3", "tasks.max", "2"))
	st := h.waitStates("genfail", herder.StateRunning, herder.StateFailed, herder.StateFailed)
	for _, ts := range st.Tasks {
		if !strings.Contains(ts.Trace, "fail.at.seq") || !strings.Contains(ts.Trace, "/restart") {
			t.Errorf("task %d trace %q does not say what happened and what to do", ts.ID, ts.Trace)
		}
	}
	wait.Until(t, "the acknowledged records before the failure are committed", func() bool {
		c := h.committed("genfail")
		return c["0"] == 9 && c["1"] == 9
	})
	// Restarting only the connector leaves the failed tasks alone.
	plan, err := h.herder.RestartConnectorAndTasks(h.ctx, herder.RestartRequest{Connector: "genfail", OnlyFailed: true})
	if err != nil || plan.Connector.State != herder.StateRunning || plan.Tasks[0].State != herder.StateFailed {
		t.Fatalf("onlyFailed without includeTasks: %+v %v", plan, err)
	}
	plan, err = h.herder.RestartConnectorAndTasks(h.ctx, herder.RestartRequest{Connector: "genfail", OnlyFailed: true, IncludeTasks: true})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Connector.State != herder.StateRunning || plan.Tasks[0].State != herder.StateRestarting || plan.Tasks[1].State != herder.StateRestarting {
		t.Fatalf("restart plan = %+v", plan)
	}
	h.waitStates("genfail", herder.StateRunning, herder.StateRunning, herder.StateRunning)
	wait.Until(t, "the restarted tasks finish at seq 29", func() bool {
		c := h.committed("genfail")
		return c["0"] == 29 && c["1"] == 29
	})
	// Restarting a single task by id.
	if err := h.herder.RestartTask(h.ctx, herder.TaskID{Connector: "genfail", Task: 1}); err != nil {
		t.Fatal(err)
	}
	if err := h.herder.RestartTask(h.ctx, herder.TaskID{Connector: "genfail", Task: 7}); err == nil || err.Error() != "Task genfail-7 not found" {
		t.Fatalf("restart of an unknown task: %v", err)
	}
}

func TestProduceFailureFailsTaskWithKafkasReason(t *testing.T) {
	broker.Real(t, "kfake accepts any topic name; Kafka refuses this one with INVALID_TOPIC_EXCEPTION")
	h := newHarness(t, nil)
	h.create(genConfig("genbad", "not a valid topic!", "count", "5"))
	st := h.waitStates("genbad", herder.StateRunning, herder.StateFailed)
	if tr := st.Tasks[0].Trace; !strings.Contains(tr, "Kafka did not accept a record for topic not a valid topic!") || !strings.Contains(tr, "INVALID_TOPIC") {
		t.Fatalf("trace = %q", tr)
	}
	if c := h.committed("genbad"); len(c) != 0 {
		t.Fatalf("offsets committed for records Kafka refused: %v", c)
	}
}

func TestDeleteKeepsOffsetsAndRecreateResumes(t *testing.T) {
	h := newHarness(t, nil)
	topic := testbed.Topic(t, "gen")
	h.create(genConfig("gen", topic, "count", "20"))
	wait.Until(t, "seq 19 is committed", func() bool { return h.committed("gen")["0"] == 19 })
	if err := h.herder.DeleteConnector(h.ctx, "gen"); err != nil {
		t.Fatal(err)
	}
	var re *herder.Error
	if _, err := h.herder.ConnectorStatus(h.ctx, "gen"); !errors.As(err, &re) || re.Status != 404 {
		t.Fatalf("status after delete: %v", err)
	}
	if _, err := h.herder.ConnectorInfo(h.ctx, "gen"); err == nil || err.Error() != "Connector gen not found" {
		t.Fatalf("info after delete: %v", err)
	}
	if err := h.herder.DeleteConnector(h.ctx, "gen"); !errors.As(err, &re) || re.Status != 404 {
		t.Fatalf("second delete: %v", err)
	}
	if list, _ := h.store.List(h.ctx, "gen"); len(list) != 1 {
		t.Fatalf("offsets after delete = %v, want them kept", list)
	}
	h.create(genConfig("gen", topic, "count", "25"))
	wait.Until(t, "the recreated connector resumes and reaches seq 24", func() bool { return h.committed("gen")["0"] == 24 })
	recs := readTopic(t, h.brokers, topic, func(m map[int][]int64) bool { return len(m[0]) >= 25 })
	if len(recs[0]) != 25 {
		t.Fatalf("%d records, want 25: the recreated connector did not resume after seq 19", len(recs[0]))
	}
}

func TestConfigValidationAndSecrets(t *testing.T) {
	h := newHarness(t, nil)
	topic := testbed.Topic(t, "gen")
	_, _, err := h.herder.PutConnectorConfig(h.ctx, "bad", map[string]string{"name": "bad", "connector.class": "GeneratorConnector", "tasks.max": "0", "rate": "-1"}, "", false)
	var re *herder.Error
	if !errors.As(err, &re) || re.Status != 400 {
		t.Fatalf("invalid config: %v", err)
	}
	want := "Connector configuration is invalid and contains the following 3 error(s):\n" +
		"Invalid value 0 for configuration tasks.max: Value must be at least 1\n" +
		"Missing required configuration \"topic\" which has no default value.\n" +
		"Invalid value -1 for configuration rate: Value must be at least 0\n" +
		"You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
	if re.Message != want {
		t.Errorf("message:\n%s\nwant:\n%s", re.Message, want)
	}
	if _, err := h.herder.ConnectorInfo(h.ctx, "bad"); err == nil {
		t.Fatal("an invalid connector was created")
	}

	infos, err := h.herder.ValidateConnectorConfig(h.ctx, map[string]string{"connector.class": generator.Class, "topic": topic, "password": "s3cret", "transforms": "unwrap"})
	if err != nil {
		t.Fatal(err)
	}
	if infos.ErrorCount != 2 { // name missing, transforms.unwrap.type missing
		t.Errorf("error_count = %d, want 2: %+v", infos.ErrorCount, infos)
	}
	for _, c := range infos.Configs {
		if c.Value != nil && c.Value.Value != nil && *c.Value.Value == "s3cret" {
			t.Errorf("validation shows the password in %s", c.Value.Name)
		}
	}

	cfg := genConfig("sec", topic, "count", "1", "password", "s3cret")
	h.create(cfg)
	masked := h.herder.Plugins().Mask(cfg)
	if masked["password"] != plugins.Hidden {
		t.Fatalf("masked = %v", masked)
	}
	masked["count"] = "2"
	if _, created, err := h.herder.PutConnectorConfig(h.ctx, "sec", masked, "", true); err != nil || created {
		t.Fatalf("PUT of the masked config: created=%v %v", created, err)
	}
	info, _ := h.herder.ConnectorInfo(h.ctx, "sec")
	if info.Config["password"] != "s3cret" || info.Config["count"] != "2" {
		t.Fatalf("after a GET→PUT round trip the stored config is %v", info.Config)
	}
	pw := "changed"
	info, err = h.herder.PatchConnectorConfig(h.ctx, "sec", map[string]*string{"password": &pw, "count": nil})
	if err != nil || info.Config["password"] != "changed" || info.Config["count"] != "" {
		t.Fatalf("PATCH config: %v %v", info.Config, err)
	}
	if _, _, err := h.herder.PutConnectorConfig(h.ctx, "sec", cfg, "", false); !errors.As(err, &re) || re.Status != 409 || re.Message != "Connector sec already exists" {
		t.Fatalf("duplicate create: %v", err)
	}
}

func TestCreatedPausedOrStoppedHasNoTasksUntilResumed(t *testing.T) {
	h := newHarness(t, nil)
	topic := testbed.Topic(t, "gen")
	for _, initial := range []herder.TargetState{herder.TargetPaused, herder.TargetStopped} {
		name := "gen-" + strings.ToLower(string(initial))
		if _, _, err := h.herder.PutConnectorConfig(h.ctx, name, genConfig(name, topic, "count", "3"), initial, false); err != nil {
			t.Fatal(err)
		}
		want := map[herder.TargetState]herder.State{herder.TargetPaused: herder.StatePaused, herder.TargetStopped: herder.StateStopped}[initial]
		h.waitStates(name, want)
		if err := h.herder.ResumeConnector(h.ctx, name); err != nil {
			t.Fatal(err)
		}
		h.waitStates(name, herder.StateRunning, herder.StateRunning)
		wait.Until(t, name+" produced its records", func() bool { return h.committed(name)["0"] == 2 })
	}
}

// blockingProducer never acknowledges, so in-flight bytes only grow.
type blockingProducer struct {
	mu    sync.Mutex
	count int
}

func (p *blockingProducer) Produce(_ context.Context, _ *kgo.Record, _ func(*kgo.Record, error)) {
	p.mu.Lock()
	p.count++
	p.mu.Unlock()
}

// startBlockedTask runs a generator connector of payload-byte records, batch records per poll,
// on a standalone worker whose producer never acknowledges and whose producer.buffer.memory is
// 20000 bytes, and returns its task once it has records in flight.
func startBlockedTask(t *testing.T, name, payload, batch string) (*taskRunner, *blockingProducer) {
	t.Helper()
	props := map[string]string{"offset.storage.file.filename": "unused", "producer.buffer.memory": "20000",
		"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"}
	cfg, _, err := workerconfig.Parse(props, workerconfig.Standalone)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := plugins.New(generator.Plugin())
	prod := &blockingProducer{}
	status := NewMemoryStatusStore()
	w, err := NewWorker(WorkerOptions{Config: cfg, Plugins: reg, Offsets: offsets.NewMemoryStore(0), Producer: prod, Listener: StatusRecorder(status, "w")})
	if err != nil {
		t.Fatal(err)
	}
	w.shutdownTimeout, w.flushTimeout = 200*time.Millisecond, 200*time.Millisecond
	h := NewStandaloneHerder(HerderOptions{Worker: w, Plugins: reg, Status: status, WorkerID: "w"})
	t.Cleanup(h.Stop)
	if _, _, err := h.PutConnectorConfig(context.Background(), name, genConfig(name, "t", "payload.size", payload, "batch.size", batch), "", false); err != nil {
		t.Fatal(err)
	}
	var tr *taskRunner
	wait.Until(t, "the task is running", func() bool {
		w.mu.Lock()
		tr = w.tasks[herder.TaskID{Connector: name, Task: 0}]
		w.mu.Unlock()
		return tr != nil && tr.inflightBytes.Load() > 0
	})
	return tr, prod
}

// With Kafka not acknowledging, a task stops being polled once its in-flight bytes reach
// producer.buffer.memory: the connector feels the backpressure instead of the worker's memory.
func TestBackpressureBoundsInflightBytes(t *testing.T) {
	tr, prod := startBlockedTask(t, "bp", "1000", "1")
	// One record counts ~1.1 kB plus recordOverhead: the next one no longer fits once less than
	// that is left.
	wait.Until(t, "in-flight bytes reach the bound", func() bool { return tr.inflightBytes.Load() > 20000-1200-recordOverhead })
	time.Sleep(200 * time.Millisecond)
	prod.mu.Lock()
	n := prod.count
	prod.mu.Unlock()
	// The bound is reached after at most 19 records and nothing is produced past it.
	if got := tr.inflightBytes.Load(); got > 20000 || n > 19 {
		t.Fatalf("in-flight bytes %d after %d records; the bound of 20000 was not enforced", got, n)
	}
}

// A batch of records larger than what producer.buffer.memory leaves is not handed to the
// producer whole: each record waits for room (10 MB rows would otherwise all be in flight at
// once). The bound holds exactly, save for one record admitted when nothing is in flight.
func TestBackpressureWithinABatch(t *testing.T) {
	tr, prod := startBlockedTask(t, "bpb", "8000", "10")
	time.Sleep(300 * time.Millisecond)
	prod.mu.Lock()
	n := prod.count
	prod.mu.Unlock()
	// Each record counts ~8.1 kB plus recordOverhead: two fit in 20000 bytes, a third does not.
	if got := tr.inflightBytes.Load(); got > 20000 || n != 2 {
		t.Fatalf("in-flight bytes %d after %d records of a batch of 10; want 2 records within the bound of 20000", got, n)
	}
}

// A connector's own key.converter settings override the worker's, as in Kafka Connect.
func TestConnectorConverterOverride(t *testing.T) {
	h := newHarness(t, nil)
	topic := testbed.Topic(t, "gen")
	h.create(genConfig("conv", topic, "count", "1",
		"key.converter", "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable", "true",
		"value.converter", "org.apache.kafka.connect.storage.StringConverter"))
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var rec *kgo.Record
	for rec == nil {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatal("no record")
		}
		fs.EachRecord(func(r *kgo.Record) { rec = r })
	}
	wantKey := `{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"seq"}],"optional":false,"name":"io.connectd.tests.generator.Key"},"payload":{"seq":0}}`
	if string(rec.Key) != wantKey {
		t.Errorf("key = %s\nwant  %s", rec.Key, wantKey)
	}
	if !strings.HasPrefix(string(rec.Value), "Struct{") {
		t.Errorf("value = %s, want the StringConverter's Struct{...}", rec.Value)
	}
}

// KIP-158: topics a connector writes to for the first time are created with the settings of the
// first matching topic.creation group, else the default group's.
func TestTopicCreationGroups(t *testing.T) {
	h := newHarness(t, nil)
	base := testbed.Topic(t, "tc")
	common := []string{"count", "3", "topic.creation.default.replication.factor", "1", "topic.creation.default.partitions", "3",
		"topic.creation.groups", "compacted", "topic.creation.compacted.include", base + "-compacted",
		"topic.creation.compacted.partitions", "2", "topic.creation.compacted.cleanup.policy", "compact"}
	h.create(genConfig("plain", base+"-plain", common...))
	h.create(genConfig("compacted", base+"-compacted", common...))
	for _, name := range []string{"plain", "compacted"} {
		wait.Until(t, name+" produced its records", func() bool { return h.committed(name)["0"] == 2 })
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	details, err := adm.ListTopics(h.ctx, base+"-plain", base+"-compacted")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(details[base+"-plain"].Partitions); n != 3 {
		t.Errorf("the default group's topic has %d partitions, want 3", n)
	}
	if n := len(details[base+"-compacted"].Partitions); n != 2 {
		t.Errorf("the compacted group's topic has %d partitions, want 2", n)
	}
	rcs, err := adm.DescribeTopicConfigs(h.ctx, base+"-compacted")
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := rcs.On(base+"-compacted", nil)
	policy := ""
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.Value != nil {
			policy = *c.Value
		}
	}
	if policy != "compact" {
		t.Errorf("cleanup.policy of the compacted group's topic = %q, want compact", policy)
	}
}

// producer.override.* gives a connector its own producer; an unsupported override is reported by
// validation, a bad value fails the task with the setting named.
func TestProducerOverrides(t *testing.T) {
	h := newHarness(t, nil)
	topic := testbed.Topic(t, "po")
	h.create(genConfig("po", topic, "count", "5", "producer.override.compression.type", "zstd",
		"producer.override.linger.ms", "1", "producer.override.buffer.memory", "100000"))
	wait.Until(t, "the connector with overrides produced its records", func() bool { return h.committed("po")["0"] == 4 })
	h.worker.mu.Lock()
	tr := h.worker.tasks[herder.TaskID{Connector: "po", Task: 0}]
	cp := h.worker.producers["po"]
	h.worker.mu.Unlock()
	if cp == nil || tr.producer != Producer(cp.cl) || tr.maxInflight != 100000 {
		t.Fatalf("the task does not use the connector's own producer (%v, %d)", cp, tr.maxInflight)
	}
	if err := h.herder.DeleteConnector(h.ctx, "po"); err != nil {
		t.Fatal(err)
	}
	h.worker.mu.Lock()
	_, kept := h.worker.producers["po"]
	h.worker.mu.Unlock()
	if kept {
		t.Error("the connector's producer outlived its tasks")
	}

	infos, err := h.herder.ValidateConnectorConfig(h.ctx, genConfig("v", topic, "producer.override.transactional.id", "x",
		"admin.override.bootstrap.servers", "y", "topic.creation.default.partitions", "0"))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, c := range infos.Configs {
		if c.Value != nil {
			msgs = append(msgs, c.Value.Errors...)
		}
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{"producer.override.transactional.id is not supported", "admin.override.bootstrap.servers is not supported",
		"Missing required configuration \"topic.creation.default.replication.factor\"", "Number of partitions must be positive"} {
		if !strings.Contains(joined, want) {
			t.Errorf("validation does not report %q:\n%s", want, joined)
		}
	}
	if infos.ErrorCount != len(msgs) || infos.ErrorCount != 4 {
		t.Errorf("error_count %d, messages %d, want 4", infos.ErrorCount, len(msgs))
	}

	h.create(genConfig("badacks", topic, "count", "5", "producer.override.acks", "7"))
	st := h.waitStates("badacks", herder.StateRunning, herder.StateFailed)
	if !strings.Contains(st.Tasks[0].Trace, "producer.override.acks=7") {
		t.Errorf("trace %q does not name the bad setting", st.Tasks[0].Trace)
	}
}
