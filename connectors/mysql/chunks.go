package mysql

import (
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/source"
)

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

// isIntLiteral says s is an integer, so it can be written into a query as a literal.
func isIntLiteral(s string) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// snapResume is an unfinished snapshot to continue, read from the stored offset.
type snapResume struct {
	// pos is the binlog position the interrupted snapshot was taken at; streaming starts there.
	pos snapshotPosition
	// progress says which tables are finished and where the others continue.
	progress *source.SnapshotResume
}
