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
// every assignment on a rebalance (connect.protocol=eager).
const ProtocolEager = "default"

// ProtocolCompatible is Kafka Connect's incremental cooperative protocol V1 (KIP-415,
// connect.protocol=compatible): members keep their work across rebalances.
const ProtocolCompatible = "compatible"

// ProtocolSessioned is V2 (KIP-507, connect.protocol=sessioned, Kafka's default): V1 plus a
// session key in the config topic that signs the workers' internal requests.
const ProtocolSessioned = "sessioned"

// Protocols returns the group protocols a worker with connect.protocol=mode offers, most
// preferred first, as Kafka Connect's ConnectProtocolCompatibility does: each mode also offers
// the older ones, so a group of mixed settings settles on what all support.
func Protocols(mode string) ([]string, error) {
	switch mode {
	case "eager":
		return []string{ProtocolEager}, nil
	case "compatible":
		return []string{ProtocolCompatible, ProtocolEager}, nil
	case "sessioned", "":
		return []string{ProtocolSessioned, ProtocolCompatible, ProtocolEager}, nil
	}
	return nil, fmt.Errorf("connect.protocol=%s: use eager, compatible or sessioned", mode)
}

// protocolVersion is the ConnectProtocol version of a protocol name.
func protocolVersion(name string) int16 {
	switch name {
	case ProtocolCompatible:
		return 1
	case ProtocolSessioned:
		return 2
	}
	return 0
}

// connectorTask marks a connector (rather than one of its tasks) in an assignment, as Kafka
// Connect's ConnectProtocol.CONNECTOR_TASK does.
const connectorTask = -1

// WorkerState is what a worker tells the group when it joins: where its REST API is and how far it
// has read the config topic, so the leader only assigns from a config every member has seen.
// Under the cooperative protocols (V1, V2) it also carries what the worker runs.
type WorkerState struct {
	URL          string
	ConfigOffset int64
	// Current is the worker's whole current assignment (V1 and V2 only); nil when it has none.
	Current *Assignment
}

// Assignment is what the leader hands each worker. Under the eager protocol (V0) Connectors and
// Tasks are everything the worker runs; under the cooperative ones (V1, V2) they are what it
// starts in addition to what it keeps, and Revoked* what it stops.
type Assignment struct {
	// Version is the protocol version the assignment was encoded with (0, 1 or 2).
	Version      int16
	Error        int16 // 0, or 1 when the leader's config was behind (CONFIG_MISMATCH)
	Leader       string
	LeaderURL    string
	ConfigOffset int64
	Connectors   []string
	Tasks        []TaskID
	// RevokedConnectors and RevokedTasks are what the worker must stop (V1 and V2).
	RevokedConnectors []string
	RevokedTasks      []TaskID
	// Delay is how long, in ms, the leader holds back a departed worker's share before it
	// reassigns it (scheduled.rebalance.max.delay.ms); the members rejoin when it has passed.
	Delay int32
}

// TaskID names one task of a connector.
type TaskID struct {
	Connector string
	Task      int32
}

func (t TaskID) String() string { return fmt.Sprintf("%s-%d", t.Connector, t.Task) }

// EncodeWorkerState writes Kafka Connect's ConnectProtocol V0 member metadata.
func EncodeWorkerState(s WorkerState) []byte { return EncodeWorkerStateVersion(s, 0) }

// EncodeWorkerStateVersion writes member metadata of a protocol version: V0 is the URL and config
// offset; V1 (compatible) and V2 (sessioned) add the worker's current assignment as nullable
// bytes, itself encoded with its version header (IncrementalCooperativeConnectProtocol).
func EncodeWorkerStateVersion(s WorkerState, version int16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(version))
	b = appendString(b, s.URL)
	b = binary.BigEndian.AppendUint64(b, uint64(s.ConfigOffset))
	if version == 0 {
		return b
	}
	if s.Current == nil || s.Current.empty() {
		return binary.BigEndian.AppendUint32(b, 0xffffffff) // null: Kafka sends no empty assignment
	}
	a := EncodeAssignmentVersion(*s.Current, version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(a)))
	return append(b, a...)
}

