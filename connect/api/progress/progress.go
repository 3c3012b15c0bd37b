// Package progress is what a source task reports about its own work — Debezium's snapshot and
// streaming metrics (SnapshotRunning, RowsScanned, MilliSecondsBehindSource, ...) plus the
// positions and lags that tell an operator how far it is — and what the runtime reads to serve
// GET /metrics, the progress in the REST status body and the periodic progress log lines.
//
// The runtime creates one *Task per task and hands it to the task through the context of Start
// (FromContext). Every method is safe on a nil *Task, which is how metrics are switched off: a
// connector calls the same methods and they do nothing. The per-event methods are a few atomic
// operations and allocate nothing; everything else (views, estimates, lag probes) runs when a
// scrape or status request asks.
package progress

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Phase is what the task is doing.
type Phase int32

// The phases of a task.
const (
	PhaseStarting Phase = iota
	PhaseSnapshot
	PhaseStreaming
)

// String returns the phase as the REST status writes it.
func (p Phase) String() string {
	switch p {
	case PhaseSnapshot:
		return "snapshot"
	case PhaseStreaming:
		return "streaming"
	}
	return "starting"
}

// QueueStats is the change event queue as the queue metrics see it (connectors/queue.Queue).
type QueueStats interface {
	Len() int
	Cap() int
	Bytes() int64
	MaxBytes() int64
}

// LagKind says what a lag probe measures.
type LagKind int

// The lag probes a connector may register.
const (
	// LagBinlogBytes is the bytes of binlog the server has written after the last event read.
	LagBinlogBytes LagKind = iota + 1
	// LagSlotBytes is the WAL the replication slot holds back: the server's WAL end minus the
	// position last confirmed.
	LagSlotBytes
)

// LagProbe measures a lag in bytes. It may query the database; it is called at most once per
// probe interval, never on the event path.
type LagProbe func(ctx context.Context) (int64, error)

// probeInterval is how long a probed lag is reused: scrapes and status requests must not each
// cost a database round trip. probeTimeout bounds one probe.
const (
	probeInterval = 5 * time.Second
	probeTimeout  = 10 * time.Second
)

// Table is one snapshot table's progress.
type Table struct {
	name      string
	topic     string // the topic its read events go to, learnt from the first one
	estimated int64  // the database's row estimate when the snapshot started, -1 unknown
	rows      atomic.Int64
	done      atomic.Bool
}

// Task is one source task's progress. The zero value is not usable; use New.
type Task struct {
	connector string
	task      int

	mu      sync.Mutex // guards what is not atomic below
	plugin  string
	server  string
	prefix  string // server + "."
	queue   QueueStats
	tables  []*Table
	byName  map[string]*Table
	byTopic map[string]*Table

	lagKind      LagKind
	lagProbe     LagProbe
	lagAt        time.Time
	lagValue     int64
	lagErr       error
	probing      bool
	binlogFileAt atomic.Pointer[string]

	phase atomic.Int32

	snapRunning, snapCompleted, snapAborted atomic.Bool
	snapStart, snapEnd                      atomic.Int64 // unix nanos
	snapRows                                atomic.Int64
	cur                                     atomic.Pointer[Table]
	tablesDone                              atomic.Int64
	tablesTotal                             atomic.Int64

	connected      atomic.Bool
	streamEvents   atomic.Int64
	creates        atomic.Int64
	updates        atomic.Int64
	deletes        atomic.Int64
	filtered       atomic.Int64
	committedTx    atomic.Int64
	lastEventMs    atomic.Int64 // processing time of the last event, unix ms
	lastSourceMs   atomic.Int64 // source time of the last streamed event, unix ms
	behindSourceMs atomic.Int64
	binlogPos      atomic.Int64
}

// New returns the progress of a connector's task.
func New(connector string, task int) *Task {
	return &Task{connector: connector, task: task, byName: map[string]*Table{}, byTopic: map[string]*Table{}}
}

type ctxKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Task) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the task progress ctx carries, nil (metrics off: every method is a no-op)
// when there is none.
func FromContext(ctx context.Context) *Task {
	p, _ := ctx.Value(ctxKey{}).(*Task)
	return p
}

// Connector returns the connector's name.
func (p *Task) Connector() string { return p.connector }

// TaskID returns the task's index.
func (p *Task) TaskID() int { return p.task }

// Init names the connector's Debezium plugin ("mysql", "mariadb", "postgres": the MBean domain's
// suffix) and server (its topic.prefix), which label every metric; q is its event queue.
func (p *Task) Init(plugin, server string, q QueueStats) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.plugin, p.server, p.prefix, p.queue = plugin, server, server+".", q
	p.mu.Unlock()
}

// Plugin returns the plugin and server Init set; empty before.
func (p *Task) Plugin() (plugin, server string) {
	if p == nil {
		return "", ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.plugin, p.server
}

// SetLagProbe registers how to measure the task's lag in bytes.
func (p *Task) SetLagProbe(kind LagKind, probe LagProbe) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.lagKind, p.lagProbe, p.lagAt, p.lagErr = kind, probe, time.Time{}, nil
	p.mu.Unlock()
}

// TableEstimate is a table about to be snapshotted with the database's estimate of its rows
// (-1 when unknown).
type TableEstimate struct {
	Name      string
	Estimated int64
}

