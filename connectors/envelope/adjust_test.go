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
