package mysql

import (
	"strings"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/mysql/ddl"
)

// jdbcTypes maps MySQL type names to the java.sql.Types code Debezium's MySQL DDL parser records
// for them in the schema history.
var jdbcTypes = map[string]int{
	"BIT": relational.TypeBit, "TINYINT": relational.TypeTinyInt, "SMALLINT": relational.TypeSmallInt,
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
		Generated:       c.AutoIncrement || c.Generated,
		EnumValues:      append([]string(nil), c.Values...),
		Comment:         c.Comment,
	}
	if c.Length >= 0 {
		rc.Length = relational.Int(c.Length)
	}
	if c.Scale >= 0 {
		rc.Scale = relational.Int(c.Scale)
	}
	if c.Type == "DECIMAL" && c.Length < 0 {
		rc.Length, rc.Scale = relational.Int(10), relational.Int(0)
	}
	if c.Default != nil {
		rc.HasDefaultValue = true
		if !c.Default.Null {
			rc.DefaultValueExpression = relational.String(c.Default.Value)
		}
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
