package mysql

import (
	"context"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/schemahistory"

	"github.com/connectd/connectd/connect/api/relational"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// tmCol is one column of a constructed TABLE_MAP event.
type tmCol struct {
	name      string
	typ       byte
	meta      uint16
	unsigned  bool
	collation uint64 // for character, binary-string, ENUM and SET columns
	enum, set []string
	nullable  bool
}

// tableMap builds a TABLE_MAP event as go-mysql decodes one with binlog_row_metadata=FULL
// (column charsets in the COLUMN_CHARSET form, as MariaDB sends for ENUM/SET).
func tableMap(pk []uint64, cols ...tmCol) *replication.TableMapEvent {
	e := &replication.TableMapEvent{TableID: 42, Schema: []byte("db"), Table: []byte("t"), ColumnCount: uint64(len(cols)),
		NullBitmap: make([]byte, (len(cols)+7)/8), PrimaryKey: pk}
	var signBits []bool
	for i, c := range cols {
		e.ColumnType = append(e.ColumnType, c.typ)
		e.ColumnMeta = append(e.ColumnMeta, c.meta)
		e.ColumnName = append(e.ColumnName, []byte(c.name))
		if c.nullable {
			e.NullBitmap[i/8] |= 1 << (i % 8)
		}
	}
	for i, c := range cols {
		if e.IsNumericColumn(i) {
			signBits = append(signBits, c.unsigned)
		}
		switch {
		case e.IsEnumOrSetColumn(i):
			e.EnumSetColumnCharset = append(e.EnumSetColumnCharset, c.collation)
			if c.enum != nil {
				e.EnumStrValue = append(e.EnumStrValue, bytesOf(c.enum))
			}
			if c.set != nil {
				e.SetStrValue = append(e.SetStrValue, bytesOf(c.set))
			}
		case e.IsCharacterColumn(i):
			e.ColumnCharset = append(e.ColumnCharset, c.collation)
		}
	}
	if len(signBits) > 0 {
		e.SignednessBitmap = make([]byte, (len(signBits)+7)/8)
		for i, u := range signBits {
			if u {
				e.SignednessBitmap[i/8] |= 0x80 >> (i % 8)
			}
		}
	}
	return e
}

func bytesOf(vs []string) [][]byte {
	out := make([][]byte, len(vs))
	for i, v := range vs {
		out[i] = []byte(v)
	}
	return out
}

// modelOf builds the connector's model of a CREATE TABLE statement, as streaming would.
func modelOf(t *testing.T, create string) *relational.Table {
	t.Helper()
	s := newSchemaModel(&Config{}, nil)
	if _, err := s.applyDDL(s.tables, "db", create); err != nil {
		t.Fatal(err)
	}
	tbl := s.tables.Get(relational.TableID{Catalog: "db", Table: "t"})
	if tbl == nil {
		t.Fatalf("no model for %s", create)
	}
	return tbl
}

const tmCreate = "CREATE TABLE t (id INT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(20) CHARACTER SET latin1, " +
	"d DECIMAL(6,2), e ENUM('a','b') , s SET('x','y','z'), b VARBINARY(8), tx TEXT, ts DATETIME(3), f BIT(3), y YEAR) DEFAULT CHARSET=utf8mb4"

// tmColumns are what MariaDB sends for tmCreate.
func tmColumns() []tmCol {
	return []tmCol{
		{name: "id", typ: gomysql.MYSQL_TYPE_LONG, unsigned: true},
		{name: "name", typ: gomysql.MYSQL_TYPE_VARCHAR, meta: 20, collation: 8, nullable: true},
		{name: "d", typ: gomysql.MYSQL_TYPE_NEWDECIMAL, meta: 6<<8 | 2, nullable: true},
		{name: "e", typ: gomysql.MYSQL_TYPE_STRING, meta: uint16(gomysql.MYSQL_TYPE_ENUM)<<8 | 1, collation: 45, enum: []string{"a", "b"}, nullable: true},
		{name: "s", typ: gomysql.MYSQL_TYPE_STRING, meta: uint16(gomysql.MYSQL_TYPE_SET)<<8 | 1, collation: 45, set: []string{"x", "y", "z"}, nullable: true},
		{name: "b", typ: gomysql.MYSQL_TYPE_VARCHAR, meta: 8, collation: 63, nullable: true},
		{name: "tx", typ: gomysql.MYSQL_TYPE_BLOB, meta: 2, collation: 45, nullable: true},
		{name: "ts", typ: gomysql.MYSQL_TYPE_DATETIME2, meta: 3, nullable: true},
		{name: "f", typ: gomysql.MYSQL_TYPE_BIT, meta: 3, nullable: true},
		{name: "y", typ: gomysql.MYSQL_TYPE_YEAR, unsigned: true, nullable: true},
	}
}

func TestTableMapMatchesModel(t *testing.T) {
	m := modelOf(t, tmCreate)
	bt, ok := describeTableMap(tableMap([]uint64{0}, tmColumns()...), builtinCollations)
	if !ok {
		t.Fatal("full metadata not recognised")
	}
	if d := compareTable(m, bt); len(d) != 0 {
		t.Fatalf("a correct model is reported as different: %v", d)
	}
	if bt.Columns[1].Charset != "latin1" || bt.Columns[3].Charset != "utf8mb4" || bt.Columns[5].Collation != 63 {
		t.Errorf("charsets: %+v", bt.Columns)
	}
	if got := strings.Join(bt.PrimaryKey, ","); got != "id" {
		t.Errorf("primary key %q", got)
	}
}

func TestTableMapMismatches(t *testing.T) {
	cases := []struct {
		name   string
		create string
		edit   func([]tmCol) []tmCol
		want   string
	}{
		{"latin1 modelled as utf8mb4", strings.Replace(tmCreate, " CHARACTER SET latin1", "", 1), nil,
			`column "name" has charset utf8mb4 in the model but latin1 in the binlog`},
		{"column order", strings.Replace(tmCreate, "d DECIMAL(6,2), e ENUM('a','b') ,", "e ENUM('a','b'), d DECIMAL(6,2),", 1), nil,
			`column 3 is "e" in the model but "d" in the binlog`},
		{"type", strings.Replace(tmCreate, "tx TEXT", "tx INT", 1), nil, `column "tx" is INT in the model but TEXT in the binlog`},
		{"signedness", strings.Replace(tmCreate, "INT UNSIGNED", "INT", 1), nil, `column "id" is signed in the model but unsigned in the binlog`},
		{"enum members", strings.Replace(tmCreate, "ENUM('a','b')", "ENUM('a','c')", 1), nil,
			`column "e" has members ('a','c') in the model but ('a','b') in the binlog`},
		{"set members", tmCreate, func(c []tmCol) []tmCol { c[4].set = []string{"x", "y"}; return c },
			`column "s" has members ('x','y','z') in the model but ('x','y') in the binlog`},
		{"text modelled as binary", strings.Replace(tmCreate, "tx TEXT", "tx BLOB", 1), nil,
			`column "tx" is a binary string (BLOB) in the model but has charset utf8mb4 in the binlog`},
		{"binary modelled as text", strings.Replace(tmCreate, "b VARBINARY(8)", "b VARCHAR(8)", 1), nil,
			`column "b" is a character column (VARCHAR) in the model but a binary string in the binlog`},
		{"decimal scale", strings.Replace(tmCreate, "DECIMAL(6,2)", "DECIMAL(6,3)", 1), nil,
			`column "d" is DECIMAL(6,3) in the model but DECIMAL(6,2) in the binlog`},
		{"fractional seconds", strings.Replace(tmCreate, "DATETIME(3)", "DATETIME", 1), nil,
			`column "ts" has 0 fractional digits in the model but 3 in the binlog`},
		{"bit length", strings.Replace(tmCreate, "BIT(3)", "BIT(1)", 1), nil, `column "f" is BIT(1) in the model but BIT(3) in the binlog`},
		{"column count", strings.Replace(tmCreate, ", y YEAR", "", 1), nil, "the model has 9 columns, the binlog 10"},
		{"name case", strings.Replace(tmCreate, "name VARCHAR", "Name VARCHAR", 1), nil, `column 2 is "Name" in the model but "name" in the binlog`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cols := tmColumns()
			if c.edit != nil {
				cols = c.edit(cols)
			}
			bt, _ := describeTableMap(tableMap([]uint64{0}, cols...), builtinCollations)
			d := compareTable(modelOf(t, c.create), bt)
			if !strings.Contains(strings.Join(d, "\n"), c.want) {
				t.Fatalf("differences %q do not include %q", d, c.want)
			}
		})
	}
}

