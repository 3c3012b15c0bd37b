package ddl

// Name is a possibly database-qualified table name. DB is empty when the statement did not
// qualify it; the caller fills in the session's default database.
type Name struct {
	DB, Table string
}

// Statement is one parsed schema-changing statement: *CreateTable, *AlterTable, *DropTable,
// *RenameTable, *TruncateTable, *CreateIndex, *DropIndex, *CreateDatabase, *AlterDatabase,
// *DropDatabase or *Use.
type Statement interface{ statement() }

// Default is a column's DEFAULT clause.
type Default struct {
	// Null is DEFAULT NULL.
	Null bool
	// Literal is true when Value is a constant (string or number), false for an expression such
	// as CURRENT_TIMESTAMP whose value the server computes.
	Literal bool
	// Value is the constant's text (unquoted for strings) or the expression as written.
	Value string
}

// Column is a column definition as written in CREATE or ALTER TABLE.
type Column struct {
	Name string
	// Type is the data type's name in upper case, normalised to MySQL's names (INTEGER is INT,
	// DOUBLE PRECISION is DOUBLE, CHARACTER VARYING is VARCHAR, BOOL is TINYINT(1) ...).
	Type string
	// Length and Scale are the type's (M[,D]) arguments; -1 when absent.
	Length, Scale int
	// Values are the members of an ENUM or SET; RawValues the same as written, quotes included
	// ('a'), which is how Debezium's history stores them.
	Values    []string
	RawValues []string
	Unsigned  bool
	Zerofill  bool
	// Charset and Collation are the column's own, empty when it inherits the table's.
	Charset, Collation string
	// Nullable is false for NOT NULL and for PRIMARY KEY columns.
	Nullable      bool
	AutoIncrement bool
	Default       *Default
	Comment       string
	// PrimaryKey is an inline PRIMARY KEY attribute.
	PrimaryKey bool
	// Unique is an inline UNIQUE [KEY] attribute.
	Unique    bool
	Generated bool
	// RowStart and RowEnd mark MariaDB's system-versioning columns (GENERATED ALWAYS AS ROW
	// START / ROW END).
	RowStart, RowEnd bool
	// Versioned is a column-level WITH SYSTEM VERSIONING, which makes the table system-versioned.
	Versioned bool
	// TypeExpression is the type as written, e.g. "DECIMAL(10,2) UNSIGNED".
	TypeExpression string
}

// CreateTable is CREATE [OR REPLACE] TABLE.
type CreateTable struct {
	Name        Name
	IfNotExists bool
	OrReplace   bool
	Temporary   bool
	Columns     []*Column
	// PrimaryKey lists the primary key's columns in key order, from a table constraint or an
	// inline attribute.
	PrimaryKey []string
	// UniqueKeys are the UNIQUE constraints' column lists, used when there is no primary key.
	UniqueKeys [][]string
	// Like is the source table of CREATE TABLE ... LIKE.
	Like *Name
	// Charset and Collation are the table's defaults.
	Charset, Collation string
	Comment            string
	// SystemVersioned is MariaDB's WITH SYSTEM VERSIONING, at table level or on a column.
	SystemVersioned bool
	// Periods are MariaDB's application-time periods (PERIOD FOR name(start, end)); a key
	// naming one WITHOUT OVERLAPS has its end and start columns in the key.
	Periods []Period
}

// Period is an application-time period.
type Period struct {
	Name, Start, End string
}

// AlterTable is ALTER TABLE with its specifications in order.
type AlterTable struct {
	Name  Name
	Specs []AlterSpec
}

// AlterKind is the kind of one ALTER TABLE specification.
type AlterKind uint8

// The ALTER TABLE specification kinds that change the table model.
const (
	AddColumn AlterKind = iota + 1
	DropColumn
	ModifyColumn
	ChangeColumn
	RenameColumn
	SetDefault
	DropDefault
	AddPrimaryKey
	DropPrimaryKey
	AddUnique
	RenameTo
	ConvertCharset
	TableCharset
	TableComment
	// AddSystemVersioning and DropSystemVersioning are MariaDB's ADD / DROP SYSTEM VERSIONING.
	AddSystemVersioning
	DropSystemVersioning
	// AddPeriod is ADD PERIOD FOR name(start, end), in Period (SYSTEM_TIME is left out).
	AddPeriod
)

// AlterSpec is one specification of ALTER TABLE.
type AlterSpec struct {
	Kind AlterKind
	// Column is the new definition (AddColumn, ModifyColumn, ChangeColumn).
	Column *Column
	// Old is the existing column's name (DropColumn, ChangeColumn, RenameColumn, SetDefault,
	// DropDefault).
	Old string
	// New is the new column name (RenameColumn).
	New string
	// First and After place an added or changed column.
	First bool
	After string
	// IfExists / IfNotExists are MariaDB's guards on column and key operations.
	IfExists, IfNotExists bool
	// Default is the new default (SetDefault).
	Default *Default
	// Columns are the key's columns (AddPrimaryKey, AddUnique).
	Columns []string
	// NewName is the new table name (RenameTo).
	NewName Name
	// Charset, Collation are the new defaults (ConvertCharset, TableCharset).
	Charset, Collation string
	// Comment is the new table comment (TableComment).
	Comment string
	// Period is the period added (AddPeriod).
	Period Period
}

// DropTable is DROP [TEMPORARY] TABLE.
type DropTable struct {
	Names     []Name
	IfExists  bool
	Temporary bool
}

// RenameTable is RENAME TABLE a TO b [, c TO d].
type RenameTable struct {
	From, To []Name
}

// TruncateTable is TRUNCATE [TABLE].
type TruncateTable struct {
	Name Name
}

// CreateIndex is CREATE [UNIQUE] INDEX ... ON table (columns).
type CreateIndex struct {
	Table   Name
	Unique  bool
	Columns []string
}

// DropIndex is DROP INDEX ... ON table; it changes no column, but a history consumer may want it.
type DropIndex struct {
	Table Name
}

// CreateDatabase is CREATE DATABASE / SCHEMA.
type CreateDatabase struct {
	Name        string
	IfNotExists bool
	Charset     string
}

// AlterDatabase is ALTER DATABASE / SCHEMA.
type AlterDatabase struct {
	Name    string
	Charset string
}

// DropDatabase is DROP DATABASE / SCHEMA.
type DropDatabase struct {
	Name     string
	IfExists bool
}

// Use is USE db, which changes the default database of the statements after it.
type Use struct {
	Name string
}

func (*CreateTable) statement()    {}
func (*AlterTable) statement()     {}
func (*DropTable) statement()      {}
func (*RenameTable) statement()    {}
func (*TruncateTable) statement()  {}
func (*CreateIndex) statement()    {}
func (*DropIndex) statement()      {}
func (*CreateDatabase) statement() {}
func (*AlterDatabase) statement()  {}
func (*DropDatabase) statement()   {}
func (*Use) statement()            {}
