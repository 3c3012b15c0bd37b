package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The exactly-once benchmark (RunEOS, `tests/bench/eos`): the same snapshot and catch-up
// workload through a distributed connectd worker with exactly.once.source.support=enabled and
// the connector's exactly.once.support=required, and through the same worker without, so the
// report shows what exactly-once source support (KIP-618) costs in events/s and CPU.

// EOSConfig is one run of the exactly-once benchmark.
type EOSConfig struct {
	// DBs are the databases to run, "mariadb" and/or "postgres".
	DBs []string
	// Namespace names the run's database objects, topics, groups and connectors.
	Namespace string
	// Rows is the snapshot's row count; Events the catch-up backlog's change events.
	Rows, Events int
	// Boundary is the connector's transaction.boundary under exactly-once (poll, interval).
	Boundary string
	// Repeat runs each mode this many times, alternating, and reports the median.
	Repeat int
	// Connectd is the connectd binary.
	Connectd string
	// Kafka is the bootstrap address; MariaDB and Postgres the databases.
	Kafka             string
	MariaDB, Postgres DBConfig
	// WorkDir holds connectd's logs; Stall fails a phase whose records stop for this long.
	WorkDir string
	Stall   time.Duration
	// Log receives progress lines.
	Log io.Writer
}

// DefaultEOSConfig is a small-scale run: 50,000 rows and 50,000 events on each database.
func DefaultEOSConfig() EOSConfig {
	return EOSConfig{DBs: []string{"mariadb", "postgres"}, Namespace: "bencheos", Rows: 50_000, Events: 50_000,
		Boundary: "poll", Repeat: 1, Stall: 3 * time.Minute, Log: io.Discard}
}

// EOSResult is one run of one mode on one database.
type EOSResult struct {
	DB string
	// EOS says exactly-once source support was on (worker enabled, connector required).
	EOS                     bool
	SnapshotRows            int
	SnapshotDur             time.Duration // POST /connectors to the append time of the last snapshot record
	SnapshotCPU             float64
	CatchUpEvents           int
	CatchUpDur              time.Duration // PUT /resume to the append time of the last event
	CatchUpCPU              float64
	PeakRSSKiB              int64
	Err                     string
	Notes                   []string
	SnapshotRate, CatchRate float64
}

func (r *EOSResult) rates() {
	r.SnapshotRate, r.CatchRate = rate(r.SnapshotRows, r.SnapshotDur), rate(r.CatchUpEvents, r.CatchUpDur)
}

