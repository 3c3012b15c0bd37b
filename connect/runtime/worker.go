// Package runtime runs connectors and their tasks: the Worker owns the instances on this process
// (connector state machines, source task poll loops, the shared producer, offset commits), and a
// herder decides what runs (StandaloneHerder here; a distributed herder elsewhere uses the same
// Worker). Both implement rest.Herder through one HerderCore, each with its own HerderBackend
// (where configurations live, how changes are serialised), so the REST API serves either with the
// same checks and messages.
//
// The path of one record: a task's Poll returns it; the task's goroutine converts key and value
// with the configured converters and hands it to the worker's franz-go producer (idempotent,
// acks=all, batched); the producer's callback marks it acknowledged; every
// offset.flush.interval.ms the committer writes, per source partition, the offset of the last
// record acknowledged together with all records before it, and only then calls the task's Commit.
//
// Goroutines and locks: each task has a poll goroutine and a committer goroutine; franz-go runs
// the acknowledgement callbacks (they only touch atomics). Herder changes hold the herder's lock,
// which is taken before the Worker's and a connector's own lock, never after; task goroutines and
// connector callbacks never take the herder's lock synchronously (reconfiguration requests run on
// their own goroutine). Memory is bounded per task by producer.buffer.memory bytes in flight.
//
// Fault containment: every call into connector code, and the task's own conversion, produce and
// commit path, runs through safely (api.Guard), so a panic fails that task or connector with the
// panic and its stack as the trace instead of ending the worker; connectors run the goroutines
// they start through api.Guard too.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/converter"
	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/transforms"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
)

// DefaultMaxInflightBytes bounds each task's unacknowledged bytes when producer.buffer.memory is
// not set; it is the Java producer's default buffer.memory (32 MiB).
const DefaultMaxInflightBytes = 32 << 20

// StatusListener receives the state changes of the instances a Worker runs; a herder records them
// in its status store.
type StatusListener interface {
	OnConnectorState(name string, state herder.State, trace string)
	OnTaskState(id herder.TaskID, state herder.State, trace string)
	// OnTopicUsed is called the first time a task of the connector produces to topic.
	OnTopicUsed(connector, topic string)
}

// Producer is the part of a franz-go client the worker uses, so tests can count records.
type Producer interface {
	Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
}

// connProducer is the producer of a connector with producer.override.* settings, shared by its
// tasks and closed with the last of them.
type connProducer struct {
	cl             *kgo.Client
	refs           int
	maxInflight    int64
	maxRequestSize int64
	// deliveryTimeout is the producer's delivery.timeout.ms (see taskRunner.deliveryOverdue).
	deliveryTimeout time.Duration
}

// WorkerOptions configures a Worker.
type WorkerOptions struct {
	Config   *workerconfig.Worker
	Plugins  *plugins.Registry
	Offsets  offsets.Store
	Producer Producer
	// Admin creates topics for connectors with topic.creation.* settings; nil disables that.
	Admin    *kadm.Client
	Listener StatusListener
	Logger   *slog.Logger
}

// Worker runs connector and task instances; it does not know where configurations live.
type Worker struct {
	cfg      *workerconfig.Worker
	plugins  *plugins.Registry
	offsets  offsets.Store
	producer Producer
	listener StatusListener
	log      *slog.Logger
	props    map[string]string
	// providers resolve ${...} references when a connector or task starts; stored configs keep them.
	providers *workerconfig.Providers

	keyConv, valueConv converter.Converter // the worker's defaults

	maxInflight     int64
	maxRequestSize  int64         // producer.max.request.size of the worker's producer
	deliveryTimeout time.Duration // producer.delivery.timeout.ms of the worker's producer
	flushInterval   time.Duration
	flushTimeout    time.Duration
	shutdownTimeout time.Duration

	topics               topicCreator
	topicCreationEnabled bool

	mu         sync.Mutex
	connectors map[string]*connectorRunner
	tasks      map[herder.TaskID]*taskRunner
	producers  map[string]*connProducer // connectors with producer overrides

	// connectorMetrics hands each task a progress to report into (ConnectorMetricsEnv).
	connectorMetrics bool
}

