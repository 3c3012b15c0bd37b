package mysql

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/mysql/ddl"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/schemahistory"
)

// systemDatabases are never captured, as in Debezium.
var systemDatabases = map[string]bool{"mysql": true, "sys": true, "information_schema": true, "performance_schema": true}

// schemaModel is the connector's view of table structures at the current binlog position, and
// the per-table encoders built from it. It is owned by the reader goroutine.
type schemaModel struct {
	cfg    *Config
	tables *relational.Tables
	// encoders holds one TableSchema per captured table version; a schema change drops the
	// table's entry so the next event rebuilds it once.
	encoders map[relational.TableID]*envelope.TableSchema
	source   *api.Schema
	// dbCharsets are the default charsets of databases seen in CREATE/ALTER DATABASE.
	dbCharsets    map[string]string
	serverCharset string
	// ddlOptions say which executable comments the server ran.
	ddlOptions ddl.Options
}

func newSchemaModel(cfg *Config, source *api.Schema) *schemaModel {
	return &schemaModel{
		cfg:           cfg,
		tables:        relational.NewTables(false),
		encoders:      map[relational.TableID]*envelope.TableSchema{},
		source:        source,
		dbCharsets:    map[string]string{},
		serverCharset: "utf8mb4",
	}
}

// captured reports whether events of table id are emitted.
func (s *schemaModel) captured(id relational.TableID) bool {
	if systemDatabases[strings.ToLower(id.Catalog)] {
		return false
	}
	return s.cfg.Capture.IncludeTable(id)
}

// databaseCaptured reports whether a database's schema is tracked.
func (s *schemaModel) databaseCaptured(db string) bool {
	if systemDatabases[strings.ToLower(db)] {
		return false
	}
	return s.cfg.Capture.IncludeDatabase(db)
}

// encoder returns the encoder of a captured table, building it on first use after a change.
func (s *schemaModel) encoder(id relational.TableID) (*envelope.TableSchema, error) {
	if e, ok := s.encoders[id]; ok {
		return e, nil
	}
	t := s.tables.Get(id)
	if t == nil {
		return nil, nil
	}
	cols := make([]envelope.Column, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		cols[i] = columnMapping(c, s.cfg.Modes)
		if !s.cfg.Capture.IncludeColumn(id, c.Name) && !t.IsPrimaryKeyColumn(c.Name) || hiddenVersioningColumn(t, i) {
			cols[i].Schema = nil
		}
	}
	// message.key.columns names tables 'db.table'.
	e, err := source.NewTable(&s.cfg.Common, t, cols, s.cfg.Topics.DataTopic(id.Catalog, "", id.Table), s.source, id.Catalog+"."+id.Table)
	if err != nil {
		return nil, err
	}
	s.encoders[id] = e
	return e, nil
}

// ddlResult is what applying one DDL statement did.
type ddlResult struct {
	// Changes are the table changes for the history record and the schema change event.
	Changes []schemahistory.TableChange
	// Truncated is the table a TRUNCATE emptied.
	Truncated *relational.TableID
	// Database is the database the statement is about (for the record's databaseName).
	Database string
	// Ignored is true for statements that change no structure (DML, GRANT, ...).
	Ignored bool
}

// errUnparseable wraps DDL the parser cannot read.
var errUnparseable = errors.New("unparseable DDL")

