package distributed

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/offsets"
	"github.com/connectd/connectd/offsets/topiclog"
)

// Record key prefixes of the status topic, as Kafka Connect's KafkaStatusBackingStore writes them.
const (
	keyConnectorStatus = "status-connector-"
	keyTaskStatus      = "status-task-"
	keyTopicStatus     = "status-topic-"
	topicSeparator     = ":connector-"
)

// Defaults of the status topic, Kafka Connect's.
const (
	DefaultStatusTopic      = "connect-status"
	DefaultStatusPartitions = 5
)

// StatusStore keeps connector and task statuses and active topics in the status topic, in Kafka
// Connect's format: status-connector-<c> and status-task-<c>-<n> carry
// {"state","trace","worker_id","generation"}, status-topic-<topic>:connector-<c> carries
// {"topic":{"name","connector","task","discoverTimestamp"}}. The worker running an instance
// writes its status; every worker reads the topic, so any of them answers GET status. It
// implements runtime.StatusStore.
type StatusStore struct {
	topic      string
	brokers    []string
	partitions int32
	rf         int16
	workerID   string
	logger     *slog.Logger

	cl  *kgo.Client
	log *topiclog.Log

	generation atomic.Int32

	mu         sync.RWMutex
	connectors map[string]runtime.ConnectorStatus
	tasks      map[string]map[int]runtime.TaskStatus
	topics     map[string]map[string]struct{}
}

var _ runtime.StatusStore = (*StatusStore)(nil)

// StatusStoreOptions configures a StatusStore.
type StatusStoreOptions struct {
	Brokers []string
	// Topic is status.storage.topic; Partitions and ReplicationFactor are used to create it.
	Topic             string
	Partitions        int32
	ReplicationFactor int16
	// WorkerID names this worker in the statuses it writes.
	WorkerID string
	Logger   *slog.Logger
}

