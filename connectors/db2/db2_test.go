package db2

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
	"github.com/connectd/connectd/connectors/source/sourcetest"
	"github.com/connectd/connectd/schemahistory"
)

// The recorded data follows Debezium's Db2 documentation
// (documentation/modules/ROOT/pages/connectors/db2.adoc): database mydatabase, table
// MYSCHEMA.CUSTOMERS (ID, FIRST_NAME, LAST_NAME, EMAIL), the snapshot commit_lsn
// 00000025:00000d98:00a2 and the create/update/delete examples' LSNs and values for customer
// 1005. The change rows have the columns Debezium's LuwPlatform query returns for an ASN CD
// table (OPCODE, then IBMSNAP_COMMITSEQ, IBMSNAP_INTENTSEQ, IBMSNAP_LOGMARKER and the captured
// columns, here selected by name): an update is the capture's delete and insert rows of one
// commit, with their own IBMSNAP_INTENTSEQ, which the query's LEAD/LAG turns into codes 3 and 4.
var lsn = sqltest.LSN

const snapLSN = "00000025:00000d98:00a2"

var (
	sqlMaxLSN  = "SELECT max(t.SYNCHPOINT) FROM ( SELECT CD_NEW_SYNCHPOINT AS SYNCHPOINT FROM ASNCDC.IBMSNAP_REGISTER UNION ALL SELECT SYNCHPOINT AS SYNCHPOINT FROM ASNCDC.IBMSNAP_REGISTER) t"
	sqlTables  = "select r.SOURCE_OWNER, r.SOURCE_TABLE, r.CD_OWNER, r.CD_TABLE, r.CD_NEW_SYNCHPOINT, r.CD_OLD_SYNCHPOINT, t.TBSPACEID, t.TABLEID , CAST((t.TBSPACEID * 65536 +  t.TABLEID )AS INTEGER )from ASNCDC.IBMSNAP_REGISTER r left JOIN SYSCAT.TABLES t ON r.SOURCE_OWNER  = t.TABSCHEMA AND r.SOURCE_TABLE = t.TABNAME  WHERE r.SOURCE_OWNER <> ''"
	sqlCDCols  = "SELECT COLNAME FROM SYSCAT.COLUMNS WHERE TABSCHEMA = ? AND TABNAME = ? ORDER BY COLNO"
	sqlColumns = "SELECT COLNAME, TYPENAME, LENGTH, SCALE, NULLS, DEFAULT, IDENTITY, GENERATED, KEYSEQ FROM SYSCAT.COLUMNS WHERE TABSCHEMA = ? AND TABNAME = ? ORDER BY COLNO"
	sqlSelect  = `SELECT "ID", "FIRST_NAME", "LAST_NAME", "EMAIL" FROM "MYSCHEMA"."CUSTOMERS"`
	sqlChanges = "SELECT CASE " +
		"WHEN IBMSNAP_OPERATION = 'D' AND (LEAD(cdc.IBMSNAP_OPERATION,1,'X') OVER (PARTITION BY cdc.IBMSNAP_COMMITSEQ ORDER BY cdc.IBMSNAP_INTENTSEQ)) ='I' THEN 3 " +
		"WHEN IBMSNAP_OPERATION = 'I' AND (LAG(cdc.IBMSNAP_OPERATION,1,'X') OVER (PARTITION BY cdc.IBMSNAP_COMMITSEQ ORDER BY cdc.IBMSNAP_INTENTSEQ)) ='D' THEN 4 " +
		"WHEN IBMSNAP_OPERATION = 'D' THEN 1 WHEN IBMSNAP_OPERATION = 'I' THEN 2 END " +
		`OPCODE, cdc.IBMSNAP_COMMITSEQ, cdc.IBMSNAP_INTENTSEQ, cdc.IBMSNAP_LOGMARKER, cdc."ID", cdc."FIRST_NAME", cdc."LAST_NAME", cdc."EMAIL" ` +
		`FROM ASNCDC."CDC_MYSCHEMA_CUSTOMERS" cdc WHERE   IBMSNAP_COMMITSEQ >= ? AND IBMSNAP_COMMITSEQ <= ? order by IBMSNAP_COMMITSEQ, IBMSNAP_INTENTSEQ`
)