// applyDDL parses sql (run with default database db) and applies it to tables.
func (s *schemaModel) applyDDL(tables *relational.Tables, db, sql string) (ddlResult, error) {
	st, err := ddl.ParseWith(sql, s.ddlOptions)
	if err != nil {
		return ddlResult{}, fmt.Errorf("%w: %w", errUnparseable, err)
	}
	res := ddlResult{Database: db}
	qualify := func(n ddl.Name) relational.TableID {
		d := n.DB
		if d == "" {
			d = db
		}
		return relational.TableID{Catalog: d, Table: n.Table}
	}
	touched := func(ids ...relational.TableID) {
		for _, id := range ids {
			delete(s.encoders, id)
		}
	}
	switch st := st.(type) {
	case nil:
		res.Ignored = true
	case *ddl.Use:
		res.Database = st.Name
		res.Ignored = true
	case *ddl.CreateDatabase:
		res.Database = st.Name
		if st.Charset != "" {
			s.dbCharsets[st.Name] = st.Charset
		}
	case *ddl.AlterDatabase:
		name := st.Name
		if name == "" {
			name = db
		}
		res.Database = name
		if st.Charset != "" {
			s.dbCharsets[name] = st.Charset
		}
	case *ddl.DropDatabase:
		res.Database = st.Name
		for _, id := range tables.IDs() {
			if id.Catalog == st.Name {
				tables.Remove(id)
				touched(id)
				res.Changes = append(res.Changes, schemahistory.TableChange{Type: schemahistory.Drop, ID: id})
			}
		}
	case *ddl.CreateTable:
		id := qualify(st.Name)
		res.Database = id.Catalog
		if st.Temporary {
			res.Ignored = true
			break
		}
		var t *relational.Table
		if st.Like != nil {
			src := tables.Get(qualify(*st.Like))
			if src == nil {
				return res, fmt.Errorf("CREATE TABLE %s LIKE %s: the source table is unknown to the schema model", id, qualify(*st.Like))
			}
			t = src.Clone()
			t.ID = id
		} else {
			if st.IfNotExists && tables.Get(id) != nil {
				break
			}
			t = &relational.Table{ID: id, Comment: st.Comment}
			t.DefaultCharsetName = s.tableCharset(id.Catalog, st.Charset)
			for _, c := range st.Columns {
				t.Columns = append(t.Columns, relColumn(c))
			}
			t.PrimaryKeyColumnNames = keyColumns(st, t.Columns)
			if st.SystemVersioned {
				versionTable(t, rowEndColumn(st.Columns))
			}
			setPeriods(t, st.Periods)
			deriveTypes(t)
		}
		if err := t.Build(); err != nil {
			return res, err
		}
		if _, err := tables.Overwrite(t); err != nil {
			return res, err
		}
		touched(id)
		res.Changes = append(res.Changes, schemahistory.TableChange{Type: schemahistory.Create, ID: id, Table: t})
	case *ddl.AlterTable:
		id := qualify(st.Name)
		res.Database = id.Catalog
		old := tables.Get(id)
		if old == nil {
			// A table outside the model (a filtered database, a table created before the
			// history began): nothing to change.
			res.Ignored = true
			break
		}
		t, newID, err := s.alter(old, st, db)
		if err != nil {
			return res, err
		}
		ch := schemahistory.TableChange{Type: schemahistory.Alter, ID: t.ID, Table: t}
		if newID != id {
			tables.Remove(id)
			ch.PreviousID = id
		}
		if _, err := tables.Overwrite(t); err != nil {
			return res, err
		}
		touched(id, newID)
		res.Changes = append(res.Changes, ch)
	case *ddl.DropTable:
		if st.Temporary {
			res.Ignored = true
			break
		}
		for _, n := range st.Names {
			id := qualify(n)
			res.Database = id.Catalog
			if tables.Remove(id) != nil {
				touched(id)
				res.Changes = append(res.Changes, schemahistory.TableChange{Type: schemahistory.Drop, ID: id})
			}
		}
	case *ddl.RenameTable:
		for i := range st.From {
			from, to := qualify(st.From[i]), qualify(st.To[i])
			res.Database = from.Catalog
			t, err := tables.Rename(from, to)
			if err != nil || t == nil {
				continue
			}
			touched(from, to)
			res.Changes = append(res.Changes, schemahistory.TableChange{Type: schemahistory.Alter, ID: to, PreviousID: from, Table: t})
		}
	case *ddl.TruncateTable:
		id := qualify(st.Name)
		res.Database = id.Catalog
		res.Truncated = &id
	case *ddl.CreateIndex:
		id := qualify(st.Table)
		res.Database = id.Catalog
		t := tables.Get(id)
		if t == nil || !st.Unique || len(t.PrimaryKeyColumnNames) > 0 {
			break
		}
		// Debezium takes a unique index whose columns are all NOT NULL as the key of a table
		// without a primary key.
		key := notNullKey(st.Columns, t.Columns)
		if key == nil {
			break
		}
		nt := t.Clone()
		nt.PrimaryKeyColumnNames = key
		if err := nt.Build(); err != nil {
			return res, err
		}
		if _, err := tables.Overwrite(nt); err != nil {
			return res, err
		}
		touched(id)
		res.Changes = append(res.Changes, schemahistory.TableChange{Type: schemahistory.Alter, ID: id, Table: nt})
	case *ddl.DropIndex:
		res.Database = qualify(st.Table).Catalog
	}
	return res, nil
}

