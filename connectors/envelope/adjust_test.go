package envelope

import "testing"

// TestSchemaNameAdjustment: the names Debezium 3.5's MariaDB connector wrote on the test bed for
// topic prefix opt-adj-<mode> and table optadj.my-tbl (captured 2026-12-07).
func TestSchemaNameAdjustment(t *testing.T) {
	avro, _ := ParseSchemaNameAdjustment("avro")
	uni, _ := ParseSchemaNameAdjustment("avro_unicode")
	for _, c := range []struct {
		adj      SchemaNameAdjuster
		in, want string
	}{
		{avro, "opt-adj-avro.optadj.my-tbl.Key", "opt_adj_avro.optadj.my_tbl.Key"},
		{uni, "opt-adj-avro_unicode.optadj.my-tbl.Envelope", "opt_u002dadj_u002davro_u005funicode.optadj.my_u002dtbl.Envelope"},
		{avro, "1db.t", "_db.t"},
		{uni, "1db.t", "_u0031db.t"},
	} {
		if got := c.adj(c.in); got != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
	}
	if a, err := ParseSchemaNameAdjustment("none"); a != nil || err != nil {
		t.Errorf("none: %v %v", a, err)
	}
	if _, err := ParseSchemaNameAdjustment("loud"); err == nil {
		t.Error("loud accepted")
	}
}

// TestFieldNameAdjustment follows Debezium's field namers: no '.' in field names, a leading digit
// kept after the '_' (avro) or escaped alone (avro_unicode), '_' escaped under avro_unicode, the
// hex of a UTF-16 unit padded to four digits only from one or two.
func TestFieldNameAdjustment(t *testing.T) {
	avro, _ := ParseFieldNameAdjustment("avro")
	uni, _ := ParseFieldNameAdjustment("AVRO_UNICODE")
	for _, c := range []struct {
		adj      FieldNameAdjuster
		in, want string
	}{
		{avro, "ok_name1", "ok_name1"},
		{avro, "bad-name", "bad_name"},
		{avro, "a.b", "a_b"},
		{avro, "1st", "_1st"},
		{avro, "$x", "_x"},
		{avro, "Änne", "_nne"},
		{uni, "ok_name1", "ok_u005fname1"},
		{uni, "bad-name", "bad_u002dname"},
		{uni, "1st", "_u0031st"},
		{uni, "_x", "_u005fx"},
		{uni, "Ωx", "_u3a9x"},
		{uni, "é", "_u00e9"},
		{uni, "😀", "_ud83d_ude00"},
	} {
		if got := c.adj(c.in); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
	if a, err := ParseFieldNameAdjustment("none"); a != nil || err != nil {
		t.Errorf("none: %v %v", a, err)
	}
	if _, err := ParseFieldNameAdjustment("loud"); err == nil {
		t.Error("loud accepted")
	}
}
