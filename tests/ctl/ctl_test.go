// Package ctl tests `connectd ctl` and `connectd tail` end to end: the commands run against a
// real worker whose connectors read the test bed's MariaDB and PostgreSQL into its Kafka.
package ctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/cmd/connectd/ctl"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// cli runs `connectd ctl --url <worker> args...` in process and returns stdout+stderr and the
// exit code.
func cli(t *testing.T, w *e2e.Worker, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := ctl.Run(append([]string{"--url", w.URL}, args...), &out, &out)
	t.Logf("connectd ctl %s -> %d\n%s", strings.Join(args, " "), code, out.String())
	return out.String(), code
}

func mustCLI(t *testing.T, w *e2e.Worker, want int, args ...string) string {
	t.Helper()
	out, code := cli(t, w, args...)
	if code != want {
		t.Fatalf("connectd ctl %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, out)
	}
	return out
}

func ops(t *testing.T, c *e2e.Consumer, topic string, from int) []string {
	t.Helper()
	var got []string
	for _, e := range e2e.Events(t, c.Records(topic)[from:]) {
		got = append(got, e.Op+" "+e.Key)
	}
	return got
}

// TestCtlMariaDB drives a MariaDB connector through every ctl command and rewinds it three ways
// (as of a time, to a GTID set, to a binlog file/position): each replays exactly the changes
// made after that point, and every invalid position is refused with exit code 4.
func TestCtlMariaDB(t *testing.T) {
	db := mariadb.New(t, "ctl")
	db.Exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1,'a'),(2,'b')")
	w := e2e.StartWorker(t, testbed.Topic(t, "ctl-offsets"))
	prefix := testbed.Topic(t, "ctl")
	topic := prefix + "." + db.Name + ".t"
	cons := e2e.NewConsumer(t, topic)
	w.Create("my", map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   db.TB.Host,
		"database.port":                       strconv.Itoa(db.TB.Port),
		"database.user":                       db.TB.User,
		"database.password":                   db.TB.Password,
		"database.server.id":                  strconv.Itoa(20000 + int(time.Now().UnixNano()%900000)),
		"database.include.list":               db.Name,
		"schema.history.internal.kafka.topic": prefix + "-history",
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(t),
	})
	w.WaitState("my", "RUNNING")
	cons.WaitFor(topic, 2)
	t.Setenv("CONNECTD_DB_PASSWORD", db.TB.Password)

	// list and status, as tables and as JSON.
	out := mustCLI(t, w, 0, "list")
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "my  ") || !strings.Contains(out, "0:RUNNING") {
		t.Errorf("list table:\n%s", out)
	}
	var list []struct {
		Name      string
		Connector struct{ State string }
	}
	if err := json.Unmarshal([]byte(mustCLI(t, w, 0, "list", "-o", "json")), &list); err != nil || len(list) != 1 || list[0].Name != "my" || list[0].Connector.State != "RUNNING" {
		t.Errorf("list -o json: %+v %v", list, err)
	}
	if out := mustCLI(t, w, 0, "status", "my"); !strings.Contains(out, "task 0") || !strings.Contains(out, "RUNNING") {
		t.Errorf("status:\n%s", out)
	}
	mustCLI(t, w, 3, "status", "nosuch")
	mustCLI(t, w, 3, "pause", "nosuch")
	mustCLI(t, w, 2, "status")
	mustCLI(t, w, 2, "frobnicate", "my")
	mustCLI(t, w, 2, "-o", "yaml", "list")

	// pause, resume, restart.
	mustCLI(t, w, 0, "pause", "my")
	w.WaitConnector("my", "PAUSED")
	if out := mustCLI(t, w, 0, "status", "-o", "json", "my"); !strings.Contains(out, `"state": "PAUSED"`) {
		t.Errorf("status -o json while paused:\n%s", out)
	}
	mustCLI(t, w, 0, "resume", "my")
	w.WaitConnector("my", "RUNNING")
	mustCLI(t, w, 0, "restart", "my")
	w.WaitState("my", "RUNNING")

	// T: after the snapshot's offset was committed (offset.flush.interval.ms=500), before the changes.
	time.Sleep(1500 * time.Millisecond)
	T := time.Now().UTC()
	time.Sleep(1000 * time.Millisecond)
	db.Exec("INSERT INTO t VALUES (3,'c')", "UPDATE t SET v='aa' WHERE id=1", "DELETE FROM t WHERE id=2")
	cons.WaitFor(topic, 6)
	changes := []string{`c {"id":3}`, `u {"id":1}`, `d {"id":2}`, `tombstone {"id":2}`}
	if got := ops(t, cons, topic, 2); strings.Join(got, ",") != strings.Join(changes, ",") {
		t.Fatalf("changes %q, want %q", got, changes)
	}
	time.Sleep(1500 * time.Millisecond) // the changes' offsets committed

	mustCLI(t, w, 4, "set-offset", "my", "--as-of", T.Format(time.RFC3339Nano)) // not STOPPED
	mustCLI(t, w, 0, "stop", "my")
	w.WaitConnector("my", "STOPPED")

	var offs struct {
		Offsets []struct{ Partition, Offset map[string]any }
	}
	if err := json.Unmarshal([]byte(mustCLI(t, w, 0, "offsets", "my", "-o", "json")), &offs); err != nil || len(offs.Offsets) != 1 || offs.Offsets[0].Partition["server"] != prefix {
		t.Fatalf("offsets -o json: %+v %v", offs, err)
	}
	if out := mustCLI(t, w, 0, "offsets", "my"); !strings.Contains(out, `{"server":"`+prefix+`"}`) {
		t.Errorf("offsets table:\n%s", out)
	}
	var hist struct {
		History []struct {
			Time    time.Time
			Offsets []struct{ Partition, Offset map[string]any }
		}
	}
	if err := json.Unmarshal([]byte(mustCLI(t, w, 0, "history", "my", "-o", "json")), &hist); err != nil || len(hist.History) < 2 {
		t.Fatalf("history -o json: %+v %v", hist, err)
	}
	if out := mustCLI(t, w, 0, "history", "my"); !strings.Contains(out, "TIME") || strings.Count(out, prefix) < 2 {
		t.Errorf("history table:\n%s", out)
	}
	var atT map[string]any // the entry --as-of T picks: the newest at or before T
	for _, h := range hist.History {
		if !h.Time.After(T) {
			atT = h.Offsets[0].Offset
			break
		}
	}
	if atT == nil {
		t.Fatalf("no history entry at or before %s: %+v", T, hist)
	}

	// Refused: wrong kind, no position, unknown file, past the end of a file, GTIDs ahead of the
	// server, a time in the future or before the oldest kept offset.
	file := atT["file"].(string)
	mustCLI(t, w, 2, "set-offset", "my")
	mustCLI(t, w, 2, "set-offset", "my", "--file", file)
	mustCLI(t, w, 2, "set-offset", "my", "--as-of", "yesterday")
	mustCLI(t, w, 4, "set-offset", "my", "--lsn", "0/16B3748")
	mustCLI(t, w, 4, "set-offset", "my", "--file", "nosuch-bin.000001", "--pos", "4")
	mustCLI(t, w, 4, "set-offset", "my", "--file", file, "--pos", "999999999999")
	mustCLI(t, w, 4, "set-offset", "my", "--gtids", "0-1-99999999999")
	mustCLI(t, w, 4, "set-offset", "my", "--as-of", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if out := mustCLI(t, w, 4, "set-offset", "my", "--as-of", "2000-01-01T00:00:00Z"); !strings.Contains(out, "oldest kept") {
		t.Errorf("as-of before the history: %s", out)
	}
	if out, _ := cli(t, w, "offsets", "my", "-o", "json"); !strings.Contains(out, `"pos": `+num(offs.Offsets[0].Offset["pos"])) {
		t.Errorf("a refused set-offset changed the offsets: %s", out)
	}

	// As of T: exactly the changes after T again.
	replay := func(from int, args ...string) {
		t.Helper()
		mustCLI(t, w, 0, append([]string{"set-offset", "my"}, append(args, "--resume")...)...)
		w.WaitState("my", "RUNNING")
		cons.WaitFor(topic, from+4)
		cons.Settle(2 * time.Second)
		if got := ops(t, cons, topic, from); strings.Join(got, ",") != strings.Join(changes, ",") {
			t.Fatalf("after set-offset %s: %q, want exactly %q", strings.Join(args, " "), got, changes)
		}
		time.Sleep(1500 * time.Millisecond)
		mustCLI(t, w, 0, "stop", "my")
		w.WaitConnector("my", "STOPPED")
	}
	replay(6, "--as-of", T.Format(time.RFC3339Nano))
	if g, ok := atT["gtids"].(string); ok && g != "" {
		replay(10, "--gtids", g)
	} else {
		t.Errorf("the MariaDB offset at T has no gtids: %v", atT)
	}
	replay(14, "--file", file, "--pos", num(atT["pos"]))

	// tail: every event so far, as JSON and as text.
	var buf bytes.Buffer
	if code := ctl.Tail([]string{"--bootstrap", testbed.Kafka(t), "--from-beginning", "--max", "18", "--idle", "30s", "-o", "json", topic}, &buf, &buf); code != 0 {
		t.Fatalf("tail -o json: exit %d\n%s", code, buf.String())
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 18 {
		t.Fatalf("tail --max 18 printed %d lines:\n%s", len(lines), buf.String())
	}
	var upd struct {
		Op      string
		Key     map[string]any
		Changed map[string][]any
	}
	if err := json.Unmarshal([]byte(lines[3]), &upd); err != nil || upd.Op != "u" || len(upd.Changed) != 1 || fmt.Sprint(upd.Changed["v"]) != "[a aa]" {
		t.Errorf("tail -o json, the update: %s (%v)", lines[3], err)
	}
	buf.Reset()
	if code := ctl.Tail([]string{"--bootstrap", testbed.Kafka(t), "--from-offset", "2", "--max", "4", "--idle", "30s", topic}, &buf, &buf); code != 0 {
		t.Fatalf("tail: exit %d\n%s", code, buf.String())
	}
	text := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{`0/2 +c +\{"id":3\}`, `0/3 +u +\{"id":1\} .* v: "a" -> "aa"$`, `0/4 +d +\{"id":2\}`, `0/5 +tombstone \{"id":2\}$`}
	for i, re := range want {
		if i >= len(text) || !matches(re, text[i]) {
			t.Errorf("tail line %d: %q, want /%s/\n%s", i, at(text, i), re, buf.String())
		}
	}
	buf.Reset()
	if code := ctl.Tail([]string{"--bootstrap", testbed.Kafka(t), "--max", "1", "--idle", "2s", topic}, &buf, &buf); code != ctl.ExitNotFound {
		t.Errorf("tail from the end with nothing new: exit %d, want %d\n%s", code, ctl.ExitNotFound, buf.String())
	}

	// completion
	if out := mustCLI(t, w, 0, "completion", "bash"); !strings.Contains(out, "complete -F _connectd connectd") || !strings.Contains(out, "set-offset") {
		t.Errorf("completion bash:\n%s", out)
	}
	mustCLI(t, w, 2, "completion", "fish")
}
