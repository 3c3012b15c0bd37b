package mysql

import (
	"slices"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/mysql/ddl"
)

// What the server derives from a table definition beyond what the statement spells out: the
// types that a charset turns columns into, and MariaDB's system-versioning columns.

// Names MariaDB gives the row start and end columns of a table that is system-versioned without
// declaring them (CREATE TABLE ... WITH SYSTEM VERSIONING). They are hidden from SELECT * and
// information_schema but are fields of every row image in the binlog, after the declared
// columns (checked on MariaDB 10.11: TABLE_MAP lists them, as TIMESTAMP(6) NOT NULL).
const (
	hiddenRowStart = "row_start"
	hiddenRowEnd   = "row_end"
)

// charsetMaxLen is the longest character of a charset in bytes (its mbmaxlen); unlisted
// charsets are single-byte.
var charsetMaxLen = map[string]int{
	"utf8": 3, "utf8mb3": 3, "utf8mb4": 4, "ucs2": 2, "utf16": 4, "utf16le": 4, "utf32": 4,
	"big5": 2, "gbk": 2, "gb2312": 2, "sjis": 2, "cp932": 2, "euckr": 2, "ujis": 3, "eucjpms": 3,
	"gb18030": 4,
}

func mbMaxLen(charset string) int {
	if n := charsetMaxLen[strings.ToLower(charset)]; n > 0 {
		return n
	}
	return 1
}

// textCapacity is the size in bytes of each TEXT type.
var textCapacity = map[string]int64{"TINYTEXT": 255, "TEXT": 65535, "MEDIUMTEXT": 16777215, "LONGTEXT": 4294967295}

// retype gives c another MySQL type, as the server does when a charset or length decides it.
func retype(c *relational.Column, typ string) {
	c.TypeName, c.TypeExpression, c.JDBCType = typ, typ, jdbcTypes[typ]
	if !isCharType(typ) {
		c.CharsetName = ""
	}
}

// deriveTypes resolves what a column's type depends on its charset: the charset itself (the
// table's when the column has none), CHARACTER SET binary turning character types into binary
// ones, and TEXT(M), which is the smallest TEXT type holding M characters of the charset. It is
// idempotent, so it runs over all columns after every change.
func deriveTypes(t *relational.Table) {
	for i := range t.Columns {
		c := &t.Columns[i]
		if !c.UsesCharset() {
			continue
		}
		if c.CharsetName == "" || strings.EqualFold(c.CharsetName, "DEFAULT") {
			c.CharsetName = t.DefaultCharsetName
		}
		base, _ := baseType(c)
		if strings.EqualFold(c.CharsetName, "binary") {
			switch base {
			case "CHAR":
				retype(c, "BINARY")
			case "VARCHAR":
				retype(c, "VARBINARY")
			case "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT":
				retype(c, strings.TrimSuffix(base, "TEXT")+"BLOB")
			}
			base, _ = baseType(c)
		}
		if base == "TEXT" && c.Length.Valid {
			retype(c, ddl.BlobType(int64(c.Length.V)*int64(mbMaxLen(c.CharsetName)), "TEXT"))
			c.Length.V, c.Length.Valid = 0, false
		}
		if base == "BLOB" && c.Length.Valid {
			retype(c, ddl.BlobType(int64(c.Length.V), "BLOB"))
			c.Length.V, c.Length.Valid = 0, false
		}
	}
}

// convertColumnCharset is CONVERT TO CHARACTER SET for one column: the new charset, and for a
// TEXT column the smallest TEXT type that still holds as many characters as before (MariaDB
// turns a latin1 TEXT into a utf8mb4 MEDIUMTEXT).
func convertColumnCharset(c *relational.Column, charset string) {
	base, _ := baseType(c)
	if capacity, ok := textCapacity[base]; ok {
		chars := capacity / int64(mbMaxLen(c.CharsetName))
		retype(c, ddl.BlobType(chars*int64(mbMaxLen(charset)), "TEXT"))
	}
	c.CharsetName = charset
}

// Table attributes that remember how a table is system-versioned, which no column says:
// attrVersioning is "hidden" (row start and end are the hidden last two columns) or "declared"
// (attrRowEnd names the declared ROW END column, which MariaDB adds to the primary key). They
// are written to the schema history with the table, so a replay keeps them.
const (
	attrVersioning = "mariadb.systemVersioning"
	attrRowEnd     = "mariadb.systemVersioningRowEnd"
)

func setAttribute(t *relational.Table, name, value string) {
	for i := range t.Attributes {
		if t.Attributes[i].Name == name {
			if value == "" {
				t.Attributes = slices.Delete(t.Attributes, i, i+1)
			} else {
				t.Attributes[i].Value = value
			}
			return
		}
	}
	if value != "" {
		t.Attributes = append(t.Attributes, relational.Attribute{Name: name, Value: value})
	}
}

