package txmeta

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
)

var _ envelope.TxSource = (*Tracker)(nil)

func names(s *api.Schema) string {
	var n []string
	for _, f := range s.Fields {
		n = append(n, f.Name)
	}
	return strings.Join(n, ",")
}

func TestSchemas(t *testing.T) {
	if k := KeySchema(); k.Name != KeySchemaName || k.Version != 1 || names(k) != "id" || k.Optional {
		t.Errorf("key %+v", k)
	}
	v := ValueSchema()
	if v.Name != ValueSchemaName || v.Version != 1 || names(v) != "status,id,event_count,data_collections,ts_ms" {
		t.Errorf("value %+v", v)
	}
	opt := map[string]bool{"event_count": true, "data_collections": true}
	for _, f := range v.Fields {
		if f.Schema.Optional != opt[f.Name] {
			t.Errorf("%s optional=%v", f.Name, f.Schema.Optional)
		}
	}
	dc := v.Field("data_collections").Schema
	if dc.Type != api.TypeArray || dc.ValueSchema.Name != "event.collection" || dc.ValueSchema.Version != 1 || !dc.ValueSchema.Optional ||
		names(dc.ValueSchema) != "data_collection,event_count" {
		t.Errorf("data_collections %+v", dc.ValueSchema)
	}
	if Topic("dbserver1") != "dbserver1.transaction" {
		t.Error(Topic("dbserver1"))
	}
}

func block(t *testing.T, b *api.Struct, id string, total, coll int64) {
	t.Helper()
	if b == nil {
		t.Fatalf("no block, want %s %d %d", id, total, coll)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.Get("id") != id || b.Get("total_order") != total || b.Get("data_collection_order") != coll {
		t.Errorf("block %v, want %s %d %d", b, id, total, coll)
	}
}

func TestTransactionFlow(t *testing.T) {
	tr := New(Topic("s"))
	part := map[string]any{"server": "s"}
	t0 := time.UnixMilli(1000)
	t1 := time.UnixMilli(2000)
	if tr.NextBlock("db.a") != nil {
		t.Fatal("block outside a transaction")
	}
	recs := tr.Begin(nil, "tx1", t0, part, map[string]any{"pos": int64(1)})
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	b := recs[0]
	if b.Topic != "s.transaction" || b.Key.(*api.Struct).Get("id") != "tx1" || b.SourcePartition["server"] != "s" {
		t.Errorf("begin %+v", b)
	}
	bv := b.Value.(*api.Struct)
	if err := bv.Validate(); err != nil {
		t.Fatal(err)
	}
	if bv.Get("status") != "BEGIN" || bv.Get("ts_ms") != int64(1000) || bv.Get("event_count") != nil || bv.Get("data_collections") != nil {
		t.Errorf("begin value %v", bv)
	}
	block(t, tr.NextBlock("db.a"), "tx1", 1, 1)
	block(t, tr.NextBlock("db.b"), "tx1", 2, 1)
	block(t, tr.NextBlock("db.a"), "tx1", 3, 2)
	// A replayed begin of the same transaction keeps the counts.
	if got := tr.Begin(nil, "tx1", t0, part, nil); len(got) != 0 {
		t.Fatalf("replayed begin gave %d records", len(got))
	}
	off := map[string]any{}
	tr.Store(off)
	if off["transaction_id"] != "tx1" || off["transaction_data_collection_order_db.a"] != int64(2) || off["transaction_data_collection_order_db.b"] != int64(1) {
		t.Errorf("stored %v", off)
	}
	recs = tr.End(nil, t1, part, nil)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	ev := recs[0].Value.(*api.Struct)
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if ev.Get("status") != "END" || ev.Get("id") != "tx1" || ev.Get("event_count") != int64(3) || ev.Get("ts_ms") != int64(2000) {
		t.Errorf("end %v", ev)
	}
	// java.util.HashMap iterates db.b before db.a (checked with jshell): see TestEndHashMapOrder.
	dcs := ev.Get("data_collections").([]any)
	if len(dcs) != 2 || dcs[1].(*api.Struct).Get("data_collection") != "db.a" || dcs[1].(*api.Struct).Get("event_count") != int64(2) ||
		dcs[0].(*api.Struct).Get("data_collection") != "db.b" || dcs[0].(*api.Struct).Get("event_count") != int64(1) {
		t.Errorf("data_collections %v", dcs)
	}
	if tr.Active() || tr.NextBlock("db.a") != nil || len(tr.End(nil, t1, part, nil)) != 0 {
		t.Error("tracker still active after End")
	}
	empty := map[string]any{}
	tr.Store(empty)
	if len(empty) != 0 {
		t.Errorf("stored %v outside a transaction", empty)
	}
}

func TestImplicitBoundaries(t *testing.T) {
	tr := New("s.transaction")
	recs, b := tr.Event(nil, "a", "db.t", time.UnixMilli(1), nil, nil)
	if len(recs) != 1 || recs[0].Value.(*api.Struct).Get("status") != "BEGIN" {
		t.Fatalf("first event records %v", recs)
	}
	block(t, b, "a", 1, 1)
	recs, b = tr.Event(nil, "a", "db.t", time.UnixMilli(2), nil, nil)
	if len(recs) != 0 {
		t.Fatalf("same transaction gave records")
	}
	block(t, b, "a", 2, 2)
	recs, b = tr.Event(nil, "b", "db.u", time.UnixMilli(3), nil, nil)
	if len(recs) != 2 || recs[0].Value.(*api.Struct).Get("status") != "END" || recs[0].Value.(*api.Struct).Get("id") != "a" ||
		recs[1].Value.(*api.Struct).Get("status") != "BEGIN" || recs[1].Value.(*api.Struct).Get("id") != "b" {
		t.Fatalf("switch records %v", recs)
	}
	block(t, b, "b", 1, 1)
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		offset  map[string]any
		active  bool
		next    int64 // total_order of the next db.a event
		nextCol int64
		err     bool
	}{
		{"none", map[string]any{"file": "x"}, false, 0, 0, false},
		{"int64", map[string]any{"transaction_id": "t", "transaction_data_collection_order_db.a": int64(4), "transaction_data_collection_order_db.b": int64(2)}, true, 7, 5, false},
		{"float", map[string]any{"transaction_id": "t", "transaction_data_collection_order_db.a": float64(1)}, true, 2, 2, false},
		{"bad", map[string]any{"transaction_id": "t", "transaction_data_collection_order_db.a": "x"}, false, 0, 0, true},
	}
	for _, tt := range tests {
		tr := New("s.transaction")
		err := tr.Load(tt.offset)
		if (err != nil) != tt.err || tr.Active() != tt.active {
			t.Errorf("%s: err %v active %v", tt.name, err, tr.Active())
			continue
		}
		if tt.active {
			block(t, tr.NextBlock("db.a"), "t", tt.next, tt.nextCol)
		}
	}
}