func TestTableMapLatin1EnumMembers(t *testing.T) {
	// ENUM members arrive in the column's charset: 'é' in latin1 is the byte 0xe9.
	bt, _ := describeTableMap(tableMap(nil, tmCol{name: "d", typ: gomysql.MYSQL_TYPE_STRING, meta: uint16(gomysql.MYSQL_TYPE_ENUM)<<8 | 1,
		collation: 8, enum: []string{"\xe9", "x"}}), builtinCollations)
	if d := compareTable(modelOf(t, "CREATE TABLE t (d ENUM('é','x')) CHARSET latin1"), bt); len(d) != 0 {
		t.Fatal(d)
	}
}

func TestTableMapYearSignedness(t *testing.T) {
	cols := []tmCol{{name: "y", typ: gomysql.MYSQL_TYPE_YEAR, unsigned: true}, {name: "n", typ: gomysql.MYSQL_TYPE_LONG, unsigned: true}}
	m := modelOf(t, "CREATE TABLE t (y YEAR, n INT)")
	bt, _ := describeTableMapOf(tableMap(nil, cols...), builtinCollations, true)
	if d := compareTable(m, bt); len(d) != 1 || !strings.Contains(d[0], `column "n" is signed in the model but unsigned`) {
		t.Errorf("MariaDB: %v", d)
	}
	bt, _ = describeTableMapOf(tableMap(nil, cols...), builtinCollations, false)
	if d := compareTable(m, bt); len(d) != 0 {
		t.Errorf("MySQL with a YEAR column must leave signedness unchecked: %v", d)
	}
}

