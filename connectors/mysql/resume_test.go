package mysql

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/connectors/txmeta"
	"github.com/connectd/connectd/schemahistory"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// mariaBinlog is MariaDB's binlog, from position 1000, for
//
//	INSERT INTO shop.t VALUES (3,'c');              -- GTID 0-1-5: GTID, table map, rows, XID
//	ALTER TABLE t ADD COLUMN w INT;                 -- GTID 0-1-6: standalone GTID, query
//	INSERT INTO shop.t VALUES (4,'d',4);            -- GTID 0-1-7
//
// and the positions of its events: 1000 (GTID 5), 1038, 1078, 1128 (XID 5), 1159 (GTID 6),
// 1197 (ALTER), 1297 (GTID 7), ...
func mariaBinlog() []*replication.BinlogEvent {
	b := &binlog{pos: 1000}
	gtid := func(seq uint64, flags byte) replication.Event {
		return &replication.MariadbGTIDEvent{GTID: mysql.MariadbGTID{DomainID: 0, ServerID: 1, SequenceNumber: seq}, Flags: flags}
	}
	tx := func(seq uint64, row []any) {
		b.add(replication.MARIADB_GTID_EVENT, 38, gtid(seq, 0))
		b.add(replication.TABLE_MAP_EVENT, 40, &replication.TableMapEvent{TableID: 7, Schema: []byte("shop"), Table: []byte("t")})
		b.add(replication.WRITE_ROWS_EVENTv1, 50, &replication.RowsEvent{TableID: 7, Rows: [][]any{row}})
		b.add(replication.XID_EVENT, 31, &replication.XIDEvent{XID: seq})
	}
	tx(5, []any{int32(3), "c"})
	b.add(replication.MARIADB_GTID_EVENT, 38, gtid(6, replication.BINLOG_MARIADB_FL_STANDALONE|replication.BINLOG_MARIADB_FL_DDL))
	b.add(replication.QUERY_EVENT, 100, &replication.QueryEvent{Schema: []byte("shop"), Query: []byte("ALTER TABLE t ADD COLUMN w INT")})
	tx(7, []any{int32(4), "d", int32(4)})
	for _, ev := range b.evs {
		ev.Header.ServerID = 1
	}
	return b.evs
}

// mariaTask is a unit task with transaction metadata and an in-memory schema history.
func mariaTask(t *testing.T) *Task {
	task := unitTask(t, FlavorMariaDB, "provide.transaction.metadata", "true")
	task.tx = txmeta.New(txmeta.Topic("srv"))
	task.history = source.NewHistory(schemahistory.NewMemoryStore(false), "srv")
	return task
}

// resume sets task up as Start and the stream's connect do for a stored offset (written by
// Debezium or by us) and returns the streamer that reads on from it.
func resume(t *testing.T, task *Task, stored map[string]any) *streamer {
	t.Helper()
	off, err := parseOffset(stored)
	if err != nil {
		t.Fatal(err)
	}
	task.pos = off.position()
	if err := task.tx.Load(stored); err != nil {
		t.Fatal(err)
	}
	g, err := newGTIDTracker(FlavorMariaDB, off.GTIDs)
	if err != nil {
		t.Fatal(err)
	}
	task.pos.setStart(off.File, off.Pos)
	task.pos.restartEvents, task.pos.restartRows = off.Events, off.Rows
	return &streamer{t: task, tableIDs: map[uint64]relational.TableID{}, gtids: g, beat: task.Heartbeat.Inline(time.Now()),
		skipEvents: off.Events, skipRows: int(off.Rows)}
}

