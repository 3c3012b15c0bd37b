package filters

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api/relational"
)

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"a", []string{"a"}},
		{"a, b ,c", []string{"a", "b", "c"}},
		{"a,,b,", []string{"a", "b"}},
		{`x{1\,3},y`, []string{"x{1,3}", "y"}},
		{`db\.t1`, []string{`db\.t1`}},
	}
	for _, tt := range tests {
		if got := SplitList(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestListMatches(t *testing.T) {
	tests := []struct {
		list, s string
		want    bool
	}{
		{"inventory", "inventory", true},
		{"inventory", "INVENTORY", true},   // case-insensitive as Debezium
		{"inventory", "inventory2", false}, // anchored: full match only
		{"inventory", "my_inventory", false},
		{"inv.*", "inventory", true},
		{"a,b", "b", true},
		{`db\.t[0-9]+`, "db.t12", true},
		{`db\.t[0-9]+`, "dbxt12", false},
		{`x{1\,3}`, "xx", true},
		{"", "anything", false},
		{"a|b", "a", true}, // alternation stays inside the anchors
		{"a|b", "ab", false},
	}
	for _, tt := range tests {
		l, err := ParseList(tt.list)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Matches(tt.s); got != tt.want {
			t.Errorf("List(%q).Matches(%q) = %v, want %v", tt.list, tt.s, got, tt.want)
		}
	}
}

func TestFilters(t *testing.T) {
	my := func(db, tbl string) relational.TableID { return relational.TableID{Catalog: db, Table: tbl} }
	pg := func(sch, tbl string) relational.TableID { return relational.TableID{Schema: sch, Table: tbl} }
	tests := []struct {
		name string
		cfg  Config
		id   relational.TableID
		want bool
	}{
		{"no lists", Config{}, my("db", "t"), true},
		{"db include hit", Config{DatabaseInclude: "inventory"}, my("inventory", "t"), true},
		{"db include miss", Config{DatabaseInclude: "inventory"}, my("other", "t"), false},
		{"db exclude", Config{DatabaseExclude: "mysql,sys"}, my("SYS", "t"), false},
		{"table include", Config{TableInclude: `inventory\.orders`}, my("inventory", "orders"), true},
		{"table include other", Config{TableInclude: `inventory\.orders`}, my("inventory", "items"), false},
		{"table include case", Config{TableInclude: `inventory\.orders`}, my("Inventory", "ORDERS"), true},
		{"table exclude", Config{TableExclude: `.*\.audit_.*`}, my("db", "audit_log"), false},
		{"db and table include", Config{DatabaseInclude: "a", TableInclude: `b\.t`}, my("b", "t"), false},
		{"schema include", Config{SchemaInclude: "public"}, pg("public", "t"), true},
		{"schema include miss", Config{SchemaInclude: "public"}, pg("private", "t"), false},
		{"pg table include", Config{TableInclude: `public\.t`}, pg("public", "t"), true},
		{"signal always", Config{TableInclude: `db\.t`, SignalDataCollection: "db.debezium_signal"}, my("db", "debezium_signal"), true},
		{"signal other db", Config{DatabaseInclude: "app", SignalDataCollection: "ops.signal"}, my("ops", "signal"), true},
	}
	for _, tt := range tests {
		f, err := New(tt.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := f.IncludeTable(tt.id); got != tt.want {
			t.Errorf("%s: IncludeTable(%v) = %v, want %v", tt.name, tt.id, got, tt.want)
		}
	}
}

func TestColumns(t *testing.T) {
	id := relational.TableID{Catalog: "inventory", Table: "customers"}
	tests := []struct {
		cfg  Config
		col  string
		want bool
	}{
		{Config{}, "email", true},
		{Config{ColumnExclude: `inventory\.customers\.email`}, "email", false},
		{Config{ColumnExclude: `inventory\.customers\.email`}, "EMAIL", false},
		{Config{ColumnExclude: `inventory\.customers\.email`}, "name", true},
		{Config{ColumnExclude: `.*\.password`}, "password", false},
		{Config{ColumnInclude: `inventory\.customers\.(id|name)`}, "id", true},
		{Config{ColumnInclude: `inventory\.customers\.(id|name)`}, "email", false},
	}
	for _, tt := range tests {
		f, err := New(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.IncludeColumn(id, tt.col); got != tt.want {
			t.Errorf("%+v: IncludeColumn(%q) = %v, want %v", tt.cfg, tt.col, got, tt.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		cfg   Config
		wants []string
	}{
		{Config{DatabaseInclude: "a", DatabaseExclude: "b"}, []string{"database.include.list", "database.exclude.list", "mutually exclusive"}},
		{Config{TableInclude: "a", TableExclude: "b"}, []string{"table.include.list", "table.exclude.list"}},
		{Config{ColumnInclude: "a", ColumnExclude: "b"}, []string{"column.include.list", "column.exclude.list"}},
		{Config{SchemaInclude: "a", SchemaExclude: "b"}, []string{"schema.include.list", "schema.exclude.list"}},
		{Config{TableInclude: "(a"}, []string{"table.include.list", `"(a"`}},
		{Config{TableExclude: `(a)\1`}, []string{"table.exclude.list"}},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil {
			t.Errorf("New(%+v) succeeded", tt.cfg)
			continue
		}
		for _, w := range tt.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%+v) error %q lacks %q", tt.cfg, err, w)
			}
		}
	}
	_, err := New(Config{TableInclude: "a", TableExclude: "b"})
	if !errors.Is(err, ErrIncludeAndExclude) {
		t.Errorf("error %v does not wrap ErrIncludeAndExclude", err)
	}
}

func TestConfigFrom(t *testing.T) {
	c := ConfigFrom(map[string]string{"table.include.list": "x", "column.exclude.list": "y", "signal.data.collection": "db.s"})
	if c.TableInclude != "x" || c.ColumnExclude != "y" || c.SignalDataCollection != "db.s" {
		t.Fatalf("%+v", c)
	}
}

func BenchmarkIncludeTable(b *testing.B) {
	f, _ := New(Config{TableInclude: `inventory\.orders,inventory\.customers,app\..*`})
	id := relational.TableID{Catalog: "app", Table: "events"}
	for b.Loop() {
		f.IncludeTable(id)
	}
}

func TestBuiltin(t *testing.T) {
	tests := []struct {
		cfg  Config
		id   relational.TableID
		want bool
	}{
		{Config{Builtin: MySQLBuiltin}, relational.TableID{Catalog: "mysql", Table: "user"}, false},
		{Config{Builtin: MySQLBuiltin}, relational.TableID{Catalog: "Performance_Schema", Table: "x"}, false},
		{Config{Builtin: MySQLBuiltin}, relational.TableID{Catalog: "inventory", Table: "x"}, true},
		{Config{}, relational.TableID{Catalog: "mysql", Table: "user"}, true},
		{Config{Builtin: MySQLBuiltin, DatabaseInclude: "mysql"}, relational.TableID{Catalog: "mysql", Table: "user"}, false},
		{Config{Builtin: PostgresBuiltin}, relational.TableID{Schema: "pg_catalog", Table: "pg_class"}, false},
		{Config{Builtin: PostgresBuiltin}, relational.TableID{Schema: "pg_temp_3", Table: "t"}, false},
		{Config{Builtin: PostgresBuiltin}, relational.TableID{Schema: "public", Table: "spatial_ref_sys"}, false},
		{Config{Builtin: PostgresBuiltin}, relational.TableID{Schema: "public", Table: "orders"}, true},
		{Config{Builtin: MySQLBuiltin, SignalDataCollection: "mysql.signal"}, relational.TableID{Catalog: "mysql", Table: "signal"}, true},
	}
	for _, tt := range tests {
		f, err := New(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.IncludeTable(tt.id); got != tt.want {
			t.Errorf("IncludeTable(%v) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
