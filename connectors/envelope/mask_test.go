package envelope

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
)

// The expected digests were computed with OpenJDK 17 from Debezium's algorithm (MaskStrings'
// HashValueConverter): MessageDigest over the salt's bytes, then v1 the ObjectOutputStream
// serialization of the String, v2 String.getBytes() (UTF-8), as lower-case hex.
var javaDigests = []struct {
	alg, value string
	v2         bool
	want       string
}{
	{"SHA-256", "alice", false, "4bf6f8ac3239dcc968ddbb26bf62cc960303b3f94b2cd162e8ca880ffb67fe08"},
	{"SHA-256", "alice", true, "42fd14c51dc6460e8cfa43028e2ae5d551d0f19ca464a1984d3e214e7c985c1e"},
	{"SHA-256", "h\u00e9llo \U0001F600 \x00x", false, "c18e500ce352aa0bb33071a772a8ec2e316f3042175a3a372dc7d84cf292f01d"},
	{"SHA-256", "h\u00e9llo \U0001F600 \x00x", true, "d67c27588e50e39069217dbb93c9fd34a1ad2cb74e2ecfd228a009b5e17a4dee"},
	{"SHA-256", "", false, "7b061bc77caec9afdc6b986ab6c4de894d58006b32ac0f7ea728404a5cf3a9e5"},
	{"MD5", "alice", false, "59ab8c2381ebcb4fc8f57b480f9fafea"},
	{"md5", "h\u00e9llo \U0001F600 \x00x", true, "bc068ac0a33a9b2e31e6215f89046045"},
	{"SHA-512", "alice", false, "eda9bde008f1c7ac8b6c38704f1549461248e693d2ec5c5b98e4f49bc91e2fc886b16a7c77b1f375abda0f4eaa20be883c9a6cf369695a72004d8d918bb814b1"},
	{"SHA3-256", "h\u00e9llo \U0001F600 \x00x", false, "3ef359aba5c2fe2a2028326cde4ad3aebe6071bec7b1dd7e427875cc3eab665e"},
	{"SHA-1", "", true, "911bf42a9f82923229dcec878eb1f6246bbf6bbc"},
	{"SHA-512/256", "alice", false, "13f1913fc635144952bba3c5899e50a7079a58d304b8d250b43312166f3d5e56"},
}

