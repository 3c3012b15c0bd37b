// Command connectd-pprof is `connectd standalone` with a CPU profile: the same runtime and
// built-in plugins as cmd/connectd, wired the same way, writing a pprof CPU profile to
// $CONNECTD_CPUPROFILE from start-up until the worker stops (SIGTERM). The benchmark harness runs
// it once to show where connectd's time goes; the measured runs use the real cmd/connectd.
//
//	CONNECTD_CPUPROFILE=cpu.pprof connectd-pprof standalone worker.properties [connector.properties ...]
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/builtin"
	"github.com/connectd/connectd/connect/workerconfig"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) < 2 || args[0] != "standalone" {
		fmt.Fprintln(os.Stderr, "usage: CONNECTD_CPUPROFILE=cpu.pprof connectd-pprof standalone worker.properties [connector.properties ...]")
		return 2
	}
	path := os.Getenv("CONNECTD_CPUPROFILE")
	if path == "" {
		fmt.Fprintln(os.Stderr, "error: set CONNECTD_CPUPROFILE to the file the CPU profile goes to")
		return 2
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: could not create the profile file: %v\n", err)
		return 1
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "error: could not start the CPU profile: %v\n", err)
		return 1
	}
	defer pprof.StopCPUProfile()

	props, err := workerconfig.ReadPropertiesFile(args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	cfg, problems, err := workerconfig.Parse(props, workerconfig.Standalone)
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "%s: %s\n", args[1], p.Message)
	}
	if err != nil {
		return 1
	}
	var connectors []map[string]string
	for _, file := range args[2:] {
		c, err := workerconfig.ReadPropertiesFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			return 1
		}
		connectors = append(connectors, c)
	}
	reg, err := plugins.New(builtin.Plugins()...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: the built-in connector plugins are inconsistent: %v\n", err)
		return 1
	}
	if err := runtime.RunProcess(cfg, connectors, reg, "bench-pprof", os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	return 0
}
