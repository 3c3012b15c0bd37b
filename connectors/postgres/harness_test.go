package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source/sourcetest"
	"github.com/connectd/connectd/tests/testbed"
)

// env is one test's corner of the shared test server: its own schema, slot and publication,
// dropped at cleanup so no slot is left holding WAL.
type env struct {
	t      *testing.T
	db     testbed.DB
	admin  *pgconn.PgConn
	name   string // unique, lower case: schema, slot, publication and topic prefix derive from it
	schema string
	slot   string
	pub    string
	prefix string
	offs   *memOffsets
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testbed.Postgres(t)
	name := fmt.Sprintf("pgt_%d_%d", os.Getpid()%100000, time.Now().UnixNano()%1_000_000_000)
	e := &env{t: t, db: db, name: name, schema: name, slot: name, pub: name + "_pub", prefix: "srv_" + name, offs: newMemOffsets()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := e.config()
	c, err := ParseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if e.admin, err = c.connect(ctx, false); err != nil {
		t.Fatal(err)
	}
	e.exec("CREATE SCHEMA " + e.schema)
	t.Cleanup(e.cleanup)
	return e
}

// config is the connector configuration of this test.
func (e *env) config(kv ...string) map[string]string {
	m := map[string]string{
		"connector.class":             ClassName,
		"topic.prefix":                e.prefix,
		"database.hostname":           e.db.Host,
		"database.port":               fmt.Sprint(e.db.Port),
		"database.user":               e.db.User,
		"database.password":           e.db.Password,
		"database.dbname":             e.db.Database,
		"database.sslmode":            "disable",
		"slot.name":                   e.slot,
		"publication.name":            e.pub,
		"publication.autocreate.mode": "all_tables",
		"schema.include.list":         e.schema,
		"skipped.operations":          "none",
		"poll.interval.ms":            "100",
		"status.update.interval.ms":   "500",
	}
	return sourcetest.With(m, kv...)
}

func (e *env) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A slot still in use (a task that failed to stop) is released first.
	_, _ = query(ctx, e.admin, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active`, e.slot)
	for i := 0; i < 40; i++ {
		if _, err := query(ctx, e.admin, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, e.slot); err == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	_, _ = simpleQuery(ctx, e.admin, "DROP PUBLICATION IF EXISTS "+quoteIdent(e.pub))
	_, _ = simpleQuery(ctx, e.admin, "DROP SCHEMA IF EXISTS "+e.schema+" CASCADE")
	closeConn(e.admin)
}

// exec runs SQL statements (separated by ';' in one string, or several strings).
func (e *env) exec(sqls ...string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for _, s := range sqls {
		if _, err := simpleQuery(ctx, e.admin, s); err != nil {
			e.t.Fatalf("%s: %v", s, err)
		}
	}
}

// queryRow returns the first row of a query as strings.
func (e *env) queryRow(sql string, args ...string) []string {
	e.t.Helper()
	rows, err := query(context.Background(), e.admin, sql, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	if len(rows) == 0 {
		return nil
	}
	out := make([]string, len(rows[0]))
	for i, v := range rows[0] {
		out[i] = string(v)
	}
	return out
}

// start starts a task with this test's configuration plus kv overrides.
func (e *env) start(kv ...string) *Task {
	e.t.Helper()
	task, err := e.tryStart(kv...)
	if err != nil {
		e.t.Fatalf("Start: %v", err)
	}
	return task
}

func (e *env) tryStart(kv ...string) (*Task, error) {
	task := NewTask()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := task.Start(ctx, e.offs, e.config(kv...)); err != nil {
		return nil, err
	}
	e.t.Cleanup(func() { _ = task.Stop() })
	return task, nil
}

// waitStreaming waits until the task streams (its snapshot, if any, is done).
func (e *env) waitStreaming(task *Task) {
	e.t.Helper()
	waitFor(e.t, "the task to stream", func() bool { return task.phase.Load() == phaseStreaming })
}

// poll collects exactly n records (or fails after the timeout).
func (e *env) poll(task *Task, n int) []*api.SourceRecord {
	e.t.Helper()
	var out []*api.SourceRecord
	deadline := time.Now().Add(60 * time.Second)
	for len(out) < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("got %d records, want %d: %s", len(out), n, describe(out))
		}
		recs, err := task.Poll(context.Background())
		if err != nil {
			e.t.Fatalf("Poll after %d records: %v", len(out), err)
		}
		out = append(out, recs...)
	}
	if len(out) > n {
		e.t.Fatalf("got %d records, want %d: %s", len(out), n, describe(out))
	}
	return out
}

// quiet checks that no record arrives for a while.
func (e *env) quiet(task *Task, d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		recs, err := task.Poll(context.Background())
		if err != nil {
			e.t.Fatalf("Poll: %v", err)
		}
		for _, r := range recs {
			if !strings.HasPrefix(r.Topic, "__debezium-heartbeat") {
				e.t.Fatalf("unexpected record: %s", describe([]*api.SourceRecord{r}))
			}
		}
	}
}

// commit stores the offset of the last record, as the runtime does after Kafka acknowledged it,
// and tells the task.
func (e *env) commit(task *Task, recs []*api.SourceRecord) {
	e.t.Helper()
	if len(recs) == 0 {
		return
	}
	last := recs[len(recs)-1]
	e.offs.Set(last.SourceOffset)
	if err := task.Commit(context.Background(), []api.PartitionOffset{{Partition: last.SourcePartition, Offset: last.SourceOffset}}); err != nil {
		e.t.Fatal(err)
	}
}

// slotState returns the slot's confirmed_flush_lsn and restart_lsn, "" when the slot is missing.
func (e *env) slotLSNs() (confirmed, restart string) {
	r := e.queryRow(`SELECT confirmed_flush_lsn::text, restart_lsn::text FROM pg_replication_slots WHERE slot_name = $1`, e.slot)
	if r == nil {
		return "", ""
	}
	return r[0], r[1]
}

// memOffsets is the committed offset the test controls, and the task's context.
type memOffsets = sourcetest.Offsets

func newMemOffsets() *memOffsets { return &memOffsets{Name: "pg-test"} }

// plain turns a Connect value into plain Go values for comparisons: structs become maps.
func plain(v any) any {
	switch x := v.(type) {
	case *api.Struct:
		if x == nil {
			return nil
		}
		m := map[string]any{}
		for _, f := range x.Schema().Fields {
			m[f.Name] = plain(x.GetIndex(f.Index))
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = plain(x[i])
		}
		return out
	case api.Decimal:
		return x.String()
	}
	return v
}

// ev is a change event record's value as plain maps.
type ev struct {
	topic  string
	key    map[string]any
	op     string
	before map[string]any
	after  map[string]any
	source map[string]any
	offset map[string]any
	tomb   bool
}

func decode(r *api.SourceRecord) ev {
	e := ev{topic: r.Topic, offset: r.SourceOffset}
	if k, ok := plain(r.Key).(map[string]any); ok {
		e.key = k
	}
	if r.Value == nil {
		e.tomb = true
		return e
	}
	v, _ := plain(r.Value).(map[string]any)
	e.op, _ = v["op"].(string)
	e.before, _ = v["before"].(map[string]any)
	e.after, _ = v["after"].(map[string]any)
	e.source, _ = v["source"].(map[string]any)
	return e
}

func describe(recs []*api.SourceRecord) string {
	var b strings.Builder
	for _, r := range recs {
		d := decode(r)
		if d.tomb {
			fmt.Fprintf(&b, "\n  %s tombstone key=%v", r.Topic, d.key)
			continue
		}
		fmt.Fprintf(&b, "\n  %s op=%s key=%v before=%v after=%v", r.Topic, d.op, d.key, d.before, d.after)
	}
	return b.String()
}
