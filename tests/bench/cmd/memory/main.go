// Command memory runs the memory benchmark (package tests/bench, RunMemory): a very large
// transaction and rows of 10 MiB streamed through connectd at its default memory settings, with
// connectd's peak RSS checked against a budget and every event checked by content. It writes a
// Markdown report to tests/bench/results/<date>-memory.md. tests/bench/memory builds the
// binaries and calls it:
//
//	tests/bench/memory [--db mariadb|postgres|both] [--txn-bytes N] [--big-rows N] [flags]
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
	"strings"
	"syscall"
	"time"

	"github.com/connectd/connectd/tests/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg := bench.DefaultMemoryConfig()
	fs := flag.NewFlagSet("memory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "both", "database to run: mariadb, postgres or both")
	fs.Int64Var(&cfg.TxnBytes, "txn-bytes", cfg.TxnBytes, "payload bytes of the one large transaction (0 skips the case)")
	fs.IntVar(&cfg.TxnRowBytes, "txn-row-bytes", cfg.TxnRowBytes, "payload bytes per row of the large transaction")
	fs.IntVar(&cfg.BigRows, "big-rows", cfg.BigRows, "rows of --big-row-bytes inserted and then updated (0 skips the case)")
	fs.IntVar(&cfg.BigRowBytes, "big-row-bytes", cfg.BigRowBytes, "bytes of each big row's value")
	fs.IntVar(&cfg.LimitMiB, "limit-mib", cfg.LimitMiB, "peak RSS budget the report checks")
	fs.IntVar(&cfg.MaxMessageBytes, "max-message-bytes", cfg.MaxMessageBytes, "the topics' max.message.bytes and the connector's producer.override.max.request.size")
	fs.StringVar(&cfg.Connectd, "connectd", "", "connectd binary (go build ./cmd/connectd)")
	profile := fs.String("connectd-pprof", "", "run this profiling connectd (go build ./tests/bench/cmd/connectd-pprof) instead and report the live heap at its peak")
	fs.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "prefix of the run's database, schema, topics, connectors and slots")
	fs.DurationVar(&cfg.Stall, "stall", cfg.Stall, "fail a case whose topic does not grow for this long")
	env := fs.String("env", "", "space-separated NAME=VALUE pairs added to connectd's environment (e.g. GOMEMLIMIT=200MiB)")
	repo := fs.String("repo", "", "repository root (default: found from the working directory)")
	results := fs.String("results", "", "folder for the Markdown report (default <repo>/tests/bench/results; - for none)")
	work := fs.String("work", "", "folder for logs, offsets and profiles (default a new temporary folder)")
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
	cfg.ProfileBinary = *profile
	if *env != "" {
		cfg.Env = strings.Fields(*env)
	}
	root := *repo
	if root == "" {
		var err error
		if root, err = bench.FindRepo(); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	home := bench.TestbedHome()
	cfg.Kafka = bench.EnvOr("CONNECTD_TEST_KAFKA", "127.0.0.1:9092")
	cfg.MariaDB = bench.DBFromEnv("CONNECTD_TEST_MARIADB", 3306)
	cfg.Postgres = bench.DBFromEnv("CONNECTD_TEST_POSTGRES", 5432)
	if *work == "" {
		d, err := os.MkdirTemp("", "connectd-bench-memory-")
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		*work = d
	}
	cfg.WorkDir = *work
	cfg.Log = stderr

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m := bench.DescribeMachine(ctx, bench.EnvOr("CONNECTD_TEST_KAFKA_LIBS", filepath.Join(home, "kafka-libs")), root)
	m.Command = "tests/bench/memory " + strings.Join(args, " ")
	fmt.Fprintf(stderr, "bench: logs, offsets and profiles in %s\n", cfg.WorkDir)
	start := time.Now()
	cs, err := bench.RunMemory(ctx, cfg)
	m.LoadEnd = bench.LoadAvg()
	status := 0
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		status = 1
	}
	for _, c := range cs {
		if !c.OK() || c.PeakRSSKiB >= int64(cfg.LimitMiB)<<10 {
			status = 1
		}
	}
	if len(cs) == 0 {
		return 1
	}
	fmt.Fprintln(stdout, bench.MemoryMarkdown(m, cfg, cs))
	if *results != "-" {
		dir := *results
		if dir == "" {
			dir = filepath.Join(root, "tests", "bench", "results")
		}
		path, err := bench.WriteMemoryResults(dir, m, cfg, cs)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "bench: wrote %s (%s)\n", path, time.Since(start).Round(time.Second))
	}
	return status
}