// hasHiddenVersioning reports whether t ends with the hidden row start and end columns of an
// implicitly system-versioned table.
func hasHiddenVersioning(t *relational.Table) bool {
	if v, _ := t.Attribute(attrVersioning); v != "hidden" {
		return false
	}
	n := len(t.Columns)
	return n >= 2 && strings.EqualFold(t.Columns[n-2].Name, hiddenRowStart) && strings.EqualFold(t.Columns[n-1].Name, hiddenRowEnd)
}

// declaredRowEnd returns the declared ROW END column of t, or "".
func declaredRowEnd(t *relational.Table) string {
	v, _ := t.Attribute(attrRowEnd)
	return v
}

// addHiddenVersioning appends the hidden row start and end columns.
func addHiddenVersioning(t *relational.Table) {
	if hasHiddenVersioning(t) {
		return
	}
	for _, name := range []string{hiddenRowStart, hiddenRowEnd} {
		t.Columns = append(t.Columns, relational.Column{
			Name: name, JDBCType: jdbcTypes["TIMESTAMP"], TypeName: "TIMESTAMP", TypeExpression: "TIMESTAMP",
			Length: relational.Int(6), Generated: true,
		})
	}
	setAttribute(t, attrVersioning, "hidden")
}

// dropVersioning is DROP SYSTEM VERSIONING: the hidden columns go (declared ones are dropped by
// the statement's own DROP COLUMN, which MariaDB requires).
func dropVersioning(t *relational.Table) {
	if hasHiddenVersioning(t) {
		t.Columns = t.Columns[:len(t.Columns)-2]
	}
	setAttribute(t, attrVersioning, "")
	setAttribute(t, attrRowEnd, "")
}

// versionTable makes t system-versioned as MariaDB does: with declared ROW START and ROW END
// columns, the row end column joins the primary key (SHOW CREATE TABLE and STATISTICS list it);
// without them, the hidden columns are appended.
func versionTable(t *relational.Table, rowEnd string) {
	if rowEnd == "" {
		addHiddenVersioning(t)
		return
	}
	setAttribute(t, attrVersioning, "declared")
	setAttribute(t, attrRowEnd, rowEnd)
	keyWithRowEnd(t)
}

// keyWithRowEnd appends the declared row end column to a versioned table's primary key, as
// MariaDB does whenever the key is set.
func keyWithRowEnd(t *relational.Table) {
	rowEnd := declaredRowEnd(t)
	if rowEnd == "" || len(t.PrimaryKeyColumnNames) == 0 {
		return
	}
	for _, k := range t.PrimaryKeyColumnNames {
		if strings.EqualFold(k, rowEnd) {
			return
		}
	}
	t.PrimaryKeyColumnNames = append(slices.Clone(t.PrimaryKeyColumnNames), rowEnd)
}

// columnRenamed follows a rename of the declared row end column; columnDropped forgets it.
func columnRenamed(t *relational.Table, old, nw string) {
	if r := declaredRowEnd(t); r != "" && strings.EqualFold(r, old) {
		setAttribute(t, attrRowEnd, nw)
	}
}

func columnDropped(t *relational.Table, name string) {
	if r := declaredRowEnd(t); r != "" && strings.EqualFold(r, name) {
		setAttribute(t, attrRowEnd, "")
	}
}

// rowEndColumn returns the name of the ROW END column among cols, or "".
func rowEndColumn(cols []*ddl.Column) string {
	for _, c := range cols {
		if c.RowEnd {
			return c.Name
		}
	}
	return ""
}

// hiddenVersioningColumn reports whether column i of t is a hidden row start or end column,
// which the model keeps to read row images but events leave out, as Debezium (which does not
// know them) does.
func hiddenVersioningColumn(t *relational.Table, i int) bool {
	return i >= len(t.Columns)-2 && hasHiddenVersioning(t)
}

// ddlOptions are the parser options for statements run by a server of flavor and version
// (VERSION()'s text): MariaDB 10.11.6 runs /*!101106 ...*/ but not /*!110000 ...*/, MySQL runs
// no /*M! ...*/. An unreadable version runs every versioned comment.
func ddlOptions(flavor Flavor, version string) ddl.Options {
	o := ddl.Options{MySQL: flavor == FlavorMySQL}
	num, _, _ := strings.Cut(version, "-")
	parts := strings.SplitN(num, ".", 3)
	if len(parts) < 3 {
		return o
	}
	v := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 99 && i > 0 {
			return o
		}
		v = v*100 + n
	}
	o.ServerVersion = v
	return o
}

