package ctl

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"status"}, {"status", "a", "b"}, {"-o", "yaml", "list"}, {"list", "extra"},
		{"set-offset", "c"}, {"set-offset", "c", "--file", "f"}, {"set-offset", "c", "--lsn", "1", "--gtids", "0-1-1"},
		{"completion", "fish"}, {"--bogus"},
	} {
		var out bytes.Buffer
		if code := Run(append([]string{"--url", "http://127.0.0.1:1"}, args...), &out, &out); code != ExitUsage {
			t.Errorf("ctl %q: exit %d, want %d\n%s", args, code, ExitUsage, out.String())
		}
	}
	var out bytes.Buffer
	if code := Tail([]string{"a", "b"}, &out, &out); code != ExitUsage {
		t.Errorf("tail a b: exit %d", code)
	}
}

func TestUnreachableWorkerExit1(t *testing.T) {
	var out bytes.Buffer
	if code := Run([]string{"--url", "http://127.0.0.1:1", "list"}, &out, &out); code != ExitFailed || !strings.Contains(out.String(), "could not reach the worker") {
		t.Errorf("exit %d: %s", code, out.String())
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if code := Run([]string{"--help"}, &out, &out); code != 0 || !strings.Contains(out.String(), "set-offset") {
		t.Errorf("ctl --help: exit %d\n%s", code, out.String())
	}
}

func TestParseTimeAndLSN(t *testing.T) {
	if tm, err := parseTime("1796663913000"); err != nil || tm.UnixMilli() != 1796663913000 {
		t.Errorf("ms: %v %v", tm, err)
	}
	if tm, err := parseTime("2026-12-07T17:18:35.939Z"); err != nil || !tm.Equal(time.Date(2026, 12, 7, 17, 18, 35, 939e6, time.UTC)) {
		t.Errorf("rfc3339: %v %v", tm, err)
	}
	if _, err := parseTime("yesterday"); exitCode(err) != ExitUsage {
		t.Errorf("yesterday: %v", err)
	}
	if l, err := parseLSN("0/16B3748"); err != nil || uint64(l) != 0x16B3748 {
		t.Errorf("0/16B3748: %v %v", l, err)
	}
	if l, err := parseLSN("492200816"); err != nil || uint64(l) != 492200816 {
		t.Errorf("decimal: %v %v", l, err)
	}
	if _, err := parseLSN("x"); exitCode(err) != ExitUsage {
		t.Errorf("x: %v", err)
	}
	if d, seq, ok := splitMariaGTID(" 0-1-17883"); !ok || d != "0" || seq != 17883 {
		t.Errorf("gtid: %s %d %v", d, seq, ok)
	}
	for _, bad := range []string{"0-1", "a-1-2", "0-1-x", "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5"} {
		if _, _, ok := splitMariaGTID(bad); ok {
			t.Errorf("%q accepted as a MariaDB GTID", bad)
		}
	}
}

// TestDescribe covers the envelope shapes tail meets: without and with a JsonConverter schema
// wrapper, updates (only changed columns), deletes, tombstones and records that are not change
// events (schema changes, transaction metadata).
func TestDescribe(t *testing.T) {
	cases := []struct{ key, value, want string }{
		{`{"id":1}`, `{"before":null,"after":{"id":1,"v":"a"},"source":{"db":"d","table":"t","snapshot":"last"},"op":"r"}`,
			`0/7     r         {"id":1}  [d.t.snapshot=last]  id=1  v="a"`},
		{`{"schema":{},"payload":{"id":1}}`, `{"schema":{"type":"struct"},"payload":{"before":{"id":1,"v":"a","w":2},"after":{"id":1,"v":"b","w":2},"source":{"db":"d","table":"t","snapshot":"false"},"op":"u"}}`,
			`0/7     u         {"id":1}  [d.t]  v: "a" -> "b"`},
		{`{"id":2}`, `{"before":{"id":2},"after":null,"op":"d"}`, `0/7     d         {"id":2}`},
		{`{"id":2}`, ``, `0/7     tombstone {"id":2}`},
		{`{"databaseName":"d"}`, `{"ddl":"CREATE TABLE t (id INT)"}`, `0/7     other     {"databaseName":"d"}  ddl="CREATE TABLE t (id INT)"`},
	}
	for _, c := range cases {
		r := &kgo.Record{Key: []byte(c.key), Offset: 7}
		if c.value != "" {
			r.Value = []byte(c.value)
		}
		if got := describe(r).line(); got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.value, got, c.want)
		}
	}
}