func maskTable(t *testing.T, config map[string]string) *TableSchema {
	t.Helper()
	n := func(v int) sql.Null[int] { return sql.Null[int]{V: v, Valid: true} }
	tbl, err := relational.NewTable(relational.TableID{Catalog: "inv", Table: "people"}, []relational.Column{
		{Name: "id", JDBCType: relational.TypeVarchar, TypeName: "VARCHAR", Length: n(64)},
		{Name: "name", JDBCType: relational.TypeVarchar, TypeName: "VARCHAR", Length: n(255), Optional: true},
		{Name: "code", JDBCType: relational.TypeChar, TypeName: "CHAR", Length: n(10), Optional: true},
		{Name: "note", JDBCType: relational.TypeLongVarchar, TypeName: "TEXT", Optional: true},
		{Name: "age", JDBCType: relational.TypeInteger, TypeName: "INT", Length: n(11), Optional: true},
		{Name: "short", JDBCType: relational.TypeVarchar, TypeName: "VARCHAR", Length: n(3), Optional: true},
	}, []string{"id"}, "utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	cols := []Column{{Name: "id", Schema: api.StringSchema}, {Name: "name", Schema: api.StringSchema},
		{Name: "code", Schema: api.StringSchema}, {Name: "note", Schema: api.StringSchema},
		{Name: "age", Schema: api.Int32Schema}, {Name: "short", Schema: api.StringSchema}}
	m, err := ParseColumnMappers(config)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := NewTable(TableSpec{Table: tbl, Columns: cols, Topic: "s.inv.people", Source: mysqlSource(t), Mappers: m})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func params(s *api.Schema) string {
	var b []string
	for _, p := range s.Parameters {
		b = append(b, p.Key+"="+p.Value)
	}
	return strings.Join(b, ",")
}

func TestColumnMaskHashAndTruncate(t *testing.T) {
	ts := maskTable(t, map[string]string{
		"column.mask.with.5.chars":                         "inv.people.name, inv.people.age",
		"column.mask.hash.SHA-256.with.salt.CzQMA0cB5K":    "inv\\.people\\.(code|id)",
		"column.mask.hash.v2.SHA-256.with.salt.CzQMA0cB5K": "INV.PEOPLE.NOTE",
		"column.truncate.to.4.chars":                       "inv.people.note,inv.people.short",
	})
	key, val, err := ts.KeyValue([]any{"k1", "Sally", "alice", "h\u00e9llo \U0001F600 \x00x", int32(42), "abc"})
	if err != nil {
		t.Fatal(err)
	}
	// The key is never mapped, only the value.
	if key.Get("id") != "k1" {
		t.Errorf("key id = %v, want k1 unhashed", key.Get("id"))
	}
	want := map[string]any{
		"name":  "*****",
		"code":  "4bf6f8ac32", // SHA-256 v1 of "alice", cut to CHAR(10)
		"note":  "h\u00e9ll",  // truncation wins over the v2 hash: Debezium applies the first rule
		"age":   int32(42),    // masks change character columns only
		"short": "abc",        // VARCHAR(3) cannot exceed 4 characters
	}
	_, val2, _ := ts.KeyValue([]any{"alice", nil, nil, nil, nil, nil})
	if got := val2.Get("id"); got != "4bf6f8ac3239dcc968ddbb26bf62cc960303b3f94b2cd162e8ca880ffb67fe08" {
		t.Errorf("hashed id = %v", got)
	}
	for f, w := range want {
		if got := val.Get(f); got != w {
			t.Errorf("value %s = %#v, want %#v", f, got, w)
		}
	}
	// NULLs: a mask replaces them too, a hash and a truncation keep them.
	if val2.Get("name") != "*****" || val2.Get("code") != nil || val2.Get("note") != nil {
		t.Errorf("nulls: name %#v code %#v note %#v", val2.Get("name"), val2.Get("code"), val2.Get("note"))
	}
	fieldParams := map[string]string{"id": "masked=true", "name": "masked=true", "code": "masked=true",
		"note": "truncateLength=4", "age": "masked=true", "short": ""}
	for f, w := range fieldParams {
		if got := params(ts.ValueSchema().Field(f).Schema); got != w {
			t.Errorf("value field %s parameters %q, want %q", f, got, w)
		}
	}
	if got := params(ts.KeySchema().Field("id").Schema); got != "" {
		t.Errorf("key field parameters %q, want none", got)
	}
}

func TestColumnHashMatchesJava(t *testing.T) {
	for _, c := range javaDigests {
		key := "column.mask.hash." + c.alg + ".with.salt.CzQMA0cB5K"
		if c.v2 {
			key = "column.mask.hash.v2." + c.alg + ".with.salt.CzQMA0cB5K"
		}
		ts := maskTable(t, map[string]string{key: "inv.people.note"})
		_, val, err := ts.KeyValue([]any{"k", nil, nil, c.value, nil, nil})
		if err != nil {
			t.Fatal(err)
		}
		if got := val.Get("note"); got != c.want {
			t.Errorf("%s %q = %v, want %s", key, c.value, got, c.want)
		}
	}
	// Past 65535 bytes Java serializes a long string (TC_LONGSTRING).
	var big strings.Builder
	for i := range 70000 {
		big.WriteByte(byte('a' + i%26))
	}
	ts := maskTable(t, map[string]string{"column.mask.hash.SHA-256.with.salt.s": "inv.people.note"})
	_, val, _ := ts.KeyValue([]any{"k", nil, nil, big.String(), nil, nil})
	if got := val.Get("note"); got != "af352b01024f7481be83236b5c1fc41db50d6ac47a72af0e06426ba75e6c71b4" {
		t.Errorf("long string hash = %v", got)
	}
}

func TestTruncateCountsUTF16Units(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abcdef", 4, "abcd"}, {"ab\U0001F600cd", 4, "ab\U0001F600"}, {"ab\U0001F600cd", 3, "ab"},
		{"h\u00e9llo", 2, "h\u00e9"}, {"abc", 4, "abc"},
	} {
		if got := truncateUTF16(c.in, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestColumnMapperConfigErrors(t *testing.T) {
	for key, want := range map[string]string{
		"column.truncate.to.0.chars":            "positive",
		"column.mask.hash.MD2.with.salt.x":      "not supported",
		"column.mask.hash.v2.WHIRL.with.salt.x": "not supported",
	} {
		if _, err := ParseColumnMappers(map[string]string{key: "a.b.c"}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", key, err, want)
		}
	}
	if _, err := ParseColumnMappers(map[string]string{"column.mask.with.3.chars": "a.(b"}); err == nil {
		t.Error("an invalid column pattern was accepted")
	}
	if m, err := ParseColumnMappers(map[string]string{"column.include.list": "x"}); m != nil || err != nil {
		t.Errorf("no mapping keys: %v, %v", m, err)
	}
	for _, k := range []string{"column.mask.with.12.chars", "column.truncate.to.1.chars", "column.mask.hash.SHA-256.with.salt.a.b", "column.mask.hash.v2.MD5.with.salt.x"} {
		if !IsColumnMapperKey(k) {
			t.Errorf("%s is not recognised", k)
		}
	}
}

// TestMapperAndSourceTypePrecedence: Debezium's first matching column rule decides; a mask
// beats column.propagate.source.type, which beats a hash (as the options comparison with
// Debezium 3.5 and 3.7 shows).
func TestMapperAndSourceTypePrecedence(t *testing.T) {
	n := func(v int) sql.Null[int] { return sql.Null[int]{V: v, Valid: true} }
	tbl, err := relational.NewTable(relational.TableID{Catalog: "inv", Table: "people"}, []relational.Column{
		{Name: "id", JDBCType: relational.TypeInteger, TypeName: "INT", Length: n(11)},
		{Name: "email", JDBCType: relational.TypeVarchar, TypeName: "VARCHAR", Length: n(100), Optional: true},
		{Name: "ssn", JDBCType: relational.TypeVarchar, TypeName: "VARCHAR", Length: n(20), Optional: true},
	}, []string{"id"}, "utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseColumnMappers(map[string]string{"column.mask.hash.SHA-256.with.salt.x": `inv\.people\.email`, "column.mask.with.3.chars": `inv\.people\.ssn`})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseSourceTypes(`inv\.people\.(email|ssn)`, "")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := NewTable(TableSpec{Table: tbl, Topic: "s.inv.people", Source: mysqlSource(t), Mappers: m, SourceTypes: st,
		Columns: []Column{{Name: "id", Schema: api.Int32Schema}, {Name: "email", Schema: api.StringSchema}, {Name: "ssn", Schema: api.StringSchema}}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := ts.Value([]any{int32(1), "a@b", "123"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Get("email") != "a@b" || v.Get("ssn") != "***" {
		t.Fatalf("values %v %v", v.Get("email"), v.Get("ssn"))
	}
	email, ssn := ts.ValueSchema().Field("email").Schema.Parameters, ts.ValueSchema().Field("ssn").Schema.Parameters
	if len(email) != 3 || email[0].Value != "VARCHAR" || len(ssn) != 1 || ssn[0].Key != "masked" {
		t.Fatalf("parameters email %v ssn %v", email, ssn)
	}
}