// feed hands the events from binlog position from on to s, as the server sends them for the
// stored GTID set, and returns what the task emitted, summarised.
func feed(t *testing.T, s *streamer, from uint32) ([]*api.SourceRecord, []string) {
	t.Helper()
	for _, ev := range mariaBinlog() {
		if ev.Header.LogPos-ev.Header.EventSize < from {
			continue
		}
		if err := s.handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	recs := drain(t, s.t)
	var out []string
	for _, r := range recs {
		d := decode(t, r)
		switch {
		case r.Topic == "srv.transaction":
			s := fmt.Sprintf("%v %v", d.Value["status"], d.Value["id"])
			if d.Value["status"] == "END" {
				s += fmt.Sprintf(" %v", d.Value["event_count"])
			}
			out = append(out, s)
		case r.Topic == "srv":
			out = append(out, fmt.Sprintf("ddl %v", d.Value["ddl"]))
		default:
			out = append(out, fmt.Sprintf("%v %v", d.Value["op"], d.Value["after"]))
		}
	}
	return recs, out
}

func mariaOffset(kv ...any) map[string]any {
	m := map[string]any{offFile: "mariadb-bin.000002", offServerID: int64(1), offTsSec: int64(1700000000)}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// TestMariaDBOffsets checks the offsets of a transaction's END and of a DDL statement, and the
// schema history position of the DDL statement, against what Debezium 3.5 writes.
func TestMariaDBOffsets(t *testing.T) {
	task := mariaTask(t)
	s := resume(t, task, mariaOffset(offPos, int64(1000), offGTIDs, "0-1-4"))
	recs, got := feed(t, s, 0)
	want := []string{"BEGIN 0-1-5", "c map[id:3 v:c]", "END 0-1-5 1", "BEGIN 0-1-6", "ddl ALTER TABLE t ADD COLUMN w INT",
		"BEGIN 0-1-7", "c map[id:4 v:d w:4]", "END 0-1-7 1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
	// The END carries the offset after the commit (Debezium's carries the one before it, with
	// which a restart writes BEGIN and END again).
	if w := mariaOffset(offPos, int64(1159), offGTIDs, "0-1-5"); !reflect.DeepEqual(recs[2].SourceOffset, w) {
		t.Errorf("END offset %v, want %v", recs[2].SourceOffset, w)
	}
	// The schema change event carries the offset after the statement, its GTID completed.
	if w := mariaOffset(offPos, int64(1297), offGTIDs, "0-1-6", "transaction_id", "0-1-6"); !reflect.DeepEqual(recs[4].SourceOffset, w) {
		t.Errorf("schema change event offset %v, want %v", recs[4].SourceOffset, w)
	}
	// The history records the statement where Debezium does: at its GTID event, one event in,
	// with the GTID set before it.
	var hist []*schemahistory.Record
	if err := task.history.Store().Recover(context.Background(), func(r *schemahistory.Record) error {
		hist = append(hist, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("%d history records, want 1", len(hist))
	}
	if w := mariaOffset(offPos, int64(1159), offGTIDs, "0-1-5", offEvent, int64(1), "transaction_id", "0-1-6"); !reflect.DeepEqual(hist[0].Position, w) {
		t.Errorf("history position %v, want %v (Debezium's)", hist[0].Position, w)
	}
	// Replayed from the history, the statement counts as before the offsets after it and after
	// the offsets before it.
	at, _ := parseOffset(hist[0].Position)
	for _, c := range []struct {
		off   map[string]any
		after bool
	}{
		{recs[4].SourceOffset, false},
		{mariaOffset(offPos, int64(1159), offGTIDs, "0-1-5", offEvent, int64(1), "transaction_id", "0-1-6"), false},
		{recs[2].SourceOffset, true},
	} {
		o, _ := parseOffset(c.off)
		if positionAfter(FlavorMariaDB, at, o) != c.after {
			t.Errorf("history position %v after offset %v: %v, want %v", hist[0].Position, c.off, !c.after, c.after)
		}
	}
}

// TestMariaDBResumeFromDebeziumOffsets restarts from the offsets Debezium 3.5 commits at three
// points of the same binlog and checks nothing is emitted twice and nothing is lost.
func TestMariaDBResumeFromDebeziumOffsets(t *testing.T) {
	for _, c := range []struct {
		name   string
		offset map[string]any
		from   uint32
		alter  bool // the history replay already applied the ALTER
		want   []string
	}{
		{
			// The END record of transaction 5: Debezium writes the offset from before the commit,
			// every event but the XID done.
			name: "after END",
			offset: mariaOffset("transaction_id", "0-1-5", "transaction_data_collection_order_shop.t", int64(1),
				offPos, int64(1000), offGTIDs, "0-1-4", offEvent, int64(3)),
			from: 1000,
			want: []string{"BEGIN 0-1-6", "ddl ALTER TABLE t ADD COLUMN w INT", "BEGIN 0-1-7", "c map[id:4 v:d w:4]", "END 0-1-7 1"},
		},
		{
			// The row of transaction 5: its END is still to come, counting that row.
			name: "after the row",
			offset: mariaOffset("transaction_id", "0-1-5", "transaction_data_collection_order_shop.t", int64(1),
				offPos, int64(1000), offGTIDs, "0-1-4", offEvent, int64(2), offRow, int64(1)),
			from: 1000,
			want: []string{"END 0-1-5 1", "BEGIN 0-1-6", "ddl ALTER TABLE t ADD COLUMN w INT", "BEGIN 0-1-7", "c map[id:4 v:d w:4]", "END 0-1-7 1"},
		},
		{
			// The ALTER's schema change event: Debezium counts the GTID event only, but the
			// statement was handled (Debezium itself would replay it).
			name:   "after the DDL",
			offset: mariaOffset("transaction_id", "0-1-6", offPos, int64(1159), offGTIDs, "0-1-5", offEvent, int64(1)),
			from:   1159,
			alter:  true,
			want:   []string{"BEGIN 0-1-7", "c map[id:4 v:d w:4]", "END 0-1-7 1"},
		},
		{
			// A heartbeat (or a BEGIN) at the DDL's GTID event, before the statement: it is
			// still to be handled.
			name:   "before the DDL",
			offset: mariaOffset("transaction_id", "0-1-6", offPos, int64(1159), offGTIDs, "0-1-5"),
			from:   1159,
			want:   []string{"ddl ALTER TABLE t ADD COLUMN w INT", "BEGIN 0-1-7", "c map[id:4 v:d w:4]", "END 0-1-7 1"},
		},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			task := mariaTask(t)
			if c.alter {
				if _, err := task.schema.applyDDL(task.schema.tables, "shop", "ALTER TABLE t ADD COLUMN w INT"); err != nil {
					t.Fatal(err)
				}
			}
			s := resume(t, task, c.offset)
			recs, got := feed(t, s, c.from)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("records\n got %q\nwant %q", got, c.want)
			}
			// Every run ends past transaction 7, its GTID completed.
			last := recs[len(recs)-1].SourceOffset
			if last[offGTIDs] != "0-1-7" || last[offEvent] != nil || last["transaction_id"] != nil {
				t.Errorf("last offset %v, want one after transaction 0-1-7", last)
			}
		})
	}
}
