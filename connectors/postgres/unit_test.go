package postgres

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pglogrepl"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/postgres/pgtypes"
	"github.com/connectd/connectd/connectors/source"
)

func baseConfig() map[string]string {
	return map[string]string{
		"connector.class":   ClassName,
		"topic.prefix":      "dbserver1",
		"database.hostname": "localhost",
		"database.user":     "postgres",
		"database.password": "secret",
		"database.dbname":   "inventory",
		"plugin.name":       "pgoutput",
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(baseConfig())
	if err != nil {
		t.Fatal(err)
	}
	if c.SlotName != "debezium" || c.Publication != "dbz_publication" || c.PubMode != pubAllTables || c.Port != 5432 {
		t.Errorf("defaults: slot %q publication %q mode %q port %d", c.SlotName, c.Publication, c.PubMode, c.Port)
	}
	if !c.TombstonesOnDelete || !c.SkippedOperations.Has(envelope.OpTruncate) || c.ProvideTransactionMetadata || c.SnapshotMode.String() != "initial" || !c.Streaming {
		t.Errorf("defaults: tombstones %v skip truncate %v tx %v mode %s streaming %v", c.TombstonesOnDelete, c.SkippedOperations.Has(envelope.OpTruncate), c.ProvideTransactionMetadata, c.SnapshotMode, c.Streaming)
	}
	if c.MaxQueueSizeInBytes != 8<<20 || c.MaxBatchSize != 2048 || c.MaxQueueSize != 8192 || c.SnapshotFetchSize != 10240 || c.StatusInterval.Milliseconds() != 10000 {
		t.Errorf("defaults: queue bytes %d batch %d queue %d fetch %d status %v", c.MaxQueueSizeInBytes, c.MaxBatchSize, c.MaxQueueSize, c.SnapshotFetchSize, c.StatusInterval)
	}
	if Spec().Key("database.port").Default != "5432" || Spec().Key("name") != nil || Spec().Key("schema.history.internal.kafka.topic") != nil {
		t.Error("spec: port default, runtime keys or schema history keys wrong")
	}
	if c.Retry.MaxRetries != -1 || c.Retry.Initial.Milliseconds() != 300 || c.Retry.Max.Milliseconds() != 10000 {
		t.Errorf("defaults: retry policy %+v, want Debezium's -1, 300 ms, 10 s", c.Retry)
	}
	if c.partition()["server"] != "dbserver1" {
		t.Errorf("partition %v", c.partition())
	}
	// A Debezium configuration validates against the spec without errors.
	if _, n := Spec().Validate(baseConfig()); n != 0 {
		vals, _ := Spec().Validate(baseConfig())
		t.Errorf("spec validation of a Debezium config: %d errors: %+v", n, vals)
	}
	bad := baseConfig()
	bad["plugin.name"] = "decoderbufs"
	if _, n := Spec().Validate(bad); n != 1 {
		t.Errorf("plugin.name=decoderbufs: %d validation errors, want 1", n)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"plugin.name": "decoderbufs"}, "decoderbufs is not supported"},
		{map[string]string{"slot.name": "Bad-Slot"}, "not a valid replication slot name"},
		{map[string]string{"publication.autocreate.mode": "some"}, "publication.autocreate.mode"},
		{map[string]string{"topic.prefix": ""}, "topic.prefix: is required"},
		{map[string]string{"database.dbname": ""}, "database.dbname: is required"},
		{map[string]string{"snapshot.mode": "sometimes"}, "not a snapshot mode"},
		{map[string]string{"decimal.handling.mode": "exact"}, "decimal.handling.mode"},
		{map[string]string{"skipped.operations": "x"}, "skipped.operations"},
		{map[string]string{"table.include.list": "a", "table.exclude.list": "b"}, "mutually exclusive"},
		{map[string]string{"database.hostname": " "}, "database.hostname: is required"},
		{map[string]string{"connectd.pgoutput.logical.decoding.work.mem.kb": "10"}, "minimum is 64"},
		{map[string]string{"errors.retry.delay.initial.ms": "0"}, "errors.retry.delay.initial.ms"},
	} {
		cfg := baseConfig()
		for k, v := range tc.set {
			cfg[k] = v
		}
		_, err := ParseConfig(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.set, err, tc.want)
		}
	}
}

