package distributed

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// ProtocolType is the group protocol type Kafka Connect workers register with.
const ProtocolType = "connect"

// ProtocolEager is the name of Kafka Connect's eager protocol (ConnectProtocol V0), which revokes
// every assignment on a rebalance. It is what connectd speaks today.
const ProtocolEager = "default"

// connectorTask marks a connector (rather than one of its tasks) in an assignment, as Kafka
// Connect's ConnectProtocol.CONNECTOR_TASK does.
const connectorTask = -1

// WorkerState is what a worker tells the group when it joins: where its REST API is and how far it
// has read the config topic, so the leader only assigns from a config every member has seen.
type WorkerState struct {
	URL          string
	ConfigOffset int64
}

// Assignment is what the leader hands each worker.
type Assignment struct {
	Error        int16 // 0, or 1 when the leader's config was behind (CONFIG_MISMATCH)
	Leader       string
	LeaderURL    string
	ConfigOffset int64
	Connectors   []string
	Tasks        []TaskID
}

// TaskID names one task of a connector.
type TaskID struct {
	Connector string
	Task      int32
}

func (t TaskID) String() string { return fmt.Sprintf("%s-%d", t.Connector, t.Task) }

// EncodeWorkerState writes Kafka Connect's ConnectProtocol V0 member metadata.
func EncodeWorkerState(s WorkerState) []byte {
	b := binary.BigEndian.AppendUint16(nil, 0)
	b = appendString(b, s.URL)
	return binary.BigEndian.AppendUint64(b, uint64(s.ConfigOffset))
}

// DecodeWorkerState reads ConnectProtocol V0 (and the V0 prefix of later versions) member metadata.
func DecodeWorkerState(b []byte) (WorkerState, error) {
	r := reader{b: b}
	if v := r.int16(); v < 0 {
		return WorkerState{}, fmt.Errorf("connect protocol metadata has version %d", v)
	}
	s := WorkerState{URL: r.string(), ConfigOffset: r.int64()}
	return s, r.err
}

// EncodeAssignment writes a ConnectProtocol V0 assignment; connectors and tasks are grouped by
// connector name with the connector itself as task -1, as Kafka Connect does.
func EncodeAssignment(a Assignment) []byte {
	byConn := map[string][]int32{}
	var names []string
	add := func(c string, t int32) {
		if _, ok := byConn[c]; !ok {
			names = append(names, c)
		}
		byConn[c] = append(byConn[c], t)
	}
	for _, c := range a.Connectors {
		add(c, connectorTask)
	}
	for _, t := range a.Tasks {
		add(t.Connector, t.Task)
	}
	sort.Strings(names)
	b := binary.BigEndian.AppendUint16(nil, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(a.Error))
	b = appendString(b, a.Leader)
	b = appendString(b, a.LeaderURL)
	b = binary.BigEndian.AppendUint64(b, uint64(a.ConfigOffset))
	b = binary.BigEndian.AppendUint32(b, uint32(len(names)))
	for _, n := range names {
		b = appendString(b, n)
		tasks := byConn[n]
		b = binary.BigEndian.AppendUint32(b, uint32(len(tasks)))
		for _, t := range tasks {
			b = binary.BigEndian.AppendUint32(b, uint32(t))
		}
	}
	return b
}

// DecodeAssignment reads a ConnectProtocol V0 assignment.
func DecodeAssignment(b []byte) (Assignment, error) {
	if len(b) == 0 {
		// The coordinator sends an empty assignment to a member the leader did not list.
		return Assignment{}, errEmptyAssignment
	}
	r := reader{b: b}
	if v := r.int16(); v < 0 {
		return Assignment{}, fmt.Errorf("connect protocol assignment has version %d", v)
	}
	a := Assignment{Error: r.int16(), Leader: r.string(), LeaderURL: r.string(), ConfigOffset: r.int64()}
	n := r.int32()
	for i := int32(0); i < n && r.err == nil; i++ {
		c := r.string()
		m := r.int32()
		for j := int32(0); j < m && r.err == nil; j++ {
			t := r.int32()
			if t == connectorTask {
				a.Connectors = append(a.Connectors, c)
			} else {
				a.Tasks = append(a.Tasks, TaskID{Connector: c, Task: t})
			}
		}
	}
	return a, r.err
}

var errEmptyAssignment = errors.New("empty assignment")

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// reader decodes Kafka protocol primitives, remembering the first error so callers check once.
type reader struct {
	b   []byte
	err error
}

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if len(r.b) < n {
		r.err = errors.New("connect protocol message is truncated")
		return false
	}
	return true
}

func (r *reader) int16() int16 {
	if !r.need(2) {
		return 0
	}
	v := int16(binary.BigEndian.Uint16(r.b))
	r.b = r.b[2:]
	return v
}

func (r *reader) int32() int32 {
	if !r.need(4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b))
	r.b = r.b[4:]
	return v
}

func (r *reader) int64() int64 {
	if !r.need(8) {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *reader) string() string {
	n := int(r.int16())
	if n < 0 || !r.need(n) {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
