// Command connectd-pprof is `connectd standalone` with a CPU profile: the same runtime and
// built-in plugins as cmd/connectd, wired the same way, writing a pprof CPU profile to
// $CONNECTD_CPUPROFILE from start-up until the worker stops (SIGTERM), and, when
// $CONNECTD_HEAPPROFILE is set, a heap profile taken each time the live heap reaches a new peak
// (10% above the last one written), so the last one written shows what filled memory at the peak.
// The benchmark harness runs it once to show where connectd's time and memory go; the measured
// runs use the real cmd/connectd.
//
//	CONNECTD_CPUPROFILE=cpu.pprof CONNECTD_HEAPPROFILE=heap.pprof connectd-pprof standalone worker.properties [connector.properties ...]
package main

import (
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
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
	if hp := os.Getenv("CONNECTD_HEAPPROFILE"); hp != "" {
		stop := make(chan struct{})
		done := make(chan struct{})
		go heapPeaks(hp, stop, done)
		defer func() { close(stop); <-done }()
	}

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
	reg, err := plugins.New(bundle.Plugins()...)
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

// heapPeaks polls the live heap (runtime/metrics reads it without stopping the world) and
// rewrites path with a heap profile whenever the heap grew 10% past the last profile's size.
func heapPeaks(path string, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var written uint64
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		live := sample[0].Value.Uint64()
		if live < written+written/10 {
			continue
		}
		tmp := path + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			fmt.Fprintf(os.Stderr, "connectd-pprof: could not write the heap profile: %v\n", err)
			return
		}
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "connectd-pprof: could not write the heap profile: %v\n", err)
			return
		}
		written = live
	}
}
