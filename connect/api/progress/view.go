package progress

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// View is a consistent-enough copy of a task's progress for one scrape, status request or log
// line (each number is read atomically; together they may be a few events apart).
type View struct {
	Connector string
	Task      int
	// Plugin and Server are what Init set; empty when the connector reports nothing.
	Plugin, Server string
	Phase          Phase
	Snapshot       SnapshotView
	Streaming      StreamingView
	Queue          QueueView
	Lag            LagView
}

// SnapshotView is the snapshot's progress (Debezium's snapshot context).
type SnapshotView struct {
	// Started says a snapshot ran or runs in this task run.
	Started, Running, Completed, Aborted bool
	// DurationSeconds is from the start to the end, or to now while running.
	DurationSeconds float64
	TotalTables     int64
	RemainingTables int64
	// Rows is every row emitted so far; RowsEstimated the sum of the tables' estimates (-1 when
	// none is known).
	Rows, RowsEstimated int64
	Tables              []TableView
	// Current is the table being read (empty between tables and after the end).
	Current string
	// Rate is rows per second over the snapshot so far.
	Rate float64
	// Percent is Rows over RowsEstimated (capped below 100 until complete), -1 unknown.
	Percent float64
	// ETASeconds is the remaining estimated rows at Rate, -1 unknown.
	ETASeconds float64
}

// TableView is one table of the snapshot.
type TableView struct {
	Name            string
	Rows, Estimated int64
	Done            bool
}

// StreamingView is the streaming context's counters.
type StreamingView struct {
	Connected                             bool
	EventsSeen, Creates, Updates, Deletes int64
	Filtered, CommittedTransactions       int64
	LastEventMs                           int64 // unix ms of the last event processed (snapshot or stream), 0 none
	MilliSecondsSinceLastEvent            int64 // -1 when no event yet
	MilliSecondsBehindSource              int64 // of the last streamed event, -1 when none yet
	BinlogFile                            string
	BinlogPosition                        int64
}

// QueueView is the change event queue.
type QueueView struct {
	Known                            bool
	TotalCapacity, RemainingCapacity int64
	CurrentBytes, MaxBytes           int64
}

// LagView is the probed lag in bytes.
type LagView struct {
	Kind  LagKind // 0: no probe
	Bytes int64   // -1 when unknown (probe failed or not run yet)
	Error string  // why the last probe failed
}