type server struct {
	f      *sqltest.Fake
	mu     sync.Mutex
	max    []byte
	change [][]any
}

func newServer(t *testing.T) *server {
	s := &server{f: sqltest.New(), max: lsn(t, snapLSN)}
	s.f.Use(t, &driverName)
	f := s.f
	f.On(sqlMaxLSN, func([]any) (*sqltest.Result, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return &sqltest.Result{Columns: []string{"1"}, Rows: [][]any{{s.max}}}, nil
	})
	f.On(sqlTables, sqltest.Rows([]string{"SOURCE_OWNER", "SOURCE_TABLE", "CD_OWNER", "CD_TABLE", "CD_NEW_SYNCHPOINT", "CD_OLD_SYNCHPOINT", "TBSPACEID", "TABLEID", "9"},
		[]any{"MYSCHEMA", "CUSTOMERS", "ASNCDC", "CDC_MYSCHEMA_CUSTOMERS", lsn(t, "00000024:00000000:0001"), nil, int64(2), int64(7), int64(131079)}))
	f.On(sqlCDCols, sqltest.Rows([]string{"COLNAME"},
		[]any{"IBMSNAP_COMMITSEQ"}, []any{"IBMSNAP_INTENTSEQ"}, []any{"IBMSNAP_OPERATION"}, []any{"IBMSNAP_LOGMARKER"},
		[]any{"ID"}, []any{"FIRST_NAME"}, []any{"LAST_NAME"}, []any{"EMAIL"}))
	f.On(sqlColumns, sqltest.Rows([]string{"COLNAME", "TYPENAME", "LENGTH", "SCALE", "NULLS", "DEFAULT", "IDENTITY", "GENERATED", "KEYSEQ"},
		[]any{"ID", "INTEGER", int64(4), int64(0), "N", nil, "Y", "D", int64(1)},
		[]any{"FIRST_NAME", "VARCHAR", int64(255), int64(0), "N", nil, "N", " ", nil},
		[]any{"LAST_NAME", "VARCHAR", int64(255), int64(0), "N", nil, "N", " ", nil},
		[]any{"EMAIL", "VARCHAR", int64(255), int64(0), "N", nil, "N", " ", nil}))
	f.On("SET CURRENT ISOLATION = RS", sqltest.Rows(nil))
	f.On("BEGIN TRANSACTION (isolation 0)", sqltest.Rows(nil))
	f.On("ROLLBACK", sqltest.Rows(nil))
	f.On(sqlSelect, sqltest.Rows([]string{"ID", "FIRST_NAME", "LAST_NAME", "EMAIL"},
		[]any{int32(1001), "Sally", "Thomas", "sally.thomas@acme.com"}))
	f.On(sqlChanges, func(args []any) (*sqltest.Result, error) {
		from, to := string(args[0].([]byte)), string(args[1].([]byte))
		res := &sqltest.Result{Columns: []string{"OPCODE", "IBMSNAP_COMMITSEQ", "IBMSNAP_INTENTSEQ", "IBMSNAP_LOGMARKER", "ID", "FIRST_NAME", "LAST_NAME", "EMAIL"}}
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, r := range s.change {
			if c := string(r[1].([]byte)); c >= from && c <= to {
				res.Rows = append(res.Rows, r)
			}
		}
		return res, nil
	})
	return s
}