func TestTableMapMinimalMetadata(t *testing.T) {
	e := tableMap(nil, tmColumns()...)
	e.ColumnName, e.SignednessBitmap, e.ColumnCharset, e.EnumSetColumnCharset, e.EnumStrValue, e.SetStrValue = nil, nil, nil, nil, nil, nil
	if _, ok := describeTableMap(e, builtinCollations); ok {
		t.Fatal("an event without column names must not be checked")
	}
}

func TestTableMapLongChar(t *testing.T) {
	// CHAR(200) in utf8mb4 is 800 bytes: the length's high bits ride in the real-type byte
	// (MariaDB sends meta 0xce20).
	bt, _ := describeTableMap(tableMap(nil, tmCol{name: "c", typ: gomysql.MYSQL_TYPE_STRING, meta: 0xce20, collation: 45}), builtinCollations)
	c := bt.Columns[0]
	if c.Type != gomysql.MYSQL_TYPE_STRING || c.Length != 800 || c.Charset != "utf8mb4" {
		t.Fatalf("got %+v", c)
	}
	rc := columnFromBinlog(&c, builtinCollations)
	if rc.TypeName != "CHAR" || rc.Length.V != 200 || rc.CharsetName != "utf8mb4" {
		t.Fatalf("rebuilt %+v", rc)
	}
	if d := compareTable(modelOf(t, "CREATE TABLE t (c CHAR(200)) CHARSET utf8mb4"), bt); len(d) != 0 {
		t.Fatal(d)
	}
}

