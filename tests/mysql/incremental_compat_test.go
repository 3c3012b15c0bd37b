package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/tests/compat/diff"
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/incrhandover"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestIncrementalCompatSameRun runs one incremental snapshot under Debezium's MariaDB connector
// (on the reference worker) and under connectd's, side by side on the same table of the same
// server, each signalled through a signal table of its own with the same rows: execute-snapshot
// with pause-snapshot, then resume-snapshot. It compares what the issue asks to match:
//
//   - the watermark rows each wrote into its signal table: the same number of
//     snapshot-window-open and -close rows, in Debezium's form (id "<uuid>-open"/"-close",
//     data {"openWindowTimestamp": "<Instant>"[, "closeWindowTimestamp": "<Instant>"]}); the
//     uuids are random and the instants the clock's, so those are compared by format (a version
//     4 UUID, Java's Instant.toString) and by pairing (each open has its close, carrying the
//     same openWindowTimestamp);
//   - the incremental_snapshot_* fields of the offsets while paused (execute-snapshot and
//     pause-snapshot come in one transaction, so each has read exactly the first chunk): the
//     same field names and values byte for byte, the keys as Java-serialized Longs;
//   - the Incremental Snapshot notification records on the sink topic (those of the signal; the
//     Initial Snapshot ones of snapshot.mode=no_data are logged, not compared: connectd writes
//     none for a schema-only snapshot, Debezium STARTED and COMPLETED): key {id}, value id (the
//     signal's id), type, aggregate_type and additional_data equal for every notification, in
//     the same order, with
//     justified differences: connector_name is each connector's topic.prefix and the timestamps
//     are each clock's (checked to lie within the run); additional_data is compared as a map,
//     as Debezium's member order is a Java HashMap's.
func TestIncrementalCompatSameRun(t *testing.T) {
	const rows, chunk = 10050, 100 // a partial last chunk: Debezium ends a table with an empty one
	kafka := testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumMariaDBClass)
	d := mariadb.New(t, "isr")
	d.Exec("CREATE TABLE big (id BIGINT PRIMARY KEY, v VARCHAR(20) NOT NULL)",
		"INSERT INTO big SELECT seq, CONCAT('v', seq) FROM seq_1_to_"+strconv.Itoa(rows),
		"CREATE TABLE sig_dbz (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))",
		"CREATE TABLE sig_cd (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048))",
		"CREATE TABLE done (id INT PRIMARY KEY)")
	type side struct {
		who, name, prefix, signal, notify, topic, done string
		offsets                                        func() string
	}
	mk := func(who, tag, signal string) *side {
		prefix := "isr" + tag + "_" + d.Name
		return &side{who: who, name: "isr" + tag + "-" + d.Name, prefix: prefix, signal: signal,
			notify: prefix + ".notifications", topic: prefix + "." + d.Name + ".big", done: prefix + "." + d.Name + ".done"}
	}
	theirs, ours := mk("Debezium", "d", "sig_dbz"), mk("connectd", "c", "sig_cd")
	oursOffsets := "isr-offsets-" + d.Name
	config := func(s *side) map[string]string {
		return connectorConfig(d, s.prefix, "schema-history."+s.prefix, append([]string{
			"database.server.id", serverID(s.prefix),
			"snapshot.mode", "no_data",
			"signal.data.collection", d.Name + "." + s.signal,
			"incremental.snapshot.chunk.size", strconv.Itoa(chunk),
			"notification.enabled.channels", "sink",
			"notification.sink.topic.name", s.notify,
			"schema.history.internal.store.only.captured.databases.ddl", "true",
			// Other tests' DDL on the shared server (TEXT COMPRESSED, ...) would stop Debezium's parser.
			"schema.history.internal.skip.unparseable.ddl", "true"}, schemalessJSON...)...)
	}
	t.Cleanup(func() {
		dbz.Remove(theirs.name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(ctx, []string{kafka}, []string{theirs.prefix, ours.prefix},
			[]string{oursOffsets, "schema-history." + theirs.prefix, "schema-history." + ours.prefix}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	c := e2e.NewConsumer(t, theirs.topic, theirs.done, theirs.notify, ours.topic, ours.done, ours.notify)
	began := time.Now()

	dbz.Create(theirs.name, config(theirs))
	dbz.WaitTask(theirs.name, "RUNNING")
	theirs.offsets = func() string { return dbz.Offsets(theirs.name) }
	w := e2e.StartWorker(t, oursOffsets)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": ours.name, "config": config(ours)}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	w.WaitState(ours.name, "RUNNING")
	ours.offsets = func() string {
		_, b := w.Call("GET", "/connectors/"+ours.name+"/offsets", nil)
		return string(b)
	}
	both := []*side{theirs, ours}
	mark := 0
	markBoth := func() { // both have streamed everything before a new row of table done
		t.Helper()
		mark++
		d.Exec(fmt.Sprintf("INSERT INTO done VALUES (%d)", mark))
		for _, s := range both {
			waitTopicRecord(t, c, s.done, func(key, _ string) bool { return key == fmt.Sprintf(`{"id":%d}`, mark) }, s.who+" streams row "+strconv.Itoa(mark)+" of done")
		}
	}
	// signal inserts the same signal rows into both signal tables, in one transaction each.
	signal := func(rows ...[3]string) {
		t.Helper()
		for _, s := range both {
			qs := []string{"BEGIN"}
			for _, r := range rows {
				data := "NULL"
				if r[2] != "" {
					data = "'" + r[2] + "'"
				}
				qs = append(qs, "INSERT INTO "+s.signal+" VALUES ('"+r[0]+"', '"+r[1]+"', "+data+")")
			}
			d.Exec(append(qs, "COMMIT")...)
		}
	}
	note := func(s *side, typ string) {
		t.Helper()
		waitTopicRecord(t, c, s.notify, func(_, v string) bool {
			return strings.Contains(v, `"type":"`+typ+`"`) && strings.Contains(v, `"Incremental Snapshot"`)
		}, s.who+"'s "+typ+" notification")
	}

	markBoth()
	// execute-snapshot and pause-snapshot in one transaction: each runtime reads the first chunk
	// when the snapshot starts, before it looks at the next signal, and pauses after it.
	signal([3]string{"isr-1", "execute-snapshot", `{"data-collections": ["` + d.Name + `.big"], "type": "incremental"}`},
		[3]string{"isr-pause", "pause-snapshot", ""})
	for _, s := range both {
		note(s, "PAUSED")
		note(s, "IN_PROGRESS")
	}
	markBoth()

	// The offsets while paused.
	paused := map[string]map[string]any{}
	for _, s := range both {
		paused[s.who] = pausedOffset(t, s.who, s.offsets)
	}
	incFields := func(off map[string]any) []string {
		var ks []string
		for k := range off {
			if strings.HasPrefix(k, "incremental_snapshot") {
				ks = append(ks, k)
			}
		}
		slices.Sort(ks)
		return ks
	}
	if a, b := incFields(paused["connectd"]), incFields(paused["Debezium"]); !slices.Equal(a, b) {
		t.Errorf("offset fields while paused: connectd %v, Debezium %v", a, b)
	}
	for _, k := range []string{source.OffIncCollections, source.OffIncMaximumKey, source.OffIncCorrelationID, source.OffIncPrimaryKey} {
		if a, b := paused["connectd"][k], paused["Debezium"][k]; a != b {
			t.Errorf("offset field %s while paused: connectd %v, Debezium %v", k, a, b)
		}
	}
	for who, off := range paused {
		pk, _ := off[source.OffIncPrimaryKey].(string)
		key, err := source.DecodeJavaKey(pk)
		if err != nil || len(key) != 1 {
			t.Fatalf("%s's %s %q: %v %v, want one Long", who, source.OffIncPrimaryKey, pk, key, err)
		}
		if _, ok := key[0].(int64); !ok {
			t.Errorf("%s's %s holds a %T, want a Long (BIGINT key)", who, source.OffIncPrimaryKey, key[0])
		}
		if again, err := source.EncodeJavaKey(key); err != nil || again != pk {
			t.Errorf("%s's %s is %s; connectd writes %s for the same key %v (%v)", who, source.OffIncPrimaryKey, pk, again, key, err)
		}
		t.Logf("%s paused after key %v", who, key)
	}

	signal([3]string{"isr-resume", "resume-snapshot", ""})
	for _, s := range both {
		note(s, "COMPLETED")
	}
	markBoth()
	c.Settle(2 * time.Second)
	ended := time.Now()

	// Every row read, by both.
	for _, s := range both {
		ids := map[int64]bool{}
		for _, r := range incrhandover.DrainTopic(t, c, s.topic) {
			if id, ok := incrhandover.ReadID(t, r); ok {
				ids[id] = true
			}
		}
		if len(ids) != rows {
			t.Errorf("%s read %d distinct rows of %d", s.who, len(ids), rows)
		}
	}

	compareWatermarks(t, d, theirs.signal, ours.signal)
	compareNotifications(t, c.Records(theirs.notify), c.Records(ours.notify), theirs.prefix, ours.prefix, began, ended)
}

// pausedOffset polls a runtime's offsets (GET /connectors/{c}/offsets) until they hold a paused
// snapshot's progress and stay the same for a second (the last flush after the pause is done).
func pausedOffset(t *testing.T, who string, get func() string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	last := ""
	for {
		body := get()
		var resp struct {
			Offsets []struct{ Offset map[string]any }
		}
		if err := json.Unmarshal([]byte(body), &resp); err == nil && len(resp.Offsets) == 1 {
			off := resp.Offsets[0].Offset
			if pk, _ := off[source.OffIncPrimaryKey].(string); pk != "" && body == last {
				t.Logf("%s's offset while paused: %s", who, body)
				return off
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's offsets hold no paused snapshot's progress after a minute: %s", who, body)
		}
		last = body
		time.Sleep(time.Second)
	}
}

// waitTopicRecord waits until topic holds a record whose key and value (as text) satisfy ok.
func waitTopicRecord(t *testing.T, c *e2e.Consumer, topic string, ok func(key, value string) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for _, r := range c.Records(topic) {
			if ok(string(r.Key), string(r.Value)) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s: no record of %s after two minutes; last records:\n%s", topic, what, e2e.Dump(e2e.Tail(c.Records(topic), 5)))
		}
		c.Settle(200 * time.Millisecond)
	}
}

var (
	watermarkID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-(open|close)$`)
	// javaInstantRe is Java's Instant.toString: UTC, the fraction in groups of three digits.
	javaInstantRe = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3}|\.\d{6}|\.\d{9})?Z`
	openData      = regexp.MustCompile(`^\{"openWindowTimestamp": "(` + javaInstantRe + `)"\}$`)
	closeData     = regexp.MustCompile(`^\{"openWindowTimestamp": "(` + javaInstantRe + `)", "closeWindowTimestamp": "(` + javaInstantRe + `)"\}$`)
)

// compareWatermarks compares the rows Debezium and connectd wrote into their signal tables.
func compareWatermarks(t *testing.T, d *mariadb.DB, theirs, ours string) {
	t.Helper()
	summary := func(table string) map[string]int {
		out := map[string]int{}
		opens := map[string]string{} // uuid -> openWindowTimestamp
		closes := map[string]string{}
		for _, r := range d.Query("SELECT id, type, data FROM " + table) {
			id, typ, data := r[0], r[1], r[2]
			if typ != "snapshot-window-open" && typ != "snapshot-window-close" {
				out[id+" "+typ+" "+data]++ // the signals the test wrote
				continue
			}
			m := watermarkID.FindStringSubmatch(id)
			if m == nil || typ != "snapshot-window-"+m[1] {
				t.Errorf("%s: row id %q type %q is not Debezium's <uuid>-open/-close of that type", table, id, typ)
				continue
			}
			uuid := strings.TrimSuffix(strings.TrimSuffix(id, "-open"), "-close")
			if typ == "snapshot-window-open" {
				dm := openData.FindStringSubmatch(data)
				if dm == nil {
					t.Errorf("%s: window-open data %q is not Debezium's", table, data)
					continue
				}
				opens[uuid] = dm[1]
			} else {
				dm := closeData.FindStringSubmatch(data)
				if dm == nil {
					t.Errorf("%s: window-close data %q is not Debezium's", table, data)
					continue
				}
				if dm[2] < dm[1] {
					t.Errorf("%s: window %s closes (%s) before it opens (%s)", table, uuid, dm[2], dm[1])
				}
				closes[uuid] = dm[1]
			}
			out[typ]++
		}
		for u, ts := range opens {
			if c, ok := closes[u]; !ok || c != ts {
				t.Errorf("%s: window %s opened at %s has no close row carrying that time (%q)", table, u, ts, c)
			}
		}
		for u := range closes {
			if _, ok := opens[u]; !ok {
				t.Errorf("%s: window %s closes but never opened", table, u)
			}
		}
		return out
	}
	a, b := summary(theirs), summary(ours)
	if !maps.Equal(a, b) {
		t.Errorf("signal table rows: Debezium's %s %v, connectd's %s %v", theirs, a, ours, b)
	} else {
		t.Logf("signal table rows, by type and form: %v", a)
	}
}

// at returns l[i], or a note that l has no element i.
func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return "(none)"
}

// notification is a notification record as compared.
type notification struct {
	Key struct{ ID string } `json:"-"`
	ID  string              `json:"id"`
	// Type and AggregateType are the status and Initial/Incremental Snapshot.
	Type           string            `json:"type"`
	AggregateType  string            `json:"aggregate_type"`
	AdditionalData map[string]string `json:"additional_data"`
	Timestamp      int64             `json:"timestamp"`
}

func (n notification) String() string {
	keys := slices.Sorted(maps.Keys(n.AdditionalData))
	var b strings.Builder
	fmt.Fprintf(&b, "key %s id %s %s %s {", n.Key.ID, n.ID, n.AggregateType, n.Type)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", k, n.AdditionalData[k])
	}
	return b.String() + "}"
}

// compareNotifications compares the two sink topics' records, connector_name set to a
// placeholder (each is its connector's topic.prefix) and the timestamps checked to lie within
// the run. additional_data is compared as a map: Debezium's member order is a HashMap's.
func compareNotifications(t *testing.T, theirs, ours []*kgo.Record, theirPrefix, ourPrefix string, began, ended time.Time) {
	t.Helper()
	parse := func(who string, recs []*kgo.Record, prefix string) (progress int, all []string) {
		for _, r := range recs {
			var n notification
			if err := json.Unmarshal(r.Key, &n.Key); err != nil {
				t.Fatalf("%s's notification key %s: %v", who, r.Key, err)
			}
			if err := json.Unmarshal(r.Value, &n); err != nil {
				t.Fatalf("%s's notification %s: %v", who, r.Value, err)
			}
			if n.AdditionalData == nil {
				n.AdditionalData = map[string]string{}
			}
			if n.AdditionalData["connector_name"] != prefix {
				t.Errorf("%s's notification %s: connector_name is not the topic.prefix %s", who, n, prefix)
			}
			n.AdditionalData["connector_name"] = "<topic.prefix>"
			if ts := time.UnixMilli(n.Timestamp); ts.Before(began.Add(-time.Second)) || ts.After(ended.Add(time.Second)) {
				t.Errorf("%s's notification %s: timestamp %s outside the run (%s to %s)", who, n, ts, began, ended)
			}
			if n.AggregateType != "Incremental Snapshot" {
				// The initial (schema-only) snapshot's: not the signal's; see the test's comment.
				t.Logf("%s's notification %s", who, n)
				continue
			}
			if n.Type == "IN_PROGRESS" {
				progress++
			}
			all = append(all, n.String())
		}
		return progress, all
	}
	tp, to := parse("Debezium", theirs, theirPrefix)
	_, oo := parse("connectd", ours, ourPrefix)
	if !slices.Equal(to, oo) {
		n := 0
		for n < min(len(to), len(oo)) && to[n] == oo[n] {
			n++
		}
		t.Errorf("notifications: Debezium %d, connectd %d; the first difference, at %d:\nDebezium: %s\nconnectd: %s",
			len(to), len(oo), n, at(to, n), at(oo, n))
	}
	if len(to) < 5 || tp == 0 {
		t.Errorf("Debezium wrote %d notifications, %d IN_PROGRESS: the comparison did not see the snapshot", len(to), tp)
	}
	t.Logf("%d notifications equal, %d IN_PROGRESS among them", len(to), tp)
}
