package mysql

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/schemahistory"
	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// The table model is built from DDL text (the schema history, SHOW CREATE TABLE, the binlog's
// statements). A parser gap or a tampered history makes it wrong without any error: rows then
// decode under the wrong names, types or charsets. With binlog_row_metadata=FULL every TABLE_MAP
// event describes the table as the server sees it, so the model is checked against it: once per
// table-map id and model version, which costs one comparison per table per DDL, not per row.

// Schema mismatch handling modes (propSchemaMismatchMode).
const (
	mismatchFail    = "fail"
	mismatchRebuild = "rebuild"
)

// binlogColumn is one column as a TABLE_MAP event with full metadata describes it.
type binlogColumn struct {
	Name string
	// Type is the real type: MYSQL_TYPE_STRING's ENUM and SET are resolved, DATE is NEWDATE.
	Type byte
	// Length is the column's size from the event's metadata: bytes for CHAR, VARCHAR and BINARY,
	// the pack length (1-4) for BLOB and TEXT, precision for DECIMAL, fractional digits for
	// TIME, DATETIME and TIMESTAMP, bits for BIT; -1 when the type has none.
	Length int
	// Scale is DECIMAL's scale, -1 otherwise.
	Scale int
	// Numeric reports a column the signedness bitmap covers; Unsigned its bit.
	Numeric, Unsigned bool
	// Collation is the column's collation id, 0 for a column without one or when the event has
	// no charset metadata; Charset is its character set name, "" when unknown.
	Collation uint64
	Charset   string
	// Values are an ENUM or SET column's members.
	Values   []string
	Nullable bool
	// Geometry is the geometry subtype (0 GEOMETRY, 1 POINT, ...).
	Geometry uint64
}

// binlogTable is a table as one TABLE_MAP event describes it.
type binlogTable struct {
	Columns    []binlogColumn
	PrimaryKey []string
}

// charsetInfo names a collation's character set and that set's longest character in bytes.
type charsetInfo struct {
	Name   string
	MaxLen int
}

// builtinCollations are the collations a server most often sends, for when the server's own
// table cannot be read.
var builtinCollations = map[uint64]charsetInfo{
	8: {"latin1", 1}, 47: {"latin1", 1}, 48: {"latin1", 1}, 5: {"latin1", 1}, 15: {"latin1", 1}, 31: {"latin1", 1},
	33: {"utf8mb3", 3}, 83: {"utf8mb3", 3}, 192: {"utf8mb3", 3}, 223: {"utf8mb3", 3},
	45: {"utf8mb4", 4}, 46: {"utf8mb4", 4}, 224: {"utf8mb4", 4}, 255: {"utf8mb4", 4}, 246: {"utf8mb4", 4},
	63: {"binary", 1}, 11: {"ascii", 1}, 65: {"ascii", 1}, 28: {"gbk", 2}, 87: {"gbk", 2},
	35: {"ucs2", 2}, 54: {"utf16", 4}, 60: {"utf32", 4}, 1: {"big5", 2}, 13: {"sjis", 2}, 95: {"cp932", 2},
	51: {"cp1251", 1}, 57: {"cp1256", 1}, 26: {"cp1250", 1}, 24: {"gb2312", 2}, 12: {"ujis", 3},
}

// tableMapChecker compares the table model with TABLE_MAP metadata. It lives as long as the task
// and is used by the reader goroutine only.
type tableMapChecker struct {
	mode       string
	collations map[uint64]charsetInfo
	// lastDDL is the statement that last produced each table's model, for messages.
	lastDDL map[relational.TableID]string
	// checked maps a table-map id to the model version it was checked against; a schema change
	// replaces the model's *Table, so a pointer comparison tells a changed model.
	checked map[uint64]*relational.Table
	log     *slog.Logger
}

func newTableMapChecker(mode string, log *slog.Logger) *tableMapChecker {
	return &tableMapChecker{mode: mode, collations: builtinCollations, lastDDL: map[relational.TableID]string{},
		checked: map[uint64]*relational.Table{}, log: log}
}

