package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/workerconfig"
)

// ExitConnectorConfig is the exit code when a connector given on the command line cannot be
// created (Kafka's ConnectStandalone exits non-zero in that case too).
const ExitConnectorConfig = 3

// RunProcess runs a worker as the process: logs go to stderr (level from CONNECTD_LOG_LEVEL,
// default INFO), SIGTERM and SIGINT shut it down gracefully. It returns once the worker stopped.
func RunProcess(cfg *workerconfig.Worker, connectors []map[string]string, reg *plugins.Registry, version string, stderr io.Writer) error {
	loggers, err := ProcessLoggers(stderr)
	if err != nil {
		return err
	}
	if cfg.Mode == workerconfig.Distributed {
		// The runtime cannot import connect/distributed (it imports the runtime); cmd/connectd
		// calls distributed.RunProcess for this mode.
		return errors.New("RunProcess runs standalone workers; run a distributed worker with distributed.RunProcess")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return RunStandalone(ctx, Options{Config: cfg, Connectors: connectors, Plugins: reg, Version: version, Loggers: loggers})
}

// ProcessLoggers returns the loggers of a worker process, standalone or distributed, writing to
// stderr at the level CONNECTD_LOG_LEVEL names (default INFO), and makes their root logger
// slog's default.
func ProcessLoggers(stderr io.Writer) (*Loggers, error) {
	level := slog.LevelInfo
	if v := os.Getenv("CONNECTD_LOG_LEVEL"); v != "" {
		l, err := ParseLogLevel(v)
		if err != nil {
			return nil, fmt.Errorf("CONNECTD_LOG_LEVEL: %w", err)
		}
		level = l
	}
	// The handler logs everything; the Loggers decide per logger what passes.
	base := slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug - 8})
	loggers := NewLoggers(base, level)
	slog.SetDefault(loggers.Logger("root"))
	return loggers, nil
}
