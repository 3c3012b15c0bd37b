package sqlserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/connectors/changetable/sqltest"
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/connectors/source/sourcetest"
	"github.com/connectd/connectd/schemahistory"
)

// The recorded data. Table, LSNs and change rows are those of Debezium's SQL Server
// documentation (documentation/modules/ROOT/pages/connectors/sqlserver.adoc): the customers
// table of testDB (id int identity, first_name, last_name, email varchar(255), all NOT NULL, in
// the schema change event example), the snapshot's commit_lsn 00000025:00000d98:00a2, and the
// create, update and delete examples' change_lsn/commit_lsn and row values. The change rows'
// columns are what cdc.fn_cdc_get_all_changes_<capture_instance> returns (Microsoft's
// documentation, "Table returned": __$start_lsn binary(10), __$seqval binary(10), __$operation
// int, __$update_mask varbinary(128), then the captured columns) plus the commit time Debezium
// selects after them. The snapshot rows are customers 1001 and 1002 of Debezium's tutorial
// database (debezium-examples, tutorial/debezium-sqlserver-init/inventory.sql).
var lsn = sqltest.LSN

const (
	snapLSN = "00000025:00000d98:00a2"
	maxLSN  = "00000027:00000db0:0007"
)

var customersCols = []string{"id", "first_name", "last_name", "email"}

// Statements the connector sends for database testDB (asserted verbatim).
var (
	sqlMaxLSN   = "SELECT [testDB].sys.fn_cdc_get_max_lsn()"
	sqlIncr     = "SELECT [testDB].sys.fn_cdc_increment_lsn(@p1)"
	sqlMinLSN   = "SELECT [testDB].sys.fn_cdc_get_min_lsn(@p1)"
	sqlCaptured = "SELECT object_id, column_name FROM [testDB].cdc.captured_columns ORDER BY object_id, column_id"
	sqlTables   = "SELECT OBJECT_SCHEMA_NAME(ct.source_object_id, DB_ID(@p1)), OBJECT_NAME(ct.source_object_id, DB_ID(@p1)), ct.capture_instance, ct.object_id, ct.start_lsn FROM [testDB].cdc.change_tables AS ct ORDER BY ct.start_lsn, ct.create_date DESC"
	sqlColumns  = "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, c.NUMERIC_SCALE, c.DATETIME_PRECISION, c.IS_NULLABLE, c.COLUMN_DEFAULT, " +
		"COLUMNPROPERTY(OBJECT_ID(QUOTENAME(c.TABLE_SCHEMA) + '.' + QUOTENAME(c.TABLE_NAME)), c.COLUMN_NAME, 'IsIdentity'), " +
		"COLUMNPROPERTY(OBJECT_ID(QUOTENAME(c.TABLE_SCHEMA) + '.' + QUOTENAME(c.TABLE_NAME)), c.COLUMN_NAME, 'IsComputed') " +
		"FROM [testDB].INFORMATION_SCHEMA.COLUMNS AS c WHERE c.TABLE_SCHEMA = @p1 AND c.TABLE_NAME = @p2 ORDER BY c.ORDINAL_POSITION"
	sqlPK = "SELECT k.COLUMN_NAME FROM [testDB].INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS t JOIN [testDB].INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = t.CONSTRAINT_NAME " +
		"WHERE t.CONSTRAINT_TYPE = 'PRIMARY KEY' AND t.TABLE_SCHEMA = @p1 AND t.TABLE_NAME = @p2 ORDER BY k.ORDINAL_POSITION"
	sqlSelect  = "SELECT [id], [first_name], [last_name], [email] FROM [testDB].[dbo].[customers]"
	sqlChanges = func(top string) string {
		return "SELECT " + top + "[__$start_lsn], [__$seqval], [__$operation], [__$update_mask], [id], [first_name], [last_name], [email], " +
			"TODATETIMEOFFSET([testDB].sys.fn_cdc_map_lsn_to_time([__$start_lsn]), DATEPART(TZOFFSET, SYSDATETIMEOFFSET())) " +
			"FROM [testDB].cdc.[fn_cdc_get_all_changes_dbo_customers](@p1, @p2, N'all update old') " +
			"WHERE (([__$start_lsn] = @p3 AND [__$seqval] = @p4 AND [__$operation] > @p5) OR ([__$start_lsn] = @p6 AND [__$seqval] > @p7) OR ([__$start_lsn] > @p8)) " +
			"AND [__$start_lsn] <= @p9 ORDER BY [__$start_lsn] ASC, [__$seqval] ASC, [__$operation] ASC"
	}
)

