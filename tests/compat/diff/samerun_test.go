package diff

import (
	"strconv"
	"strings"
	"testing"
)

// sameRunRules are the value checks of a comparison of two connectors that read the same events
// in one run: processing times bounded by the run, snapshot positions before the stream, and
// everything else equal.
const sameRunRules = `{"rules":[
 {"id":"names","check":"names","reason":"configured"},
 {"id":"processing-time","paths":["value.ts_ms","value.ts_us"],"check":"processing-time","reason":"processing"},
 {"id":"snapshot-time","records":"snapshot","paths":["value.source.ts_ms"],"check":"processing-time","reason":"own view"},
 {"id":"snapshot-position","records":"snapshot","paths":["value.source.file","value.source.pos","value.source.lsn","value.source.sequence"],"check":"before-stream","reason":"own view"}
]}`

// timed is rec with a Kafka timestamp.
func timed(topic string, offset int64, key, value string, ts int64) Record {
	r := rec(topic, offset, key, value)
	r.Timestamp = ts
	return r
}

func TestProcessingTimeWithinTheRun(t *testing.T) {
	rules := mustRules(t, sameRunRules)
	theirs := dump("dbz", timed("dbz.db.t", 0, `{"id":1}`, `{"op":"c","source":{"snapshot":"false","ts_ms":1000},"ts_ms":1005,"ts_us":1005123}`, 1006))
	ours := dump("ours", timed("ours.db.t", 0, `{"id":1}`, `{"op":"c","source":{"snapshot":"false","ts_ms":1000},"ts_ms":1002,"ts_us":1002999}`, 1002))
	rep := Compare(ours, theirs, rules)
	if rep.HasDifferences() {
		t.Fatalf("processing times within the run reported: %+v", rep.Differences)
	}
	if rep.Allowed["processing-time"] != 2 {
		t.Errorf("want 2 allowed processing times, got %v", rep.Allowed)
	}
	for name, c := range map[string]struct {
		value   string
		ts      int64
		problem string
	}{
		// Processing time after the record reached Kafka: not a processing time.
		"after append": {`{"op":"c","source":{"snapshot":"false","ts_ms":1000},"ts_ms":1003,"ts_us":1002000}`, 1002, "after the record's Kafka timestamp"},
		// The commit time in place of the processing time is still within bounds; a time
		// before the commit is not.
		"before commit": {`{"op":"c","source":{"snapshot":"false","ts_ms":1000},"ts_ms":999,"ts_us":1001000}`, 1002, "before its source.ts_ms"},
		// Microseconds in the millisecond field: far after the append time.
		"wrong unit":   {`{"op":"c","source":{"snapshot":"false","ts_ms":1000},"ts_ms":1002000,"ts_us":1002000}`, 1002, "after the record's Kafka timestamp"},
		"not a number": {`{"op":"c","source":{"snapshot":"false","ts_ms":1000},"ts_ms":"1002","ts_us":1002000}`, 1002, "not a number"},
	} {
		t.Run(name, func(t *testing.T) {
			ours := dump("ours", timed("ours.db.t", 0, `{"id":1}`, c.value, c.ts))
			rep := Compare(ours, theirs, rules)
			if len(rep.Differences) != 1 || !strings.Contains(rep.Differences[0].Problem, c.problem) || rep.Differences[0].Path != "value.ts_ms" {
				t.Errorf("want one difference at value.ts_ms saying %q, got %+v", c.problem, rep.Differences)
			}
		})
	}
	// A commit time must be equal: the rule does not reach value.source.ts_ms of streamed events.
	ours = dump("ours", timed("ours.db.t", 0, `{"id":1}`, `{"op":"c","source":{"snapshot":"false","ts_ms":999},"ts_ms":1002,"ts_us":1002000}`, 1002))
	if rep := Compare(ours, theirs, rules); len(rep.Differences) != 1 || rep.Differences[0].Path != "value.source.ts_ms" {
		t.Errorf("want the streamed commit time compared exactly, got %+v", rep.Differences)
	}
}

