package postgres

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
	"github.com/connectd/connectd/tests/testbed"
)

// TestIncrementalCompatSameRun is tests/mysql's TestIncrementalCompatSameRun on PostgreSQL:
// Debezium's connector and connectd's, side by side on one table, each with its own slot,
// publication and signal table, get the same signal rows (execute-snapshot with pause-snapshot in
// one transaction, then resume-snapshot); their watermark rows, incremental_snapshot_* offset
// fields while paused and Incremental Snapshot notifications must match, with the differences
// that test allows. The PostgreSQL reference is Debezium 3.7, whose format adds to 3.5's (the
// MariaDB reference's): correlationId and dataCollectionId in the watermark rows' data (compared
// by value: the signal's id and the table), each collection's correlation id in
// incremental_snapshot_collections, incremental_snapshot_total_rows (the same field set and
// values while paused), DATA_COLLECTIONS_RESOLVED after STARTED and total_rows, total_chunks and
// chunk_index in the progress notifications (compared with the rest of additional_data).
func TestIncrementalCompatSameRun(t *testing.T) {
	const rows, chunk = 10050, 100
	kafka := testbed.Kafka(t)
	dbz := debezium.Start(t, debeziumPGClass)
	p := newPG(t)
	p.exec(fmt.Sprintf(`CREATE TABLE %[1]s.big (id bigint PRIMARY KEY, v text NOT NULL);
		INSERT INTO %[1]s.big SELECT g, 'v' || g FROM generate_series(1, %[2]d) g;
		CREATE TABLE %[1]s.sig_dbz (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
		CREATE TABLE %[1]s.sig_cd (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048));
		CREATE TABLE %[1]s.done (id int PRIMARY KEY)`, p.schema, rows))
	type side struct {
		who, name, prefix, signal, notify, topic, done, slot, pub string
		offsets                                                   func() string
	}
	mk := func(who, tag, signal string) *side {
		prefix := "isr" + tag + "_" + p.name
		return &side{who: who, name: "isr" + tag + "-" + p.name, prefix: prefix, signal: signal,
			notify: prefix + ".notifications", topic: prefix + "." + p.schema + ".big", done: prefix + "." + p.schema + ".done",
			slot: p.slot + "_" + tag, pub: p.pub + "_" + tag}
	}
	theirs, ours := mk("Debezium", "d", "sig_dbz"), mk("connectd", "c", "sig_cd")
	both := []*side{theirs, ours}
	oursOffsets := "isr-offsets-" + p.name
	config := func(s *side) map[string]string {
		cfg := p.config(s.prefix,
			"slot.name", s.slot,
			"publication.name", s.pub,
			"table.include.list", p.schema+".big,"+p.schema+"."+s.signal+","+p.schema+".done",
			"publication.autocreate.mode", "filtered",
			"snapshot.mode", "no_data",
			"signal.data.collection", p.schema+"."+s.signal,
			"incremental.snapshot.chunk.size", strconv.Itoa(chunk),
			"notification.enabled.channels", "sink",
			"notification.sink.topic.name", s.notify,
			"key.converter", "org.apache.kafka.connect.json.JsonConverter",
			"value.converter", "org.apache.kafka.connect.json.JsonConverter",
			"key.converter.schemas.enable", "false",
			"value.converter.schemas.enable", "false")
		delete(cfg, "poll.interval.ms")
		return cfg
	}
	t.Cleanup(func() {
		dbz.Remove(theirs.name)
		ctx := context.Background()
		for _, s := range both {
			p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '%s' AND active`, s.slot)).ReadAll()
			for i := 0; i < 40; i++ {
				if _, err := p.conn.Exec(ctx, fmt.Sprintf(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'`, s.slot)).ReadAll(); err == nil {
					break
				}
				time.Sleep(250 * time.Millisecond)
			}
			p.conn.Exec(ctx, `DROP PUBLICATION IF EXISTS "`+s.pub+`"`).ReadAll()
		}
		dctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if _, err := diff.DeleteTopics(dctx, []string{kafka}, []string{theirs.prefix, ours.prefix}, []string{oursOffsets}); err != nil {
			t.Logf("could not delete the test's topics: %v", err)
		}
	})
	c := e2e.NewConsumer(t, theirs.topic, theirs.done, theirs.notify, ours.topic, ours.done, ours.notify)
	began := time.Now()

	dbz.Create(theirs.name, config(theirs))
	dbz.WaitTask(theirs.name, "RUNNING")
	theirs.offsets = func() string { return dbz.Offsets(theirs.name) }
	w := e2e.StartWorker(t, oursOffsets)
	w.Create(ours.name, config(ours))
	w.WaitState(ours.name, "RUNNING")
	ours.offsets = func() string {
		_, b := w.Call("GET", "/connectors/"+ours.name+"/offsets", nil)
		return string(b)
	}
	mark := 0
	markBoth := func() { // both have streamed everything before a new row of table done
		t.Helper()
		for _, s := range both {
			for {
				mark++
				p.exec(fmt.Sprintf("INSERT INTO %s.done VALUES (%d)", p.schema, mark))
				want := fmt.Sprintf(`{"id":%d}`, mark)
				seen := false
				for retry := time.Now().Add(5 * time.Second); !seen && time.Now().Before(retry); c.Settle(200 * time.Millisecond) {
					for _, r := range c.Records(s.done) {
						seen = seen || string(r.Key) == want
					}
				}
				if seen {
					break
				}
				if time.Since(began) > 3*time.Minute {
					t.Fatalf("%s streams no row of table done", s.who)
				}
			}
		}
	}
	signal := func(rows ...[3]string) {
		t.Helper()
		for _, s := range both {
			var qs []string
			for _, r := range rows {
				data := "NULL"
				if r[2] != "" {
					data = "'" + r[2] + "'"
				}
				qs = append(qs, fmt.Sprintf("INSERT INTO %s.%s VALUES ('%s', '%s', %s)", p.schema, s.signal, r[0], r[1], data))
			}
			p.exec("BEGIN;" + strings.Join(qs, ";") + ";COMMIT")
		}
	}
	note := func(s *side, typ string) {
		t.Helper()
		waitTopicRecord(t, c, s.notify, func(_, v string) bool {
			return strings.Contains(v, `"type":"`+typ+`"`) && strings.Contains(v, `"Incremental Snapshot"`)
		}, s.who+"'s "+typ+" notification")
	}

	markBoth()
	signal([3]string{"isr-1", "execute-snapshot", `{"data-collections": ["` + p.schema + `.big"], "type": "incremental"}`},
		[3]string{"isr-pause", "pause-snapshot", ""})
	for _, s := range both {
		note(s, "PAUSED")
		note(s, "IN_PROGRESS")
	}
	markBoth()

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
	for _, k := range []string{source.OffIncCollections, source.OffIncMaximumKey, source.OffIncCorrelationID, source.OffIncPrimaryKey, source.OffIncTotalRows} {
		if a, b := paused["connectd"][k], paused["Debezium"][k]; a != b {
			t.Errorf("offset field %s while paused: connectd %v, Debezium %v", k, a, b)
		}
	}
	if v := paused["Debezium"][source.OffIncTotalRows]; v != strconv.Itoa(rows) {
		t.Errorf("Debezium's %s while paused is %v, want %d", source.OffIncTotalRows, v, rows)
	}

	signal([3]string{"isr-resume", "resume-snapshot", ""})
	for _, s := range both {
		note(s, "COMPLETED")
	}
	markBoth()
	ended := time.Now()
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
	query := func(sql string) [][]string {
		res, err := p.conn.Exec(context.Background(), strings.Replace(sql, "FROM ", "FROM "+p.schema+".", 1)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var out [][]string
		for _, row := range res[len(res)-1].Rows {
			r := make([]string, len(row))
			for i, v := range row {
				r[i] = string(v)
			}
			out = append(out, r)
		}
		return out
	}
	compareWatermarks(t, query, theirs.signal, ours.signal)
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
	// Debezium 3.7's: the signal's id and the collection current when the window opened follow
	// the times, each left out when null.
	metaRe    = `(?:, "correlationId": ("[^"]*"))?(?:, "dataCollectionId": ("[^"]*"))?`
	openData  = regexp.MustCompile(`^\{"openWindowTimestamp": "(` + javaInstantRe + `)"` + metaRe + `\}$`)
	closeData = regexp.MustCompile(`^\{"openWindowTimestamp": "(` + javaInstantRe + `)", "closeWindowTimestamp": "(` + javaInstantRe + `)"` + metaRe + `\}$`)
)

