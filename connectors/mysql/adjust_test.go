package mysql

import "testing"

// TestSchemaNameAdjustment: schema.name.adjustment.mode=avro makes the table's schema names
// valid Avro names as Debezium 3.5 does ('-' becomes '_'); the topic keeps its name.
func TestSchemaNameAdjustment(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE `my-tbl` (id INT PRIMARY KEY)", "INSERT INTO `my-tbl` VALUES (1)")
	r, err := startTask(t, d.config("opt-adj", "table.include.list", d.name+`\.my-tbl`, "schema.name.adjustment.mode", "avro"), &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	rec := r.pollUntil(1)[0]
	if rec.Topic != "opt-adj."+d.name+".my-tbl" {
		t.Errorf("topic %s", rec.Topic)
	}
	want := "opt_adj." + d.name + ".my_tbl"
	if rec.KeySchema.Name != want+".Key" || rec.ValueSchema.Name != want+".Envelope" || rec.ValueSchema.Field("after").Schema.Name != want+".Value" {
		t.Errorf("schema names %s, %s, %s; want %s.Key/.Envelope/.Value", rec.KeySchema.Name, rec.ValueSchema.Name, rec.ValueSchema.Field("after").Schema.Name, want)
	}
}
