package changetable

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/snapshotmode"
)

func mustLSN(t *testing.T, s string) LSN {
	t.Helper()
	l, err := ParseLSN(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLSNTextAndOrder(t *testing.T) {
	// The textual form of Debezium's documentation (sqlserver.adoc, "commit_lsn":
	// "00000025:00000d98:00a2") round-trips.
	for _, s := range []string{"00000025:00000d98:00a2", "00000027:00000758:0005", "00000000:00000000:0000"} {
		l := mustLSN(t, s)
		if len(l) != 10 || l.String() != s {
			t.Errorf("ParseLSN(%q) = %d bytes %q", s, len(l), l.String())
		}
	}
	if l := mustLSN(t, "NULL"); !l.IsNull() || l.String() != "NULL" {
		t.Errorf("NULL parsed to %q", l)
	}
	if _, err := ParseLSN("0000zz"); err == nil {
		t.Error("non-hex LSN accepted")
	}
	// Unsigned byte order: 0x80 sorts after 0x7f, NULL before everything.
	a, b := mustLSN(t, "0000007f:00000000:0000"), mustLSN(t, "00000080:00000000:0000")
	if a.Compare(b) >= 0 || b.Compare(a) <= 0 || NullLSN.Compare(a) >= 0 || a.Compare(a) != 0 {
		t.Error("LSN order is not unsigned-byte order with NULL first")
	}
	// Db2 IBMSNAP_COMMITSEQ is 16 bytes on newer releases; Debezium's Lsn.toString puts ':' after
	// bytes 4 and 8 whatever the length.
	d := LSNFromBytes([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2})
	if d.String() != "00000000:00000001:0000000000000002" {
		t.Errorf("16-byte LSN = %s", d)
	}
}

func TestOffsetRoundTrip(t *testing.T) {
	// An offset as Kafka Connect's JSON offset store gives back Debezium's
	// (SqlServerOffsetContext.getOffset): numbers decode as float64.
	m := map[string]any{"commit_lsn": "00000027:00000ac0:0007", "change_lsn": "00000027:00000ac0:0002", "event_serial_no": float64(2)}
	o, err := ParseOffset(m)
	if err != nil {
		t.Fatal(err)
	}
	if o.Commit.String() != "00000027:00000ac0:0007" || o.Change.String() != "00000027:00000ac0:0002" || o.EventSerialNo != 2 || !o.SnapshotDone() {
		t.Errorf("parsed %+v", o)
	}
	back := o.Map()
	if back["commit_lsn"] != m["commit_lsn"] || back["change_lsn"] != m["change_lsn"] || back["event_serial_no"] != int64(2) || len(back) != 3 {
		t.Errorf("Map() = %v", back)
	}
	// A snapshot's offset: no change LSN ("NULL"), snapshot markers.
	snap := Offset{Position: Position{Commit: mustLSN(t, "00000025:00000d98:00a2")}, EventSerialNo: 1, Snapshot: true}
	sm := snap.Map()
	if sm["change_lsn"] != "NULL" || sm["snapshot"] != "INITIAL" || sm["snapshot_completed"] != false {
		t.Errorf("snapshot offset = %v", sm)
	}
	again, err := ParseOffset(sm)
	if err != nil || !again.Snapshot || again.SnapshotDone() || !again.Change.IsNull() {
		t.Errorf("snapshot offset parsed to %+v, %v", again, err)
	}
	if _, err := ParseOffset(map[string]any{"lsn": "1"}); err == nil {
		t.Error("a PostgreSQL offset was accepted")
	}
	if _, err := ParseOffset(map[string]any{"commit_lsn": 5}); err == nil {
		t.Error("a numeric commit_lsn was accepted")
	}
}

// fakeDB serves recorded change-table rows per capture instance, a page at a time.
type fakeDB struct {
	max      LSN
	captures []*Capture
	rows     map[string][]Row // by instance, in change-table order
	pageSize int
	opened   []string // "instance from..to"
	incr     []LSN
	failAt   int // when > 0, the cursors fail on their failAt-th row, once
}

func (f *fakeDB) MaxLSN(context.Context) (LSN, error) { return f.max, nil }

func (f *fakeDB) IncrementLSN(_ context.Context, l LSN) (LSN, error) {
	f.incr = append(f.incr, l)
	b := []byte(l)
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			break
		}
	}
	return LSN(b), nil
}

