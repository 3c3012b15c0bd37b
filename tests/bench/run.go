package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Config is one run of the harness.
type Config struct {
	// DBs are the databases to run, "mariadb" and/or "postgres".
	DBs []string
	// Namespace names the run's database objects, topics and connectors (DefaultNamespace).
	Namespace string
	// Rows is the snapshot's row count; Events the streaming phase's change events.
	Rows, Events int
	// SnapshotThreads sets snapshot.max.threads on both systems (0 leaves their default, 1).
	SnapshotThreads int
	// SnapshotTables makes the snapshot read this many tables of Rows rows each (the bench table
	// and copies snap_1..), so that snapshot.max.threads has tables to read at once; the later
	// phases use the bench table only. The ceiling cannot replay several topics: leave it out.
	SnapshotTables int
	// LatencyRate (events/s) and LatencyDuration are the latency phase's fixed rate and length;
	// LatencyTxn is the rows per autocommit transaction in it.
	LatencyRate     float64
	LatencyDuration time.Duration
	LatencyTxn      int
	// CatchUp adds a phase that writes Events more events while the connector is paused and
	// measures how fast it catches up once resumed: its streaming capacity, whatever the
	// database's write rate.
	CatchUp bool
	// Repeat runs each system (and the ceiling) this many times, alternating connectd and
	// Debezium, and reports the median of each metric (latency percentiles over all samples), so
	// one disturbed run on a shared machine does not decide the result.
	Repeat int
	// Ours, Debezium and Ceiling choose what runs (the ceiling replays our run's records, so it
	// needs Ours). Debezium runs with TunedProperties, like connectd; DebeziumDefaults adds a
	// run of Debezium with its defaults. SourceCeiling measures the database alone.
	Ours, Debezium, Ceiling, DebeziumDefaults, SourceCeiling bool
	// Connectd is the connectd binary (go build ./cmd/connectd).
	Connectd string
	// Profile runs connectd once more through ProfileBinary (tests/bench/cmd/connectd-pprof),
	// with a CPU profile over the snapshot and streaming phases, and reports its hot spots.
	Profile       bool
	ProfileBinary string
	// Kafka is the bootstrap address; MariaDB and Postgres the databases.
	Kafka             string
	MariaDB, Postgres DBConfig
	// Debezium says how to reach and manage the reference worker.
	DebeziumOptions DebeziumOptions
	// WorkDir holds connectd's logs, offsets and profiles.
	WorkDir string
	// Stall fails a phase whose topic does not grow for this long.
	Stall time.Duration
	// Log receives progress lines.
	Log io.Writer
	// Converter is "json" (JsonConverter without schemas, the default) or "avro": Apicurio's Avro
	// converter class in its Confluent-compatible mode for both systems, registering with
	// SchemaRegistry (the registry's Confluent API URL; the Debezium worker must have the
	// converter in its plugin path, as deploy/testbed/debezium-up's plugin path does).
	Converter      string
	SchemaRegistry string
}

// DefaultConfig returns the workload: 200,000 rows, 200,000 events, 1,000 events/s for
// 20 s in transactions of 10 rows, all three systems.
func DefaultConfig() Config {
	return Config{
		DBs: []string{"mariadb", "postgres"}, Namespace: DefaultNamespace, Rows: 200_000, Events: 200_000,
		LatencyRate: 1000, LatencyDuration: 20 * time.Second, LatencyTxn: 10,
		Ours: true, Debezium: true, Ceiling: true, DebeziumDefaults: true, SourceCeiling: true, CatchUp: true, Repeat: 1,
		Stall: 3 * time.Minute, Log: io.Discard,
		DebeziumOptions: DebeziumOptions{REST: "http://127.0.0.1:8183", Restart: true},
	}
}

// TunedProperties are the connector properties connectd and the tuned Debezium both run with:
// what Debezium's documentation advises for throughput (a larger max.batch.size with a
// max.queue.size above it, a short poll.interval.ms instead of 500 ms), and producer overrides
// equal to connectd's producer (connect/runtime.NewProducer batches up to max.request.size, 1 MiB,
// lingers 5 ms and compresses nothing; Kafka's Java producer would batch 16 KiB).
var TunedProperties = map[string]string{
	"max.batch.size":                       "8192",
	"max.queue.size":                       "32768",
	"poll.interval.ms":                     "10",
	"producer.override.batch.size":         "1048576",
	"producer.override.max.request.size":   "1048576",
	"producer.override.linger.ms":          "5",
	"producer.override.compression.type":   "none",
	"producer.override.acks":               "all",
	"producer.override.enable.idempotence": "true",
}

