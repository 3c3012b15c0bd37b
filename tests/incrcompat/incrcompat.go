// Package incrcompat drives the incremental snapshot same-run comparison tests of the MariaDB
// and PostgreSQL suites: one incremental snapshot under Debezium's connector (on the reference
// worker) and under connectd's, side by side on the same table, each signalled through a signal
// table of its own with the same rows (execute-snapshot with pause-snapshot in one transaction,
// then resume-snapshot). It compares the watermark rows each wrote into its signal table, the
// incremental_snapshot_* fields of the offsets while paused and the Incremental Snapshot
// notifications. The suites give the database's side (tables, statements, configuration, the
// Debezium version's extra fields); the driver does the rest.
package incrcompat

import (
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
	"github.com/connectd/connectd/tests/debezium"
	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/incrhandover"
)

// Side is one runtime's connector in the comparison.
type Side struct {
	// Who is "Debezium" or "connectd"; Tag is "d" or "c", in the names of the side's objects.
	Who, Tag string
	// Name is the connector's name, Prefix its topic.prefix and Signal its signal table
	// (unqualified).
	Name, Prefix, Signal string
	// Notify, Topic and Done are the notification topic and the topics of tables big and done.
	Notify, Topic, Done string
	offsets             func() string
}

// Sides returns Debezium's and connectd's sides of a test on the database (or schema) name,
// whose tables' topics are under namespace ns: connectors isrd-<name> and isrc-<name> with
// signal tables sig_dbz and sig_cd.
func Sides(name, ns string) (theirs, ours *Side) {
	mk := func(who, tag, signal string) *Side {
		prefix := "isr" + tag + "_" + name
		return &Side{Who: who, Tag: tag, Name: "isr" + tag + "-" + name, Prefix: prefix, Signal: signal,
			Notify: prefix + ".notifications", Topic: prefix + "." + ns + ".big", Done: prefix + "." + ns + ".done"}
	}
	return mk("Debezium", "d", "sig_dbz"), mk("connectd", "c", "sig_cd")
}

// Run is one same-run comparison. The suite creates table big (Rows rows, key id BIGINT), the
// two signal tables and table done, registers its cleanup, fills in the fields and calls Run.
type Run struct {
	T   *testing.T
	Dbz *debezium.Worker
	// Theirs and Ours are the sides, from Sides; OursOffsets is connectd's offsets topic.
	Theirs, Ours *Side
	OursOffsets  string
	// Config returns a side's connector configuration.
	Config func(s *Side) map[string]string
	// Rows is the number of rows of table big; Collection is its name in execute-snapshot.
	Rows       int
	Collection string
	// TablePrefix qualifies the tables in the statements ("" or "<schema>.").
	TablePrefix string
	// Tx runs statements in one transaction; Query returns a query's rows as text.
	Tx    func(stmts []string)
	Query func(sql string) [][]string
	// InsertDone inserts row id into table done.
	InsertDone func(id int)
	// MarkRetry has each side get a row of table done of its own, a row that does not show up
	// within a few seconds followed by another (PostgreSQL's); without it one row serves both,
	// waited for up to two minutes.
	MarkRetry bool
	// OffsetFields are the offset fields compared by value while paused.
	OffsetFields []string
	// KeyIsLong checks that the paused offsets' primary key is one Java-serialized Long, written
	// as connectd writes it.
	KeyIsLong bool
	// TotalRows checks Debezium's incremental_snapshot_total_rows while paused is Rows.
	TotalRows bool
	// Settle is how long the consumer settles after the last mark before the run ends (0: not).
	Settle time.Duration
	// WatermarkIDs expects Debezium 3.7's correlationId and dataCollectionId in the watermark
	// rows' data, compared by value.
	WatermarkIDs bool

	c     *e2e.Consumer
	began time.Time
	mark  int
}

