package runtime

import (
	"slices"
	"sort"
	"sync"

	"github.com/connectd/connectd/connect/runtime/herder"
)

// ConnectorStatus is the last reported state of a connector.
type ConnectorStatus struct {
	Name       string
	State      herder.State
	Trace      string
	WorkerID   string
	Generation int
}

// TaskStatus is the last reported state of a task.
type TaskStatus struct {
	ID         herder.TaskID
	State      herder.State
	Trace      string
	WorkerID   string
	Generation int
}

// StatusStore keeps connector and task statuses and the topics each connector produced to.
// Standalone keeps them in memory (MemoryStatusStore); a distributed herder keeps them in the
// status topic. Every method is safe for concurrent use.
type StatusStore interface {
	PutConnector(ConnectorStatus)
	PutTask(TaskStatus)
	Connector(name string) (ConnectorStatus, bool)
	Task(id herder.TaskID) (TaskStatus, bool)
	// Tasks returns the statuses of a connector's tasks, sorted by task number.
	Tasks(connector string) []TaskStatus
	// DeleteConnector forgets a connector's status, its tasks' statuses and its topics.
	DeleteConnector(name string)
	DeleteTask(id herder.TaskID)
	// AddTopic records that a connector produced to topic.
	AddTopic(connector, topic string)
	// Topics lists the topics a connector produced to, sorted.
	Topics(connector string) []string
	// ResetTopics forgets a connector's topics.
	ResetTopics(connector string)
}

// MemoryStatusStore is a StatusStore in memory (standalone mode, tests).
type MemoryStatusStore struct {
	mu         sync.RWMutex
	connectors map[string]ConnectorStatus
	tasks      map[string]map[int]TaskStatus
	topics     map[string]map[string]struct{}
}

// NewMemoryStatusStore returns an empty store.
func NewMemoryStatusStore() *MemoryStatusStore {
	return &MemoryStatusStore{
		connectors: map[string]ConnectorStatus{},
		tasks:      map[string]map[int]TaskStatus{},
		topics:     map[string]map[string]struct{}{},
	}
}

// PutConnector records a connector status.
func (m *MemoryStatusStore) PutConnector(s ConnectorStatus) {
	m.mu.Lock()
	m.connectors[s.Name] = s
	m.mu.Unlock()
}

// PutTask records a task status.
func (m *MemoryStatusStore) PutTask(s TaskStatus) {
	m.mu.Lock()
	ts := m.tasks[s.ID.Connector]
	if ts == nil {
		ts = map[int]TaskStatus{}
		m.tasks[s.ID.Connector] = ts
	}
	ts[s.ID.Task] = s
	m.mu.Unlock()
}

// Connector returns a connector's status.
func (m *MemoryStatusStore) Connector(name string) (ConnectorStatus, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, ok := m.connectors[name]
	return s, ok
}

// Task returns a task's status.
func (m *MemoryStatusStore) Task(id herder.TaskID) (TaskStatus, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s, ok := m.tasks[id.Connector][id.Task]
	return s, ok
}

// Tasks returns a connector's task statuses by task number.
func (m *MemoryStatusStore) Tasks(connector string) []TaskStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]TaskStatus, 0, len(m.tasks[connector]))
	for _, s := range m.tasks[connector] {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.Task < out[j].ID.Task })
	return out
}

// DeleteConnector forgets everything about a connector.
func (m *MemoryStatusStore) DeleteConnector(name string) {
	m.mu.Lock()
	delete(m.connectors, name)
	delete(m.tasks, name)
	delete(m.topics, name)
	m.mu.Unlock()
}

// DeleteTask forgets a task's status.
func (m *MemoryStatusStore) DeleteTask(id herder.TaskID) {
	m.mu.Lock()
	delete(m.tasks[id.Connector], id.Task)
	m.mu.Unlock()
}

// AddTopic records a topic a connector produced to.
func (m *MemoryStatusStore) AddTopic(connector, topic string) {
	m.mu.Lock()
	t := m.topics[connector]
	if t == nil {
		t = map[string]struct{}{}
		m.topics[connector] = t
	}
	t[topic] = struct{}{}
	m.mu.Unlock()
}

// Topics lists a connector's topics.
func (m *MemoryStatusStore) Topics(connector string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.topics[connector]))
	for t := range m.topics[connector] {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// ResetTopics forgets a connector's topics.
func (m *MemoryStatusStore) ResetTopics(connector string) {
	m.mu.Lock()
	delete(m.topics, connector)
	m.mu.Unlock()
}
