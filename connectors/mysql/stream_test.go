package mysql

import (
	"context"
	"encoding/hex"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/source"
	"github.com/go-mysql-org/go-mysql/replication"
)

// unitTask is a task wired without a server, for feeding recorded binlog events to a streamer.
func unitTask(t *testing.T, flavor Flavor, props ...string) *Task {
	t.Helper()
	m := map[string]string{
		"topic.prefix": "srv", "database.hostname": "db", "database.user": "u",
		"schema.history.internal.kafka.topic": "h", "schema.history.internal.kafka.bootstrap.servers": "k",
	}
	for i := 0; i+1 < len(props); i += 2 {
		m[props[i]] = props[i+1]
	}
	cfg, err := parseConfig(m, flavor)
	if err != nil {
		t.Fatal(err)
	}
	task := &Task{cfg: cfg, flavor: flavor, log: slog.New(slog.DiscardHandler), partition: map[string]any{"server": "srv"}}
	task.srcSchema = sourceSchema(flavor)
	task.schema = newSchemaModel(cfg, task.srcSchema)
	task.buildSchemaChangeSchemas()
	task.Reader = source.NewReader(1000, 0, 1000, 10*time.Millisecond)
	if _, err := task.schema.applyDDL(task.schema.tables, "shop", "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	return task
}

// binlog builds a sequence of events with consecutive positions from start.
type binlog struct {
	pos uint32
	evs []*replication.BinlogEvent
}

func (b *binlog) add(typ replication.EventType, size uint32, e replication.Event) *binlog {
	b.pos += size
	b.evs = append(b.evs, &replication.BinlogEvent{
		Header: &replication.EventHeader{Timestamp: 1700000000, EventType: typ, ServerID: 223344, EventSize: size, LogPos: b.pos},
		Event:  e,
	})
	return b
}

func drain(t *testing.T, task *Task) []*api.SourceRecord {
	t.Helper()
	recs, err := task.Reader.Queue.Take(context.Background(), nil, 1000, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

const mysqlUUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562"

// mysqlTransaction is MySQL's binlog for `BEGIN; INSERT INTO shop.t VALUES (1,'a'),(2,'b'); COMMIT`
// with GTID uuid:5, starting at position 100: GTID, BEGIN query, table map, write rows, XID.
func mysqlTransaction() []*replication.BinlogEvent {
	sid, _ := hex.DecodeString(strings.ReplaceAll(mysqlUUID, "-", ""))
	b := &binlog{pos: 100}
	b.add(replication.GTID_EVENT, 65, &replication.GTIDEvent{SID: sid, GNO: 5})
	b.add(replication.QUERY_EVENT, 70, &replication.QueryEvent{SlaveProxyID: 42, Schema: []byte("shop"), Query: []byte("BEGIN")})
	b.add(replication.TABLE_MAP_EVENT, 40, &replication.TableMapEvent{TableID: 7, Schema: []byte("shop"), Table: []byte("t")})
	b.add(replication.WRITE_ROWS_EVENTv2, 50, &replication.RowsEvent{TableID: 7, Rows: [][]any{{int32(1), "a"}, {int32(2), "b"}}})
	b.add(replication.XID_EVENT, 31, &replication.XIDEvent{XID: 9})
	return b.evs
}

// TestMySQLGTIDStreaming feeds a recorded MySQL transaction (MySQL GTID format uuid:n) and checks
// the offsets and source blocks Debezium writes for it, then a restart after its first row.
func TestMySQLGTIDStreaming(t *testing.T) {
	task := unitTask(t, FlavorMySQL)
	task.pos.setStart("mysql-bin.000003", 100)
	task.pos.setCompletedGTIDs(mysqlUUID + ":1-4")
	g, err := newGTIDTracker(FlavorMySQL, mysqlUUID+":1-4")
	if err != nil {
		t.Fatal(err)
	}
	s := &streamer{t: task, tableIDs: map[uint64]relational.TableID{}, gtids: g, beat: task.Heartbeat.Inline(time.Now())}
	for _, ev := range mysqlTransaction() {
		if err := s.handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	recs := drain(t, task)
	if len(recs) != 2 {
		t.Fatalf("%d records: %s", len(recs), describe(recs))
	}
	wantOff := func(row int64) map[string]any {
		return map[string]any{offFile: "mysql-bin.000003", offPos: int64(165), offGTIDs: mysqlUUID + ":1-4",
			offEvent: int64(2), offRow: row, offServerID: int64(223344), offTsSec: int64(1700000000)}
	}
	for i, r := range recs {
		if !reflect.DeepEqual(r.SourceOffset, wantOff(int64(i+1))) {
			t.Errorf("record %d offset %v, want %v", i, r.SourceOffset, wantOff(int64(i+1)))
		}
		src := decode(t, r).Value["source"].(map[string]any)
		if src["gtid"] != mysqlUUID+":5" || src["pos"] != float64(275) || src["row"] != float64(i) ||
			src["connector"] != "mysql" || src["server_id"] != float64(223344) || src["file"] != "mysql-bin.000003" ||
			src["thread"] != float64(42) {
			t.Errorf("record %d source %v", i, src)
		}
	}
	after := task.pos.offset(false)
	want := map[string]any{offFile: "mysql-bin.000003", offPos: int64(356), offGTIDs: mysqlUUID + ":1-5",
		offServerID: int64(223344), offTsSec: int64(1700000000)}
	if !reflect.DeepEqual(after, want) {
		t.Errorf("offset after the commit %v, want %v", after, want)
	}

	// Restart from the first record's offset: the server resends the transaction (GTID set
	// uuid:1-4); the first row is skipped, the second emitted once.
	task2 := unitTask(t, FlavorMySQL)
	off, err := parseOffset(recs[0].SourceOffset)
	if err != nil {
		t.Fatal(err)
	}
	task2.pos = position{restartFile: off.File, restartPos: off.Pos, restartGTIDs: off.GTIDs, currentGTIDs: off.GTIDs,
		restartEvents: off.Events, restartRows: off.Rows, file: off.File, eventPos: off.Pos, thread: -1}
	g2, _ := newGTIDTracker(FlavorMySQL, off.GTIDs)
	s2 := &streamer{t: task2, tableIDs: map[uint64]relational.TableID{}, gtids: g2, beat: task2.Heartbeat.Inline(time.Now()),
		skipEvents: off.Events, skipRows: int(off.Rows)}
	for _, ev := range mysqlTransaction() {
		if err := s2.handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	recs2 := drain(t, task2)
	if got := ops(t, recs2, "id"); !reflect.DeepEqual(got, []string{"c:2"}) {
		t.Fatalf("after restart %v, want only c:2", got)
	}
	if !reflect.DeepEqual(recs2[0].SourceOffset, recs[1].SourceOffset) {
		t.Errorf("restarted record offset %v, want %v", recs2[0].SourceOffset, recs[1].SourceOffset)
	}
}

// TestMySQLPurgeAndOrder checks MySQL GTID set comparisons: the history order and the purge check.
func TestMySQLPurgeAndOrder(t *testing.T) {
	a := &storedOffset{GTIDs: mysqlUUID + ":1-10"}
	b := &storedOffset{GTIDs: mysqlUUID + ":1-12"}
	if !positionAfter(FlavorMySQL, b, a) || positionAfter(FlavorMySQL, a, b) {
		t.Error("MySQL GTID sets ordered wrongly")
	}
	have, _ := newGTIDTracker(FlavorMySQL, mysqlUUID+":1-10")
	purged, _ := newGTIDTracker(FlavorMySQL, mysqlUUID+":1-12")
	if have.mysql.Contain(purged.mysql) {
		t.Error("a purged set beyond the offset must not be contained in it")
	}
	if !purged.mysql.Contain(have.mysql) {
		t.Error("containment")
	}
	if got := purged.String(); got != mysqlUUID+":1-12" {
		t.Errorf("MySQL GTID set written as %q", got)
	}
}

// TestMariaGTIDs checks MariaDB GTID positions: parsing, writing, and what a purge removed.
func TestMariaGTIDs(t *testing.T) {
	s, err := parseMariaGTIDSet("1-2-30, 0-1-123\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.String() != "0-1-123,1-2-30" {
		t.Errorf("written as %q", s.String())
	}
	oldest, _ := parseMariaGTIDSet("0-1-200,2-1-5")
	if got := s.missingFrom(oldest); !reflect.DeepEqual(got, []string{"0-1-123"}) {
		t.Errorf("missing %v", got)
	}
	oldest, _ = parseMariaGTIDSet("0-1-100")
	if got := s.missingFrom(oldest); got != nil {
		t.Errorf("nothing is missing, got %v", got)
	}
	if _, err := parseMariaGTIDSet("0-1"); err == nil {
		t.Error("a malformed GTID must be rejected")
	}
	a := &storedOffset{GTIDs: "0-1-10"}
	b := &storedOffset{GTIDs: "0-1-9"}
	if !positionAfter(FlavorMariaDB, a, b) || positionAfter(FlavorMariaDB, b, a) {
		t.Error("MariaDB GTID positions ordered wrongly")
	}
	if !positionAfter(FlavorMariaDB, &storedOffset{File: "b.000010", Pos: 4}, &storedOffset{File: "b.000009", Pos: 900}) {
		t.Error("binlog files must be ordered by number")
	}
}

// TestUnparseableDDL checks the error for DDL the parser cannot read names the statement and the
// position, and that skip.unparseable.ddl skips it.
func TestUnparseableDDL(t *testing.T) {
	task := unitTask(t, FlavorMariaDB)
	task.pos.file, task.pos.eventPos = "mariadb-bin.000002", 777
	err := task.schemaChange(context.Background(), "shop", "CREATE TABLE x (id MYSTERYTYPE)", time.Now(), true, task.offset())
	if err == nil || !strings.Contains(err.Error(), "MYSTERYTYPE") || !strings.Contains(err.Error(), "position 777") ||
		!strings.Contains(err.Error(), "skip.unparseable.ddl") {
		t.Fatalf("error %v", err)
	}
	task = unitTask(t, FlavorMariaDB, "schema.history.internal.skip.unparseable.ddl", "true")
	if err := task.schemaChange(context.Background(), "shop", "CREATE TABLE x (id MYSTERYTYPE)", time.Now(), true, task.offset()); err != nil {
		t.Fatalf("with skip: %v", err)
	}
}

// TestOffsetParsing reads offsets written by Debezium (numbers as int64, snapshot true or INITIAL).
func TestOffsetParsing(t *testing.T) {
	o, err := parseOffset(map[string]any{"file": "mysql-bin.000003", "pos": int64(154), "row": int64(1), "event": int64(2),
		"server_id": int64(223344), "ts_sec": int64(1700000000), "snapshot": true, "gtids": "0-1-5"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Snapshot || o.Pos != 154 || o.Rows != 1 || o.Events != 2 || o.GTIDs != "0-1-5" {
		t.Errorf("%+v", o)
	}
	o, _ = parseOffset(map[string]any{"file": "f.1", "pos": "4", "snapshot": "INITIAL"})
	if !o.Snapshot || o.Pos != 4 {
		t.Errorf("%+v", o)
	}
	o, _ = parseOffset(map[string]any{"file": "f.1", "pos": int64(4), "snapshot": "INITIAL", "snapshot_completed": true})
	if o.Snapshot {
		t.Error("snapshot_completed=true must count as a finished snapshot")
	}
	if _, err := parseOffset(map[string]any{"pos": int64(4)}); err == nil {
		t.Error("an offset without file or gtids must be rejected")
	}
}

// TestConfigValidation checks Debezium defaults spelled out still validate, and unimplemented
// settings are reported rather than ignored.
func TestConfigValidation(t *testing.T) {
	base := map[string]string{"topic.prefix": "p", "database.hostname": "h", "database.user": "u",
		"schema.history.internal.kafka.topic": "h", "schema.history.internal.kafka.bootstrap.servers": "k"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range base {
			m[a] = b
		}
		return m
	}
	for _, ok := range [][2]string{{"database.ssl.mode", "preferred"}, {"snapshot.mode", "schema_only"}, {"signal.data.collection", "db.signals"},
		{"inconsistent.schema.handling.mode", "fail"}, {"decimal.handling.mode", "string"}} {
		if _, err := parseConfig(with(ok[0], ok[1]), FlavorMariaDB); err != nil {
			t.Errorf("%s=%s: %v", ok[0], ok[1], err)
		}
	}
	for _, bad := range [][2]string{{"database.ssl.mode", "sometimes"}, {"signal.enabled.channels", "kafka"},
		{"snapshot.mode", "sometimes"}, {"decimal.handling.mode", "exact"}, {"database.server.id", "0"}} {
		if _, err := parseConfig(with(bad[0], bad[1]), FlavorMariaDB); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%s: got %v, want an error naming the property", bad[0], bad[1], err)
		}
	}
	if _, err := parseConfig(map[string]string{"topic.prefix": "p", "database.hostname": "h", "database.user": "u"}, FlavorMariaDB); err == nil ||
		!strings.Contains(err.Error(), "schema.history.internal.kafka.topic") {
		t.Errorf("missing history store: %v", err)
	}
}

// TestMySQLCompressedTransaction feeds MySQL's binlog_transaction_compression form of the same
// transaction: a GTID event, then one TRANSACTION_PAYLOAD event holding the rest.
func TestMySQLCompressedTransaction(t *testing.T) {
	task := unitTask(t, FlavorMySQL)
	task.pos.setStart("mysql-bin.000003", 100)
	task.pos.setCompletedGTIDs(mysqlUUID + ":1-4")
	g, _ := newGTIDTracker(FlavorMySQL, mysqlUUID+":1-4")
	s := &streamer{t: task, tableIDs: map[uint64]relational.TableID{}, gtids: g, beat: task.Heartbeat.Inline(time.Now())}
	plain := mysqlTransaction()
	b := &binlog{pos: 100}
	b.add(replication.GTID_EVENT, 65, plain[0].Event)
	b.add(replication.TRANSACTION_PAYLOAD_EVENT, 120, &replication.TransactionPayloadEvent{Events: plain[1:]})
	for _, ev := range b.evs {
		if err := s.handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	recs := drain(t, task)
	if got := ops(t, recs, "id"); !reflect.DeepEqual(got, []string{"c:1", "c:2"}) {
		t.Fatalf("ops %v", got)
	}
	want := map[string]any{offFile: "mysql-bin.000003", offPos: int64(285), offGTIDs: mysqlUUID + ":1-5",
		offServerID: int64(223344), offTsSec: int64(1700000000)}
	if got := task.pos.offset(false); !reflect.DeepEqual(got, want) {
		t.Errorf("offset after the compressed transaction %v, want %v", got, want)
	}
}
