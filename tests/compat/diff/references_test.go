package diff

import "testing"

// TestRuleReferences checks that a rule naming references applies only when the reference dump's
// producer names one of them, so one connector's known difference does not loosen another's
// comparison.
func TestRuleReferences(t *testing.T) {
	rules := mustRules(t, `{"rules":[
 {"id":"mariadb-only","topics":["(offsets)"],"paths":["value.event"],"check":"ignore","references":["MariaDbConnector"],"reason":"one connector's difference"}
]}`)
	theirs := dump("dbz", rec("offs-dbz", 0, `["conn-dbz",{"server":"dbz"}]`, `{"pos":4,"event":3}`))
	ours := dump("dbz", rec("offs-dbz", 0, `["conn-dbz",{"server":"dbz"}]`, `{"pos":4}`))
	for _, c := range []struct {
		producer string
		diffs    int
	}{
		{"Debezium 3.5.0.Final (io.debezium.connector.mariadb.MariaDbConnector)", 0},
		{"Debezium 3.7.0.Final (io.debezium.connector.postgresql.PostgresConnector)", 1},
		{"", 1},
	} {
		theirs.Manifest.Producer = c.producer
		rep := Compare(ours, theirs, rules)
		if len(rep.Differences) != c.diffs {
			t.Errorf("reference %q: %d differences, want %d: %+v", c.producer, len(rep.Differences), c.diffs, rep.Differences)
		}
		if c.diffs == 0 && rep.Allowed["mariadb-only"] != 1 {
			t.Errorf("reference %q: allowed %v, want mariadb-only once", c.producer, rep.Allowed)
		}
	}
}