// server scripts a testDB with CDC on dbo.customers.
type server struct {
	t      *testing.T
	f      *sqltest.Fake
	mu     sync.Mutex
	max    []byte
	min    []byte
	change [][]any // change rows, in change-table order

	captured, tables, columns [][]any // cdc.captured_columns, cdc.change_tables, INFORMATION_SCHEMA.COLUMNS
}

func newServer(t *testing.T) *server {
	s := &server{t: t, f: sqltest.New(), max: lsn(t, snapLSN), min: lsn(t, "00000020:00000000:0001")}
	s.f.Use(t, &driverName)
	f := s.f
	f.On(sqlMaxLSN, func([]any) (*sqltest.Result, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return &sqltest.Result{Columns: []string{""}, Rows: [][]any{{s.max}}}, nil
	})
	f.On(sqlMinLSN, func([]any) (*sqltest.Result, error) {
		return &sqltest.Result{Columns: []string{""}, Rows: [][]any{{s.min}}}, nil
	})
	f.On(sqlIncr, func(args []any) (*sqltest.Result, error) {
		b := append([]byte(nil), args[0].([]byte)...)
		b[len(b)-1]++ // the recorded LSNs never carry over
		return &sqltest.Result{Columns: []string{""}, Rows: [][]any{{b}}}, nil
	})
	s.captured = [][]any{{int64(1269579561), "id"}, {int64(1269579561), "first_name"}, {int64(1269579561), "last_name"}, {int64(1269579561), "email"}}
	s.tables = [][]any{{"dbo", "customers", "dbo_customers", int64(1269579561), lsn(t, "00000024:00000000:0001")}}
	s.columns = [][]any{
		{"id", "int", nil, int64(10), int64(0), nil, "NO", nil, int64(1), int64(0)},
		{"first_name", "varchar", int64(255), nil, nil, nil, "NO", nil, int64(0), int64(0)},
		{"last_name", "varchar", int64(255), nil, nil, nil, "NO", nil, int64(0), int64(0)},
		{"email", "varchar", int64(255), nil, nil, nil, "NO", nil, int64(0), int64(0)},
	}
	dyn := func(cols []string, rows *[][]any) sqltest.Handler {
		return func([]any) (*sqltest.Result, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return &sqltest.Result{Columns: cols, Rows: *rows}, nil
		}
	}
	f.On(sqlCaptured, dyn([]string{"object_id", "column_name"}, &s.captured))
	f.On(sqlTables, dyn([]string{"", "", "capture_instance", "object_id", "start_lsn"}, &s.tables))
	f.On(sqlColumns, dyn([]string{"COLUMN_NAME", "DATA_TYPE", "CHARACTER_MAXIMUM_LENGTH", "NUMERIC_PRECISION", "NUMERIC_SCALE", "DATETIME_PRECISION", "IS_NULLABLE", "COLUMN_DEFAULT", "", ""}, &s.columns))
	f.On(sqlPK, sqltest.Rows([]string{"COLUMN_NAME"}, []any{"id"}))
	f.On("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", sqltest.Rows(nil))
	f.On("SET TRANSACTION ISOLATION LEVEL SNAPSHOT", sqltest.Rows(nil))
	f.On("BEGIN TRANSACTION (isolation 0)", sqltest.Rows(nil))
	f.On("ROLLBACK", sqltest.Rows(nil))
	f.On(sqlSelect, sqltest.Rows(customersCols,
		[]any{int64(1001), "Sally", "Thomas", "sally.thomas@acme.com"},
		[]any{int64(1002), "George", "Bailey", "gbailey@foobar.com"}))
	serve := func(args []any) (*sqltest.Result, error) { return s.changes(args, 0) }
	f.On(sqlChanges(""), serve)
	f.On(sqlChanges("TOP 2 "), func(args []any) (*sqltest.Result, error) { return s.changes(args, 2) })
	return s
}

