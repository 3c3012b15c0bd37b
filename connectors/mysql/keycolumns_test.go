package mysql

import (
	"strings"
	"testing"
)

// TestMessageKeyColumns: message.key.columns keys a table without a primary key, and replaces
// another table's primary key, in snapshot and streamed events; the key schema is the columns'.
func TestMessageKeyColumns(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE nokey (code VARCHAR(10) NOT NULL, v INT)", "INSERT INTO nokey VALUES ('a', 1)",
		"CREATE TABLE withpk (id INT PRIMARY KEY, tenant INT NOT NULL, v INT)", "INSERT INTO withpk VALUES (1, 7, 1)")
	cfg := d.config("srvkc", "table.include.list", d.name+`\.(nokey|withpk)`,
		"message.key.columns", d.name+`\.nokey:code;`+d.name+`\.withpk:tenant,id`)
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	snap := r.pollUntil(2)
	r.waitStreaming()
	d.exec("INSERT INTO nokey VALUES ('b', 2)", "UPDATE withpk SET v = 2 WHERE id = 1")
	streamed := r.pollUntil(2)
	byTopic := map[string][]map[string]any{}
	for _, rec := range append(snap, streamed...) {
		byTopic[rec.Topic] = append(byTopic[rec.Topic], decode(t, rec).Key)
		fields := []string{}
		for _, f := range rec.KeySchema.Fields {
			fields = append(fields, f.Name)
		}
		want := map[string]string{"srvkc." + d.name + ".nokey": "[code]", "srvkc." + d.name + ".withpk": "[tenant id]"}[rec.Topic]
		if got := fmtList(fields); got != want {
			t.Errorf("%s: key fields %s, want %s", rec.Topic, got, want)
		}
		if rec.KeySchema.Name != rec.Topic+".Key" {
			t.Errorf("key schema name %s", rec.KeySchema.Name)
		}
	}
	nk := byTopic["srvkc."+d.name+".nokey"]
	if len(nk) != 2 || nk[0]["code"] != "a" || nk[1]["code"] != "b" {
		t.Errorf("nokey keys %v", nk)
	}
	wp := byTopic["srvkc."+d.name+".withpk"]
	if len(wp) != 2 || wp[0]["tenant"] != 7.0 || wp[0]["id"] != 1.0 || wp[1]["tenant"] != 7.0 {
		t.Errorf("withpk keys %v", wp)
	}
}

func fmtList(s []string) string { return "[" + strings.Join(s, " ") + "]" }

// TestMessageKeyColumnsUnknownColumn: a key column the table does not have stops the task with
// an error naming it.
func TestMessageKeyColumnsUnknownColumn(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	cfg := d.config("srvkcx", "table.include.list", d.name+`\.t`, "message.key.columns", d.name+`\.t:nope`)
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err == nil {
		_, err = r.task.Poll(t.Context())
		for i := 0; err == nil && i < 50; i++ {
			_, err = r.task.Poll(t.Context())
		}
	}
	if err == nil || !strings.Contains(err.Error(), `message.key.columns names "nope"`) {
		t.Fatalf("want an error naming the column, got %v", err)
	}
}
