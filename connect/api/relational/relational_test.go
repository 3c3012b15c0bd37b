package relational

import (
	"errors"
	"slices"
	"testing"
)

func TestTableIDForms(t *testing.T) {
	cases := []struct {
		id           TableID
		plain, quote string
	}{
		{TableID{Catalog: "inventory", Table: "customers"}, "inventory.customers", `"inventory"."customers"`},
		{TableID{Schema: "public", Table: "orders"}, "public.orders", `"public"."orders"`},
		{TableID{Catalog: "db", Schema: "dbo", Table: "t"}, "db.dbo.t", `"db"."dbo"."t"`},
		{TableID{Table: "t"}, "t", `"t"`},
		{TableID{Catalog: "a.b", Table: `we"ird`}, `a.b.we"ird`, `"a.b"."we""ird"`},
		// Debezium leaves a part alone when it already starts or ends with a quote.
		{TableID{Catalog: "db", Table: `"q"`}, `db."q"`, `"db"."q"`},
		{TableID{Catalog: "db", Table: `x"`}, `db.x"`, `"db".x"`},
		{TableID{Catalog: "db", Table: ""}, "db.", `"db".""`},
	}
	for _, c := range cases {
		if got := c.id.String(); got != c.plain {
			t.Errorf("%+v.String() = %q, want %q", c.id, got, c.plain)
		}
		if got := c.id.DoubleQuoted(); got != c.quote {
			t.Errorf("%+v.DoubleQuoted() = %q, want %q", c.id, got, c.quote)
		}
	}
}

