package mysql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api/relational"
)

// Offset keys connectd adds to the offsets of a running snapshot. Debezium ignores keys it does
// not know and, seeing "snapshot" without snapshot_completed, takes the snapshot again; connectd
// reads them to continue after the last committed row instead.
const (
	// offSnapTable is the id (db.table) of the table being read; every table before it in id
	// order is finished.
	offSnapTable = "connectd_snapshot_table"
	// offSnapKey is the primary key of the last row emitted from that table, as a JSON array of
	// integers ("[17]", "[3,9]"); absent when the table is read whole and must restart whole.
	offSnapKey = "connectd_snapshot_key"
)

// defaultChunkSize is the number of rows per chunk when snapshot.fetch.size is not set.
const defaultChunkSize = 10000

// chunkKey returns the positions of the columns a table is read in order of, chunk by chunk:
// its primary key when every key column is an integer (so the key can be written back into a
// query as a literal and compared exactly as the index orders it), else nil: the table is read
// in one statement and, after a crash, again from its start.
func chunkKey(tbl *relational.Table) []int {
	if len(tbl.PrimaryKeyColumnNames) == 0 {
		return nil
	}
	idx := make([]int, 0, len(tbl.PrimaryKeyColumnNames))
	for _, name := range tbl.PrimaryKeyColumnNames {
		pos := -1
		for i := range tbl.Columns {
			if strings.EqualFold(tbl.Columns[i].Name, name) {
				pos = i
				break
			}
		}
		if pos < 0 {
			return nil
		}
		switch typ, _ := baseType(&tbl.Columns[pos]); typ {
		case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT":
		default:
			return nil
		}
		idx = append(idx, pos)
	}
	return idx
}

// chunkQuery returns the statement that reads the next chunk of limit rows of table (quoted),
// columns cols (quoted), in the order of the key columns keyCols (quoted): the first chunk when
// after is nil, else the rows whose key is greater than after (integer literals, one per key
// column). The key comparison is spelled out column by column, a form every MySQL and MariaDB
// version turns into a range scan of the primary key.
func chunkQuery(table string, cols, keyCols, after []string, limit int) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(" FROM ")
	b.WriteString(table)
	if after != nil {
		b.WriteString(" WHERE ")
		for i := range keyCols {
			if i > 0 {
				b.WriteString(" OR ")
			}
			b.WriteByte('(')
			for j := 0; j < i; j++ {
				b.WriteString(keyCols[j] + " = " + after[j] + " AND ")
			}
			b.WriteString(keyCols[i] + " > " + after[i])
			b.WriteByte(')')
		}
	}
	b.WriteString(" ORDER BY ")
	b.WriteString(strings.Join(keyCols, ", "))
	b.WriteString(" LIMIT ")
	b.WriteString(strconv.Itoa(limit))
	return b.String()
}

// encodeChunkKey writes key values (integer literals) as the JSON array offSnapKey holds.
func encodeChunkKey(key []string) string {
	return "[" + strings.Join(key, ",") + "]"
}

// decodeChunkKey reads an offSnapKey value back; every element must be an integer, since it is
// written into a query.
func decodeChunkKey(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, fmt.Errorf("offset field %q is %q, not a JSON array of integers; remove the field to read the table again from its start", offSnapKey, s)
	}
	parts := strings.Split(s[1:len(s)-1], ",")
	out := make([]string, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if _, err := strconv.ParseInt(p, 10, 64); err != nil {
			if _, err := strconv.ParseUint(p, 10, 64); err != nil {
				return nil, fmt.Errorf("offset field %q is %q, not a JSON array of integers; remove the field to read the table again from its start", offSnapKey, s)
			}
		}
		out[i] = p
	}
	return out, nil
}

// snapResume is the progress of an unfinished snapshot, read from the stored offset.
type snapResume struct {
	// pos is the binlog position the interrupted snapshot was taken at; streaming starts there.
	pos snapshotPosition
	// table is the table being read (id string); tables before it are done.
	table string
	// key is the key of the last row emitted from table, or nil to read table from its start.
	key []string
}

// resumeFrom says where the read of table id starts under the progress r: skip is true when the
// table was finished before the interruption, after is the key to continue after (nil: from
// the start).
func (r *snapResume) resumeFrom(id string) (skip bool, after []string) {
	if r == nil {
		return false, nil
	}
	switch {
	case id < r.table:
		return true, nil
	case id == r.table:
		return false, r.key
	default:
		return false, nil
	}
}