// SystemResult is what one system did on one database.
type SystemResult struct {
	System string
	// Ran is false when the system was not run; Reason says why.
	Ran    bool
	Reason string
	// Version is the connector plugin's version as GET /connector-plugins reports it.
	Version string

	PreloadDur time.Duration

	FirstEventDur time.Duration // POST /connectors to the append time of the first snapshot record

	SnapshotRows int
	SnapshotDur  time.Duration // POST /connectors to the append time of the last snapshot record
	SnapshotCPU  float64
	// SnapshotMachine is the whole machine's CPU over the snapshot phase.
	SnapshotMachine MachineCPU

	StreamEvents   int
	StreamDur      time.Duration // first write to the append time of the last event
	StreamWriteDur time.Duration // first write to the last commit (the database's side)
	StreamCPU      float64

	CatchUpEvents   int
	CatchUpDur      time.Duration // PUT /resume to the append time of the last event
	CatchUpWriteDur time.Duration
	CatchUpCPU      float64
	// CatchUpMachine is the whole machine's CPU over the catch-up phase.
	CatchUpMachine MachineCPU

	LatencyEvents  int
	LatencyWriteHz float64 // achieved write rate
	Latencies      []time.Duration
	LatencyCPU     float64

	PeakRSSKiB    int64 // VmHWM at the end
	MaxSampledKiB int64 // largest VmRSS sampled during the run
	CPUSeconds    float64

	SnapshotBytes, StreamBytes int64 // key+value bytes on the topic
	Topic                      string
	Notes                      []string
}

// SnapshotRate is rows/s.
func (r SystemResult) SnapshotRate() float64 { return rate(r.SnapshotRows, r.SnapshotDur) }

// StreamRate is events/s.
func (r SystemResult) StreamRate() float64 { return rate(r.StreamEvents, r.StreamDur) }

// CatchUpRate is events/s.
func (r SystemResult) CatchUpRate() float64 { return rate(r.CatchUpEvents, r.CatchUpDur) }

// Percentile returns the q-quantile (0..1) of the latencies, nearest rank.
func (r SystemResult) Percentile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// CeilingResult is the plain producer writing one phase's records from memory.
type CeilingResult struct {
	Phase   string
	Records int
	Bytes   int64
	Dur     time.Duration // first Produce to the append time of the last record
	// Machine is the whole machine's CPU while the records were produced.
	Machine MachineCPU
}

// Rate is records/s.
func (c CeilingResult) Rate() float64 { return rate(c.Records, c.Dur) }

// DBResult is one database's results.
type DBResult struct {
	DB, DBVersion string
	// Schema is the MariaDB database / PostgreSQL schema of the bench table.
	Schema string
	// DBOnlyEvents written into a scratch table while no connector runs, in DBOnlyDur.
	DBOnlyEvents int
	DBOnlyDur    time.Duration
	// Ours, Dbz (tuned) and DbzDefault are the medians over the runs in OursRuns, DbzRuns and
	// DbzDefaultRuns.
	Ours, Dbz, DbzDefault             SystemResult
	OursRuns, DbzRuns, DbzDefaultRuns []SystemResult
	// Source is the database alone (SourceCeiling).
	Source      SourceCeiling
	SourceRan   bool
	Ceiling     []CeilingResult // medians per phase over the runs
	CeilingRuns [][]CeilingResult
	// Profile is `go tool pprof -top` of connectd over the snapshot and streaming phases.
	Profile     string
	ProfileNote string
}