// loadCollations reads the server's collation ids, so charsets of every collation the server has
// (MariaDB's UCA 14 ones included) are named; the built-in table stays the fallback.
func (c *tableMapChecker) loadCollations(conn *client.Conn) {
	rows, err := queryRows(conn, "SELECT co.ID, co.CHARACTER_SET_NAME, cs.MAXLEN FROM information_schema.COLLATIONS co "+
		"JOIN information_schema.CHARACTER_SETS cs ON cs.CHARACTER_SET_NAME = co.CHARACTER_SET_NAME WHERE co.ID IS NOT NULL")
	if err != nil {
		c.log.Warn("cannot read the server's collations; charsets of uncommon collations will not be checked", "error", err)
		return
	}
	m := make(map[uint64]charsetInfo, len(rows)+len(builtinCollations))
	for k, v := range builtinCollations {
		m[k] = v
	}
	for _, r := range rows {
		if len(r) < 3 {
			continue
		}
		id, err1 := strconv.ParseUint(r[0], 10, 64)
		ml, err2 := strconv.Atoi(r[2])
		if err1 == nil && err2 == nil {
			m[id] = charsetInfo{Name: strings.ToLower(r[1]), MaxLen: ml}
		}
	}
	c.collations = m
}

// noteDDL remembers the statement that produced the tables of changes.
func (c *tableMapChecker) noteDDL(changes []schemahistory.TableChange, ddl string) {
	if c == nil {
		return
	}
	for _, ch := range changes {
		if ch.Type == schemahistory.Drop {
			delete(c.lastDDL, ch.ID)
			continue
		}
		c.lastDDL[ch.ID] = ddl
	}
}

// forget drops the checks of table-map ids, which a new binlog file reassigns.
func (c *tableMapChecker) forget() {
	if c != nil {
		clear(c.checked)
	}
}

// describeTableMap reads a TABLE_MAP event's columns; ok is false when the event has no column
// names (binlog_row_metadata=MINIMAL), where there is nothing to check against.
func describeTableMap(e *replication.TableMapEvent, collations map[uint64]charsetInfo) (bt *binlogTable, ok bool) {
	return describeTableMapOf(e, collations, true)
}

// describeTableMapOf is describeTableMap where yearSigned says whether the server gives YEAR
// columns a bit of the signedness bitmap, as MariaDB 10.11 does (go-mysql assumes so too). For
// MySQL this was not verified against a server: there signedness is left unchecked in tables
// with a YEAR column, where a different count would shift every later bit.
func describeTableMapOf(e *replication.TableMapEvent, collations map[uint64]charsetInfo, yearSigned bool) (bt *binlogTable, ok bool) {
	n := int(e.ColumnCount)
	if len(e.ColumnName) != n || len(e.ColumnType) != n || len(e.ColumnMeta) != n {
		return nil, false
	}
	names := e.ColumnNameString()
	unsigned := e.UnsignedMap()
	coll := e.CollationMap()
	esColl := e.EnumSetCollationMap()
	enums := e.EnumStrValueMap()
	sets := e.SetStrValueMap()
	geo := e.GeometryTypeMap()
	bt = &binlogTable{Columns: make([]binlogColumn, n)}
	for i := range n {
		c := binlogColumn{Name: names[i], Type: e.ColumnType[i], Length: -1, Scale: -1}
		meta := e.ColumnMeta[i]
		switch c.Type {
		case gomysql.MYSQL_TYPE_STRING:
			// The real type's byte can carry the length's two high bits (lengths over 255).
			b0, b1 := byte(meta>>8), byte(meta)
			if b0&0x30 != 0x30 {
				c.Type = b0 | 0x30
				c.Length = int(b1) | int((b0&0x30)^0x30)<<4
			} else {
				c.Type = b0
				c.Length = int(b1)
			}
			if c.Type == gomysql.MYSQL_TYPE_ENUM || c.Type == gomysql.MYSQL_TYPE_SET {
				c.Length = -1
			}
		case gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING, gomysql.MYSQL_TYPE_BLOB,
			gomysql.MYSQL_TYPE_TIME2, gomysql.MYSQL_TYPE_DATETIME2, gomysql.MYSQL_TYPE_TIMESTAMP2:
			c.Length = int(meta)
		case gomysql.MYSQL_TYPE_NEWDECIMAL:
			c.Length, c.Scale = int(meta>>8), int(meta&0xff)
		case gomysql.MYSQL_TYPE_BIT:
			c.Length = int(meta>>8)*8 + int(meta&0xff)
		case gomysql.MYSQL_TYPE_DATE:
			c.Type = gomysql.MYSQL_TYPE_NEWDATE
		}
		c.Unsigned, c.Numeric = unsigned[i]
		if v, ok := coll[i]; ok {
			c.Collation = v
		} else if v, ok := esColl[i]; ok {
			c.Collation = v
		}
		if c.Collation != 0 {
			c.Charset = collations[c.Collation].Name
		}
		if v, ok := enums[i]; ok {
			c.Values = v
		} else if v, ok := sets[i]; ok {
			c.Values = v
		}
		if dec := charsetDecoder(c.Charset); dec != nil && c.Values != nil {
			// Members are sent in the column's charset; the model holds them as UTF-8.
			vals := make([]string, len(c.Values))
			for k, v := range c.Values {
				if u, err := dec.String(v); err == nil {
					v = u
				}
				vals[k] = v
			}
			c.Values = vals
		}
		c.Geometry = geo[i]
		_, c.Nullable = e.Nullable(i)
		bt.Columns[i] = c
	}
	if !yearSigned && slices.Contains(e.ColumnType, gomysql.MYSQL_TYPE_YEAR) {
		for i := range bt.Columns {
			bt.Columns[i].Numeric = false
		}
	}
	for _, k := range e.PrimaryKey {
		if int(k) < n {
			bt.PrimaryKey = append(bt.PrimaryKey, names[k])
		}
	}
	return bt, true
}

