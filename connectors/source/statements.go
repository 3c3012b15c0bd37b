package source

import "strings"

// SplitStatements splits database.initial.statements as Debezium does: at ';', where ';;'
// stands for a semicolon inside a statement; blank statements are dropped.
func SplitStatements(v string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ';' {
			if i+1 < len(v) && v[i+1] == ';' {
				cur.WriteByte(';')
				i++
				continue
			}
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(v[i])
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
