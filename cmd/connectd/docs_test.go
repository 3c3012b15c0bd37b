package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The committed property reference is what `connectd docs properties` writes today: a spec change
// without regenerating the pages fails here.
func TestPropertyDocsUpToDate(t *testing.T) {
	var out, errb bytes.Buffer
	tmp := t.TempDir()
	if code := run([]string{"docs", "properties", "-out", tmp}, &out, &errb); code != 0 {
		t.Fatalf("connectd docs properties: exit %d: %s", code, errb.String())
	}
	committed := filepath.Join("..", "..", "docs", propertiesDir)
	want, err := os.ReadDir(filepath.Join(tmp, propertiesDir))
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadDir(committed)
	if err != nil {
		t.Fatalf("the property reference is not committed (%v); run: go run ./cmd/connectd docs properties -out docs/", err)
	}
	names := func(es []os.DirEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	if !slices.Equal(names(want), names(have)) {
		t.Fatalf("docs/%s holds %v, the generator writes %v; run: go run ./cmd/connectd docs properties -out docs/ (and delete stale pages)", propertiesDir, names(have), names(want))
	}
	for _, n := range names(want) {
		gen, _ := os.ReadFile(filepath.Join(tmp, propertiesDir, n))
		cur, _ := os.ReadFile(filepath.Join(committed, n))
		if !bytes.Equal(gen, cur) {
			t.Errorf("docs/%s/%s is stale; run: go run ./cmd/connectd docs properties -out docs/", propertiesDir, n)
		}
	}
	// Every property of every page is in the table, with its type.
	mysql, _ := os.ReadFile(filepath.Join(committed, "MySqlConnector.md"))
	if !strings.Contains(string(mysql), "| `database.hostname` | STRING | *required* |") {
		t.Errorf("MySqlConnector.md lacks the database.hostname row")
	}
}

func TestDocsUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if run([]string{"docs"}, &out, &errb) != 2 || !strings.Contains(errb.String(), "connectd docs properties") {
		t.Fatalf("connectd docs without a topic: %q", errb.String())
	}
}
