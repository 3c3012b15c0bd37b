package mysql

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/source"
)

// keyKind is how the values of a chunk key column are written back into a query and kept in
// the offsets.
type keyKind uint8

const (
	keyNone     keyKind = iota // the column cannot order chunks
	keyInt                     // integers, written as they are
	keyString                  // CHAR and VARCHAR: strings the server compares under the column's collation
	keyTemporal                // DATE and DATETIME: their text, which the server reads back as the same value
)

// keyKindOf says how a column of type typ (upper case, without length or attributes) orders
// chunks. TIMESTAMP is left out: its text depends on the session's time zone and repeats in the
// hour a daylight saving change turns back, so it cannot stand for the stored value.
func keyKindOf(typ string) keyKind {
	switch typ {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT":
		return keyInt
	case "CHAR", "VARCHAR":
		return keyString
	case "DATE", "DATETIME":
		return keyTemporal
	}
	return keyNone
}

// keyLiteral writes a key value into a statement: an integer as it is (checked by the caller),
// anything else as a utf8mb4 string in hex, so nothing needs escaping whatever sql_mode says. A
// literal yields to the column it is compared with, so the server compares it under the key
// column's own collation, as it orders the rows, or reads it as the column's date type.
func keyLiteral(s string, k keyKind) string {
	if k == keyInt {
		return s
	}
	return "_utf8mb4 X'" + hex.EncodeToString([]byte(s)) + "'"
}

// chunkKey returns the positions of the columns a table is read in order of, chunk by chunk,
// and their kinds: its primary key when every key column can order chunks (integers, text,
// dates), else nil: the table is read in one statement and, after a crash, again from its start.
func chunkKey(tbl *relational.Table) ([]int, []keyKind) {
	if len(tbl.PrimaryKeyColumnNames) == 0 {
		return nil, nil
	}
	idx := make([]int, 0, len(tbl.PrimaryKeyColumnNames))
	kinds := make([]keyKind, 0, len(tbl.PrimaryKeyColumnNames))
	for _, name := range tbl.PrimaryKeyColumnNames {
		pos := -1
		for i := range tbl.Columns {
			if strings.EqualFold(tbl.Columns[i].Name, name) {
				pos = i
				break
			}
		}
		if pos < 0 {
			return nil, nil
		}
		typ, _ := baseType(&tbl.Columns[pos])
		k := keyKindOf(typ)
		if k == keyNone || k == keyString && strings.EqualFold(tbl.Columns[pos].CharsetName, "binary") {
			return nil, nil
		}
		idx, kinds = append(idx, pos), append(kinds, k)
	}
	return idx, kinds
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