func TestParseTableID(t *testing.T) {
	cases := []struct {
		in           string
		catalogFirst bool
		want         TableID
	}{
		{`"inventory"."customers"`, true, TableID{Catalog: "inventory", Table: "customers"}},
		{`"public"."orders"`, false, TableID{Schema: "public", Table: "orders"}},
		{`"db"."dbo"."t"`, true, TableID{Catalog: "db", Schema: "dbo", Table: "t"}},
		{`"db"."dbo"."t"`, false, TableID{Catalog: "db", Schema: "dbo", Table: "t"}},
		{`inventory.customers`, true, TableID{Catalog: "inventory", Table: "customers"}},
		{"  `db` . 'tbl'  ", true, TableID{Catalog: "db", Table: "tbl"}},
		{`"a.b"."we""ird"`, true, TableID{Catalog: "a.b", Table: `we"ird`}},
		{`t`, true, TableID{Table: "t"}},
		{`"db".""`, true, TableID{Catalog: "db"}},
		{`"日本"."表"`, true, TableID{Catalog: "日本", Table: "表"}},
	}
	for _, c := range cases {
		got, err := ParseTableID(c.in, c.catalogFirst)
		if err != nil || got != c.want {
			t.Errorf("ParseTableID(%q, %v) = %+v, %v; want %+v", c.in, c.catalogFirst, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "   ", "a..b", "a.", ".a", `"open`, "a b", "a.b.c.d"} {
		if id, err := ParseTableID(bad, true); !errors.Is(err, ErrInvalidTableID) {
			t.Errorf("ParseTableID(%q) = %+v, %v; want ErrInvalidTableID", bad, id, err)
		}
	}
}

func TestTableIDQuoteRoundTrip(t *testing.T) {
	for _, id := range []TableID{
		{Catalog: "inventory", Table: "customers"},
		{Catalog: "x", Schema: "y.z", Table: `a"b"c`},
		{Catalog: "it's", Table: "back`tick"},
	} {
		got, err := ParseTableID(id.DoubleQuoted(), true)
		if err != nil || got != id {
			t.Errorf("parse(%q) = %+v, %v; want %+v", id.DoubleQuoted(), got, err, id)
		}
	}
}

func customers(t *testing.T) *Table {
	t.Helper()
	tbl, err := NewTable(TableID{Catalog: "inventory", Table: "customers"}, []Column{
		{Name: "id", JDBCType: TypeInteger, TypeName: "INT", TypeExpression: "INT", AutoIncremented: true, Generated: true},
		{Name: "first_name", JDBCType: TypeVarchar, TypeName: "VARCHAR", TypeExpression: "VARCHAR", Length: Int(255)},
		{Name: "Email", JDBCType: TypeVarchar, TypeName: "VARCHAR", TypeExpression: "VARCHAR", Length: Int(255),
			CharsetName: "latin1", Optional: true, DefaultValueExpression: String("")},
	}, []string{"id"}, "utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestTableBuild(t *testing.T) {
	tbl := customers(t)
	for i, c := range tbl.Columns {
		if c.Position != i+1 {
			t.Errorf("column %s position %d, want %d", c.Name, c.Position, i+1)
		}
	}
	if got := tbl.Column("FIRST_NAME"); got == nil || got.CharsetName != "utf8mb4" {
		t.Errorf("first_name: %+v; want the table's charset filled in", got)
	}
	if got := tbl.Column("id"); got.CharsetName != "" {
		t.Errorf("an INT column got charset %q", got.CharsetName)
	}
	if got := tbl.Column("email"); got == nil || got.CharsetName != "latin1" || !got.HasDefaultValue {
		t.Errorf("email: %+v; want its own charset kept and a default", got)
	}
	if tbl.ColumnIndex("nope") != -1 || tbl.Column("nope") != nil {
		t.Error("a missing column was found")
	}
	if pk := tbl.PrimaryKeyColumns(); len(pk) != 1 || pk[0].Name != "id" {
		t.Errorf("primary key columns %v", pk)
	}
	if !tbl.IsPrimaryKeyColumn("ID") || tbl.IsPrimaryKeyColumn("email") {
		t.Error("IsPrimaryKeyColumn is wrong")
	}
	if got := tbl.ColumnNames(); !slices.Equal(got, []string{"id", "first_name", "Email"}) {
		t.Errorf("ColumnNames = %v", got)
	}

	if _, err := NewTable(TableID{Table: "t"}, []Column{{Name: "a"}, {Name: "A"}}, nil, ""); !errors.Is(err, ErrInvalidTable) {
		t.Errorf("duplicate column names: %v", err)
	}
	if _, err := NewTable(TableID{Table: "t"}, []Column{{Name: "a"}}, []string{"b"}, ""); !errors.Is(err, ErrInvalidTable) {
		t.Errorf("primary key on a missing column: %v", err)
	}
	if _, err := NewTable(TableID{Catalog: "db"}, nil, nil, ""); !errors.Is(err, ErrInvalidTable) {
		t.Errorf("table without a name: %v", err)
	}
}

func TestTableUnbuiltLookups(t *testing.T) {
	tbl := &Table{ID: TableID{Table: "t"}, Columns: []Column{{Name: "A"}, {Name: "b"}}, PrimaryKeyColumnNames: []string{"b"}}
	if tbl.ColumnIndex("a") != 0 || tbl.Column("B") == nil {
		t.Error("lookups on an unbuilt table must scan")
	}
	if pk := tbl.PrimaryKeyColumns(); len(pk) != 1 || pk[0].Name != "b" {
		t.Errorf("pk %v", pk)
	}
}

func TestTableCloneIsDeep(t *testing.T) {
	tbl := customers(t)
	tbl.Columns[0].EnumValues = []string{"x"}
	c := tbl.Clone()
	if !c.Equal(tbl) {
		t.Fatal("clone differs")
	}
	c.Columns[0].EnumValues[0] = "y"
	c.Columns[1].Name = "renamed"
	c.PrimaryKeyColumnNames[0] = "renamed"
	if tbl.Columns[0].EnumValues[0] != "x" || tbl.Columns[1].Name != "first_name" || tbl.PrimaryKeyColumnNames[0] != "id" {
		t.Error("editing the clone changed the original")
	}
}

func TestTablesOverwriteRemoveRename(t *testing.T) {
	s := NewTables(false)
	tbl := customers(t)
	if prev, err := s.Overwrite(tbl); err != nil || prev != nil {
		t.Fatalf("Overwrite = %v, %v", prev, err)
	}
	if s.Get(tbl.ID) != tbl || s.Len() != 1 {
		t.Fatal("Get after Overwrite")
	}
	if s.Get(TableID{Catalog: "inventory", Table: "CUSTOMERS"}) != nil {
		t.Error("case-sensitive set found a table under another case")
	}
	if _, err := s.Overwrite(&Table{ID: TableID{Table: "bad"}, PrimaryKeyColumnNames: []string{"x"}}); err == nil {
		t.Error("Overwrite accepted an invalid table")
	}
	if s.Len() != 1 {
		t.Error("a failed Overwrite changed the set")
	}

	to := TableID{Catalog: "inventory", Table: "clients"}
	renamed, err := s.Rename(tbl.ID, to)
	if err != nil || renamed.ID != to || s.Get(tbl.ID) != nil || s.Get(to) != renamed {
		t.Fatalf("Rename = %v, %v", renamed, err)
	}
	if tbl.ID.Table != "customers" {
		t.Error("Rename changed the original table value")
	}
	if _, err := s.Rename(tbl.ID, to); err == nil {
		t.Error("renaming a missing table succeeded")
	}
	other := customers(t)
	if _, err := s.Overwrite(other); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rename(other.ID, to); err == nil {
		t.Error("renaming onto an existing table succeeded")
	}

	if got := s.DrainChanges(); !slices.Equal(got, []TableID{to, tbl.ID}) {
		t.Errorf("DrainChanges = %v", got)
	}
	if got := s.DrainChanges(); len(got) != 0 {
		t.Errorf("second DrainChanges = %v", got)
	}
	if s.Remove(to) == nil || s.Remove(to) != nil || s.Len() != 1 {
		t.Error("Remove")
	}
}

func TestTablesCaseInsensitive(t *testing.T) {
	s := NewTables(true)
	tbl := customers(t)
	if _, err := s.Overwrite(tbl); err != nil {
		t.Fatal(err)
	}
	if s.Get(TableID{Catalog: "inventory", Table: "CUSTOMERS"}) != tbl {
		t.Error("case-insensitive lookup by table name failed")
	}
	if s.Get(TableID{Catalog: "INVENTORY", Table: "customers"}) != nil {
		t.Error("the catalog must still compare exactly, as Debezium's")
	}
	if _, err := s.Rename(tbl.ID, TableID{Catalog: "inventory", Table: "Customers"}); err != nil {
		t.Errorf("renaming to another case: %v", err)
	}
	if got := s.IDs(); len(got) != 1 || got[0].Table != "Customers" {
		t.Errorf("IDs = %v; the set keeps the id as given", got)
	}
}

func TestTablesCloneCopyOnWrite(t *testing.T) {
	s := NewTables(false)
	a := customers(t)
	if _, err := s.Overwrite(a); err != nil {
		t.Fatal(err)
	}
	c := s.Clone()
	b := a.Clone()
	b.ID.Table = "other"
	if _, err := c.Overwrite(b); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 1 || c.Len() != 2 {
		t.Fatalf("after changing the clone: original %d tables, clone %d", s.Len(), c.Len())
	}
	s.Remove(a.ID)
	if c.Get(a.ID) != a || s.Len() != 0 {
		t.Error("removing from the original changed the clone")
	}
	if len(c.DrainChanges()) != 1 {
		t.Error("a clone must start without the original's changes")
	}
}

func TestTablesFilterAndDatabase(t *testing.T) {
	s := NewTables(false)
	for _, id := range []TableID{
		{Catalog: "b", Table: "t2"}, {Catalog: "a", Table: "t1"}, {Catalog: "b", Table: "t1"}, {Catalog: "c", Table: "x"},
	} {
		if _, err := s.Overwrite(&Table{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for tbl := range s.Filter(func(id TableID) bool { return id.Catalog != "c" }) {
		got = append(got, tbl.ID.String())
	}
	if want := []string{"a.t1", "b.t1", "b.t2"}; !slices.Equal(got, want) {
		t.Errorf("Filter = %v, want %v", got, want)
	}
	n := 0
	for range s.All() {
		n++
		break
	}
	if n != 1 {
		t.Error("All did not stop when the loop broke")
	}
	s.RemoveDatabase("b", "")
	if got := s.String(); got != "Tables[a.t1, c.x]" {
		t.Errorf("after RemoveDatabase: %s", got)
	}
	c := s.Clone()
	c.Clear()
	if s.Len() != 2 || c.Len() != 0 {
		t.Error("Clear on a clone")
	}
}
