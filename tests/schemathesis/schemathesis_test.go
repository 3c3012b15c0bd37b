// Package schemathesis runs Schemathesis against a worker's REST API: generated requests for
// every operation of the document the worker serves at /openapi.json, no 5xx, and every response
// as the document declares it.
package schemathesis

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// TestSchemathesis runs tests/schemathesis/run, which installs the pinned Schemathesis from PyPI
// on first use, against an in-process standalone worker. When python3 or Schemathesis is missing
// and cannot be installed the test is skipped, except under CI, where that fails it.
func TestSchemathesis(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is needed to install Schemathesis")
		}
		t.Skip("python3 is needed to install Schemathesis")
	}
	w := e2e.StartWorker(t, testbed.Topic(t, "offsets"))
	root := testbed.RepoRoot(t)
	cmd := exec.Command("bash", filepath.Join(root, "tests/schemathesis/run"), w.URL,
		"--report", "junit", "--report-junit-path", filepath.Join(t.TempDir(), "junit.xml"))
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Schemathesis is missing and could not be installed:\n%s", out)
		}
		t.Skipf("Schemathesis is missing and could not be installed:\n%s", out)
	}
	if err != nil {
		t.Fatalf("schemathesis found problems (%v):\n%s", err, out)
	}
	t.Logf("%s", out)
}
