package postgres

import (
	"fmt"
	"testing"
	"time"
)

// TestSnapshotDelay: snapshot.delay.ms holds the snapshot back that long after the task starts.
func TestSnapshotDelay(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.t (id int PRIMARY KEY)`, e.schema), fmt.Sprintf(`INSERT INTO %s.t VALUES (1)`, e.schema))
	start := time.Now()
	task := e.start("snapshot.delay.ms", "2000", "slot.drop.on.stop", "true")
	e.poll(task, 1)
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("the snapshot's first record came %v after start, before the 2s snapshot.delay.ms", took)
	}
}
