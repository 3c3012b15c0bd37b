package mysql

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
	"github.com/connectd/connectd/connectors/source/sourcetest"
	"github.com/connectd/connectd/schemahistory"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/go-mysql-org/go-mysql/client"
)

// memHistory is an in-memory schemahistory.Store for tests that drive a task directly.
type memHistory struct {
	mu   sync.Mutex
	recs []*schemahistory.Record
}

func (h *memHistory) Record(ctx context.Context, recs ...*schemahistory.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, recs...)
	return nil
}

func (h *memHistory) Recover(ctx context.Context, fn func(*schemahistory.Record) error) error {
	h.mu.Lock()
	recs := append([]*schemahistory.Record(nil), h.recs...)
	h.mu.Unlock()
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (h *memHistory) Exists(ctx context.Context) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.recs) > 0, nil
}

func (h *memHistory) Close() error { return nil }

// memOffsets is a task context whose committed offset the test controls.
type memOffsets = sourcetest.Offsets

// db is a test database on the test bed's MariaDB (package tests/mariadb), dropped when the test
// ends, under the short names the tests of this package use.
type db struct {
	t    *testing.T
	tb   testbed.DB
	name string
	conn *client.Conn
	m    *mariadb.DB
}

func newDB(t *testing.T) *db {
	t.Helper()
	m := mariadb.New(t, "my")
	return &db{t: t, tb: m.TB, name: m.Name, conn: m.Conn, m: m}
}

func (d *db) exec(qs ...string) {
	d.t.Helper()
	d.m.Exec(qs...)
}

// config returns a connector configuration for the test database.
func (d *db) config(prefix string, extra ...string) map[string]string {
	m := map[string]string{
		"connector.class":                     MariaDBClass,
		"topic.prefix":                        prefix,
		"database.hostname":                   d.tb.Host,
		"database.port":                       strconv.Itoa(d.tb.Port),
		"database.user":                       d.tb.User,
		"database.password":                   d.tb.Password,
		"database.server.id":                  "6123",
		"database.include.list":               d.name,
		"schema.history.internal.kafka.topic": "unused",
		"schema.history.internal.kafka.bootstrap.servers": "unused",
		"poll.interval.ms": "100",
	}
	return sourcetest.With(m, extra...)
}

// runner drives one task: started on the shared history and offsets, polled into a slice.
type runner struct {
	t       *testing.T
	task    *Task
	offsets *memOffsets
	got     []*api.SourceRecord
	// other holds schema change, heartbeat (and, with skipTx, transaction) records.
	other  []*api.SourceRecord
	skipTx bool
	// all holds every record polled, in order.
	all []*api.SourceRecord
}

func startTask(t *testing.T, cfg map[string]string, hist *memHistory, offs *memOffsets) (*runner, error) {
	t.Helper()
	task := &Task{Flavor: FlavorMariaDB}
	task.OpenHistory = func(context.Context, map[string]string) (schemahistory.Store, error) { return hist, nil }
	if err := task.Start(context.Background(), offs, cfg); err != nil {
		return nil, err
	}
	r := &runner{t: t, task: task, offsets: offs}
	t.Cleanup(func() { task.Stop() })
	return r, nil
}

// pollUntil polls until n records (beyond those already read) arrived, committing offsets as
// the runtime would after Kafka acknowledged them.
func (r *runner) pollUntil(n int) []*api.SourceRecord {
	r.t.Helper()
	start := len(r.got)
	deadline := time.Now().Add(60 * time.Second)
	for len(r.got)-start < n {
		if time.Now().After(deadline) {
			r.t.Fatalf("got %d of %d records: %s", len(r.got)-start, n, describe(r.got[start:]))
		}
		recs, err := r.task.Poll(context.Background())
		if err != nil {
			r.t.Fatalf("poll: %v", err)
		}
		for _, rec := range recs {
			r.all = append(r.all, rec)
			r.offsets.Set(rec.SourceOffset)
			isTx := strings.HasSuffix(rec.Topic, ".transaction")
			if (strings.Count(rec.Topic, ".") != 2 && !isTx) || strings.HasPrefix(rec.Topic, "__") || isTx && r.skipTx {
				r.other = append(r.other, rec)
				continue
			}
			r.got = append(r.got, rec)
			r.offsets.Set(rec.SourceOffset)
		}
	}
	return r.got[start:]
}