// typeFamily is the set of binlog real types a model type may arrive as, and whether its
// values are characters (true), bytes (false) or neither.
type typeFamily struct {
	types []byte
	// text: 1 for character columns, 2 for binary-string columns, 0 for the rest.
	text int
	// signed: the signedness bitmap describes the column and UNSIGNED matters.
	signed bool
}

// MariaDB's COMPRESSED columns have types of their own in the binlog (go-mysql has no names
// for them, and cannot decode their rows: the rows event reports that).
const (
	typeBlobCompressed    = 140
	typeVarcharCompressed = 141
)

var (
	famString  = []byte{gomysql.MYSQL_TYPE_STRING}
	famVarchar = []byte{gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING, typeVarcharCompressed, typeBlobCompressed}
	famBlob    = []byte{gomysql.MYSQL_TYPE_BLOB, typeBlobCompressed, typeVarcharCompressed}
)

// modelTypes maps the model's base type names to what the binlog sends for them. MariaDB's
// UUID, INET4 and INET6 arrive as BINARY(16)/BINARY(4); its JSON is a LONGTEXT.
var modelTypes = map[string]typeFamily{
	"TINYINT":   {types: []byte{gomysql.MYSQL_TYPE_TINY}, signed: true},
	"SMALLINT":  {types: []byte{gomysql.MYSQL_TYPE_SHORT}, signed: true},
	"MEDIUMINT": {types: []byte{gomysql.MYSQL_TYPE_INT24}, signed: true},
	"INT":       {types: []byte{gomysql.MYSQL_TYPE_LONG}, signed: true},
	"BIGINT":    {types: []byte{gomysql.MYSQL_TYPE_LONGLONG}, signed: true},
	"SERIAL":    {types: []byte{gomysql.MYSQL_TYPE_LONGLONG}, signed: true},
	"DECIMAL":   {types: []byte{gomysql.MYSQL_TYPE_NEWDECIMAL, gomysql.MYSQL_TYPE_DECIMAL}, signed: true},
	"FLOAT":     {types: []byte{gomysql.MYSQL_TYPE_FLOAT}, signed: true},
	"DOUBLE":    {types: []byte{gomysql.MYSQL_TYPE_DOUBLE}, signed: true},
	"YEAR":      {types: []byte{gomysql.MYSQL_TYPE_YEAR}},
	"DATE":      {types: []byte{gomysql.MYSQL_TYPE_NEWDATE}},
	"TIME":      {types: []byte{gomysql.MYSQL_TYPE_TIME2, gomysql.MYSQL_TYPE_TIME}},
	"DATETIME":  {types: []byte{gomysql.MYSQL_TYPE_DATETIME2, gomysql.MYSQL_TYPE_DATETIME}},
	"TIMESTAMP": {types: []byte{gomysql.MYSQL_TYPE_TIMESTAMP2, gomysql.MYSQL_TYPE_TIMESTAMP}},
	"BIT":       {types: []byte{gomysql.MYSQL_TYPE_BIT}},
	"CHAR":      {types: famString, text: 1},
	"BINARY":    {types: famString, text: 2},
	"VARCHAR":   {types: famVarchar, text: 1},
	"VARBINARY": {types: famVarchar, text: 2},
	"ENUM":      {types: []byte{gomysql.MYSQL_TYPE_ENUM}, text: 1},
	"SET":       {types: []byte{gomysql.MYSQL_TYPE_SET}, text: 1},
	"TINYTEXT":  {types: famBlob, text: 1}, "TEXT": {types: famBlob, text: 1},
	"MEDIUMTEXT": {types: famBlob, text: 1}, "LONGTEXT": {types: famBlob, text: 1},
	"TINYBLOB": {types: famBlob, text: 2}, "BLOB": {types: famBlob, text: 2},
	"MEDIUMBLOB": {types: famBlob, text: 2}, "LONGBLOB": {types: famBlob, text: 2},
	"JSON":     {types: []byte{gomysql.MYSQL_TYPE_JSON, gomysql.MYSQL_TYPE_BLOB}},
	"GEOMETRY": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}}, "POINT": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}},
	"LINESTRING": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}}, "POLYGON": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}},
	"MULTIPOINT": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}}, "MULTILINESTRING": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}},
	"MULTIPOLYGON": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}}, "GEOMETRYCOLLECTION": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}},
	"GEOMCOLLECTION": {types: []byte{gomysql.MYSQL_TYPE_GEOMETRY}},
	"UUID":           {types: famString}, "INET4": {types: famString}, "INET6": {types: famString},
	"VECTOR": {types: []byte{gomysql.MYSQL_TYPE_VECTOR, gomysql.MYSQL_TYPE_VARCHAR}},
}

