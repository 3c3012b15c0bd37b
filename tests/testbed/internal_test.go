package testbed

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	content := `# Written by deploy/testbed/up
export CONNECTD_TEST_KAFKA=127.0.0.1:9092
export CONNECTD_TEST_KAFKA_LIBS='/tmp/with space/kafka-libs'
CONNECTD_TEST_POSTGRES_PORT="5432"

not a setting
export CONNECTD_TEST_MARIADB_PASSWORD=a=b
`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	ef := readEnvFile(path)
	if ef.err != nil {
		t.Fatalf("readEnvFile: %v", ef.err)
	}
	want := map[string]string{
		"CONNECTD_TEST_KAFKA":            "127.0.0.1:9092",
		"CONNECTD_TEST_KAFKA_LIBS":       "/tmp/with space/kafka-libs",
		"CONNECTD_TEST_POSTGRES_PORT":    "5432",
		"CONNECTD_TEST_MARIADB_PASSWORD": "a=b",
	}
	if len(ef.values) != len(want) {
		t.Errorf("got %d values %v, want %d", len(ef.values), ef.values, len(want))
	}
	for k, v := range want {
		if ef.values[k] != v {
			t.Errorf("%s = %q, want %q", k, ef.values[k], v)
		}
	}
}

func TestReadEnvFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent")
	ef := readEnvFile(path)
	if ef.err == nil || !strings.Contains(ef.err.Error(), path) {
		t.Fatalf("error %v should name the missing file %s", ef.err, path)
	}
}

func TestTopic(t *testing.T) {
	a := Topic(t, "cdc")
	b := Topic(t, "cdc")
	if a == b {
		t.Fatalf("two calls returned the same topic %q", a)
	}
	if !strings.HasPrefix(a, "cdc-TestTopic-") {
		t.Errorf("topic %q should start with the prefix and the test name", a)
	}
	t.Run("sub test/with odd chars é", func(t *testing.T) {
		long := Topic(t, strings.Repeat("p", 300))
		for _, name := range []string{long, Topic(t, "")} {
			if len(name) > 249 {
				t.Errorf("topic %q is %d characters; Kafka allows 249", name, len(name))
			}
			for _, r := range name {
				if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
					t.Errorf("topic %q has %q, which Kafka rejects", name, r)
				}
			}
		}
	})
}

func TestDBAddr(t *testing.T) {
	for _, tc := range []struct {
		db   DB
		want string
	}{
		{DB{Host: "127.0.0.1", Port: 5432}, "127.0.0.1:5432"},
		{DB{Host: "::1", Port: 3306}, "[::1]:3306"},
	} {
		if got := tc.db.Addr(); got != tc.want {
			t.Errorf("Addr() = %q, want %q", got, tc.want)
		}
	}
}

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "deploy", "testbed", "up")); err != nil {
		t.Fatalf("RepoRoot() = %s, which has no deploy/testbed/up: %v", root, err)
	}
}

// recordingTB records how a helper ended the test; Skipf and Fatalf stop the goroutine as the
// real ones do.
type recordingTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = format
	runtime.Goexit()
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = format
	runtime.Goexit()
}

func runHelper(tb *recordingTB, f func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(tb)
	}()
	<-done
}

func TestUnreachableServiceSkipsOutsideCIAndFailsInCI(t *testing.T) {
	// Port 1 on loopback: nothing listens there, so the dial is refused at once.
	t.Setenv("CONNECTD_TEST_KAFKA", "127.0.0.1:1")

	t.Setenv("CI", "")
	tb := &recordingTB{TB: t}
	runHelper(tb, func(tb testing.TB) { Kafka(tb) })
	if tb.skipped == "" || tb.fatal != "" {
		t.Errorf("outside CI: skipped=%q fatal=%q, want a skip", tb.skipped, tb.fatal)
	}
	if !strings.Contains(tb.skipped, "deploy/testbed/up") {
		t.Errorf("skip message %q should say how to start the test bed", tb.skipped)
	}

	t.Setenv("CI", "true")
	tb = &recordingTB{TB: t}
	runHelper(tb, func(tb testing.TB) { Kafka(tb) })
	if tb.fatal == "" || tb.skipped != "" {
		t.Errorf("under CI=true: skipped=%q fatal=%q, want a failure", tb.skipped, tb.fatal)
	}
}