// quiet polls for a while and fails on any record that is not a heartbeat.
func (r *runner) quiet(d time.Duration) {
	r.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		recs, err := r.task.Poll(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		for _, rec := range recs {
			if strings.Count(rec.Topic, ".") == 2 && !strings.HasPrefix(rec.Topic, "__debezium-heartbeat") {
				r.t.Fatalf("unexpected record %s", describe([]*api.SourceRecord{rec}))
			}
			r.other = append(r.other, rec)
			r.all = append(r.all, rec)
		}
	}
}

var plainJSON, _ = jsonconv.New(map[string]string{"schemas.enable": "false"}, false)

// rec is a record decoded for assertions.
type rec struct {
	Topic string
	Key   map[string]any
	Value map[string]any
}

func decode(t *testing.T, r *api.SourceRecord) rec {
	t.Helper()
	out := rec{Topic: r.Topic}
	if r.Key != nil {
		b, err := plainJSON.Encode(nil, r.KeySchema, r.Key)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &out.Key); err != nil {
			t.Fatal(err)
		}
	}
	if r.Value != nil {
		b, err := plainJSON.Encode(nil, r.ValueSchema, r.Value)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &out.Value); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func describe(rs []*api.SourceRecord) string {
	var b strings.Builder
	for _, r := range rs {
		js := []byte("null")
		if r.Value != nil {
			js, _ = plainJSON.Encode(nil, r.ValueSchema, r.Value)
		}
		fmt.Fprintf(&b, "\n  %s %v %s", r.Topic, r.SourceOffset, js)
	}
	return b.String()
}

// ops returns "op:id" for each change event (tombstones as "tomb:id").
func ops(t *testing.T, rs []*api.SourceRecord, idField string) []string {
	var out []string
	for _, r := range rs {
		d := decode(t, r)
		if d.Value == nil {
			out = append(out, fmt.Sprintf("tomb:%v", d.Key[idField]))
			continue
		}
		op, _ := d.Value["op"].(string)
		var id any
		if a, ok := d.Value["after"].(map[string]any); ok {
			id = a[idField]
		} else if b, ok := d.Value["before"].(map[string]any); ok {
			id = b[idField]
		}
		out = append(out, fmt.Sprintf("%s:%v", op, id))
	}
	return out
}

// waitStreaming waits until the task reads the binlog, so changes made next are after its
// snapshot position.
func (r *runner) waitStreaming() {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !r.task.streaming.Load() {
		if time.Now().After(deadline) {
			r.t.Fatal("the task did not start streaming")
		}
		recs, err := r.task.Poll(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		r.other = append(r.other, recs...)
	}
}

// txSequence returns, in order, the data events and the BEGIN/END records of the transaction
// the first data event belongs to, leaving out other transactions of the shared server.
func (r *runner) txSequence(t *testing.T, txTopic string) (seq []*api.SourceRecord, id string) {
	for _, rec := range r.all {
		if rec.Topic == txTopic || rec.Value == nil || strings.Count(rec.Topic, ".") != 2 {
			continue
		}
		if tx, ok := decode(t, rec).Value["transaction"].(map[string]any); ok {
			id, _ = tx["id"].(string)
			break
		}
	}
	for _, rec := range r.all {
		v := decode(t, rec).Value
		switch {
		case rec.Topic == txTopic:
			if v["id"] == id {
				seq = append(seq, rec)
			}
		case rec.Value != nil && strings.Count(rec.Topic, ".") == 2:
			seq = append(seq, rec)
		}
	}
	return seq, id
}

// waitEnd polls until the END record of the transaction of the first data event arrived.
func (r *runner) waitEnd(t *testing.T, txTopic string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		seq, id := r.txSequence(t, txTopic)
		if len(seq) > 0 {
			last := seq[len(seq)-1]
			if last.Topic == txTopic && decode(t, last).Value["status"] == "END" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no END for transaction %q: %s", id, describe(seq))
		}
		r.quiet(100 * time.Millisecond)
	}
}
