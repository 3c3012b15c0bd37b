package source

import (
	"strconv"
	"strings"
)

// KeysetQuery writes the statements that read a table in key order: the snapshot's chunks and
// the cut points of a table split across connections. What differs between databases is how a
// key value enters the statement and how keys are compared.
type KeysetQuery struct {
	// Table is the quoted table name, Select the select list, Key the quoted key columns.
	Table  string
	Select []string
	Key    []string
	// RowValues compares keys as row values, (k1, k2) > (a, b), which PostgreSQL answers with a
	// btree range scan; else the comparison is spelled out column by column, a form every
	// MySQL and MariaDB version turns into a range scan of the primary key.
	RowValues bool
	// Value writes one key value into the statement, in the order they appear: a literal, or a
	// placeholder whose argument the caller keeps.
	Value func(v string) string
}

// Chunk returns the statement reading at most limit rows in key order whose key is greater than
// after (nil: from the first) and at most upTo (nil: to the last).
func (q *KeysetQuery) Chunk(after, upTo []string, limit int) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(q.Select, ", "))
	q.from(&b, after, upTo)
	b.WriteString(" ORDER BY ")
	b.WriteString(strings.Join(q.Key, ", "))
	b.WriteString(" LIMIT ")
	b.WriteString(strconv.Itoa(limit))
	return b.String()
}

// Count returns the statement counting the rows whose key is greater than after (nil: all).
func (q *KeysetQuery) Count(after []string) string {
	var b strings.Builder
	b.WriteString("SELECT COUNT(*)")
	q.from(&b, after, nil)
	return b.String()
}

// KeyAt returns the statement reading the key of the row offset rows past the first one whose
// key is greater than after (nil: the table's first).
func (q *KeysetQuery) KeyAt(after []string, offset int64) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(q.Key, ", "))
	q.from(&b, after, nil)
	b.WriteString(" ORDER BY ")
	b.WriteString(strings.Join(q.Key, ", "))
	b.WriteString(" LIMIT 1 OFFSET ")
	b.WriteString(strconv.FormatInt(offset, 10))
	return b.String()
}

func (q *KeysetQuery) from(b *strings.Builder, after, upTo []string) {
	b.WriteString(" FROM ")
	b.WriteString(q.Table)
	if after == nil && upTo == nil {
		return
	}
	b.WriteString(" WHERE ")
	both := after != nil && upTo != nil
	if after != nil {
		q.compare(b, after, ">", both)
	}
	if upTo != nil {
		if after != nil {
			b.WriteString(" AND ")
		}
		q.compare(b, upTo, "<=", both)
	}
}

// compare writes "key op values" (op > or <=), in parentheses when group is set and the
// comparison is spelled out column by column.
func (q *KeysetQuery) compare(b *strings.Builder, vals []string, op string, group bool) {
	w := make([]string, len(vals))
	for i, v := range vals {
		w[i] = q.Value(v)
	}
	b.WriteString(KeyCondition(q.Key, w, op, q.RowValues, group && len(vals) > 1))
}

// KeyCondition writes the condition "key op vals" (op > or <=) for the quoted key columns, the
// values already written as literals or placeholders: with rowValues as row values, (k1, k2) >
// (a, b), which PostgreSQL answers with a btree range scan; else spelled out column by column,
// a form every MySQL and MariaDB version turns into a range scan of the primary key, in
// parentheses when paren is set.
func KeyCondition(key, vals []string, op string, rowValues, paren bool) string {
	var b strings.Builder
	if rowValues {
		b.WriteString("(" + strings.Join(key, ", ") + ") " + op + " (" + strings.Join(vals, ", ") + ")")
		return b.String()
	}
	strict := op[:1] // the operator on every column but the last
	if paren {
		b.WriteByte('(')
	}
	for i := range key {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		for j := 0; j < i; j++ {
			b.WriteString(key[j] + " = " + vals[j] + " AND ")
		}
		o := strict
		if i == len(key)-1 {
			o = op
		}
		b.WriteString(key[i] + " " + o + " " + vals[i])
		b.WriteByte(')')
	}
	if paren {
		b.WriteByte(')')
	}
	return b.String()
}

// SplitByCount returns the cut keys of RangeReader.SplitKeys from the number of rows to split
// and a way to read the key of the row at an offset: parts ranges of about count/parts rows,
// fewer when a part would hold less than minRows rows.
func SplitByCount(count int64, parts, minRows int, keyAt func(offset int64) ([]string, error)) ([][]string, error) {
	if minRows < 1 {
		minRows = 1
	}
	if p := count / int64(minRows); p < int64(parts) {
		parts = int(p)
	}
	var cuts [][]string
	for i := 1; i < parts; i++ {
		k, err := keyAt(count*int64(i)/int64(parts) - 1)
		if err != nil {
			return nil, err
		}
		if k == nil {
			break // the table shrank under another view: fewer parts
		}
		cuts = append(cuts, k)
	}
	return cuts, nil
}