// sameCharset compares charset names, utf8 being utf8mb3.
func sameCharset(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(s)
		if s == "utf8" {
			return "utf8mb3"
		}
		return s
	}
	return norm(a) == norm(b)
}

// compareTable lists how the model table differs from the binlog's description; none when
// they agree. Where the model's type is one this check does not know, only the name is
// compared.
func compareTable(m *relational.Table, b *binlogTable) []string {
	var out []string
	if len(m.Columns) != len(b.Columns) {
		out = append(out, fmt.Sprintf("the model has %d columns, the binlog %d", len(m.Columns), len(b.Columns)))
	}
	for i := range min(len(m.Columns), len(b.Columns)) {
		mc, bc := &m.Columns[i], &b.Columns[i]
		if mc.Name != bc.Name {
			out = append(out, fmt.Sprintf("column %d is %q in the model but %q in the binlog", i+1, mc.Name, bc.Name))
			continue
		}
		base, unsigned := baseType(mc)
		unsigned = unsigned || base == "SERIAL" // BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE
		fam, known := modelTypes[base]
		if !known {
			continue
		}
		if !slices.Contains(fam.types, bc.Type) {
			out = append(out, fmt.Sprintf("column %q is %s in the model but %s in the binlog", mc.Name, mc.TypeName, binlogTypeName(bc)))
			continue
		}
		if fam.signed && bc.Numeric && unsigned != bc.Unsigned {
			out = append(out, fmt.Sprintf("column %q is %s in the model but %s in the binlog", mc.Name, signWord(unsigned), signWord(bc.Unsigned)))
		}
		modelCS := mc.CharsetName
		if modelCS == "" || strings.EqualFold(modelCS, "DEFAULT") {
			modelCS = m.DefaultCharsetName
		}
		switch {
		case bc.Collation == 0:
		case fam.text == 1 && bc.Collation == 63 && !sameCharset(modelCS, "binary"):
			out = append(out, fmt.Sprintf("column %q is a character column (%s) in the model but a binary string in the binlog", mc.Name, mc.TypeName))
		case fam.text == 2 && bc.Collation != 63:
			out = append(out, fmt.Sprintf("column %q is a binary string (%s) in the model but has charset %s in the binlog", mc.Name, mc.TypeName, orUnknown(bc.Charset)))
		case fam.text == 1 && bc.Charset != "" && modelCS != "" && !sameCharset(modelCS, bc.Charset):
			out = append(out, fmt.Sprintf("column %q has charset %s in the model but %s in the binlog", mc.Name, modelCS, bc.Charset))
		}
		if (base == "ENUM" || base == "SET") && bc.Values != nil && !slices.Equal(enumValues(mc), bc.Values) {
			out = append(out, fmt.Sprintf("column %q has members %s in the model but %s in the binlog", mc.Name, quoteList(enumValues(mc)), quoteList(bc.Values)))
		}
		switch base {
		case "DECIMAL":
			if mc.Length.Valid && mc.Length.V != bc.Length || mc.Scale.Valid && mc.Scale.V != bc.Scale {
				out = append(out, fmt.Sprintf("column %q is %s in the model but DECIMAL(%d,%d) in the binlog", mc.Name, describeModelColumn(mc), bc.Length, bc.Scale))
			}
		case "TIME", "DATETIME", "TIMESTAMP":
			fsp := 0
			if mc.Length.Valid {
				fsp = mc.Length.V
			}
			if bc.Length >= 0 && fsp != bc.Length {
				out = append(out, fmt.Sprintf("column %q has %d fractional digits in the model but %d in the binlog", mc.Name, fsp, bc.Length))
			}
		case "BIT":
			bits := 1
			if mc.Length.Valid {
				bits = mc.Length.V
			}
			if bits != bc.Length {
				out = append(out, fmt.Sprintf("column %q is BIT(%d) in the model but BIT(%d) in the binlog", mc.Name, bits, bc.Length))
			}
		}
	}
	return out
}