// Offsets written by Debezium (numbers decoded by a JSON store as json.Number or float64) and by
// this connector read back to the same position; the map holds int64 numbers.
func TestOffsetRoundTrip(t *testing.T) {
	debezium := `{"transaction_id":null,"lsn_proc":37879960,"messageType":"UPDATE","lsn_commit":37879896,"lsn":37879960,"txId":771,"ts_usec":1700000000123456,"lsn_events_processed":2}`
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(debezium))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	p, err := parsePosition(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.LSNCommit != 37879896 || p.LSN != 37879960 || p.TxID != 771 || p.EventsProcessed != 2 || p.MsgType != "UPDATE" || !p.snapshotDone() {
		t.Errorf("parsed %+v", p)
	}
	if p.resumeLSN() != 37879896 {
		t.Errorf("resume at %d, want lsn_commit", p.resumeLSN())
	}
	out := p.toMap()
	for _, k := range []string{"lsn", "lsn_proc", "lsn_commit", "txId", "ts_usec", "lsn_events_processed"} {
		if _, ok := out[k].(int64); !ok {
			t.Errorf("%s is %T, want int64", k, out[k])
		}
	}
	var f map[string]any
	_ = json.Unmarshal([]byte(debezium), &f) // float64 numbers
	if q, err := parsePosition(f); err != nil || !reflect.DeepEqual(q, p) {
		t.Errorf("float64 numbers: %+v, %v", q, err)
	}

	snap := map[string]any{"snapshot": "INITIAL", "last_snapshot_record": false, "snapshot_completed": false, "lsn": int64(100), "txId": int64(5), "ts_usec": int64(1)}
	if p, _ := parsePosition(snap); p.snapshotDone() || p.resumeLSN() != 100 {
		t.Errorf("unfinished snapshot offset: %+v", p)
	}
	snap["last_snapshot_record"] = true
	if p, _ := parsePosition(snap); !p.snapshotDone() {
		t.Errorf("last snapshot record should finish the snapshot")
	}
	legacy := map[string]any{"snapshot": true, "last_snapshot_record": true, "lsn": int64(100)}
	if p, err := parsePosition(legacy); err != nil || !p.snapshotDone() {
		t.Errorf("Debezium 1.x snapshot offset: %+v %v", p, err)
	}
	if _, err := parsePosition(map[string]any{"file": "mysql-bin.000001", "pos": int64(4)}); err == nil {
		t.Error("a MySQL offset was accepted")
	}
	if _, err := parsePosition(map[string]any{"lsn": "x"}); err == nil {
		t.Error("a non-numeric lsn was accepted")
	}
}

// tuple builds TupleData for text values ("" with kind 'n' or 'u').
func tuple(cols ...string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(cols)))
	for _, c := range cols {
		switch c {
		case "\x00n":
			b = append(b, 'n')
		case "\x00u":
			b = append(b, 'u')
		default:
			b = append(b, 't')
			b = binary.BigEndian.AppendUint32(b, uint32(len(c)))
			b = append(b, c...)
		}
	}
	return b
}