func (f *fakeDB) Captures(_ context.Context, to LSN) ([]*Capture, error) {
	var out []*Capture
	for _, c := range f.captures {
		if to.IsNull() || c.Start.Compare(to) <= 0 {
			cc := *c
			out = append(out, &cc)
		}
	}
	return out, nil
}

func (f *fakeDB) Open(_ context.Context, c *Capture, from, to LSN) (Cursor, error) {
	f.opened = append(f.opened, fmt.Sprintf("%s %s..%s", c.Instance, from, to))
	var sel []Row
	for _, r := range f.rows[c.Instance] {
		if (from.IsNull() || r.Commit.Compare(from) >= 0) && r.Commit.Compare(to) <= 0 {
			sel = append(sel, r)
		}
	}
	cur := &fakeCursor{rows: sel, page: f.pageSize, failAt: f.failAt}
	f.failAt = 0
	return cur, nil
}

// fakeCursor hands rows out in pages, as a change-table read with a fetch size does.
type fakeCursor struct {
	rows   []Row
	page   int
	buf    []Row
	pages  int
	failAt int
	read   int
}

func (c *fakeCursor) Next(context.Context) (*Row, error) {
	c.read++
	if c.failAt > 0 && c.read == c.failAt {
		return nil, errors.New("connection reset by peer")
	}
	if len(c.buf) == 0 {
		n := c.page
		if n <= 0 || n > len(c.rows) {
			n = len(c.rows)
		}
		if n == 0 {
			return nil, nil
		}
		c.buf, c.rows = c.rows[:n], c.rows[n:]
		c.pages++
	}
	r := c.buf[0]
	c.buf = c.buf[1:]
	return &r, nil
}

func (c *fakeCursor) Close() error { return nil }

var customers = relational.TableID{Catalog: "testDB", Schema: "dbo", Table: "customers"}
var orders = relational.TableID{Catalog: "testDB", Schema: "dbo", Table: "orders"}

// docRows are the customers changes of Debezium's SQL Server documentation
// (documentation/modules/ROOT/pages/connectors/sqlserver.adoc, the create, update and delete
// event examples): their change and commit LSNs, and the row values; the operations are the ones
// cdc.fn_cdc_get_all_changes_dbo_customers returns for them (2 insert, 3/4 update, 1 delete).
func docRows(t *testing.T) []Row {
	l := func(s string) LSN { return mustLSN(t, s) }
	return []Row{
		{Position: Position{l("00000027:00000758:0005"), l("00000027:00000758:0003")}, Op: OpInsert,
			Values: []any{int64(1005), "john", "doe", "john.doe@example.org"}},
		{Position: Position{l("00000027:00000ac0:0007"), l("00000027:00000ac0:0002")}, Op: OpUpdateBefore,
			Values: []any{int64(1005), "john", "doe", "john.doe@example.org"}},
		{Position: Position{l("00000027:00000ac0:0007"), l("00000027:00000ac0:0002")}, Op: OpUpdateAfter,
			Values: []any{int64(1005), "john", "doe", "noreply@example.org"}},
		{Position: Position{l("00000027:00000db0:0007"), l("00000027:00000db0:0005")}, Op: OpDelete,
			Values: []any{int64(1005), "john", "doe", "noreply@example.org"}},
	}
}