// RunEOS runs both modes on each database, Repeat times each, alternating.
func RunEOS(ctx context.Context, cfg EOSConfig) ([]EOSResult, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Connectd == "" {
		return nil, errors.New("no connectd binary given; build one with go build -o /tmp/connectd ./cmd/connectd")
	}
	k, err := openKafka(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	defer k.close()
	var out []EOSResult
	err = eachSource(ctx, Config{Namespace: cfg.Namespace, MariaDB: cfg.MariaDB, Postgres: cfg.Postgres}, cfg.DBs, cfg.Log, func(db string, src Source) error {
		for i := 0; i < max(1, cfg.Repeat); i++ {
			for _, eos := range []bool{false, true} {
				r := runEOSOnce(ctx, cfg, k, src, eos, i)
				r.rates()
				if r.Err != "" {
					fmt.Fprintf(cfg.Log, "bench: %s eos=%v: %s\n", db, eos, r.Err)
				}
				out = append(out, r)
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
		return nil
	})
	return out, err
}

// CleanupEOS removes what RunEOS left in cfg.Namespace: topics (the workers' internal ones too),
// schema, publication, slots.
func CleanupEOS(ctx context.Context, cfg EOSConfig) error {
	return Cleanup(ctx, Config{Namespace: cfg.Namespace, DBs: cfg.DBs, Kafka: cfg.Kafka, MariaDB: cfg.MariaDB, Postgres: cfg.Postgres})
}

func runEOSOnce(ctx context.Context, cfg EOSConfig, k *kafka, src Source, eos bool, run int) (r EOSResult) {
	db := src.Name()
	r.DB, r.EOS = db, eos
	mode := "alo"
	if eos {
		mode = "eos"
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(cfg.Log, "bench: %s/%s: "+format+"\n", append([]any{db, mode}, args...)...)
	}
	fail := func(err error) EOSResult {
		r.Err = err.Error()
		return r
	}
	prefix := cfg.Namespace + "_" + db + "_" + mode
	topic := Topic(prefix, src.Schema())
	logf("resetting topics %s*, the bench table; preloading %d rows", prefix, cfg.Rows)
	if err := k.deleteTopics(ctx, nil, []string{prefix}); err != nil {
		return fail(err)
	}
	if err := src.Reset(ctx); err != nil {
		return fail(err)
	}
	if err := src.Preload(ctx, benchTable, cfg.Rows); err != nil {
		return fail(err)
	}
	if err := k.createTopic(ctx, topic); err != nil {
		return fail(err)
	}
	dir := filepath.Join(cfg.WorkDir, fmt.Sprintf("%s-%s-%d", db, mode, run))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	props := map[string]string{
		"group.id":                          prefix + "-group-" + stamp,
		"config.storage.topic":              prefix + "-configs",
		"offset.storage.topic":              prefix + "-offsets",
		"status.storage.topic":              prefix + "-status",
		"config.storage.replication.factor": "1",
		"offset.storage.replication.factor": "1",
		"status.storage.replication.factor": "1",
		"offset.storage.partitions":         "1",
		"status.storage.partitions":         "1",
		"offset.flush.interval.ms":          "1000",
	}
	if eos {
		props["exactly.once.source.support"] = "enabled"
	}
	sys, err := startConnectdDistributed(ctx, cfg.Connectd, dir, cfg.Kafka, props)
	if err != nil {
		return fail(err)
	}
	name := cfg.Namespace + "-" + db + "-" + mode + "-" + stamp
	stopped := false
	defer func() {
		if !stopped {
			_ = sys.rest.deleteConnector(context.Background(), name)
			_ = sys.stop()
		}
		_ = src.DropSlots(context.Background())
	}()
	conn := src.ConnectorConfig(prefix, serverIDFor(cfg.Namespace, 11))
	conn["name"] = name
	if _, ok := conn["schema.history.internal.kafka.topic"]; ok {
		conn["schema.history.internal.kafka.bootstrap.servers"] = cfg.Kafka
	}
	for _, c := range []string{"key", "value"} {
		conn[c+".converter"] = "org.apache.kafka.connect.json.JsonConverter"
		conn[c+".converter.schemas.enable"] = "false"
	}
	if eos {
		conn["exactly.once.support"] = "required"
		conn["transaction.boundary"] = cfg.Boundary
	}
	counter, err := newCommittedCounter(cfg.Kafka, topic)
	if err != nil {
		return fail(err)
	}
	defer counter.close()
	check := func(ctx context.Context) error { return sys.rest.failed(ctx, name) }
	s := startSampler(sys.pid, 200*time.Millisecond)
	u0 := s.now()

	logf("snapshot of %d rows", cfg.Rows)
	t0 := time.Now()
	if err := createConnectorRetrying(ctx, sys.rest, name, conn); err != nil {
		s.finish()
		return fail(err)
	}
	last, err := counter.waitFor(ctx, int64(cfg.Rows), cfg.Stall, check)
	if err != nil {
		s.finish()
		return fail(fmt.Errorf("snapshot: %w", err))
	}
	r.SnapshotRows, r.SnapshotDur = cfg.Rows, last.Sub(t0)
	u1 := s.now()
	r.SnapshotCPU = u1.CPU - u0.CPU
	time.Sleep(2 * time.Second)

	logf("catch-up: %d events written while the connector is paused, then resumed", cfg.Events)
	if err := sys.rest.setState(ctx, name, "pause", "PAUSED"); err != nil {
		s.finish()
		return fail(err)
	}
	n, err := newStreamPlan(cfg.Rows).write(ctx, src, benchTable, cfg.Events)
	if err != nil {
		s.finish()
		return fail(fmt.Errorf("catch-up writes: %w", err))
	}
	u2 := s.now()
	t1 := time.Now()
	if err := sys.rest.setState(ctx, name, "resume", "RUNNING"); err != nil {
		s.finish()
		return fail(err)
	}
	last, err = counter.waitFor(ctx, int64(cfg.Rows+n), cfg.Stall, check)
	if err != nil {
		s.finish()
		return fail(fmt.Errorf("catch-up: %w", err))
	}
	r.CatchUpEvents, r.CatchUpDur = n, last.Sub(t1)
	end, _, err := s.finish()
	if err != nil {
		return fail(err)
	}
	r.CatchUpCPU, r.PeakRSSKiB = end.CPU-u2.CPU, end.HWMKiB
	if counter.n != int64(cfg.Rows+n) {
		r.Notes = append(r.Notes, fmt.Sprintf("read %d records, want %d", counter.n, cfg.Rows+n))
	}
	r.Notes = append(r.Notes, sys.logNotes()...)
	stopped = true
	if err := sys.rest.deleteConnector(ctx, name); err != nil {
		logf("%v", err)
	}
	if err := sys.stop(); err != nil {
		logf("%v", err)
	}
	if err := k.deleteTopics(ctx, nil, []string{prefix}); err != nil {
		logf("%v", err)
	}
	return r
}

// createConnectorRetrying posts the connector, retrying while the worker's group is still
// forming (Kafka Connect answers 409 during a rebalance, or 5xx before it has a leader).
func createConnectorRetrying(ctx context.Context, rest *restClient, name string, cfg map[string]string) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, b, err := rest.do(ctx, http.MethodPost, "/connectors", map[string]any{"name": name, "config": cfg})
		if err == nil && code == http.StatusCreated {
			return nil
		}
		if err == nil && code < 500 && code != http.StatusConflict {
			return fmt.Errorf("could not create connector %s on %s: HTTP %d: %s", name, rest.base, code, b)
		}
		if time.Now().After(deadline) {
			if err != nil {
				return err
			}
			return fmt.Errorf("could not create connector %s on %s within 90 s: HTTP %d: %s", name, rest.base, code, b)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// committedCounter counts a topic's records as a read_committed consumer sees them, so
// records of transactions not yet committed are not counted, and remembers the append time of
// the last one.
type committedCounter struct {
	cl   *kgo.Client
	n    int64
	last time.Time
}

func newCommittedCounter(bootstrap, topic string) (*committedCounter, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(bootstrap, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return nil, fmt.Errorf("could not create a consumer for %s: %w", topic, err)
	}
	return &committedCounter{cl: cl}, nil
}

func (c *committedCounter) close() { c.cl.Close() }

// waitFor reads until target records were seen and returns the last one's append time. It
// fails when no record arrives for stall, or when check (about every 2 s) returns an error.
func (c *committedCounter) waitFor(ctx context.Context, target int64, stall time.Duration, check func(context.Context) error) (time.Time, error) {
	lastMove, lastCheck := time.Now(), time.Now()
	for c.n < target {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := c.cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				ferr = err
			}
		})
		if ferr != nil {
			return time.Time{}, fmt.Errorf("could not read the change events: %w", ferr)
		}
		before := c.n
		fs.EachRecord(func(r *kgo.Record) {
			c.n++
			c.last = r.Timestamp
		})
		if c.n != before {
			lastMove = time.Now()
		}
		if time.Since(lastMove) > stall {
			return time.Time{}, fmt.Errorf("%d of %d records after %s without a new one; see the connector's log", c.n, target, stall)
		}
		if time.Since(lastCheck) > 2*time.Second {
			lastCheck = time.Now()
			if err := check(ctx); err != nil {
				return time.Time{}, err
			}
		}
	}
	return c.last, nil
}

// startConnectdDistributed starts `connectd distributed` with props, the test bed's broker, JSON
// converters without schemas and its REST API on a free loopback port, and waits until it
// answers.
func startConnectdDistributed(ctx context.Context, binary, dir, bootstrap string, props map[string]string) (*system, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	all := map[string]string{
		"bootstrap.servers":              bootstrap,
		"listeners":                      "http://127.0.0.1:" + strconv.Itoa(port),
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
	}
	for k, v := range props {
		all[k] = v
	}
	var b strings.Builder
	for k, v := range all {
		b.WriteString(k + "=" + v + "\n")
	}
	wp := filepath.Join(dir, "worker.properties")
	if err := os.WriteFile(wp, []byte(b.String()), 0o644); err != nil {
		return nil, fmt.Errorf("could not write %s: %w", wp, err)
	}
	return runConnectd(ctx, binary, "distributed", wp, dir, port, nil, 90*time.Second, 200*time.Millisecond)
}

// EOSMarkdown renders the exactly-once benchmark's results.
func EOSMarkdown(m Machine, cfg EOSConfig, rs []EOSResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# What exactly-once source support costs connectd, %s UTC\n\n", m.StartedUTC.Format("2006-01-02 15:04"))
	fmt.Fprintf(&b, "Command: `%s`\n\n", m.Command)
	b.WriteString("## Machine\n\n| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPUs | %d × %s |\n| memory | %.1f GiB |\n| Go | %s |\n| Kafka | %s, single-node KRaft |\n| connectd | commit %s (`connectd distributed`, one worker) |\n| load average (1/5/15 min) | %s at the start, %s at the end |\n\n",
		m.CPUs, orDash(m.CPUModel), m.MemoryGiB, m.Go, m.Kafka, orDash(m.Commit), m.LoadStart, m.LoadEnd)
	b.WriteString("Everything is co-located on these cores and shared with other work; compare the two modes of one run, not runs of different days.\n\n")
	b.WriteString("## Workload\n\n")
	fmt.Fprintf(&b, "The bench table of `tests/bench/run` (~600 bytes of column data per row). **snapshot**: %d preloaded rows, rows/s from `POST /connectors` to the append time of the last record. "+
		"**catch-up**: %d events (INSERT transactions of 100 rows alternating with UPDATE statements of 100 rows) written while the connector is paused, events/s from `PUT .../resume` to the append time of the last event. "+
		"Records are counted by a `read_committed` consumer in both modes. One distributed connectd worker, connector properties at their defaults with JSON without schemas; "+
		"**exactly-once**: the worker has `exactly.once.source.support=enabled`, the connector `exactly.once.support=required` and `transaction.boundary=%s` "+
		"(records and their offsets in one Kafka transaction per poll); **at least once**: the same worker and connector without those settings.\n\n",
		cfg.Rows, cfg.Events, cfg.Boundary)
	b.WriteString("## Results\n\n| database | mode | snapshot rows/s | snapshot CPU s / 1,000 rows | catch-up events/s | catch-up CPU s / 1,000 events | peak RSS MiB | |\n|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rs {
		mode := "at least once"
		if r.EOS {
			mode = "exactly-once"
		}
		if r.Err != "" {
			fmt.Fprintf(&b, "| %s | %s | – | – | – | – | – | **failed**: %s |\n", r.DB, mode, oneLine(r.Err))
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.3f | %.0f | %.3f | %s | %s |\n", r.DB, mode, r.SnapshotRate, perK(r.SnapshotCPU, r.SnapshotRows),
			r.CatchRate, perK(r.CatchUpCPU, r.CatchUpEvents), kibCell(r.PeakRSSKiB), oneLine(strings.Join(r.Notes, "; ")))
	}
	b.WriteString("\n## Exactly-once relative to at least once\n\n| database | snapshot rows/s | snapshot CPU per row | catch-up events/s | catch-up CPU per event |\n|---|---:|---:|---:|---:|\n")
	for _, db := range cfg.DBs {
		alo, eos := medianEOS(rs, db, false), medianEOS(rs, db, true)
		if alo == nil || eos == nil {
			continue
		}
		ratio := func(a, b float64) string {
			if b <= 0 {
				return "–"
			}
			return fmt.Sprintf("%.0f%%", 100*a/b)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", db, ratio(eos.SnapshotRate, alo.SnapshotRate),
			ratio(perK(eos.SnapshotCPU, eos.SnapshotRows), perK(alo.SnapshotCPU, alo.SnapshotRows)),
			ratio(eos.CatchRate, alo.CatchRate), ratio(perK(eos.CatchUpCPU, eos.CatchUpEvents), perK(alo.CatchUpCPU, alo.CatchUpEvents)))
	}
	return b.String()
}

// medianEOS is the run of db in the given mode with the median catch-up rate (nil when none
// succeeded).
func medianEOS(rs []EOSResult, db string, eos bool) *EOSResult {
	var ok []EOSResult
	for _, r := range rs {
		if r.DB == db && r.EOS == eos && r.Err == "" {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	for i := 1; i < len(ok); i++ {
		for j := i; j > 0 && ok[j].CatchRate < ok[j-1].CatchRate; j-- {
			ok[j], ok[j-1] = ok[j-1], ok[j]
		}
	}
	return &ok[len(ok)/2]
}

// WriteEOSResults writes the report to dir/<date>-eos.md and returns its path.
func WriteEOSResults(dir string, m Machine, cfg EOSConfig, rs []EOSResult) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("could not create the results folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, m.StartedUTC.Format("2006-01-02")+"-eos.md")
	if err := os.WriteFile(path, []byte(EOSMarkdown(m, cfg, rs)), 0o644); err != nil {
		return "", fmt.Errorf("could not write %s: %w", path, err)
	}
	return path, nil
}
