package offsets

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/testbed"
)

// goldenCase is the Go twin of an offset() call in testdata/gen/GenGoldens.java. Java Integer is
// int, Long int64, Short int16, Byte int8, Float float32, Double float64.
type goldenCase struct {
	connector string
	partition map[string]any
	offset    map[string]any
}

func goldenCases() map[string]goldenCase {
	big := make(map[string]any)
	for i := 0; i < 30; i++ {
		big[fmt.Sprintf("field%02d", i)] = int64(i)
	}
	return map[string]goldenCase{
		"mysql": {"inventory-connector", map[string]any{"server": "dbserver1"}, map[string]any{
			"server_id": int64(223344), "ts_sec": int64(1700000000), "file": "mysql-bin.000003", "pos": int64(154),
			"row": 1, "event": int64(2)}},
		"mysql-gtid-snapshot": {"inventory-connector", map[string]any{"server": "dbserver1"}, map[string]any{
			"server_id": int64(1), "gtids": "0-1-42,1-2-7", "file": "mariadb-bin.000001", "pos": int64(4), "snapshot": "INITIAL"}},
		"mysql-incremental": {"inventory-connector", map[string]any{"server": "dbserver1"}, map[string]any{
			"server_id": int64(223344), "ts_sec": int64(1700000000), "file": "mysql-bin.000003", "pos": int64(154),
			"event": int64(2), "row": 1, "transaction_id": nil,
			"incremental_snapshot_collections":   `[{"incremental_snapshot_collections_id":"db.t"}]`,
			"incremental_snapshot_window_opened": false,
			"incremental_snapshot_primary_key":   "aced0005", "incremental_snapshot_maximum_key": "aced0006",
			"gtids": "0-1-42"}},
		"postgres": {"pg-connector", map[string]any{"server": "pgserver1"}, map[string]any{
			"ts_usec": int64(1700000000123456), "lsn": int64(24023128), "txId": int64(555), "lsn_proc": int64(24023128),
			"lsn_commit": int64(24023000), "messageType": "INSERT"}},
		"postgres-snapshot": {"pg-connector", map[string]any{"server": "pgserver1"}, map[string]any{
			"ts_usec": int64(1700000000123456), "lsn": int64(24023128), "txId": int64(555), "snapshot": true,
			"last_snapshot_record": false}},
		"sqlserver": {"sqlserver-connector", map[string]any{"server": "server1", "database": "testDB"}, map[string]any{
			"commit_lsn": "00000025:00000d98:00a2", "change_lsn": "00000025:00000d98:0002", "event_serial_no": int64(1)}},
		"sqlserver-task": {"sqlserver-connector", map[string]any{"server": "server1", "database": "testDB", "task_id": "0"}, map[string]any{
			"commit_lsn": "00000025:00000d98:00a2", "snapshot": "INITIAL", "snapshot_completed": false}},
		"filestream": {"local-file-source", map[string]any{"filename": "/tmp/test.txt"}, map[string]any{"position": int64(1234)}},
		"escapes": {"we\"ird\\name/é€😀", map[string]any{"k\tey": "a\nb\rc\bd\fe\u0001f\u001fg\u007fh</script>"}, map[string]any{
			"ctl": "\u0000\u0008\u000b", "uni": "日本語 ünïcödé 🚀", "slash": "/a/b/"}},
		"numbers": {"n", map[string]any{"id": 7}, map[string]any{
			"int": 42, "neg": int64(-17), "max": int64(math.MaxInt64), "min": int64(math.MinInt64),
			"d1": 1.5, "d2": 100.0, "d3": 1.0e7, "d4": 0.001, "d5": 9.999999e-4, "d6": 123456.789,
			"d7": math.Copysign(0, -1), "d8": 1.0e-300, "d9": 0.1, "f1": float32(1.1)}},
		"nonfinite": {"n", map[string]any{"id": 8}, map[string]any{"nan": math.NaN(), "inf": math.Inf(1), "ninf": math.Inf(-1)}},
		"types": {"t", map[string]any{"b": true}, map[string]any{
			"t": true, "f": false, "nul": nil, "bytes": []byte{0, 1, 2, 250, 255}, "short": int16(3), "byte": int8(-4)}},
		"empty-partition": {"e", map[string]any{}, map[string]any{"x": int64(1)}},
		"tombstone":       {"inventory-connector", map[string]any{"server": "dbserver1"}, nil},
		"big":             {"b", map[string]any{"server": "s"}, big},
	}
}

type goldenLine struct {
	kind, name string
	fields     []string
}

func readGoldens(t *testing.T, data []byte) []goldenLine {
	t.Helper()
	var out []goldenLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		out = append(out, goldenLine{kind: f[0], name: f[1], fields: f[2:]})
	}
	return out
}

func unb64(t *testing.T, s string) []byte {
	t.Helper()
	if s == "-" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("bad base64 %q: %v", s, err)
	}
	return b
}

