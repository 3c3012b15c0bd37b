package jsonconv

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// kind is the type of a parsed JSON node.
type kind uint8

const (
	kindMissing kind = iota // no content at all, Jackson's MissingNode
	kindNull
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// String names the kind as Jackson's JsonNodeType does, for error messages.
func (k kind) String() string {
	return [...]string{"MISSING", "NULL", "BOOLEAN", "NUMBER", "STRING", "ARRAY", "OBJECT"}[k]
}

// node is a parsed JSON value. Objects keep their member order, as Jackson's ObjectNode does, so
// schema parameters come back in the order they were written.
type node struct {
	kind     kind
	b        bool
	str      string // string value, or the number's text
	integral bool   // a number without fraction or exponent
	elems    []node // array elements, or object member values
	keys     []string
	// start and end delimit the node's text in the input, so a schema can be cached by it.
	start, end int
}

// get returns the object member called key, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return &n.elems[i]
		}
	}
	return nil
}

// maxDepth bounds nesting, as Jackson's StreamReadConstraints do (default 1000), so hostile
// input cannot exhaust the stack.
const maxDepth = 1000

// parser is a small order-preserving JSON reader; decoding is not on the hot path, and
// encoding/json would lose member order.
type parser struct {
	data []byte
	pos  int
}

// parse reads one JSON document. Empty input (only white space) gives a missing node, as
// Jackson's readTree does. Leading zeros in numbers are accepted, as Kafka's JsonDeserializer
// enables ALLOW_LEADING_ZEROS_FOR_NUMBERS.
func parse(data []byte) (node, error) {
	p := parser{data: data}
	p.skipSpace()
	if p.pos == len(data) {
		return node{kind: kindMissing}, nil
	}
	n, err := p.value(0)
	if err != nil {
		return node{}, err
	}
	p.skipSpace()
	if p.pos != len(data) {
		return node{}, p.errorf("unexpected content after the JSON value")
	}
	return n, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (node, error) {
	if depth > maxDepth {
		return node{}, p.errorf("nesting deeper than %d levels", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.data) {
		return node{}, p.errorf("unexpected end of input")
	}
	start := p.pos
	var n node
	var err error
	switch c := p.data[p.pos]; {
	case c == '{':
		n, err = p.object(depth)
	case c == '[':
		n, err = p.array(depth)
	case c == '"':
		var s string
		s, err = p.str()
		n = node{kind: kindString, str: s}
	case c == '-' || (c >= '0' && c <= '9'):
		n, err = p.number()
	case p.literal("true"):
		n = node{kind: kindBool, b: true}
	case p.literal("false"):
		n = node{kind: kindBool}
	case p.literal("null"):
		n = node{kind: kindNull}
	default:
		return node{}, p.errorf("unexpected character %q", c)
	}
	if err != nil {
		return node{}, err
	}
	n.start, n.end = start, p.pos
	return n, nil
}

// literal consumes word if the input continues with it.
func (p *parser) literal(word string) bool {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return true
	}
	return false
}

func (p *parser) object(depth int) (node, error) {
	p.pos++ // '{'
	n := node{kind: kindObject}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return node{}, p.errorf("expected an object member name")
		}
		k, err := p.str()
		if err != nil {
			return node{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return node{}, p.errorf("expected ':' after member name %q", k)
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return node{}, err
		}
		// A repeated name replaces the value in its first position, as Jackson's ObjectNode.
		replaced := false
		for i := range n.keys {
			if n.keys[i] == k {
				n.elems[i] = v
				replaced = true
				break
			}
		}
		if !replaced {
			n.keys = append(n.keys, k)
			n.elems = append(n.elems, v)
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return node{}, p.errorf("unexpected end of input inside an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return n, nil
		default:
			return node{}, p.errorf("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) array(depth int) (node, error) {
	p.pos++ // '['
	n := node{kind: kindArray}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return node{}, err
		}
		n.elems = append(n.elems, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return node{}, p.errorf("unexpected end of input inside an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n, nil
		default:
			return node{}, p.errorf("expected ',' or ']' in an array")
		}
	}
}

func (p *parser) number() (node, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		s := p.pos
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
		}
		return p.pos - s
	}
	if digits() == 0 {
		return node{}, p.errorf("expected a digit")
	}
	integral := true
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		integral = false
		p.pos++
		if digits() == 0 {
			return node{}, p.errorf("expected a digit after the decimal point")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		integral = false
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return node{}, p.errorf("expected a digit in the exponent")
		}
	}
	return node{kind: kindNumber, str: string(p.data[start:p.pos]), integral: integral}, nil
}

var errBadUTF8 = errors.New("invalid UTF-8 in a string")

func (p *parser) str() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			if !utf8.Valid(s) {
				return "", errBadUTF8
			}
			return string(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errorf("unescaped control character in a string")
		}
		p.pos++
	}
	buf := append([]byte(nil), p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(buf) {
				return "", errBadUTF8
			}
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("unescaped control character in a string")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.data) {
			break
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A pair becomes one character; a lone surrogate (legal in a Java string) has
				// no UTF-8 form and becomes U+FFFD.
				save := p.pos
				if p.literal(`\u`) {
					if r2, ok := p.hex4(); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
					}
				}
				p.pos = save
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.errorf("bad escape \\%c", e)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}
