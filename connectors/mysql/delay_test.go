package mysql

import (
	"testing"
	"time"
)

// TestSnapshotDelay: snapshot.delay.ms holds the snapshot back that long after the task starts.
func TestSnapshotDelay(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	start := time.Now()
	r, err := startTask(t, d.config("srvdelay", "table.include.list", d.name+`\.t`, "snapshot.delay.ms", "2000"), &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	r.pollUntil(1)
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("the snapshot's first record came %v after start, before the 2s snapshot.delay.ms", took)
	}
}