// unparseableMatters reports whether a statement the parser cannot read, run with default
// database db, may change a captured database: decided by the tables and databases the
// statement names (USE tools; ALTER TABLE app.orders ... targets app), and by db for
// unqualified names or when no name can be made out. It errs towards true.
func (s *schemaModel) unparseableMatters(db, sql string) bool {
	inScope := func(d string) bool { return d == "" || s.databaseCaptured(d) }
	tables, databases := ddl.Targets(sql, s.ddlOptions)
	if len(tables) == 0 && len(databases) == 0 {
		return inScope(db)
	}
	for _, n := range tables {
		d := n.DB
		if d == "" {
			d = db
		}
		if inScope(d) {
			return true
		}
	}
	for _, d := range databases {
		if inScope(d) {
			return true
		}
	}
	return false
}

// attrPeriod prefixes the attributes that remember application-time periods ("start,end"), for
// a primary key added later with "period WITHOUT OVERLAPS".
const attrPeriod = "mariadb.period."

// setPeriods records periods on t.
func setPeriods(t *relational.Table, periods []ddl.Period) {
	for _, per := range periods {
		setAttribute(t, attrPeriod+strings.ToLower(per.Name), per.Start+","+per.End)
	}
}

// periodsOf returns the periods recorded on t.
func periodsOf(t *relational.Table) []ddl.Period {
	var out []ddl.Period
	for _, a := range t.Attributes {
		if name, ok := strings.CutPrefix(a.Name, attrPeriod); ok {
			if start, end, ok := strings.Cut(a.Value, ","); ok {
				out = append(out, ddl.Period{Name: name, Start: start, End: end})
			}
		}
	}
	return out
}

// sequenceColumns are the columns of a MariaDB sequence, which the server stores as a table and
// whose NEXTVAL/SETVAL refills reach the binlog as rows events.
var sequenceColumns = []string{"next_not_cached_value", "minimum_value", "maximum_value", "start_value",
	"increment", "cache_size", "cycle_option", "cycle_count"}

// isSequenceTableMap reports whether a table map describes a MariaDB sequence: its eight
// columns by name (binlog_row_metadata=FULL), or by type without names. The connector does not
// model sequences (Debezium emits nothing for them), so their rows are skipped rather than
// failing as rows of an unknown table.
func isSequenceTableMap(tm *replication.TableMapEvent) bool {
	if tm == nil || len(tm.ColumnType) != len(sequenceColumns) {
		return false
	}
	if len(tm.ColumnName) == len(sequenceColumns) {
		for i, n := range tm.ColumnName {
			if string(n) != sequenceColumns[i] {
				return false
			}
		}
		return true
	}
	for i, typ := range tm.ColumnType {
		want := byte(gomysql.MYSQL_TYPE_LONGLONG)
		if i == 6 {
			want = gomysql.MYSQL_TYPE_TINY
		}
		if typ != want {
			return false
		}
	}
	return len(tm.ColumnName) == 0
}

// versionedChange turns a row change of an implicitly system-versioned table into the change
// of its current data, which is what its key (without the hidden row end) identifies. MariaDB
// logs an UPDATE as the update of the current row plus the insert of the old version as a
// history row, and a DELETE as an update that closes the row's row_end; emitted as logged, the
// history row would overwrite the update under the same key and the delete would never show.
// So history rows are dropped and closing a row is a delete. keep is false for rows to drop.
func versionedChange(op envelope.Op, before, after []any) (envelope.Op, []any, []any, bool) {
	switch op {
	case envelope.OpCreate:
		return op, before, after, currentRow(after)
	case envelope.OpUpdate:
		switch {
		case currentRow(before) && !currentRow(after):
			return envelope.OpDelete, before, nil, true
		case !currentRow(before) && !currentRow(after):
			return op, before, after, false
		}
	case envelope.OpDelete:
		// DELETE HISTORY purges history rows; a current row is only deleted outright when
		// versioning is bypassed.
		return op, before, after, currentRow(before)
	}
	return op, before, after, true
}

// currentRow reports whether a row image of an implicitly versioned table is a current row: its
// hidden row_end (the last column) holds the maximum TIMESTAMP, 2038-01-19 03:14:07.999999 UTC
// (or later, on servers with a wider TIMESTAMP range). Anything else, including a value the
// decoder did not produce as a time, counts as current, so no row is dropped by mistake.
func currentRow(row []any) bool {
	if len(row) == 0 {
		return true
	}
	end, ok := row[len(row)-1].(time.Time)
	return !ok || end.Unix() >= 2147483647
}
