// Package ddl parses the MySQL and MariaDB DDL statements that change table structures: CREATE,
// ALTER, DROP, RENAME and TRUNCATE TABLE, CREATE and DROP INDEX, CREATE, ALTER and DROP DATABASE.
// Other statements are recognised as "not a schema change" and ignored.
//
// It is hand-written rather than built on the TiDB parser: the connector needs only this subset,
// the TiDB parser adds about 19 MB to the binary and a gigabyte of memory to compile, and it does
// not know MariaDB's own syntax (CREATE OR REPLACE, IF [NOT] EXISTS on columns, PERSISTENT
// columns, /*M! */ comments). A statement in the subset that this parser cannot read is an error
// naming the statement, which the connector reports with its binlog position (or skips under
// schema.history.internal.skip.unparseable.ddl=true).
package ddl

import (
	"fmt"
	"strings"
)

// tokKind is a token's lexical class.
type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokIdent          // bare word: keyword or unquoted identifier
	tokQuoted         // `quoted identifier`
	tokString         // 'string' or "string"
	tokNumber         // 123, 1.5, 1e3
	tokHexBit         // x'..', 0x.., b'..', 0b..
	tokPunct          // ( ) , ; . = and operators
)

type token struct {
	kind tokKind
	text string // identifier/string value (unescaped) or punctuation
	raw  string // the token as written
	pos  int
}

// upper returns the token's text in upper case, for keyword comparison.
func (t token) upper() string { return strings.ToUpper(t.text) }

// lex splits sql into tokens. Comments are dropped, except MySQL's executable comments
// (/*!50100 ... */ and MariaDB's /*M!100100 ... */) whose content the server executed.
func lex(sql string, opts Options) ([]token, error) {
	var toks []token
	i := 0
	n := len(sql)
	for i < n {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '#':
			for i < n && sql[i] != '\n' {
				i++
			}
		case c == '-' && i+1 < n && sql[i+1] == '-' && (i+2 >= n || sql[i+2] == ' ' || sql[i+2] == '\t' || sql[i+2] == '\n' || sql[i+2] == '\r'):
			for i < n && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at offset %d", i)
			}
			body := sql[i+2 : i+2+end]
			if rest, off, ok := executable(body, opts); ok {
				// Executable comment: its content is part of the statement, as the server
				// executed it. The inner tokens keep their offsets in sql, so that textFrom
				// can cut type expressions and default values out of the statement.
				inner, err := lex(rest, opts)
				if err != nil {
					return nil, err
				}
				inner = inner[:len(inner)-1] // the inner text's own end-of-input token
				for k := range inner {
					inner[k].pos += i + 2 + off
				}
				toks = append(toks, inner...)
			}
			i += 2 + end + 2
		case c == '`':
			var b strings.Builder
			j := i + 1
			for {
				if j >= n {
					return nil, fmt.Errorf("unterminated quoted identifier at offset %d", i)
				}
				if sql[j] == '`' {
					if j+1 < n && sql[j+1] == '`' {
						b.WriteByte('`')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(sql[j])
				j++
			}
			toks = append(toks, token{kind: tokQuoted, text: b.String(), raw: sql[i : j+1], pos: i})
			i = j + 1
		case c == '\'' || c == '"':
			s, j, err := lexString(sql, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: s, raw: sql[i:j], pos: i})
			i = j
		case (c == 'x' || c == 'X' || c == 'b' || c == 'B') && i+1 < n && sql[i+1] == '\'':
			end := strings.IndexByte(sql[i+2:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated literal at offset %d", i)
			}
			toks = append(toks, token{kind: tokHexBit, text: sql[i : i+3+end], raw: sql[i : i+3+end], pos: i})
			i += 3 + end
		case c == '0' && i+1 < n && (sql[i+1] == 'x' || sql[i+1] == 'b'):
			j := i + 2
			for j < n && isIdentChar(sql[j]) {
				j++
			}
			toks = append(toks, token{kind: tokHexBit, text: sql[i:j], raw: sql[i:j], pos: i})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < n && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := i
			for j < n && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.') {
				j++
			}
			if j < n && (sql[j] == 'e' || sql[j] == 'E') {
				k := j + 1
				if k < n && (sql[k] == '+' || sql[k] == '-') {
					k++
				}
				if k < n && sql[k] >= '0' && sql[k] <= '9' {
					j = k
					for j < n && sql[j] >= '0' && sql[j] <= '9' {
						j++
					}
				}
			}
			if j < n && isIdentStart(sql[j]) {
				// An identifier that starts with digits, such as 1col.
				for j < n && isIdentChar(sql[j]) {
					j++
				}
				toks = append(toks, token{kind: tokIdent, text: sql[i:j], raw: sql[i:j], pos: i})
			} else {
				toks = append(toks, token{kind: tokNumber, text: sql[i:j], raw: sql[i:j], pos: i})
			}
			i = j
		case isIdentStart(c):
			j := i
			for j < n && isIdentChar(sql[j]) {
				j++
			}
			word := sql[i:j]
			// A charset introducer (_utf8mb4'abc') belongs to the string that follows.
			if word[0] == '_' && j < n && (sql[j] == '\'' || sql[j] == '"') {
				s, k, err := lexString(sql, j)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{kind: tokString, text: s, raw: sql[i:k], pos: i})
				i = k
				continue
			}
			toks = append(toks, token{kind: tokIdent, text: word, raw: word, pos: i})
			i = j
		default:
			// Two-character operators first.
			if i+1 < n {
				two := sql[i : i+2]
				switch two {
				case "<=", ">=", "<>", "!=", ":=", "||", "&&", "<<", ">>", "->":
					toks = append(toks, token{kind: tokPunct, text: two, raw: two, pos: i})
					i += 2
					continue
				}
			}
			toks = append(toks, token{kind: tokPunct, text: string(c), raw: string(c), pos: i})
			i++
		}
	}
	toks = append(toks, token{kind: tokEOF, pos: n})
	return toks, nil
}

