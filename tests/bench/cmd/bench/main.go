// Command bench runs the side-by-side benchmark (package tests/bench): the same workload through
// connectd, through Debezium on Kafka Connect, and through a plain franz-go producer (the Kafka
// ceiling), and writes a Markdown report per database to tests/bench/results/<date>-<db>.md.
// tests/bench/run builds the binaries and calls it:
//
//	tests/bench/run [--db mariadb|postgres|both] [--rows N] [--events N] [flags]
//
// The test bed's addresses come from the CONNECTD_TEST_* environment variables that
// deploy/testbed/up writes to $TESTBED_HOME/env.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/connectd/connectd/tests/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg := bench.DefaultConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "both", "database to run: mariadb, postgres or both")
	fs.IntVar(&cfg.Rows, "rows", cfg.Rows, "rows preloaded for the snapshot phase")
	fs.IntVar(&cfg.SnapshotThreads, "snapshot-threads", 0, "snapshot.max.threads for both systems (0: their default, 1)")
	fs.IntVar(&cfg.SnapshotTables, "snapshot-tables", 1, "tables of --rows rows each the snapshot reads (more than 1 leaves the ceiling out)")
	fs.IntVar(&cfg.Events, "events", cfg.Events, "change events written in the streaming phase")
	fs.Float64Var(&cfg.LatencyRate, "latency-rate", cfg.LatencyRate, "events/s in the latency phase (0 skips it)")
	fs.DurationVar(&cfg.LatencyDuration, "latency-duration", cfg.LatencyDuration, "length of the latency phase")
	fs.IntVar(&cfg.Repeat, "repeat", cfg.Repeat, "runs per system; the report shows the median of each metric")
	fs.IntVar(&cfg.LatencyTxn, "latency-txn", cfg.LatencyTxn, "rows per autocommit INSERT in the latency phase")
	noOurs := fs.Bool("no-connectd", false, "do not run connectd (nor the ceiling)")
	noDbz := fs.Bool("no-debezium", false, "do not run Debezium")
	noCeil := fs.Bool("no-ceiling", false, "do not measure the Kafka ceiling")
	noDbzDefaults := fs.Bool("no-debezium-defaults", false, "do not run Debezium with its default settings (the tuned run still runs)")
	noSource := fs.Bool("no-source-ceiling", false, "do not measure the source ceiling (the database alone)")
	fs.StringVar(&cfg.DebeziumOptions.Heap, "debezium-heap", "", "JVM heap options for the Debezium worker when the harness (re)starts it (default -Xms256m -Xmx2g)")
	noRestart := fs.Bool("no-debezium-restart", false, "never restart the Debezium worker before its run")
	fs.BoolVar(&cfg.Profile, "profile", false, "run connectd once more under a CPU profiler and report its hot spots")
	fs.StringVar(&cfg.Connectd, "connectd", "", "connectd binary (go build ./cmd/connectd)")
	fs.StringVar(&cfg.ProfileBinary, "connectd-pprof", "", "profiling connectd binary (go build ./tests/bench/cmd/connectd-pprof)")
	fs.StringVar(&cfg.DebeziumOptions.REST, "debezium-rest", envOr("DEBEZIUM_REST_PORT", func(p string) string { return "http://127.0.0.1:" + p }, cfg.DebeziumOptions.REST), "REST URL of the Debezium reference worker")
	repo := fs.String("repo", "", "repository root (default: found from the working directory)")
	results := fs.String("results", "", "folder for the Markdown reports (default <repo>/tests/bench/results; - for none)")
	work := fs.String("work", "", "folder for logs, offsets and profiles (default a new temporary folder)")
	fs.DurationVar(&cfg.Stall, "stall", cfg.Stall, "fail a phase whose topic does not grow for this long")
	fs.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "prefix of the run's database, schema, topics, connectors and slots (another run at the same time needs its own)")
	fs.StringVar(&cfg.Converter, "converter", "json", "json (JsonConverter without schemas) or avro (Apicurio's Avro converter with $CONNECTD_TEST_SCHEMA_REGISTRY)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch *db {
	case "both":
	case "mariadb", "postgres":
		cfg.DBs = []string{*db}
	default:
		fmt.Fprintf(stderr, "--db %s: use mariadb, postgres or both\n", *db)
		return 2
	}
	if cfg.Rows < 0 || cfg.Events < 0 || cfg.LatencyRate < 0 || cfg.Repeat < 1 {
		fmt.Fprintln(stderr, "--rows, --events and --latency-rate must not be negative, --repeat at least 1")
		return 2
	}
	switch cfg.Converter {
	case "json":
	case "avro":
		if cfg.SchemaRegistry = os.Getenv("CONNECTD_TEST_SCHEMA_REGISTRY"); cfg.SchemaRegistry == "" {
			fmt.Fprintln(stderr, "--converter avro needs CONNECTD_TEST_SCHEMA_REGISTRY (deploy/testbed/up writes it to the test bed's env file)")
			return 2
		}
	default:
		fmt.Fprintf(stderr, "--converter %s: use json or avro\n", cfg.Converter)
		return 2
	}
	if cfg.SnapshotThreads < 0 || cfg.SnapshotTables < 1 {
		fmt.Fprintln(stderr, "--snapshot-threads must not be negative, --snapshot-tables at least 1")
		return 2
	}
	cfg.Ours, cfg.Debezium, cfg.Ceiling = !*noOurs, !*noDbz, !*noCeil && !*noOurs && cfg.SnapshotTables == 1
	cfg.DebeziumDefaults, cfg.SourceCeiling = !*noDbz && !*noDbzDefaults, !*noSource && cfg.SnapshotTables == 1
	cfg.DebeziumOptions.Restart = !*noRestart
	cfg.Log = stderr

	root := *repo
	if root == "" {
		var err error
		if root, err = findRepo(); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	home := os.Getenv("TESTBED_HOME")
	if home == "" {
		h, _ := os.UserHomeDir()
		home = filepath.Join(h, ".cache", "connectd-testbed")
	}
	cfg.DebeziumOptions.RepoRoot, cfg.DebeziumOptions.TestbedHome = root, home
	cfg.Kafka = envOr("CONNECTD_TEST_KAFKA", nil, "127.0.0.1:9092")
	cfg.MariaDB = dbFromEnv("CONNECTD_TEST_MARIADB", 3306)
	cfg.Postgres = dbFromEnv("CONNECTD_TEST_POSTGRES", 5432)
	if *work == "" {
		d, err := os.MkdirTemp("", "connectd-bench-")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		*work = d
	}
	cfg.WorkDir = *work

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m := bench.DescribeMachine(ctx, envOr("CONNECTD_TEST_KAFKA_LIBS", nil, filepath.Join(home, "kafka-libs")), root)
	m.Command = "tests/bench/run " + strings.Join(args, " ")
	fmt.Fprintf(stderr, "bench: logs, offsets and profiles in %s\n", cfg.WorkDir)
	start := time.Now()
	rs, err := bench.Run(ctx, cfg)
	m.LoadEnd = loadavg()
	status := 0
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		status = 1
	}
	for _, r := range rs {
		fmt.Fprintln(stdout, bench.Markdown(m, cfg, r))
	}
	if *results != "-" && len(rs) > 0 {
		dir := *results
		if dir == "" {
			dir = filepath.Join(root, "tests", "bench", "results")
		}
		paths, err := bench.WriteResults(dir, m, cfg, rs)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "bench: wrote %s (%s)\n", strings.Join(paths, ", "), time.Since(start).Round(time.Second))
	}
	return status
}

func envOr(key string, wrap func(string) string, def string) string {
	if v := os.Getenv(key); v != "" {
		if wrap != nil {
			return wrap(v)
		}
		return v
	}
	return def
}

func dbFromEnv(prefix string, port int) bench.DBConfig {
	c := bench.DBConfig{
		Host:     envOr(prefix+"_HOST", nil, "127.0.0.1"),
		Port:     port,
		User:     envOr(prefix+"_USER", nil, "connectd"),
		Password: envOr(prefix+"_PASSWORD", nil, "connectd"),
		Database: envOr(prefix+"_DB", nil, "connectd"),
	}
	if p, err := strconv.Atoi(os.Getenv(prefix + "_PORT")); err == nil {
		c.Port = p
	}
	return c
}

func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/connectd/connectd\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no connectd go.mod above the working directory; pass --repo")
		}
		dir = parent
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
