package bench

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/testbed"
)

// harnessTest is what a test that runs the harness on the test bed starts from: the test bed's
// addresses, a connectd built from the repository, a work folder, and the log and stall timeout
// of a test run.
type harnessTest struct {
	t                 *testing.T
	root              string // the repository
	connectd          string // the binary built from root's ./cmd/connectd
	kafka             string
	mariadb, postgres DBConfig // postgres only when asked for
	workDir           string
	stall             time.Duration
	log               io.Writer
}

// newHarnessTest takes the test bed's Kafka, MariaDB and (with postgres) PostgreSQL, skipping t
// as testbed does when one is missing, and builds connectd; a failed build fails t.
func newHarnessTest(t *testing.T, postgres bool) *harnessTest {
	t.Helper()
	h := &harnessTest{t: t, kafka: testbed.Kafka(t), mariadb: dbConfig(testbed.MariaDB(t))}
	if postgres {
		h.postgres = dbConfig(testbed.Postgres(t))
	}
	h.root = testbed.RepoRoot(t)
	h.connectd = filepath.Join(t.TempDir(), "connectd")
	build := exec.Command("go", "build", "-o", h.connectd, "./cmd/connectd")
	build.Dir = h.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/connectd: %v\n%s", err, out)
	}
	h.workDir, h.stall, h.log = t.TempDir(), 60*time.Second, testWriter{t}
	return h
}

// context is a context that ends after timeout or with the test, whichever is first; when the
// test ends, cleanup runs after that, and its error fails the test.
func (h *harnessTest) context(timeout time.Duration, cleanup func(context.Context) error) context.Context {
	h.t.Cleanup(func() {
		if err := cleanup(context.Background()); err != nil {
			h.t.Errorf("cleanup: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	h.t.Cleanup(cancel) // first: cleanups run last-registered first
	return ctx
}

// testNamespace is prefix with a suffix from the clock: a namespace of the test's own, so a
// benchmark running beside the test is never touched.
func testNamespace(prefix string) string {
	return prefix + strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)
}

// dbConfig is the test bed's database d as the harness's DBConfig.
func dbConfig(d testbed.DB) DBConfig {
	return DBConfig{Host: d.Host, Port: d.Port, User: d.User, Password: d.Password, Database: d.Database}
}

// testWriter logs what the harness writes to t.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
