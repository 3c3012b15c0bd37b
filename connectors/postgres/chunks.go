package postgres

import (
	"strconv"
	"strings"
)

// chunkQuery returns the statement that reads the next chunk of limit rows of table (quoted):
// the columns cols (quoted) followed by the key columns keyCols (quoted), in key order, after the
// key given as parameters $1.. when after is true. The row comparison is one a btree primary key
// answers with a range scan, and the parameters take the key columns' types and collations, so
// the comparison orders rows as ORDER BY does.
func chunkQuery(table string, cols, keyCols []string, after bool, limit int) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(cols, ", "))
	b.WriteString(", ")
	b.WriteString(strings.Join(keyCols, ", "))
	b.WriteString(" FROM ")
	b.WriteString(table)
	if after {
		b.WriteString(" WHERE (")
		b.WriteString(strings.Join(keyCols, ", "))
		b.WriteString(") > (")
		for i := range keyCols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + strconv.Itoa(i+1))
		}
		b.WriteString(")")
	}
	b.WriteString(" ORDER BY ")
	b.WriteString(strings.Join(keyCols, ", "))
	b.WriteString(" LIMIT ")
	b.WriteString(strconv.Itoa(limit))
	return b.String()
}
