package postgres

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestColumnMaskHashTruncate runs column.mask.with, column.mask.hash (v1 and v2) and
// column.truncate.to against the real server, for snapshot and streamed rows. The v1 digest
// was computed with OpenJDK 17 from Debezium's algorithm (see connectors/envelope/mask_test.go);
// the expected events are what Debezium 3.7.0's PostgreSQL connector wrote for the same table and
// rows on the test bed's reference worker (checked by hand on 2026-12-07).
func TestColumnMaskHashTruncate(t *testing.T) {
	e := newEnv(t)
	e.exec("CREATE TABLE "+e.schema+".p (id int PRIMARY KEY, name varchar(100), code char(10), note text, email varchar(255), age int)",
		"INSERT INTO "+e.schema+".p VALUES (1,'Sally','alice','h\u00e9llo w\u00f6rld','s@x.io',42)")
	q := e.schema + `\.p\.`
	task := e.start("snapshot.mode", "initial",
		"column.mask.with.5.chars", q+"name,"+q+"age",
		"column.mask.hash.SHA-256.with.salt.CzQMA0cB5K", q+"code",
		"column.mask.hash.v2.SHA-256.with.salt.CzQMA0cB5K", q+"email",
		"column.truncate.to.4.chars", q+"note")
	snap := e.poll(task, 1)
	e.waitStreaming(task)
	e.exec("INSERT INTO " + e.schema + ".p VALUES (2,NULL,'alice','abc','s@x.io',7)")
	streamed := e.poll(task, 1)
	v2 := sha256.Sum256([]byte("CzQMA0cB5Ks@x.io"))
	email := hex.EncodeToString(v2[:])
	// char(10) keeps its padding ("alice     "): SHA-256 v1 of it (OpenJDK 17), cut to 10.
	const padded = "ec3048cc36"
	for i, c := range []struct {
		after map[string]any
		want  map[string]any
	}{
		{decode(snap[0]).after, map[string]any{"id": int32(1), "name": "*****", "code": padded, "note": "h\u00e9ll", "email": email, "age": int32(42)}},
		// A NULL is masked too (Debezium's mask replaces every value); a short value is kept.
		{decode(streamed[0]).after, map[string]any{"id": int32(2), "name": "*****", "code": padded, "note": "abc", "email": email, "age": int32(7)}},
	} {
		for k, w := range c.want {
			if c.after[k] != w {
				t.Errorf("event %d: %s = %#v, want %#v", i, k, c.after[k], w)
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
	if k := decode(snap[0]).key; k["id"] != int32(1) {
		t.Errorf("key %v", k)
	}
}