// Run runs the harness on each database of cfg and returns the results; the report of a database
// whose system failed carries the failure instead of numbers.
func Run(ctx context.Context, cfg Config) ([]*DBResult, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Ceiling && !cfg.Ours {
		return nil, errors.New("the Kafka ceiling replays connectd's records; it needs connectd to run too")
	}
	if (cfg.Ours || cfg.Profile) && cfg.Connectd == "" {
		return nil, errors.New("no connectd binary given; build one with go build -o /tmp/connectd ./cmd/connectd")
	}
	if cfg.Profile && cfg.ProfileBinary == "" {
		return nil, errors.New("profiling needs the connectd-pprof binary (go build ./tests/bench/cmd/connectd-pprof)")
	}
	k, err := openKafka(cfg.Kafka)
	if err != nil {
		return nil, err
	}
	defer k.close()
	var out []*DBResult
	for _, db := range cfg.DBs {
		r, err := runDB(ctx, cfg, k, db)
		if err != nil {
			return out, fmt.Errorf("%s: %w", db, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Cleanup removes what runs in cfg.Namespace left behind: the change event, history and ceiling
// topics, the bench database or schema, its publication and its replication slots. The Debezium
// worker's own topics (offsets of deleted connectors) are left alone.
func Cleanup(ctx context.Context, cfg Config) error {
	k, err := openKafka(cfg.Kafka)
	if err != nil {
		return err
	}
	defer k.close()
	errs := []error{k.deleteTopics(ctx, nil, []string{cfg.Namespace + "_"})}
	for _, db := range cfg.DBs {
		src, err := openSource(ctx, cfg, db)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, src.DropAll(ctx), src.Close())
	}
	return errors.Join(errs...)
}

func (cfg Config) logf(format string, args ...any) {
	fmt.Fprintf(cfg.Log, "bench: "+format+"\n", args...)
}

func openSource(ctx context.Context, cfg Config, db string) (Source, error) {
	switch db {
	case "mariadb":
		return OpenMariaDB(ctx, cfg.MariaDB, cfg.Namespace)
	case "postgres":
		return OpenPostgres(ctx, cfg.Postgres, cfg.Namespace)
	}
	return nil, fmt.Errorf("unknown database %q: use mariadb or postgres", db)
}

// eachSource opens each database of dbs in cfg.Namespace in turn and calls run with it, then drops
// what the run made there (a failure to is logged to log) and closes it. It stops, returning the
// error, at a database it cannot open or when run returns an error (ctx's, once it is done).
func eachSource(ctx context.Context, cfg Config, dbs []string, log io.Writer, run func(db string, src Source) error) error {
	for _, db := range dbs {
		src, err := openSource(ctx, cfg, db)
		if err != nil {
			return err
		}
		if err := run(db, src); err != nil {
			src.Close()
			return err
		}
		if err := src.DropAll(ctx); err != nil {
			fmt.Fprintf(log, "bench: %s: cleanup: %v\n", db, err)
		}
		src.Close()
	}
	return nil
}

func runDB(ctx context.Context, cfg Config, k *kafka, db string) (*DBResult, error) {
	src, err := openSource(ctx, cfg, db)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	res := &DBResult{DB: db, Schema: src.Schema()}
	if res.DBVersion, err = src.Version(ctx); err != nil {
		return nil, err
	}

	cfg.logf("%s: measuring how fast the database alone takes the streaming writes", db)
	if err := src.Reset(ctx); err != nil {
		return nil, err
	}
	if err := dbAlone(ctx, src, cfg, res); err != nil {
		return nil, err
	}

	if cfg.SourceCeiling {
		cfg.logf("%s: source ceiling: a plain scan of %d rows, then a trivial log reader over %d events", db, cfg.Rows, cfg.Events)
		if res.Source, err = sourceCeiling(ctx, cfg, src); err != nil {
			return nil, fmt.Errorf("source ceiling: %w", err)
		}
		res.SourceRan = true
	}

	res.Ours = SystemResult{System: "connectd", Reason: "not selected"}
	res.Dbz = SystemResult{System: "Debezium (tuned)", Reason: "not selected"}
	res.DbzDefault = SystemResult{System: "Debezium (defaults)", Reason: "not selected"}
	var dbzFailed, dbzDefaultFailed []string
	for i := 0; i < max(1, cfg.Repeat); i++ {
		if cfg.Repeat > 1 {
			cfg.logf("%s: run %d of %d", db, i+1, cfg.Repeat)
		}
		if cfg.Ours {
			o, err := runSystem(ctx, cfg, k, src, "ours", 1, nil)
			if err != nil {
				return nil, fmt.Errorf("connectd: %w", err)
			}
			res.OursRuns = append(res.OursRuns, o)
			if cfg.Ceiling {
				c, err := ceiling(ctx, cfg, k, db, o)
				if err != nil {
					return nil, fmt.Errorf("kafka ceiling: %w", err)
				}
				res.CeilingRuns = append(res.CeilingRuns, c)
			}
		}
		if cfg.Debezium {
			d, err := runSystem(ctx, cfg, k, src, "dbz", 2, nil)
			if err != nil {
				// A reference that cannot run is reported, not fatal: our numbers still stand.
				cfg.logf("%s: Debezium run %d failed: %v", db, i+1, err)
				dbzFailed = append(dbzFailed, fmt.Sprintf("run %d failed: %v", i+1, err))
				continue
			}
			res.DbzRuns = append(res.DbzRuns, d)
		}
		if cfg.DebeziumDefaults {
			d, err := runSystem(ctx, cfg, k, src, "dbzd", 4, nil)
			if err != nil {
				cfg.logf("%s: Debezium (defaults) run %d failed: %v", db, i+1, err)
				dbzDefaultFailed = append(dbzDefaultFailed, fmt.Sprintf("run %d failed: %v", i+1, err))
				continue
			}
			res.DbzDefaultRuns = append(res.DbzDefaultRuns, d)
		}
	}
	if len(res.OursRuns) > 0 {
		res.Ours = medianResult(res.OursRuns)
	}
	if len(res.DbzRuns) > 0 {
		res.Dbz = medianResult(res.DbzRuns)
		res.Dbz.Notes = append(res.Dbz.Notes, dbzFailed...)
	} else if len(dbzFailed) > 0 {
		res.Dbz.Reason = strings.Join(dbzFailed, "; ")
	}
	if len(res.DbzDefaultRuns) > 0 {
		res.DbzDefault = medianResult(res.DbzDefaultRuns)
		res.DbzDefault.Notes = append(res.DbzDefault.Notes, dbzDefaultFailed...)
	} else if len(dbzDefaultFailed) > 0 {
		res.DbzDefault.Reason = strings.Join(dbzDefaultFailed, "; ")
	}
	res.Ceiling = medianCeiling(res.CeilingRuns)
	if cfg.Profile {
		res.Profile, res.ProfileNote, err = profile(ctx, cfg, k, src)
		if err != nil {
			return nil, fmt.Errorf("profile: %w", err)
		}
	}
	return res, nil
}

// dbAlone writes the streaming phase's statements into a scratch table while nothing captures
// it, so the report can tell whether the database is the bottleneck.
func dbAlone(ctx context.Context, src Source, cfg Config, res *DBResult) error {
	if cfg.Events == 0 {
		return nil
	}
	if err := src.CreateTable(ctx, dbOnlyTable); err != nil {
		return err
	}
	preload := min(cfg.Rows, cfg.Events/2)
	if err := src.Preload(ctx, dbOnlyTable, preload); err != nil {
		return err
	}
	start := time.Now()
	n, err := newStreamPlan(preload).write(ctx, src, dbOnlyTable, cfg.Events)
	if err != nil {
		return err
	}
	res.DBOnlyEvents, res.DBOnlyDur = n, time.Since(start)
	return src.DropTable(ctx, dbOnlyTable)
}

// runSystem runs the three phases through one system. kind is "ours", "dbz" or "prof" (connectd
// under the profiler: snapshot and streaming only); id tells server ids and slots apart.
func runSystem(ctx context.Context, cfg Config, k *kafka, src Source, kind string, id int, env []string) (SystemResult, error) {
	db := src.Name()
	r := SystemResult{System: map[string]string{"ours": "connectd", "dbz": "Debezium (tuned)", "dbzd": "Debezium (defaults)", "prof": "connectd (profiled)"}[kind], Ran: true}
	prefix := cfg.Namespace + "_" + kind + "_" + db
	topic := Topic(prefix, src.Schema())
	r.Topic = topic
	name := cfg.Namespace + "-" + kind + "-" + db + "-" + fmt.Sprint(time.Now().Unix())

	cfg.logf("%s/%s: resetting topics %s*, the bench table and slots; preloading %d rows", db, r.System, prefix, cfg.Rows)
	if err := k.deleteTopics(ctx, nil, []string{prefix}); err != nil {
		return r, err
	}
	if err := src.Reset(ctx); err != nil {
		return r, err
	}
	t := time.Now()
	if err := src.Preload(ctx, benchTable, cfg.Rows); err != nil {
		return r, err
	}
	topics := []string{topic}
	for i := 1; i < cfg.SnapshotTables; i++ {
		table := "snap_" + strconv.Itoa(i)
		if err := src.CreateTable(ctx, table); err != nil {
			return r, err
		}
		if err := src.Preload(ctx, table, cfg.Rows); err != nil {
			return r, err
		}
		if p, ok := src.(interface {
			Publish(context.Context, string) error
		}); ok {
			if err := p.Publish(ctx, table); err != nil {
				return r, err
			}
		}
		topics = append(topics, prefix+"."+src.Schema()+"."+table)
	}
	r.PreloadDur = time.Since(t)
	for _, tp := range topics {
		if err := k.createTopic(ctx, tp); err != nil {
			return r, err
		}
	}

	var sys *system
	var err error
	dir := filepath.Join(cfg.WorkDir, db+"-"+kind)
	switch kind {
	case "ours", "prof":
		bin := cfg.Connectd
		if kind == "prof" {
			bin = cfg.ProfileBinary
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return r, err
		}
		sys, err = startConnectd(ctx, bin, dir, cfg.Kafka, env)
	case "dbz", "dbzd":
		sys, err = startDebezium(ctx, cfg.DebeziumOptions, cfg.Namespace, cfg.Log)
	}
	if err != nil {
		return r, err
	}
	r.Notes = append(r.Notes, sys.notes...)
	stopped := false
	defer func() {
		if !stopped {
			_ = sys.rest.deleteConnector(context.Background(), name)
			_ = sys.stop()
		}
	}()

	conn := src.ConnectorConfig(prefix, id)
	conn["name"] = name
	if kind != "dbzd" {
		for k, v := range TunedProperties {
			conn[k] = v
		}
	}
	if len(topics) > 1 {
		conn["table.include.list"] += "|" + src.Schema() + "\\.snap_[0-9]+"
	}
	if cfg.SnapshotThreads > 0 {
		conn["snapshot.max.threads"] = strconv.Itoa(cfg.SnapshotThreads)
	}
	if len(topics) > 1 || cfg.SnapshotThreads > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("snapshot of %d tables of %d rows each, snapshot.max.threads=%d", len(topics), cfg.Rows, max(1, cfg.SnapshotThreads)))
	}
	if _, ok := conn["schema.history.internal.kafka.topic"]; ok {
		conn["schema.history.internal.kafka.bootstrap.servers"] = cfg.Kafka
	}
	for _, c := range []string{"key", "value"} {
		if cfg.Converter == "avro" {
			conn[c+".converter"] = "io.apicurio.registry.utils.converter.AvroConverter"
			conn[c+".converter.apicurio.registry.url"] = strings.TrimSuffix(cfg.SchemaRegistry, "/apis/ccompat/v7") + "/apis/registry/v2"
			conn[c+".converter.apicurio.registry.auto-register"] = "true"
			conn[c+".converter.apicurio.registry.as-confluent"] = "true"
			conn[c+".converter.apicurio.registry.use-id"] = "contentId"
			continue
		}
		conn[c+".converter"] = "org.apache.kafka.connect.json.JsonConverter"
		conn[c+".converter.schemas.enable"] = "false"
	}
	if cfg.Converter == "avro" {
		r.Notes = append(r.Notes, "Avro values and keys (Apicurio's converter class, Confluent wire format) registered with "+cfg.SchemaRegistry)
	}
	r.Version = sys.rest.pluginVersion(ctx, conn["connector.class"])
	check := func(ctx context.Context) error { return sys.rest.failed(ctx, name) }
	errLogStart := fileSize(mariaDBErrorLog)
	s := startSampler(sys.pid, 200*time.Millisecond)
	u0 := s.now()
	m0 := readMachine()

	// Snapshot.
	cfg.logf("%s/%s: snapshot of %d rows in %d tables", db, r.System, cfg.Rows*len(topics), len(topics))
	t0 := time.Now()
	if err := sys.rest.createConnector(ctx, name, conn); err != nil {
		s.finish()
		return r, err
	}
	var end int64
	if cfg.Rows > 0 {
		// The snapshot ends with the last of its tables' last records.
		for _, tp := range topics {
			if err := k.waitForEnd(ctx, tp, int64(cfg.Rows), cfg.Stall, check); err != nil {
				s.finish()
				return r, fmt.Errorf("snapshot: %w", err)
			}
			last, err := k.appendTime(ctx, tp, int64(cfg.Rows)-1)
			if err != nil {
				s.finish()
				return r, err
			}
			r.SnapshotDur = max(r.SnapshotDur, last.Sub(t0))
		}
		first, err := k.appendTime(ctx, topic, 0)
		if err != nil {
			s.finish()
			return r, err
		}
		r.FirstEventDur = first.Sub(t0)
		r.SnapshotRows = cfg.Rows * len(topics)
		end = int64(cfg.Rows)
	}
	u1 := s.now()
	r.SnapshotCPU = u1.CPU - u0.CPU
	r.SnapshotMachine = readMachine().sub(m0)
	// Let the connector move from its snapshot to the log before the clock starts again.
	time.Sleep(2 * time.Second)

	// Streaming.
	cfg.logf("%s/%s: streaming %d events as fast as the database takes them", db, r.System, cfg.Events)
	u1 = s.now()
	plan := newStreamPlan(cfg.Rows)
	tw := time.Now()
	n, err := plan.write(ctx, src, benchTable, cfg.Events)
	if err != nil {
		s.finish()
		return r, fmt.Errorf("streaming writes: %w", err)
	}
	r.StreamWriteDur = time.Since(tw)
	if n > 0 {
		if err := k.waitForEnd(ctx, topic, end+int64(n), cfg.Stall, check); err != nil {
			s.finish()
			return r, fmt.Errorf("streaming: %w", err)
		}
		last, err := k.appendTime(ctx, topic, end+int64(n)-1)
		if err != nil {
			s.finish()
			return r, err
		}
		r.StreamEvents, r.StreamDur = n, last.Sub(tw)
		end += int64(n)
	}
	u2 := s.now()
	r.StreamCPU = u2.CPU - u1.CPU

	// Catch-up: a backlog written while the connector is paused.
	if cfg.CatchUp && cfg.Events > 0 {
		cfg.logf("%s/%s: catch-up: %d events written while the connector is paused, then resumed", db, r.System, cfg.Events)
		if err := sys.rest.setState(ctx, name, "pause", "PAUSED"); err != nil {
			s.finish()
			return r, err
		}
		tw := time.Now()
		n, err := plan.write(ctx, src, benchTable, cfg.Events)
		if err != nil {
			s.finish()
			return r, fmt.Errorf("catch-up writes: %w", err)
		}
		r.CatchUpWriteDur = time.Since(tw)
		if pre, err := k.endOffset(ctx, topic); err == nil && pre > end {
			r.Notes = append(r.Notes, fmt.Sprintf("%d of the catch-up backlog's events reached Kafka while the connector was PAUSED", pre-end))
		}
		u := s.now()
		mc := readMachine()
		t := time.Now()
		if err := sys.rest.setState(ctx, name, "resume", "RUNNING"); err != nil {
			s.finish()
			return r, err
		}
		if err := k.waitForEnd(ctx, topic, end+int64(n), cfg.Stall, check); err != nil {
			s.finish()
			return r, fmt.Errorf("catch-up: %w", err)
		}
		last, err := k.appendTime(ctx, topic, end+int64(n)-1)
		if err != nil {
			s.finish()
			return r, err
		}
		r.CatchUpEvents, r.CatchUpDur = n, last.Sub(t)
		r.CatchUpCPU = s.now().CPU - u.CPU
		r.CatchUpMachine = readMachine().sub(mc)
		end += int64(n)
	}

	// Latency at a fixed rate.
	if kind != "prof" && cfg.LatencyRate > 0 && cfg.LatencyDuration > 0 {
		count := int(cfg.LatencyRate * cfg.LatencyDuration.Seconds())
		cfg.logf("%s/%s: latency: %d events at %.0f events/s", db, r.System, count, cfg.LatencyRate)
		time.Sleep(time.Second)
		u2 = s.now()
		written, took, err := pacedInserts(ctx, src, benchTable, plan.nextID, count, max(1, cfg.LatencyTxn), cfg.LatencyRate)
		if err != nil {
			s.finish()
			return r, fmt.Errorf("latency writes: %w", err)
		}
		r.LatencyWriteHz = rate(written, took)
		if err := k.waitForEnd(ctx, topic, end+int64(written), cfg.Stall, check); err != nil {
			s.finish()
			return r, fmt.Errorf("latency: %w", err)
		}
		r.Latencies, err = readLatencies(ctx, k, topic, end, end+int64(written))
		if err != nil {
			s.finish()
			return r, err
		}
		r.LatencyEvents = written
		end += int64(written)
		r.LatencyCPU = s.now().CPU - u2.CPU
	}

	last, maxRSS, err := s.finish()
	if err != nil {
		return r, err
	}
	r.PeakRSSKiB, r.MaxSampledKiB, r.CPUSeconds = last.HWMKiB, maxRSS, last.CPU-u0.CPU
	if kind == "dbz" || kind == "dbzd" {
		r.Notes = append(r.Notes, sys.logNotes(name, prefix)...)
	} else {
		r.Notes = append(r.Notes, sys.logNotes()...)
	}
	if id := conn["database.server.id"]; id != "" {
		if n := binlogDumps(errLogStart, id); n > 1 {
			r.Notes = append(r.Notes, fmt.Sprintf("MariaDB's error log shows %d binlog streams for its server id %s during the run: it lost its binlog connection "+
				"and reconnected, and streaming stalled until it did", n, id))
		}
	}
	if names, err := sys.rest.connectors(ctx); err == nil {
		var others []string
		for _, n := range names {
			if n != name {
				others = append(others, n)
			}
		}
		if len(others) > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("other connectors ran on the same worker at the end of the run (%s): their work is in its CPU and memory figures", strings.Join(others, ", ")))
		}
	}
	cfg.logf("%s/%s: done; removing the connector", db, r.System)
	stopped = true
	if err := sys.rest.deleteConnector(ctx, name); err != nil {
		cfg.logf("%v", err)
	}
	if err := sys.stop(); err != nil {
		cfg.logf("%v", err)
	}
	if err := src.DropSlots(ctx); err != nil {
		cfg.logf("%v", err)
	}

	// Record sizes, for the report and the ceiling.
	// With several snapshot tables only the bench table's topic is read: the copies hold the
	// same rows.
	snapEnd := int64(r.SnapshotRows / len(topics))
	if err := k.readRange(ctx, topic, 0, snapEnd, func(rec *kgo.Record) {
		r.SnapshotBytes += int64(len(rec.Key) + len(rec.Value))
	}); err != nil {
		return r, err
	}
	r.SnapshotBytes *= int64(len(topics))
	err = k.readRange(ctx, topic, snapEnd, snapEnd+int64(r.StreamEvents), func(rec *kgo.Record) {
		r.StreamBytes += int64(len(rec.Key) + len(rec.Value))
	})
	return r, err
}