// NewWorker builds a worker from its validated configuration.
func NewWorker(o WorkerOptions) (*Worker, error) {
	w := &Worker{
		cfg: o.Config, producers: map[string]*connProducer{}, topics: topicCreator{admin: o.Admin},
		topicCreationEnabled: !strings.EqualFold(strings.TrimSpace(o.Config.Props["topic.creation.enable"]), "false"),
		plugins:              o.Plugins, offsets: o.Offsets, producer: o.Producer, listener: o.Listener, log: o.Logger,
		props: o.Config.Props, providers: o.Config.Providers, connectors: map[string]*connectorRunner{}, tasks: map[herder.TaskID]*taskRunner{},
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	w.connectorMetrics = connectorMetricsEnabled()
	var err error
	if w.keyConv, err = converter.New(o.Config.KeyConverter, converter.Settings(o.Config.Props, "key.converter."), true); err != nil {
		return nil, fmt.Errorf("key.converter: %w", err)
	}
	if w.valueConv, err = converter.New(o.Config.ValueConverter, converter.Settings(o.Config.Props, "value.converter."), false); err != nil {
		return nil, fmt.Errorf("value.converter: %w", err)
	}
	w.maxInflight = DefaultMaxInflightBytes
	if v, ok := o.Config.Props["producer.buffer.memory"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("producer.buffer.memory=%s: expected a positive number of bytes", v)
		}
		w.maxInflight = n
	}
	if v, ok := o.Config.Props["producer.max.request.size"]; ok {
		if w.maxRequestSize, err = maxRequestSize(map[string]string{"max.request.size": v}, "producer."); err != nil {
			return nil, err
		}
	} else {
		w.maxRequestSize = DefaultMaxRequestSize
	}
	if w.deliveryTimeout, err = deliveryTimeout(o.Config.Props["producer.delivery.timeout.ms"], "producer."); err != nil {
		return nil, err
	}
	w.flushInterval = millis(o.Config.FlushIntervalMs, 60000)
	w.flushTimeout = millis(o.Config.FlushTimeoutMs, 5000)
	w.shutdownTimeout = millis(o.Config.ShutdownMs, 5000)
	return w, nil
}

func millis(ms, def int64) time.Duration {
	if ms <= 0 {
		ms = def
	}
	return time.Duration(ms) * time.Millisecond
}

// ShutdownTimeout is task.shutdown.graceful.timeout.ms.
func (w *Worker) ShutdownTimeout() time.Duration { return w.shutdownTimeout }

// FlushTimeout is offset.flush.timeout.ms: how long the worker waits for Kafka to acknowledge what
// is in flight when tasks stop.
func (w *Worker) FlushTimeout() time.Duration { return w.flushTimeout }

// Offsets is the worker's offset store.
func (w *Worker) Offsets() offsets.Store { return w.offsets }

// StartConnector creates a connector instance and moves it to target. reconfigure is called
// (from any goroutine, without blocking) when the connector asks for new task configurations.
func (w *Worker) StartConnector(name string, config map[string]string, target herder.TargetState, reconfigure func()) error {
	p, ok := w.plugins.Lookup(config["connector.class"])
	if !ok {
		return fmt.Errorf("no connector plugin named %q", config["connector.class"])
	}
	var conn api.SourceConnector
	if err := safely(func() error { conn = p.New(); return nil }); err != nil {
		return fmt.Errorf("could not create connector %s with plugin %s: %w", name, p.Class, err)
	}
	w.mu.Lock()
	if _, exists := w.connectors[name]; exists {
		w.mu.Unlock()
		return fmt.Errorf("connector %s is already running on this worker", name)
	}
	c := &connectorRunner{name: name, w: w, config: config, conn: conn, reconfigure: reconfigure,
		log: w.log.With("connector", name)}
	w.connectors[name] = c
	w.mu.Unlock()
	c.log.Info("starting connector", "class", p.Class, "target", target, "config", w.plugins.Mask(config))
	c.transition(target)
	return nil
}

func (w *Worker) connector(name string) *connectorRunner {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.connectors[name]
}

// ConnectorRunning reports whether the connector's instance is started and not failed.
func (w *Worker) ConnectorRunning(name string) bool {
	c := w.connector(name)
	return c != nil && c.running()
}

// ConnectorTaskConfigs asks a running connector for its task configurations.
func (w *Worker) ConnectorTaskConfigs(name string, maxTasks int) ([]map[string]string, error) {
	c := w.connector(name)
	if c == nil {
		return nil, fmt.Errorf("connector %s is not running on this worker", name)
	}
	return c.taskConfigs(maxTasks)
}

