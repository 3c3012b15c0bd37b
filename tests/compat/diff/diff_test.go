package diff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rec builds a record of a single-partition topic.
func rec(topic string, offset int64, key, value string) Record {
	var k, v []byte
	if key != "" {
		k = []byte(key)
	}
	if value != "" {
		v = []byte(value)
	}
	return NewRecord(topic, 0, offset, k, v, nil)
}

func dump(prefix string, rs ...Record) *Dump {
	d := &Dump{Manifest: Manifest{Prefix: prefix, Connector: "conn-" + prefix, OffsetsTopic: "offs-" + prefix}}
	for _, r := range rs {
		switch {
		case r.Topic == d.Manifest.OffsetsTopic:
			d.Add(OffsetsTopic, r)
		default:
			d.Add(LogicalTopic(prefix, r.Topic), r)
		}
	}
	d.sortRecords()
	return d
}

func mustRules(t *testing.T, js string) *Rules {
	t.Helper()
	r, err := ParseRules([]byte(js))
	if err != nil {
		t.Fatalf("ParseRules: %v", err)
	}
	return r
}

const eventTimeRules = `{"rules":[
 {"id":"names","check":"names","reason":"configured"},
 {"id":"event-time","paths":["value.ts_ms","value.source.ts_ms"],"check":"type","reason":"wall clock"}
]}`

