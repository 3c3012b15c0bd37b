// Command connectd runs Debezium-compatible source connectors the way Kafka Connect does:
//
//	connectd standalone worker.properties connector1.properties [connector2.properties ...]
//	connectd distributed worker.properties
//	connectd ctl [--url URL] [-o table|json] COMMAND ...
//	connectd tail [--from-beginning] TOPIC
//	connectd version
//	connectd docs properties [-out docs/]
//
// main only parses arguments and wires the runtime together.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/connectd/connectd/cmd/connectd/ctl"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connect/workerconfig"
)

const usage = `usage:
  connectd standalone worker.properties connector.properties [connector.properties ...]
  connectd distributed worker.properties
  connectd ctl [--url URL] [-o table|json] COMMAND ...   (connectd ctl --help)
  connectd tail [--from-beginning] TOPIC                (connectd tail --help)
  connectd version
  connectd docs properties [-out docs/]`

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is not set, for a
// worker running one task; the worker raises it by each further task's buffers
// (runtime.SetMemoryBudget). The runtime bounds what it buffers in bytes (producer.buffer.memory
// of records in flight, max.queue.size.in.bytes queued): with the default buffers a task's live
// heap peaks near 60 MB while a snapshot fills them, and without a limit the collector lets the
// heap grow to twice that. 80 MiB keeps the process under 100 MiB RSS. It is soft: a worker with
// more live data keeps running, collecting more often.
const defaultMemoryLimit = 80 << 20

// defaultGCPercent is GOGC when it is not set. Streaming, the live heap is a few megabytes and
// GOGC=100 collects after every few megabytes allocated; 200 halves the collections there,
// while the memory limit still caps the heap when the buffers are full.
const defaultGCPercent = 200

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		runtime.SetMemoryBudget(defaultMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so tests can drive it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "connectd %s\n", version.String())
		return 0
	case "docs":
		return docsCommand(args[1:], stdout, stderr)
	case "ctl":
		return ctl.Run(args[1:], stdout, stderr)
	case "tail":
		return ctl.Tail(args[1:], stdout, stderr)
	case "help", "--help", "-h":
		fmt.Fprintln(stdout, usage)
		return 0
	case "standalone":
		if len(args) < 2 {
			fmt.Fprintln(stderr, "connectd standalone needs a worker.properties file and at least one connector.properties file\n"+usage)
			return 2
		}
		return start(workerconfig.Standalone, args[1], args[2:], stderr)
	case "distributed":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "connectd distributed needs exactly one worker.properties file\n"+usage)
			return 2
		}
		return start(workerconfig.Distributed, args[1], nil, stderr)
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s\n", args[0], usage)
		return 2
	}
}

func start(mode workerconfig.Mode, workerFile string, connectorFiles []string, stderr io.Writer) int {
	props, err := workerconfig.ReadPropertiesFile(workerFile)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	cfg, problems, err := workerconfig.Parse(props, mode)
	for _, p := range problems {
		level := "warning"
		if p.Error {
			level = "error"
		}
		fmt.Fprintf(stderr, "%s: %s: %s\n", level, workerFile, p.Message)
	}
	if err != nil {
		return 1
	}
	connectors := make([]map[string]string, 0, len(connectorFiles))
	for _, f := range connectorFiles {
		c, err := workerconfig.ReadPropertiesFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return 1
		}
		if c["name"] == "" {
			fmt.Fprintf(stderr, "error: %s: connector properties need a name=... line\n", f)
			return 1
		}
		connectors = append(connectors, c)
	}
	if err := runWorker(cfg, connectors, stderr); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			return int(exit)
		}
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// exitError carries a process exit code through runWorker.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit %d", int(e)) }
