package distributed

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/offsets/topiclog"
)

// Record key prefixes of the config topic, as Kafka Connect's KafkaConfigBackingStore writes them.
const (
	keyTargetState = "target-state-"
	keyConnector   = "connector-"
	keyTask        = "task-"
	keyCommit      = "commit-"
	keyRestart     = "restart-connector-"
	// Keys Kafka Connect writes that connectd reads past: exactly-once fencing, the REST request
	// signing key, cluster-wide log levels.
	keyTaskCount   = "tasks-fencing-"
	keySessionKey  = "session-key"
	keyLoggerLevel = "logger-cluster-"
)

// DefaultConfigTopic is Kafka Connect's usual config.storage.topic.
const DefaultConfigTopic = "connect-configs"

// ConfigEventKind says what changed in the config topic.
type ConfigEventKind int

// The changes a worker reacts to.
const (
	// ConnectorUpdated: a connector was created or its configuration replaced.
	ConnectorUpdated ConfigEventKind = iota
	// ConnectorRemoved: a connector's configuration was deleted (tombstone).
	ConnectorRemoved
	// TargetStateChanged: a connector was paused, resumed or stopped.
	TargetStateChanged
	// TasksCommitted: a new set of task configurations was committed.
	TasksCommitted
	// RestartRequested: POST /connectors/{c}/restart was accepted by the leader.
	RestartRequested
)

// ConfigEvent is one change read from the config topic.
type ConfigEvent struct {
	Kind      ConfigEventKind
	Connector string
	// Restart is set for RestartRequested.
	Restart herder.RestartRequest
	// Offset is the record's offset in the config topic.
	Offset int64
}

// ClusterConfig is a consistent view of the config topic at Offset (the offset of the next record
// to read, Kafka Connect's config offset).
type ClusterConfig struct {
	Offset     int64
	Connectors map[string]map[string]string
	Targets    map[string]herder.TargetState
	// Tasks holds the committed task configurations of each connector, by task number.
	Tasks map[string][]map[string]string
	// Inconsistent names connectors whose last commit did not have all its task configurations
	// (compaction after a leader died mid-write); their owner must regenerate them.
	Inconsistent map[string]bool
}

// Contains reports whether the connector exists.
func (c ClusterConfig) Contains(name string) bool {
	_, ok := c.Connectors[name]
	return ok
}

// Target returns the connector's target state (STARTED when none was written).
func (c ClusterConfig) Target(name string) herder.TargetState {
	if t, ok := c.Targets[name]; ok {
		return t
	}
	return herder.TargetStarted
}

// ConfigStore keeps connector configurations, task configurations and target states in the config
// topic, with Kafka Connect's record keys and values (JSON without schemas), so a connectd cluster
// and the tools that read a Kafka Connect config topic understand each other. Every worker reads
// the whole topic and keeps the latest state in memory; only the leader writes configurations
// (the herder makes sure of that), any worker writes target states and restart requests are
// written by the leader, as in Kafka Connect.
type ConfigStore struct {
	topic   string
	brokers []string
	rf      int16
	logger  *slog.Logger

	cl  *kgo.Client
	log *topiclog.Log

	mu           sync.Mutex
	started      bool
	offset       int64
	connectors   map[string]map[string]string
	targets      map[string]herder.TargetState
	taskCounts   map[string]int
	tasks        map[string][]map[string]string
	deferred     map[string]map[int]map[string]string
	inconsistent map[string]bool
	fenced       map[string]int // task-count records (fencing.go)
	events       []ConfigEvent
	notify       chan struct{}
	sessionKey   SessionKey
}

// SessionKey is the key the leader of a sessioned group (KIP-507) writes to the config topic
// (session-key → {"key":base64,"algorithm":"HmacSHA256","creation-timestamp":ms}); workers sign
// their internal requests with it and the leader checks the signatures.
type SessionKey struct {
	Key       []byte
	Algorithm string
	Created   time.Time
}

// ConfigStoreOptions configures a ConfigStore.
type ConfigStoreOptions struct {
	Brokers []string
	// Topic is config.storage.topic.
	Topic string
	// ReplicationFactor is config.storage.replication.factor, used when the topic is created.
	ReplicationFactor int16
	ClientOptions     []kgo.Opt
	Logger            *slog.Logger
}