// View returns the task's progress now. The lag in bytes is the last probe's: a view never waits
// for the database, it starts a probe in the background when the last one is old.
func (p *Task) View() View {
	if p == nil {
		return View{}
	}
	now := time.Now()
	v := View{Connector: p.connector, Task: p.task, Phase: Phase(p.phase.Load())}
	p.mu.Lock()
	v.Plugin, v.Server = p.plugin, p.server
	q := p.queue
	s := &v.Snapshot
	s.Tables = make([]TableView, len(p.tables))
	for i, t := range p.tables {
		s.Tables[i] = TableView{Name: t.name, Rows: t.rows.Load(), Estimated: t.estimated, Done: t.done.Load()}
	}
	p.mu.Unlock()

	start, end := p.snapStart.Load(), p.snapEnd.Load()
	s.Started = start != 0
	s.Running, s.Completed, s.Aborted = p.snapRunning.Load(), p.snapCompleted.Load(), p.snapAborted.Load()
	if s.Started {
		to := now.UnixNano()
		if end != 0 {
			to = end
		}
		s.DurationSeconds = float64(to-start) / 1e9
	}
	s.TotalTables = p.tablesTotal.Load()
	s.RemainingTables = max(s.TotalTables-p.tablesDone.Load(), 0)
	s.Rows = p.snapRows.Load()
	s.RowsEstimated = -1
	for _, t := range s.Tables {
		if t.Estimated >= 0 {
			// A table already read counts with its real size: the estimate only matters ahead.
			e := t.Estimated
			if t.Done || t.Rows > e {
				e = t.Rows
			}
			s.RowsEstimated = max(s.RowsEstimated, 0) + e
		} else if t.Done {
			s.RowsEstimated = max(s.RowsEstimated, 0) + t.Rows
		}
	}
	if c := p.cur.Load(); c != nil && s.Running && !c.done.Load() {
		s.Current = c.name
	}
	if s.DurationSeconds > 0 {
		s.Rate = float64(s.Rows) / s.DurationSeconds
	}
	s.Percent, s.ETASeconds = -1, -1
	switch {
	case s.Completed:
		s.Percent, s.ETASeconds = 100, 0
	case s.RowsEstimated > 0:
		s.Percent = min(float64(s.Rows)*100/float64(s.RowsEstimated), 99.9)
		if s.Rate > 0 {
			s.ETASeconds = float64(max(s.RowsEstimated-s.Rows, 0)) / s.Rate
		}
	case s.RowsEstimated == 0 && s.Running:
		s.Percent = 0
	}

	st := &v.Streaming
	st.Connected = p.connected.Load()
	st.EventsSeen, st.Creates, st.Updates, st.Deletes = p.streamEvents.Load(), p.creates.Load(), p.updates.Load(), p.deletes.Load()
	st.Filtered, st.CommittedTransactions = p.filtered.Load(), p.committedTx.Load()
	st.LastEventMs = p.lastEventMs.Load()
	st.MilliSecondsSinceLastEvent, st.MilliSecondsBehindSource = -1, -1
	if st.LastEventMs > 0 {
		st.MilliSecondsSinceLastEvent = max(now.UnixMilli()-st.LastEventMs, 0)
	}
	if p.lastSourceMs.Load() > 0 {
		st.MilliSecondsBehindSource = p.behindSourceMs.Load()
	}
	st.BinlogFile, st.BinlogPosition = p.BinlogPosition()

	if q != nil {
		v.Queue = QueueView{Known: true, TotalCapacity: int64(q.Cap()), MaxBytes: q.MaxBytes(), CurrentBytes: q.Bytes()}
		v.Queue.RemainingCapacity = max(v.Queue.TotalCapacity-int64(q.Len()), 0)
	}
	v.Lag = p.lag(now)
	return v
}

// lag returns the last probed lag and, when it is older than probeInterval (a second after a
// failure) and no probe runs, starts one in the background: a status request or a scrape never
// waits for the database.
func (p *Task) lag(now time.Time) LagView {
	p.mu.Lock()
	defer p.mu.Unlock()
	kind, probe := p.lagKind, p.lagProbe
	if probe == nil {
		return LagView{}
	}
	every := probeInterval
	if p.lagErr != nil {
		every = time.Second
	}
	if !p.probing && (p.lagAt.IsZero() || now.Sub(p.lagAt) >= every) {
		p.probing = true
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
			n, err := safeProbe(ctx, probe)
			cancel()
			p.mu.Lock()
			p.probing = false
			p.lagAt, p.lagValue, p.lagErr = time.Now(), n, err
			p.mu.Unlock()
		}()
	}
	return p.lagViewLocked(kind)
}

func (p *Task) lagViewLocked(kind LagKind) LagView {
	lv := LagView{Kind: kind, Bytes: -1}
	switch {
	case p.lagAt.IsZero():
	case p.lagErr != nil:
		lv.Error = p.lagErr.Error()
	default:
		lv.Bytes = p.lagValue
	}
	return lv
}

// safeProbe runs a connector's probe, turning a panic into an error: a broken probe must not
// take a status request (or the worker) down.
func safeProbe(ctx context.Context, probe LagProbe) (n int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = -1, fmt.Errorf("the lag probe panicked: %v", r)
		}
	}()
	n, err = probe(ctx)
	if err == nil && n < 0 {
		err = errors.New("the lag probe returned a negative lag")
	}
	return n, err
}
