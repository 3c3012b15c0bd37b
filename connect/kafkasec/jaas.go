package kafkasec

import (
	"fmt"
	"strings"
)

// jaasModule is one login module of a sasl.jaas.config value.
type jaasModule struct {
	class   string
	flag    string
	options map[string]string
}

// parseJAAS parses a sasl.jaas.config value the way Kafka's JaasConfig does: one or more
// "<LoginModuleClass> <flag> key=value ... ;" entries, values bare or double-quoted with
// backslash escapes, and // or /* */ comments. Errors never quote option values, which hold
// passwords.
func parseJAAS(s string) ([]jaasModule, error) {
	p := jaasParser{s: s}
	var mods []jaasModule
	for {
		tok, kind, err := p.next()
		if err != nil {
			return nil, err
		}
		if kind == tokEOF {
			break
		}
		if kind != tokWord {
			return nil, fmt.Errorf("expected a login module class name, found %q", tok)
		}
		m := jaasModule{class: tok, options: map[string]string{}}
		flag, kind, err := p.next()
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(flag) {
		case "required", "requisite", "sufficient", "optional":
			m.flag = strings.ToLower(flag)
		default:
			if kind == tokEOF {
				flag = "end of value"
			}
			return nil, fmt.Errorf("login module %s: expected a control flag (required, requisite, sufficient or optional), found %q", m.class, flag)
		}
		for {
			key, kind, err := p.next()
			if err != nil {
				return nil, err
			}
			if kind == tokSemi {
				break
			}
			if kind != tokWord {
				return nil, fmt.Errorf("login module %s: missing ';' at the end of its entry", m.class)
			}
			if _, eq, err := p.next(); err != nil {
				return nil, err
			} else if eq != tokEquals {
				return nil, fmt.Errorf("login module %s: option %s has no '=value'", m.class, key)
			}
			val, kind, err := p.next()
			if err != nil {
				return nil, err
			}
			if kind != tokWord && kind != tokQuoted {
				return nil, fmt.Errorf("login module %s: option %s has no value", m.class, key)
			}
			m.options[key] = val
		}
		mods = append(mods, m)
	}
	if len(mods) == 0 {
		return nil, fmt.Errorf("no login module in it")
	}
	return mods, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokQuoted
	tokEquals
	tokSemi
)

type jaasParser struct {
	s   string
	pos int
}

// next returns the next token, skipping white space and comments.
func (p *jaasParser) next() (string, tokKind, error) {
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.pos++
		case strings.HasPrefix(p.s[p.pos:], "//"):
			if i := strings.IndexByte(p.s[p.pos:], '\n'); i >= 0 {
				p.pos += i + 1
			} else {
				p.pos = len(p.s)
			}
		case strings.HasPrefix(p.s[p.pos:], "/*"):
			i := strings.Index(p.s[p.pos+2:], "*/")
			if i < 0 {
				return "", tokEOF, fmt.Errorf("unterminated /* comment")
			}
			p.pos += 2 + i + 2
		default:
			return p.token()
		}
	}
	return "", tokEOF, nil
}

func (p *jaasParser) token() (string, tokKind, error) {
	c := p.s[p.pos]
	switch c {
	case '=':
		p.pos++
		return "=", tokEquals, nil
	case ';':
		p.pos++
		return ";", tokSemi, nil
	case '"', '\'':
		var b strings.Builder
		for i := p.pos + 1; i < len(p.s); i++ {
			switch p.s[i] {
			case c:
				p.pos = i + 1
				return b.String(), tokQuoted, nil
			case '\\':
				if i+1 < len(p.s) {
					i++
					switch p.s[i] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(p.s[i])
					}
				}
			default:
				b.WriteByte(p.s[i])
			}
		}
		return "", tokEOF, fmt.Errorf("a quoted value is not terminated")
	}
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '=' || c == ';' || c == '"' || c == '\'' {
			break
		}
		p.pos++
	}
	return p.s[start:p.pos], tokWord, nil
}