func BenchmarkNextBlock(b *testing.B) {
	tr := New("s.transaction")
	tr.Begin(nil, "tx", time.Now(), nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		tr.NextBlock("inventory.orders")
	}
}

// TestEndHashMapOrder checks END's data_collections against Debezium's output for the compat
// workload's mixed transaction (tests/compat/reference/NOTES.md): the tables were touched in the
// order orders, orders, all_types, composite_pk, no_pk, and Debezium listed them in its HashMap's
// order, not in that one.
func TestEndHashMapOrder(t *testing.T) {
	tr := New("p.transaction")
	tr.Begin(nil, "802:1", time.UnixMilli(1), nil, nil)
	for _, c := range []string{"compat.orders", "compat.orders", "compat.all_types", "compat.composite_pk", "compat.no_pk"} {
		tr.NextBlock(c)
	}
	recs := tr.End(nil, time.UnixMilli(2), nil, nil)
	var got []string
	for _, dc := range recs[0].Value.(*api.Struct).Get("data_collections").([]any) {
		s := dc.(*api.Struct)
		got = append(got, fmt.Sprintf("%s=%d", s.Get("data_collection"), s.Get("event_count")))
	}
	want := "compat.composite_pk=1 compat.orders=2 compat.all_types=1 compat.no_pk=1"
	if strings.Join(got, " ") != want {
		t.Errorf("data_collections %s, want %s", strings.Join(got, " "), want)
	}
	// The counts stay with their tables in the next transaction too (End reuses its scratch).
	tr.Begin(nil, "803:1", time.UnixMilli(3), nil, nil)
	tr.NextBlock("compat.no_pk")
	recs = tr.End(nil, time.UnixMilli(4), nil, nil)
	dcs := recs[0].Value.(*api.Struct).Get("data_collections").([]any)
	if len(dcs) != 1 || dcs[0].(*api.Struct).Get("data_collection") != "compat.no_pk" || dcs[0].(*api.Struct).Get("event_count") != int64(1) {
		t.Errorf("second transaction: %v", dcs)
	}
}