// changes answers the change query as the function and its WHERE clause would: rows with
// from <= start_lsn <= to after the keyset (start, seqval, operation), at most top of them.
func (s *server) changes(args []any, top int) (*sqltest.Result, error) {
	fnFrom, fnTo := args[0].([]byte), args[1].([]byte)
	kStart, kSeq, kOp := args[2].([]byte), args[3].([]byte), args[4].(int64)
	to := args[8].([]byte)
	if string(fnFrom) < string(s.min) {
		// What SQL Server answers for a from_lsn below the capture instance's minimum (error 313).
		return nil, errors.New("mssql: An insufficient number of arguments were supplied for the procedure or function cdc.fn_cdc_get_all_changes_ ... .")
	}
	res := &sqltest.Result{Columns: []string{"__$start_lsn", "__$seqval", "__$operation", "__$update_mask", "id", "first_name", "last_name", "email", ""}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.change {
		st, seq, op := string(r[0].([]byte)), string(r[1].([]byte)), r[2].(int64)
		if st < string(fnFrom) || st > string(fnTo) || st > string(to) {
			continue
		}
		after := st == string(kStart) && seq == string(kSeq) && op > kOp || st == string(kStart) && seq > string(kSeq) || st > string(kStart)
		if !after {
			continue
		}
		res.Rows = append(res.Rows, r)
		if top > 0 && len(res.Rows) == top {
			break
		}
	}
	return res, nil
}

// docChanges are the documentation's create, update (two rows) and delete of customer 1005.
func docChanges(t *testing.T) [][]any {
	at := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	mask := []byte{0x0f}
	return [][]any{
		{lsn(t, "00000027:00000758:0005"), lsn(t, "00000027:00000758:0003"), int64(2), mask, int64(1005), "john", "doe", "john.doe@example.org", at(1559729468470)},
		{lsn(t, "00000027:00000ac0:0007"), lsn(t, "00000027:00000ac0:0002"), int64(3), []byte{0x08}, int64(1005), "john", "doe", "john.doe@example.org", at(1559729995937)},
		{lsn(t, "00000027:00000ac0:0007"), lsn(t, "00000027:00000ac0:0002"), int64(4), []byte{0x08}, int64(1005), "john", "doe", "noreply@example.org", at(1559729995937)},
		{lsn(t, "00000027:00000db0:0007"), lsn(t, "00000027:00000db0:0005"), int64(1), mask, int64(1005), "john", "doe", "noreply@example.org", at(1559730445243)},
	}
}

func baseConfig(extra ...string) map[string]string {
	c := map[string]string{
		"connector.class":                     ClassName,
		"topic.prefix":                        "server1",
		"database.hostname":                   "sqlserver.invalid",
		"database.user":                       "sa",
		"database.password":                   "Password!",
		"database.names":                      "testDB",
		"schema.history.internal.kafka.topic": "schema-changes.testDB",
		"schema.history.internal.kafka.bootstrap.servers": "127.0.0.1:1",
	}
	return sourcetest.With(c, extra...)
}

// startTask starts a task with an in-memory history and the given stored offset.
func startTask(t *testing.T, config map[string]string, stored map[string]any, hist *schemahistory.MemoryStore) (*changetable.ConnectorTask, error) {
	t.Helper()
	offs := &sqltest.Offsets{Name: "sqlserver-test", Key: func(p map[string]any) (string, error) { return fmt.Sprint(p["server"], "/", p["database"]), nil }}
	if stored != nil {
		offs.Put("server1/testDB", stored)
	}
	return sqltest.Start(t, newTask(), offs, hist, config)
}

// drain polls until n records arrived.
func drain(t *testing.T, task *changetable.ConnectorTask, n int) []*api.SourceRecord {
	return sqltest.Drain(t, task.Poll, n)
}

var payload, jsonOf = sqltest.Payload, sqltest.JSON

func TestSnapshotThenStreamDocumentedEvents(t *testing.T) {
	s := newServer(t)
	hist := schemahistory.NewMemoryStore(true)
	task, err := startTask(t, baseConfig(), nil, hist)
	if err != nil {
		t.Fatal(err)
	}
	// Snapshot: one schema change event, two reads.
	recs := drain(t, task, 3)
	sc, r1, r2 := recs[0], recs[1], recs[2]
	if sc.Topic != "server1" || jsonOf(payload(t, sc)["tableChanges"].([]any)[0].(map[string]any)["id"]) != `"\"testDB\".\"dbo\".\"customers\""` {
		t.Fatalf("schema change event: %s %v", sc.Topic, payload(t, sc))
	}
	scSrc := payload(t, sc)["source"].(map[string]any)
	if scSrc["commit_lsn"] != snapLSN || scSrc["change_lsn"] != nil || scSrc["event_serial_no"] != nil || scSrc["snapshot"] != "true" {
		t.Errorf("schema change source = %v", scSrc)
	}
	cols := payload(t, sc)["tableChanges"].([]any)[0].(map[string]any)["table"].(map[string]any)["columns"].([]any)
	if id := cols[0].(map[string]any); id["typeName"] != "int identity" || id["jdbcType"] != float64(4) || id["length"] != float64(10) || id["scale"] != float64(0) || id["autoIncremented"] != false {
		t.Errorf("id column = %v", id)
	}
	if fn := cols[1].(map[string]any); fn["typeName"] != "varchar" || fn["jdbcType"] != float64(12) || fn["length"] != float64(255) || fn["scale"] != nil || fn["optional"] != false {
		t.Errorf("first_name column = %v", fn)
	}
	for i, r := range []*api.SourceRecord{r1, r2} {
		if r.Topic != "server1.testDB.dbo.customers" {
			t.Errorf("topic %s", r.Topic)
		}
		if jsonOf(r.SourcePartition) != `{"database":"testDB","server":"server1"}` {
			t.Errorf("partition %v", r.SourcePartition)
		}
		p := payload(t, r)
		src := p["source"].(map[string]any)
		wantSnap := []string{"first", "last"}[i]
		if p["op"] != "r" || src["snapshot"] != wantSnap || src["commit_lsn"] != snapLSN || src["change_lsn"] != nil || src["event_serial_no"] != nil ||
			src["connector"] != "sqlserver" || src["db"] != "testDB" || src["schema"] != "dbo" || src["table"] != "customers" {
			t.Errorf("read %d: %v", i, p)
		}
		wantOff := fmt.Sprintf(`{"change_lsn":"NULL","commit_lsn":%q,"event_serial_no":1,"snapshot":"INITIAL","snapshot_completed":%v}`, snapLSN, i == 1)
		if jsonOf(r.SourceOffset) != wantOff {
			t.Errorf("read %d offset %s, want %s", i, jsonOf(r.SourceOffset), wantOff)
		}
	}
	if a := payload(t, r1)["after"]; jsonOf(a) != `{"email":"sally.thomas@acme.com","first_name":"Sally","id":1001,"last_name":"Thomas"}` {
		t.Errorf("first row %s", jsonOf(a))
	}
	// The snapshot ran in REPEATABLE READ (the default snapshot.isolation.mode) and read the
	// LSN inside its transaction.
	var order []string
	for _, c := range s.f.Calls() {
		if strings.HasPrefix(c.SQL, "SET TRANSACTION") || strings.HasPrefix(c.SQL, "BEGIN") || c.SQL == sqlSelect || c.SQL == "ROLLBACK" {
			order = append(order, c.SQL)
		}
	}
	if strings.Join(order, "|") != "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ|BEGIN TRANSACTION (isolation 0)|"+sqlSelect+"|ROLLBACK" {
		t.Errorf("snapshot statements: %v", order)
	}

	// Streaming: the documented create, update and delete arrive.
	s.mu.Lock()
	s.change = docChanges(t)
	s.max = lsn(t, maxLSN)
	s.mu.Unlock()
	recs = drain(t, task, 4) // c, u, d, tombstone
	want := []struct {
		op, change, commit string
		serial             float64
		before, after      string
	}{
		{"c", "00000027:00000758:0003", "00000027:00000758:0005", 1, "null", `{"email":"john.doe@example.org","first_name":"john","id":1005,"last_name":"doe"}`},
		{"u", "00000027:00000ac0:0002", "00000027:00000ac0:0007", 2, `{"email":"john.doe@example.org","first_name":"john","id":1005,"last_name":"doe"}`, `{"email":"noreply@example.org","first_name":"john","id":1005,"last_name":"doe"}`},
		{"d", "00000027:00000db0:0005", "00000027:00000db0:0007", 1, `{"email":"noreply@example.org","first_name":"john","id":1005,"last_name":"doe"}`, "null"},
	}
	for i, w := range want {
		p := payload(t, recs[i])
		src := p["source"].(map[string]any)
		if p["op"] != w.op || src["change_lsn"] != w.change || src["commit_lsn"] != w.commit || src["event_serial_no"] != w.serial || src["snapshot"] != "false" ||
			jsonOf(p["before"]) != w.before || jsonOf(p["after"]) != w.after {
			t.Errorf("event %d: %v", i, p)
		}
		wantOff := fmt.Sprintf(`{"change_lsn":%q,"commit_lsn":%q,"event_serial_no":%d}`, w.change, w.commit, int(w.serial))
		if jsonOf(recs[i].SourceOffset) != wantOff {
			t.Errorf("event %d offset %s, want %s", i, jsonOf(recs[i].SourceOffset), wantOff)
		}
		if recs[i].Key == nil || jsonOf(payloadKey(t, recs[i])) != `{"id":1005}` {
			t.Errorf("event %d key %v", i, recs[i].Key)
		}
	}
	if src := payload(t, recs[0])["source"].(map[string]any); src["ts_ms"] != float64(1559729468470) {
		t.Errorf("create source.ts_ms = %v, want the commit time 1559729468470", src["ts_ms"])
	}
	if recs[3].Value != nil || recs[3].Topic != "server1.testDB.dbo.customers" {
		t.Errorf("no tombstone after the delete: %+v", recs[3])
	}
	// After the snapshot, reading started after its LSN: fn_cdc_increment_lsn of it, passed as
	// from_lsn and as the keyset's start, with Lsn.ZERO and operation 0.
	calls := s.f.CallsOf(sqlChanges(""))
	if len(calls) == 0 {
		t.Fatal("the change function was never called")
	}
	first := calls[0].Args
	fromWant := lsn(t, "00000025:00000d98:00a3")
	if string(first[0].([]byte)) != string(fromWant) || string(first[1].([]byte)) != string(lsn(t, maxLSN)) ||
		string(first[3].([]byte)) != string(make([]byte, 10)) || first[4] != int64(0) {
		t.Errorf("first change query args %x", first)
	}
	// The history holds the snapshot's CREATE, at the snapshot's position.
	var recsH []*schemahistory.Record
	_ = hist.Recover(context.Background(), func(r *schemahistory.Record) error { recsH = append(recsH, r); return nil })
	if len(recsH) != 1 || recsH[0].DatabaseName != "testDB" || recsH[0].SchemaName != "dbo" || recsH[0].DDL != "" ||
		jsonOf(recsH[0].Source) != `{"database":"testDB","server":"server1"}` || recsH[0].Position["commit_lsn"] != snapLSN {
		t.Errorf("history: %+v", recsH)
	}
}

func payloadKey(t *testing.T, r *api.SourceRecord) map[string]any {
	return sqltest.Payload(t, &api.SourceRecord{ValueSchema: r.KeySchema, Value: r.Key})
}

func TestRestartInsideTransactionSkipsEmittedRows(t *testing.T) {
	s := newServer(t)
	// A first run snapshots and streams the documented changes, leaving the table in the
	// history.
	hist := schemahistory.NewMemoryStore(true)
	first, err := startTask(t, baseConfig(), nil, hist)
	if err != nil {
		t.Fatal(err)
	}
	_ = drain(t, first, 3) // schema change, 2 reads
	s.mu.Lock()
	s.change = docChanges(t)
	s.max = lsn(t, maxLSN)
	s.mu.Unlock()
	_ = drain(t, first, 4) // c, u, d, tombstone
	_ = first.Stop()
	nSelect := len(s.f.CallsOf(sqlSelect))

	// The previous run stopped after the update (event_serial_no 2 at its position): a restart
	// reads that transaction again from its commit LSN and emits only the delete.
	stored := map[string]any{"commit_lsn": "00000027:00000ac0:0007", "change_lsn": "00000027:00000ac0:0002", "event_serial_no": float64(2)}
	n0 := len(s.f.CallsOf(sqlChanges("")))
	task, err := startTask(t, baseConfig(), stored, hist)
	if err != nil {
		t.Fatal(err)
	}
	recs := drain(t, task, 2)
	if p := payload(t, recs[0]); p["op"] != "d" || recs[1].Value != nil {
		t.Fatalf("after restart got %v then %v", p, recs[1].Value)
	}
	calls := s.f.CallsOf(sqlChanges(""))[n0:]
	if len(calls) == 0 || string(calls[0].Args[0].([]byte)) != string(lsn(t, "00000027:00000ac0:0007")) {
		t.Errorf("restart did not read from the stored commit LSN: %x", calls)
	}
	// No new snapshot: the table came from the history.
	if len(s.f.CallsOf(sqlSelect)) != nSelect {
		t.Error("a restart with an offset took a snapshot")
	}
}

func TestUpdateSplitAcrossFetchPages(t *testing.T) {
	s := newServer(t)
	hist := schemahistory.NewMemoryStore(true)
	task, err := startTask(t, baseConfig("streaming.fetch.size", "2"), nil, hist)
	if err != nil {
		t.Fatal(err)
	}
	_ = drain(t, task, 3)
	s.mu.Lock()
	s.change = docChanges(t) // page 1: insert + update-before; page 2: update-after + delete
	s.max = lsn(t, maxLSN)
	s.mu.Unlock()
	recs := drain(t, task, 4)
	p := payload(t, recs[1])
	if p["op"] != "u" || p["after"].(map[string]any)["email"] != "noreply@example.org" || p["before"].(map[string]any)["email"] != "john.doe@example.org" {
		t.Fatalf("update across pages: %v", p)
	}
	calls := s.f.CallsOf(sqlChanges("TOP 2 "))
	if len(calls) < 2 {
		t.Fatalf("expected paged reads, got %d", len(calls))
	}
	// The second page continues after the last row of the first (the update's before image:
	// start 00000027:00000ac0:0007, seqval ...0002, operation 3).
	a := calls[1].Args
	if string(a[2].([]byte)) != string(lsn(t, "00000027:00000ac0:0007")) || string(a[3].([]byte)) != string(lsn(t, "00000027:00000ac0:0002")) || a[4] != int64(3) {
		t.Errorf("second page keyset %x", a)
	}
}

func TestPurgedLSN(t *testing.T) {
	stored := map[string]any{"commit_lsn": snapLSN, "change_lsn": "00000025:00000d98:0002", "event_serial_no": float64(1)}
	s := newServer(t)
	s.min = lsn(t, "00000026:00000000:0001") // the cleanup job removed everything up to here
	_, err := startTask(t, baseConfig(), stored, schemahistory.NewMemoryStore(true))
	var pe *snapshotmode.PurgedError
	if !errors.As(err, &pe) {
		t.Fatalf("start = %v, want a purged-position failure", err)
	}
	for _, w := range []string{snapLSN, "00000026:00000000:0001", "snapshot.mode=when_needed", "offsets"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q: %v", w, err)
		}
	}
	if len(s.f.CallsOf(sqlMinLSN)) == 0 || s.f.CallsOf(sqlMinLSN)[0].Args[0] != "dbo_customers" {
		t.Errorf("min LSN not read for the capture instance")
	}
	// when_needed drops the offset and snapshots again.
	task, err := startTask(t, baseConfig("snapshot.mode", "when_needed"), stored, schemahistory.NewMemoryStore(true))
	if err != nil {
		t.Fatal(err)
	}
	recs := drain(t, task, 3)
	if p := payload(t, recs[1]); p["op"] != "r" {
		t.Errorf("when_needed did not re-snapshot: %v", p)
	}
}

