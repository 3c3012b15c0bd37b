// Package filters implements Debezium's include/exclude list semantics for databases, schemas,
// tables and columns (database.include.list, table.exclude.list, column.exclude.list, ...).
//
// As in Debezium (io.debezium.function.Predicates, io.debezium.relational.Selectors): a list is
// comma-separated regular expressions (a comma inside a pattern is escaped as `\,`), each item is
// trimmed, each pattern must match the whole identifier (Java's Matcher.matches), and matching is
// case-insensitive for every kind of list. Tables are matched on their identifier with empty
// parts left out ("db.table" for MySQL, "schema.table" for PostgreSQL), columns on the table
// identifier plus the column ("db.table.column"). An include list and an exclude list of the same
// kind cannot be combined; New reports that as a configuration error naming both properties.
//
// Patterns are Go RE2 regular expressions: Java-only constructs (back-references, look-around)
// are refused with an error naming the property. Filters are safe for concurrent use.
package filters

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/connectd/connectd/connect/api/relational"
)

// The configuration property names the lists come from.
const (
	DatabaseIncludeList  = "database.include.list"
	DatabaseExcludeList  = "database.exclude.list"
	SchemaIncludeList    = "schema.include.list"
	SchemaExcludeList    = "schema.exclude.list"
	TableIncludeList     = "table.include.list"
	TableExcludeList     = "table.exclude.list"
	ColumnIncludeList    = "column.include.list"
	ColumnExcludeList    = "column.exclude.list"
	SignalDataCollection = "signal.data.collection"
)

// List is a parsed comma-separated list of anchored, case-insensitive patterns. The zero List
// is empty and matches nothing.
type List struct {
	src []string
	res []*regexp.Regexp
}

// ParseList parses a comma-separated list of regular expressions. An empty or blank string gives
// an empty list.
func ParseList(s string) (List, error) {
	var l List
	for _, item := range SplitList(s) {
		re, err := regexp.Compile(`(?i)^(?:` + item + `)$`)
		if err != nil {
			return List{}, fmt.Errorf("pattern %q is not a valid regular expression: %w", item, err)
		}
		l.src = append(l.src, item)
		l.res = append(l.res, re)
	}
	return l, nil
}

// SplitList splits a Debezium list value on commas not escaped by a backslash, trims each item,
// drops empty items and turns `\,` into `,`, as Debezium's RegExSplitter.
func SplitList(s string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		item := strings.TrimSpace(s[start:end])
		if item != "" {
			out = append(out, strings.ReplaceAll(item, `\,`, ","))
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip the escaped character
		case ',':
			flush(i)
			start = i + 1
		}
	}
	if start <= len(s) {
		flush(len(s))
	}
	return out
}

// Empty reports whether the list has no pattern.
func (l List) Empty() bool { return len(l.res) == 0 }

// Patterns returns the list's patterns as written (trimmed, unescaped).
func (l List) Patterns() []string { return append([]string(nil), l.src...) }

