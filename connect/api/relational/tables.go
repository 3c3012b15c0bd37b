package relational

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
)

// Tables is the set of table structures a connector knows at one point of the database log, keyed
// by TableID: what a schema history replay rebuilds and what DDL parsing updates.
//
// A Tables is not safe for concurrent mutation. Clone is cheap (copy-on-write: the copy shares the
// map until either side changes), so a connector can hand a snapshot to another goroutine.
type Tables struct {
	caseInsensitive bool
	byID            map[TableID]*Table
	// shared is true while byID may be referenced by a clone; the next change copies it first.
	shared  bool
	changed map[TableID]struct{}
}

// NewTables returns an empty set. With caseInsensitive, table names are compared ignoring case
// (MySQL and MariaDB with lower_case_table_names=1 or 2, Debezium's tableIdCaseInsensitive):
// catalog and schema still compare exactly.
func NewTables(caseInsensitive bool) *Tables {
	return &Tables{caseInsensitive: caseInsensitive, byID: map[TableID]*Table{}}
}

func (s *Tables) key(id TableID) TableID {
	if s.caseInsensitive {
		return id.lowerTable()
	}
	return id
}

// own makes byID private to s before a change.
func (s *Tables) own() {
	if s.byID == nil {
		s.byID = map[TableID]*Table{}
	}
	if s.shared {
		s.byID = maps.Clone(s.byID)
		s.shared = false
	}
}

func (s *Tables) markChanged(id TableID) {
	if s.changed == nil {
		s.changed = map[TableID]struct{}{}
	}
	s.changed[id] = struct{}{}
}

// Len returns the number of tables in the set.
func (s *Tables) Len() int { return len(s.byID) }

// Get returns the table with the given id, or nil.
func (s *Tables) Get(id TableID) *Table { return s.byID[s.key(id)] }

// Overwrite adds t to the set, replacing any table with the same id, and returns the table it
// replaced (nil if none). A table not built yet is built first (see Table.Build); its error is
// returned and the set left unchanged. The set keeps t itself: do not change it afterwards.
func (s *Tables) Overwrite(t *Table) (*Table, error) {
	if t.byName == nil {
		if err := t.Build(); err != nil {
			return nil, err
		}
	}
	s.own()
	k := s.key(t.ID)
	prev := s.byID[k]
	s.byID[k] = t
	s.markChanged(t.ID)
	return prev, nil
}

// Remove deletes the table with the given id and returns it (nil if the set had none).
func (s *Tables) Remove(id TableID) *Table {
	k := s.key(id)
	prev, ok := s.byID[k]
	s.markChanged(id)
	if !ok {
		return nil
	}
	s.own()
	delete(s.byID, k)
	return prev
}

// Rename moves the table with id from to id to, keeping its structure, and returns the renamed
// table. It fails if there is no table from, or if to is taken by another table.
func (s *Tables) Rename(from, to TableID) (*Table, error) {
	t := s.Get(from)
	if t == nil {
		return nil, fmt.Errorf("cannot rename table %s to %s: there is no table %s", from, to, from)
	}
	if other := s.Get(to); other != nil && s.key(from) != s.key(to) {
		return nil, fmt.Errorf("cannot rename table %s to %s: a table %s already exists", from, to, to)
	}
	renamed := t.withID(to)
	s.own()
	delete(s.byID, s.key(from))
	s.byID[s.key(to)] = renamed
	s.markChanged(from)
	s.markChanged(to)
	return renamed, nil
}

// RemoveDatabase deletes every table of the given catalog and schema (both compared exactly,
// empty matching empty), as a DROP DATABASE does.
func (s *Tables) RemoveDatabase(catalog, schema string) {
	for k, t := range s.byID {
		if k.Catalog == catalog && k.Schema == schema {
			s.own()
			delete(s.byID, k)
			s.markChanged(t.ID)
		}
	}
}

// Clear removes every table.
func (s *Tables) Clear() {
	for _, t := range s.byID {
		s.markChanged(t.ID)
	}
	s.byID = map[TableID]*Table{}
	s.shared = false
}

// Clone returns a copy of the set that shares the tables (they are immutable) and, until either
// side changes, the map that holds them. The copy starts with no recorded changes.
func (s *Tables) Clone() *Tables {
	s.shared = true
	return &Tables{caseInsensitive: s.caseInsensitive, byID: s.byID, shared: true}
}

// DrainChanges returns the ids of the tables added, replaced, renamed or removed since the last
// call, sorted, and forgets them, as Debezium's Tables.drainChanges.
func (s *Tables) DrainChanges() []TableID {
	ids := slices.SortedFunc(maps.Keys(s.changed), compareIDs)
	s.changed = nil
	return ids
}

// IDs returns the ids of the tables in the set, sorted by catalog, schema and name.
func (s *Tables) IDs() []TableID {
	ids := make([]TableID, 0, len(s.byID))
	for _, t := range s.byID {
		ids = append(ids, t.ID)
	}
	slices.SortFunc(ids, compareIDs)
	return ids
}

// All yields every table of the set in id order.
func (s *Tables) All() iter.Seq[*Table] {
	return s.Filter(nil)
}

// Filter yields the tables whose id include accepts (all of them when include is nil), in id
// order. The set must not change while the loop runs.
func (s *Tables) Filter(include func(TableID) bool) iter.Seq[*Table] {
	return func(yield func(*Table) bool) {
		for _, id := range s.IDs() {
			if include != nil && !include(id) {
				continue
			}
			if !yield(s.byID[s.key(id)]) {
				return
			}
		}
	}
}

// Equal reports whether s and o hold equal tables under the same ids.
func (s *Tables) Equal(o *Tables) bool {
	if len(s.byID) != len(o.byID) {
		return false
	}
	for k, t := range s.byID {
		u, ok := o.byID[k]
		if !ok || !t.Equal(u) {
			return false
		}
	}
	return true
}

// String lists the tables' ids, for logs and test failures.
func (s *Tables) String() string {
	ids := s.IDs()
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.String()
	}
	return "Tables[" + strings.Join(parts, ", ") + "]"
}

func compareIDs(a, b TableID) int {
	return cmp.Or(strings.Compare(a.Catalog, b.Catalog), strings.Compare(a.Schema, b.Schema),
		strings.Compare(a.Table, b.Table))
}
