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
	"fmt"
	"io"
	"os"

	"github.com/connectd/connectd/tests/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg := bench.DefaultEOSConfig()
	fs, c := bench.NewCommand("eos", stderr, "report", "logs")
	fs.IntVar(&cfg.Rows, "rows", cfg.Rows, "rows preloaded for the snapshot phase")
	fs.IntVar(&cfg.Events, "events", cfg.Events, "change events of the catch-up backlog")
	fs.IntVar(&cfg.Repeat, "repeat", cfg.Repeat, "runs of each mode, alternating; the summary uses the median")
	fs.StringVar(&cfg.Boundary, "boundary", cfg.Boundary, "transaction.boundary under exactly-once: poll or interval")
	fs.StringVar(&cfg.Connectd, "connectd", "", "connectd binary (go build ./cmd/connectd)")
	fs.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "prefix of the run's database, schema, topics, groups, connectors and slots")
	fs.DurationVar(&cfg.Stall, "stall", cfg.Stall, "fail a phase whose records stop for this long")
	if !c.Parse(fs, args, &cfg.DBs) {
		return 2
	}
	if cfg.Rows < 1 || cfg.Events < 1 || cfg.Repeat < 1 {
		fmt.Fprintln(stderr, "--rows, --events and --repeat must be at least 1")
		return 2
	}
	ctx, stop, m, ok := c.Start("connectd-bench-eos-", "tests/bench/eos", args)
	if !ok {
		return 1
	}
	defer stop()
	cfg.Kafka, cfg.MariaDB, cfg.Postgres, cfg.WorkDir, cfg.Log = c.Kafka, c.MariaDB, c.Postgres, c.Work, stderr
	rs, err := bench.RunEOS(ctx, cfg)
	return bench.Report(c, m, rs, err, func(r bench.EOSResult) bool { return r.Err != "" }, stdout,
		func(m bench.Machine) string { return bench.EOSMarkdown(m, cfg, rs) },
		func(dir string, m bench.Machine) (string, error) { return bench.WriteEOSResults(dir, m, cfg, rs) })
}