// lexString reads a quoted string starting at sql[i] and returns its value and the index after it.
func lexString(sql string, i int) (string, int, error) {
	q := sql[i]
	var b strings.Builder
	j := i + 1
	for {
		if j >= len(sql) {
			return "", 0, fmt.Errorf("unterminated string at offset %d", i)
		}
		c := sql[j]
		if c == '\\' && j+1 < len(sql) {
			switch sql[j+1] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'Z':
				b.WriteByte(26)
			case 'b':
				b.WriteByte('\b')
			default:
				b.WriteByte(sql[j+1])
			}
			j += 2
			continue
		}
		if c == q {
			if j+1 < len(sql) && sql[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			return b.String(), j + 1, nil
		}
		b.WriteByte(c)
		j++
	}
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$' || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}

// executable reports whether the comment body (the text between /* and */) is an executable
// comment the server ran, and returns its content and that content's offset in body. /*!...*/
// runs on every server, /*!NNNNN ...*/ on a server of version NNNNN or later, /*M!...*/ only on
// MariaDB; anything else is an ordinary comment.
func executable(body string, opts Options) (string, int, bool) {
	off := 0
	mariadbOnly := false
	switch {
	case strings.HasPrefix(body, "!"):
		off = 1
	case strings.HasPrefix(body, "M!"):
		off, mariadbOnly = 2, true
	default:
		return "", 0, false
	}
	if mariadbOnly && opts.MySQL {
		return "", 0, false
	}
	j := off
	for j < len(body) && j-off < 6 && body[j] >= '0' && body[j] <= '9' {
		j++
	}
	if digits := j - off; digits >= 5 && opts.ServerVersion > 0 {
		v := 0
		for _, c := range body[off:j] {
			v = v*10 + int(c-'0')
		}
		if v > opts.ServerVersion {
			return "", 0, false
		}
	} else if digits > 0 && digits < 5 {
		// Not a version: the digits belong to the content (/*!1 ...*/ is unusual but legal).
		j = off
	}
	return body[j:], j, true
}
