package distributed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/offsets"
)

// Herder runs a worker of a distributed cluster, as Kafka Connect's DistributedHerder: it keeps the
// worker in the Kafka group named by group.id, runs the connectors and tasks the leader assigns to
// it, reads the config topic for changes and answers the REST API. Configuration changes are
// written by the leader only (a follower answers herder.NotLeaderError and the REST layer forwards
// the request); target states may be written by any worker, as in Kafka Connect.
//
// One goroutine, the herder loop, applies assignments, reacts to config changes and performs
// writes, so those never race each other; REST reads are answered from snapshots. What it shares
// with the standalone herder (the REST reads, configuration, restart and offset changes with
// Kafka Connect's checks) is the embedded runtime.HerderCore, whose backend is clusterBackend.
//
// The herder is split by concern: this file holds the loop, herder_group.go the group membership
// and config topic events, herder_rest.go the backend and target states, herder_forward.go what
// goes to another worker (the leader, or the worker running an instance).
type Herder struct {
	*runtime.HerderCore
	cfg      *workerconfig.Worker
	worker   *runtime.Worker
	configs  *ConfigStore
	status   *StatusStore
	member   *Member
	workerID string
	url      string
	log      *slog.Logger
	client   *http.Client

	requests chan func()
	loopDone chan struct{}

	reconfMu      sync.Mutex
	reconfPending map[string]bool
	reconfBackoff map[string]time.Duration // next retry delay per connector after a failure
	reconfSignal  chan struct{}

	// coop is the leader's incremental cooperative assignor; it keeps its history while this
	// worker leads.
	coop *CooperativeAssignor
	// rejoinTimer makes the member rejoin when a scheduled rebalance delay has passed.
	rejoinTimer *time.Timer
	// keyTimer makes the leader of a sessioned group write a new session key when it expires.
	keyTimer *time.Timer

	mu         sync.Mutex
	generation int32
	memberID   string
	// assignment is everything this worker was assigned and runs: the eager assignment, or
	// the cooperative ones accumulated (what was added, less what was revoked).
	assignment Assignment
	assigned   bool // holds an assignment (false while rebalancing)
	// stable is closed while the worker holds an assignment; changes wait on it during a
	// rebalance instead of failing at once.
	stable    chan struct{}
	leader    bool
	leaderURL string
	// The leader's view of the last rebalance: member URLs and what each member got.
	memberURLs  map[string]string
	assignments map[string]Assignment
	lastWork    map[string]int
	// assignedOffset is the config offset the leader's last assignment was computed at: a change
	// read from a record before it is already part of that assignment.
	assignedOffset int64

	stopping atomic.Bool
}

// HerderOptions configures a Herder.
type HerderOptions struct {
	Config   *workerconfig.Worker
	Plugins  *plugins.Registry
	Configs  *ConfigStore
	Status   *StatusStore
	Offsets  offsets.Store
	Producer runtime.Producer
	// Admin creates topics for connectors with topic.creation.* settings; nil disables that.
	Admin *kadm.Client
	// Group is the kgo client the membership requests go through.
	Group    *kgo.Client
	WorkerID string
	// URL is this worker's advertised REST URL, which other workers forward requests to.
	URL    string
	Info   herder.ServerInfo
	Logger *slog.Logger
	// WorkerLogger receives the worker's (connector and task) logs.
	WorkerLogger *slog.Logger
	// Client calls other workers' REST APIs (internal requests); nil means plain HTTP with a
	// 30 s timeout.
	Client *http.Client
}

// NewHerder builds the herder and its worker.
func NewHerder(o HerderOptions) (*Herder, error) {
	h := &Herder{cfg: o.Config, configs: o.Configs, status: o.Status,
		workerID: o.WorkerID, url: o.URL, log: o.Logger, client: &http.Client{Timeout: 30 * time.Second},
		requests: make(chan func()), loopDone: make(chan struct{}), reconfPending: map[string]bool{},
		reconfBackoff: map[string]time.Duration{},
		reconfSignal:  make(chan struct{}, 1), stable: make(chan struct{})}
	if h.log == nil {
		h.log = slog.Default()
	}
	if o.Client != nil {
		h.client = o.Client
	}
	wl := o.WorkerLogger
	if wl == nil {
		wl = h.log
	}
	w, err := runtime.NewWorker(runtime.WorkerOptions{Config: o.Config, Plugins: o.Plugins, Offsets: o.Offsets,
		Producer: o.Producer, Admin: o.Admin, Listener: h, Logger: wl})
	if err != nil {
		return nil, err
	}
	h.worker = w
	h.HerderCore = runtime.NewHerderCore(clusterBackend{h}, runtime.HerderOptions{Worker: w, Plugins: o.Plugins,
		Status: o.Status, WorkerID: o.WorkerID, Info: o.Info, Logger: h.log})
	protocols, err := Protocols(strings.ToLower(strings.TrimSpace(o.Config.Props["connect.protocol"])))
	if err != nil {
		return nil, err
	}
	maxDelay := int64(300000)
	if v := strings.TrimSpace(o.Config.Props["scheduled.rebalance.max.delay.ms"]); v != "" {
		if maxDelay, err = strconv.ParseInt(v, 10, 64); err != nil || maxDelay < 0 {
			return nil, fmt.Errorf("scheduled.rebalance.max.delay.ms=%s: expected a number of milliseconds, 0 or more", v)
		}
	}
	h.coop = NewCooperativeAssignor(time.Duration(maxDelay) * time.Millisecond)
	h.member = NewMember(o.Group, MemberConfig{
		Group:            o.Config.GroupID,
		SessionTimeout:   millis(o.Config.SessionTimeoutMs, 10000),
		RebalanceTimeout: millis(o.Config.RebalanceMs, 60000),
		Heartbeat:        millis(o.Config.HeartbeatMs, 3000),
		Protocols:        protocols,
		State:            h.state,
		Assign:           h.assign,
		Assigned:         func(gen int32, id string, a Assignment) { h.call(func() { h.onAssigned(gen, id, a) }) },
		Revoked:          func() { h.call(h.onRevoked) },
		Logger:           h.log,
	})
	return h, nil
}

