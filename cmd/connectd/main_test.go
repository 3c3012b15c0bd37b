package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "worker.properties")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadWorkerPropertiesOneLineEach(t *testing.T) {
	cases := []struct {
		mode, body, want string
	}{
		{"distributed", "group.id=g\nconfig.storage.topic=c\noffset.storage.topic=o\nstatus.storage.topic=s\n", "bootstrap.servers"},
		{"distributed", "bootstrap.servers=127.0.0.1:9092\ngroup.id=g\nconfig.storage.topic=c\noffset.storage.topic=o\nstatus.storage.topic=s\nlisteners=http://:eighty\n", "is not a number"},
		{"distributed", "bootstrap.servers=127.0.0.1:9092\ngroup.id=g\nconfig.storage.topic=c\noffset.storage.topic=o\nstatus.storage.topic=s\nkey.converter=io.example.MyConverter\n", "key.converter"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		args := []string{c.mode, writeFile(t, c.body)}
		if code := run(args, &out, &errb); code == 0 {
			t.Fatalf("%q: exit 0, want non-zero", c.body)
		}
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], c.want) || !strings.HasPrefix(lines[0], "error: ") {
			t.Errorf("stderr = %q, want one error line naming %q", errb.String(), c.want)
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if run([]string{"version"}, &out, &errb) != 0 || !strings.HasPrefix(out.String(), "connectd ") {
		t.Fatalf("version: %q %q", out.String(), errb.String())
	}
	if run([]string{"frobnicate"}, &out, &errb) != 2 {
		t.Fatal("unknown command must exit 2")
	}
}