func TestSnapshotPositionBeforeStream(t *testing.T) {
	rules := mustRules(t, sameRunRules)
	side := func(prefix, snapFile string, snapPos, streamPos int) *Dump {
		return dump(prefix,
			timed(prefix+".db.t", 0, `{"id":1}`, `{"op":"r","source":{"snapshot":"last","ts_ms":900,"file":"`+snapFile+`","pos":`+itoa(snapPos)+`}}`, 950),
			timed(prefix+".db.t", 1, `{"id":2}`, `{"op":"c","source":{"snapshot":"false","ts_ms":1000,"file":"bin.000002","pos":`+itoa(streamPos)+`}}`, 1001),
		)
	}
	theirs := side("dbz", "bin.000002", 100, 500)
	if rep := Compare(side("ours", "bin.000002", 300, 500), theirs, rules); rep.HasDifferences() {
		t.Fatalf("two snapshots' own positions before the stream reported: %+v", rep.Differences)
	} else if rep.Allowed["snapshot-position"] != 1 {
		t.Errorf("want the snapshot's pos allowed once, got %v", rep.Allowed)
	}
	// A snapshot position after the first streamed event is wrong.
	rep := Compare(side("ours", "bin.000002", 600, 500), theirs, rules)
	if len(rep.Differences) != 1 || !strings.Contains(rep.Differences[0].Problem, "after the first position") {
		t.Errorf("want the snapshot position after the stream reported, got %+v", rep.Differences)
	}
	// An earlier file is before any position of a later one; a later file is after.
	if rep := Compare(side("ours", "bin.000001", 9000, 500), theirs, rules); rep.HasDifferences() {
		t.Errorf("snapshot in an earlier binlog file reported: %+v", rep.Differences)
	}
	if rep := Compare(side("ours", "bin.000003", 4, 500), theirs, rules); len(rep.Differences) != 2 {
		t.Errorf("want file and pos after the stream reported, got %+v", rep.Differences)
	}
	// Streamed positions are compared exactly.
	if rep := Compare(side("ours", "bin.000002", 100, 501), theirs, rules); len(rep.Differences) != 1 || rep.Differences[0].Path != "value.source.pos" {
		t.Errorf("want the streamed pos compared exactly, got %+v", rep.Differences)
	}
	// PostgreSQL: LSN and sequence.
	pg := func(prefix string, snapLSN, streamLSN int) *Dump {
		return dump(prefix,
			timed(prefix+".s.t", 0, `{"id":1}`, `{"op":"r","source":{"snapshot":"true","ts_ms":900,"sequence":"[null,\"`+itoa(snapLSN)+`\"]","lsn":`+itoa(snapLSN)+`}}`, 950),
			timed(prefix+".s.t", 1, `{"id":2}`, `{"op":"c","source":{"snapshot":"false","ts_ms":1000,"sequence":"[\"1\",\"`+itoa(streamLSN)+`\"]","lsn":`+itoa(streamLSN)+`}}`, 1001),
		)
	}
	if rep := Compare(pg("ours", 200, 700), pg("dbz", 100, 700), rules); rep.HasDifferences() {
		t.Errorf("PostgreSQL snapshot LSNs before the stream reported: %+v", rep.Differences)
	}
	if rep := Compare(pg("ours", 800, 700), pg("dbz", 100, 700), rules); len(rep.Differences) != 2 {
		t.Errorf("want lsn and sequence after the stream reported, got %+v", rep.Differences)
	}
	// A rule for snapshot records does not apply when the sides disagree on the kind.
	ours := dump("ours", timed("ours.db.t", 0, `{"id":1}`, `{"op":"r","source":{"snapshot":"false","ts_ms":900,"file":"bin.000002","pos":300}}`, 950),
		timed("ours.db.t", 1, `{"id":2}`, `{"op":"c","source":{"snapshot":"false","ts_ms":1000,"file":"bin.000002","pos":500}}`, 1001))
	if rep := Compare(ours, theirs, rules); len(rep.Differences) != 2 {
		t.Errorf("want snapshot and pos reported for a streamed record against a snapshot one, got %+v", rep.Differences)
	}
}

func TestRecordsMustBeAKind(t *testing.T) {
	if _, err := ParseRules([]byte(`{"rules":[{"id":"x","records":"both","paths":["value.a"],"check":"ignore","reason":"r"}]}`)); err == nil {
		t.Error("a rule with records \"both\" parsed")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