func signWord(unsigned bool) string {
	if unsigned {
		return "unsigned"
	}
	return "signed"
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return "(" + strings.Join(q, ",") + ")"
}

// binlogTypeNames name the real types for messages and rebuilt models.
var binlogTypeNames = map[byte]string{
	gomysql.MYSQL_TYPE_TINY: "TINYINT", gomysql.MYSQL_TYPE_SHORT: "SMALLINT", gomysql.MYSQL_TYPE_INT24: "MEDIUMINT",
	gomysql.MYSQL_TYPE_LONG: "INT", gomysql.MYSQL_TYPE_LONGLONG: "BIGINT", gomysql.MYSQL_TYPE_NEWDECIMAL: "DECIMAL",
	gomysql.MYSQL_TYPE_DECIMAL: "DECIMAL", gomysql.MYSQL_TYPE_FLOAT: "FLOAT", gomysql.MYSQL_TYPE_DOUBLE: "DOUBLE",
	gomysql.MYSQL_TYPE_YEAR: "YEAR", gomysql.MYSQL_TYPE_NEWDATE: "DATE", gomysql.MYSQL_TYPE_TIME: "TIME",
	gomysql.MYSQL_TYPE_TIME2: "TIME", gomysql.MYSQL_TYPE_DATETIME: "DATETIME", gomysql.MYSQL_TYPE_DATETIME2: "DATETIME",
	gomysql.MYSQL_TYPE_TIMESTAMP: "TIMESTAMP", gomysql.MYSQL_TYPE_TIMESTAMP2: "TIMESTAMP", gomysql.MYSQL_TYPE_BIT: "BIT",
	gomysql.MYSQL_TYPE_ENUM: "ENUM", gomysql.MYSQL_TYPE_SET: "SET", gomysql.MYSQL_TYPE_JSON: "JSON",
	gomysql.MYSQL_TYPE_VECTOR: "VECTOR", typeBlobCompressed: "compressed BLOB/TEXT", typeVarcharCompressed: "compressed VARCHAR",
}

