package postgres

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
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

// encodeTextKey writes key values as a JSON array of strings, without reflection: it runs for
// every snapshot row.
func encodeTextKey(key []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, k := range key {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range k {
			switch {
			case r == '"' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r < 0x20:
				fmt.Fprintf(&b, `\u%04x`, r)
			case r == utf8.RuneError:
				b.WriteString(`\ufffd`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
}

// decodeTextKey reads an encodeTextKey value back, once per start.
func decodeTextKey(s string) ([]string, error) {
	var key []string
	if err := json.Unmarshal([]byte(s), &key); err != nil || len(key) == 0 {
		return nil, fmt.Errorf("offset field %q is %q, not a JSON array of strings; remove the field to read the table again from its start", keySnapKey, s)
	}
	return key, nil
}
