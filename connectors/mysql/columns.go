package mysql

import (
	"strings"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/mysql/ddl"
)

// jdbcTypes maps MySQL type names to the java.sql.Types code Debezium's MySQL DDL parser records
// for them in the schema history.
var jdbcTypes = map[string]int{
	// Debezium's MySQL parser maps TINYINT to SMALLINT (its JDBC type resolver does so too).
	"BIT": relational.TypeBit, "TINYINT": relational.TypeSmallInt, "SMALLINT": relational.TypeSmallInt,
	"MEDIUMINT": relational.TypeInteger, "INT": relational.TypeInteger, "BIGINT": relational.TypeBigInt,
	"DECIMAL": relational.TypeDecimal, "FLOAT": relational.TypeFloat, "DOUBLE": relational.TypeDouble,
	"DATE": relational.TypeDate, "TIME": relational.TypeTime, "DATETIME": relational.TypeTimestamp,
	"TIMESTAMP": relational.TypeTimestampWithTimezone, "YEAR": relational.TypeInteger,
	"CHAR": relational.TypeChar, "VARCHAR": relational.TypeVarchar, "BINARY": relational.TypeBinary,
	"VARBINARY": relational.TypeVarbinary, "TINYTEXT": relational.TypeVarchar, "TEXT": relational.TypeVarchar,
	"MEDIUMTEXT": relational.TypeVarchar, "LONGTEXT": relational.TypeVarchar, "TINYBLOB": relational.TypeBlob,
	"BLOB": relational.TypeBlob, "MEDIUMBLOB": relational.TypeBlob, "LONGBLOB": relational.TypeBlob,
	"ENUM": relational.TypeChar, "SET": relational.TypeChar, "JSON": relational.TypeOther,
	"GEOMETRY": relational.TypeOther, "POINT": relational.TypeOther, "LINESTRING": relational.TypeOther,
	"POLYGON": relational.TypeOther, "MULTIPOINT": relational.TypeOther, "MULTILINESTRING": relational.TypeOther,
	"MULTIPOLYGON": relational.TypeOther, "GEOMETRYCOLLECTION": relational.TypeOther,
	"GEOMCOLLECTION": relational.TypeOther, "INET4": relational.TypeVarchar, "INET6": relational.TypeVarchar,
	"UUID": relational.TypeVarchar, "VECTOR": relational.TypeOther,
}

// relColumn turns a parsed column definition into the table model's column, with the attributes
// Debezium's MySQL parser records (type name with UNSIGNED, lengths, charset, default text).
func relColumn(c *ddl.Column) relational.Column {
	typeName := c.Type
	if c.Unsigned && isNumericType(c.Type) {
		typeName += " UNSIGNED"
		if c.Zerofill {
			typeName += " ZEROFILL"
		}
	}
	rc := relational.Column{
		Name:            c.Name,
		JDBCType:        jdbcTypes[c.Type],
		TypeName:        typeName,
		TypeExpression:  typeName,
		CharsetName:     c.Charset,
		Optional:        c.Nullable,
		AutoIncremented: c.AutoIncrement,
		// Debezium's MariaDB parser marks only AUTO_INCREMENT columns as generated; a
		// GENERATED ALWAYS AS column stays generated=false in its history and schema changes.
		Generated:  c.AutoIncrement,
		EnumValues: append([]string(nil), c.RawValues...),
		Comment:    c.Comment,
	}
	if c.Length >= 0 {
		rc.Length = relational.Int(c.Length)
	}
	if c.Scale >= 0 {
		rc.Scale = relational.Int(c.Scale)
	}
	switch c.Type {
	case "ENUM":
		// The lengths Debezium's MySQL parser records: 1 for an ENUM (one value), and for a SET
		// the length of all its values joined as if each were one character ("a,b,c").
		rc.Length = relational.Int(1)
	case "SET":
		rc.Length = relational.Int(max(0, 2*len(c.Values)-1))
	}
	if c.Type == "DECIMAL" && c.Length < 0 {
		rc.Length, rc.Scale = relational.Int(10), relational.Int(0)
	}
	if c.Default != nil {
		rc.HasDefaultValue = true
		if !c.Default.Null {
			rc.DefaultValueExpression = relational.String(c.Default.Value)
		}
	} else if c.Nullable {
		// A nullable column without a DEFAULT clause defaults to NULL: Debezium's column editor
		// records it as hasDefaultValue=true with no expression (SHOW CREATE TABLE spells the
		// DEFAULT NULL out; a CREATE TABLE from the binlog often does not).
		rc.HasDefaultValue = true
	}
	if !isCharType(c.Type) {
		rc.CharsetName = ""
	}
	return rc
}

