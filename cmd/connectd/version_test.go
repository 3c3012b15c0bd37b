package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectd/connectd/cmd/connectd/bundle"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/version"
)

// GET /connector-plugins lists every built-in plugin with connectd's own version, the one
// `connectd version` prints (and the connectors write as source.version), not a Debezium release.
func TestPluginVersionIsConnectdVersion(t *testing.T) {
	reg, err := plugins.New(bundle.Plugins()...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rest.NewServer(rest.Options{Herder: runtime.NewStandaloneHerder(runtime.HerderOptions{Plugins: reg})}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/connector-plugins")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []rest.PluginInfo
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /connector-plugins: %d %v", resp.StatusCode, err)
	}
	if len(list) != len(bundle.Plugins()) {
		t.Fatalf("GET /connector-plugins lists %d plugins, the bundle has %d", len(list), len(bundle.Plugins()))
	}
	for _, p := range list {
		if p.Version != version.String() {
			t.Errorf("plugin %s has version %q, want connectd's %q", p.Class, p.Version, version.String())
		}
	}
	var out strings.Builder
	if run([]string{"version"}, &out, &out) != 0 || out.String() != "connectd "+version.String()+"\n" {
		t.Errorf("connectd version printed %q, want %q", out.String(), "connectd "+version.String()+"\n")
	}
}

// The version set with -ldflags at build time is what the binary prints.
func TestVersionSetAtBuildTime(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "connectd")
	const v = "9.8.7-ldflags"
	build := exec.Command("go", "build", "-o", bin, "-ldflags", "-X github.com/connectd/connectd/connect/version.Version="+v, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || string(out) != "connectd "+v+"\n" {
		t.Fatalf("connectd version = %q (%v), want %q", out, err, "connectd "+v+"\n")
	}
}
