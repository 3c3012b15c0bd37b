// Command connectd-test is connectd with the test-only generator connector registered beside the
// product's plugins, for black-box tests: `connectd-test standalone worker.properties
// [connector.properties ...]` or `connectd-test distributed worker.properties`. The product binary
// (cmd/connectd) never contains the generator.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/distributed"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/tests/generator"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) < 2 || args[0] != "standalone" && (args[0] != "distributed" || len(args) != 2) {
		fmt.Fprintln(os.Stderr, "usage: connectd-test standalone worker.properties [connector.properties ...]\n       connectd-test distributed worker.properties")
		return 2
	}
	mode := workerconfig.Standalone
	if args[0] == "distributed" {
		mode = workerconfig.Distributed
	}
	props, err := workerconfig.ReadPropertiesFile(args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	cfg, problems, err := workerconfig.Parse(props, mode)
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "%s: %s\n", map[bool]string{true: "error", false: "warning"}[p.Error], p.Message)
	}
	if err != nil {
		return 1
	}
	var connectors []map[string]string
	for _, f := range args[2:] {
		c, err := workerconfig.ReadPropertiesFile(f)
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			return 1
		}
		connectors = append(connectors, c)
	}
	reg, err := plugins.New(append(bundle.Plugins(), generator.Plugin())...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	if mode == workerconfig.Distributed {
		err = distributed.RunProcess(cfg, reg, "test", os.Stderr)
	} else {
		err = runtime.RunProcess(cfg, connectors, reg, "test", os.Stderr)
	}
	var cerr *runtime.ConnectorConfigError
	if errors.As(err, &cerr) {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return runtime.ExitConnectorConfig
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	return 0
}
