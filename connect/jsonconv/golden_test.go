// The golden files under testdata/golden were written by Kafka's own JsonConverter (Kafka 4.3.1,
// JDK 25) from the cases of testdata/gen/Gen.java, which cases_test.go rebuilds in Go. To
// regenerate them after changing both (needs Maven's jars or $CONNECTD_TEST_KAFKA_LIBS, and a
// JDK 19 or newer):
//
//	connect/jsonconv/testdata/gen/gen.sh
//
// These tests need no Java: the golden files are committed. java_test.go re-runs Gen.java on the
// test bed's Java 21 (TestGoldensFromJava21: the goldens must still be what Kafka writes) and on
// JDK 17 (TestJava17Differences: which numbers a JDK 17 worker prints with other digits).

package jsonconv

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api"
)

const goldenDir = "testdata/golden"

// golden reads a case's expected outcome: the bytes (.json), a tombstone (.null) or an error
// (.err, holding Java's message).
func golden(t *testing.T, name string) (want []byte, tombstone, fails bool) {
	t.Helper()
	found := 0
	if b, err := os.ReadFile(filepath.Join(goldenDir, name+".json")); err == nil {
		want, found = b, found+1
	}
	if _, err := os.Stat(filepath.Join(goldenDir, name+".null")); err == nil {
		tombstone, found = true, found+1
	}
	if _, err := os.Stat(filepath.Join(goldenDir, name+".err")); err == nil {
		fails, found = true, found+1
	}
	if found != 1 {
		t.Fatalf("case %s: want exactly one golden file (.json, .null or .err), found %d; run testdata/gen/gen.sh", name, found)
	}
	return want, tombstone, fails
}

func TestGoldenEncode(t *testing.T) {
	cases := goldenCases(t)
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			want, tombstone, fails := golden(t, c.name)
			conv, err := New(c.props, c.isKey)
			if err != nil {
				t.Fatal(err)
			}
			prefix := []byte("prefix:")
			got, err := conv.Encode(bytes.Clone(prefix), c.schema, c.value)
			switch {
			case fails:
				if err == nil {
					t.Fatalf("Encode succeeded with %s; Kafka fails with: %s", got, readErr(t, c.name))
				}
				if !bytes.Equal(got, prefix) {
					t.Errorf("Encode failed but changed dst to %q", got)
				}
				var ce *ConversionError
				if !errors.As(err, &ce) {
					t.Errorf("error %v is not a *ConversionError", err)
				}
				return
			case err != nil:
				t.Fatalf("Encode: %v", err)
			case tombstone:
				if !IsTombstone(c.schema, c.value) || !bytes.Equal(got, prefix) {
					t.Fatalf("Kafka writes a tombstone; got %q (IsTombstone %v)", got, IsTombstone(c.schema, c.value))
				}
				return
			}
			if !bytes.HasPrefix(got, prefix) {
				t.Fatalf("Encode did not append to dst: %q", got)
			}
			got = got[len(prefix):]
			if !bytes.Equal(got, want) {
				t.Fatalf("bytes differ from Kafka's JsonConverter at byte %d\n got: %s\nwant: %s", firstDiff(got, want), got, want)
			}
		})
	}
	// Every golden file must belong to a case, so a case dropped from Go but not from Java shows.
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".txt") {
			continue // data files read by the cases themselves
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".null"), ".err")
		if !seen[base] {
			t.Errorf("golden file %s has no Go case in cases_test.go", name)
		}
	}
}

func readErr(t *testing.T, name string) string {
	b, _ := os.ReadFile(filepath.Join(goldenDir, name+".err"))
	return strings.TrimSpace(string(b))
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestGoldenRoundTrip decodes every Kafka-written envelope and encodes the result again: the bytes
// must come back identical, so nothing (types, order, defaults, scales) is lost on the way.
func TestGoldenRoundTrip(t *testing.T) {
	for _, c := range goldenCases(t) {
		if !strings.HasSuffix(c.name, "_s1") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(goldenDir, c.name+".json"))
			if err != nil {
				t.Skip("no bytes for this case")
			}
			conv, err := New(c.props, c.isKey)
			if err != nil {
				t.Fatal(err)
			}
			schema, value, err := conv.Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if c.schema != nil && !schema.Equal(c.schema) {
				t.Errorf("decoded schema differs from the original")
			}
			again, err := conv.Encode(nil, schema, value)
			if err != nil {
				t.Fatalf("Encode after Decode: %v", err)
			}
			if schema == nil && !bytes.Equal(again, data) {
				// Schemaless objects decode to Go maps, which forget Java's order inside a
				// hash bucket: the values must survive, the order is javafmt.DebeziumHashMapOrder's.
				_, v2, err := conv.Decode(again)
				if err != nil || !api.ValueEqual(v2, value) {
					t.Fatalf("schemaless round trip changed the value: %v (err %v)", v2, err)
				}
				return
			}
			if !bytes.Equal(again, data) {
				t.Fatalf("round trip changed the bytes at %d\n got: %s\nwant: %s", firstDiff(again, data), again, data)
			}
			// The same schema text decodes to the same pointer, so per-schema caches hit.
			schema2, _, err := conv.Decode(data)
			if err != nil || schema2 != schema {
				t.Errorf("second Decode gave schema %p (err %v), want cached %p", schema2, err, schema)
			}
		})
	}
}

// TestGoldenDecodeValues checks that decoding gives back the values that were encoded, for cases
// where encoding lost nothing (no default written in place of a nil, no NUMERIC rescale).
func TestGoldenDecodeValues(t *testing.T) {
	for _, name := range []string{"prim_set_s1", "prim_nulls_s1", "nested_s1", "nested_opt_s1", "maps_s1", "maps_empty_s1",
		"logical_base64_s1", "floats_s1", "strings_s1", "envelope_key_s1", "opt_defaults_keepnull_s1", "top_map_intkeys_s1"} {
		t.Run(name, func(t *testing.T) {
			var c goldenCase
			for _, x := range goldenCases(t) {
				if x.name == name {
					c = x
				}
			}
			data, err := os.ReadFile(filepath.Join(goldenDir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			conv, _ := New(c.props, c.isKey)
			_, v, err := conv.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if !api.ValueEqual(v, c.value) {
				t.Fatalf("decoded value differs:\n got %v\nwant %v", v, c.value)
			}
		})
	}
}