func docChanges(t *testing.T) [][]any {
	at := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	return [][]any{
		{int64(2), lsn(t, "00000027:00000758:0005"), lsn(t, "00000027:00000758:0003"), at(1559729468470), int32(1005), "john", "doe", "john.doe@example.org"},
		{int64(3), lsn(t, "00000027:00000ac0:0007"), lsn(t, "00000027:00000ac0:0001"), at(1559729995937), int32(1005), "john", "doe", "john.doe@example.org"},
		{int64(4), lsn(t, "00000027:00000ac0:0007"), lsn(t, "00000027:00000ac0:0002"), at(1559729995937), int32(1005), "john", "doe", "noreply@example.org"},
		{int64(1), lsn(t, "00000027:00000db0:0007"), lsn(t, "00000027:00000db0:0005"), at(1559730445243), int32(1005), "john", "doe", "noreply@example.org"},
	}
}

func baseConfig(extra ...string) map[string]string {
	c := map[string]string{
		"connector.class": ClassName, "topic.prefix": "myconnector",
		"database.hostname": "db2.invalid", "database.user": "db2inst1", "database.password": "secret", "database.dbname": "mydatabase",
		"schema.history.internal.kafka.topic": "schema-changes", "schema.history.internal.kafka.bootstrap.servers": "127.0.0.1:1",
	}
	return sourcetest.With(c, extra...)
}

func startTask(t *testing.T, stored map[string]any, hist *schemahistory.MemoryStore) (*changetable.ConnectorTask, error) {
	t.Helper()
	task := newTask()
	offs := &sqltest.Offsets{Name: "db2-test", Key: func(p map[string]any) (string, error) {
		if p["server"] != "myconnector" || len(p) != 1 {
			return "", fmt.Errorf("unexpected partition %v", p)
		}
		return "", nil
	}}
	offs.Put("", stored)
	return sqltest.Start(t, task, offs, hist, baseConfig())
}

func TestSnapshotThenStreamDocumentedEvents(t *testing.T) {
	s := newServer(t)
	hist := schemahistory.NewMemoryStore(false)
	task, err := startTask(t, nil, hist)
	if err != nil {
		t.Fatal(err)
	}
	recs := sqltest.Drain(t, task.Poll, 2) // schema change, one read
	read := recs[1]
	if read.Topic != "myconnector.MYSCHEMA.CUSTOMERS" || sqltest.JSON(read.SourcePartition) != `{"server":"myconnector"}` {
		t.Errorf("topic %s partition %v", read.Topic, read.SourcePartition)
	}
	// Db2OffsetContext.getOffset: a snapshot's offset has no change_lsn or event_serial_no.
	if sqltest.JSON(read.SourceOffset) != `{"commit_lsn":"`+snapLSN+`","snapshot":"INITIAL","snapshot_completed":true}` {
		t.Errorf("snapshot offset %s", sqltest.JSON(read.SourceOffset))
	}
	p := sqltest.Payload(t, read)
	if src := p["source"].(map[string]any); p["op"] != "r" || src["connector"] != "db2" || src["db"] != "mydatabase" || src["schema"] != "MYSCHEMA" ||
		src["table"] != "CUSTOMERS" || src["commit_lsn"] != snapLSN || src["change_lsn"] != nil {
		t.Errorf("read %v", p)
	}
	if _, has := p["source"].(map[string]any)["event_serial_no"]; has {
		t.Error("Db2's source block has no event_serial_no")
	}

	s.mu.Lock()
	s.change = docChanges(t)
	s.max = lsn(t, "00000027:00000db0:0007")
	s.mu.Unlock()
	recs = sqltest.Drain(t, task.Poll, 4)
	want := []struct{ op, change, commit, offset string }{
		{"c", "00000027:00000758:0003", "00000027:00000758:0005", `{"change_lsn":"00000027:00000758:0003","commit_lsn":"00000027:00000758:0005","event_serial_no":1}`},
		// The update's position is its after image's (the insert row of the pair).
		{"u", "00000027:00000ac0:0002", "00000027:00000ac0:0007", `{"change_lsn":"00000027:00000ac0:0002","commit_lsn":"00000027:00000ac0:0007","event_serial_no":2}`},
		{"d", "00000027:00000db0:0005", "00000027:00000db0:0007", `{"change_lsn":"00000027:00000db0:0005","commit_lsn":"00000027:00000db0:0007","event_serial_no":1}`},
	}
	for i, w := range want {
		p := sqltest.Payload(t, recs[i])
		src := p["source"].(map[string]any)
		if p["op"] != w.op || src["change_lsn"] != w.change || src["commit_lsn"] != w.commit || sqltest.JSON(recs[i].SourceOffset) != w.offset {
			t.Errorf("event %d: %v offset %s", i, p, sqltest.JSON(recs[i].SourceOffset))
		}
	}
	if u := sqltest.Payload(t, recs[1]); u["before"].(map[string]any)["EMAIL"] != "john.doe@example.org" || u["after"].(map[string]any)["EMAIL"] != "noreply@example.org" {
		t.Errorf("update %v", u)
	}
	// Streaming started after the snapshot's LSN, incremented in Go as Debezium's Lsn.increment.
	calls := s.f.CallsOf(sqlChanges)
	if len(calls) == 0 || string(calls[0].Args[0].([]byte)) != string(lsn(t, "00000025:00000d98:00a3")) {
		t.Errorf("first change query args %x", calls)
	}
}

