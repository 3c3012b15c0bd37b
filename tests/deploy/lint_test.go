// Package deploy runs deploy/lint: the container build file, the Kubernetes manifests and the
// systemd unit cannot run on the test bed, so they are checked by linters and schema validation.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/connectd/connectd/tests/testbed"
)

// TestDeployLint fails when a linter finds a problem (or, under CI, when one cannot be installed).
func TestDeployLint(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is needed to install the linters")
		}
		t.Skip("python3 is needed to install the linters")
	}
	root := testbed.RepoRoot(t)
	cmd := exec.Command("bash", filepath.Join(root, "deploy/lint"))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("deploy/lint: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
