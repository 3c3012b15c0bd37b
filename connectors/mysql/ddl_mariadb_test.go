package mysql

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/tests/mariadb"
)

// ddlCase is a sequence of statements whose resulting tables MariaDB describes in
// information_schema; the model built from the same statements must describe them alike.
type ddlCase struct {
	name string
	// stmts run in order on MariaDB and through the model, with the case's database as the
	// default one. {db} stands for that database's name.
	stmts []string
	// rejected, when set, is why MariaDB refuses the last statement (so no MariaDB binlog has
	// it, but a MySQL one may): the model must then fail when wantErr is set, else build table
	// t as described by want (written here, as no server of the test bed can tell).
	rejected string
	wantErr  bool
	want     []string
}

// ddlCases cover the DDL forms the model once got silently wrong (issue 21). The expected
// models are never written here: they are read from MariaDB after it ran the statements.
var ddlCases = []ddlCase{
	// Executable comments.
	{name: "exec_comment_mid_alter", stmts: []string{
		"CREATE TABLE c (id INT PRIMARY KEY)",
		"ALTER TABLE c ADD COLUMN a INT /*!100301 COMMENT 'x' */, ADD COLUMN b INT",
	}},
	{name: "exec_comment_mysqldump_database", stmts: []string{
		"DROP DATABASE `{db}`",
		"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `{db}` /*!40100 DEFAULT CHARACTER SET latin1 */",
		"USE `{db}`",
		"CREATE TABLE t (id INT, s VARCHAR(5))",
	}},
	{name: "exec_comment_mariadb_compressed", stmts: []string{
		"CREATE TABLE t (id INT, b TEXT /*M!100301 COMPRESSED*/, c VARCHAR(10) COMPRESSED, d INT)",
	}},
	{name: "exec_comment_future_version", stmts: []string{
		"CREATE TABLE t (id INT /*!999999 , never INT */, b INT)",
	}},
	// System versioning.
	{name: "versioning_implicit", stmts: []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
		"CREATE TABLE l LIKE t",
	}},
	{name: "versioning_implicit_add_column", stmts: []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
		"SET @@system_versioning_alter_history = KEEP",
		"ALTER TABLE t ADD COLUMN w VARCHAR(3)",
	}},
	{name: "versioning_explicit_invisible", stmts: []string{
		"CREATE TABLE t (id INT PRIMARY KEY, rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE, " +
			"re TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME(rs, re)) WITH SYSTEM VERSIONING",
		"CREATE TABLE l LIKE t",
		"SET @@system_versioning_alter_history = KEEP",
		"ALTER TABLE l DROP PRIMARY KEY, ADD COLUMN k INT NOT NULL FIRST, ADD PRIMARY KEY (k)",
	}},
	{name: "versioning_explicit_trx_id", stmts: []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT, rs BIGINT UNSIGNED AS ROW START, re BIGINT UNSIGNED AS ROW END, " +
			"PERIOD FOR SYSTEM_TIME(rs, re)) ENGINE=InnoDB WITH SYSTEM VERSIONING",
	}},
	{name: "versioning_column_level", stmts: []string{
		"CREATE TABLE t (id INT, x INT WITH SYSTEM VERSIONING, y INT WITHOUT SYSTEM VERSIONING)",
	}},
	{name: "versioning_add_drop", stmts: []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT)",
		"ALTER TABLE t ADD SYSTEM VERSIONING",
		"CREATE TABLE u (id INT PRIMARY KEY) WITH SYSTEM VERSIONING",
		"SET @@system_versioning_alter_history = KEEP",
		"ALTER TABLE u DROP SYSTEM VERSIONING",
	}},
	{name: "versioning_add_explicit", stmts: []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT)",
		"ALTER TABLE t ADD COLUMN rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START, ADD COLUMN re TIMESTAMP(6) GENERATED ALWAYS AS ROW END, " +
			"ADD PERIOD FOR SYSTEM_TIME(rs, re), ADD SYSTEM VERSIONING",
	}},
	{name: "versioning_key_added_later", stmts: []string{
		"CREATE TABLE t (id INT NOT NULL, rs TIMESTAMP(6) AS ROW START, re TIMESTAMP(6) AS ROW END, PERIOD FOR SYSTEM_TIME(rs, re)) WITH SYSTEM VERSIONING",
		"CREATE TABLE u (id INT NOT NULL, v INT) WITH SYSTEM VERSIONING",
		"SET @@system_versioning_alter_history = KEEP",
		"ALTER TABLE t ADD PRIMARY KEY (id)",
		"ALTER TABLE u ADD PRIMARY KEY (id), ADD COLUMN w INT FIRST",
	}},
	{name: "application_time_period", stmts: []string{
		"CREATE TABLE t (id INT, s DATE NOT NULL, e DATE NOT NULL, PERIOD FOR p(s, e), PRIMARY KEY (id, p WITHOUT OVERLAPS))",
		"CREATE TABLE u (id INT, s DATE, e DATE, PERIOD FOR p(s, e))",
		"ALTER TABLE u ADD PRIMARY KEY (id, p WITHOUT OVERLAPS)",
		"CREATE TABLE v (id INT, s DATE NOT NULL, e DATE NOT NULL)",
		"ALTER TABLE v ADD PERIOD FOR q(s, e), ADD UNIQUE KEY (id, q WITHOUT OVERLAPS)",
		"ALTER TABLE v ADD PRIMARY KEY (id, q WITHOUT OVERLAPS)",
	}},
	// ADD lists, IF [NOT] EXISTS.
	{name: "add_list_with_primary_key", stmts: []string{
		"CREATE TABLE t (a INT)",
		"ALTER TABLE t ADD (PRIMARY KEY (a), b INT, c VARCHAR(4) NOT NULL)",
	}},
	{name: "add_column_list_with_unique", stmts: []string{
		"CREATE TABLE t (a INT)",
		"ALTER TABLE t ADD COLUMN (c INT NOT NULL, UNIQUE KEY (c))",
	}},
	{name: "rename_table_if_exists", stmts: []string{
		"CREATE TABLE a (id INT PRIMARY KEY)",
		"RENAME TABLE IF EXISTS nosuch TO x, a TO b",
	}},
	{name: "add_primary_key_if_not_exists", stmts: []string{
		"CREATE TABLE t (a INT NOT NULL, b INT NOT NULL)",
		"ALTER TABLE t ADD PRIMARY KEY IF NOT EXISTS (a)",
		"ALTER TABLE t ADD PRIMARY KEY IF NOT EXISTS (b)",
	}},
	// Charsets.
	{name: "charset_default_char_set", stmts: []string{
		"CREATE TABLE t (a VARCHAR(3), b TEXT) DEFAULT CHAR SET=latin1",
	}},
	{name: "charset_from_table_collation", stmts: []string{
		"CREATE TABLE t (a VARCHAR(3), b CHAR(2)) COLLATE=latin1_german1_ci",
	}},
	{name: "charset_from_column_collation", stmts: []string{
		"CREATE TABLE t (a VARCHAR(3) COLLATE latin1_bin, b VARCHAR(3) COLLATE utf8mb3_bin, c VARCHAR(3))",
	}},
	{name: "charset_equals_default", stmts: []string{
		"DROP DATABASE `{db}`",
		"CREATE DATABASE `{db}` CHARACTER SET latin1",
		"USE `{db}`",
		"CREATE TABLE t (a VARCHAR(3)) CHARACTER SET = DEFAULT",
		"CREATE TABLE u (a VARCHAR(3)) CHARACTER SET utf8mb4",
		"ALTER TABLE u CHARACTER SET = DEFAULT",
		"ALTER TABLE u ADD COLUMN b VARCHAR(3)",
	}},
	{name: "charset_national", stmts: []string{
		"CREATE TABLE t (a NCHAR(3), b NATIONAL CHAR(2), c NATIONAL VARCHAR(4), d NVARCHAR(5), e NCHAR VARCHAR(6), f CHAR(2)) CHARSET latin1",
	}},
	{name: "charset_binary", stmts: []string{
		"CREATE TABLE t (a VARCHAR(3) CHARACTER SET binary, b CHAR(2) CHARSET binary, c TEXT CHARACTER SET binary, " +
			"d VARCHAR(4) COLLATE binary, e TINYTEXT CHARSET binary)",
		"CREATE TABLE u (a VARCHAR(3), b CHAR(2)) CHARSET binary",
	}},
	{name: "charset_convert_upgrades_text", stmts: []string{
		"CREATE TABLE t (id INT, a TINYTEXT, b TEXT, c MEDIUMTEXT, d LONGTEXT, e VARCHAR(100), f CHAR(3)) CHARSET latin1",
		"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
	}},
	{name: "charset_alter_default_then_add", stmts: []string{
		"CREATE TABLE t (a VARCHAR(3))",
		"ALTER TABLE t DEFAULT CHAR SET latin1, ADD COLUMN b VARCHAR(3)",
		"ALTER TABLE t ADD COLUMN c TEXT, COLLATE latin1_general_ci",
	}},
	// Types.
	{name: "serial_default_value", stmts: []string{
		"CREATE TABLE t (a INT SERIAL DEFAULT VALUE, b BIGINT)",
	}},
	{name: "serial_type", stmts: []string{
		"CREATE TABLE t (a SERIAL, b INT)",
	}},
	{name: "sized_blob_and_text", stmts: []string{
		"CREATE TABLE t (a BLOB(45), b BLOB(300), c BLOB(70000), d TEXT(60), e TEXT(64), f TEXT(100) CHARSET latin1, g TEXT(300) CHARSET latin1)",
		"ALTER TABLE t ADD COLUMN h TEXT(20000), MODIFY a BLOB(256)",
	}},
	{name: "decimal_fractional_length", stmts: []string{
		"CREATE TABLE t (a DECIMAL(19.5), b DECIMAL(7,2), c DECIMAL)",
	}},
	{name: "float_precision", stmts: []string{
		"CREATE TABLE t (a FLOAT(7), b FLOAT(30), c FLOAT(7,3), d DOUBLE(10,2), e REAL, f FLOAT(24), g FLOAT(53))",
	}},
	{name: "misc_types", stmts: []string{
		"CREATE TABLE t (a TIMESTAMP, b TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), c DATETIME(6), d YEAR, " +
			"e BIT, f CHAR, g BINARY, h BOOL, i INT1 UNSIGNED ZEROFILL, j MIDDLEINT, k INT8, l LONG VARBINARY, m LONG, " +
			"n ENUM('x','y') CHARACTER SET latin1, o SET('p','q'), p VARCHAR(5) BINARY, q TEXT BINARY CHARSET latin1, " +
			"r NUMERIC(5), s FIXED(6,1), t DEC, u CHAR(4) BYTE, v CHARACTER VARYING(7), w NATIONAL CHARACTER VARYING(8))",
	}},
	{name: "alter_mix", stmts: []string{
		"CREATE TABLE t (a INT NOT NULL, b VARCHAR(3), c INT, d TEXT, PRIMARY KEY (a, c)) CHARSET latin1",
		"ALTER TABLE t MODIFY b VARCHAR(5) COLLATE utf8mb4_bin FIRST, CHANGE c cc BIGINT AFTER d, DROP COLUMN IF EXISTS zz, " +
			"ADD COLUMN IF NOT EXISTS a INT, ADD COLUMN (e INT, f CHAR(2)), ADD g INT FIRST, ALGORITHM=COPY, LOCK=SHARED",
		"ALTER TABLE t RENAME COLUMN e TO e2, ALTER COLUMN g SET DEFAULT 3, ENGINE=InnoDB, ADD COLUMN h DATE AFTER g",
		"ALTER TABLE t DROP COLUMN d",
		"ALTER TABLE t DROP PRIMARY KEY, ADD CONSTRAINT pk PRIMARY KEY (e2, a)",
		"ALTER TABLE t RENAME TO t2",
		"RENAME TABLE t2 TO t3, t3 TO t4",
		"CREATE OR REPLACE TABLE x (i INT)",
		"CREATE OR REPLACE TABLE x (j VARCHAR(2) NOT NULL PRIMARY KEY)",
		"CREATE TABLE IF NOT EXISTS x (k INT)",
	}},
	{name: "alter_wait_nowait", stmts: []string{
		"CREATE TABLE t (a INT)",
		"ALTER TABLE t WAIT 5 ADD COLUMN b INT, ADD COLUMN c INT",
		"ALTER TABLE t NOWAIT ADD COLUMN d INT",
		"ALTER TABLE IF EXISTS t WAIT 1 DROP COLUMN a",
	}},
	{name: "mariadb_column_extras", stmts: []string{
		"CREATE SEQUENCE s",
		"CREATE TABLE t (id INT NOT NULL DEFAULT NEXT VALUE FOR s, g POINT REF_SYSTEM_ID=4326 NOT NULL, " +
			"n INT DEFAULT (NEXTVAL(s)), p INT DEFAULT PREVIOUS VALUE FOR s)",
	}},
	// Forms MariaDB refuses: never in its binlog, but they must not build a wrong model silently.
	{name: "rejected_serial_type_default_value", stmts: []string{
		"CREATE TABLE t (a SERIAL DEFAULT VALUE)",
	}, rejected: "SERIAL DEFAULT VALUE is a column attribute, not a type", wantErr: true},
	{name: "rejected_column_charset_default", stmts: []string{
		"CREATE TABLE t (a VARCHAR(3) CHARACTER SET DEFAULT)",
	}, rejected: "a column's CHARACTER SET takes a charset name", want: []string{
		"a varchar(3) charset=utf8mb4 NULL", "primary key ()", "default charset utf8mb4"}},
	{name: "rejected_mysql_functional_index", stmts: []string{
		"CREATE TABLE t (a INT, INDEX ((a+1)))",
	}, rejected: "MySQL 8 functional key parts", want: []string{
		"a int charset= NULL", "primary key ()", "default charset utf8mb4"}},
	{name: "rejected_mysql_srid", stmts: []string{
		"CREATE TABLE t (g POINT NOT NULL SRID 4326, b VARCHAR(2))",
	}, rejected: "MySQL 8 SRID column attribute", want: []string{
		"g point charset= NOT NULL", "b varchar(2) charset=utf8mb4 NULL", "primary key ()", "default charset utf8mb4"}},
	{name: "rejected_mysql_check_not_enforced", stmts: []string{
		"CREATE TABLE t (a INT, CHECK (a > 0) NOT ENFORCED, b INT)",
	}, rejected: "MySQL 8 NOT ENFORCED", want: []string{
		"a int charset= NULL", "b int charset= NULL", "primary key ()", "default charset utf8mb4"}},
	{name: "rejected_mysql_invisible_index", stmts: []string{
		"CREATE TABLE t (a INT NOT NULL, INDEX i (a) INVISIBLE, PRIMARY KEY (a))",
	}, rejected: "MySQL 8 invisible indexes", want: []string{
		"a int charset= NOT NULL", "primary key (a)", "default charset utf8mb4"}},
	{name: "rejected_mysql_0900_collation", stmts: []string{
		"CREATE TABLE t (a VARCHAR(3), b VARCHAR(3) COLLATE latin1_bin) COLLATE utf8mb4_0900_ai_ci",
	}, rejected: "MySQL 8 collation", want: []string{
		"a varchar(3) charset=utf8mb4 NULL", "b varchar(3) charset=latin1 NULL", "primary key ()", "default charset utf8mb4"}},
	{name: "rejected_mysql_autoextend_size", stmts: []string{
		"CREATE TABLE t (a INT) ENGINE=InnoDB AUTOEXTEND_SIZE=4M DEFAULT CHARSET=latin1",
	}, rejected: "MySQL 8.0.23 table option", want: []string{
		"a int charset= NULL", "primary key ()", "default charset latin1"}},
}

