package runtime

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestLoggerLevelsByNamespace(t *testing.T) {
	var out bytes.Buffer
	l := NewLoggers(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug - 8}), slog.LevelInfo)
	task := l.Logger("io.connectd.runtime.WorkerSourceTask")
	rest := l.Logger("io.connectd.rest.RestServer")

	task.Debug("hidden at INFO")
	if out.Len() != 0 {
		t.Fatalf("a DEBUG record passed at INFO: %s", out.String())
	}
	affected, err := l.SetLevel("io.connectd.runtime", "debug")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(affected, []string{"io.connectd.runtime", "io.connectd.runtime.WorkerSourceTask"}) {
		t.Errorf("affected = %v", affected)
	}
	task.Debug("now visible")
	rest.Debug("still hidden")
	if s := out.String(); !strings.Contains(s, "now visible") || strings.Contains(s, "still hidden") || !strings.Contains(s, "logger=io.connectd.runtime.WorkerSourceTask") {
		t.Errorf("output: %s", s)
	}
	if lvl, ok := l.Level("io.connectd.runtime.WorkerSourceTask"); !ok || lvl.Level != "DEBUG" || lvl.LastModified == nil {
		t.Errorf("effective level = %+v %v", lvl, ok)
	}
	if _, ok := l.Level("org.example.Unknown"); ok {
		t.Error("an unknown logger was found")
	}
	if _, err := l.SetLevel("root", "LOUD"); err == nil || err.Error() != "invalid log level 'LOUD'." {
		t.Errorf("bad level: %v", err)
	}
	// Setting root resets the namespaces under it.
	if _, err := l.SetLevel("root", "ERROR"); err != nil {
		t.Fatal(err)
	}
	if lv := l.Levels(); len(lv) != 1 || lv["root"].Level != "ERROR" {
		t.Errorf("levels after setting root = %v", lv)
	}
}