// StopConnector stops and forgets a connector instance (its tasks are stopped separately).
func (w *Worker) StopConnector(name string) {
	w.mu.Lock()
	c := w.connectors[name]
	delete(w.connectors, name)
	w.mu.Unlock()
	if c != nil {
		c.shutdown()
		c.log.Info("connector stopped")
	}
}

// SetTargetState moves a connector and its tasks to target.
func (w *Worker) SetTargetState(name string, target herder.TargetState) {
	if c := w.connector(name); c != nil {
		c.transition(target)
	}
	w.mu.Lock()
	var ts []*taskRunner
	for id, t := range w.tasks {
		if id.Connector == name {
			ts = append(ts, t)
		}
	}
	w.mu.Unlock()
	for _, t := range ts {
		t.setTarget(target)
	}
}

// StartTask creates and starts a task of a connector. connConfig is the connector's
// configuration (converter and producer overrides, topic creation), taskConfig what the
// connector generated.
func (w *Worker) StartTask(id herder.TaskID, connConfig, taskConfig map[string]string, target herder.TargetState) error {
	p, ok := w.plugins.Lookup(connConfig["connector.class"])
	if !ok {
		return fmt.Errorf("no connector plugin named %q", connConfig["connector.class"])
	}
	// The stored configs keep their ${...} references; the task sees them resolved.
	var setupErr error
	rawConn, rawTask := connConfig, taskConfig
	if connConfig, setupErr = w.providers.Transform(rawConn); setupErr == nil {
		taskConfig, setupErr = w.providers.Transform(rawTask)
	}
	if setupErr != nil {
		connConfig, taskConfig = rawConn, rawTask
		setupErr = fmt.Errorf("the configuration could not be resolved: %w", setupErr)
	}
	secrets := append(secretValues(rawConn, connConfig), secretValues(rawTask, taskConfig)...)
	keyConv, valueConv := w.keyConv, w.valueConv
	if cls, ok := connConfig["key.converter"]; ok && strings.TrimSpace(cls) != "" && setupErr == nil {
		keyConv, setupErr = converter.New(cls, converter.Settings(connConfig, "key.converter."), true)
	}
	if cls, ok := connConfig["value.converter"]; ok && strings.TrimSpace(cls) != "" && setupErr == nil {
		valueConv, setupErr = converter.New(cls, converter.Settings(connConfig, "value.converter."), false)
	}
	var chain *transforms.Chain
	if setupErr == nil {
		var probs []transforms.Problem
		if chain, probs = transforms.New(connConfig); len(probs) > 0 {
			setupErr = fmt.Errorf("invalid transforms setting %s: %s", probs[0].Key, probs[0].Msg)
		}
	}
	var tc *topicCreation
	if w.topicCreationEnabled && setupErr == nil {
		var probs []topicCreationProblem
		if tc, probs = parseTopicCreation(connConfig); len(probs) > 0 {
			setupErr = errors.New(probs[0].msg)
		}
	}
	w.mu.Lock()
	if _, exists := w.tasks[id]; exists {
		w.mu.Unlock()
		return fmt.Errorf("task %s is already running on this worker", id)
	}
	producer, maxInflight, maxReq, ownProducer := Producer(w.producer), w.maxInflight, w.maxRequestSize, false
	delivery := w.deliveryTimeout
	var txn *eosTxn
	if setupErr == nil && w.eosEnabled() {
		// Each task has its own transactional producer (with the connector's overrides).
		txn, setupErr = w.newEOSTxn(id, connConfig)
		if txn != nil {
			producer = txn.cl
		}
	} else if setupErr == nil {
		if overrides := converter.Settings(connConfig, "producer.override."); len(overrides) > 0 {
			cp, err := w.acquireProducerLocked(id.Connector, overrides)
			if err != nil {
				setupErr = err
			} else {
				producer, maxInflight, maxReq, ownProducer = cp.cl, cp.maxInflight, cp.maxRequestSize, true
				delivery = cp.deliveryTimeout
			}
		}
	}
	var task api.SourceTask
	if setupErr == nil {
		setupErr = safely(func() error {
			task = p.New().NewTask()
			return nil
		})
	}
	t := w.newTaskRunner(id, task, taskConfig, keyConv, valueConv, target)
	t.producer, t.maxInflight, t.topicCreation, t.txn = producer, maxInflight, tc, txn
	t.maxRequestSize, t.ownProducer = maxReq, ownProducer
	t.deliveryTimeout = delivery
	t.chain, t.errs = chain, parseErrorPolicy(connConfig)
	t.secrets = secrets
	w.tasks[id] = t
	w.mu.Unlock()
	addTaskBudget(taskBudget(t))
	if setupErr != nil {
		close(t.done)
		t.fail("could not set the task up", setupErr)
		return nil
	}
	t.log.Info("starting task", "target", target)
	go t.run()
	return nil
}