func millis(ms, def int64) time.Duration {
	if ms <= 0 {
		ms = def
	}
	return time.Duration(ms) * time.Millisecond
}

// Worker returns the worker running this herder's connectors and tasks.
func (h *Herder) Worker() *runtime.Worker { return h.worker }

// Run keeps the worker in the group until ctx is done, then stops every connector and task
// (committing offsets), leaves the group so the others take the work over at once, and returns.
func (h *Herder) Run(ctx context.Context) error {
	loopCtx, stopLoop := context.WithCancel(context.Background())
	go h.loop(loopCtx)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		h.readConfigs(loopCtx)
	}()
	go func() {
		<-ctx.Done()
		h.stopping.Store(true)
	}()
	err := h.member.Run(ctx)
	stopLoop()
	<-h.loopDone
	<-readerDone
	h.worker.Stop() // in case the member never joined or a callback was cut short
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// call runs fn on the herder loop and waits for it.
func (h *Herder) call(fn func()) {
	done := make(chan struct{})
	select {
	case h.requests <- func() { defer close(done); fn() }:
		<-done
	case <-h.loopDone:
	}
}

// stableWait bounds how long a change waits for a rebalance to finish before it is refused with
// 409: long enough for a rebalance triggered by the previous request (stop, then PATCH offsets).
const stableWait = 30 * time.Second

// awaitStable waits until the worker holds an assignment, so a change sent during a rebalance
// (which every connector creation or stop causes) is served once the group settles rather than
// refused; past stableWait the caller's checks answer 409.
func (h *Herder) awaitStable(ctx context.Context) {
	h.mu.Lock()
	ch := h.stable
	h.mu.Unlock()
	t := time.NewTimer(stableWait)
	defer t.Stop()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-t.C:
	case <-h.loopDone:
	}
}

// do runs fn on the herder loop once the group is stable, waiting up to ctx for its result.
func (h *Herder) do(ctx context.Context, fn func() error) error {
	h.awaitStable(ctx)
	if h.stopping.Load() {
		return herder.Errorf(http.StatusServiceUnavailable, "The worker is shutting down and no longer accepts changes; send the request to another worker")
	}
	done := make(chan error, 1)
	select {
	case h.requests <- func() { done <- fn() }:
	case <-ctx.Done():
		return ctx.Err()
	case <-h.loopDone:
		return herder.Errorf(http.StatusServiceUnavailable, "The worker is shutting down and no longer accepts changes; send the request to another worker")
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Herder) loop(ctx context.Context) {
	defer close(h.loopDone)
	for {
		select {
		case <-ctx.Done():
			return
		case fn := <-h.requests:
			fn()
		case <-h.configs.Notify():
			h.onConfigEvents()
		case <-h.reconfSignal:
			h.onReconfigure()
		}
	}
}

// readConfigs follows the config topic, so changes written by other workers (a target state, a
// new task configuration) reach this worker within a fraction of a second.
func (h *Herder) readConfigs(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := h.configs.ReadToEnd(rctx); err != nil && ctx.Err() == nil {
			h.log.Warn("could not read the config topic; retrying", "error", err)
		}
		cancel()
	}
}

// fresh reads the config topic to its end and returns the view, so a read after a write (on any
// worker) sees it.
func (h *Herder) fresh(ctx context.Context) (ClusterConfig, error) {
	if err := h.configs.ReadToEnd(ctx); err != nil {
		return ClusterConfig{}, err
	}
	return h.configs.Snapshot(), nil
}

// stored is a connector of a config topic view as the herder core sees it.
func stored(snap ClusterConfig, name string) (runtime.StoredConnector, bool) {
	cfg, ok := snap.Connectors[name]
	return runtime.StoredConnector{Config: cfg, Target: snap.Target(name), Tasks: snap.Tasks[name]}, ok
}
