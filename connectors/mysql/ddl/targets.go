package ddl

import (
	"regexp"
	"strings"
)

// Targets is a best-effort list of what a statement that Parse could not read may change: the
// tables it names (DB empty when unqualified) and the databases named after DATABASE or
// SCHEMA. It errs on the side of listing too much (a qualified column reference looks like a
// table), since the caller uses it to decide that a failure matters.
func Targets(sql string, opts Options) (tables []Name, databases []string) {
	toks, err := lex(sql, opts)
	if err != nil {
		// Not even tokens: any word.word in the text may be a qualified table.
		for _, m := range qualifiedName.FindAllStringSubmatch(sql, -1) {
			tables = append(tables, Name{DB: unquote(m[1]), Table: unquote(m[2])})
		}
		return tables, nil
	}
	isName := func(t token) bool { return t.kind == tokIdent || t.kind == tokQuoted }
	isPunct := func(t token, s string) bool { return t.kind == tokPunct && t.text == s }
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !isName(t) {
			continue
		}
		if i+2 < len(toks) && isPunct(toks[i+1], ".") && isName(toks[i+2]) {
			tables = append(tables, Name{DB: t.text, Table: toks[i+2].text})
			i += 2
			continue
		}
		if t.kind != tokIdent {
			continue
		}
		kw := t.upper()
		switch kw {
		case "TABLE", "TABLES", "ON", "TO", "LIKE", "REFERENCES", "INTO", "DATABASE", "SCHEMA":
		default:
			continue
		}
		// Skip IF [NOT] EXISTS and find the name after the keyword.
		j := i + 1
		for j < len(toks) && toks[j].kind == tokIdent && (toks[j].upper() == "IF" || toks[j].upper() == "NOT" || toks[j].upper() == "EXISTS") {
			j++
		}
		if j >= len(toks) || !isName(toks[j]) {
			continue
		}
		if j+2 < len(toks) && isPunct(toks[j+1], ".") && isName(toks[j+2]) {
			continue // qualified: found when the loop reaches it
		}
		if kw == "DATABASE" || kw == "SCHEMA" {
			databases = append(databases, toks[j].text)
		} else {
			tables = append(tables, Name{Table: toks[j].text})
		}
	}
	return tables, databases
}

var qualifiedName = regexp.MustCompile("(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)\\s*\\.\\s*(`(?:[^`]|``)+`|[A-Za-z_$][A-Za-z0-9_$]*)")

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '`' {
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}
