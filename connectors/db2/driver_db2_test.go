//go:build db2

package db2

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRealDriverLoads runs only in builds with the db2 tag: the CLI driver is linked and loaded,
// and a connection to a port where no Db2 listens fails with the CLI driver's communication
// error rather than a missing library or driver.
func TestRealDriverLoads(t *testing.T) {
	if !driverLinked || !slices.Contains(sql.Drivers(), "go_ibm_db") {
		t.Fatal("go_ibm_db is not registered in a db2 build")
	}
	cfg, err := ParseConfig(baseConfig("database.hostname", "127.0.0.1", "database.port", "1"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := sql.Open("go_ibm_db", cfg.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = h.PingContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "SQL30081N") {
		t.Fatalf("ping of a closed port = %v, want the CLI driver's SQL30081N communication error", err)
	}
}
