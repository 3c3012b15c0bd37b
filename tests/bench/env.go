package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// EnvOr is the environment variable key, or def when it is unset or empty.
func EnvOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// DBFromEnv reads a database's address and credentials from <prefix>_HOST, _PORT, _USER,
// _PASSWORD and _DB (what deploy/testbed/up writes to the test bed's env file).
func DBFromEnv(prefix string, port int) DBConfig {
	c := DBConfig{
		Host:     EnvOr(prefix+"_HOST", "127.0.0.1"),
		Port:     port,
		User:     EnvOr(prefix+"_USER", "connectd"),
		Password: EnvOr(prefix+"_PASSWORD", "connectd"),
		Database: EnvOr(prefix+"_DB", "connectd"),
	}
	if p, err := strconv.Atoi(os.Getenv(prefix + "_PORT")); err == nil {
		c.Port = p
	}
	return c
}

// FindRepo returns the connectd repository holding the working directory.
func FindRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/connectd/connectd\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no connectd go.mod above the working directory; pass --repo")
		}
		dir = parent
	}
}

// TestbedHome is $TESTBED_HOME, by default ~/.cache/connectd-testbed.
func TestbedHome() string {
	if h := os.Getenv("TESTBED_HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return filepath.Join(h, ".cache", "connectd-testbed")
}

// LoadAvg is /proc/loadavg's three averages.
func LoadAvg() string { return loadavg() }

// serverIDFor spreads the MariaDB server ids (184200 + id) of harness runs over namespaces, so
// runs of different namespaces at the same time never take each other's binlog stream.
func serverIDFor(ns string, base int) int {
	h := uint32(2166136261)
	for i := 0; i < len(ns); i++ {
		h = (h ^ uint32(ns[i])) * 16777619
	}
	return base + int(h%4000)*2
}
