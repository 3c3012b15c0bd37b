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

// keysetQuery returns the statements reading table s in key order: the key values are
// integers, written into the statement as literals that compare exactly as the index orders
// them.
func (s *snapTable) keysetQuery() *source.KeysetQuery {
	return &source.KeysetQuery{Table: s.quoted, Select: s.names, Key: s.keyNames, Value: func(v string) string { return v }}
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
