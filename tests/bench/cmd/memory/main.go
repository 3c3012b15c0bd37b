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
	"io"
	"os"
	"strings"

	"github.com/connectd/connectd/tests/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg := bench.DefaultMemoryConfig()
	fs, c := bench.NewCommand("memory", stderr, "report", "logs, offsets and profiles")
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
	if !c.Parse(fs, args, &cfg.DBs) {
		return 2
	}
	cfg.ProfileBinary = *profile
	if *env != "" {
		cfg.Env = strings.Fields(*env)
	}
	ctx, stop, m, ok := c.Start("connectd-bench-memory-", "tests/bench/memory", args)
	if !ok {
		return 1
	}
	defer stop()
	cfg.Kafka, cfg.MariaDB, cfg.Postgres, cfg.WorkDir, cfg.Log = c.Kafka, c.MariaDB, c.Postgres, c.Work, stderr
	cs, err := bench.RunMemory(ctx, cfg)
	return bench.Report(c, m, cs, err, func(mc bench.MemoryCase) bool { return !mc.OK() || mc.PeakRSSKiB >= int64(cfg.LimitMiB)<<10 }, stdout,
		func(m bench.Machine) string { return bench.MemoryMarkdown(m, cfg, cs) },
		func(dir string, m bench.Machine) (string, error) { return bench.WriteMemoryResults(dir, m, cfg, cs) })
}