// readLatencies reads records from..to-1 and returns append time minus commit_us for each.
func readLatencies(ctx context.Context, k *kafka, topic string, from, to int64) ([]time.Duration, error) {
	out := make([]time.Duration, 0, to-from)
	var bad error
	err := k.readRange(ctx, topic, from, to, func(rec *kgo.Record) {
		var v struct {
			After struct {
				CommitUS int64 `json:"commit_us"`
			} `json:"after"`
		}
		if err := json.Unmarshal(rec.Value, &v); err != nil || v.After.CommitUS == 0 {
			if bad == nil {
				bad = fmt.Errorf("record %d of %s has no after.commit_us (JSON without schemas expected): %.200s", rec.Offset, topic, rec.Value)
			}
			return
		}
		out = append(out, rec.Timestamp.Sub(time.UnixMicro(v.After.CommitUS)))
	})
	if err == nil {
		err = bad
	}
	return out, err
}

// profile runs connectd once more under connectd-pprof (CPU profile over the snapshot and
// streaming phases) and returns `go tool pprof -top`.
func profile(ctx context.Context, cfg Config, k *kafka, src Source) (string, string, error) {
	dir := filepath.Join(cfg.WorkDir, src.Name()+"-prof")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	prof := filepath.Join(dir, "cpu.pprof")
	heap := filepath.Join(dir, "heap.pprof")
	r, err := runSystem(ctx, cfg, k, src, "prof", 3, []string{"CONNECTD_CPUPROFILE=" + prof, "CONNECTD_HEAPPROFILE=" + heap})
	if err != nil {
		return "", "", err
	}
	note := fmt.Sprintf("Profiled run: snapshot %.0f rows/s, streaming %.0f events/s, catch-up %.0f events/s, %.1f CPU s, peak RSS %.0f MiB",
		r.SnapshotRate(), r.StreamRate(), r.CatchUpRate(), r.CPUSeconds, float64(r.PeakRSSKiB)/1024)
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=30", cfg.ProfileBinary, prof).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	cum, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=40", cfg.ProfileBinary, prof).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("go tool pprof: %w: %s", err, cum)
	}
	text := "CPU, by own time:\n" + trimPprof(string(out)) + "\n\nCPU, by cumulative time:\n" + trimPprof(string(cum))
	if _, err := os.Stat(heap); err == nil {
		h, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-sample_index=inuse_space", "-top", "-nodecount=20", cfg.ProfileBinary, heap).CombinedOutput()
		if err != nil {
			return "", "", fmt.Errorf("go tool pprof: %w: %s", err, h)
		}
		text += "\n\nLive heap at its peak (inuse_space):\n" + trimPprof(string(h))
	}
	return text, note, nil
}