// compareWatermarks compares the rows Debezium and connectd wrote into their signal tables.
func compareWatermarks(t *testing.T, query func(string) [][]string, theirs, ours string) {
	t.Helper()
	summary := func(table string) map[string]int {
		out := map[string]int{}
		opens := map[string]string{} // uuid -> openWindowTimestamp
		closes := map[string]string{}
		for _, r := range query("SELECT id, type, data FROM " + table) {
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
				opens[uuid] = dm[1] + " " + dm[2] + " " + dm[3]
				typ += " correlationId=" + dm[2] + " dataCollectionId=" + dm[3]
			} else {
				dm := closeData.FindStringSubmatch(data)
				if dm == nil {
					t.Errorf("%s: window-close data %q is not Debezium's", table, data)
					continue
				}
				if dm[2] < dm[1] {
					t.Errorf("%s: window %s closes (%s) before it opens (%s)", table, uuid, dm[2], dm[1])
				}
				closes[uuid] = dm[1] + " " + dm[3] + " " + dm[4]
				typ += " correlationId=" + dm[3] + " dataCollectionId=" + dm[4]
			}
			out[typ]++
		}
		for u, ts := range opens {
			if c, ok := closes[u]; !ok || c != ts {
				t.Errorf("%s: window %s opened with %s has no close row carrying that time and ids (%q)", table, u, ts, c)
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