func TestIsolationModes(t *testing.T) {
	s := newServer(t)
	s.f.On("SELECT TOP(0) * FROM [testDB].[dbo].[customers] WITH (TABLOCKX)", sqltest.Rows(nil))
	task, err := startTask(t, baseConfig("snapshot.isolation.mode", "exclusive"), nil, schemahistory.NewMemoryStore(true))
	if err != nil {
		t.Fatal(err)
	}
	_ = drain(t, task, 3)
	if len(s.f.CallsOf("SELECT TOP(0) * FROM [testDB].[dbo].[customers] WITH (TABLOCKX)")) != 1 || len(s.f.CallsOf("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")) != 1 {
		t.Error("exclusive mode did not lock the table in a repeatable-read transaction")
	}
	for mode, level := range map[string]string{"snapshot": "SNAPSHOT", "read_committed": "READ COMMITTED", "read_uncommitted": "READ UNCOMMITTED", "repeatable_read": "REPEATABLE READ"} {
		s2 := newServer(t)
		set := "SET TRANSACTION ISOLATION LEVEL " + level
		s2.f.On(set, sqltest.Rows(nil))
		task, err = startTask(t, baseConfig("snapshot.isolation.mode", mode), nil, schemahistory.NewMemoryStore(true))
		if err != nil {
			t.Fatal(err)
		}
		_ = drain(t, task, 3)
		if len(s2.f.CallsOf(set)) != 1 {
			t.Errorf("snapshot.isolation.mode=%s did not run %q", mode, set)
		}
		if len(s2.f.CallsOf("SELECT TOP(0) * FROM [testDB].[dbo].[customers] WITH (TABLOCKX)")) != 0 {
			t.Errorf("snapshot.isolation.mode=%s locked the table", mode)
		}
	}
}

