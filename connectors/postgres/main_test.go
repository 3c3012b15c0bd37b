package postgres

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain keeps the connector's INFO logs out of test output unless -v is given.
func TestMain(m *testing.M) {
	verbose := false
	for _, a := range os.Args[1:] {
		if a == "-test.v=true" || a == "-test.v" {
			verbose = true
		}
	}
	if !verbose {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	os.Exit(m.Run())
}
