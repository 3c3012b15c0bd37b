package signals

import (
	"testing"
)

// FuzzSignal feeds arbitrary bytes through what a signal channel does with a message: decode the
// JSON signal, parse it, and match an execute-snapshot's collections against captured tables.
// None may panic, and a parsed signal must be one the connectors can act on. Without -fuzz, go
// test runs the seeds (tests/fuzz/run fuzzes it for a bounded time in CI).
func FuzzSignal(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","type":"execute-snapshot","data":{"data-collections":["db.t"],"type":"incremental"}}`,
		`{"id":"2","type":"execute-snapshot","data":"{\"data-collections\":[\"db\\\\.t.*\"],\"type\":\"blocking\"}"}`,
		`{"id":"3","type":"execute-snapshot","data":{"data-collections":["db.t"],"additional-conditions":[{"data-collection":"db.t","filter":"id > 3"}],"surrogate-key":"k"}}`,
		`{"id":"4","type":"stop-snapshot","data":{"type":"incremental","data-collections":["db.t"]}}`,
		`{"id":"5","type":"pause-snapshot","data":{"type":"incremental"}}`,
		`{"id":"6","type":"resume-snapshot"}`,
		`{"id":"7","type":"log","data":{"message":"hello"}}`,
		`{"id":"0b7e-open","type":"snapshot-window-open"}`,
		`{"type":"explode","data":[1]}`,
		`{"id":"8","type":"execute-snapshot","data":{"data-collections":["db.(t"]}}`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	captured := []string{"db.t", "db.t2", "other.x"}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSignal(b, "default-id", "kafka")
		if err != nil {
			return
		}
		a, err := Parse(s)
		if err != nil {
			if a != nil {
				t.Fatalf("Parse returned %T with the error %v", a, err)
			}
			return
		}
		switch a := a.(type) {
		case *ExecuteSnapshot:
			if len(a.DataCollections) == 0 {
				t.Fatalf("an execute-snapshot with no collections was accepted: %q", b)
			}
			if a.Type != Incremental && a.Type != Blocking {
				t.Fatalf("an execute-snapshot of type %q was accepted: %q", a.Type, b)
			}
			tables, missing := Match(a.DataCollections, captured)
			if len(tables)+len(missing) == 0 {
				t.Fatalf("matching %q gave neither tables nor missing patterns", a.DataCollections)
			}
			for _, tb := range tables {
				_ = ConditionFor(a.Conditions, tb)
			}
		case *Log:
			if a.Message == "" {
				t.Fatalf("an empty log message was accepted: %q", b)
			}
		case nil:
			t.Fatalf("Parse returned no action and no error for %q", b)
		}
	})
}
