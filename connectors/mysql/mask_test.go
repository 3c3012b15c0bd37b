package mysql

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/connectd/connectd/connect/api"
)

// TestColumnMaskHashTruncate runs column.mask.with, column.mask.hash (v1 and v2) and
// column.truncate.to against the real server, for snapshot and streamed rows. The v1 digest
// was computed with OpenJDK 17 from Debezium's algorithm (see connectors/envelope/mask_test.go);
// the expected events are what Debezium 3.5.0's MariaDB connector wrote for the same table and
// rows on the test bed's reference worker (checked by hand on 2026-12-07).
func TestColumnMaskHashTruncate(t *testing.T) {
	d := newDB(t)
	d.exec("CREATE TABLE p (id INT PRIMARY KEY, name VARCHAR(100), code CHAR(10), note TEXT, email VARCHAR(255), age INT, e ENUM('x','y'))",
		"INSERT INTO p VALUES (1,'Sally','alice','h\u00e9llo w\u00f6rld','s@x.io',42,'x')")
	q := d.name + `\.p\.`
	cfg := d.config("srvm", "table.include.list", d.name+`\.p`,
		"column.mask.with.5.chars", q+"name,"+q+"age,"+q+"e",
		"column.mask.hash.SHA-256.with.salt.CzQMA0cB5K", q+"code",
		"column.mask.hash.v2.SHA-256.with.salt.CzQMA0cB5K", q+"email",
		"column.truncate.to.4.chars", q+"note")
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	snap := r.pollUntil(1)
	r.waitStreaming()
	d.exec("INSERT INTO p VALUES (2,NULL,'alice','abc','s@x.io',7,NULL)")
	streamed := r.pollUntil(1)
	v2 := sha256.Sum256([]byte("CzQMA0cB5Ks@x.io"))
	email := hex.EncodeToString(v2[:])
	for i, c := range []struct {
		ev   map[string]any
		want map[string]any
	}{
		{decode(t, snap[0]).Value, map[string]any{"id": 1.0, "name": "*****", "code": "4bf6f8ac32", "note": "h\u00e9ll", "email": email, "age": 42.0, "e": "*****"}},
		// A NULL is masked too (Debezium's mask replaces every value); a short value is kept.
		{decode(t, streamed[0]).Value, map[string]any{"id": 2.0, "name": "*****", "code": "4bf6f8ac32", "note": "abc", "email": email, "age": 7.0, "e": "*****"}},
	} {
		after, _ := c.ev["after"].(map[string]any)
		for k, w := range c.want {
			if after[k] != w {
				t.Errorf("event %d: %s = %#v, want %#v", i, k, after[k], w)
			}
		}
	}
	fields := snap[0].ValueSchema.Field("after").Schema
	for name, want := range map[string]string{"name": "masked", "code": "masked", "email": "masked", "age": "masked", "note": "truncateLength"} {
		ps := fields.Field(name).Schema.Parameters
		if len(ps) == 0 || ps[len(ps)-1].Key != want {
			t.Errorf("field %s parameters %v, want %s last", name, ps, want)
		}
	}
	// An ENUM is a CHAR column to Debezium: masked, "masked" after its "allowed" parameter.
	if ps := fields.Field("e").Schema.Parameters; len(ps) != 2 || ps[0].Key != "allowed" || ps[1] != (api.Param{Key: "masked", Value: "true"}) {
		t.Errorf("enum parameters %v", ps)
	}
	if key := decode(t, snap[0]).Key; key["id"] != 1.0 {
		t.Errorf("key %v", key)
	}
}
