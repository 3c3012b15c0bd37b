package schemahistory

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The expected orders are the key orders of real Debezium output: MySQL history records and
// Kafka Connect offsets quoted in testdata/README.md.
func TestJavaHashOrderMatchesDebezium(t *testing.T) {
	for _, want := range [][]string{
		{"ts_sec", "file", "pos", "snapshot"},
		{"ts_sec", "file", "pos", "gtids", "snapshot"},
		{"transaction_id", "ts_sec", "file", "pos", "gtids", "row", "server_id", "event"},
		{"transaction_id", "ts_sec", "file", "pos", "server_id"},
		{"file", "pos", "server_id"},
	} {
		for range 5 {
			shuffled := slices.Clone(want)
			rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if got := javaHashOrder(shuffled); !slices.Equal(got, want) {
				t.Errorf("javaHashOrder(%v) = %v, want %v", shuffled, got, want)
			}
		}
	}
}

func TestJavaStringHash(t *testing.T) {
	// Values of "x".hashCode() printed by Java 21; the last one has a surrogate pair.
	for s, want := range map[string]int32{"": 0, "a": 97, "file": 3143036, "transaction_id": 1010584092, "日本": 835047, "𝄞x": 54944334} {
		if got := javaStringHash(s); got != want {
			t.Errorf("hash(%q) = %d, want %d", s, got, want)
		}
	}
}