func TestRestartAfterUpdate(t *testing.T) {
	s := newServer(t)
	hist := schemahistory.NewMemoryStore(false)
	// A first run snapshots at snapLSN (writing the history) and streams the changes.
	first, err := startTask(t, nil, hist)
	if err != nil {
		t.Fatal(err)
	}
	_ = sqltest.Drain(t, first.Poll, 2)
	s.mu.Lock()
	s.change = docChanges(t)
	s.max = lsn(t, "00000027:00000db0:0007")
	s.mu.Unlock()
	_ = sqltest.Drain(t, first.Poll, 4)
	_ = first.Stop()
	nSelect := len(s.f.CallsOf(sqlSelect))
	stored := map[string]any{"commit_lsn": "00000027:00000ac0:0007", "change_lsn": "00000027:00000ac0:0002", "event_serial_no": float64(2)}
	task, err := startTask(t, stored, hist)
	if err != nil {
		t.Fatal(err)
	}
	recs := sqltest.Drain(t, task.Poll, 2)
	if p := sqltest.Payload(t, recs[0]); p["op"] != "d" || recs[1].Value != nil {
		t.Errorf("after restart: %v", p)
	}
	if len(s.f.CallsOf(sqlSelect)) != nSelect {
		t.Error("the restart took a snapshot")
	}
}

func TestWithoutDriver(t *testing.T) {
	if driverLinked {
		t.Skip("built with -tags db2: the real driver is linked")
	}
	task := newTask()
	err := task.Start(context.Background(), &sqltest.Offsets{Name: "db2-test", Key: func(map[string]any) (string, error) { return "", nil }}, baseConfig())
	if !errors.Is(err, ErrNoDriver) || !strings.Contains(err.Error(), "-tags db2") {
		t.Errorf("start without the driver: %v", err)
	}
}

func TestConnectorConfig(t *testing.T) {
	c := newConnector()
	if err := c.Start(nil, baseConfig()); err != nil {
		t.Fatal(err)
	}
	if tcs, _ := c.TaskConfigs(3); len(tcs) != 1 {
		t.Errorf("%d tasks", len(tcs))
	}
	if _, err := ParseConfig(baseConfig("database.dbname", "")); err == nil {
		t.Error("missing database.dbname accepted")
	}
	if _, err := ParseConfig(baseConfig("db2.platform", "Z")); err == nil {
		t.Error("z/OS accepted")
	}
	if err := c.AlterOffsets(baseConfig(), []api.PartitionOffset{{Partition: map[string]any{"server": "other"}}}); err == nil {
		t.Error("foreign partition accepted")
	}
}