func TestTransactionMetadata(t *testing.T) {
	s := newServer(t)
	task, err := startTask(t, baseConfig("provide.transaction.metadata", "true"), nil, schemahistory.NewMemoryStore(true))
	if err != nil {
		t.Fatal(err)
	}
	_ = drain(t, task, 3)
	s.mu.Lock()
	s.change = docChanges(t)[:1]
	s.max = lsn(t, "00000027:00000758:0005")
	s.mu.Unlock()
	recs := drain(t, task, 3) // BEGIN, c, END
	begin, ev, end := payload(t, recs[0]), payload(t, recs[1]), payload(t, recs[2])
	if recs[0].Topic != "server1.transaction" || begin["status"] != "BEGIN" || begin["id"] != "00000027:00000758:0005" {
		t.Errorf("BEGIN %v", begin)
	}
	if tx := ev["transaction"].(map[string]any); tx["id"] != "00000027:00000758:0005" || tx["total_order"] != float64(1) || tx["data_collection_order"] != float64(1) {
		t.Errorf("transaction block %v", tx)
	}
	if end["status"] != "END" || end["event_count"] != float64(1) || jsonOf(end["data_collections"]) != `[{"data_collection":"testDB.dbo.customers","event_count":1}]` {
		t.Errorf("END %v", end)
	}
}