// TestDDLModelMatchesMariaDB runs each case on MariaDB and through the model, then compares
// every table's columns (names, order, type, charset, nullability), primary key and default
// charset with information_schema; then it does the same with the model built from MariaDB's
// own SHOW CREATE TABLE, which is what a snapshot reads.
func TestDDLModelMatchesMariaDB(t *testing.T) {
	for _, tc := range ddlCases {
		t.Run(tc.name, func(t *testing.T) {
			d := mariadb.New(t, "ddl")
			m := testSchemaModel(t)
			m.ddlOptions = ddlOptions(FlavorMariaDB, d.Query("SELECT VERSION()")[0][0])
			m.serverCharset = d.Query("SELECT @@character_set_server")[0][0]
			m.dbCharsets[d.Name] = d.Query("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()")[0][0]
			for i, q := range tc.stmts {
				q = strings.ReplaceAll(q, "{db}", d.Name)
				last := i == len(tc.stmts)-1
				if last && tc.rejected != "" {
					if r, err := d.Conn.Execute(q); err == nil {
						r.Close()
						t.Fatalf("MariaDB accepted %s, which the case says it rejects (%s)", q, tc.rejected)
					}
					_, err := m.applyDDL(m.tables, d.Name, q)
					if tc.wantErr {
						if err == nil {
							t.Fatalf("the model accepted %s, which MariaDB rejects (%s)", q, tc.rejected)
						}
						return
					}
					if err != nil {
						t.Fatalf("the model rejected %s: %v", q, err)
					}
					compareModel(t, "MySQL-only statement", map[string][]string{"t": tc.want}, m.tables, d.Name)
					return
				}
				d.Exec(q)
				if _, err := m.applyDDL(m.tables, d.Name, q); err != nil {
					t.Fatalf("the model could not apply %s: %v", q, err)
				}
			}
			server := describeServer(t, d)
			compareModel(t, "statements", server, m.tables, d.Name)

			// The snapshot's view: a fresh model fed SHOW CREATE TABLE.
			snap := testSchemaModel(t)
			snap.serverCharset, snap.ddlOptions = m.serverCharset, m.ddlOptions
			snap.dbCharsets[d.Name] = d.Query("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()")[0][0]
			for name := range server {
				create := d.Query("SHOW CREATE TABLE `" + name + "`")[0][1]
				if _, err := snap.applyDDL(snap.tables, d.Name, create); err != nil {
					t.Fatalf("the model could not apply SHOW CREATE TABLE output %s: %v", create, err)
				}
			}
			compareModel(t, "SHOW CREATE TABLE", server, snap.tables, d.Name)
		})
	}
}