// SnapshotStarted says a snapshot of tables starts (in this order); the first done of them were
// finished by an earlier run (a resumed snapshot).
func (p *Task) SnapshotStarted(tables []TableEstimate, done int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.tables = make([]*Table, len(tables))
	p.byName = make(map[string]*Table, len(tables))
	p.byTopic = map[string]*Table{}
	for i, te := range tables {
		t := &Table{name: te.Name, estimated: te.Estimated}
		if i < done {
			t.done.Store(true)
		}
		p.tables[i] = t
		p.byName[te.Name] = t
	}
	p.mu.Unlock()
	p.cur.Store(nil)
	p.tablesTotal.Store(int64(len(tables)))
	p.tablesDone.Store(int64(min(done, len(tables))))
	p.snapRows.Store(0)
	p.snapEnd.Store(0)
	p.snapStart.Store(time.Now().UnixNano())
	p.snapCompleted.Store(false)
	p.snapAborted.Store(false)
	p.snapRunning.Store(true)
	p.phase.Store(int32(PhaseSnapshot))
}

// SnapshotCompleted says the snapshot read every table.
func (p *Task) SnapshotCompleted() {
	if p == nil || !p.snapRunning.Load() {
		return
	}
	p.mu.Lock()
	for _, t := range p.tables {
		t.done.Store(true)
	}
	p.mu.Unlock()
	p.tablesDone.Store(p.tablesTotal.Load())
	p.snapEnd.Store(time.Now().UnixNano())
	p.snapRunning.Store(false)
	p.snapCompleted.Store(true)
}

// SnapshotAborted says the snapshot ended before it read every table (an error or a stop).
func (p *Task) SnapshotAborted() {
	if p == nil || !p.snapRunning.Load() {
		return
	}
	p.snapEnd.Store(time.Now().UnixNano())
	p.snapRunning.Store(false)
	p.snapAborted.Store(true)
}

// SnapshotRow counts one snapshot row emitted to topic (the table's change event topic: the
// table is the topic without the server prefix, as Debezium's table ids), processed at
// processedMs (unix milliseconds; 0 unknown). lastOfTable says it is the table's last row (its
// source.snapshot marker says so): the table is done. Rows of tables read in parallel may
// interleave; a table is done only when its last row says so (or the snapshot completes).
func (p *Task) SnapshotRow(topic string, processedMs int64, lastOfTable bool) {
	if p == nil {
		return
	}
	p.snapRows.Add(1)
	if processedMs > 0 {
		p.lastEventMs.Store(processedMs)
	}
	t := p.cur.Load()
	if t == nil || t.topic != topic {
		t = p.table(topic)
	}
	t.rows.Add(1)
	if lastOfTable && !t.done.Swap(true) {
		p.tablesDone.Add(1)
	}
}

// table finds (or adds) the table of topic and makes it the current one.
func (p *Task) table(topic string) *Table {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.byTopic[topic]
	if t == nil {
		name := strings.TrimPrefix(topic, p.prefix)
		if t = p.byName[name]; t == nil {
			t = &Table{name: name, estimated: -1}
			p.byName[name] = t
			p.tables = append(p.tables, t)
		}
		t.topic = topic
		p.byTopic[topic] = t
	}
	p.cur.Store(t)
	return t
}

// StreamingStarted says the task streams from the database's log now.
func (p *Task) StreamingStarted() {
	if p == nil {
		return
	}
	p.SnapshotCompleted()
	p.phase.Store(int32(PhaseStreaming))
}

// SetConnected says whether the streaming connection is up.
func (p *Task) SetConnected(up bool) {
	if p == nil {
		return
	}
	p.connected.Store(up)
}

// StreamEvent counts one streamed change event of operation op ('c', 'u', 'd', ...), changed at
// the source at sourceMs and processed at processedMs (unix milliseconds; 0 unknown).
func (p *Task) StreamEvent(op byte, sourceMs, processedMs int64) {
	if p == nil {
		return
	}
	p.streamEvents.Add(1)
	switch op {
	case 'c':
		p.creates.Add(1)
	case 'u':
		p.updates.Add(1)
	case 'd':
		p.deletes.Add(1)
	}
	if processedMs > 0 {
		p.lastEventMs.Store(processedMs)
		if sourceMs > 0 {
			p.lastSourceMs.Store(sourceMs)
			p.behindSourceMs.Store(max(processedMs-sourceMs, 0))
		}
	}
}

// EventFiltered counts an event of a table the connector's filters leave out.
func (p *Task) EventFiltered() {
	if p == nil {
		return
	}
	p.filtered.Add(1)
}

// TransactionCommitted counts a committed source transaction that was streamed.
func (p *Task) TransactionCommitted() {
	if p == nil {
		return
	}
	p.committedTx.Add(1)
}

// SetBinlogPosition records the binlog file and position of the last event read (MySQL,
// MariaDB). The file name is kept only when it changes, so the event path does not allocate.
func (p *Task) SetBinlogPosition(file string, pos int64) {
	if p == nil {
		return
	}
	p.binlogPos.Store(pos)
	if cur := p.binlogFileAt.Load(); cur == nil || *cur != file {
		f := strings.Clone(file)
		p.binlogFileAt.Store(&f)
	}
}

// BinlogPosition returns what SetBinlogPosition recorded last ("" when nothing yet).
func (p *Task) BinlogPosition() (string, int64) {
	if p == nil {
		return "", 0
	}
	f := p.binlogFileAt.Load()
	if f == nil {
		return "", 0
	}
	return *f, p.binlogPos.Load()
}
