package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/distributed"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connect/workerconfig"
)

// runWorker starts the runtime for a validated configuration and blocks until it stops
// (SIGTERM/SIGINT shut it down gracefully).
func runWorker(cfg *workerconfig.Worker, connectors []map[string]string, stderr io.Writer) error {
	reg, err := plugins.New(bundle.Plugins()...)
	if err != nil {
		return fmt.Errorf("the built-in connector plugins are inconsistent: %w", err)
	}
	if cfg.Mode == workerconfig.Distributed {
		err = distributed.RunProcess(cfg, reg, version.String(), stderr)
	} else {
		err = runtime.RunProcess(cfg, connectors, reg, version.String(), stderr)
	}
	var cerr *runtime.ConnectorConfigError
	if errors.As(err, &cerr) {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitError(runtime.ExitConnectorConfig)
	}
	return err
}
