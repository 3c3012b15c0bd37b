// Command eos runs the exactly-once benchmark (package tests/bench, RunEOS): the same snapshot and
// catch-up workload through a distributed connectd worker with exactly-once source support
// (exactly.once.source.support=enabled, exactly.once.support=required) and without, and writes a
// Markdown report of events/s and CPU per event of both to tests/bench/results/<date>-eos.md.
// tests/bench/eos builds the binaries and calls it:
//
//	tests/bench/eos [--db mariadb|postgres|both] [--rows N] [--events N] [--repeat N] [flags]
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
	cfg := bench.DefaultEOSConfig()
	fs := flag.NewFlagSet("eos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "both", "database to run: mariadb, postgres or both")
	fs.IntVar(&cfg.Rows, "rows", cfg.Rows, "rows preloaded for the snapshot phase")
	fs.IntVar(&cfg.Events, "events", cfg.Events, "change events of the catch-up backlog")
	fs.IntVar(&cfg.Repeat, "repeat", cfg.Repeat, "runs of each mode, alternating; the summary uses the median")
	fs.StringVar(&cfg.Boundary, "boundary", cfg.Boundary, "transaction.boundary under exactly-once: poll or interval")
	fs.StringVar(&cfg.Connectd, "connectd", "", "connectd binary (go build ./cmd/connectd)")
	fs.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "prefix of the run's database, schema, topics, groups, connectors and slots")
	fs.DurationVar(&cfg.Stall, "stall", cfg.Stall, "fail a phase whose records stop for this long")
	repo := fs.String("repo", "", "repository root (default: found from the working directory)")
	results := fs.String("results", "", "folder for the Markdown report (default <repo>/tests/bench/results; - for none)")
	work := fs.String("work", "", "folder for logs (default a new temporary folder)")
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
	if cfg.Rows < 1 || cfg.Events < 1 || cfg.Repeat < 1 {
		fmt.Fprintln(stderr, "--rows, --events and --repeat must be at least 1")
		return 2
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
		d, err := os.MkdirTemp("", "connectd-bench-eos-")
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
	m.Command = "tests/bench/eos " + strings.Join(args, " ")
	fmt.Fprintf(stderr, "bench: logs in %s\n", cfg.WorkDir)
	start := time.Now()
	rs, err := bench.RunEOS(ctx, cfg)
	m.LoadEnd = bench.LoadAvg()
	status := 0
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		status = 1
	}
	for _, r := range rs {
		if r.Err != "" {
			status = 1
		}
	}
	if len(rs) == 0 {
		return 1
	}
	fmt.Fprintln(stdout, bench.EOSMarkdown(m, cfg, rs))
	if *results != "-" {
		dir := *results
		if dir == "" {
			dir = filepath.Join(root, "tests", "bench", "results")
		}
		path, err := bench.WriteEOSResults(dir, m, cfg, rs)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "bench: wrote %s (%s)\n", path, time.Since(start).Round(time.Second))
	}
	return status
}