var geometryNames = []string{"GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"}

// binlogTypeName names a binlog column's type as MySQL would declare it, without lengths.
func binlogTypeName(c *binlogColumn) string {
	bin := c.Collation == 63
	switch c.Type {
	case gomysql.MYSQL_TYPE_STRING:
		if bin {
			return "BINARY"
		}
		return "CHAR"
	case gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING:
		if bin {
			return "VARBINARY"
		}
		return "VARCHAR"
	case gomysql.MYSQL_TYPE_BLOB:
		prefix := [...]string{"", "TINY", "", "MEDIUM", "LONG"}[min(max(c.Length, 0), 4)]
		if bin {
			return prefix + "BLOB"
		}
		return prefix + "TEXT"
	case gomysql.MYSQL_TYPE_GEOMETRY:
		if int(c.Geometry) < len(geometryNames) {
			return geometryNames[c.Geometry]
		}
		return "GEOMETRY"
	}
	if n, ok := binlogTypeNames[c.Type]; ok {
		return n
	}
	return "type " + strconv.Itoa(int(c.Type))
}

// describeBinlogColumns renders the binlog's view of a table for messages.
func describeBinlogColumns(b *binlogTable) string {
	parts := make([]string, len(b.Columns))
	for i := range b.Columns {
		c := &b.Columns[i]
		s := "`" + c.Name + "` " + binlogTypeName(c)
		switch {
		case c.Type == gomysql.MYSQL_TYPE_NEWDECIMAL:
			s += fmt.Sprintf("(%d,%d)", c.Length, c.Scale)
		case c.Type == gomysql.MYSQL_TYPE_BIT || (c.Length > 0 && c.Type != gomysql.MYSQL_TYPE_BLOB):
			s += fmt.Sprintf("(%d)", c.Length)
			if c.Type == gomysql.MYSQL_TYPE_STRING || c.Type == gomysql.MYSQL_TYPE_VARCHAR {
				s = strings.TrimSuffix(s, ")") + " bytes)"
			}
		case c.Values != nil:
			s += quoteList(c.Values)
		}
		if c.Numeric && c.Unsigned && c.Type != gomysql.MYSQL_TYPE_YEAR {
			s += " UNSIGNED"
		}
		if c.Charset != "" && c.Collation != 63 {
			s += " CHARSET " + c.Charset
		}
		parts[i] = s
	}
	s := strings.Join(parts, ", ")
	if len(b.PrimaryKey) > 0 {
		s += ", PRIMARY KEY (" + strings.Join(b.PrimaryKey, ",") + ")"
	}
	return s
}

// describeModelColumn renders one model column for messages, as a column definition would
// read: "INT(10) UNSIGNED", "DECIMAL(6,2)", "ENUM('a','b')".
func describeModelColumn(c *relational.Column) string {
	name, suffix, _ := strings.Cut(c.TypeName, " ")
	if suffix != "" {
		suffix = " " + suffix
	}
	switch {
	case len(c.EnumValues) > 0:
		return name + "(" + strings.Join(c.EnumValues, ",") + ")" + suffix
	case c.Length.Valid && c.Scale.Valid:
		return fmt.Sprintf("%s(%d,%d)%s", name, c.Length.V, c.Scale.V, suffix)
	case c.Length.Valid:
		return fmt.Sprintf("%s(%d)%s", name, c.Length.V, suffix)
	}
	return c.TypeName
}

// describeTableModel renders the model's view of a table for messages.
func describeTableModel(t *relational.Table) string {
	parts := make([]string, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		s := "`" + c.Name + "` " + describeModelColumn(c)
		if c.CharsetName != "" {
			s += " CHARSET " + c.CharsetName
		}
		parts[i] = s
	}
	s := strings.Join(parts, ", ")
	if len(t.PrimaryKeyColumnNames) > 0 {
		s += ", PRIMARY KEY (" + strings.Join(t.PrimaryKeyColumnNames, ",") + ")"
	}
	return s
}

