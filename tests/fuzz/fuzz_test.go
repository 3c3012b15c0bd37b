// Package fuzz runs every Go fuzz target of the repository for a bounded time (tests/fuzz/run),
// so CI fuzzes on each run besides replaying the committed corpora that `go test` always runs.
package fuzz

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/connectd/connectd/tests/testbed"
)

// TestFuzzTargets runs tests/fuzz/run with CONNECTD_FUZZ_SECONDS per target (default 3). It runs
// under CI=true or when CONNECTD_FUZZ_SECONDS is set, and is skipped otherwise: a developer's
// `go test ./...` should not spend minutes fuzzing.
func TestFuzzTargets(t *testing.T) {
	secs := os.Getenv("CONNECTD_FUZZ_SECONDS")
	if secs == "" {
		if os.Getenv("CI") != "true" {
			t.Skip("set CONNECTD_FUZZ_SECONDS (or CI=true) to fuzz every target")
		}
		secs = "3"
	}
	if n, err := strconv.Atoi(secs); err != nil || n < 1 {
		t.Fatalf("CONNECTD_FUZZ_SECONDS=%q: want a positive number of seconds", secs)
	}
	root := testbed.RepoRoot(t)
	cmd := exec.Command("bash", filepath.Join(root, "tests/fuzz/run"), secs)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tests/fuzz/run %s: %v\n%s", secs, err, out)
	}
	t.Logf("%s", out)
}