// Run starts both connectors, runs the snapshot and compares what they wrote.
func (r *Run) Run() {
	t := r.T
	t.Helper()
	theirs, ours := r.Theirs, r.Ours
	both := []*Side{theirs, ours}
	r.c = e2e.NewConsumer(t, theirs.Topic, theirs.Done, theirs.Notify, ours.Topic, ours.Done, ours.Notify)
	r.began = time.Now()

	r.Dbz.Create(theirs.Name, r.Config(theirs))
	r.Dbz.WaitTask(theirs.Name, "RUNNING")
	theirs.offsets = func() string { return r.Dbz.Offsets(theirs.Name) }
	w := e2e.StartWorker(t, r.OursOffsets)
	w.Create(ours.Name, r.Config(ours))
	w.WaitState(ours.Name, "RUNNING")
	ours.offsets = func() string {
		_, b := w.Call("GET", "/connectors/"+ours.Name+"/offsets", nil)
		return string(b)
	}

	r.markBoth()
	// execute-snapshot and pause-snapshot in one transaction: each runtime reads the first chunk
	// when the snapshot starts, before it looks at the next signal, and pauses after it.
	r.signal([3]string{"isr-1", "execute-snapshot", `{"data-collections": ["` + r.Collection + `"], "type": "incremental"}`},
		[3]string{"isr-pause", "pause-snapshot", ""})
	for _, s := range both {
		r.note(s, "PAUSED")
		r.note(s, "IN_PROGRESS")
	}
	r.markBoth()

	// The offsets while paused.
	paused := map[string]map[string]any{}
	for _, s := range both {
		paused[s.Who] = pausedOffset(t, s.Who, s.offsets)
	}
	r.comparePaused(paused)

	r.signal([3]string{"isr-resume", "resume-snapshot", ""})
	for _, s := range both {
		r.note(s, "COMPLETED")
	}
	r.markBoth()
	if r.Settle > 0 {
		r.c.Settle(r.Settle)
	}
	ended := time.Now()

	// Every row read, by both.
	for _, s := range both {
		ids := map[int64]bool{}
		for _, rec := range incrhandover.DrainTopic(t, r.c, s.Topic) {
			if id, ok := incrhandover.ReadID(t, rec); ok {
				ids[id] = true
			}
		}
		if len(ids) != r.Rows {
			t.Errorf("%s read %d distinct rows of %d", s.Who, len(ids), r.Rows)
		}
	}

	r.compareWatermarks(theirs.Signal, ours.Signal)
	compareNotifications(t, r.c.Records(theirs.Notify), r.c.Records(ours.Notify), theirs.Prefix, ours.Prefix, r.began, ended)
}

// markBoth returns once both have streamed everything before a new row of table done.
func (r *Run) markBoth() {
	t := r.T
	t.Helper()
	if !r.MarkRetry {
		r.mark++
		r.InsertDone(r.mark)
		for _, s := range []*Side{r.Theirs, r.Ours} {
			waitTopicRecord(t, r.c, s.Done, func(key, _ string) bool { return key == fmt.Sprintf(`{"id":%d}`, r.mark) }, s.Who+" streams row "+strconv.Itoa(r.mark)+" of done")
		}
		return
	}
	for _, s := range []*Side{r.Theirs, r.Ours} {
		for {
			r.mark++
			r.InsertDone(r.mark)
			want := fmt.Sprintf(`{"id":%d}`, r.mark)
			seen := false
			for retry := time.Now().Add(5 * time.Second); !seen && time.Now().Before(retry); r.c.Settle(200 * time.Millisecond) {
				for _, rec := range r.c.Records(s.Done) {
					seen = seen || string(rec.Key) == want
				}
			}
			if seen {
				break
			}
			if time.Since(r.began) > 3*time.Minute {
				t.Fatalf("%s streams no row of table done", s.Who)
			}
		}
	}
}

// signal inserts the same signal rows into both signal tables, in one transaction each.
func (r *Run) signal(rows ...[3]string) {
	r.T.Helper()
	for _, s := range []*Side{r.Theirs, r.Ours} {
		var qs []string
		for _, row := range rows {
			data := "NULL"
			if row[2] != "" {
				data = "'" + row[2] + "'"
			}
			qs = append(qs, "INSERT INTO "+r.TablePrefix+s.Signal+" VALUES ('"+row[0]+"', '"+row[1]+"', "+data+")")
		}
		r.Tx(qs)
	}
}

// note waits for s's Incremental Snapshot notification of type typ.
func (r *Run) note(s *Side, typ string) {
	r.T.Helper()
	waitTopicRecord(r.T, r.c, s.Notify, func(_, v string) bool {
		return strings.Contains(v, `"type":"`+typ+`"`) && strings.Contains(v, `"Incremental Snapshot"`)
	}, s.Who+"'s "+typ+" notification")
}