func collect(t *testing.T, s *Streamer) []*Change {
	t.Helper()
	var out []*Change
	if _, err := s.Poll(context.Background(), func(c *Change) error { out = append(out, c); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func describe(cs []*Change) string {
	var b strings.Builder
	for _, c := range cs {
		switch c.Kind {
		case KindNewTable:
			fmt.Fprintf(&b, "new %s;", c.Capture.Instance)
		case KindSwitch:
			fmt.Fprintf(&b, "switch %s;", c.Capture.Instance)
		default:
			fmt.Fprintf(&b, "%s %s %v->%v @%s/%d;", c.Capture.Table.Table, c.Op, c.Before, c.After, c.Offset.Change, c.Offset.EventSerialNo)
		}
	}
	return b.String()
}

func TestDocumentedEventsPairedAndNumbered(t *testing.T) {
	for _, page := range []int{0, 1, 2} { // page size 2 splits the update's rows across pages
		db := &fakeDB{max: mustLSN(t, "00000027:00000db0:0007"), pageSize: page,
			captures: []*Capture{{Instance: "dbo_customers", Table: customers, Start: mustLSN(t, "00000025:00000d98:00a2")}},
			rows:     map[string][]Row{"dbo_customers": docRows(t)}}
		start := Offset{Position: Position{Commit: mustLSN(t, "00000025:00000d98:00a2")}, Snapshot: true, SnapshotCompleted: true}
		s := NewStreamer(db, start, nil, func(relational.TableID) bool { return true })
		got := collect(t, s)
		want := "customers c []->[1005 john doe john.doe@example.org] @00000027:00000758:0003/1;" +
			"customers u [1005 john doe john.doe@example.org]->[1005 john doe noreply@example.org] @00000027:00000ac0:0002/2;" +
			"customers d [1005 john doe noreply@example.org]->[] @00000027:00000db0:0005/1;"
		if d := describe(got); d != want {
			t.Errorf("page size %d:\n got %s\nwant %s", page, d, want)
		}
		// After a finished snapshot, reading starts after the snapshot's LSN (Debezium's
		// shouldIncreaseFromLsn), through fn_cdc_increment_lsn.
		if len(db.incr) != 1 || db.incr[0] != start.Commit || db.opened[0] != "dbo_customers 00000025:00000d98:00a3..00000027:00000db0:0007" {
			t.Errorf("page size %d: increments %v, reads %v", page, db.incr, db.opened)
		}
		// The next poll with nothing new reads nothing and keeps the offset.
		if got := collect(t, s); len(got) != 0 {
			t.Errorf("second poll emitted %s", describe(got))
		}
	}
}

func TestOrderAcrossTablesAndCommits(t *testing.T) {
	l := func(s string) LSN { return mustLSN(t, s) }
	// Two tables changed in interleaved transactions: commit 0a holds a customers and an orders
	// row, commit 0b an orders row, commit 0c a customers row. Each change table is in order on
	// its own; the merge must order by commit, then change LSN.
	db := &fakeDB{max: l("00000030:00000100:000c"),
		captures: []*Capture{
			{Instance: "dbo_customers", Table: customers, Start: l("00000001:00000000:0001")},
			{Instance: "dbo_orders", Table: orders, Start: l("00000001:00000000:0001")},
		},
		rows: map[string][]Row{
			"dbo_customers": {
				{Position: Position{l("00000030:00000100:000a"), l("00000030:00000100:0002")}, Op: OpInsert, Values: []any{"c1"}},
				{Position: Position{l("00000030:00000100:000c"), l("00000030:00000100:000b")}, Op: OpDelete, Values: []any{"c1"}},
			},
			"dbo_orders": {
				{Position: Position{l("00000030:00000100:000a"), l("00000030:00000100:0003")}, Op: OpInsert, Values: []any{"o1"}},
				{Position: Position{l("00000030:00000100:000b"), l("00000030:00000100:0004")}, Op: OpInsert, Values: []any{"o2"}},
			},
		}}
	var newTables []string
	s := NewStreamer(db, Offset{}, nil, func(id relational.TableID) bool { newTables = append(newTables, id.Table); return false })
	got := describe(collect(t, s))
	want := "new dbo_customers;new dbo_orders;" +
		"customers c []->[c1] @00000030:00000100:0002/1;orders c []->[o1] @00000030:00000100:0003/1;" +
		"orders c []->[o2] @00000030:00000100:0004/1;customers d [c1]->[] @00000030:00000100:000b/1;"
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// Without a stored position the first read starts at the oldest rows (NULL from).
	if db.opened[0] != "dbo_customers NULL..00000030:00000100:000c" || len(db.incr) != 0 {
		t.Errorf("reads %v, increments %v", db.opened, db.incr)
	}
}

func TestRestartInsideTransaction(t *testing.T) {
	l := func(s string) LSN { return mustLSN(t, s) }
	commit := l("00000040:00000010:0009")
	// One transaction: an insert, an update (two rows at one change LSN), another insert.
	rows := []Row{
		{Position: Position{commit, l("00000040:00000010:0002")}, Op: OpInsert, Values: []any{1}},
		{Position: Position{commit, l("00000040:00000010:0003")}, Op: OpUpdateBefore, Values: []any{1}},
		{Position: Position{commit, l("00000040:00000010:0003")}, Op: OpUpdateAfter, Values: []any{2}},
		{Position: Position{commit, l("00000040:00000010:0004")}, Op: OpInsert, Values: []any{3}},
	}
	db := &fakeDB{max: commit, captures: []*Capture{{Instance: "dbo_customers", Table: customers, Start: l("00000001:00000000:0001")}},
		rows: map[string][]Row{"dbo_customers": rows}}
	full := describe(collect(t, NewStreamer(db, Offset{Position: Position{Commit: l("00000030:00000000:0000")}, Snapshot: true, SnapshotCompleted: true}, nil, nil)))
	parts := strings.SplitAfter(full, ";")
	if len(parts) != 4 { // three events and the empty tail
		t.Fatalf("full read: %s", full)
	}
	// The offsets a previous run committed, each followed by what a restart must emit.
	for i, tc := range []struct {
		off  Offset
		want string
	}{
		{Offset{Position: Position{commit, l("00000040:00000010:0002")}, EventSerialNo: 1}, parts[1] + parts[2]},
		{Offset{Position: Position{commit, l("00000040:00000010:0003")}, EventSerialNo: 2}, parts[2]},
		{Offset{Position: Position{commit, l("00000040:00000010:0004")}, EventSerialNo: 1}, ""},
		// An offset in the middle of the update pair (a Debezium run that stopped between the
		// rows cannot write one, but a hand-written offset can): the pair is not emitted twice.
		{Offset{Position: Position{commit, l("00000040:00000010:0003")}, EventSerialNo: 1}, parts[2]},
	} {
		db.opened, db.incr = nil, nil
		got := describe(collect(t, NewStreamer(db, tc.off, nil, nil)))
		if got != tc.want {
			t.Errorf("case %d restart at %s:\n got %s\nwant %s", i, tc.off, got, tc.want)
		}
		// The transaction is read again from its commit LSN, not after it.
		if len(db.incr) != 0 || !strings.HasPrefix(db.opened[0], "dbo_customers "+commit.String()+"..") {
			t.Errorf("case %d: reads %v increments %v", i, db.opened, db.incr)
		}
	}
}

func TestCaptureInstanceSwitch(t *testing.T) {
	l := func(s string) LSN { return mustLSN(t, s) }
	// ALTER TABLE customers ADD phone, then a second capture instance dbo_customers_v2 starting
	// at 00000050:...: the old instance keeps capturing (without the new column) until it is
	// disabled, so rows at or after the new start appear in both; they must come from the new
	// one only, and the switch must come before the first of them.
	newStart := l("00000050:00000000:0001")
	db := &fakeDB{max: l("00000052:00000000:0005"),
		captures: []*Capture{
			{Instance: "dbo_customers", Table: customers, Start: l("00000001:00000000:0001")},
			{Instance: "dbo_customers_v2", Table: customers, Start: newStart},
		},
		rows: map[string][]Row{
			"dbo_customers": {
				{Position: Position{l("00000049:00000000:0005"), l("00000049:00000000:0002")}, Op: OpInsert, Values: []any{1}},
				{Position: Position{l("00000051:00000000:0005"), l("00000051:00000000:0002")}, Op: OpInsert, Values: []any{2}},
			},
			"dbo_customers_v2": {
				{Position: Position{l("00000051:00000000:0005"), l("00000051:00000000:0002")}, Op: OpInsert, Values: []any{2, "555"}},
			},
		}}
	s := NewStreamer(db, Offset{Position: Position{Commit: l("00000040:00000000:0000")}, Snapshot: true, SnapshotCompleted: true}, nil, nil)
	got := describe(collect(t, s))
	want := "customers c []->[1] @00000049:00000000:0002/1;switch dbo_customers_v2;customers c []->[2 555] @00000051:00000000:0002/1;"
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// The switch also happens when no row reaches the new instance's start in the poll.
	db.rows = map[string][]Row{"dbo_customers": nil, "dbo_customers_v2": nil}
	db.max = l("00000053:00000000:0001")
	if got := describe(collect(t, s)); got != "switch dbo_customers_v2;" {
		t.Errorf("idle poll after the switch: %s", got)
	}
}

func TestUnpairedUpdateFails(t *testing.T) {
	l := func(s string) LSN { return mustLSN(t, s) }
	db := &fakeDB{max: l("00000060:00000000:0005"), captures: []*Capture{{Instance: "dbo_customers", Table: customers, Start: l("00000001:00000000:0001")}},
		rows: map[string][]Row{"dbo_customers": {
			{Position: Position{l("00000060:00000000:0005"), l("00000060:00000000:0002")}, Op: OpUpdateBefore, Values: []any{1}},
		}}}
	_, err := NewStreamer(db, Offset{}, nil, nil).Poll(context.Background(), func(*Change) error { return nil })
	if !errors.Is(err, ErrUnpairedUpdate) || !strings.Contains(err.Error(), "dbo_customers") {
		t.Errorf("err = %v", err)
	}
}

func TestIdlePollMovesOffsetToMax(t *testing.T) {
	l := func(s string) LSN { return mustLSN(t, s) }
	db := &fakeDB{max: l("00000070:00000000:0001"), captures: []*Capture{{Instance: "dbo_customers", Table: customers, Start: l("00000001:00000000:0001")}},
		rows: map[string][]Row{}}
	s := NewStreamer(db, Offset{Position: Position{Commit: l("00000060:00000000:0000"), Change: l("00000060:00000000:0000")}, EventSerialNo: 1}, nil, nil)
	if n, err := s.Poll(context.Background(), func(*Change) error { return nil }); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	if o := s.Offset(); o.Commit != db.max || !o.Change.IsNull() || o.EventSerialNo != 0 {
		t.Errorf("offset after an idle poll = %s", o)
	}
}

func TestFiltersLeaveTablesOut(t *testing.T) {
	l := func(s string) LSN { return mustLSN(t, s) }
	db := &fakeDB{max: l("00000030:00000100:000c"),
		captures: []*Capture{
			{Instance: "dbo_customers", Table: customers, Start: l("00000001:00000000:0001")},
			{Instance: "dbo_orders", Table: orders, Start: l("00000001:00000000:0001")},
		},
		rows: map[string][]Row{"dbo_orders": {{Position: Position{l("00000030:00000100:000a"), l("00000030:00000100:0003")}, Op: OpInsert, Values: []any{"o1"}}}}}
	s := NewStreamer(db, Offset{}, func(id relational.TableID) bool { return id.Table == "customers" }, nil)
	if got := describe(collect(t, s)); got != "" {
		t.Errorf("an excluded table was read: %s", got)
	}
	if len(db.opened) != 1 || !strings.HasPrefix(db.opened[0], "dbo_customers ") {
		t.Errorf("reads %v", db.opened)
	}
}

func TestPurgedPositionDecision(t *testing.T) {
	l := func(s string) LSN { return mustLSN(t, s) }
	stored := l("00000025:00000d98:00a2")
	// The cleanup job raised every instance's minimum past the stored LSN.
	purged, oldest := Purged(stored, []LSN{l("00000030:00000000:0001"), l("00000031:00000000:0001")})
	if !purged || oldest.String() != "00000030:00000000:0001" {
		t.Fatalf("Purged = %v %s", purged, oldest)
	}
	// A capture instance created after the offset starts above it, but the older one still
	// holds the position: not purged.
	if p, _ := Purged(stored, []LSN{l("00000001:00000000:0001"), l("00000031:00000000:0001")}); p {
		t.Error("a newer capture instance made the position look purged")
	}
	if p, _ := Purged(stored, []LSN{stored}); p {
		t.Error("a position equal to the minimum is still held")
	}
	if p, _ := Purged(stored, []LSN{NullLSN}); p {
		t.Error("an unknown minimum counted as purged")
	}
	st := snapshotmode.State{HasOffset: true, SnapshotCompleted: true, LogPositionAvailable: !purged, HistoryAvailable: true}
	_, err := snapshotmode.Decide(snapshotmode.Initial, st)
	var pe *snapshotmode.PurgedError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "when_needed") {
		t.Errorf("initial: %v", err)
	}
	plan, err := snapshotmode.Decide(snapshotmode.WhenNeeded, st)
	if err != nil || !plan.DropOffset || !plan.SnapshotData {
		t.Errorf("when_needed: %+v %v", plan, err)
	}
}

func TestOpCodesMapToEnvelope(t *testing.T) {
	// An after image without its before (a change table read with 'all' instead of 'all update
	// old') is still an update.
	l := func(s string) LSN { return mustLSN(t, s) }
	db := &fakeDB{max: l("00000060:00000000:0005"), captures: []*Capture{{Instance: "dbo_customers", Table: customers, Start: l("00000001:00000000:0001")}},
		rows: map[string][]Row{"dbo_customers": {
			{Position: Position{l("00000060:00000000:0005"), l("00000060:00000000:0002")}, Op: OpUpdateAfter, Values: []any{1}},
		}}}
	var got []*Change
	if _, err := NewStreamer(db, Offset{}, nil, nil).Poll(context.Background(), func(c *Change) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Op != envelope.OpUpdate || got[0].Before != nil {
		t.Errorf("got %s", describe(got))
	}
}

func TestFailedPollResumesWithoutDuplicates(t *testing.T) {
	// The connection drops after the create and the update went out (the cursor fails on its
	// fourth row read, the delete): the next poll must emit the delete only.
	db := &fakeDB{max: mustLSN(t, "00000027:00000db0:0007"), failAt: 4,
		captures: []*Capture{{Instance: "dbo_customers", Table: customers, Start: mustLSN(t, "00000025:00000d98:00a2")}},
		rows:     map[string][]Row{"dbo_customers": docRows(t)}}
	s := NewStreamer(db, Offset{Position: Position{Commit: mustLSN(t, "00000025:00000d98:00a2")}, Snapshot: true, SnapshotCompleted: true}, nil, nil)
	var got []*Change
	n, err := s.Poll(context.Background(), func(c *Change) error { got = append(got, c); return nil })
	if err == nil || n != 2 {
		t.Fatalf("first poll: %d changes, err %v", n, err)
	}
	got = nil
	if _, err := s.Poll(context.Background(), func(c *Change) error { got = append(got, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if d := describe(got); d != "customers d [1005 john doe noreply@example.org]->[] @00000027:00000db0:0005/1;" {
		t.Errorf("after the failure: %s", d)
	}
}
