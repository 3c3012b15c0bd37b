package relational

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Attribute is a connector-specific name/value pair attached to a table (Debezium's Attribute;
// Oracle stores its object id this way). The MySQL connector records MariaDB's system versioning
// so; a history written by Debezium may carry others, and they survive a replay.
type Attribute struct {
	Name  string
	Value string
}

// Table is the structure of one table: its columns in order, primary key, default charset and
// comment.
//
// Build it with NewTable, or fill a literal and call Build. After Build a Table must not be
// changed: it is shared by the Tables sets that hold it and by every goroutine reading them. To
// change a table, Clone it, edit the copy and Build it again.
type Table struct {
	ID TableID
	// Columns are in table order; Build numbers their Position from 1.
	Columns []Column
	// PrimaryKeyColumnNames lists the primary key's columns in key order; empty for a table
	// without a primary key.
	PrimaryKeyColumnNames []string
	// DefaultCharsetName is the table's default character set (MySQL's DEFAULT CHARSET).
	DefaultCharsetName string
	// Comment is the table's comment.
	Comment string
	// Attributes are connector-specific extras; see Attribute.
	Attributes []Attribute

	// byName maps each lower-cased column name to its index in Columns; nil until Build.
	byName map[string]int
	// pk holds the primary key columns' indexes in Columns, in key order.
	pk []int
}

// ErrInvalidTable is wrapped by the errors of Build and NewTable.
var ErrInvalidTable = errors.New("invalid table definition")

// NewTable builds a table from its parts; see Build for what it checks and completes.
func NewTable(id TableID, columns []Column, primaryKey []string, defaultCharset string) (*Table, error) {
	t := &Table{ID: id, Columns: columns, PrimaryKeyColumnNames: primaryKey, DefaultCharsetName: defaultCharset}
	if err := t.Build(); err != nil {
		return nil, err
	}
	return t, nil
}

// Build completes and checks a table as Debezium's TableEditor does when it creates one: column
// positions are renumbered 1..n in slice order, a character column without a charset (or with
// "DEFAULT") gets the table's default charset, a column with a default expression is marked as
// having a default, and every primary key column must exist. It then indexes the columns so
// lookups by name take constant time. Column names are matched case-insensitively, as Debezium
// does, so two columns whose names differ only in case are an error.
func (t *Table) Build() error {
	if t.ID.Table == "" {
		return fmt.Errorf("%w: the table has no name (id %+v)", ErrInvalidTable, t.ID)
	}
	byName := make(map[string]int, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Name == "" {
			return fmt.Errorf("%w %s: column %d has no name", ErrInvalidTable, t.ID, i+1)
		}
		key := strings.ToLower(c.Name)
		if j, dup := byName[key]; dup {
			return fmt.Errorf("%w %s: columns %d and %d are both named %q", ErrInvalidTable, t.ID, j+1, i+1, c.Name)
		}
		byName[key] = i
		c.Position = i + 1
		if c.UsesCharset() && (c.CharsetName == "" || strings.EqualFold(c.CharsetName, "DEFAULT")) {
			c.CharsetName = t.DefaultCharsetName
		}
		if c.DefaultValueExpression.Valid {
			c.HasDefaultValue = true
		}
	}
	pk := make([]int, len(t.PrimaryKeyColumnNames))
	for i, name := range t.PrimaryKeyColumnNames {
		j, ok := byName[strings.ToLower(name)]
		if !ok {
			return fmt.Errorf("%w %s: primary key column %q is not a column of the table", ErrInvalidTable, t.ID, name)
		}
		pk[i] = j
	}
	t.byName, t.pk = byName, pk
	return nil
}

// Column returns the column named name (case-insensitively), or nil.
func (t *Table) Column(name string) *Column {
	if i := t.ColumnIndex(name); i >= 0 {
		return &t.Columns[i]
	}
	return nil
}

// ColumnIndex returns the index in Columns of the column named name (case-insensitively), or -1.
// It takes constant time on a built table; on one not built yet it scans the columns.
func (t *Table) ColumnIndex(name string) int {
	if t.byName != nil {
		if i, ok := t.byName[name]; ok {
			return i // the common case: the name is already lower case
		}
		if i, ok := t.byName[strings.ToLower(name)]; ok {
			return i
		}
		return -1
	}
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

// ColumnNames returns the names of the columns in table order.
func (t *Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i := range t.Columns {
		names[i] = t.Columns[i].Name
	}
	return names
}

// PrimaryKeyColumns returns the primary key's columns in key order, nil for a table without a
// primary key. The returned pointers point into the table: read them, never change them.
func (t *Table) PrimaryKeyColumns() []*Column {
	if len(t.PrimaryKeyColumnNames) == 0 {
		return nil
	}
	cols := make([]*Column, 0, len(t.PrimaryKeyColumnNames))
	if t.pk != nil {
		for _, i := range t.pk {
			cols = append(cols, &t.Columns[i])
		}
		return cols
	}
	for _, name := range t.PrimaryKeyColumnNames {
		if c := t.Column(name); c != nil {
			cols = append(cols, c)
		}
	}
	return cols
}

// IsPrimaryKeyColumn reports whether the column named name is part of the primary key.
func (t *Table) IsPrimaryKeyColumn(name string) bool {
	for _, pk := range t.PrimaryKeyColumnNames {
		if strings.EqualFold(pk, name) {
			return true
		}
	}
	return false
}

// Attribute returns the value of the attribute named name (case-insensitively, as Debezium) and
// whether it exists.
func (t *Table) Attribute(name string) (string, bool) {
	for _, a := range t.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a.Value, true
		}
	}
	return "", false
}

// Clone returns a deep copy of t that may be edited; Build it before use.
func (t *Table) Clone() *Table {
	c := &Table{
		ID:                    t.ID,
		Columns:               slices.Clone(t.Columns),
		PrimaryKeyColumnNames: slices.Clone(t.PrimaryKeyColumnNames),
		DefaultCharsetName:    t.DefaultCharsetName,
		Comment:               t.Comment,
		Attributes:            slices.Clone(t.Attributes),
	}
	for i := range c.Columns {
		c.Columns[i].EnumValues = slices.Clone(c.Columns[i].EnumValues)
	}
	return c
}

// withID returns a shallow copy of a built t under another id, sharing its immutable parts.
func (t *Table) withID(id TableID) *Table {
	c := *t
	c.ID = id
	return &c
}

// Equal reports whether t and o describe the same table: same id, columns, key, charset, comment
// and attributes.
func (t *Table) Equal(o *Table) bool {
	if t.ID != o.ID || t.DefaultCharsetName != o.DefaultCharsetName || t.Comment != o.Comment ||
		len(t.Columns) != len(o.Columns) || !slices.Equal(t.PrimaryKeyColumnNames, o.PrimaryKeyColumnNames) ||
		!slices.Equal(t.Attributes, o.Attributes) {
		return false
	}
	for i := range t.Columns {
		if !t.Columns[i].Equal(&o.Columns[i]) {
			return false
		}
	}
	return true
}