// NewConfigStore returns a store; Start creates or checks the topic and reads it.
func NewConfigStore(o ConfigStoreOptions) *ConfigStore {
	if o.Topic == "" {
		o.Topic = DefaultConfigTopic
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &ConfigStore{topic: o.Topic, brokers: o.Brokers, rf: o.ReplicationFactor, logger: o.Logger,
		connectors: map[string]map[string]string{}, targets: map[string]herder.TargetState{}, taskCounts: map[string]int{},
		tasks: map[string][]map[string]string{}, deferred: map[string]map[int]map[string]string{},
		inconsistent: map[string]bool{}, notify: make(chan struct{}, 1)}
}

// ErrConfigTopicPartitions is returned by Start when the config topic has more than one partition.
var ErrConfigTopicPartitions = errors.New("the config topic must have exactly one partition")

// Start connects, creates the topic when it is missing (1 partition, compacted), refuses a topic
// with more than one partition or without cleanup.policy=compact, and reads it to its end.
func (s *ConfigStore) Start(ctx context.Context, opts ...kgo.Opt) error {
	base := []kgo.Opt{
		kgo.SeedBrokers(s.brokers...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return fmt.Errorf("cannot create the Kafka client of the config store: %w", err)
	}
	n, err := topiclog.EnsureCompacted(ctx, kadm.NewClient(cl), s.brokers, topiclog.TopicSpec{Name: s.topic, Partitions: 1,
		ReplicationFactor: s.rf, Property: "config.storage.topic", Purpose: "connector configurations"})
	if err != nil {
		cl.Close()
		return err
	}
	if n != 1 {
		cl.Close()
		return fmt.Errorf("%w: topic '%s' supplied via the 'config.storage.topic' property is required to have a single partition "+
			"in order to guarantee consistency of connector configurations, but found %d partitions; point config.storage.topic at a "+
			"new topic name (connectd creates it with one partition) or recreate this one with --partitions 1 and cleanup.policy=compact",
			ErrConfigTopicPartitions, s.topic, n)
	}
	s.cl = cl
	s.log = topiclog.New(cl, s.topic, s.logger, s.apply)
	if err := s.log.ReadToEnd(ctx); err != nil {
		cl.Close()
		return fmt.Errorf("cannot read the config topic %s: %w", s.topic, err)
	}
	s.mu.Lock()
	s.started = true
	s.offset = s.log.Position()[0]
	s.mu.Unlock()
	return nil
}

// Close closes the Kafka client.
func (s *ConfigStore) Close() {
	if s.cl != nil {
		s.cl.Close()
	}
}

// Topic is the config topic's name.
func (s *ConfigStore) Topic() string { return s.topic }

// ReadToEnd applies every record written before the call.
func (s *ConfigStore) ReadToEnd(ctx context.Context) error {
	if err := s.log.ReadToEnd(ctx); err != nil {
		return fmt.Errorf("cannot read the config topic %s to its end: %w", s.topic, err)
	}
	pos := s.log.Position()[0]
	s.mu.Lock()
	s.offset = pos
	s.mu.Unlock()
	return nil
}

// Offset is the config offset read so far.
func (s *ConfigStore) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// Snapshot returns the current view. The maps are copies; the configurations inside are shared
// and must not be modified.
func (s *ConfigStore) Snapshot() ClusterConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ClusterConfig{Offset: s.offset, Connectors: maps.Clone(s.connectors), Targets: maps.Clone(s.targets),
		Tasks: maps.Clone(s.tasks), Inconsistent: maps.Clone(s.inconsistent)}
}

// Contains reports whether the connector exists in the view.
func (s *ConfigStore) Contains(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.connectors[name]
	return ok
}

// TaskCount returns the number of committed task configurations of a connector (0 when it does
// not exist).
func (s *ConfigStore) TaskCount(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tasks[name])
}

// Notify receives a value when events are waiting in TakeEvents.
func (s *ConfigStore) Notify() <-chan struct{} { return s.notify }

// TakeEvents returns the changes read since the last call, oldest first.
func (s *ConfigStore) TakeEvents() []ConfigEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.events
	s.events = nil
	return ev
}

// ---- writing ----

