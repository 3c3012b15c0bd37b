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
	"fmt"
	"io"
	"os"

	"github.com/connectd/connectd/tests/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg := bench.DefaultConfig()
	fs, c := bench.NewCommand("bench", stderr, "reports", "logs, offsets and profiles")
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
	fs.StringVar(&cfg.DebeziumOptions.REST, "debezium-rest", debeziumREST(cfg.DebeziumOptions.REST), "REST URL of the Debezium reference worker")
	fs.DurationVar(&cfg.Stall, "stall", cfg.Stall, "fail a phase whose topic does not grow for this long")
	fs.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "prefix of the run's database, schema, topics, connectors and slots (another run at the same time needs its own)")
	fs.StringVar(&cfg.Converter, "converter", "json", "json (JsonConverter without schemas) or avro (Apicurio's Avro converter with $CONNECTD_TEST_SCHEMA_REGISTRY)")
	if !c.Parse(fs, args, &cfg.DBs) {
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

	ctx, stop, m, ok := c.Start("connectd-bench-", "tests/bench/run", args)
	if !ok {
		return 1
	}
	defer stop()
	cfg.DebeziumOptions.RepoRoot, cfg.DebeziumOptions.TestbedHome = c.Repo, c.Home
	cfg.Kafka, cfg.MariaDB, cfg.Postgres, cfg.WorkDir = c.Kafka, c.MariaDB, c.Postgres, c.Work
	rs, err := bench.Run(ctx, cfg)
	status := c.End(&m, err)
	for _, r := range rs {
		fmt.Fprintln(stdout, bench.Markdown(m, cfg, r))
	}
	if len(rs) > 0 && !c.WriteReports(func(dir string) ([]string, error) {
		return bench.WriteResults(dir, m, cfg, rs)
	}) {
		return 1
	}
	return status
}

// debeziumREST is the Debezium reference worker's REST URL: on the loopback port
// $DEBEZIUM_REST_PORT when it is set, else def.
func debeziumREST(def string) string {
	if p := os.Getenv("DEBEZIUM_REST_PORT"); p != "" {
		return "http://127.0.0.1:" + p
	}
	return def
}
