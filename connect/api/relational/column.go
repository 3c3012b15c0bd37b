package relational

import (
	"database/sql"
	"slices"
)

// JDBC type codes (java.sql.Types), the jdbcType Debezium stores for every column and the key its
// value converters switch on. The numbers are part of the history format.
const (
	TypeBit                   = -7
	TypeTinyInt               = -6
	TypeSmallInt              = 5
	TypeInteger               = 4
	TypeBigInt                = -5
	TypeFloat                 = 6
	TypeReal                  = 7
	TypeDouble                = 8
	TypeNumeric               = 2
	TypeDecimal               = 3
	TypeChar                  = 1
	TypeVarchar               = 12
	TypeLongVarchar           = -1
	TypeDate                  = 91
	TypeTime                  = 92
	TypeTimestamp             = 93
	TypeBinary                = -2
	TypeVarbinary             = -3
	TypeLongVarbinary         = -4
	TypeNull                  = 0
	TypeOther                 = 1111
	TypeJavaObject            = 2000
	TypeDistinct              = 2001
	TypeStruct                = 2002
	TypeArray                 = 2003
	TypeBlob                  = 2004
	TypeClob                  = 2005
	TypeRef                   = 2006
	TypeDatalink              = 70
	TypeBoolean               = 16
	TypeRowID                 = -8
	TypeNChar                 = -15
	TypeNVarchar              = -9
	TypeLongNVarchar          = -16
	TypeNClob                 = 2011
	TypeSQLXML                = 2009
	TypeRefCursor             = 2012
	TypeTimeWithTimezone      = 2013
	TypeTimestampWithTimezone = 2014
)

// Column is one column of a table, with the attributes Debezium records in the schema history.
//
// Optional values use sql.Null: Debezium tells an absent length, scale, native type or default
// expression apart from a zero or empty one (VARCHAR has a length, INT none; DEFAULT ” differs from
// DEFAULT NULL), and the history keeps the difference. For the plain strings (type name and
// expression, charset, comment) empty means absent, as it does in every history Debezium writes.
type Column struct {
	// Name is the column's name as the database reports it.
	Name string
	// JDBCType is the column's java.sql.Types code (TypeVarchar, TypeBigInt, ...).
	JDBCType int
	// NativeType is the database's own type code, when the connector has one.
	NativeType sql.Null[int]
	// TypeName is the type's name without parameters ("VARCHAR", "BIGINT UNSIGNED", "ENUM").
	TypeName string
	// TypeExpression is the type as declared ("VARCHAR", "ENUM"); Debezium's MySQL parser stores the
	// type name here too.
	TypeExpression string
	// CharsetName is the character set of a character column; Build fills it from the table's
	// default charset when a character column has none.
	CharsetName string
	// Length is the declared length or precision (VARCHAR(255) → 255, DECIMAL(10,2) → 10).
	Length sql.Null[int]
	// Scale is the declared scale (DECIMAL(10,2) → 2), or fractional-seconds precision.
	Scale sql.Null[int]
	// Position is the 1-based ordinal of the column in its table; Build sets it from the order of
	// Table.Columns.
	Position int
	// Optional reports whether the column accepts NULL.
	Optional bool
	// AutoIncremented reports a column the database fills from a sequence (AUTO_INCREMENT,
	// IDENTITY, SERIAL).
	AutoIncremented bool
	// Generated reports a column whose value the database generates. Debezium's MySQL parser marks
	// auto-increment columns generated too.
	Generated bool
	// HasDefaultValue reports whether the column declares a default, DEFAULT NULL included.
	HasDefaultValue bool
	// DefaultValueExpression is the default as written in the DDL, unparsed; not valid when there is
	// no default or the default is NULL.
	DefaultValueExpression sql.Null[string]
	// EnumValues lists the allowed values of an ENUM or SET column, in declared order.
	EnumValues []string
	// Comment is the column's comment.
	Comment string
}

// UsesCharset reports whether the column's JDBC type holds characters, the types Debezium gives
// the table's default charset when the column declares none.
func (c *Column) UsesCharset() bool {
	switch c.JDBCType {
	case TypeChar, TypeVarchar, TypeLongVarchar, TypeClob, TypeNChar, TypeNVarchar, TypeLongNVarchar,
		TypeNClob, TypeDatalink, TypeSQLXML:
		return true
	}
	return false
}

// Equal reports whether c and o describe the same column, attribute by attribute.
func (c *Column) Equal(o *Column) bool {
	return c.Name == o.Name && c.JDBCType == o.JDBCType && c.NativeType == o.NativeType &&
		c.TypeName == o.TypeName && c.TypeExpression == o.TypeExpression &&
		c.CharsetName == o.CharsetName && c.Length == o.Length && c.Scale == o.Scale &&
		c.Position == o.Position && c.Optional == o.Optional &&
		c.AutoIncremented == o.AutoIncremented && c.Generated == o.Generated &&
		c.HasDefaultValue == o.HasDefaultValue && c.DefaultValueExpression == o.DefaultValueExpression &&
		slices.Equal(c.EnumValues, o.EnumValues) && c.Comment == o.Comment
}

// Int returns a valid sql.Null[int] holding v: shorthand for a column's Length, Scale or
// NativeType.
func Int(v int) sql.Null[int] { return sql.Null[int]{V: v, Valid: true} }

// String returns a valid sql.Null[string] holding v: shorthand for a DefaultValueExpression.
func String(v string) sql.Null[string] { return sql.Null[string]{V: v, Valid: true} }