func testSchemaModel(t *testing.T) *schemaModel {
	t.Helper()
	cfg, err := parseConfig(map[string]string{
		"topic.prefix": "srv", "database.hostname": "db", "database.user": "u",
		"schema.history.internal.kafka.topic": "h", "schema.history.internal.kafka.bootstrap.servers": "k",
	}, FlavorMariaDB)
	if err != nil {
		t.Fatal(err)
	}
	return newSchemaModel(cfg, nil)
}

// describeServer returns each table of the database as MariaDB describes it: one line per
// column, then the primary key and the default charset.
func describeServer(t *testing.T, d *mariadb.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tr := range d.Query("SELECT TABLE_NAME, TABLE_TYPE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() " +
		"AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')") {
		name, typ, collation := tr[0], tr[1], tr[2]
		var lines []string
		cols := d.Query("SELECT COLUMN_NAME, COLUMN_TYPE, IFNULL(CHARACTER_SET_NAME, ''), IS_NULLABLE FROM information_schema.COLUMNS " +
			"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '" + name + "' ORDER BY ORDINAL_POSITION")
		for _, c := range cols {
			lines = append(lines, columnLine(c[0], c[1], c[2], c[3] == "YES"))
		}
		if typ == "SYSTEM VERSIONED" {
			create := d.Query("SHOW CREATE TABLE `" + name + "`")[0][1]
			if !strings.Contains(create, "AS ROW START") {
				// Hidden from information_schema, but in every row image (TABLE_MAP lists
				// them as TIMESTAMP(6) NOT NULL after the other columns).
				lines = append(lines, columnLine(hiddenRowStart, "timestamp(6)", "", false), columnLine(hiddenRowEnd, "timestamp(6)", "", false))
			}
		}
		var pk []string
		for _, k := range d.Query("SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() " +
			"AND TABLE_NAME = '" + name + "' AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX") {
			pk = append(pk, k[0])
		}
		cs, _, _ := strings.Cut(collation, "_")
		lines = append(lines, "primary key ("+strings.Join(pk, ",")+")", "default charset "+normCharset(cs))
		out[name] = lines
	}
	return out
}

