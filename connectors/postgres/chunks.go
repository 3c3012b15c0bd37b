package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/connectd/connectd/connectors/source"
)

// keysetQuery returns the statements reading table s in key order, the key values passed as
// parameters appended to *args: they take the key columns' types and collations, so the row
// comparison orders rows as ORDER BY does, and a btree primary key answers it with a range scan.
// The key columns are selected again after the emitted ones, in their text form, for the offset.
func (s *snapTable) keysetQuery(args *[][]byte) *source.KeysetQuery {
	return &source.KeysetQuery{Table: s.name, Select: append(s.cols[:len(s.cols):len(s.cols)], s.keyCols...), Key: s.keyCols, RowValues: true,
		Value: func(v string) string {
			*args = append(*args, []byte(v))
			return "$" + strconv.Itoa(len(*args))
		}}
}

// SplitKeys cuts the keys after after into parts of about equal size, counting the rows and
// reading the key at each cut in the snapshot's view.
func (r chunkReader) SplitKeys(ctx context.Context, st *source.SnapshotTable[*snapTable], after []string, parts, minRows int) ([][]string, error) {
	var args [][]byte
	q := st.Data.keysetQuery(&args)
	sql := q.Count(after) // appends to args
	rows, err := r.query(ctx, sql, args)
	if err != nil || len(rows) != 1 {
		return nil, fmt.Errorf("cannot count the rows of %s: %w", st.ID, err)
	}
	count, _ := strconv.ParseInt(rows[0][0], 10, 64)
	return source.SplitByCount(count, parts, minRows, func(off int64) ([]string, error) {
		args = args[:0]
		sql := q.KeyAt(after, off)
		rows, err := r.query(ctx, sql, args)
		if err != nil || len(rows) == 0 {
			return nil, err
		}
		return rows[0], nil
	})
}

// query runs a statement with text parameters and returns its rows as text.
func (r chunkReader) query(ctx context.Context, sql string, args [][]byte) ([][]string, error) {
	rr := r.conn.ExecParams(ctx, sql, args, nil, nil, nil)
	var out [][]string
	for rr.NextRow() {
		vals := rr.Values()
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = string(v)
		}
		out = append(out, row)
	}
	if _, err := rr.Close(); err != nil {
		return nil, fmt.Errorf("query %q failed: %w", sql, err)
	}
	return out, nil
}
