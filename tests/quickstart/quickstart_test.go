// Package quickstart runs deploy/quickstart/run on the test bed, as a new user would, and checks
// that what it prints is true: the snapshot reads, the changes of both databases, and the events
// replayed after the CLI moved the MariaDB connector's offset back.
package quickstart

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/testbed"
)

// section returns the lines printed after the header line starting with "== "+start, up to the
// next header.
func section(out, start string) []string {
	var lines []string
	in := false
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "== ") {
			in = strings.HasPrefix(l, "== "+start)
			continue
		}
		if in {
			lines = append(lines, l)
		}
	}
	return lines
}

var event = regexp.MustCompile(`^(?:\[(\S+)\] )?\d+/\d+\s+(r|c|u|d|tombstone)\s+(\{"id":\d+\})(.*)$`)

// events lists "op key" of the event lines among lines, by topic ("" when a line has none).
func events(lines []string) map[string][]string {
	got := map[string][]string{}
	for _, l := range lines {
		m := event.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		e := m[2] + " " + m[3]
		if m[2] == "r" {
			if i := strings.Index(m[4], "snapshot="); i >= 0 {
				e += " " + strings.TrimRight(strings.Fields(m[4][i:])[0], "]")
			}
		}
		if m[2] == "u" {
			e += strings.TrimRight(m[4][strings.Index(m[4], "]")+1:], " ")
		}
		got[m[1]] = append(got[m[1]], e)
	}
	return got
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func need(t *testing.T, tools ...string) {
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed by deploy/quickstart/run and is not installed", tool)
			}
			t.Skipf("%s is needed by deploy/quickstart/run and is not installed", tool)
		}
	}
}

func runQuickstart(t *testing.T, root string, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "deploy/quickstart/run")}, args...)...)
	cmd.Dir = root
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("deploy/quickstart/run %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("deploy/quickstart/run %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestQuickstart runs the quickstart twice (a re-run must be harmless and tell the same story)
// and checks the second run's output.
func TestQuickstart(t *testing.T) {
	testbed.Kafka(t)
	testbed.MariaDB(t)
	testbed.Postgres(t)
	need(t, "bash", "curl", "mysql", "psql", "kcat", "go")
	root := testbed.RepoRoot(t)
	t.Cleanup(func() {
		// A slot left behind would keep every WAL segment on a test bed that stays up.
		runQuickstart(t, root, "clean")
		cmd := exec.Command("psql", "-h127.0.0.1", "-p5432", "-Uconnectd", "-dconnectd", "-Atc",
			"SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'quickstart_inventory'")
		cmd.Env = append(os.Environ(), "PGPASSWORD=connectd")
		if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "0" {
			t.Errorf("after deploy/quickstart/run clean the slot quickstart_inventory should be gone: %v %s", err, out)
		}
	})
	runQuickstart(t, root)
	out := runQuickstart(t, root)

	const my, pg = "quickstart.inventory.customers", "quickstartpg.inventory.customers"
	snaps := section(out, "the snapshots")
	var mySnap, pgSnap []string
	cur := &mySnap
	for _, l := range snaps {
		if strings.Contains(l, "(PostgreSQL)") {
			cur = &pgSnap
		}
		*cur = append(*cur, l)
	}
	wantSnap := []string{`r {"id":1001} snapshot=first`, `r {"id":1002} snapshot=last`}
	if got := events(mySnap)[""]; !equal(got, wantSnap) {
		t.Errorf("MariaDB snapshot reads %q, want %q\n%s", got, wantSnap, out)
	}
	if got := events(pgSnap)[""]; !equal(got, wantSnap) {
		t.Errorf("PostgreSQL snapshot reads %q, want %q\n%s", got, wantSnap, out)
	}

	wantChanges := []string{
		`c {"id":1003}`,
		`u {"id":1001}  email: "sally.thomas@acme.com" -> "sally@acme.com"`,
		`d {"id":1002}`,
		`tombstone {"id":1002}`,
	}
	live := events(section(out, "change rows"))
	for _, topic := range []string{my, pg} {
		if !equal(live[topic], wantChanges) {
			t.Errorf("events of %s as they arrived: %q, want %q\n%s", topic, live[topic], wantChanges, out)
		}
	}

	rewind := strings.Join(section(out, "rewind the MariaDB connector"), "\n")
	if !regexp.MustCompile(`as of \S+: the offsets committed at \S+`).MatchString(rewind) ||
		!strings.Contains(rewind, "The offsets for this connector have been altered successfully") {
		t.Errorf("the rewind did not say which offsets it set:\n%s", out)
	}
	if replay := events(section(out, "the replayed events"))[""]; !equal(replay, wantChanges) {
		t.Errorf("replayed events %q, want exactly %q\n%s", replay, wantChanges, out)
	}
	if !strings.Contains(out, "Stop it with: deploy/quickstart/run stop") {
		t.Errorf("the quickstart does not say how to stop it:\n%s", out)
	}
}
