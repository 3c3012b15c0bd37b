package diff

import (
	"os"
	"path/filepath"
	"testing"
)

// referenceDirs are the dumps tests/compat/capture-debezium commits.
var referenceDirs = []string{"mariadb/schemas", "mariadb/plain", "postgres/schemas", "postgres/plain"}

func loadReference(t *testing.T, dir string) *Dump {
	t.Helper()
	p := filepath.Join("..", "reference", dir)
	if _, err := os.Stat(filepath.Join(p, ManifestFile)); err != nil {
		t.Fatalf("reference dump %s is missing; run tests/compat/capture-debezium: %v", p, err)
	}
	d, err := LoadDump(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestReferenceAgainstItself is the smoke test of the tool on Debezium's real output: a dump
// equals itself with no rule at all, and every file the manifest lists was loaded whole.
func TestReferenceAgainstItself(t *testing.T) {
	for _, dir := range referenceDirs {
		t.Run(dir, func(t *testing.T) {
			d := loadReference(t, dir)
			total := 0
			for name, want := range d.Manifest.Records {
				got := 0
				for logical, rs := range d.Topics {
					if d.fileName(logical) == name {
						got = len(rs)
					}
				}
				if got != want {
					t.Errorf("%s: loaded %d records, the manifest says %d", name, got, want)
				}
				total += want
			}
			if total == 0 {
				t.Fatal("the reference dump is empty")
			}
			rep := Compare(d, d, nil)
			if rep.HasDifferences() || len(rep.Allowed) > 0 {
				t.Errorf("a dump differs from itself: %+v", rep.Differences)
			}
		})
	}
}

// TestReferenceWithAndWithoutSchemas compares the two Debezium connectors of one capture (same
// database changes; one with JsonConverter schemas, one without, under different prefixes) under
// the shipped rules for different runs (different-run.json, since the two snapshots ran one after
// the other): their payloads must be equal once the prefix, the run's clock, the run id
// and, on PostgreSQL, each slot's own LSNs are normalised. This exercises the rules on real
// Debezium output the way a connectd comparison will.
func TestReferenceWithAndWithoutSchemas(t *testing.T) {
	rules, err := LoadRules(filepath.Join("..", "allowed-differences.json"), filepath.Join("..", "different-run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rules.Add(Rule{ID: "ignore-schemas", Paths: []string{"key.$schema", "value.$schema"}, Check: CheckIgnore, Reason: "one side is written without schemas"}); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"mariadb", "postgres"} {
		t.Run(db, func(t *testing.T) {
			plain, schemas := loadReference(t, db+"/plain"), loadReference(t, db+"/schemas")
			rep := Compare(plain, schemas, rules)
			if rep.HasDifferences() {
				t.Errorf("%d differences, first: %+v", len(rep.Differences), rep.Differences[0])
			}
			if rep.Allowed["ignore-schemas"] == 0 || rep.Allowed["processing-time"] == 0 {
				t.Errorf("the comparison did not look at the schemas and timestamps: %v", rep.Allowed)
			}
			// Without rules, the two differ: the check above is not vacuous.
			if rep := Compare(plain, schemas, nil); !rep.HasDifferences() {
				t.Error("plain and schemas dumps compare equal without any rule")
			}
		})
	}
}

// TestSecondRunAgainstReference compares a second, independent capture of the same workloads
// (testdata/second-run, taken while other tests wrote to the same MariaDB server) with the
// committed reference under the shipped rules, different-run.json and shared-server.json: run-to-run differences
// (clock, binlog coordinates, GTIDs, LSNs, run ids, other clients' transactions) must all be
// covered by a rule, and nothing else may differ. This is the situation of a connectd run
// compared with Debezium's reference.
func TestSecondRunAgainstReference(t *testing.T) {
	rules, err := LoadRules(filepath.Join("..", "allowed-differences.json"), filepath.Join("..", "different-run.json"), filepath.Join("..", "shared-server.json"))
	if err != nil {
		t.Fatal(err)
	}
	for run, ref := range map[string]string{"mariadb-plain": "mariadb/plain", "postgres-schemas": "postgres/schemas"} {
		t.Run(run, func(t *testing.T) {
			second, err := LoadDump(filepath.Join("testdata", "second-run", run))
			if err != nil {
				t.Fatal(err)
			}
			rep := Compare(second, loadReference(t, ref), rules)
			if rep.HasDifferences() {
				t.Errorf("%d differences, first: %+v", len(rep.Differences), rep.Differences[0])
			}
			if rep.Allowed["event-time"] == 0 || rep.Allowed["transaction-id"] == 0 {
				t.Errorf("the runs should differ in time and transaction ids: %v", rep.Allowed)
			}
		})
	}
}