// NewStatusStore returns a store; Start creates or checks the topic and reads it.
func NewStatusStore(o StatusStoreOptions) *StatusStore {
	if o.Topic == "" {
		o.Topic = DefaultStatusTopic
	}
	if o.Partitions == 0 {
		o.Partitions = DefaultStatusPartitions
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &StatusStore{topic: o.Topic, brokers: o.Brokers, partitions: o.Partitions, rf: o.ReplicationFactor,
		workerID: o.WorkerID, logger: o.Logger, connectors: map[string]runtime.ConnectorStatus{},
		tasks: map[string]map[int]runtime.TaskStatus{}, topics: map[string]map[string]struct{}{}}
}

// Start connects, creates the topic when it is missing (compacted) and reads it to its end.
func (s *StatusStore) Start(ctx context.Context, opts ...kgo.Opt) error {
	base := []kgo.Opt{
		kgo.SeedBrokers(s.brokers...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
		// Keys land where the Java producer puts them, so Kafka Connect tooling agrees on order.
		kgo.RecordPartitioner(kgo.BasicConsistentPartitioner(func(string) func(*kgo.Record, int) int {
			return func(r *kgo.Record, n int) int { return int(offsets.PartitionFor(r.Key, int32(n))) }
		})),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return fmt.Errorf("cannot create the Kafka client of the status store: %w", err)
	}
	if _, err := topiclog.EnsureCompacted(ctx, kadm.NewClient(cl), s.brokers, topiclog.TopicSpec{Name: s.topic, Partitions: s.partitions,
		ReplicationFactor: s.rf, Property: "status.storage.topic", Purpose: "connector and task statuses"}); err != nil {
		cl.Close()
		return err
	}
	s.cl = cl
	s.log = topiclog.New(cl, s.topic, s.logger, s.apply)
	if err := s.log.ReadToEnd(ctx); err != nil {
		cl.Close()
		return fmt.Errorf("cannot read the status topic %s: %w", s.topic, err)
	}
	return nil
}

// Close flushes pending writes (for up to five seconds) and closes the client.
func (s *StatusStore) Close() {
	if s.cl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.cl.Flush(ctx)
	s.cl.Close()
}

// SetGeneration sets the group generation written with every status from now on.
func (s *StatusStore) SetGeneration(g int32) { s.generation.Store(g) }

// Flush waits until every status written so far is acknowledged.
func (s *StatusStore) Flush(ctx context.Context) error { return s.cl.Flush(ctx) }

// Sync waits for this worker's writes, then reads the topic to its end, so reads reflect every
// status written before the call by any worker.
func (s *StatusStore) Sync(ctx context.Context) error {
	if err := s.cl.Flush(ctx); err != nil {
		return fmt.Errorf("could not write statuses to the status topic %s: %w", s.topic, err)
	}
	if err := s.log.ReadToEnd(ctx); err != nil {
		return fmt.Errorf("cannot read the status topic %s to its end: %w", s.topic, err)
	}
	return nil
}

// ReadToEnd reads statuses other workers wrote, without waiting for this worker's own.
func (s *StatusStore) ReadToEnd(ctx context.Context) error { return s.log.ReadToEnd(ctx) }

// ---- writing ----

func (s *StatusStore) send(key string, value []byte) {
	s.cl.Produce(context.Background(), &kgo.Record{Topic: s.topic, Key: []byte(key), Value: value}, func(r *kgo.Record, err error) {
		if err != nil {
			s.logger.Error("could not write a status to the status topic; GET status may show an older state", "topic", s.topic, "key", string(r.Key), "error", err)
		}
	})
}

func encodeStatus(state herder.State, trace, workerID string, generation int) []byte {
	b := make([]byte, 0, 96+len(trace))
	b = append(b, `{"state":`...)
	b = strconv.AppendQuote(b, string(state))
	b = append(b, `,"trace":`...)
	if trace == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, trace)
	}
	b = append(b, `,"worker_id":`...)
	b = appendJSONString(b, workerID)
	b = append(b, `,"generation":`...)
	b = strconv.AppendInt(b, int64(generation), 10)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string (encoding/json's escaping, without HTML escapes).
func appendJSONString(b []byte, s string) []byte {
	enc, _ := json.Marshal(s)
	return append(b, enc...)
}

// safe reports whether an UNASSIGNED status may overwrite cur: only when this worker wrote cur or
// cur is from an older generation, so a worker that gives an instance up late cannot hide that
// another worker already runs it (Kafka Connect's putSafe).
func (s *StatusStore) safe(cur string, curGen int, found bool) bool {
	return !found || cur == s.workerID || curGen < int(s.generation.Load())
}

// PutConnector implements runtime.StatusStore; the generation is the store's.
func (s *StatusStore) PutConnector(st runtime.ConnectorStatus) {
	st.Generation = int(s.generation.Load())
	if st.WorkerID == "" {
		st.WorkerID = s.workerID
	}
	if st.State == herder.StateUnassigned {
		s.mu.RLock()
		cur, ok := s.connectors[st.Name]
		s.mu.RUnlock()
		if !s.safe(cur.WorkerID, cur.Generation, ok) {
			return
		}
	}
	s.send(keyConnectorStatus+st.Name, encodeStatus(st.State, st.Trace, st.WorkerID, st.Generation))
}

// PutTask implements runtime.StatusStore; the generation is the store's.
func (s *StatusStore) PutTask(st runtime.TaskStatus) {
	st.Generation = int(s.generation.Load())
	if st.WorkerID == "" {
		st.WorkerID = s.workerID
	}
	if st.State == herder.StateUnassigned {
		s.mu.RLock()
		cur, ok := s.tasks[st.ID.Connector][st.ID.Task]
		s.mu.RUnlock()
		if !s.safe(cur.WorkerID, cur.Generation, ok) {
			return
		}
	}
	s.send(taskStatusKey(st.ID), encodeStatus(st.State, st.Trace, st.WorkerID, st.Generation))
}

func taskStatusKey(id herder.TaskID) string {
	return keyTaskStatus + id.Connector + "-" + strconv.Itoa(id.Task)
}

// DeleteConnector implements runtime.StatusStore: tombstones for the connector's status, its
// tasks' statuses and its active topics.
func (s *StatusStore) DeleteConnector(name string) {
	s.mu.RLock()
	_, hasConn := s.connectors[name]
	var tasks []int
	for n := range s.tasks[name] {
		tasks = append(tasks, n)
	}
	topics := slices.Collect(maps.Keys(s.topics[name]))
	s.mu.RUnlock()
	if hasConn {
		s.send(keyConnectorStatus+name, nil)
	}
	for _, n := range tasks {
		s.send(taskStatusKey(herder.TaskID{Connector: name, Task: n}), nil)
	}
	for _, t := range topics {
		s.send(keyTopicStatus+t+topicSeparator+name, nil)
	}
}

// DeleteTask implements runtime.StatusStore.
func (s *StatusStore) DeleteTask(id herder.TaskID) {
	s.send(taskStatusKey(id), nil)
}

// AddTopic implements runtime.StatusStore. The runtime does not say which task found the topic;
// the record says task 0.
func (s *StatusStore) AddTopic(connector, topic string) {
	s.mu.RLock()
	_, known := s.topics[connector][topic]
	s.mu.RUnlock()
	if known {
		return
	}
	v := map[string]map[string]any{"topic": {"name": topic, "connector": connector, "task": 0, "discoverTimestamp": time.Now().UnixMilli()}}
	b, _ := json.Marshal(v)
	s.send(keyTopicStatus+topic+topicSeparator+connector, b)
}

// ResetTopics implements runtime.StatusStore.
func (s *StatusStore) ResetTopics(connector string) {
	for _, t := range s.Topics(connector) {
		s.send(keyTopicStatus+t+topicSeparator+connector, nil)
	}
}

// ---- reading ----

// Connector implements runtime.StatusStore.
func (s *StatusStore) Connector(name string) (runtime.ConnectorStatus, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.connectors[name]
	return st, ok
}

// Task implements runtime.StatusStore.
func (s *StatusStore) Task(id herder.TaskID) (runtime.TaskStatus, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.tasks[id.Connector][id.Task]
	return st, ok
}

// Tasks implements runtime.StatusStore.
func (s *StatusStore) Tasks(connector string) []runtime.TaskStatus {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]runtime.TaskStatus, 0, len(s.tasks[connector]))
	for _, st := range s.tasks[connector] {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.Task < out[j].ID.Task })
	return out
}

