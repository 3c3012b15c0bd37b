package postgres

import (
	"fmt"
	"testing"
)

// TestMessageKeyColumns: message.key.columns keys a table without a primary key (REPLICA
// IDENTITY FULL) and replaces another table's primary key, in snapshot and streamed events.
func TestMessageKeyColumns(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s.nokey (code text NOT NULL, v int)`, e.schema),
		fmt.Sprintf(`ALTER TABLE %s.nokey REPLICA IDENTITY FULL`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.nokey VALUES ('a', 1)`, e.schema),
		fmt.Sprintf(`CREATE TABLE %s.withpk (id int PRIMARY KEY, tenant int NOT NULL, v int)`, e.schema),
		fmt.Sprintf(`INSERT INTO %s.withpk VALUES (1, 7, 1)`, e.schema))
	task := e.start("message.key.columns", e.schema+`\.nokey:code;`+e.schema+`\.withpk:tenant,id`, "slot.drop.on.stop", "true")
	recs := e.poll(task, 2)
	e.waitStreaming(task)
	e.exec(fmt.Sprintf(`INSERT INTO %s.nokey VALUES ('b', 2)`, e.schema),
		fmt.Sprintf(`UPDATE %s.withpk SET v = 2 WHERE id = 1`, e.schema))
	recs = append(recs, e.poll(task, 2)...)
	keys := map[string][]map[string]any{}
	for _, r := range recs {
		var names []string
		for _, f := range r.KeySchema.Fields {
			names = append(names, f.Name)
		}
		want := map[string]string{e.prefix + "." + e.schema + ".nokey": "[code]", e.prefix + "." + e.schema + ".withpk": "[tenant id]"}[r.Topic]
		if got := fmt.Sprint(names); got != want {
			t.Errorf("%s: key fields %s, want %s", r.Topic, got, want)
		}
		keys[r.Topic] = append(keys[r.Topic], decode(r).key)
	}
	nk := keys[e.prefix+"."+e.schema+".nokey"]
	if len(nk) != 2 || fmt.Sprint(nk[0]["code"]) != "a" || fmt.Sprint(nk[1]["code"]) != "b" {
		t.Errorf("nokey keys %v", nk)
	}
	wp := keys[e.prefix+"."+e.schema+".withpk"]
	if len(wp) != 2 || fmt.Sprint(wp[0]["tenant"]) != "7" || fmt.Sprint(wp[1]["id"]) != "1" {
		t.Errorf("withpk keys %v", wp)
	}
}