// rebuildTable builds a table model from the binlog's description. A column the old model has
// under the same name, with a compatible type and charset, is kept as it was: the metadata has
// no defaults, comments, auto-increment flags or declared character lengths, and no way to tell
// MariaDB's UUID/INET4/INET6 from BINARY. A new or changed column gets what the metadata tells:
// character lengths are the byte lengths divided by the charset's longest character, TEXT and
// BLOB sizes come from their pack length, and defaults are unknown (none).
func rebuildTable(old *relational.Table, b *binlogTable, collations map[uint64]charsetInfo) (*relational.Table, error) {
	nt := &relational.Table{ID: old.ID, DefaultCharsetName: old.DefaultCharsetName, Comment: old.Comment,
		Attributes: slices.Clone(old.Attributes)}
	for i := range b.Columns {
		bc := &b.Columns[i]
		if oc := old.Column(bc.Name); oc != nil && oc.Name == bc.Name {
			one := &relational.Table{Columns: []relational.Column{*oc}, DefaultCharsetName: old.DefaultCharsetName}
			if len(compareTable(one, &binlogTable{Columns: []binlogColumn{*bc}})) == 0 {
				c := *oc
				c.EnumValues = slices.Clone(oc.EnumValues)
				nt.Columns = append(nt.Columns, c)
				continue
			}
		}
		nt.Columns = append(nt.Columns, columnFromBinlog(bc, collations))
	}
	for _, k := range b.PrimaryKey {
		nt.PrimaryKeyColumnNames = append(nt.PrimaryKeyColumnNames, k)
	}
	if len(nt.PrimaryKeyColumnNames) == 0 {
		// MariaDB and MySQL send only a primary key (or a NOT NULL unique key MariaDB promotes);
		// a unique key the model uses as the key is kept while its columns exist.
		keep := true
		for _, k := range old.PrimaryKeyColumnNames {
			if oc := nt.Column(k); oc == nil {
				keep = false
			}
		}
		if keep {
			nt.PrimaryKeyColumnNames = slices.Clone(old.PrimaryKeyColumnNames)
		}
	}
	// Column lookups above ran before Build on a table without an index; Build indexes it.
	if err := nt.Build(); err != nil {
		return nil, fmt.Errorf("cannot build the model of table %s from the binlog's metadata: %w", old.ID, err)
	}
	return nt, nil
}

// columnFromBinlog makes a model column from binlog metadata alone.
func columnFromBinlog(bc *binlogColumn, collations map[uint64]charsetInfo) relational.Column {
	name := binlogTypeName(bc)
	typeName := name
	if bc.Numeric && bc.Unsigned && isNumericType(name) {
		typeName += " UNSIGNED"
	}
	c := relational.Column{Name: bc.Name, JDBCType: jdbcTypes[name], TypeName: typeName, TypeExpression: typeName, Optional: bc.Nullable}
	if isCharType(name) && bc.Collation != 63 {
		c.CharsetName = bc.Charset
	}
	switch name {
	case "DECIMAL":
		c.Length, c.Scale = relational.Int(bc.Length), relational.Int(bc.Scale)
	case "TIME", "DATETIME", "TIMESTAMP":
		if bc.Length > 0 {
			c.Length = relational.Int(bc.Length)
		}
	case "BIT":
		c.Length = relational.Int(bc.Length)
	case "BINARY", "VARBINARY":
		c.Length = relational.Int(bc.Length)
	case "CHAR", "VARCHAR":
		ml := collations[bc.Collation].MaxLen
		if ml <= 0 {
			ml = 1
		}
		c.Length = relational.Int(bc.Length / ml)
	case "ENUM", "SET":
		for _, v := range bc.Values {
			c.EnumValues = append(c.EnumValues, "'"+strings.ReplaceAll(v, "'", "''")+"'")
		}
		if name == "ENUM" {
			c.Length = relational.Int(1)
		} else {
			c.Length = relational.Int(max(0, 2*len(bc.Values)-1))
		}
	}
	return c
}