// PutConnectorConfig writes a connector's configuration, preceded by its target state when target
// is not empty (a connector created PAUSED or STOPPED), and reads it back.
func (s *ConfigStore) PutConnectorConfig(ctx context.Context, name string, config map[string]string, target herder.TargetState) error {
	var recs []*kgo.Record
	if target != "" {
		recs = append(recs, s.record(keyTargetState+name, encodeTargetState(target)))
	}
	recs = append(recs, s.record(keyConnector+name, encodeProperties(config)))
	return s.write(ctx, "the configuration of connector "+name, recs...)
}

// RemoveConnector writes tombstones for a connector's configuration and target state.
func (s *ConfigStore) RemoveConnector(ctx context.Context, name string) error {
	return s.write(ctx, "the deletion of connector "+name, s.record(keyConnector+name, nil), s.record(keyTargetState+name, nil))
}

// PutTaskConfigs writes a connector's task configurations, then the commit record that makes them
// take effect together, as Kafka Connect does (a reader applies task records only when it sees
// their commit).
func (s *ConfigStore) PutTaskConfigs(ctx context.Context, name string, configs []map[string]string) error {
	recs := make([]*kgo.Record, 0, len(configs))
	for i, c := range configs {
		recs = append(recs, s.record(keyTask+name+"-"+strconv.Itoa(i), encodeProperties(c)))
	}
	if len(recs) > 0 {
		if err := s.produce(ctx, "the task configurations of connector "+name, recs...); err != nil {
			return err
		}
	}
	return s.write(ctx, "the task commit of connector "+name, s.record(keyCommit+name, []byte(`{"tasks":`+strconv.Itoa(len(configs))+`}`)))
}

// PutSessionKey writes a new session key, as Kafka Connect's leader does.
func (s *ConfigStore) PutSessionKey(ctx context.Context, k SessionKey) error {
	v, err := json.Marshal(map[string]any{"key": base64.StdEncoding.EncodeToString(k.Key), "algorithm": k.Algorithm,
		"creation-timestamp": k.Created.UnixMilli()})
	if err != nil {
		return err
	}
	return s.write(ctx, "the session key", s.record(keySessionKey, v))
}

// SessionKey returns the last session key read from the topic, if any.
func (s *ConfigStore) SessionKey() (SessionKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionKey, s.sessionKey.Key != nil
}

// applySessionKey keeps a session-key record. Called with s.mu held.
func (s *ConfigStore) applySessionKey(v map[string]json.RawMessage, r *kgo.Record) {
	if v == nil {
		s.sessionKey = SessionKey{}
		return
	}
	var k struct {
		Key       string
		Algorithm string
		Created   int64
	}
	if json.Unmarshal(v["key"], &k.Key) != nil || json.Unmarshal(v["algorithm"], &k.Algorithm) != nil || json.Unmarshal(v["creation-timestamp"], &k.Created) != nil {
		s.logger.Error("ignoring a session key record that is not {key, algorithm, creation-timestamp}", "topic", s.topic, "offset", r.Offset)
		return
	}
	key, err := base64.StdEncoding.DecodeString(k.Key)
	if err != nil || len(key) == 0 {
		s.logger.Error("ignoring a session key record whose key is not base64", "topic", s.topic, "offset", r.Offset)
		return
	}
	s.sessionKey = SessionKey{Key: key, Algorithm: k.Algorithm, Created: time.UnixMilli(k.Created)}
}

// PutTargetState writes a connector's target state.
func (s *ConfigStore) PutTargetState(ctx context.Context, name string, target herder.TargetState) error {
	return s.write(ctx, "the target state of connector "+name, s.record(keyTargetState+name, encodeTargetState(target)))
}

// PutRestartRequest writes a restart request; every worker restarts what it runs of the connector.
func (s *ConfigStore) PutRestartRequest(ctx context.Context, req herder.RestartRequest) error {
	v := fmt.Sprintf(`{"include-tasks":%t,"only-failed":%t}`, req.IncludeTasks, req.OnlyFailed)
	return s.write(ctx, "a restart request for connector "+req.Connector, s.record(keyRestart+req.Connector, []byte(v)))
}

