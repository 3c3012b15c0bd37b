package jsonconv

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/connectd/connectd/tests/testbed"
)

// runGen compiles testdata/gen/Gen.java with the test bed's javac and runs it on java, writing
// what Kafka's own JsonConverter makes of every case into a fresh directory.
func runGen(t *testing.T, java string) string {
	t.Helper()
	libs := testbed.KafkaLibs(t)
	classes := t.TempDir()
	src := filepath.Join("testdata", "gen", "Gen.java")
	if out, err := exec.Command(testbed.Javac(t), "--release", "17", "-d", classes, "-cp", libs+"/*", src).CombinedOutput(); err != nil {
		t.Fatalf("javac Gen.java: %v\n%s", err, out)
	}
	out := t.TempDir()
	cmd := exec.Command(java, "-cp", classes+string(os.PathListSeparator)+libs+"/*", "Gen", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s Gen: %v\n%s", java, err, b)
	}
	return out
}

// differingFiles returns the names of the files in dir whose bytes differ from the committed
// golden file of the same name, and fails on a file present on one side only.
func differingFiles(t *testing.T, dir string) []string {
	t.Helper()
	got, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Gen.java wrote %d files, %d are committed in %s", len(got), len(want), goldenDir)
	}
	var diff []string
	for _, e := range got {
		g, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.ReadFile(filepath.Join(goldenDir, e.Name()))
		if err != nil {
			t.Fatalf("Gen.java wrote %s, which is not committed: %v", e.Name(), err)
		}
		if !bytes.Equal(g, w) {
			diff = append(diff, e.Name())
		}
	}
	sort.Strings(diff)
	return diff
}

// TestGoldensFromJava21 runs Gen.java on Java 21 — the JDK Kafka Connect's and Debezium's images
// run — and checks that Kafka's JsonConverter still writes exactly the committed goldens, so they
// cannot drift from what a Kafka Connect user's worker writes.
func TestGoldensFromJava21(t *testing.T) {
	if diff := differingFiles(t, runGen(t, testbed.Java21(t))); len(diff) > 0 {
		t.Errorf("on Java 21 Kafka's JsonConverter writes other bytes than the goldens for %v; regenerate with testdata/gen/gen.sh (JDK 19+) and check the diff", diff)
	}
}

// TestJava17Differences pins down how a worker on JDK 17 (also supported by Kafka 4.x) differs
// from the goldens: JDK 17's Double.toString and Float.toString (FloatingDecimal, before JDK-4511638
// was fixed in JDK 19) print some numbers with more or other digits. Only the float cases may
// differ, and every differing number must still read back as the same double or float — the
// same value in other digits, never another value.
func TestJava17Differences(t *testing.T) {
	dir := runGen(t, testbed.Java(t))
	diff := differingFiles(t, dir)
	if !slices.Contains(diff, "floats_s0.json") {
		t.Fatalf("on JDK 17 floats_s0.json (which holds 1e23 and 2^-44) should differ from the golden; differing: %v", diff)
	}
	for _, name := range diff {
		if !strings.HasPrefix(name, "floats") {
			t.Errorf("on JDK 17 %s differs from the golden; only the float cases may", name)
		}
	}
	differentDigits := 0
	for _, name := range diff {
		g, _ := os.ReadFile(filepath.Join(dir, name))
		w, _ := os.ReadFile(filepath.Join(goldenDir, name))
		differentDigits += sameNumbers(t, name, g, w)
	}
	// 1e23 and 2^-44 are the textbook cases (JDK 17: 9.999999999999999E22, 5.6843418860808015E-14).
	if differentDigits < 2 {
		t.Errorf("only %d numbers printed differently on JDK 17; the known cases 1e23 and 2^-44 should be among them", differentDigits)
	}
	t.Logf("JDK 17 prints %d numbers with other digits than JDK 21, all the same values", differentDigits)
}

// sameNumbers walks two JSON documents of the same shape and checks that every number reads back
// as the same value (as a float under a key "f", Gen.java's float arrays, else as a double); it
// returns how many numbers were written with other digits.
func sameNumbers(t *testing.T, name string, got, want []byte) int {
	t.Helper()
	var g, w any
	for _, x := range []struct {
		b []byte
		v *any
	}{{got, &g}, {want, &w}} {
		d := json.NewDecoder(bytes.NewReader(x.b))
		d.UseNumber()
		if err := d.Decode(x.v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	n := 0
	var walk func(path string, bits int, g, w any)
	walk = func(path string, bits int, g, w any) {
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok || len(gv) != len(wv) {
				t.Errorf("%s %s: object shapes differ", name, path)
				return
			}
			for k, v := range wv {
				b := bits
				if k == "f" {
					b = 32
				}
				walk(path+"."+k, b, gv[k], v)
			}
		case []any:
			gv, ok := g.([]any)
			if !ok || len(gv) != len(wv) {
				t.Errorf("%s %s: array lengths differ", name, path)
				return
			}
			for i := range wv {
				walk(path+"["+strconv.Itoa(i)+"]", bits, gv[i], wv[i])
			}
		case json.Number:
			gv, ok := g.(json.Number)
			if !ok {
				t.Errorf("%s %s: %v where the golden has the number %s", name, path, g, wv)
				return
			}
			if gv == wv {
				return
			}
			a, errA := strconv.ParseFloat(string(gv), bits)
			b, errB := strconv.ParseFloat(string(wv), bits)
			if errA != nil || errB != nil || a != b {
				t.Errorf("%s %s: JDK 17 wrote %s, the golden %s: another value, not only other digits", name, path, gv, wv)
				return
			}
			n++
		default:
			if g != w {
				t.Errorf("%s %s: %v, golden %v", name, path, g, w)
			}
		}
	}
	walk("$", 64, g, w)
	return n
}
