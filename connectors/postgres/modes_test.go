package postgres

import (
	"fmt"
	"testing"
	"time"
)

// TestNoDataOnTablesWithRows: snapshot.mode=no_data, and its older name schema_only, read no row
// of tables that already hold rows, and streaming starts where the slot was created: a change
// made before the start is not emitted, one made once the task streams is; restarted on its
// offset, the task continues from there with what changed while it was stopped.
func TestNoDataOnTablesWithRows(t *testing.T) {
	for _, mode := range []string{"no_data", "schema_only"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			e.exec(fmt.Sprintf(`CREATE TABLE %[1]s.items (id int PRIMARY KEY, v text);
				INSERT INTO %[1]s.items VALUES (1, 'a'), (2, 'b'), (3, 'c')`, e.schema))
			e.exec(fmt.Sprintf(`UPDATE %s.items SET v = 'before' WHERE id = 1`, e.schema))
			task := e.start("snapshot.mode", mode)
			e.waitStreaming(task)
			e.exec(fmt.Sprintf(`INSERT INTO %s.items VALUES (10, 'after')`, e.schema),
				fmt.Sprintf(`UPDATE %s.items SET v = 'after' WHERE id = 2`, e.schema))
			recs := e.poll(task, 2)
			c, u := decode(recs[0]), decode(recs[1])
			if c.op != "c" || c.after["id"] != int32(10) || u.op != "u" || u.after["id"] != int32(2) || u.after["v"] != "after" {
				t.Fatalf("first events, want c 10 and u 2: a row was read or a change before the start streamed:%s", describe(recs))
			}
			e.quiet(task, 500*time.Millisecond)
			e.commit(task, recs)
			if err := task.Stop(); err != nil {
				t.Fatal(err)
			}

			e.exec(fmt.Sprintf(`INSERT INTO %s.items VALUES (20, 'stopped')`, e.schema))
			task = e.start("snapshot.mode", mode)
			recs = e.poll(task, 1)
			if d := decode(recs[0]); d.op != "c" || d.after["id"] != int32(20) {
				t.Fatalf("after the restart, want c 20:%s", describe(recs))
			}
			e.quiet(task, 500*time.Millisecond)
		})
	}
}
