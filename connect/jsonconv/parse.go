package jsonconv

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/connectd/connectd/connect/api/jsontext"
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
	buf  []byte // scratch space for unescaping strings
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
	p.pos = jsontext.SkipSpace(p.data, p.pos)
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
	if jsontext.HasLiteral(p.data, p.pos, word) {
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
	end, integral, err := jsontext.ScanNumber(p.data, p.pos, true)
	if err != nil {
		return node{}, p.syntaxError(err)
	}
	p.pos = end
	return node{kind: kindNumber, str: string(p.data[start:p.pos]), integral: integral}, nil
}

var errBadUTF8 = errors.New("invalid UTF-8 in a string")

func (p *parser) str() (string, error) {
	b, end, escaped, err := jsontext.ReadString(p.data, p.pos, p.buf)
	if err != nil {
		return "", p.syntaxError(err)
	}
	if escaped {
		p.buf = b
	}
	p.pos = end
	if !utf8.Valid(b) {
		return "", errBadUTF8
	}
	return string(b), nil
}

// syntaxError words an error of package jsontext as this parser always has.
func (p *parser) syntaxError(err error) error {
	var se *jsontext.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	p.pos = se.Pos
	switch se.Code {
	case jsontext.ErrUnterminatedString:
		return p.errorf("unterminated string")
	case jsontext.ErrUnterminatedEscape:
		p.pos++ // past the backslash: the end of the input
		return p.errorf("unterminated string")
	case jsontext.ErrControlChar:
		return p.errorf("unescaped control character in a string")
	case jsontext.ErrInvalidEscape:
		p.pos++ // after the escape's letter
		return p.errorf("bad escape \\%c", se.Byte)
	case jsontext.ErrTruncatedHex, jsontext.ErrInvalidHex:
		return p.errorf("bad \\u escape")
	case jsontext.ErrDigit:
		return p.errorf("expected a digit")
	case jsontext.ErrFractionDigit:
		return p.errorf("expected a digit after the decimal point")
	case jsontext.ErrExponentDigit:
		return p.errorf("expected a digit in the exponent")
	}
	return p.errorf("%s", se.Code)
}