// compareModel checks that the model's tables of database db are exactly the server's.
func compareModel(t *testing.T, what string, server map[string][]string, tables *relational.Tables, db string) {
	t.Helper()
	for _, id := range tables.IDs() {
		if id.Catalog == db && server[id.Table] == nil {
			t.Errorf("%s: the model has table %s, which MariaDB does not", what, id.Table)
		}
	}
	for name, want := range server {
		tb := tables.Get(relational.TableID{Catalog: db, Table: name})
		if tb == nil {
			t.Errorf("%s: the model lacks table %s", what, name)
			continue
		}
		got := describeModel(tb)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: table %s differs from MariaDB's\nmodel:\n  %s\nMariaDB:\n  %s", what, name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
}

// describeModel describes a model table as describeServer describes the server's.
func describeModel(tb *relational.Table) []string {
	var lines []string
	for i := range tb.Columns {
		c := &tb.Columns[i]
		lines = append(lines, columnLine(c.Name, modelColumnType(c), c.CharsetName, c.Optional))
	}
	return append(lines, "primary key ("+strings.Join(tb.PrimaryKeyColumnNames, ",")+")", "default charset "+normCharset(tb.DefaultCharsetName))
}

var (
	displayWidth = regexp.MustCompile(`^(tinyint|smallint|mediumint|int|bigint|year)\(\d+\)`)
	// COLUMN_TYPE carries MariaDB's COMPRESSED attribute, which is not part of the type.
	compressed = regexp.MustCompile(` ?/\*m!\d+ compressed\*/`)
)

func columnLine(name, typ, charset string, nullable bool) string {
	typ = displayWidth.ReplaceAllString(strings.ToLower(typ), "$1")
	typ = compressed.ReplaceAllString(typ, "")
	null := "NOT NULL"
	if nullable {
		null = "NULL"
	}
	return fmt.Sprintf("%s %s charset=%s %s", name, typ, normCharset(charset), null)
}

// normCharset spells utf8 as MariaDB 10.11 reports it.
func normCharset(cs string) string {
	cs = strings.ToLower(cs)
	if cs == "utf8" {
		return "utf8mb3"
	}
	return cs
}

// modelColumnType renders a model column as information_schema's COLUMN_TYPE, display widths
// aside.
func modelColumnType(c *relational.Column) string {
	base, unsigned := baseType(c)
	typ := strings.ToLower(base)
	length := func(def int) int {
		if c.Length.Valid && c.Length.V >= 0 {
			return c.Length.V
		}
		return def
	}
	switch base {
	case "DECIMAL":
		scale := 0
		if c.Scale.Valid && c.Scale.V >= 0 {
			scale = c.Scale.V
		}
		typ += fmt.Sprintf("(%d,%d)", length(10), scale)
	case "CHAR", "BINARY", "BIT":
		typ += fmt.Sprintf("(%d)", length(1))
	case "VARCHAR", "VARBINARY":
		typ += fmt.Sprintf("(%d)", length(0))
	case "FLOAT", "DOUBLE":
		if c.Length.Valid && c.Scale.Valid {
			typ += fmt.Sprintf("(%d,%d)", c.Length.V, c.Scale.V)
		}
	case "TIME", "DATETIME", "TIMESTAMP":
		if l := length(0); l > 0 {
			typ += fmt.Sprintf("(%d)", l)
		}
	case "ENUM", "SET":
		typ += "(" + strings.Join(c.EnumValues, ",") + ")"
	}
	if unsigned {
		typ += " unsigned"
	}
	if strings.Contains(strings.ToUpper(c.TypeName), "ZEROFILL") {
		typ += " zerofill"
	}
	return typ
}
