package speccheck

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/tests/testbed"
)

// classes are the Debezium connector classes connectd implements, with their testdata file.
var classes = []struct{ file, class string }{
	{"mariadb", "io.debezium.connector.mariadb.MariaDbConnector"},
	{"mysql", "io.debezium.connector.mysql.MySqlConnector"},
	{"postgres", "io.debezium.connector.postgresql.PostgresConnector"},
}

// property is one line of a testdata list (tests/speccheck/refresh writes them).
type property struct {
	Name    string  `json:"name"`
	Type    string  `json:"type"`
	Default *string `json:"default"`
	Group   string  `json:"group"`
}

func readList(t *testing.T, file string) []property {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file+".json"))
	if err != nil {
		t.Fatalf("could not read Debezium's property list (run tests/speccheck/refresh): %v", err)
	}
	var ps []property
	if err := json.Unmarshal(b, &ps); err != nil {
		t.Fatalf("testdata/%s.json: %v", file, err)
	}
	if len(ps) < 100 {
		t.Fatalf("testdata/%s.json lists only %d properties; run tests/speccheck/refresh", file, len(ps))
	}
	return ps
}

// specFor is what connectd validates a configuration of class with: Kafka Connect's common
// settings and the plugin's spec.
func specFor(t *testing.T, class string) api.ConfigSpec {
	t.Helper()
	for _, p := range bundle.Plugins() {
		if p.Class == class {
			return append(slices.Clone(runtime.CommonSpec), p.Spec...)
		}
	}
	t.Fatalf("no built-in plugin has class %s", class)
	return nil
}

// checkDeclared fails for each property of ps the spec does not declare, and checks that every
// declared one is honoured or refused with an error that says so.
func checkDeclared(t *testing.T, class string, ps []property) {
	t.Helper()
	spec := specFor(t, class)
	var missing []string
	for _, p := range ps {
		if spec.Key(p.Name) == nil {
			missing = append(missing, fmt.Sprintf("%s (%s, Debezium default %s)", p.Name, p.Type, deref(p.Default)))
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s: connectd's spec does not declare %d of Debezium's properties, so they would be accepted and ignored; "+
			"declare each (honoured, cdcconfig.AtDefault or cdcconfig.Refused):\n  %s", class, len(missing), strings.Join(missing, "\n  "))
	}
	for _, k := range spec {
		if !k.Unsupported {
			continue
		}
		values, n := api.ConfigSpec{k}.Validate(map[string]string{k.Name: "x"})
		if n == 0 || !strings.Contains(strings.Join(values[0].Errors, " "), "not supported by connectd") {
			t.Errorf("%s: refused key %s validates without an error saying it is not supported: %q", class, k.Name, values[0].Errors)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return "'" + *s + "'"
}

// TestSpecDeclaresEveryDebeziumProperty is the completeness check against the committed lists.
func TestSpecDeclaresEveryDebeziumProperty(t *testing.T) {
	for _, c := range classes {
		t.Run(c.file, func(t *testing.T) {
			checkDeclared(t, c.class, readList(t, c.file))
		})
	}
}

// TestAtDefaultKeys shows how a property connectd implements only at Debezium's default
// validates: the default passes, another value is an error naming what is supported.
func TestAtDefaultKeys(t *testing.T) {
	spec := specFor(t, "io.debezium.connector.postgresql.PostgresConnector")
	k := spec.Key("snapshot.locking.mode")
	if k == nil {
		t.Fatal("snapshot.locking.mode is not declared")
	}
	if _, n := (api.ConfigSpec{*k}).Validate(map[string]string{k.Name: "NONE"}); n != 0 {
		t.Errorf("the default (any case) was refused")
	}
	values, n := api.ConfigSpec{*k}.Validate(map[string]string{k.Name: "shared"})
	if n != 1 || !strings.Contains(values[0].Errors[0], "connectd supports only 'none'") {
		t.Errorf("shared: want an error naming the supported value, got %q", values[0].Errors)
	}
}

// TestLiveReferenceWorker fetches the lists afresh from the Debezium reference worker with
// tests/speccheck/refresh (under CI=true only: it may start a worker, which takes a minute) and
// checks them as the committed ones, and that the committed ones are not stale.
func TestLiveReferenceWorker(t *testing.T) {
	if os.Getenv("CI") != "true" {
		t.Skip("runs under CI=true: it runs tests/speccheck/refresh against the Debezium reference worker")
	}
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(testbed.RepoRoot(t), "tests/speccheck/refresh"))
	cmd.Env = append(os.Environ(), "SPECCHECK_OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tests/speccheck/refresh: %v\n%s", err, b)
	}
	for _, c := range classes {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(out, c.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var live []property
			if err := json.Unmarshal(b, &live); err != nil {
				t.Fatal(err)
			}
			checkDeclared(t, c.class, live)
			var names, committed []string
			for _, p := range live {
				names = append(names, p.Name)
			}
			for _, p := range readList(t, c.file) {
				committed = append(committed, p.Name)
			}
			if !slices.Equal(names, committed) {
				t.Errorf("testdata/%s.json differs from the reference worker's list; run tests/speccheck/refresh and commit it", c.file)
			}
		})
	}
}