// comparePaused compares the incremental_snapshot_* fields of the offsets while paused.
func (r *Run) comparePaused(paused map[string]map[string]any) {
	t := r.T
	t.Helper()
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
	for _, k := range r.OffsetFields {
		if a, b := paused["connectd"][k], paused["Debezium"][k]; a != b {
			t.Errorf("offset field %s while paused: connectd %v, Debezium %v", k, a, b)
		}
	}
	if r.TotalRows {
		if v := paused["Debezium"][source.OffIncTotalRows]; v != strconv.Itoa(r.Rows) {
			t.Errorf("Debezium's %s while paused is %v, want %d", source.OffIncTotalRows, v, r.Rows)
		}
	}
	if !r.KeyIsLong {
		return
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
	// Debezium 3.5's watermark data: the times only.
	openData  = regexp.MustCompile(`^\{"openWindowTimestamp": "(` + javaInstantRe + `)"\}$`)
	closeData = regexp.MustCompile(`^\{"openWindowTimestamp": "(` + javaInstantRe + `)", "closeWindowTimestamp": "(` + javaInstantRe + `)"\}$`)
	// Debezium 3.7's: the signal's id and the collection current when the window opened follow
	// the times, each left out when null.
	metaRe       = `(?:, "correlationId": ("[^"]*"))?(?:, "dataCollectionId": ("[^"]*"))?`
	openDataIDs  = regexp.MustCompile(`^\{"openWindowTimestamp": "(` + javaInstantRe + `)"` + metaRe + `\}$`)
	closeDataIDs = regexp.MustCompile(`^\{"openWindowTimestamp": "(` + javaInstantRe + `)", "closeWindowTimestamp": "(` + javaInstantRe + `)"` + metaRe + `\}$`)
)

// compareWatermarks compares the rows Debezium and connectd wrote into their signal tables.
func (r *Run) compareWatermarks(theirs, ours string) {
	t := r.T
	t.Helper()
	open, closing, carrying := openData, closeData, "opened at %s has no close row carrying that time (%q)"
	if r.WatermarkIDs {
		open, closing, carrying = openDataIDs, closeDataIDs, "opened with %s has no close row carrying that time and ids (%q)"
	}
	summary := func(table string) map[string]int {
		out := map[string]int{}
		opens := map[string]string{} // uuid -> openWindowTimestamp[ correlationId dataCollectionId]
		closes := map[string]string{}
		for _, row := range r.Query("SELECT id, type, data FROM " + r.TablePrefix + table) {
			id, typ, data := row[0], row[1], row[2]
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
				dm := open.FindStringSubmatch(data)
				if dm == nil {
					t.Errorf("%s: window-open data %q is not Debezium's", table, data)
					continue
				}
				opens[uuid] = dm[1]
				if r.WatermarkIDs {
					opens[uuid] += " " + dm[2] + " " + dm[3]
					typ += " correlationId=" + dm[2] + " dataCollectionId=" + dm[3]
				}
			} else {
				dm := closing.FindStringSubmatch(data)
				if dm == nil {
					t.Errorf("%s: window-close data %q is not Debezium's", table, data)
					continue
				}
				if dm[2] < dm[1] {
					t.Errorf("%s: window %s closes (%s) before it opens (%s)", table, uuid, dm[2], dm[1])
				}
				closes[uuid] = dm[1]
				if r.WatermarkIDs {
					closes[uuid] += " " + dm[3] + " " + dm[4]
					typ += " correlationId=" + dm[3] + " dataCollectionId=" + dm[4]
				}
			}
			out[typ]++
		}
		for u, ts := range opens {
			if c, ok := closes[u]; !ok || c != ts {
				t.Errorf("%s: window %s "+carrying, table, u, ts, c)
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
// Only the Incremental Snapshot notifications (those of the signal) are compared; the Initial
// Snapshot ones of snapshot.mode=no_data are logged (connectd writes none for a schema-only
// snapshot, Debezium STARTED and COMPLETED).
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
				// The initial (schema-only) snapshot's: not the signal's.
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
