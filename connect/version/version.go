// Package version is connectd's own version and the revision it was built from: what `connectd
// version` prints, GET / reports, GET /connector-plugins lists for every built-in plugin and the
// connectors write as source.version, so a consumer can tell which program wrote an event.
//
// It imports nothing of the project, so every layer (connectors included) may read it.
package version

import (
	"runtime/debug"
	"sync"
)

// Version is set at build time:
//
//	go build -ldflags "-X github.com/connectd/connectd/connect/version.Version=1.4.0" ./cmd/connectd
//
// Left empty, String falls back to the module version Go recorded (a tagged `go install`) and
// then to Dev.
var Version string

// Dev is the version of a build that was given none and has no module version (a plain `go build`
// or `go test` in a checkout).
const Dev = "0.0.0-dev"

var resolved = sync.OnceValue(func() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
	}
	return Dev
})

// String returns connectd's version: Version when set at build time, else the module version Go
// recorded, else Dev.
func String() string { return resolved() }

// Commit returns the VCS revision the binary was built from, or "unknown" when Go did not record
// one (a build outside a checkout, or go test).
func Commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
