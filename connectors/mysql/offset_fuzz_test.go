package mysql

import (
	"testing"

	"github.com/connectd/connectd/offsets"
)

// FuzzOffset reads arbitrary offset JSON as a MariaDB/MySQL connector offset, as the task does
// with an offset a user PATCHed in or another tool wrote, and parses its GTID set the way both
// server flavours need it: anything malformed must be an error, and a GTID set that parses must
// print as a set that parses to the same text.
func FuzzOffset(f *testing.F) {
	for _, s := range []string{
		`{"file":"mysql-bin.000003","pos":154}`,
		`{"file":"mysql-bin.000003","pos":154,"gtids":"0-1-42,1-2-7","event":2,"row":1,"server_id":1,"ts_sec":1700000000}`,
		`{"gtids":"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7,4e11fa47-71ca-11e1-9e33-c80aa9429562:1"}`,
		`{"file":"f","pos":"154","snapshot":"INITIAL","snapshot_table":"db.t","snapshot_key":"[\"1\",\"a\"]"}`,
		`{"file":"f","pos":4,"snapshot":true,"snapshot_completed":true}`,
		`{"file":"f","pos":1.5}`, `{"pos":4}`, `{"gtids":"0-1"}`, `{"gtids":"x-y-z"}`, `{"file":"f","pos":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := offsets.DecodeOffset(data)
		if err != nil {
			return
		}
		o, err := parseOffset(m)
		if err != nil || o == nil || o.GTIDs == "" {
			return
		}
		for _, flavor := range []Flavor{FlavorMariaDB, FlavorMySQL} {
			tr, err := newGTIDTracker(flavor, o.GTIDs)
			if err != nil {
				continue
			}
			printed := tr.String()
			again, err := newGTIDTracker(flavor, printed)
			if err != nil {
				t.Fatalf("%v GTID set %q prints as %q, which does not parse: %v", flavor, o.GTIDs, printed, err)
			}
			if again.String() != printed {
				t.Fatalf("%v GTID set %q prints as %q, then as %q", flavor, o.GTIDs, printed, again.String())
			}
			_, _ = tr.gtidSet()
		}
	})
}