func isNumericType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE":
		return true
	}
	return false
}

func isCharType(t string) bool {
	switch t {
	case "CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET", "JSON":
		return true
	}
	return false
}

// baseType returns the MySQL type of a table-model column: its type name without UNSIGNED or
// ZEROFILL, and whether it is unsigned.
func baseType(c *relational.Column) (string, bool) {
	name := strings.ToUpper(c.TypeName)
	unsigned := strings.Contains(name, "UNSIGNED") || strings.Contains(name, "ZEROFILL")
	if i := strings.IndexByte(name, ' '); i > 0 {
		name = name[:i]
	}
	if i := strings.IndexByte(name, '('); i > 0 {
		name = name[:i]
	}
	switch name {
	case "INTEGER":
		name = "INT"
	case "BOOL", "BOOLEAN":
		name = "TINYINT"
	case "NUMERIC", "DEC", "FIXED":
		name = "DECIMAL"
	case "REAL":
		name = "DOUBLE"
	}
	return name, unsigned
}

// enumValues returns a column's ENUM or SET members without the quotes the history keeps.
func enumValues(c *relational.Column) []string {
	out := make([]string, len(c.EnumValues))
	for i, v := range c.EnumValues {
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			q := v[:1]
			v = strings.ReplaceAll(v[1:len(v)-1], q+q, q)
			v = strings.ReplaceAll(v, "\\"+q, q)
		}
		out[i] = v
	}
	return out
}

// escapeEnumAllowed joins ENUM or SET members into the "allowed" parameter of
// io.debezium.data.Enum / EnumSet the way Debezium's EnumeratedValues does (since 3.7,
// dbz#2102): a backslash becomes two and a comma is preceded by a backslash, so a member
// containing a comma can be told apart from two members.
func escapeEnumAllowed(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		if strings.ContainsAny(v, ",\\") {
			v = strings.ReplaceAll(v, "\\", "\\\\")
			v = strings.ReplaceAll(v, ",", "\\,")
		}
		out[i] = v
	}
	return out
}

// keyColumns chooses the key of a new table as Debezium's MariaDB DDL parser does: the primary
// key when there is one; otherwise the first column with an inline UNIQUE attribute (whatever its
// nullability: Debezium takes it while reading the column definition); otherwise the first UNIQUE
// constraint whose columns all exist and are NOT NULL. Column names take the table's spelling.
func keyColumns(st *ddl.CreateTable, cols []relational.Column) []string {
	if len(st.PrimaryKey) > 0 {
		return st.PrimaryKey
	}
	for _, c := range st.Columns {
		if c.Unique {
			return []string{c.Name}
		}
	}
	for _, uk := range st.UniqueKeys {
		if k := notNullKey(uk, cols); k != nil {
			return k
		}
	}
	return nil
}

// notNullKey returns names with the columns' own spelling when every one of them is a NOT NULL
// column of cols, and nil otherwise (Debezium never keys on a unique index with a nullable or
// unknown column).
func notNullKey(names []string, cols []relational.Column) []string {
	if len(names) == 0 {
		return nil
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		found := false
		for i := range cols {
			if strings.EqualFold(cols[i].Name, n) {
				if cols[i].Optional {
					return nil
				}
				out = append(out, cols[i].Name)
				found = true
				break
			}
		}
		if !found {
			return nil
		}
	}
	return out
}
