package mysql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// Flavor is the server family: the two differ in GTID format, in the binlog events that carry
// GTIDs and in how a replica asks for a GTID position.
type Flavor uint8

// The supported server flavours.
const (
	FlavorMySQL Flavor = iota + 1
	FlavorMariaDB
)

// String returns the go-mysql flavour name.
func (f Flavor) String() string {
	if f == FlavorMariaDB {
		return gomysql.MariaDBFlavor
	}
	return gomysql.MySQLFlavor
}

// connectorName is the value of source.connector and of the Source schema name's middle part.
func (f Flavor) connectorName() string {
	if f == FlavorMariaDB {
		return "mariadb"
	}
	return "mysql"
}

// mariaGTID is one MariaDB GTID, domain-server-sequence.
type mariaGTID struct {
	Domain, Server uint32
	Seq            uint64
}

// String writes the GTID as MariaDB does, domain-server-sequence.
func (g mariaGTID) String() string {
	return strconv.FormatUint(uint64(g.Domain), 10) + "-" + strconv.FormatUint(uint64(g.Server), 10) + "-" +
		strconv.FormatUint(g.Seq, 10)
}

func parseMariaGTID(s string) (mariaGTID, error) {
	parts := strings.Split(strings.TrimSpace(s), "-")
	if len(parts) != 3 {
		return mariaGTID{}, fmt.Errorf("%q is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-123)", s)
	}
	d, err1 := strconv.ParseUint(parts[0], 10, 32)
	sv, err2 := strconv.ParseUint(parts[1], 10, 32)
	q, err3 := strconv.ParseUint(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return mariaGTID{}, fmt.Errorf("%q is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-123)", s)
	}
	return mariaGTID{Domain: uint32(d), Server: uint32(sv), Seq: q}, nil
}

// mariaGTIDSet is a MariaDB GTID position: the last GTID of each replication domain, which is what
// MariaDB's gtid_binlog_pos shows and what a replica sends as @slave_connect_state.
type mariaGTIDSet map[uint32]mariaGTID

func parseMariaGTIDSet(s string) (mariaGTIDSet, error) {
	set := mariaGTIDSet{}
	s = strings.TrimSpace(strings.NewReplacer("\n", "", "\r", "").Replace(s))
	if s == "" {
		return set, nil
	}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		g, err := parseMariaGTID(part)
		if err != nil {
			return nil, err
		}
		if cur, ok := set[g.Domain]; !ok || g.Seq >= cur.Seq {
			set[g.Domain] = g
		}
	}
	return set, nil
}

// add records g as the latest GTID of its domain.
func (s mariaGTIDSet) add(g mariaGTID) { s[g.Domain] = g }

func (s mariaGTIDSet) clone() mariaGTIDSet {
	c := make(mariaGTIDSet, len(s))
	for k, v := range s {
		c[k] = v
	}
	return c
}

// String writes the set ordered by domain, as MariaDB prints gtid_binlog_pos.
func (s mariaGTIDSet) String() string {
	if len(s) == 0 {
		return ""
	}
	domains := make([]int, 0, len(s))
	for d := range s {
		domains = append(domains, int(d))
	}
	sort.Ints(domains)
	var b strings.Builder
	for i, d := range domains {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[uint32(d)].String())
	}
	return b.String()
}

// missingFrom reports which GTIDs of the position s can no longer be streamed from a server
// whose oldest binlog starts at state oldest (the Gtid_list of its first binlog file): a domain
// whose stored sequence is below the oldest file's starting sequence has lost the events in
// between. A domain the oldest file does not mention started later, so all of it is there.
func (s mariaGTIDSet) missingFrom(oldest mariaGTIDSet) []string {
	var missing []string
	for d, g := range s {
		if o, ok := oldest[d]; ok && g.Seq < o.Seq {
			missing = append(missing, g.String())
		}
	}
	sort.Strings(missing)
	return missing
}

// gtidTracker follows the executed GTID set while streaming, in the server's own format, so the
// offset's gtids field is what Debezium writes for the same position.
type gtidTracker struct {
	flavor Flavor
	maria  mariaGTIDSet
	mysql  *gomysql.MysqlGTIDSet
}

func newGTIDTracker(flavor Flavor, initial string) (*gtidTracker, error) {
	t := &gtidTracker{flavor: flavor}
	if flavor == FlavorMariaDB {
		s, err := parseMariaGTIDSet(initial)
		if err != nil {
			return nil, err
		}
		t.maria = s
		return t, nil
	}
	set, err := gomysql.ParseMysqlGTIDSet(strings.NewReplacer("\n", "", "\r", "").Replace(initial))
	if err != nil {
		return nil, fmt.Errorf("gtids %q is not a MySQL GTID set (uuid:1-5,...): %w", initial, err)
	}
	t.mysql = set.(*gomysql.MysqlGTIDSet)
	return t, nil
}

// String returns the set in the server's format.
func (t *gtidTracker) String() string {
	if t.flavor == FlavorMariaDB {
		return t.maria.String()
	}
	return t.mysql.String()
}

// gtidSet returns the set as go-mysql's GTIDSet, for StartSyncGTID.
func (t *gtidTracker) gtidSet() (gomysql.GTIDSet, error) {
	return gomysql.ParseGTIDSet(t.flavor.String(), t.String())
}