// acquireProducerLocked returns the producer of a connector with producer overrides, creating it
// for its first task.
func (w *Worker) acquireProducerLocked(connector string, overrides map[string]string) (*connProducer, error) {
	if cp := w.producers[connector]; cp != nil {
		cp.refs++
		return cp, nil
	}
	settings := map[string]string{}
	for k, v := range w.cfg.Props {
		if rest, ok := strings.CutPrefix(k, "producer."); ok {
			settings[rest] = v
		}
	}
	maps.Copy(settings, overrides)
	cl, err := newProducer(w.cfg, settings, "producer.override.")
	if err != nil {
		return nil, err
	}
	if overridesSecurity(overrides) {
		// A wrong password or certificate of the connector's own identity fails its tasks at
		// once rather than after every record's delivery timeout. A broker that merely does not
		// answer yet is left to the producer's retries, so the check is short.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := cl.Ping(ctx)
		cancel()
		if err != nil {
			if hint, permanent := kafkasec.Explain(err); permanent {
				cl.Close()
				return nil, fmt.Errorf("could not connect the producer of connector %s to Kafka (producer.override.* settings): %s: %w", connector, hint, err)
			}
		}
	}
	maxReq, err := maxRequestSize(settings, "producer.override.")
	if err != nil {
		cl.Close()
		return nil, err
	}
	dt, err := deliveryTimeout(settings["delivery.timeout.ms"], "producer.override.")
	if err != nil {
		cl.Close()
		return nil, err
	}
	cp := &connProducer{cl: cl, refs: 1, maxInflight: w.maxInflight, maxRequestSize: maxReq, deliveryTimeout: dt}
	if v, ok := settings["buffer.memory"]; ok {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
			cp.maxInflight = n
		}
	}
	w.producers[connector] = cp
	return cp, nil
}

// overridesSecurity reports whether a connector's producer overrides change how it authenticates.
func overridesSecurity(overrides map[string]string) bool {
	for k := range overrides {
		if slices.Contains(kafkasec.Keys, k) {
			return true
		}
	}
	return false
}

// releaseProducer drops a task's hold on its connector's own producer, closing it after the last.
func (w *Worker) releaseProducer(t *taskRunner) {
	w.mu.Lock()
	cp := w.producers[t.id.Connector]
	if cp == nil || Producer(cp.cl) != t.producer {
		w.mu.Unlock()
		return
	}
	cp.refs--
	last := cp.refs == 0
	if last {
		delete(w.producers, t.id.Connector)
	}
	w.mu.Unlock()
	if last {
		ctx, cancel := context.WithTimeout(context.Background(), w.flushTimeout)
		_ = cp.cl.Flush(ctx)
		cancel()
		cp.cl.Close()
	}
}

// StopTasks stops tasks in parallel, each bounded by task.shutdown.graceful.timeout.ms, and
// forgets them.
func (w *Worker) StopTasks(ids []herder.TaskID) {
	w.mu.Lock()
	var ts []*taskRunner
	for _, id := range ids {
		if t := w.tasks[id]; t != nil {
			ts = append(ts, t)
			delete(w.tasks, id)
		}
	}
	w.mu.Unlock()
	for _, t := range ts {
		addTaskBudget(-taskBudget(t))
	}
	var wg sync.WaitGroup
	for _, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if t.stop(w.shutdownTimeout) {
				t.log.Info("task stopped")
			}
			w.releaseProducer(t)
		}()
	}
	wg.Wait()
}

// Tasks lists the tasks of a connector running on this worker.
func (w *Worker) Tasks(connector string) []herder.TaskID {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []herder.TaskID
	for id := range w.tasks {
		if id.Connector == connector {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Task < out[j].Task })
	return out
}

// Connectors lists the connectors running on this worker.
func (w *Worker) Connectors() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.connectors))
	for n := range w.connectors {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Stop stops every task, then every connector.
func (w *Worker) Stop() {
	w.mu.Lock()
	ids := make([]herder.TaskID, 0, len(w.tasks))
	for id := range w.tasks {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	w.StopTasks(ids)
	for _, n := range w.Connectors() {
		w.StopConnector(n)
	}
}