// DecodeWorkerState reads member metadata of any version: V0, or V1/V2 with the current
// assignment.
func DecodeWorkerState(b []byte) (WorkerState, error) {
	r := reader{b: b}
	v := r.int16()
	if v < 0 {
		return WorkerState{}, fmt.Errorf("connect protocol metadata has version %d", v)
	}
	s := WorkerState{URL: r.string(), ConfigOffset: r.int64()}
	if r.err != nil || v == 0 || len(r.b) == 0 {
		return s, r.err
	}
	n := r.int32()
	if n < 0 || r.err != nil {
		return s, r.err
	}
	if !r.need(int(n)) {
		return s, r.err
	}
	raw := r.b[:n]
	r.b = r.b[n:]
	a, err := DecodeAssignment(raw)
	if err != nil {
		return s, fmt.Errorf("the current assignment in the member metadata: %w", err)
	}
	s.Current = &a
	return s, nil
}

func (a Assignment) empty() bool {
	return len(a.Connectors) == 0 && len(a.Tasks) == 0 && len(a.RevokedConnectors) == 0 && len(a.RevokedTasks) == 0
}

// EncodeAssignment writes a ConnectProtocol V0 assignment; connectors and tasks are grouped by
// connector name with the connector itself as task -1, as Kafka Connect does.
func EncodeAssignment(a Assignment) []byte { return EncodeAssignmentVersion(a, 0) }

// EncodeAssignmentVersion writes an assignment of a protocol version: V0 as EncodeAssignment; V1
// and V2 add the revoked connectors and tasks (same layout) and the scheduled delay.
func EncodeAssignmentVersion(a Assignment, version int16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(version))
	b = binary.BigEndian.AppendUint16(b, uint16(a.Error))
	b = appendString(b, a.Leader)
	b = appendString(b, a.LeaderURL)
	b = binary.BigEndian.AppendUint64(b, uint64(a.ConfigOffset))
	b = appendConnectorTasks(b, a.Connectors, a.Tasks)
	if version == 0 {
		return b
	}
	b = appendConnectorTasks(b, a.RevokedConnectors, a.RevokedTasks)
	return binary.BigEndian.AppendUint32(b, uint32(a.Delay))
}

func appendConnectorTasks(b []byte, conns []string, tasks []TaskID) []byte {
	byConn := map[string][]int32{}
	var names []string
	add := func(c string, t int32) {
		if _, ok := byConn[c]; !ok {
			names = append(names, c)
		}
		byConn[c] = append(byConn[c], t)
	}
	for _, c := range conns {
		add(c, connectorTask)
	}
	for _, t := range tasks {
		add(t.Connector, t.Task)
	}
	sort.Strings(names)
	b = binary.BigEndian.AppendUint32(b, uint32(len(names)))
	for _, n := range names {
		b = appendString(b, n)
		ts := byConn[n]
		b = binary.BigEndian.AppendUint32(b, uint32(len(ts)))
		for _, t := range ts {
			b = binary.BigEndian.AppendUint32(b, uint32(t))
		}
	}
	return b
}

// DecodeAssignment reads an assignment of any version (V0, or V1/V2 with revocations and the
// delay; fields missing at the end take their defaults, as Kafka tolerates).
func DecodeAssignment(b []byte) (Assignment, error) {
	if len(b) == 0 {
		// The coordinator sends an empty assignment to a member the leader did not list.
		return Assignment{}, errEmptyAssignment
	}
	r := reader{b: b}
	v := r.int16()
	if v < 0 {
		return Assignment{}, fmt.Errorf("connect protocol assignment has version %d", v)
	}
	a := Assignment{Version: v, Error: r.int16(), Leader: r.string(), LeaderURL: r.string(), ConfigOffset: r.int64()}
	a.Connectors, a.Tasks = r.connectorTasks()
	if v == 0 || r.err != nil || len(r.b) == 0 {
		return a, r.err
	}
	a.RevokedConnectors, a.RevokedTasks = r.connectorTasks()
	if r.err == nil && len(r.b) >= 4 {
		a.Delay = r.int32()
	}
	return a, r.err
}

func (r *reader) connectorTasks() (conns []string, tasks []TaskID) {
	n := r.int32() // -1: a null array
	for i := int32(0); i < n && r.err == nil; i++ {
		c := r.string()
		m := r.int32()
		for j := int32(0); j < m && r.err == nil; j++ {
			t := r.int32()
			if t == connectorTask {
				conns = append(conns, c)
			} else {
				tasks = append(tasks, TaskID{Connector: c, Task: t})
			}
		}
	}
	return conns, tasks
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