// checkTableMap compares the model of a captured table with a TABLE_MAP event, once per
// table-map id and model version. On a mismatch it fails or, in rebuild mode, replaces the model
// with one built from the metadata and records it in the schema history (an ALTER; a CREATE for
// a captured table the model lacks, which otherwise fails at its rows event).
func (s *streamer) checkTableMap(ctx context.Context, e *replication.TableMapEvent, id relational.TableID) error {
	t := s.t
	c := t.tableMaps
	if c == nil || !t.schema.captured(id) {
		return nil
	}
	tbl := t.schema.tables.Get(id)
	if tbl != nil && c.checked[e.TableID] == tbl {
		return nil
	}
	if tbl == nil && c.mode != mismatchRebuild {
		// The rows event reports the unknown table, with what to do.
		return nil
	}
	bt, ok := describeTableMapOf(e, c.collations, t.flavor != FlavorMySQL)
	if !ok {
		// binlog_row_metadata=MINIMAL: nothing to compare with.
		if tbl != nil {
			c.checked[e.TableID] = tbl
		}
		return nil
	}
	change := schemahistory.Alter
	var diffs []string
	if tbl == nil {
		// A captured table the history does not describe: in rebuild mode the metadata is
		// enough to stream it.
		change = schemahistory.Create
		tbl = &relational.Table{ID: id, DefaultCharsetName: t.schema.tableCharset(id.Catalog, "")}
		diffs = []string{"the schema history does not describe the table"}
	} else if diffs = compareTable(tbl, bt); len(diffs) == 0 {
		c.checked[e.TableID] = tbl
		return nil
	}
	ddl := c.lastDDL[id]
	if ddl == "" {
		ddl = "(unknown: the model predates this task's history replay)"
	}
	if c.mode != mismatchRebuild {
		return api.Permanent(fmt.Errorf("the table model of %s does not match the binlog's table map at %s: %s. "+
			"Model: %s. Binlog: %s. The model was produced by: %s. "+
			"Set %s=%s to rebuild the model from the binlog's metadata and continue, "+
			"or restart with snapshot.mode=schema_only_recovery (recovery) to rebuild the schema history from the database",
			id, t.pos.describeEvent(), strings.Join(diffs, "; "), describeTableModel(tbl), describeBinlogColumns(bt), ddl,
			propSchemaMismatchMode, mismatchRebuild))
	}
	nt, err := rebuildTable(tbl, bt, c.collations)
	if err != nil {
		return api.Permanent(err)
	}
	comment := fmt.Sprintf("/* connectd: table %s rebuilt from binlog TABLE_MAP metadata at %s because the model differed: %s */",
		id, t.pos.describeEvent(), strings.ReplaceAll(strings.Join(diffs, "; "), "*/", "* /"))
	rec := &schemahistory.Record{
		Source:       t.partition,
		Position:     t.historyOffset(),
		TsMs:         time.Now().UnixMilli(),
		DatabaseName: id.Catalog,
		DDL:          comment,
		TableChanges: []schemahistory.TableChange{{Type: change, ID: id, Table: nt}},
	}
	// Recorded before the model changes: should the write fail, the reconnection meets the old
	// model again and rebuilds (and records) anew.
	if err := t.history.Record(ctx, rec); err != nil {
		return fmt.Errorf("cannot record the rebuilt model of table %s: %w", id, err)
	}
	if _, err := t.schema.tables.Overwrite(nt); err != nil {
		return api.Permanent(fmt.Errorf("cannot replace the model of table %s: %w", id, err))
	}
	delete(t.schema.encoders, id)
	c.lastDDL[id] = comment
	c.checked[e.TableID] = nt
	t.log.Warn("the table model did not match the binlog's table map; rebuilt it from the binlog's metadata",
		"table", id.String(), "position", t.pos.describeEvent(), "differences", strings.Join(diffs, "; "),
		"model", describeTableModel(tbl), "binlog", describeBinlogColumns(bt), "rebuilt", describeTableModel(nt))
	return nil
}