func TestTaskConfigsSpreadDatabases(t *testing.T) {
	c := newConnector()
	if err := c.Start(nil, baseConfig("database.names", "db1,db2,db3")); err != nil {
		t.Fatal(err)
	}
	tcs, _ := c.TaskConfigs(2)
	if len(tcs) != 2 || tcs[0]["database.names"] != "db1,db3" || tcs[1]["database.names"] != "db2" {
		t.Errorf("task configs %v", tcs)
	}
	tcs, _ = c.TaskConfigs(5)
	if len(tcs) != 3 {
		t.Errorf("%d tasks for 3 databases", len(tcs))
	}
	if err := c.AlterOffsets(baseConfig("database.names", "db1,db2,db3"), []api.PartitionOffset{{Partition: map[string]any{"server": "server1"}, Offset: map[string]any{}}}); err == nil {
		t.Error("a partition without the database was accepted")
	}
	if err := c.AlterOffsets(baseConfig("database.names", "db1,db2,db3"), []api.PartitionOffset{{Partition: map[string]any{"server": "server1", "database": "db2"}, Offset: map[string]any{"commit_lsn": "00000027:00000758:0005", "change_lsn": "00000027:00000758:0003", "event_serial_no": 1}}}); err != nil {
		t.Error(err)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, bad := range []map[string]string{
		baseConfig("database.names", ""),
		baseConfig("snapshot.isolation.mode", "serializable"),
		baseConfig("data.query.mode", "direct"),
		baseConfig("snapshot.mode", "sometimes"),
	} {
		if _, err := ParseConfig(bad); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
	cfg, err := ParseConfig(baseConfig("database.instance", "SQLEXPRESS"))
	if err != nil {
		t.Fatal(err)
	}
	if dsn := cfg.dsn("testDB"); !strings.HasPrefix(dsn, "sqlserver://sa:Password%21@sqlserver.invalid/SQLEXPRESS?") || !strings.Contains(dsn, "database=testDB") {
		t.Errorf("dsn %s", dsn)
	}
}

func TestCaptureInstanceSwitchAfterAlterTable(t *testing.T) {
	s := newServer(t)
	task, err := startTask(t, baseConfig(), nil, schemahistory.NewMemoryStore(true))
	if err != nil {
		t.Fatal(err)
	}
	_ = drain(t, task, 3)
	// ALTER TABLE dbo.customers ADD phone varchar(20) NULL, then
	// sys.sp_cdc_enable_table ... @capture_instance = 'dbo_customers_v2' (Microsoft's documented
	// way to capture a changed table): a second capture instance starting at 00000028:...; the old
	// one keeps its four columns and still captures until it is disabled.
	newStart := lsn(t, "00000028:00000010:0001")
	at := time.UnixMilli(1559729468470).UTC()
	s.mu.Lock()
	s.columns = append(s.columns, []any{"phone", "varchar", int64(20), nil, nil, nil, "YES", nil, int64(0), int64(0)})
	s.tables = append(s.tables, []any{"dbo", "customers", "dbo_customers_v2", int64(1365579903), newStart})
	for _, c := range []string{"id", "first_name", "last_name", "email", "phone"} {
		s.captured = append(s.captured, []any{int64(1365579903), c})
	}
	// Before the switch: one insert in the old instance only. After it: one insert in both.
	s.change = [][]any{
		{lsn(t, "00000027:00000758:0005"), lsn(t, "00000027:00000758:0003"), int64(2), []byte{0x0f}, int64(1005), "john", "doe", "john.doe@example.org", at},
		{lsn(t, "00000029:00000020:0004"), lsn(t, "00000029:00000020:0002"), int64(2), []byte{0x0f}, int64(1006), "jane", "roe", "jane.roe@example.org", at},
	}
	v2 := [][]any{
		{lsn(t, "00000029:00000020:0004"), lsn(t, "00000029:00000020:0002"), int64(2), []byte{0x1f}, int64(1006), "jane", "roe", "jane.roe@example.org", "555-0100", at},
	}
	s.max = lsn(t, "00000029:00000020:0004")
	s.mu.Unlock()
	sqlV2 := strings.Replace(strings.Replace(sqlChanges(""), "[email], ", "[email], [phone], ", 1), "fn_cdc_get_all_changes_dbo_customers]", "fn_cdc_get_all_changes_dbo_customers_v2]", 1)
	s.f.On(sqlV2, func(args []any) (*sqltest.Result, error) {
		res := &sqltest.Result{Columns: []string{"__$start_lsn", "__$seqval", "__$operation", "__$update_mask", "id", "first_name", "last_name", "email", "phone", ""}}
		for _, r := range v2 {
			if string(r[0].([]byte)) >= string(args[0].([]byte)) && string(r[0].([]byte)) <= string(args[8].([]byte)) {
				res.Rows = append(res.Rows, r)
			}
		}
		return res, nil
	})
	recs := drain(t, task, 3) // c (old instance), ALTER schema change, c (new instance)
	first, alter, second := payload(t, recs[0]), payload(t, recs[1]), payload(t, recs[2])
	if first["op"] != "c" || jsonOf(first["after"]) != `{"email":"john.doe@example.org","first_name":"john","id":1005,"last_name":"doe"}` {
		t.Errorf("before the switch: %v", first)
	}
	ch := alter["tableChanges"].([]any)[0].(map[string]any)
	if recs[1].Topic != "server1" || ch["type"] != "ALTER" || len(ch["table"].(map[string]any)["columns"].([]any)) != 5 {
		t.Errorf("schema change at the switch: %v", alter)
	}
	if second["op"] != "c" || jsonOf(second["after"]) != `{"email":"jane.roe@example.org","first_name":"jane","id":1006,"last_name":"roe","phone":"555-0100"}` {
		t.Errorf("after the switch: %v", second)
	}
	// The old instance was read only up to the new one's start: its copy of the 00000029 insert
	// was not emitted (three records, no fourth).
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if more, _ := task.Poll(ctx); len(more) != 0 {
		t.Errorf("extra records after the switch: %d", len(more))
	}
}

func TestNeverModeStreamsFromOldestAndSkipsOperations(t *testing.T) {
	s := newServer(t)
	s.change = docChanges(t)
	s.max = lsn(t, maxLSN)
	task, err := startTask(t, baseConfig("snapshot.mode", "never", "skipped.operations", "u"), nil, schemahistory.NewMemoryStore(true))
	if err != nil {
		t.Fatal(err)
	}
	// No snapshot: the table's structure is read when it is first streamed (a schema change
	// event), then the create and the delete; the update is skipped.
	recs := drain(t, task, 4)
	if recs[0].Topic != "server1" || payload(t, recs[1])["op"] != "c" || payload(t, recs[2])["op"] != "d" || recs[3].Value != nil {
		t.Errorf("never mode: %s %v %v", recs[0].Topic, payload(t, recs[1])["op"], payload(t, recs[2])["op"])
	}
	if len(s.f.CallsOf(sqlSelect)) != 0 {
		t.Error("snapshot.mode=never read the table")
	}
	// With no stored position the change function starts at the capture instance's start LSN
	// (Debezium's getFromLsn: the later of the interval's start and the instance's).
	calls := s.f.CallsOf(sqlChanges(""))
	if len(calls) == 0 || string(calls[0].Args[0].([]byte)) != string(lsn(t, "00000024:00000000:0001")) {
		t.Errorf("first read did not start at the capture instance's start_lsn: %x", calls)
	}
}

func TestHeartbeatOnIdlePoll(t *testing.T) {
	s := newServer(t)
	task, err := startTask(t, baseConfig("heartbeat.interval.ms", "1", "poll.interval.ms", "10"), nil, schemahistory.NewMemoryStore(true))
	if err != nil {
		t.Fatal(err)
	}
	_ = drain(t, task, 3)
	s.mu.Lock()
	s.max = lsn(t, "00000026:00000000:0001") // the server moved on, nothing captured changed
	s.mu.Unlock()
	var hb *api.SourceRecord
	deadline := time.Now().Add(5 * time.Second)
	for hb == nil && time.Now().Before(deadline) {
		for _, r := range drain(t, task, 1) {
			if r.Topic == "__debezium-heartbeat.server1" && r.SourceOffset["commit_lsn"] == "00000026:00000000:0001" {
				hb = r
			}
		}
	}
	if hb == nil {
		t.Fatal("no heartbeat at the polled LSN")
	}
	// Debezium's heartbeat position after an empty poll: TxLogPosition.valueOf(toLsn), serial 0.
	if jsonOf(hb.SourceOffset) != `{"change_lsn":"NULL","commit_lsn":"00000026:00000000:0001","event_serial_no":0}` || jsonOf(hb.SourcePartition) != `{"database":"testDB","server":"server1"}` {
		t.Errorf("heartbeat offset %s partition %v", jsonOf(hb.SourceOffset), hb.SourcePartition)
	}
}

func TestTableIncludeListIsSchemaDotTable(t *testing.T) {
	// Debezium's SQL Server filters match schema.table (sqlserver.adoc, table.include.list: "Each
	// identifier is of the form schemaName.tableName").
	for _, tc := range []struct {
		list    string
		capture bool
	}{{"dbo.customers", true}, {"dbo\\.cust.*", true}, {"testDB.dbo.customers", false}, {"dbo.orders", false}} {
		s := newServer(t)
		task, err := startTask(t, baseConfig("table.include.list", tc.list), nil, schemahistory.NewMemoryStore(true))
		if err != nil {
			t.Fatal(err)
		}
		if tc.capture {
			_ = drain(t, task, 3)
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			recs, _ := task.Poll(ctx)
			cancel()
			if len(recs) != 0 {
				t.Errorf("table.include.list=%s captured customers", tc.list)
			}
		}
		if got := len(s.f.CallsOf(sqlSelect)) == 1; got != tc.capture {
			t.Errorf("table.include.list=%s: snapshot read customers = %v", tc.list, got)
		}
		_ = task.Stop()
	}
}