// Matches reports whether any pattern matches all of s, ignoring case.
func (l List) Matches(s string) bool {
	for _, re := range l.res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// Config holds the raw list values, as given in the connector configuration.
type Config struct {
	DatabaseInclude, DatabaseExclude string
	SchemaInclude, SchemaExclude     string
	TableInclude, TableExclude       string
	ColumnInclude, ColumnExclude     string
	// SignalDataCollection is the signal table ("db.table" / "schema.table"); Debezium always
	// captures it, whatever the table lists say, so signals inserted into it are seen.
	SignalDataCollection string
	// Builtin, when set, reports the database's own system tables, which are never captured
	// (Debezium's table.ignore.builtin, on by default): MySQLBuiltin or PostgresBuiltin.
	Builtin func(relational.TableID) bool
}

// MySQLBuiltin reports tables of MySQL's and MariaDB's system databases (mysql,
// performance_schema, sys, information_schema), as Debezium's BinlogConnectorConfig.
func MySQLBuiltin(id relational.TableID) bool {
	switch strings.ToLower(id.Catalog) {
	case "mysql", "performance_schema", "sys", "information_schema":
		return true
	}
	return false
}

// PostgresBuiltin reports PostgreSQL system tables, as Debezium's SystemTablesPredicate: the
// pg_catalog and information_schema schemas, temporary schemas (pg_temp*), and PostGIS's
// spatial_ref_sys in any schema.
func PostgresBuiltin(id relational.TableID) bool {
	switch strings.ToLower(id.Schema) {
	case "pg_catalog", "information_schema":
		return true
	}
	return strings.HasPrefix(id.Schema, "pg_temp") || strings.EqualFold(id.Table, "spatial_ref_sys")
}

// ConfigFrom reads the list properties from a connector configuration.
func ConfigFrom(config map[string]string) Config {
	return Config{
		DatabaseInclude: config[DatabaseIncludeList], DatabaseExclude: config[DatabaseExcludeList],
		SchemaInclude: config[SchemaIncludeList], SchemaExclude: config[SchemaExcludeList],
		TableInclude: config[TableIncludeList], TableExclude: config[TableExcludeList],
		ColumnInclude: config[ColumnIncludeList], ColumnExclude: config[ColumnExcludeList],
		SignalDataCollection: config[SignalDataCollection],
	}
}

// ErrIncludeAndExclude is wrapped by the error New returns when an include list and the
// matching exclude list are both set.
var ErrIncludeAndExclude = errors.New("include and exclude lists are mutually exclusive")

// Filters decides which databases, schemas, tables and columns are captured.
type Filters struct {
	dbInc, dbExc, schInc, schExc, tblInc, tblExc, colInc, colExc List
	signal                                                       string // lower-cased signal table id
	builtin                                                      func(relational.TableID) bool
}

// New parses and checks the lists. Every problem is reported, joined, each naming its property.
func New(c Config) (*Filters, error) {
	var errs []error
	f := &Filters{}
	pairs := []struct {
		incName, excName string
		incVal, excVal   string
		inc, exc         *List
	}{
		{DatabaseIncludeList, DatabaseExcludeList, c.DatabaseInclude, c.DatabaseExclude, &f.dbInc, &f.dbExc},
		{SchemaIncludeList, SchemaExcludeList, c.SchemaInclude, c.SchemaExclude, &f.schInc, &f.schExc},
		{TableIncludeList, TableExcludeList, c.TableInclude, c.TableExclude, &f.tblInc, &f.tblExc},
		{ColumnIncludeList, ColumnExcludeList, c.ColumnInclude, c.ColumnExclude, &f.colInc, &f.colExc},
	}
	for _, p := range pairs {
		// Debezium rejects both being set at all (even blank), reported on the exclude property.
		if strings.TrimSpace(p.incVal) != "" && strings.TrimSpace(p.excVal) != "" {
			errs = append(errs, fmt.Errorf("%s: %q is already specified: %w; set only one of %s and %s",
				p.excName, p.incName, ErrIncludeAndExclude, p.incName, p.excName))
		}
		var err error
		if *p.inc, err = ParseList(p.incVal); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.incName, err))
		}
		if *p.exc, err = ParseList(p.excVal); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.excName, err))
		}
	}
	f.signal = strings.ToLower(strings.TrimSpace(c.SignalDataCollection))
	f.builtin = c.Builtin
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return f, nil
}

// CaptureAll returns filters that capture everything; for tests and tools.
func CaptureAll() *Filters { return &Filters{} }

func allowed(inc, exc List, s string) bool {
	if !inc.Empty() {
		return inc.Matches(s)
	}
	return !exc.Matches(s)
}

// IncludeDatabase reports whether a database passes database.include/exclude.list.
func (f *Filters) IncludeDatabase(db string) bool { return allowed(f.dbInc, f.dbExc, db) }

// IncludeSchema reports whether a schema passes schema.include/exclude.list.
func (f *Filters) IncludeSchema(schema string) bool { return allowed(f.schInc, f.schExc, schema) }

// Eligible reports whether a table's database and schema are captured and it is not a built-in
// table, ignoring the table lists: the tables whose structure the schema history must know.
func (f *Filters) Eligible(id relational.TableID) bool {
	if f.builtin != nil && f.builtin(id) {
		return false
	}
	if id.Catalog != "" && !f.IncludeDatabase(id.Catalog) {
		return false
	}
	if id.Schema != "" && !f.IncludeSchema(id.Schema) {
		return false
	}
	return true
}

// IncludeTable reports whether a table's changes are captured: its database and schema pass
// their lists and its identifier passes table.include/exclude.list; the signal table always is.
func (f *Filters) IncludeTable(id relational.TableID) bool {
	s := id.String()
	if f.IsSignalTable(id) {
		return true
	}
	return f.Eligible(id) && allowed(f.tblInc, f.tblExc, s)
}

// IsSignalTable reports whether id is the configured signal.data.collection.
func (f *Filters) IsSignalTable(id relational.TableID) bool {
	return f.signal != "" && strings.EqualFold(id.String(), f.signal)
}

// IncludeColumn reports whether a column of a captured table is emitted, matching
// "<table id>.<column>" against column.include/exclude.list.
func (f *Filters) IncludeColumn(id relational.TableID, column string) bool {
	if f.colInc.Empty() && f.colExc.Empty() {
		return true // the common case: no string building
	}
	return allowed(f.colInc, f.colExc, id.String()+"."+column)
}
