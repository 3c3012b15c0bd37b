package mysql

import (
	"fmt"
	"testing"
)

// TestPropagateSourceTypes: column.propagate.source.type and datatype.propagate.source.type add
// the __debezium.source.column.* parameters to value fields (never key fields) exactly as
// Debezium 3.5's MariaDB connector did for the same table and configuration on the test bed's
// reference worker (captured 2026-12-07: type, length when known, scale when known, name, after
// the field's own parameters).
func TestPropagateSourceTypes(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE t1 (id INT PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), ts DATETIME(3), f FLOAT, e ENUM('a','b'), b BIGINT UNSIGNED NOT NULL DEFAULT 0, other INT)",
		"INSERT INTO t1 VALUES (1,'x',1.5,NOW(),1.0,'a',5,1)")
	cfg := d.config("srvst", "table.include.list", d.name+`\.t1`,
		"column.propagate.source.type", d.name+`\.t1\.name,`+d.name+`\.t1\.id`,
		"datatype.propagate.source.type", `.+\.DECIMAL,.+\.DATETIME,.+\.ENUM,.+\.FLOAT,.+\.BIGINT UNSIGNED`)
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	rec := r.pollUntil(1)[0]
	want := map[string]string{
		"id":    "[{__debezium.source.column.type INT} {__debezium.source.column.length 11} {__debezium.source.column.name id}]",
		"name":  "[{__debezium.source.column.type VARCHAR} {__debezium.source.column.length 20} {__debezium.source.column.name name}]",
		"price": "[{scale 2} {connect.decimal.precision 10} {__debezium.source.column.type DECIMAL} {__debezium.source.column.length 10} {__debezium.source.column.scale 2} {__debezium.source.column.name price}]",
		"ts":    "[{__debezium.source.column.type DATETIME} {__debezium.source.column.length 3} {__debezium.source.column.name ts}]",
		"f":     "[{__debezium.source.column.type FLOAT} {__debezium.source.column.name f}]",
		"e":     "[{allowed a,b} {__debezium.source.column.type ENUM} {__debezium.source.column.length 1} {__debezium.source.column.name e}]",
		"b":     "[{__debezium.source.column.type BIGINT UNSIGNED} {__debezium.source.column.length 20} {__debezium.source.column.name b}]",
		"other": "[]",
	}
	after := rec.ValueSchema.Field("after").Schema
	for field, w := range want {
		if got := fmt.Sprint(after.Field(field).Schema.Parameters); got != w && !(w == "[]" && got == "[]") {
			t.Errorf("%s parameters %s, want %s", field, got, w)
		}
	}
	if ps := rec.KeySchema.Field("id").Schema.Parameters; len(ps) != 0 {
		t.Errorf("key field parameters %v, want none", ps)
	}
}
