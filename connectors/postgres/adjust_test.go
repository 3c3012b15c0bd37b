package postgres

import (
	"fmt"
	"testing"
)

// TestSchemaNameAdjustment: schema.name.adjustment.mode=avro_unicode makes the table's schema
// names valid Avro names ('-' becomes _u002d, '_' _u005f, as Debezium); the topic keeps its name.
func TestSchemaNameAdjustment(t *testing.T) {
	e := newEnv(t)
	e.exec(fmt.Sprintf(`CREATE TABLE %s."my-tbl" (id int PRIMARY KEY)`, e.schema), fmt.Sprintf(`INSERT INTO %s."my-tbl" VALUES (1)`, e.schema))
	task := e.start("schema.name.adjustment.mode", "avro_unicode", "slot.drop.on.stop", "true")
	rec := e.poll(task, 1)[0]
	if rec.Topic != e.prefix+"."+e.schema+".my-tbl" {
		t.Errorf("topic %s", rec.Topic)
	}
	want := adjustForTest(e.prefix+"."+e.schema) + ".my_u002dtbl"
	if rec.KeySchema.Name != want+".Key" || rec.ValueSchema.Name != want+".Envelope" {
		t.Errorf("schema names %s, %s; want %s.Key/.Envelope", rec.KeySchema.Name, rec.ValueSchema.Name, want)
	}
}

// adjustForTest escapes '_' as avro_unicode does (the test's prefix and schema have no other
// invalid character).
func adjustForTest(s string) string {
	out := ""
	for _, c := range s {
		if c == '_' {
			out += "_u005f"
			continue
		}
		out += string(c)
	}
	return out
}
