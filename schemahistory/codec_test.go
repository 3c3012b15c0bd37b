package schemahistory

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
)

// compactFixtures are history files written by Debezium's FileSchemaHistory (see testdata/README.md).
var compactFixtures = []string{"mysql-2.3.2-file.jsonl", "mysql-2.4-file.jsonl", "mysql-gtids-drop.jsonl"}

func readLines(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

// kafkaValues returns the record values of the history topic Debezium 2.7 wrote: pretty-printed
// documents, each closed by a '}' alone on its line.
func kafkaValues(t testing.TB) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "mariadb-2.7.0-kafka-values.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var values [][]byte
	for len(data) > 0 {
		end := bytes.Index(data, []byte("\n}\n"))
		if end < 0 {
			t.Fatalf("unterminated value in the fixture: %q", data)
		}
		values = append(values, data[:end+2])
		data = data[end+3:]
	}
	if len(values) != 14 {
		t.Fatalf("the fixture holds %d values, want 14", len(values))
	}
	return values
}

func TestDecodeEncodeDebeziumFileRecords(t *testing.T) {
	for _, name := range compactFixtures {
		for i, line := range readLines(t, name) {
			rec, err := UnmarshalRecord(line, true)
			if err != nil {
				t.Fatalf("%s line %d: %v", name, i+1, err)
			}
			got, err := MarshalRecord(rec, Compact)
			if err != nil {
				t.Fatalf("%s line %d: %v", name, i+1, err)
			}
			if !bytes.Equal(got, line) {
				t.Errorf("%s line %d: encoding the decoded record changed it\n got %s\nwant %s", name, i+1, got, line)
			}
		}
	}
}

func TestDecodeEncodeDebeziumKafkaRecords(t *testing.T) {
	for i, v := range kafkaValues(t) {
		rec, err := UnmarshalRecord(v, true)
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		got, err := MarshalRecord(rec, Pretty)
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		if !bytes.Equal(got, v) {
			t.Errorf("value %d: encoding the decoded record changed it\n got %s\nwant %s", i, got, v)
		}
		// The compact form carries the same record.
		compact, err := MarshalRecord(rec, Compact)
		if err != nil {
			t.Fatal(err)
		}
		again, err := UnmarshalRecord(compact, true)
		if err != nil {
			t.Fatalf("value %d in compact form: %v", i, err)
		}
		if pretty, _ := MarshalRecord(again, Pretty); !bytes.Equal(pretty, v) {
			t.Errorf("value %d: compact and pretty forms disagree:\n%s", i, compact)
		}
	}
}

// launder rebuilds rec from its exported fields only, the way a connector builds a record: no
// remembered key order, tables built from scratch.
func launder(t *testing.T, rec *Record) *Record {
	t.Helper()
	out := &Record{
		Source: map[string]any{}, Position: map[string]any{}, TsMs: rec.TsMs,
		DatabaseName: rec.DatabaseName, SchemaName: rec.SchemaName, DDL: rec.DDL,
	}
	for k, v := range rec.Source {
		out.Source[k] = v
	}
	for k, v := range rec.Position {
		out.Position[k] = v
	}
	for _, ch := range rec.TableChanges {
		if ch.Table != nil {
			tbl := ch.Table.Clone()
			for i := range tbl.Columns {
				tbl.Columns[i].Position = 0
			}
			if err := tbl.Build(); err != nil {
				t.Fatal(err)
			}
			ch.Table = tbl
		}
		out.TableChanges = append(out.TableChanges, ch)
	}
	return out
}

