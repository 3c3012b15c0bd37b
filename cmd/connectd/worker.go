package main

import (
	"errors"
	"io"

	"github.com/connectd/connectd/connect/workerconfig"
)

// runWorker starts the runtime for a validated configuration and blocks until it stops.
func runWorker(cfg *workerconfig.Worker, connectors []map[string]string, stderr io.Writer) error {
	return errors.New(cfg.Mode.String() + " mode: the worker runtime is not implemented yet (configuration is valid)")
}