func (s *ConfigStore) record(key string, value []byte) *kgo.Record {
	return &kgo.Record{Topic: s.topic, Partition: 0, Key: []byte(key), Value: value}
}

func (s *ConfigStore) produce(ctx context.Context, what string, recs ...*kgo.Record) error {
	if err := s.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("could not write %s to the config topic %s: %w", what, s.topic, err)
	}
	return nil
}

// write produces the records (acks=all, in order) and reads the topic back to its end, so the
// writer sees its own change when write returns.
func (s *ConfigStore) write(ctx context.Context, what string, recs ...*kgo.Record) error {
	if err := s.produce(ctx, what, recs...); err != nil {
		return err
	}
	return s.ReadToEnd(ctx)
}

// encodeProperties writes {"properties":{...}} as Kafka's JsonConverter does without schemas
// (no HTML escaping; keys sorted, which Java does not promise but readers do not care about).
func encodeProperties(props map[string]string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Properties map[string]string `json:"properties"`
	}{props})
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// encodeTargetState writes Kafka Connect's TARGET_STATE_V1: workers that predate STOPPED read
// "state" and see PAUSED.
func encodeTargetState(t herder.TargetState) []byte {
	old := t
	if t == herder.TargetStopped {
		old = herder.TargetPaused
	}
	return []byte(`{"state":"` + string(old) + `","state.v2":"` + string(t) + `"}`)
}

// ---- reading ----