// TestNewRecordsMatchDebezium checks what matters most for writing: a record connectd builds
// itself (position from a Go map, tables from the model) encodes to the bytes Debezium wrote.
func TestNewRecordsMatchDebezium(t *testing.T) {
	check := func(src string, want []byte, f Format) {
		rec, err := UnmarshalRecord(want, true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := MarshalRecord(launder(t, rec), f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: a record built from scratch encodes differently from Debezium's\n got %s\nwant %s", src, got, want)
		}
	}
	for i, v := range kafkaValues(t) {
		check("kafka value "+string(rune('0'+i)), v, Pretty)
	}
	for _, name := range compactFixtures {
		for _, line := range readLines(t, name) {
			check(name, line, Compact)
		}
	}
}

func replayValues(t *testing.T, values [][]byte, opts ReplayOptions) (*relational.Tables, ReplayStats) {
	t.Helper()
	store := NewMemoryStore(true)
	for _, v := range values {
		store.AppendRaw(v)
	}
	tables := relational.NewTables(false)
	st, err := Replay(t.Context(), store, tables, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tables, st
}

var (
	customersID = relational.TableID{Catalog: "dbz_fixture", Table: "customers"}
	ordersID    = relational.TableID{Catalog: "dbz_fixture", Table: "orders"}
	ordersV3ID  = relational.TableID{Catalog: "dbz_fixture", Table: "orders_v3"}
)

// checkMariaDBModel asserts the table model Debezium's own recovery builds from the captured
// MariaDB history (see testdata/README.md).
func checkMariaDBModel(t *testing.T, tables *relational.Tables) {
	t.Helper()
	ids := tables.IDs()
	if want := []relational.TableID{customersID, ordersID, ordersV3ID}; len(ids) != 3 || ids[0] != want[0] || ids[1] != want[1] || ids[2] != want[2] {
		t.Fatalf("tables %v, want %v (temp_t dropped; orders kept because Debezium recorded ALTER ... RENAME without previousId)", ids, want)
	}
	c := tables.Get(customersID)
	if got := strings.Join(c.ColumnNames(), ","); got != "id,first_name,middle_name,email,status,balance,note,created,nick" {
		t.Errorf("customers columns %s", got)
	}
	if c.Comment != "customer table" || c.DefaultCharsetName != "utf8mb4" || strings.Join(c.PrimaryKeyColumnNames, ",") != "id" {
		t.Errorf("customers: comment %q charset %q pk %v", c.Comment, c.DefaultCharsetName, c.PrimaryKeyColumnNames)
	}
	id := c.Column("id")
	if id.JDBCType != relational.TypeInteger || !id.AutoIncremented || !id.Generated || id.Optional || id.Length != relational.Int(11) {
		t.Errorf("customers.id %+v", *id)
	}
	mid := c.Column("middle_name")
	if mid.CharsetName != "latin1" || mid.Position != 3 || !mid.Optional || !mid.HasDefaultValue || mid.DefaultValueExpression.Valid {
		t.Errorf("customers.middle_name %+v", *mid)
	}
	status := c.Column("status")
	if strings.Join(status.EnumValues, ",") != "'active','inactive'" || status.DefaultValueExpression != relational.String("active") {
		t.Errorf("customers.status %+v", *status)
	}
	bal := c.Column("balance")
	if bal.JDBCType != relational.TypeDecimal || bal.Length != relational.Int(12) || bal.Scale != relational.Int(4) ||
		bal.Optional || bal.DefaultValueExpression != relational.String("1.5") || bal.Comment != "money" {
		t.Errorf("customers.balance %+v", *bal)
	}
	if note := c.Column("note"); note.Comment != `free "text"` || note.Length.Valid {
		t.Errorf("customers.note %+v", *note)
	}
	if created := c.Column("created"); created.JDBCType != relational.TypeTimestampWithTimezone || created.Length != relational.Int(3) ||
		!created.HasDefaultValue || created.DefaultValueExpression.Valid {
		t.Errorf("customers.created %+v (DEFAULT NULL: a default without an expression)", *created)
	}
	if nick := c.Column("nick"); nick.DefaultValueExpression != relational.String("") {
		t.Errorf("customers.nick %+v (DEFAULT '': an empty expression)", *nick)
	}

	o := tables.Get(ordersV3ID)
	if strings.Join(o.PrimaryKeyColumnNames, ",") != "order_id,line" || o.DefaultCharsetName != "latin1" {
		t.Errorf("orders_v3: pk %v charset %q", o.PrimaryKeyColumnNames, o.DefaultCharsetName)
	}
	if oid := o.Column("order_id"); oid.TypeName != "BIGINT UNSIGNED" && oid.TypeName != "BIGINT" {
		t.Errorf("orders_v3.order_id type %q", oid.TypeName)
	}
	if tags := o.Column("tags"); strings.Join(tags.EnumValues, ",") != "'a','b','c'" || tags.CharsetName != "latin1" {
		t.Errorf("orders_v3.tags %+v", *tags)
	}
	if len(tables.Get(ordersID).Columns) != 5 {
		t.Errorf("stale orders has %d columns", len(tables.Get(ordersID).Columns))
	}
}

func TestReplayDebeziumMariaDBHistory(t *testing.T) {
	tables, st := replayValues(t, kafkaValues(t), ReplayOptions{})
	checkMariaDBModel(t, tables)
	if st.Records != 14 || st.Applied != 10 || st.TableChanges != 10 || st.DDLIgnored != 4 || st.Skipped != 0 || st.Invalid != 0 {
		t.Errorf("stats %+v", st)
	}
	if st.Last == nil || st.Last.DDL != "DROP TABLE `dbz_fixture`.`temp_t`" {
		t.Errorf("last applied record %+v", st.Last)
	}
}

// binlogAtOrBefore is a test stand-in for the MySQL connector's comparison: same server, and
// (file, pos) not after the offset's.
func binlogAtOrBefore(server, file string, pos int64) func(*Record) bool {
	return func(rec *Record) bool {
		if rec.Source["server"] != server {
			return false
		}
		f, _ := rec.Position["file"].(string)
		p, _ := rec.Position["pos"].(int64)
		return f < file || f == file && p <= pos
	}
}

func TestReplayUpToOffset(t *testing.T) {
	values := kafkaValues(t)
	// An offset taken right after the snapshot: the streamed changes are past it. (The first
	// streamed change shares the snapshot's binlog position; a snapshot offset tells them apart.)
	tables, st := replayValues(t, values, ReplayOptions{Include: func(rec *Record) bool { return rec.Position["snapshot"] == true }})
	c := tables.Get(customersID)
	if c == nil || c.Column("middle_name") != nil || tables.Get(ordersV3ID) != nil || tables.Get(ordersID) == nil {
		t.Fatalf("replay up to the snapshot: %v", tables)
	}
	if st.Skipped != 6 || st.Applied != 4 {
		t.Errorf("stats %+v; want the 6 streamed records skipped", st)
	}

	// An offset in the middle of the streamed changes: after the RENAME, before MODIFY balance.
	tables, st = replayValues(t, values, ReplayOptions{Include: binlogAtOrBefore("fx1795305130", "mariadb-bin.000005", 3370)})
	if tables.Get(ordersV3ID) == nil || tables.Get(customersID).Column("balance").Scale != relational.Int(2) || st.Skipped != 3 {
		t.Errorf("replay up to pos 3370: %v, balance %+v, stats %+v", tables, tables.Get(customersID).Column("balance"), st)
	}

	// The committed offset covers everything.
	tables, st = replayValues(t, values, ReplayOptions{Include: binlogAtOrBefore("fx1795305130", "mariadb-bin.000005", 4078)})
	checkMariaDBModel(t, tables)
	if st.Skipped != 0 {
		t.Errorf("skipped %d", st.Skipped)
	}

	// Records of another source partition never apply.
	tables, st = replayValues(t, values, ReplayOptions{Include: binlogAtOrBefore("another-server", "z", 1<<40)})
	if tables.Len() != 0 || st.Skipped != 14 {
		t.Errorf("another server's history applied: %v %+v", tables, st)
	}
}

func TestReplayDDLHook(t *testing.T) {
	var seen []string
	hook := func(rec *Record, tables *relational.Tables) error {
		seen = append(seen, rec.DatabaseName+": "+rec.DDL)
		if strings.HasPrefix(rec.DDL, "DROP DATABASE") {
			tables.RemoveDatabase(rec.DatabaseName, "")
		}
		return nil
	}
	tables, st := replayValues(t, kafkaValues(t), ReplayOptions{ParseDDL: hook})
	checkMariaDBModel(t, tables)
	want := []string{
		": SET character_set_server=utf8mb4, collation_server=utf8mb4_general_ci",
		"dbz_fixture: DROP DATABASE IF EXISTS `dbz_fixture`",
		"dbz_fixture: CREATE DATABASE `dbz_fixture` CHARSET utf8mb4 COLLATE utf8mb4_general_ci",
		"dbz_fixture: USE `dbz_fixture`",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") || st.DDLParsed != 4 || st.DDLIgnored != 0 {
		t.Errorf("DDL hook saw\n%s\nstats %+v", strings.Join(seen, "\n"), st)
	}

	seen = nil
	_, st = replayValues(t, kafkaValues(t), ReplayOptions{ParseDDL: hook, PreferDDL: true})
	if len(seen) != 14 || st.TableChanges != 0 {
		t.Errorf("with PreferDDL the hook saw %d records, stats %+v", len(seen), st)
	}

	store := NewMemoryStore(true)
	if _, err := Replay(t.Context(), store, relational.NewTables(false), ReplayOptions{PreferDDL: true}); err == nil {
		t.Error("PreferDDL without a DDL parser was accepted")
	}
	boom := errors.New("boom")
	for _, v := range kafkaValues(t) {
		store.AppendRaw(v)
	}
	_, err := Replay(t.Context(), store, relational.NewTables(false), ReplayOptions{ParseDDL: func(*Record, *relational.Tables) error { return boom }})
	if !errors.Is(err, boom) {
		t.Errorf("a DDL parser error was not returned: %v", err)
	}
}

func TestDecodeOlderAndOtherShapes(t *testing.T) {
	cases := map[string]struct {
		json  string
		check func(t *testing.T, rec *Record)
	}{
		"Debezium 1.x, DDL only": {
			`{"source":{"server":"s"},"position":{"file":"f","pos":4},"databaseName":"db","ddl":"CREATE TABLE t (a INT)"}`,
			func(t *testing.T, rec *Record) {
				if rec.TsMs != 0 || len(rec.TableChanges) != 0 || rec.DDL == "" || !rec.Valid() {
					t.Errorf("%+v", rec)
				}
			},
		},
		"DROP with the dropped table (before Debezium 2.4), renamed ALTER, SQL Server ids": {
			`{"source":{"server":"s","database":"db"},"position":{"commit_lsn":"00000025:00000d98:00a2"},"ts_ms":1,"databaseName":"db","schemaName":"dbo","tableChanges":[` +
				`{"type":"DROP","id":"\"db\".\"dbo\".\"old\"","table":{"defaultCharsetName":null,"primaryKeyColumnNames":[],"columns":[{"name":"a","jdbcType":4,"nativeType":56,"typeName":"int","typeExpression":"int","charsetName":null,"position":1,"optional":true,"autoIncremented":false,"generated":false}]},"comment":null},` +
				`{"type":"ALTER","id":"\"db\".\"dbo\".\"new\"","previousId":"\"db\".\"dbo\".\"t\"","table":{"defaultCharsetName":null,"primaryKeyColumnNames":["id"],"columns":[{"name":"id","jdbcType":4,"typeName":"int","typeExpression":"int","charsetName":null,"position":1,"optional":false,"autoIncremented":false,"generated":false,"comment":null,"hasDefaultValue":false,"enumValues":[]}],"attributes":[{"name":"object_id","value":"12345"}],"future":{"x":[1,2]}},"comment":"renamed"}]}`,
			func(t *testing.T, rec *Record) {
				drop, alter := rec.TableChanges[0], rec.TableChanges[1]
				if drop.Type != Drop || drop.Table == nil || drop.Table.Columns[0].NativeType != relational.Int(56) {
					t.Errorf("drop %+v", drop)
				}
				if alter.PreviousID != (relational.TableID{Catalog: "db", Schema: "dbo", Table: "t"}) || alter.Table.Comment != "renamed" {
					t.Errorf("alter %+v", alter)
				}
				if v, ok := alter.Table.Attribute("OBJECT_ID"); !ok || v != "12345" {
					t.Errorf("attributes %+v", alter.Table.Attributes)
				}
				tables := relational.NewTables(false)
				old := relational.TableID{Catalog: "db", Schema: "dbo", Table: "t"}
				if _, err := tables.Overwrite(&relational.Table{ID: old}); err != nil {
					t.Fatal(err)
				}
				if err := ApplyTableChanges(tables, rec.TableChanges); err != nil {
					t.Fatal(err)
				}
				if tables.Get(old) != nil || tables.Get(alter.ID) == nil || tables.Len() != 1 {
					t.Errorf("after the rename: %v", tables)
				}
			},
		},
		"escapes, big and fractional numbers, nested values": {
			`{"source":{"server":"s\u00e9\ud83d\ude00"},"position":{"big":123456789012345678901234,"f":1.5e3,"neg":-7,"n":null,"list":[1,"a"],"obj":{"k":true}},"databaseName":"d\/b","ddl":"a\tb\u0001"}`,
			func(t *testing.T, rec *Record) {
				if rec.Source["server"] != "sé😀" || rec.DatabaseName != "d/b" || rec.DDL != "a\tb\x01" {
					t.Errorf("strings: %q %q %q", rec.Source["server"], rec.DatabaseName, rec.DDL)
				}
				if rec.Position["neg"] != int64(-7) || rec.Position["n"] != nil {
					t.Errorf("position %v", rec.Position)
				}
				out, err := MarshalRecord(rec, Compact)
				if err != nil {
					t.Fatal(err)
				}
				want := `{"source":{"server":"sé😀"},"position":{"big":123456789012345678901234,"f":1.5e3,"neg":-7,"n":null,"list":[1,"a"],"obj":{"k":true}},"databaseName":"d/b","ddl":"a\tb\u0001","tableChanges":[]}`
				if string(out) != want {
					t.Errorf("re-encoded\n got %s\nwant %s", out, want)
				}
			},
		},
		"Debezium 2.x table id with a quote inside": {
			`{"source":{},"position":{},"databaseName":"db","tableChanges":[{"type":"CREATE","id":"\"db\".\"we\"\"ird\"","table":{"defaultCharsetName":null,"primaryKeyColumnNames":[],"columns":[],"attributes":[]},"comment":null}]}`,
			func(t *testing.T, rec *Record) {
				if rec.TableChanges[0].ID != (relational.TableID{Catalog: "db", Table: `we"ird`}) {
					t.Errorf("id %+v", rec.TableChanges[0].ID)
				}
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rec, err := UnmarshalRecord([]byte(c.json), true)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, rec)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := `{"source":{},"position":{},"databaseName":"db","tableChanges":[{"type":"CREATE","id":"\"db\".\"t\"","table":{"defaultCharsetName":null,"primaryKeyColumnNames":["a"],"columns":[{"name":"a","jdbcType":4,"position":1}],"attributes":[]},"comment":null}]}`
	if _, err := UnmarshalRecord([]byte(good), true); err != nil {
		t.Fatalf("the baseline does not decode: %v", err)
	}
	cases := map[string]struct{ json, want string }{
		"empty":            {``, "at byte 0 (end of input): expected '{'"},
		"truncated":        {good[:60], "end of input"},
		"trailing garbage": {good + "x", "after the record"},
		"string for a number": {strings.Replace(good, `"jdbcType":4`, `"jdbcType":"4"`, 1),
			`column field "jdbcType": at byte`},
		"bad table id":     {strings.Replace(good, `"id":"\"db\".\"t\""`, `"id":"db..t"`, 1), `field "id": invalid table identifier "db..t"`},
		"unknown type":     {strings.Replace(good, `"CREATE"`, `"TRUNCATE"`, 1), `"TRUNCATE" is not CREATE, ALTER or DROP`},
		"missing pk":       {strings.Replace(good, `["a"]`, `["b"]`, 1), `primary key column "b" is not a column`},
		"create w/o table": {`{"source":{},"position":{},"tableChanges":[{"type":"CREATE","id":"t"}]}`, `has no "table"`},
		"control char":     {`{"source":{},"position":{},"ddl":"a` + "\n" + `b"}`, "control character 0x0a inside a string"},
		"bad escape":       {`{"source":{},"position":{},"ddl":"\q"}`, `invalid escape '\q'`},
		"bad number":       {`{"source":{},"position":{"pos":01}}`, `field "position": at byte 31: expected a number`},
	}
	for name, c := range cases {
		_, err := UnmarshalRecord([]byte(c.json), true)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want ErrMalformed mentioning %q", name, err, c.want)
		}
	}
}

func TestEncodeEscapesLikeJackson(t *testing.T) {
	rec := &Record{
		Source:       map[string]any{"server": "x"},
		Position:     map[string]any{"bin": []byte{0xff, 0}, "u": uint64(1 << 63)},
		DatabaseName: "q\"\\/<>&\u2028é",
		DDL:          "\x00\x1f\b\f\n\r\t\x7f" + string([]byte{0xff}),
	}
	got, err := MarshalRecord(rec, Compact)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"source":{"server":"x"},"position":{"u":9223372036854775808,"bin":"/wA="},"databaseName":"q\"\\/<>&` + "\u2028" + `é","ddl":"\u0000\u001F\b\f\n\r\t` + "\x7f\uFFFD" + `","tableChanges":[]}`
	if string(got) != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	rec.Position["bad"] = struct{}{}
	if _, err := MarshalRecord(rec, Compact); err == nil || !strings.Contains(err.Error(), `key "bad"`) {
		t.Errorf("an unsupported position value: %v", err)
	}
	rec.Position = nil
	rec.TableChanges = []TableChange{{Type: "RENAME", ID: relational.TableID{Table: "t"}}}
	if _, err := MarshalRecord(rec, Pretty); err == nil {
		t.Error("an unknown change type was encoded")
	}
}

// TestEncodeNumbersLikeJackson: DocumentWriter writes a double with Jackson's writeNumber, which
// prints Double.toString (Float.toString for a float), not Go's shortest 'g' form.
func TestEncodeNumbersLikeJackson(t *testing.T) {
	rec := &Record{Position: map[string]any{"d": 100.0, "e": 1e21, "f": float32(0.1), "g": -2.5e-5}}
	got, err := MarshalRecord(rec, Compact)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"source":{},"position":{"d":100.0,"e":1.0E21,"f":0.1,"g":-2.5E-5},"databaseName":"","tableChanges":[]}`
	if string(got) != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	for _, bad := range []any{math.NaN(), math.Inf(-1), float32(math.Inf(1))} {
		rec.Position = map[string]any{"x": bad}
		if _, err := MarshalRecord(rec, Compact); err == nil {
			t.Errorf("%v was encoded", bad)
		}
	}
}

func TestEncodePrettyEmptyContainers(t *testing.T) {
	got, err := MarshalRecord(&Record{}, Pretty)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"source\" : { },\n  \"position\" : { },\n  \"databaseName\" : \"\",\n  \"tableChanges\" : [ ]\n}"
	if string(got) != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}