// TestGoldenBytes compares our encoder with the bytes Kafka Connect's JsonConverter wrote for the
// same data (testdata/golden.tsv, from testdata/gen/GenGoldens.java), the partition with the one
// Java's murmur2 picked, and our decode-then-encode of hand-written records with JsonConverter's.
func TestGoldenBytes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "golden.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	cases := goldenCases()
	seen := 0
	for _, g := range readGoldens(t, data) {
		t.Run(g.kind+"/"+g.name, func(t *testing.T) {
			switch g.kind {
			case "offset":
				c, ok := cases[g.name]
				if !ok {
					t.Fatalf("no Go twin for golden case %q", g.name)
				}
				seen++
				wantKey, wantValue := unb64(t, g.fields[0]), unb64(t, g.fields[1])
				wantPart, _ := strconv.Atoi(g.fields[2])
				key, err := EncodeKey(c.connector, c.partition)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(key, wantKey) {
					t.Errorf("key\n got %s\nwant %s", key, wantKey)
				}
				value, err := EncodeOffset(c.offset)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(value, wantValue) {
					t.Errorf("value\n got %s\nwant %s", value, wantValue)
				}
				if p := PartitionFor(key, 25); p != int32(wantPart) {
					t.Errorf("partition %d, Java's default partitioner picked %d", p, wantPart)
				}
				// kgo's default keyed partitioner must agree, for producers that use it.
				if p := kgo.StickyKeyPartitioner(nil).ForTopic("t").Partition(&kgo.Record{Key: wantKey}, 25); p != wantPart {
					t.Errorf("kgo's StickyKeyPartitioner picked %d, Java %d", p, wantPart)
				}
				// What Java wrote decodes and encodes back to the same bytes.
				conn, part, err := DecodeKey(wantKey)
				if err != nil {
					t.Fatal(err)
				}
				again, _ := EncodeKey(conn, part)
				if !bytes.Equal(again, wantKey) {
					t.Errorf("key round trip\n got %s\nwant %s", again, wantKey)
				}
				off, err := DecodeOffset(wantValue)
				if err != nil {
					t.Fatal(err)
				}
				againV, _ := EncodeOffset(off)
				if !bytes.Equal(againV, wantValue) {
					t.Errorf("value round trip\n got %s\nwant %s", againV, wantValue)
				}
			case "roundtrip":
				in, want := unb64(t, g.fields[0]), unb64(t, g.fields[1])
				var got []byte
				if bytes.HasPrefix(bytes.TrimSpace(in), []byte("[")) {
					conn, part, err := DecodeKey(in)
					if err != nil {
						t.Fatal(err)
					}
					got, _ = EncodeKey(conn, part)
				} else {
					off, err := DecodeOffset(in)
					if err != nil {
						t.Fatal(err)
					}
					got, _ = EncodeOffset(off)
				}
				if bytes.Equal(got, want) {
					return
				}
				// JsonConverter reads an object into a HashMap in text order, so keys sharing a
				// bucket keep the operator's order; ours follow Debezium's insertion order. Such
				// values must still hold the same fields and the same bytes per field.
				wantOff, err1 := DecodeOffset(want)
				gotOff, err2 := DecodeOffset(got)
				if err1 != nil || err2 != nil || len(got) != len(want) || !reflect.DeepEqual(gotOff, wantOff) || bytes.HasPrefix(in, []byte("[")) {
					t.Errorf("normalised\n got %s\nwant %s (JsonConverter)", got, want)
				}
			case "murmur2":
				in := unb64(t, g.fields[0])
				h, _ := strconv.ParseInt(g.fields[1], 10, 32)
				p25, _ := strconv.Atoi(g.fields[2])
				p7, _ := strconv.Atoi(g.fields[3])
				if got := Murmur2(in); got != int32(h) {
					t.Errorf("murmur2 %d, Java %d", got, h)
				}
				if got := PartitionFor(in, 25); got != int32(p25) {
					t.Errorf("partition of 25: %d, Java %d", got, p25)
				}
				if got := PartitionFor(in, 7); got != int32(p7) {
					t.Errorf("partition of 7: %d, Java %d", got, p7)
				}
			default:
				t.Fatalf("unknown golden kind %q", g.kind)
			}
		})
	}
	if seen != len(cases) {
		t.Errorf("%d Go cases, %d in the golden file: regenerate it with testdata/gen/gen.sh", len(cases), seen)
	}
}

// TestGoldensFromJava runs testdata/gen/GenGoldens.java on the test bed's Kafka jars and checks
// that the real JsonConverter still writes exactly the committed goldens, so they cannot drift
// from what Kafka Connect does.
func TestGoldensFromJava(t *testing.T) {
	libs := testbed.KafkaLibs(t)
	javac := testbed.Javac(t)
	dir := t.TempDir()
	src := filepath.Join("testdata", "gen", "GenGoldens.java")
	if out, err := exec.Command(javac, "-d", dir, "-cp", libs+"/*", src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(testbed.Java(t), "-cp", dir+string(os.PathListSeparator)+libs+"/*", "GenGoldens")
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("java GenGoldens: %v\n%s", err, stderr.Bytes())
	}
	want, err := os.ReadFile(filepath.Join("testdata", "golden.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the Java JsonConverter now writes other bytes than testdata/golden.tsv; regenerate with testdata/gen/gen.sh and check the diff:\n%s", got)
	}
}
