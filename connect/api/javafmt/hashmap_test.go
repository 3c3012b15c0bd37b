package javafmt

import (
	"bufio"
	"cmp"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestStringHash(t *testing.T) {
	// Values of "...".hashCode() printed by jshell (JDK 21).
	for s, want := range map[string]int32{
		"":               0,
		"a":              97,
		"server":         -905826493,
		"database":       1789464955,
		"pos":            111188,
		"file":           3143036,
		"gtids":          98682539,
		"server_id":      -197437545,
		"transaction_id": 1010584092,
		"é":              233,
		"日本":             835047,
		"😀":              1772899,
		"𝄞x":             54944334,
	} {
		if got := StringHash(s); got != want {
			t.Errorf("StringHash(%q) = %d, want %d", s, got, want)
		}
	}
	// Invalid UTF-8 hashes as the U+FFFD characters AppendString writes for it.
	for _, s := range []string{"a\xffb", "\xe4\xb8 ", "\xed\xa0\x80", "x\xf4\x90\x80\x80", "\xc3"} {
		quoted := string(AppendString(nil, s))
		if got, want := StringHash(s), StringHash(quoted[1:len(quoted)-1]); got != want {
			t.Errorf("StringHash(%q) = %d, want %d, the hash of %s", s, got, want, quoted)
		}
	}
}

func TestHashMapTableSize(t *testing.T) {
	for n, want := range map[int]int{0: 16, 1: 16, 12: 16, 13: 32, 24: 32, 25: 64, 48: 64, 49: 128} {
		if got := HashMapTableSize(n); got != want {
			t.Errorf("HashMapTableSize(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestHashMapOrderGolden compares HashMapOrder with the iteration orders java.util.HashMap gave
// (testdata/hashmap_order.txt), from one key to 100 (which takes the large-map path).
func TestHashMapOrderGolden(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "hashmap_order.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var in []string
	n, large := 0, 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "in:"):
			in = goldenFields(line[len("in:"):])
		case strings.HasPrefix(line, "out:"):
			want := goldenFields(line[len("out:"):])
			got := HashMapOrder(slices.Clone(in))
			if !slices.Equal(got, want) {
				t.Errorf("keys put in the order %q:\n got %q\nwant %q", in, got, want)
			}
			n++
			if len(in) > smallMap {
				large++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 10 || large == 0 {
		t.Fatalf("only %d key sets (%d large) in hashmap_order.txt", n, large)
	}
}

// goldenFields splits a hashmap_order.txt line; Gen.java writes NUL as \0.
func goldenFields(s string) []string {
	out := strings.Fields(s)
	for i := range out {
		out[i] = strings.ReplaceAll(out[i], `\0`, "\x00")
	}
	return out
}

func TestHashMapOrderKeepsPutOrderInABucket(t *testing.T) {
	// "Aa" and "BB" have the same hash code: the one put first iterates first.
	if got := HashMapOrder([]string{"BB", "Aa"}); !slices.Equal(got, []string{"BB", "Aa"}) {
		t.Errorf("got %q", got)
	}
	if got := HashMapOrder([]string{"Aa", "BB"}); !slices.Equal(got, []string{"Aa", "BB"}) {
		t.Errorf("got %q", got)
	}
	// It sorts in place.
	keys := []string{"pos", "file"}
	HashMapOrder(keys)
	if !slices.Equal(keys, []string{"file", "pos"}) {
		t.Errorf("keys not sorted in place: %q", keys)
	}
}

// Key orders of real Debezium output: MySQL history records and Kafka Connect offsets (quoted in
// schemahistory/testdata/README.md), and the offsets Kafka Connect wrote in
// offsets/testdata/golden.tsv for maps put in Debezium's order.
var debeziumOutputs = [][]string{
	{"ts_sec", "file", "pos", "snapshot"},
	{"ts_sec", "file", "pos", "gtids", "snapshot"},
	{"transaction_id", "ts_sec", "file", "pos", "gtids", "row", "server_id", "event"},
	{"transaction_id", "ts_sec", "file", "pos", "server_id"},
	{"file", "pos", "server_id"},
	{"ts_sec", "file", "pos", "row", "server_id", "event"},
	{"server", "database"},
	{"server", "database", "task_id"},
}

func TestDebeziumHashMapOrderMatchesDebezium(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, want := range debeziumOutputs {
		for range 5 {
			shuffled := slices.Clone(want)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if got := DebeziumHashMapOrder(shuffled); !slices.Equal(got, want) {
				t.Errorf("DebeziumHashMapOrder(%v) = %v, want %v", shuffled, got, want)
			}
		}
	}
}

// TestDebeziumPutOrderAgreesWithConnectors checks that, for each map a Debezium connector
// builds, ordering its keys as a Go map gives what HashMap gives for the put sequence of
// Debezium's source (see debeziumPutOrder's comment for where each comes from).
func TestDebeziumPutOrderAgreesWithConnectors(t *testing.T) {
	tx := []string{"transaction_id", "transaction_data_collection_order_inventory.customers",
		"transaction_data_collection_order_inventory.orders"}
	incremental := []string{"incremental_snapshot_primary_key", "incremental_snapshot_maximum_key",
		"incremental_snapshot_collections", "incremental_snapshot_correlation_id"}
	withContexts := func(keys ...string) []string {
		return slices.Concat(keys, tx, incremental)
	}
	for name, putOrder := range map[string][]string{
		"partition sqlserver": {"server", "database"},
		"mysql snapshot":      {"server_id", "gtids", "file", "pos", "event", "row", "ts_sec", "snapshot"},
		"mysql streaming":     withContexts("server_id", "gtids", "file", "pos", "event", "row", "ts_sec"),
		"postgres snapshot": {"ts_usec", "txId", "lsn", "xmin", "snapshot", "last_snapshot_record",
			"snapshot_completed", "lsn_proc", "lsn_commit", "messageType", "lsn_events_processed"},
		"postgres streaming": withContexts("ts_usec", "txId", "lsn", "xmin", "lsn_proc", "lsn_commit",
			"messageType", "lsn_events_processed"),
		"sqlserver snapshot":  {"snapshot", "snapshot_completed", "commit_lsn", "change_lsn", "event_serial_no"},
		"sqlserver streaming": withContexts("commit_lsn", "change_lsn", "event_serial_no"),
	} {
		// Every prefix: Debezium leaves keys out (no GTIDs, no row to skip, no transaction).
		for n := 1; n <= len(putOrder); n++ {
			for skip := -1; skip < n; skip++ {
				keys := slices.Clone(putOrder[:n])
				if skip >= 0 {
					keys = slices.Delete(keys, skip, skip+1)
				}
				want := HashMapOrder(slices.Clone(keys))
				slices.Reverse(keys)
				if got := DebeziumHashMapOrder(keys); !slices.Equal(got, want) {
					t.Errorf("%s, keys %q:\n got %q\nwant %q (HashMap)", name, want, got, want)
				}
			}
		}
	}
}

func TestDebeziumHashMapOrderUnknownKeys(t *testing.T) {
	// "Aa" and "BB" share a bucket and Debezium puts neither: byte order decides.
	for _, in := range [][]string{{"BB", "Aa"}, {"Aa", "BB"}} {
		if got := DebeziumHashMapOrder(slices.Clone(in)); !slices.Equal(got, []string{"Aa", "BB"}) {
			t.Errorf("DebeziumHashMapOrder(%q) = %q", in, got)
		}
	}
	// A key Debezium puts comes before one it does not, in the same bucket: "server_id" and
	// "event" share bucket 12 of 16 with the made-up key below.
	odd := ""
	for c := 'a'; c <= 'z' && odd == ""; c++ {
		for d := 'a'; d <= 'z'; d++ {
			k := "x" + string(c) + string(d)
			if bucket(k, 15) == bucket("event", 15) {
				odd = k
				break
			}
		}
	}
	if odd == "" {
		t.Fatal("no two-letter key shares event's bucket")
	}
	if got := DebeziumHashMapOrder([]string{odd, "event", "server_id"}); !slices.Equal(got, []string{"server_id", "event", odd}) {
		t.Errorf("got %q", got)
	}
}

// TestSortPathsAgree checks both sorts (insertion sort up to smallMap keys, the general one
// above) against a plain statement of the order, on random key sets of 2 to 40 keys.
func TestSortPathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	known := []string{"server_id", "event", "transaction_id", "incremental_snapshot_correlation_id", "gtids", "change_lsn"}
	for range 300 {
		n := 2 + r.IntN(39)
		var keys []string
		for len(keys) < n {
			k := known[r.IntN(len(known))]
			if r.IntN(2) == 0 {
				b := make([]byte, 1+r.IntN(3))
				for i := range b {
					b[i] = "ab_AB"[r.IntN(5)]
				}
				k = string(b)
			}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		mask := uint32(HashMapTableSize(n) - 1)
		for _, debezium := range []bool{false, true} {
			want := slices.Clone(keys)
			slices.SortStableFunc(want, func(a, b string) int {
				if c := cmp.Compare(bucket(a, mask), bucket(b, mask)); c != 0 || !debezium {
					return c
				}
				switch {
				case putBefore(a, b):
					return -1
				case putBefore(b, a):
					return 1
				}
				return 0
			})
			if got := sortByBucket(slices.Clone(keys), debezium); !slices.Equal(got, want) {
				t.Fatalf("%d keys, debezium=%v:\n got %q\nwant %q", n, debezium, got, want)
			}
		}
	}
}

func TestHashMapOrderAllocatesNothing(t *testing.T) {
	keys := []string{"server_id", "ts_sec", "gtids", "file", "pos", "event", "row", "transaction_id"}
	if n := testing.AllocsPerRun(100, func() { DebeziumHashMapOrder(keys) }); n != 0 {
		t.Errorf("DebeziumHashMapOrder allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { HashMapOrder(keys) }); n != 0 {
		t.Errorf("HashMapOrder allocates %v times", n)
	}
}