// apply handles one record of the config topic; it is called by the topic log, one record at a
// time, in offset order.
func (s *ConfigStore) apply(r *kgo.Record) {
	key := string(r.Key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = r.Offset + 1
	var v map[string]json.RawMessage
	if r.Value != nil {
		if err := json.Unmarshal(r.Value, &v); err != nil || v == nil {
			s.logger.Error("ignoring a config topic record whose value is not a JSON object", "topic", s.topic, "offset", r.Offset, "key", key, "error", err)
			return
		}
	}
	switch {
	case strings.HasPrefix(key, keyTargetState):
		s.applyTargetState(strings.TrimPrefix(key, keyTargetState), v, r)
	case strings.HasPrefix(key, keyConnector):
		s.applyConnector(strings.TrimPrefix(key, keyConnector), v, r)
	case strings.HasPrefix(key, keyTask):
		s.applyTask(key, v, r)
	case strings.HasPrefix(key, keyCommit):
		s.applyCommit(strings.TrimPrefix(key, keyCommit), v, r)
	case strings.HasPrefix(key, keyRestart):
		if v == nil {
			return
		}
		req := herder.RestartRequest{Connector: strings.TrimPrefix(key, keyRestart)}
		_ = json.Unmarshal(v["include-tasks"], &req.IncludeTasks)
		_ = json.Unmarshal(v["only-failed"], &req.OnlyFailed)
		s.emit(ConfigEvent{Kind: RestartRequested, Connector: req.Connector, Restart: req})
	case key == keySessionKey:
		s.applySessionKey(v, r)
	case strings.HasPrefix(key, keyTaskCount):
		s.applyTaskCount(key, r.Value)
	case strings.HasPrefix(key, keyLoggerLevel):
		// Written by Kafka Connect for features connectd does not have (exactly-once fencing,
		// cluster-wide log levels); nothing to apply.
	default:
		s.logger.Error("discarding a config topic record with an unknown key", "topic", s.topic, "offset", r.Offset, "key", key)
	}
}

// emit queues an event once the initial read is done: before that, the state read is the
// starting point, not a change. Called with s.mu held, from apply.
func (s *ConfigStore) emit(ev ConfigEvent) {
	if !s.started {
		return
	}
	ev.Offset = s.offset - 1
	s.events = append(s.events, ev)
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *ConfigStore) applyTargetState(name string, v map[string]json.RawMessage, r *kgo.Record) {
	if v == nil {
		delete(s.targets, name)
		if _, ok := s.connectors[name]; ok {
			s.targets[name] = herder.TargetStarted
		}
		return
	}
	var state string
	if raw, ok := v["state.v2"]; ok && json.Unmarshal(raw, &state) == nil && state != "" {
		// written by a worker that knows STOPPED
	} else if err := json.Unmarshal(v["state"], &state); err != nil || state == "" {
		s.logger.Error("ignoring a target state record without a state", "topic", s.topic, "offset", r.Offset, "connector", name)
		return
	}
	t := herder.TargetState(state)
	switch t {
	case herder.TargetStarted, herder.TargetPaused, herder.TargetStopped:
	default:
		s.logger.Error("ignoring an unknown target state", "topic", s.topic, "offset", r.Offset, "connector", name, "state", state)
		return
	}
	prev, had := s.targets[name]
	s.targets[name] = t
	if _, exists := s.connectors[name]; exists && (!had || prev != t) {
		s.emit(ConfigEvent{Kind: TargetStateChanged, Connector: name})
	}
}

func decodeProperties(v map[string]json.RawMessage) (map[string]string, bool) {
	var props map[string]*string
	if err := json.Unmarshal(v["properties"], &props); err != nil || props == nil {
		return nil, false
	}
	out := make(map[string]string, len(props))
	for k, p := range props {
		if p != nil {
			out[k] = *p
		}
	}
	return out, true
}

func (s *ConfigStore) applyConnector(name string, v map[string]json.RawMessage, r *kgo.Record) {
	if v == nil {
		s.removeLocked(name)
		s.emit(ConfigEvent{Kind: ConnectorRemoved, Connector: name})
		return
	}
	props, ok := decodeProperties(v)
	if !ok {
		s.logger.Error("ignoring a connector configuration without a properties map", "topic", s.topic, "offset", r.Offset, "connector", name)
		return
	}
	s.connectors[name] = props
	if _, ok := s.targets[name]; !ok {
		s.targets[name] = herder.TargetStarted
	}
	s.emit(ConfigEvent{Kind: ConnectorUpdated, Connector: name})
}

// removeLocked forgets a connector and its tasks (its target state has a tombstone of its own).
func (s *ConfigStore) removeLocked(name string) {
	delete(s.connectors, name)
	delete(s.taskCounts, name)
	delete(s.tasks, name)
	delete(s.deferred, name)
	delete(s.inconsistent, name)
}

// parseTaskKey splits task-<connector>-<n>; connector names may contain dashes, the number is
// after the last one.
func parseTaskKey(key string) (string, int, bool) {
	rest := strings.TrimPrefix(key, keyTask)
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return rest[:i], n, true
}

func (s *ConfigStore) applyTask(key string, v map[string]json.RawMessage, r *kgo.Record) {
	name, n, ok := parseTaskKey(key)
	if !ok {
		s.logger.Error("ignoring a task configuration whose key is not task-<connector>-<n>", "topic", s.topic, "offset", r.Offset, "key", key)
		return
	}
	if v == nil {
		return
	}
	props, ok := decodeProperties(v)
	if !ok {
		s.logger.Error("ignoring a task configuration without a properties map", "topic", s.topic, "offset", r.Offset, "key", key)
		return
	}
	d := s.deferred[name]
	if d == nil {
		d = map[int]map[string]string{}
		s.deferred[name] = d
	}
	d[n] = props
}

func (s *ConfigStore) applyCommit(name string, v map[string]json.RawMessage, r *kgo.Record) {
	if v == nil {
		return
	}
	if _, ok := s.connectors[name]; !ok {
		// The connector was deleted and compaction removed its records; its tasks are gone too.
		s.removeLocked(name)
		return
	}
	var n int
	if err := json.Unmarshal(v["tasks"], &n); err != nil || n < 0 {
		s.logger.Error("ignoring a task commit without a task count", "topic", s.topic, "offset", r.Offset, "connector", name)
		return
	}
	d := s.deferred[name]
	complete := true
	for i := 0; i < n; i++ {
		if _, ok := d[i]; !ok {
			complete = false
			break
		}
	}
	if !complete {
		// Only compaction after a leader died mid-write gets here; the connector's owner
		// regenerates the task configurations.
		s.inconsistent[name] = true
	} else {
		cfgs := make([]map[string]string, n)
		for i := range cfgs {
			cfgs[i] = d[i]
		}
		s.tasks[name] = cfgs
		delete(s.inconsistent, name)
	}
	delete(s.deferred, name)
	s.taskCounts[name] = n
	s.emit(ConfigEvent{Kind: TasksCommitted, Connector: name})
}