func TestTableMapRebuild(t *testing.T) {
	// The model has the columns in the wrong order, name's charset wrong and lacks y; the
	// rebuilt model follows the binlog and keeps what the old one knew of agreeing columns.
	old := modelOf(t, "CREATE TABLE t (id INT UNSIGNED NOT NULL PRIMARY KEY COMMENT 'key', name VARCHAR(20), "+
		"e ENUM('a','b') DEFAULT 'a', d DECIMAL(6,2), s SET('x','y','z'), b VARBINARY(8), tx TEXT, ts DATETIME(3), f BIT(3)) DEFAULT CHARSET=utf8mb4")
	bt, _ := describeTableMap(tableMap([]uint64{0}, tmColumns()...), builtinCollations)
	if len(compareTable(old, bt)) == 0 {
		t.Fatal("the corrupted model was not caught")
	}
	nt, err := rebuildTable(old, bt, builtinCollations)
	if err != nil {
		t.Fatal(err)
	}
	if d := compareTable(nt, bt); len(d) != 0 {
		t.Fatalf("the rebuilt model still differs: %v", d)
	}
	if got := strings.Join(nt.ColumnNames(), ","); got != "id,name,d,e,s,b,tx,ts,f,y" {
		t.Errorf("columns %s", got)
	}
	if c := nt.Column("id"); c.Comment != "key" || c.Optional {
		t.Errorf("id lost what the old model knew: %+v", c)
	}
	if c := nt.Column("e"); !c.HasDefaultValue || c.DefaultValueExpression.V != "a" {
		t.Errorf("e lost its default: %+v", c)
	}
	if c := nt.Column("name"); c.CharsetName != "latin1" || c.TypeName != "VARCHAR" || c.Length.V != 20 || !c.Optional {
		t.Errorf("name rebuilt as %+v", c)
	}
	if c := nt.Column("y"); c.TypeName != "YEAR" || c.JDBCType != relational.TypeInteger {
		t.Errorf("y rebuilt as %+v", c)
	}
	if strings.Join(nt.PrimaryKeyColumnNames, ",") != "id" {
		t.Errorf("key %v", nt.PrimaryKeyColumnNames)
	}
}

func TestTableMapDescriptions(t *testing.T) {
	bt, _ := describeTableMap(tableMap([]uint64{0}, tmColumns()...), builtinCollations)
	got := describeBinlogColumns(bt)
	for _, want := range []string{"`id` INT UNSIGNED", "`name` VARCHAR(20 bytes) CHARSET latin1", "`d` DECIMAL(6,2)",
		"`e` ENUM('a','b') CHARSET utf8mb4", "`b` VARBINARY(8 bytes)", "`tx` TEXT CHARSET utf8mb4", "PRIMARY KEY (id)"} {
		if !strings.Contains(got, want) {
			t.Errorf("binlog description %q lacks %q", got, want)
		}
	}
	m := describeTableModel(modelOf(t, tmCreate))
	for _, want := range []string{"`name` VARCHAR(20) CHARSET latin1", "`e` ENUM('a','b') CHARSET utf8mb4"} {
		if !strings.Contains(m, want) {
			t.Errorf("model description %q lacks %q", m, want)
		}
	}
}

func TestSchemaMismatchConfig(t *testing.T) {
	base := map[string]string{"topic.prefix": "p", "database.hostname": "h", "database.user": "u",
		"schema.history.internal.kafka.topic": "h", "schema.history.internal.kafka.bootstrap.servers": "k"}
	c, err := parseConfig(base, FlavorMariaDB)
	if err != nil {
		t.Fatal(err)
	}
	if c.SchemaMismatch != mismatchFail {
		t.Errorf("default %q, want fail", c.SchemaMismatch)
	}
	base[propSchemaMismatchMode] = "REBUILD"
	if c, err = parseConfig(base, FlavorMariaDB); err != nil || c.SchemaMismatch != mismatchRebuild {
		t.Errorf("rebuild: %v %v", c, err)
	}
	base[propSchemaMismatchMode] = "ignore"
	if _, err := parseConfig(base, FlavorMariaDB); err == nil {
		t.Error("an unknown mode was accepted")
	}
	if k := configSpec().Key(propSchemaMismatchMode); k == nil || k.Doc == "" || k.Default != "fail" {
		t.Errorf("spec entry %+v", k)
	}
}