// tableCharset returns a new table's default charset: its own, its database's, or the server's.
func (s *schemaModel) tableCharset(db, own string) string {
	if own != "" {
		return own
	}
	if cs := s.dbCharsets[db]; cs != "" {
		return cs
	}
	return s.serverCharset
}

// alter applies ALTER TABLE specifications to a copy of t.
func (s *schemaModel) alter(t *relational.Table, st *ddl.AlterTable, db string) (*relational.Table, relational.TableID, error) {
	nt := t.Clone()
	newID := t.ID
	find := func(name string) int {
		for i := range nt.Columns {
			if strings.EqualFold(nt.Columns[i].Name, name) {
				return i
			}
		}
		return -1
	}
	place := func(col relational.Column, first bool, after string, at int) error {
		if at >= 0 {
			nt.Columns = append(nt.Columns[:at], nt.Columns[at+1:]...)
		}
		switch {
		case first:
			nt.Columns = append([]relational.Column{col}, nt.Columns...)
		case after != "":
			i := find(after)
			if i < 0 {
				return fmt.Errorf("ALTER TABLE %s: column %q named in AFTER does not exist", t.ID, after)
			}
			nt.Columns = append(nt.Columns[:i+1], append([]relational.Column{col}, nt.Columns[i+1:]...)...)
		case at >= 0:
			nt.Columns = append(nt.Columns[:at], append([]relational.Column{col}, nt.Columns[at:]...)...)
		default:
			nt.Columns = append(nt.Columns, col)
		}
		return nil
	}
	renamePK := func(old, nw string) {
		for i, k := range nt.PrimaryKeyColumnNames {
			if strings.EqualFold(k, old) {
				nt.PrimaryKeyColumnNames[i] = nw
			}
		}
	}
	for _, sp := range st.Specs {
		switch sp.Kind {
		case ddl.AddColumn:
			if i := find(sp.Column.Name); i >= 0 {
				if sp.IfNotExists {
					continue
				}
				// The server accepted the statement, so the model is behind it (a DDL replayed
				// over a history that already has it): take the new definition, as Debezium's
				// table editor does.
				nt.Columns[i] = relColumn(sp.Column)
				continue
			}
			col := relColumn(sp.Column)
			if !sp.First && sp.After == "" && hasHiddenVersioning(nt) {
				// New columns go before the hidden row start and end columns.
				nt.Columns = slices.Insert(nt.Columns, len(nt.Columns)-2, col)
			} else if err := place(col, sp.First, sp.After, -1); err != nil {
				return nil, newID, err
			}
			if sp.Column.PrimaryKey || (sp.Column.Unique && len(nt.PrimaryKeyColumnNames) == 0) {
				// An inline UNIQUE keys a table without a primary key, as in CREATE TABLE.
				nt.PrimaryKeyColumnNames = []string{col.Name}
			}
		case ddl.DropColumn:
			i := find(sp.Old)
			if i < 0 {
				continue // already gone: a replayed DDL, or IF EXISTS
			}
			nt.Columns = append(nt.Columns[:i], nt.Columns[i+1:]...)
			columnDropped(nt, sp.Old)
			var pk []string
			for _, k := range nt.PrimaryKeyColumnNames {
				if !strings.EqualFold(k, sp.Old) {
					pk = append(pk, k)
				}
			}
			nt.PrimaryKeyColumnNames = pk
		case ddl.ModifyColumn, ddl.ChangeColumn:
			i := find(sp.Old)
			if i < 0 {
				if sp.IfExists {
					continue
				}
				return nil, newID, fmt.Errorf("ALTER TABLE %s: column %q to change does not exist", t.ID, sp.Old)
			}
			col := relColumn(sp.Column)
			if nt.IsPrimaryKeyColumn(sp.Old) {
				col.Optional = false
			}
			if err := place(col, sp.First, sp.After, i); err != nil {
				return nil, newID, err
			}
			renamePK(sp.Old, col.Name)
			columnRenamed(nt, sp.Old, col.Name)
		case ddl.RenameColumn:
			i := find(sp.Old)
			if i < 0 {
				return nil, newID, fmt.Errorf("ALTER TABLE %s: column %q to rename does not exist", t.ID, sp.Old)
			}
			nt.Columns[i].Name = sp.New
			renamePK(sp.Old, sp.New)
			columnRenamed(nt, sp.Old, sp.New)
		case ddl.SetDefault:
			if i := find(sp.Old); i >= 0 {
				c := &nt.Columns[i]
				c.HasDefaultValue = true
				c.DefaultValueExpression = relational.String(sp.Default.Value)
				if sp.Default.Null {
					c.DefaultValueExpression.Valid = false
				}
			}
		case ddl.DropDefault:
			if i := find(sp.Old); i >= 0 {
				nt.Columns[i].HasDefaultValue = false
				nt.Columns[i].DefaultValueExpression.Valid = false
			}
		case ddl.AddPrimaryKey:
			if sp.IfNotExists && len(nt.PrimaryKeyColumnNames) > 0 {
				continue
			}
			nt.PrimaryKeyColumnNames = ddl.ExpandPeriods(sp.Columns, periodsOf(nt))
			keyWithRowEnd(nt)
			for _, k := range nt.PrimaryKeyColumnNames {
				if i := find(k); i >= 0 {
					c := &nt.Columns[i]
					c.Optional = false
					// The implicit NULL default of a nullable column goes with its
					// nullability, as in Debezium's parser.
					if c.HasDefaultValue && !c.DefaultValueExpression.Valid {
						c.HasDefaultValue = false
					}
				}
			}
		case ddl.AddUnique:
			// This may later be replaced by a real primary key, as in Debezium.
			if len(nt.PrimaryKeyColumnNames) == 0 {
				if key := notNullKey(sp.Columns, nt.Columns); key != nil {
					nt.PrimaryKeyColumnNames = key
				}
			}
		case ddl.DropPrimaryKey:
			nt.PrimaryKeyColumnNames = nil
		case ddl.RenameTo:
			d := sp.NewName.DB
			if d == "" {
				d = db
			}
			newID = relational.TableID{Catalog: d, Table: sp.NewName.Table}
			nt.ID = newID
		case ddl.ConvertCharset:
			cs := sp.Charset
			if strings.EqualFold(cs, "DEFAULT") {
				cs = s.tableCharset(nt.ID.Catalog, "")
			}
			deriveTypes(nt) // columns added earlier in this statement take the old default first
			nt.DefaultCharsetName = cs
			for i := range nt.Columns {
				if nt.Columns[i].UsesCharset() {
					convertColumnCharset(&nt.Columns[i], cs)
				}
			}
		case ddl.TableCharset:
			if strings.EqualFold(sp.Charset, "DEFAULT") {
				nt.DefaultCharsetName = s.tableCharset(nt.ID.Catalog, "")
			} else if sp.Charset != "" {
				nt.DefaultCharsetName = sp.Charset
			}
		case ddl.AddSystemVersioning:
			var added []*ddl.Column
			for _, o := range st.Specs {
				if o.Kind == ddl.AddColumn {
					added = append(added, o.Column)
				}
			}
			versionTable(nt, rowEndColumn(added))
		case ddl.DropSystemVersioning:
			dropVersioning(nt)
		case ddl.AddPeriod:
			setPeriods(nt, []ddl.Period{sp.Period})
		case ddl.TableComment:
			nt.Comment = sp.Comment
		}
	}
	deriveTypes(nt)
	if err := nt.Build(); err != nil {
		return nil, newID, err
	}
	return nt, newID, nil
}