// trimPprof drops pprof's header lines up to "Showing nodes".
func trimPprof(s string) string {
	if i := strings.Index(s, "Showing nodes"); i >= 0 {
		return strings.TrimRight(s[i:], "\n")
	}
	return strings.TrimRight(s, "\n")
}

// medianResult combines runs of one system: each duration, memory and CPU figure is the median
// over the runs (counts are equal across runs), latency samples are pooled, and notes keep the
// run they came from.
func medianResult(runs []SystemResult) SystemResult {
	if len(runs) == 1 {
		return runs[0]
	}
	m := runs[0]
	m.Latencies, m.Notes = nil, nil
	md := func(get func(SystemResult) time.Duration) time.Duration {
		v := make([]time.Duration, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	mf := func(get func(SystemResult) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	m.PreloadDur = md(func(r SystemResult) time.Duration { return r.PreloadDur })
	m.SnapshotDur = md(func(r SystemResult) time.Duration { return r.SnapshotDur })
	m.FirstEventDur = md(func(r SystemResult) time.Duration { return r.FirstEventDur })
	m.StreamDur = md(func(r SystemResult) time.Duration { return r.StreamDur })
	m.StreamWriteDur = md(func(r SystemResult) time.Duration { return r.StreamWriteDur })
	m.CatchUpDur = md(func(r SystemResult) time.Duration { return r.CatchUpDur })
	m.CatchUpWriteDur = md(func(r SystemResult) time.Duration { return r.CatchUpWriteDur })
	m.SnapshotCPU = mf(func(r SystemResult) float64 { return r.SnapshotCPU })
	m.StreamCPU = mf(func(r SystemResult) float64 { return r.StreamCPU })
	m.CatchUpCPU = mf(func(r SystemResult) float64 { return r.CatchUpCPU })
	m.LatencyCPU = mf(func(r SystemResult) float64 { return r.LatencyCPU })
	m.SnapshotMachine = medianMachine(runs, func(r SystemResult) MachineCPU { return r.SnapshotMachine })
	m.CatchUpMachine = medianMachine(runs, func(r SystemResult) MachineCPU { return r.CatchUpMachine })
	m.LatencyWriteHz = mf(func(r SystemResult) float64 { return r.LatencyWriteHz })
	m.CPUSeconds = mf(func(r SystemResult) float64 { return r.CPUSeconds })
	m.PeakRSSKiB = int64(mf(func(r SystemResult) float64 { return float64(r.PeakRSSKiB) }))
	m.MaxSampledKiB = int64(mf(func(r SystemResult) float64 { return float64(r.MaxSampledKiB) }))
	for i, r := range runs {
		m.Latencies = append(m.Latencies, r.Latencies...)
		for _, n := range r.Notes {
			m.Notes = append(m.Notes, fmt.Sprintf("run %d: %s", i+1, n))
		}
	}
	return m
}

// medianCeiling is, per phase, the run with the median duration.
func medianCeiling(runs [][]CeilingResult) []CeilingResult {
	if len(runs) == 0 {
		return nil
	}
	out := slices.Clone(runs[0])
	for p := range out {
		var cs []CeilingResult
		for _, run := range runs {
			if p < len(run) {
				cs = append(cs, run[p])
			}
		}
		slices.SortFunc(cs, func(a, b CeilingResult) int { return cmp.Compare(a.Dur, b.Dur) })
		out[p] = cs[len(cs)/2]
	}
	return out
}