// tamperHistory replaces, in every history record describing table id, the model with edit's
// version of it: a schema history corrupted while the connector was stopped.
func tamperHistory(t *testing.T, hist *memHistory, id relational.TableID, edit func(*relational.Table)) {
	t.Helper()
	hist.mu.Lock()
	defer hist.mu.Unlock()
	n := 0
	for _, r := range hist.recs {
		for i := range r.TableChanges {
			ch := &r.TableChanges[i]
			if ch.ID != id || ch.Table == nil {
				continue
			}
			nt := ch.Table.Clone()
			edit(nt)
			if err := nt.Build(); err != nil {
				t.Fatal(err)
			}
			ch.Table = nt
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no history record describes %s", id)
	}
}

// TestTableMapCheckStreaming runs the check against the real server with FULL metadata: a
// correct model streams untouched; a history tampered with (latin1 column claimed utf8mb4, two
// columns swapped) stops the task with both descriptions and the DDL; in rebuild mode the
// events decode right and the history holds the rebuilt model.
func TestTableMapCheckStreaming(t *testing.T) {
	d := newDB(t)
	if meta := d.m.Query("SELECT @@binlog_row_metadata"); meta[0][0] != "FULL" {
		t.Fatalf("the test bed must run with binlog_row_metadata=FULL, has %q", meta[0][0])
	}
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10) CHARACTER SET latin1, n INT UNSIGNED, e ENUM('x','y')) DEFAULT CHARSET=utf8mb4",
		"INSERT INTO t VALUES (1,'café',7,'x')")
	id := relational.TableID{Catalog: d.name, Table: "t"}
	hist := &memHistory{}
	offs := &memOffsets{}
	r, err := startTask(t, d.config("srvtm"), hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r.pollUntil(1)
	d.exec("INSERT INTO t VALUES (2,'crème',8,'y')")
	a := decode(t, r.pollUntil(1)[0]).Value["after"].(map[string]any)
	if a["name"] != "crème" || a["n"] != 8.0 {
		t.Fatalf("a correct model streamed %v", a)
	}
	r.task.Stop()

	tamperHistory(t, hist, id, func(tb *relational.Table) {
		tb.Columns[1].CharsetName = "utf8mb4"
		tb.Columns[2], tb.Columns[3] = tb.Columns[3], tb.Columns[2]
	})
	d.exec("INSERT INTO t VALUES (3,'señor',9,'x')")
	r2, err := startTask(t, d.config("srvtm"), hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	var failure error
	deadline := time.Now().Add(60 * time.Second)
	for failure == nil && time.Now().Before(deadline) {
		recs, err := r2.task.Poll(context.Background())
		failure = err
		for _, rec := range recs {
			if strings.Count(rec.Topic, ".") == 2 && rec.Value != nil {
				t.Fatalf("a row decoded with the tampered model was emitted: %s", describe([]*api.SourceRecord{rec}))
			}
		}
	}
	if failure == nil {
		t.Fatal("the tampered model was not caught")
	}
	msg := failure.Error()
	for _, want := range []string{
		"the table model of " + id.String() + " does not match the binlog's table map",
		`column "name" has charset utf8mb4 in the model but latin1 in the binlog`,
		`column 3 is "e" in the model but "n" in the binlog`,
		"Model: `id` INT(11), `name` VARCHAR(10) CHARSET utf8mb4, `e` ENUM('x','y') CHARSET utf8mb4, `n` INT(10) UNSIGNED",
		"Binlog: `id` INT, `name` VARCHAR(10 bytes) CHARSET latin1, `n` INT UNSIGNED, `e` ENUM('x','y')",
		"The model was produced by: CREATE TABLE `t`",
		"schema.mismatch.handling.mode=rebuild", "schema_only_recovery",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
	r2.task.Stop()

	// Rebuild mode: the same tampered history, the same rows, decoded as the server has them.
	r3, err := startTask(t, d.config("srvtm", propSchemaMismatchMode, "rebuild"), hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	a = decode(t, r3.pollUntil(1)[0]).Value["after"].(map[string]any)
	want := map[string]any{"id": 3.0, "name": "señor", "n": 9.0, "e": "x"}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("rebuild mode decoded %v, want %v", a, want)
	}
	hist.mu.Lock()
	last := hist.recs[len(hist.recs)-1]
	hist.mu.Unlock()
	if !strings.Contains(last.DDL, "rebuilt from binlog TABLE_MAP metadata") || !strings.HasPrefix(last.DDL, "/*") ||
		len(last.TableChanges) != 1 || last.TableChanges[0].Type != schemahistory.Alter || last.TableChanges[0].ID != id {
		t.Fatalf("the last history record is not the rebuild: %+v", last)
	}
	if got := strings.Join(last.TableChanges[0].Table.ColumnNames(), ","); got != "id,name,n,e" {
		t.Errorf("rebuilt columns %s", got)
	}
	if cs := last.TableChanges[0].Table.Column("name").CharsetName; cs != "latin1" {
		t.Errorf("rebuilt charset %s", cs)
	}
	d.exec("INSERT INTO t VALUES (4,'über',10,'y')")
	a = decode(t, r3.pollUntil(1)[0]).Value["after"].(map[string]any)
	if a["name"] != "über" || a["n"] != 10.0 {
		t.Errorf("after the rebuild %v", a)
	}
	r3.task.Stop()

	// The rebuild record is part of the history: a restart replays it and streams without a
	// second rebuild.
	n := len(hist.recs)
	d.exec("INSERT INTO t VALUES (5,'à',11,'x')")
	r4, err := startTask(t, d.config("srvtm"), hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	a = decode(t, r4.pollUntil(1)[0]).Value["after"].(map[string]any)
	if a["name"] != "à" || a["n"] != 11.0 || len(hist.recs) != n {
		t.Errorf("after a restart over the rebuilt history: %v, %d records (had %d)", a, len(hist.recs), n)
	}
}

// recordedTableMap decodes the TABLE_MAP event recorded from MariaDB in testdata, with the
// CREATE TABLE statement it was recorded for.
func recordedTableMap(t *testing.T) (*replication.TableMapEvent, string) {
	t.Helper()
	b, err := os.ReadFile("testdata/tablemap_mariadb_full.txt")
	if err != nil {
		t.Fatal(err)
	}
	p := replication.NewBinlogParser()
	p.SetFlavor("mariadb")
	var create string
	var tm *replication.TableMapEvent
	for _, line := range strings.Split(string(b), "\n") {
		kind, data, _ := strings.Cut(line, " ")
		switch kind {
		case "#":
			if strings.HasPrefix(data, "CREATE TABLE") {
				create = data
			}
		case "fde", "tablemap":
			raw, err := hex.DecodeString(data)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := p.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if e, ok := ev.Event.(*replication.TableMapEvent); ok {
				tm = e
			}
		}
	}
	if tm == nil || create == "" {
		t.Fatal("the recorded table map is incomplete")
	}
	return tm, create
}

func TestTableMapRecordedMariaDB(t *testing.T) {
	tm, create := recordedTableMap(t)
	bt, ok := describeTableMap(tm, builtinCollations)
	if !ok {
		t.Fatal("the recorded event has full metadata")
	}
	if d := compareTable(modelOf(t, create), bt); len(d) != 0 {
		t.Fatalf("the model of the statement differs from MariaDB's table map: %v", d)
	}
	col := func(name string) binlogColumn {
		for _, c := range bt.Columns {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no column %s", name)
		return binlogColumn{}
	}
	// What MariaDB 10.11 sends: YEAR takes a signedness bit, CHAR(200) in utf8mb4 is 800 bytes with
	// the high bits in the type byte, latin1 ENUM members in latin1, UUID a BINARY(16).
	if c := col("y"); !c.Numeric || !c.Unsigned {
		t.Errorf("y %+v", c)
	}
	if c := col("n"); !c.Numeric || !c.Unsigned {
		t.Errorf("n %+v", c)
	}
	if c := col("c"); c.Type != gomysql.MYSQL_TYPE_STRING || c.Length != 800 || c.Charset != "utf8mb4" {
		t.Errorf("c %+v", c)
	}
	if c := col("e"); c.Type != gomysql.MYSQL_TYPE_ENUM || strings.Join(c.Values, ",") != "é,x" || c.Charset != "latin1" {
		t.Errorf("e %+v", c)
	}
	if c := col("u"); c.Type != gomysql.MYSQL_TYPE_STRING || c.Length != 16 || c.Collation != 63 {
		t.Errorf("u %+v", c)
	}
	if c := col("f"); c.Type != gomysql.MYSQL_TYPE_BIT || c.Length != 10 {
		t.Errorf("f %+v", c)
	}
	if c := col("j"); c.Type != gomysql.MYSQL_TYPE_BLOB || c.Charset != "utf8mb4" {
		t.Errorf("j %+v", c)
	}
	if strings.Join(bt.PrimaryKey, ",") != "id" {
		t.Errorf("key %v", bt.PrimaryKey)
	}
	// The same event against a model that lost the latin1 charset and the unsigned flag.
	bad := strings.Replace(strings.Replace(create, "name VARCHAR(10) CHARSET latin1", "name VARCHAR(10)", 1), "n INT UNSIGNED", "n INT", 1)
	d := strings.Join(compareTable(modelOf(t, bad), bt), "\n")
	for _, want := range []string{`column "name" has charset utf8mb4 in the model but latin1 in the binlog`, `column "n" is signed in the model but unsigned in the binlog`} {
		if !strings.Contains(d, want) {
			t.Errorf("differences %q lack %q", d, want)
		}
	}
}

// TestTableMapRebuildUnknownTable: a captured table the schema history lost fails at its rows
// event by default; in rebuild mode the table map's metadata is enough to stream it, and the
// history gets a CREATE for it.
func TestTableMapRebuildUnknownTable(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10) CHARACTER SET latin1, s SET('a','b'))", "INSERT INTO t VALUES (1,'à','a')")
	id := relational.TableID{Catalog: d.name, Table: "t"}
	hist := &memHistory{}
	offs := &memOffsets{}
	r, err := startTask(t, d.config("srvtu"), hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	r.pollUntil(1)
	d.exec("INSERT INTO t VALUES (2,'b','b')")
	r.pollUntil(1)
	r.task.Stop()
	hist.mu.Lock()
	kept := hist.recs[:0]
	for _, rec := range hist.recs {
		if len(rec.TableChanges) == 1 && rec.TableChanges[0].ID == id {
			continue
		}
		kept = append(kept, rec)
	}
	hist.recs = kept
	hist.mu.Unlock()
	d.exec("INSERT INTO t VALUES (3,'ñ','a,b')")

	r2, err := startTask(t, d.config("srvtu"), hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	var failure error
	for deadline := time.Now().Add(60 * time.Second); failure == nil && time.Now().Before(deadline); {
		_, failure = r2.task.Poll(context.Background())
	}
	if failure == nil || !strings.Contains(failure.Error(), "whose structure is unknown to the connector") {
		t.Fatalf("default mode: %v", failure)
	}
	r2.task.Stop()

	r3, err := startTask(t, d.config("srvtu", propSchemaMismatchMode, "rebuild"), hist, offs)
	if err != nil {
		t.Fatal(err)
	}
	a := decode(t, r3.pollUntil(1)[0]).Value["after"].(map[string]any)
	if want := map[string]any{"id": 3.0, "name": "ñ", "s": "a,b"}; !reflect.DeepEqual(a, want) {
		t.Errorf("rebuild mode decoded %v, want %v", a, want)
	}
	hist.mu.Lock()
	last := hist.recs[len(hist.recs)-1]
	hist.mu.Unlock()
	if len(last.TableChanges) != 1 || last.TableChanges[0].Type != schemahistory.Create || last.TableChanges[0].ID != id ||
		!strings.Contains(last.DDL, "the schema history does not describe the table") {
		t.Fatalf("the last history record is not the CREATE from metadata: %+v", last)
	}
}