// Topics implements runtime.StatusStore.
func (s *StatusStore) Topics(connector string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := slices.Collect(maps.Keys(s.topics[connector]))
	slices.Sort(out)
	return out
}

type statusValue struct {
	State      string  `json:"state"`
	Trace      *string `json:"trace"`
	WorkerID   string  `json:"worker_id"`
	Generation int     `json:"generation"`
}

// apply handles one record of the status topic.
func (s *StatusStore) apply(r *kgo.Record) {
	key := string(r.Key)
	switch {
	case strings.HasPrefix(key, keyConnectorStatus):
		name := strings.TrimPrefix(key, keyConnectorStatus)
		if r.Value == nil {
			s.mu.Lock()
			delete(s.connectors, name)
			s.mu.Unlock()
			return
		}
		v, ok := s.decode(r)
		if !ok {
			return
		}
		s.mu.Lock()
		s.connectors[name] = runtime.ConnectorStatus{Name: name, State: herder.State(v.State), Trace: deref(v.Trace), WorkerID: v.WorkerID, Generation: v.Generation}
		s.mu.Unlock()
	case strings.HasPrefix(key, keyTaskStatus):
		name, n, ok := parseTaskKey(keyTask + strings.TrimPrefix(key, keyTaskStatus))
		if !ok {
			s.logger.Warn("ignoring a status record whose key is not status-task-<connector>-<n>", "topic", s.topic, "key", key)
			return
		}
		if r.Value == nil {
			s.mu.Lock()
			delete(s.tasks[name], n)
			if len(s.tasks[name]) == 0 {
				delete(s.tasks, name)
			}
			s.mu.Unlock()
			return
		}
		v, ok := s.decode(r)
		if !ok {
			return
		}
		s.mu.Lock()
		ts := s.tasks[name]
		if ts == nil {
			ts = map[int]runtime.TaskStatus{}
			s.tasks[name] = ts
		}
		ts[n] = runtime.TaskStatus{ID: herder.TaskID{Connector: name, Task: n}, State: herder.State(v.State), Trace: deref(v.Trace), WorkerID: v.WorkerID, Generation: v.Generation}
		s.mu.Unlock()
	case strings.HasPrefix(key, keyTopicStatus):
		topic, connector, ok := strings.Cut(strings.TrimPrefix(key, keyTopicStatus), topicSeparator)
		if !ok {
			s.logger.Warn("ignoring a status record whose key is not status-topic-<topic>:connector-<c>", "topic", s.topic, "key", key)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.Value == nil {
			delete(s.topics[connector], topic)
			if len(s.topics[connector]) == 0 {
				delete(s.topics, connector)
			}
			return
		}
		t := s.topics[connector]
		if t == nil {
			t = map[string]struct{}{}
			s.topics[connector] = t
		}
		t[topic] = struct{}{}
	default:
		s.logger.Warn("ignoring a status record with an unknown key", "topic", s.topic, "key", key)
	}
}

func (s *StatusStore) decode(r *kgo.Record) (statusValue, bool) {
	var v statusValue
	if err := json.Unmarshal(r.Value, &v); err != nil || v.State == "" {
		s.logger.Warn("ignoring a malformed status record", "topic", s.topic, "key", string(r.Key), "partition", r.Partition, "offset", r.Offset, "error", err)
		return v, false
	}
	return v, true
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