func TestParseChange(t *testing.T) {
	upd := append([]byte{'U', 0, 0, 0, 7, 'O'}, tuple("1", "old")...)
	upd = append(upd, 'N')
	upd = append(upd, tuple("1", "\x00u")...)
	c, err := parseChange(upd)
	if err != nil || c.kind != 'U' || c.relation != 7 || c.oldKind != 'O' || len(c.old) == 0 || len(c.new) == 0 {
		t.Fatalf("update: %+v %v", c, err)
	}
	reg := pgtypes.NewRegistry()
	opts := pgtypes.DefaultOptions()
	tb := &table{id: tableID("s", "t"), cols: []column{
		{name: "id", key: true, emit: true, mapping: opts.Map(reg, 23, -1)},
		{name: "body", optional: true, emit: true, mapping: opts.Map(reg, 25, -1)},
	}}
	task := &Task{}
	old, err := task.decodeTupleData(tb, c.old, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	row, err := task.decodeTupleData(tb, c.new, old, false)
	if err != nil || row[0] != int32(1) || row[1] != "old" {
		t.Errorf("unchanged TOASTed value from the old row: %v %v", row, err)
	}
	row, _ = task.decodeTupleData(tb, c.new, nil, false)
	if row[1] != pgtypes.DefaultPlaceholder {
		t.Errorf("unchanged TOASTed value without old row: %v", row[1])
	}

	// Every truncation of a valid message is an error, never a panic.
	ins := append([]byte{'I', 0, 0, 0, 7, 'N'}, tuple("42", "\x00n", "abc")...)
	for i := 0; i < len(ins); i++ {
		if _, err := parseChange(ins[:i]); err == nil {
			t.Errorf("truncated insert of %d bytes parsed", i)
		}
	}
	for _, bad := range [][]byte{{'D', 0, 0, 0, 1, 'N', 0, 0}, {'I', 0, 0, 0, 1, 'K', 0, 0}, {'X', 0, 0, 0, 1, 'N', 0, 0}} {
		if _, err := parseChange(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, err := parseMessage([]byte{'R', 0, 0}); err == nil {
		t.Error("truncated relation message parsed")
	}
}

func TestDefaultValue(t *testing.T) {
	reg := pgtypes.NewRegistry()
	o := pgtypes.DefaultOptions()
	text, i4, num, b := o.Map(reg, 25, -1), o.Map(reg, 23, -1), o.Map(reg, 1700, (10<<16|2)+4), o.Map(reg, 16, -1)
	i2, i8 := o.Map(reg, 21, -1), o.Map(reg, 20, -1)
	for _, tc := range []struct {
		m    *pgtypes.Mapping
		oid  uint32
		expr string
		want any
	}{
		{&text, 25, `'it''s'::text`, "it's"},
		{&text, 25, `'x'::character varying`, "x"},
		{&i4, 23, `42`, int32(42)},
		// serial, bigserial, smallserial: Debezium's default is 0 (tests/compat reference, type_zoo).
		{&i4, 23, `nextval('s_id_seq'::regclass)`, int32(0)},
		{&i8, 20, `nextval('s_id_seq'::regclass)`, int64(0)},
		{&i2, 21, `nextval('s_id_seq'::regclass)`, int16(0)},
		{&text, 25, `nextval('s_id_seq'::regclass)`, nil},
		{&b, 16, `true`, true},
		{&text, 25, `now()`, nil},
	} {
		if got := defaultValue(tc.m, tc.oid, tc.expr); got != tc.want {
			t.Errorf("defaultValue(%s) = %#v, want %#v", tc.expr, got, tc.want)
		}
	}
	if got := defaultValue(&num, 1700, `1.5`); got == nil {
		t.Errorf("numeric default not read")
	}
}

func TestLSNString(t *testing.T) {
	if lsnString(pglogrepl.LSN(0x16B3748)) != "23803720" || txIDString(771) != "771" || serverMajor("15.18 (Debian)") != 15 {
		t.Error("formatting helpers")
	}
}

func tableID(schema, name string) relational.TableID {
	return relational.TableID{Schema: schema, Table: name}
}

// TestPickUniqueKeys: the first unique index by name wins; an index with an expression column
// is skipped whole, wherever the expression is; tables with a primary key keep it.
func TestPickUniqueKeys(t *testing.T) {
	row := func(oid, index string, col any) [][]byte {
		r := [][]byte{[]byte(oid), []byte(index), nil}
		if s, ok := col.(string); ok {
			r[2] = []byte(s)
		}
		return r
	}
	byOID := map[uint32]*catalogTable{1: {OID: 1}, 2: {OID: 2}, 3: {OID: 3, PK: []string{"id"}}, 4: {OID: 4}}
	pickUniqueKeys(byOID, [][][]byte{
		row("1", "a_expr", "x"), row("1", "a_expr", nil), row("1", "b_ok", "y"), row("1", "b_ok", "x"), row("1", "c_later", "z"),
		row("2", "only_expr", nil),
		row("3", "u", "other"),
		row("4", "a", "p"), row("4", "b", "q"),
	})
	for oid, want := range map[uint32][]string{1: {"y", "x"}, 2: nil, 3: {"id"}, 4: {"p"}} {
		if got := byOID[oid].PK; !reflect.DeepEqual(got, want) {
			t.Errorf("table %d key %v, want %v", oid, got, want)
		}
	}
	if !byOID[1].UniqueKey || byOID[2].UniqueKey || byOID[3].UniqueKey {
		t.Errorf("UniqueKey flags: %v %v %v", byOID[1].UniqueKey, byOID[2].UniqueKey, byOID[3].UniqueKey)
	}
}

func TestChunkQueryAndKey(t *testing.T) {
	var args [][]byte
	s := &snapTable{name: `"s"."t"`, cols: []string{`"a"`, `"v"`}, keyCols: []string{`"a"`, `"b"`}}
	if got, want := s.keysetQuery(&args).Chunk([]string{"x", "y"}, nil, 10),
		`SELECT "a", "v", "a", "b" FROM "s"."t" WHERE ("a", "b") > ($1, $2) ORDER BY "a", "b" LIMIT 10`; got != want || len(args) != 2 {
		t.Errorf("next chunk:\n got %s\nwant %s (%d args)", got, want, len(args))
	}
	s = &snapTable{name: `"s"."t"`, cols: []string{`"v"`}, keyCols: []string{`"id"`}}
	if got, want := s.keysetQuery(&args).Chunk(nil, nil, 5),
		`SELECT "v", "id" FROM "s"."t" ORDER BY "id" LIMIT 5`; got != want {
		t.Errorf("first chunk:\n got %s\nwant %s", got, want)
	}
	p := position{LSN: 100, Snapshot: true, Snap: source.SnapshotOffset{Table: "s.t", Key: source.EncodeSnapshotKey([]string{"7"}, false)}}
	q, err := parsePosition(p.toMap())
	if err != nil || q.SnapResume == nil || q.snapshotDone() {
		t.Fatalf("progress round trip: %+v %v", q, err)
	}
	if skip, after := q.SnapResume.From("s.t"); skip || !reflect.DeepEqual(after, []string{"7"}) {
		t.Errorf("progress round trip: %v %v", skip, after)
	}
	p.LastSnapshotRecord, p.SnapshotCompleted = true, true
	if m := p.toMap(); m[source.OffsetSnapshotTable] != nil || m[source.OffsetSnapshotKey] != nil {
		t.Errorf("the snapshot's last offset carries progress: %v", m)
	}
}