func TestCompareFindsValueDifference(t *testing.T) {
	theirs := dump("dbz", rec("dbz.db.orders", 0, `{"id":1}`, `{"before":null,"after":{"id":1,"amount":"AZA="},"op":"c","ts_ms":1}`))
	ours := dump("dbz", rec("dbz.db.orders", 0, `{"id":1}`, `{"before":null,"after":{"id":1,"amount":"AZB="},"op":"c","ts_ms":1}`))
	rep := Compare(ours, theirs, mustRules(t, eventTimeRules))
	if len(rep.Differences) != 1 {
		t.Fatalf("want 1 difference, got %+v", rep.Differences)
	}
	d := rep.Differences[0]
	if d.Topic != "${prefix}.db.orders" || d.Index != 0 || d.Path != "value.after.amount" || d.Ours != `"AZB="` || d.Theirs != `"AZA="` {
		t.Errorf("unexpected difference %+v", d)
	}
	var b strings.Builder
	if err := rep.WriteText(&b, 0); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"${prefix}.db.orders record 0", "value.after.amount", `ours:   "AZB="`, `theirs: "AZA="`, "1 differences"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestCompareAllowsTimestampsButNotTheirType(t *testing.T) {
	rules := mustRules(t, eventTimeRules)
	theirs := dump("dbz", rec("dbz.db.t", 0, `{"id":1}`, `{"op":"c","source":{"ts_ms":100},"ts_ms":200}`))
	ours := dump("dbz", rec("dbz.db.t", 0, `{"id":1}`, `{"op":"c","source":{"ts_ms":101},"ts_ms":201}`))
	rep := Compare(ours, theirs, rules)
	if rep.HasDifferences() {
		t.Fatalf("allowed differences reported: %+v", rep.Differences)
	}
	if rep.Allowed["event-time"] != 2 {
		t.Errorf("want 2 allowed event-time differences, got %v", rep.Allowed)
	}
	// The same difference without the rule is found.
	if rep := Compare(ours, theirs, nil); len(rep.Differences) != 2 {
		t.Errorf("without rules want 2 differences, got %+v", rep.Differences)
	}
	// A timestamp written as a string is not a timestamp.
	ours = dump("dbz", rec("dbz.db.t", 0, `{"id":1}`, `{"op":"c","source":{"ts_ms":100},"ts_ms":"200"}`))
	rep = Compare(ours, theirs, rules)
	if len(rep.Differences) != 1 || !strings.Contains(rep.Differences[0].Problem, "type differs") {
		t.Errorf("want a type difference at value.ts_ms, got %+v", rep.Differences)
	}
	// A timestamp that is missing is not allowed either.
	ours = dump("dbz", rec("dbz.db.t", 0, `{"id":1}`, `{"op":"c","source":{"ts_ms":100}}`))
	if rep := Compare(ours, theirs, rules); len(rep.Differences) != 1 {
		t.Errorf("want the missing ts_ms reported, got %+v", rep.Differences)
	}
}

func TestCompareSchemasEnvelopeIsTransparentToRules(t *testing.T) {
	rules := mustRules(t, eventTimeRules)
	schema := `{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"dbz.db.t.Envelope"}`
	theirs := dump("dbz", rec("dbz.db.t", 0, "", `{"schema":`+schema+`,"payload":{"ts_ms":1}}`))
	oursSchema := strings.Replace(schema, "dbz.db.t", "ours.db.t", 1)
	ours := dump("ours", rec("ours.db.t", 0, "", `{"schema":`+oursSchema+`,"payload":{"ts_ms":2}}`))
	rep := Compare(ours, theirs, rules)
	if rep.HasDifferences() {
		t.Fatalf("want no differences (prefix in the schema name, ts_ms allowed), got %+v", rep.Differences)
	}
	// A schema difference is reported under value.schema.
	bad := strings.Replace(oursSchema, `"optional":false,"field"`, `"optional":true,"field"`, 1)
	ours = dump("ours", rec("ours.db.t", 0, "", `{"schema":`+bad+`,"payload":{"ts_ms":2}}`))
	rep = Compare(ours, theirs, rules)
	if len(rep.Differences) != 1 || rep.Differences[0].Path != "value.schema.fields[0].optional" {
		t.Errorf("want one difference at value.schema.fields[0].optional, got %+v", rep.Differences)
	}
	// Without schemas on our side, the missing schema is a difference unless ignored.
	ours = dump("ours", rec("ours.db.t", 0, "", `{"ts_ms":2}`))
	rep = Compare(ours, theirs, rules)
	if len(rep.Differences) != 1 || rep.Differences[0].Path != "value.schema" {
		t.Errorf("want the missing schema reported at value.schema, got %+v", rep.Differences)
	}
	if err := rules.Add(Rule{ID: "no-schemas", Paths: []string{"value.$schema"}, Check: CheckIgnore, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if rep := Compare(ours, theirs, rules); rep.HasDifferences() {
		t.Errorf("with value.$schema ignored want no differences, got %+v", rep.Differences)
	}
}

func TestCompareNamesRule(t *testing.T) {
	theirs := dump("dbz_pg", rec("dbz_pg.s.t", 0, `{"id":1}`, `{"source":{"name":"dbz_pg","schema":"s"},"op":"c"}`))
	ours := dump("connectd_pg", rec("connectd_pg.s.t", 0, `{"id":1}`, `{"source":{"name":"connectd_pg","schema":"s"},"op":"c"}`))
	if rep := Compare(ours, theirs, mustRules(t, eventTimeRules)); rep.HasDifferences() {
		t.Errorf("prefix in source.name should be allowed: %+v", rep.Differences)
	}
	rep := Compare(ours, theirs, nil)
	if len(rep.Differences) != 1 || rep.Differences[0].Path != "value.source.name" {
		t.Errorf("without the names rule want source.name reported, got %+v", rep.Differences)
	}
	// A name that merely contains the prefix is not rewritten.
	ours = dump("connectd_pg", rec("connectd_pg.s.t", 0, `{"id":1}`, `{"source":{"name":"connectd_pg_other","schema":"s"},"op":"c"}`))
	if rep := Compare(ours, theirs, mustRules(t, eventTimeRules)); len(rep.Differences) != 1 {
		t.Errorf("want a different source.name found, got %+v", rep.Differences)
	}
}

func TestCompareMemberOrderAndNumberLiterals(t *testing.T) {
	theirs := dump("p", rec("p.d.t", 0, `{"id":1}`, `{"a":1.0,"b":2}`))
	ours := dump("p", rec("p.d.t", 0, `{"id":1}`, `{"b":2,"a":1.0}`))
	rep := Compare(ours, theirs, nil)
	if len(rep.Differences) != 1 || rep.Differences[0].Problem != "member order differs" || rep.Differences[0].Ours != "b,a" {
		t.Fatalf("want a member order difference, got %+v", rep.Differences)
	}
	rules := mustRules(t, `{"rules":[{"id":"o","paths":["value"],"check":"any-order","reason":"test"}]}`)
	if rep := Compare(ours, theirs, rules); rep.HasDifferences() || rep.Allowed["o"] != 1 {
		t.Errorf("any-order should allow it: %+v %v", rep.Differences, rep.Allowed)
	}
	// JsonConverter writes a double 1 as 1.0; 1 is a different byte sequence.
	ours = dump("p", rec("p.d.t", 0, `{"id":1}`, `{"a":1,"b":2}`))
	rep = Compare(ours, theirs, nil)
	if len(rep.Differences) != 1 || rep.Differences[0].Path != "value.a" {
		t.Errorf("want 1 vs 1.0 reported at value.a, got %+v", rep.Differences)
	}
}

func TestCompareMissingAndExtra(t *testing.T) {
	theirs := dump("p",
		rec("p.d.t", 0, `{"id":1}`, `{"op":"c"}`),
		rec("p.d.t", 1, `{"id":1}`, `{"op":"d"}`),
		rec("p.d.t", 2, `{"id":1}`, ""), // tombstone
		rec("p.d.gone", 0, `{"id":1}`, `{"op":"r"}`),
	)
	ours := dump("p",
		rec("p.d.t", 0, `{"id":1}`, `{"op":"c"}`),
		rec("p.d.t", 1, `{"id":1}`, `{"op":"d"}`),
		rec("p.d.extra", 0, `{"id":1}`, `{"op":"r"}`),
	)
	rep := Compare(ours, theirs, nil)
	var problems []string
	for _, d := range rep.Differences {
		problems = append(problems, d.Topic+": "+d.Problem)
	}
	want := []string{
		"${prefix}.d.extra: topic only in ours",
		"${prefix}.d.gone: topic missing in ours",
		"${prefix}.d.t: record missing in ours",
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}

func TestCompareTombstoneAgainstValue(t *testing.T) {
	theirs := dump("p", rec("p.d.t", 0, `{"id":1}`, ""))
	ours := dump("p", rec("p.d.t", 0, `{"id":1}`, `{"op":"d"}`))
	rep := Compare(ours, theirs, nil)
	if len(rep.Differences) != 1 || !strings.Contains(rep.Differences[0].Problem, "type differs: ours object, theirs null") {
		t.Errorf("want a tombstone vs value difference, got %+v", rep.Differences)
	}
}

func TestCompareOffsetsLastPerKey(t *testing.T) {
	rules := mustRules(t, `{"rules":[
 {"id":"names","check":"names","reason":"configured"},
 {"id":"last","topics":["(offsets)"],"check":"last-per-key","reason":"flush timing"}]}`)
	theirs := dump("dbz",
		Record{Topic: "offs-dbz", Partition: 3, Offset: 0, Key: []byte(`["conn-dbz",{"server":"dbz"}]`), Value: []byte(`{"pos":1}`)},
		Record{Topic: "offs-dbz", Partition: 3, Offset: 1, Key: []byte(`["conn-dbz",{"server":"dbz"}]`), Value: []byte(`{"pos":2}`)},
		Record{Topic: "offs-dbz", Partition: 3, Offset: 2, Key: []byte(`["conn-dbz",{"server":"dbz"}]`), Value: []byte(`{"pos":3}`)},
	)
	ours := dump("mine",
		Record{Topic: "offs-mine", Partition: 7, Offset: 5, Key: []byte(`["conn-mine",{"server":"mine"}]`), Value: []byte(`{"pos":3}`)},
	)
	if rep := Compare(ours, theirs, rules); rep.HasDifferences() {
		t.Errorf("only the last offset counts: %+v", rep.Differences)
	}
	ours.Topics[OffsetsTopic][0].Value = []byte(`{"pos":2}`)
	rep := Compare(ours, theirs, rules)
	if len(rep.Differences) != 1 || rep.Differences[0].Path != "value.pos" {
		t.Errorf("want the last offset's difference, got %+v", rep.Differences)
	}
	ours.Topics[OffsetsTopic][0].Key = []byte(`["conn-mine",{"server":"mine","extra":1}]`)
	rep = Compare(ours, theirs, rules)
	if len(rep.Differences) != 2 || !strings.HasPrefix(rep.Differences[0].Problem, "key missing in ours") ||
		!strings.HasPrefix(rep.Differences[1].Problem, "key only in ours") {
		t.Errorf("want a key missing and a key only in ours, got %+v", rep.Differences)
	}
}

func TestCompareMultiPartitionPairsByKey(t *testing.T) {
	theirs := dump("p",
		Record{Topic: "p.d.t", Partition: 0, Offset: 0, Key: []byte(`{"id":1}`), Value: []byte(`{"v":"a1"}`)},
		Record{Topic: "p.d.t", Partition: 1, Offset: 0, Key: []byte(`{"id":2}`), Value: []byte(`{"v":"b1"}`)},
		Record{Topic: "p.d.t", Partition: 0, Offset: 1, Key: []byte(`{"id":1}`), Value: []byte(`{"v":"a2"}`)},
	)
	ours := dump("p",
		Record{Topic: "p.d.t", Partition: 2, Offset: 0, Key: []byte(`{"id":2}`), Value: []byte(`{"v":"b1"}`)},
		Record{Topic: "p.d.t", Partition: 0, Offset: 0, Key: []byte(`{"id":1}`), Value: []byte(`{"v":"a1"}`)},
		Record{Topic: "p.d.t", Partition: 0, Offset: 1, Key: []byte(`{"id":1}`), Value: []byte(`{"v":"a2"}`)},
	)
	if rep := Compare(ours, theirs, nil); rep.HasDifferences() {
		t.Errorf("records of other partitions should pair by key: %+v", rep.Differences)
	}
	for i, r := range ours.Topics["${prefix}.d.t"] {
		if string(r.Value) == `{"v":"a2"}` {
			ours.Topics["${prefix}.d.t"][i].Value = []byte(`{"v":"a3"}`)
		}
	}
	rep := Compare(ours, theirs, nil)
	if len(rep.Differences) != 1 || rep.Differences[0].Theirs != `"a2"` {
		t.Errorf("want the second record of key 1 reported, got %+v", rep.Differences)
	}
}

func TestComparePatternAndHeaderRules(t *testing.T) {
	rules := mustRules(t, `{"rules":[
 {"id":"gtid","paths":["value.source.gtid"],"check":"pattern","pattern":"^[0-9]+-[0-9]+-[0-9]+$","reason":"server history"},
 {"id":"run","paths":["headers[\"__debezium.context.runId\"]"],"check":"pattern","pattern":"^[0-9a-f-]{36}$","reason":"random"}]}`)
	h := func(v string) []Header { return []Header{{Key: "__debezium.context.runId", Value: &v}} }
	theirs := dump("p", NewRecord("p.d.t", 0, 0, []byte(`{"id":1}`), []byte(`{"source":{"gtid":"0-1-10"}}`), h("01a2008e-2c18-72ac-af91-07c8f96088b2")))
	ours := dump("p", NewRecord("p.d.t", 0, 0, []byte(`{"id":1}`), []byte(`{"source":{"gtid":"0-1-99"}}`), h("01a2008e-ffff-72ac-af91-07c8f96088b2")))
	rep := Compare(ours, theirs, rules)
	if rep.HasDifferences() || rep.Allowed["gtid"] != 1 || rep.Allowed["run"] != 1 {
		t.Fatalf("want both allowed, got %+v %v", rep.Differences, rep.Allowed)
	}
	ours = dump("p", NewRecord("p.d.t", 0, 0, []byte(`{"id":1}`), []byte(`{"source":{"gtid":"0-1-99:5"}}`), h("not-a-uuid")))
	rep = Compare(ours, theirs, rules)
	if len(rep.Differences) != 2 {
		t.Fatalf("want both formats rejected, got %+v", rep.Differences)
	}
	if rep.Differences[1].Path != `headers["__debezium.context.runId"]` {
		t.Errorf("header path rendered as %q", rep.Differences[1].Path)
	}
}

func TestMatchPath(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"value.source.ts_ms", "value.source.ts_ms", true},
		{"value.source.ts_ms", "value.source.ts_us", false},
		{"value.*.ts_ms", "value.source.ts_ms", true},
		{"value.**.ts_ms", "value.ts_ms", true},
		{"value.**.ts_ms", "value.a.b.c.ts_ms", true},
		{"value.tableChanges[*].id", "value.tableChanges[3].id", true},
		{"value.tableChanges[*].id", "value.tableChanges.x.id", false},
		{`headers["a.b"]`, `headers["a.b"]`, true},
		{`headers["a.b"]`, "headers.a.b", false},
		{"value", "value.a", false},
	}
	for _, c := range cases {
		if got := MatchPath(c.pattern, c.path); got != c.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}

func TestParseRulesRejectsBadRules(t *testing.T) {
	for _, js := range []string{
		`{"rules":[{"id":"x","paths":["value.a"],"check":"ignore"}]}`,
		`{"rules":[{"id":"x","paths":["value.a"],"check":"sometimes","reason":"r"}]}`,
		`{"rules":[{"id":"x","check":"ignore","reason":"r"}]}`,
		`{"rules":[{"id":"x","paths":["value.a"],"check":"names","reason":"r"}]}`,
		`{"rules":[{"id":"x","paths":["value.a"],"check":"pattern","pattern":"(","reason":"r"}]}`,
		`{"rules":[{"id":"x","paths":["value.a"],"check":"ignore","reason":"r","typo":1}]}`,
	} {
		if _, err := ParseRules([]byte(js)); err == nil {
			t.Errorf("ParseRules accepted %s", js)
		}
	}
}

func TestShippedRulesLoad(t *testing.T) {
	rs, err := LoadRules(filepath.Join("..", "allowed-differences.json"), filepath.Join("..", "different-run.json"), filepath.Join("..", "shared-server.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules) < 5 {
		t.Errorf("only %d rules in the shipped file", len(rs.Rules))
	}
}

func TestDumpRoundTrip(t *testing.T) {
	v := "v1"
	d := &Dump{Manifest: Manifest{Prefix: "p", Connector: "c", OffsetsTopic: "o", HistoryTopic: "h", Producer: "test"}}
	d.Add(LogicalTopic("p", "p.d.t"), NewRecord("p.d.t", 0, 1, []byte(`{"id": 1}`), []byte(`{"s":"<&>","n":1.0E10}`), []Header{{Key: "k", Value: &v}, {Key: "nil"}}))
	d.Add(LogicalTopic("p", "p.d.t"), NewRecord("p.d.t", 0, 0, nil, nil, nil))
	d.Add(LogicalTopic("p", "p"), NewRecord("p", 0, 0, []byte("not json"), []byte{0xff, 'x'}, nil))
	d.Add(OffsetsTopic, NewRecord("o", 5, 0, []byte(`["c",{"server":"p"}]`), []byte(`{"pos":1}`), nil))
	d.Add(HistoryTopic, NewRecord("h", 0, 0, nil, []byte(`{"ddl":"x"}`), nil))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stale.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a file of an older dump survived: %v", err)
	}
	line, err := os.ReadFile(filepath.Join(dir, "p.d.t.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"topic":"p.d.t","partition":0,"offset":0,"key":null,"value":null,"headers":[]}
{"topic":"p.d.t","partition":0,"offset":1,"key":{"id":1},"value":{"s":"<&>","n":1.0E10},"headers":[{"key":"k","value":"v1"},{"key":"nil","value":null}]}
`
	if string(line) != want {
		t.Errorf("dump file:\n%s\nwant:\n%s", line, want)
	}
	back, err := LoadDump(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Manifest.Records["offsets.jsonl"] != 1 || back.Manifest.Producer != "test" {
		t.Errorf("manifest not kept: %+v", back.Manifest)
	}
	for _, name := range []string{"${prefix}.d.t", PrefixPlaceholder, OffsetsTopic, HistoryTopic} {
		if len(back.Topics[name]) == 0 {
			t.Errorf("topic %s lost in the round trip", name)
		}
	}
	if r := back.Topics[PrefixPlaceholder][0]; !r.KeyNotJSON || !r.ValueNotJSON || string(r.Key) != `"not json"` {
		t.Errorf("non-JSON bytes not flagged: %+v", r)
	}
	if rep := Compare(back, d, nil); rep.HasDifferences() {
		t.Errorf("a dump differs from its own round trip: %+v", rep.Differences)
	}
}

func TestParseJSON(t *testing.T) {
	n, err := ParseJSON([]byte(`{"b":[1,2.50,-3E10,true,null],"a":{"x":"é\u00e9"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Compact(); got != `{"b":[1,2.50,-3E10,true,null],"a":{"x":"éé"}}` {
		t.Errorf("Compact = %s", got)
	}
	for _, bad := range []string{`{"a":1} x`, `{"a":`, `[1,]`, ``} {
		if _, err := ParseJSON([]byte(bad)); err == nil {
			t.Errorf("ParseJSON accepted %q", bad)
		}
	}
}

func TestCompareDropsForeignTransactions(t *testing.T) {
	rules := mustRules(t, `{"rules":[{"id":"foreign","topics":["${prefix}.transaction"],"check":"drop-empty-transactions","reason":"shared server"}]}`)
	tx := func(off int64, status, id, count string) Record {
		return rec("p.transaction", off, `{"id":"`+id+`"}`, `{"status":"`+status+`","id":"`+id+`","event_count":`+count+`}`)
	}
	theirs := dump("p",
		tx(0, "BEGIN", "0-1-5", "null"), tx(1, "END", "0-1-5", "1"),
		tx(2, "BEGIN", "0-1-7", "null"), // DDL: no END, but the schema change event names it
		rec("p", 0, `{"databaseName":"db"}`, `{"source":{"gtid":"0-1-7"},"ddl":"ALTER TABLE t ADD c INT"}`),
		rec("p.db.t", 0, `{"id":1}`, `{"op":"c","transaction":{"id":"0-1-5"}}`),
	)
	ours := dump("p",
		tx(0, "BEGIN", "0-1-4", "null"), tx(1, "END", "0-1-4", "0"), // another client's transaction
		tx(2, "BEGIN", "0-1-5", "null"), tx(3, "END", "0-1-5", "1"),
		tx(4, "BEGIN", "0-1-6", "null"), // another client's DDL
		tx(5, "BEGIN", "0-1-7", "null"),
		rec("p", 0, `{"databaseName":"db"}`, `{"source":{"gtid":"0-1-7"},"ddl":"ALTER TABLE t ADD c INT"}`),
		rec("p.db.t", 0, `{"id":1}`, `{"op":"c","transaction":{"id":"0-1-5"}}`),
	)
	rep := Compare(ours, theirs, rules)
	if rep.HasDifferences() || rep.Allowed["foreign"] != 3 {
		t.Fatalf("want the 3 foreign records dropped and nothing else, got %+v %v", rep.Differences, rep.Allowed)
	}
	// Our own DDL transaction is never dropped: its BEGIN missing on one side is found.
	ours.Topics["${prefix}.transaction"] = ours.Topics["${prefix}.transaction"][:5]
	if rep := Compare(ours, theirs, rules); len(rep.Differences) != 1 {
		t.Errorf("want the missing BEGIN of 0-1-7 reported, got %+v", rep.Differences)
	}
}

// TestComparePairsRule: a pairs rule lets through exactly the listed (ours, theirs) values at
// its paths; another pair at the same path, or the same pair elsewhere, is still a difference.
func TestComparePairsRule(t *testing.T) {
	rules := mustRules(t, `{"rules":[
 {"id":"bc","topics":["${prefix}.db.t"],"paths":["value.after.d"],"check":"pairs","pairs":[[-2440550,1001860],[[1,null],null],["x","(absent)"]],"reason":"decided"}
]}`)
	theirs := dump("dbz",
		rec("dbz.db.t", 0, `{"id":1}`, `{"after":{"id":1,"d":1001860}}`),
		rec("dbz.db.t", 1, `{"id":2}`, `{"after":{"id":2,"d":5}}`),
		rec("dbz.db.t", 2, `{"id":3}`, `{"after":{"id":3,"d":null}}`),
		rec("dbz.db.t", 3, `{"id":4}`, `{"after":{"id":4}}`),
		rec("dbz.db.u", 0, `{"id":1}`, `{"after":{"id":1,"d":1001860}}`))
	ours := dump("dbz",
		rec("dbz.db.t", 0, `{"id":1}`, `{"after":{"id":1,"d":-2440550}}`),
		rec("dbz.db.t", 1, `{"id":2}`, `{"after":{"id":2,"d":6}}`),
		rec("dbz.db.t", 2, `{"id":3}`, `{"after":{"id":3,"d":[1,null]}}`),
		rec("dbz.db.t", 3, `{"id":4}`, `{"after":{"id":4,"d":"x"}}`),
		rec("dbz.db.u", 0, `{"id":1}`, `{"after":{"id":1,"d":-2440550}}`))
	rep := Compare(ours, theirs, rules)
	if len(rep.Differences) != 2 || rep.Allowed["bc"] != 3 {
		t.Fatalf("want 2 differences and 3 allowed, got %+v allowed %v", rep.Differences, rep.Allowed)
	}
	for _, d := range rep.Differences {
		if !(d.Topic == "${prefix}.db.t" && d.Index == 1) && d.Topic != "${prefix}.db.u" {
			t.Errorf("unexpected difference %+v", d)
		}
	}
	if _, err := ParseRules([]byte(`{"rules":[{"id":"p","paths":["value.x"],"check":"pairs","reason":"r"}]}`)); err == nil {
		t.Error("a pairs rule without pairs was accepted")
	}
}
