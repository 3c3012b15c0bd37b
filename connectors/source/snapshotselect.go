package source

import (
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/filters"
)

// Property names of the snapshot selection.
const (
	// PropSnapshotInclude is snapshot.include.collection.list: regular expressions of the
	// captured tables the initial snapshot reads (the rest are only streamed).
	PropSnapshotInclude = "snapshot.include.collection.list"
	// PropSnapshotOverrides is snapshot.select.statement.overrides: the tables whose snapshot
	// reads with the statement of PropSnapshotOverrides + "." + the table's id.
	PropSnapshotOverrides = "snapshot.select.statement.overrides"
)

// SnapshotSelection is snapshot.include.collection.list and snapshot.select.statement.overrides:
// which captured tables the snapshot reads, and with which SELECT. Nil reads every table with
// the connector's own statements.
type SnapshotSelection struct {
	include   filters.List
	overrides map[string]string
}

// ParseSnapshotSelection reads the two properties from a connector configuration; nil when
// neither is set. Table ids are 'db.table' (MySQL/MariaDB) or 'schema.table' (PostgreSQL), as in
// the offsets; every table snapshot.select.statement.overrides names needs its statement.
func ParseSnapshotSelection(config map[string]string) (*SnapshotSelection, error) {
	inc, err := filters.ParseList(config[PropSnapshotInclude])
	if err != nil {
		return nil, fmt.Errorf("invalid %s: %w", PropSnapshotInclude, err)
	}
	s := &SnapshotSelection{include: inc}
	for _, id := range filters.SplitList(config[PropSnapshotOverrides]) {
		key := PropSnapshotOverrides + "." + id
		stmt := strings.TrimSpace(config[key])
		if stmt == "" {
			return nil, fmt.Errorf("%s names table %s but %s is not set; give the SELECT that reads its snapshot, or remove the table from the list",
				PropSnapshotOverrides, id, key)
		}
		if s.overrides == nil {
			s.overrides = map[string]string{}
		}
		s.overrides[id] = strings.TrimRight(stmt, "; \t\n")
	}
	if inc.Empty() && s.overrides == nil {
		return nil, nil
	}
	return s, nil
}

// Includes reports whether the snapshot reads the table with this id.
func (s *SnapshotSelection) Includes(id string) bool {
	return s == nil || s.include.Empty() || s.include.Matches(id)
}

// Statement returns the table's snapshot.select.statement.overrides statement, "" when none.
func (s *SnapshotSelection) Statement(id string) string {
	if s == nil {
		return ""
	}
	return s.overrides[id]
}

// selectTables returns the tables the snapshot reads: those s includes, each overridden one
// with its statement and read whole, since a statement of the user's has no key order a chunked
// read or a resumed snapshot could rely on.
func selectTables[T any](s *SnapshotSelection, tables []SnapshotTable[T]) []SnapshotTable[T] {
	if s == nil {
		return tables
	}
	out := make([]SnapshotTable[T], 0, len(tables))
	for _, t := range tables {
		if !s.Includes(t.ID) {
			continue
		}
		if stmt := s.Statement(t.ID); stmt != "" {
			t.Select, t.Keyed = stmt, false
		}
		out = append(out, t)
	}
	return out
}

// SnapshotSelectionKeys are the configuration keys of the snapshot selection, for a connector's
// spec; tableForm names its table ids ('db.table' or 'schema.table').
func SnapshotSelectionKeys(tableForm string) api.ConfigSpec {
	overridePrefix := PropSnapshotOverrides + "."
	return api.ConfigSpec{
		{Name: PropSnapshotInclude, Type: api.ConfigList, Importance: api.Medium, Group: "CONNECTOR_SNAPSHOT", DisplayName: "Snapshot tables",
			Doc: "Comma-separated regular expressions matching fully-qualified table names ('" + tableForm + "') of the captured tables the initial snapshot reads; " +
				"the others are only streamed. Every captured table when unset.",
			Validate: func(v string) error { _, err := filters.ParseList(v); return err }},
		{Name: PropSnapshotOverrides, Type: api.ConfigString, Importance: api.Medium, Group: "CONNECTOR_SNAPSHOT", DisplayName: "Snapshot SELECT overrides",
			Doc: "Comma-separated fully-qualified table names ('" + tableForm + "') whose snapshot reads with the SELECT in " + overridePrefix + "<table> " +
				"(e.g. to leave rows out). The result's columns are matched to the table's by name; a column left out is NULL. " +
				"Such a table is read in one statement, not in key-ordered chunks, and an interrupted snapshot reads it again from its start."},
		{Name: overridePrefix + "<table>", Type: api.ConfigString, Importance: api.Medium, Group: "CONNECTOR_SNAPSHOT",
			Matches: func(name string) bool {
				return strings.HasPrefix(name, overridePrefix) && len(name) > len(overridePrefix)
			},
			Doc: "The SELECT statement that reads the snapshot of <table>, a table " + PropSnapshotOverrides + " names."},
	}
}
