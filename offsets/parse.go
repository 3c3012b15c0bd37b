package offsets

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/connectd/connectd/connect/api/jsontext"
)

// parser is a small strict JSON (RFC 8259) reader for offset keys and values. It exists instead of
// encoding/json because offsets need Kafka Connect's number model (integers are Java longs, the
// rest doubles) and because reading an offsets topic at start-up decodes every record in it.
type parser struct {
	data []byte
	pos  int
	buf  []byte // scratch space for unescaping strings
}

// parseJSON parses exactly one JSON value with optional surrounding whitespace. Objects become
// map[string]any (a repeated field keeps its last value, as Jackson and HashMap do), arrays []any,
// integers int64, other numbers float64.
func parseJSON(data []byte) (any, error) {
	p := parser{data: data}
	p.skipSpace()
	v, err := p.parseValue(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.errorf("unexpected %s after the end of the JSON value", p.describe())
	}
	return v, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

// describe names the byte at the current position for an error message.
func (p *parser) describe() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	c := p.data[p.pos]
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (p *parser) skipSpace() {
	p.pos = jsontext.SkipSpace(p.data, p.pos)
}

func (p *parser) parseValue(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested deeper than %d levels", maxDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input, expected a value")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.parseObject(depth)
	case c == '[':
		return p.parseArray(depth)
	case c == '"':
		return p.parseString()
	case c == '-' || c >= '0' && c <= '9':
		return p.parseNumber()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, p.errorf("unexpected %s, expected a value", p.describe())
}

func (p *parser) literal(word string) error {
	if jsontext.HasLiteral(p.data, p.pos, word) {
		p.pos += len(word)
		return nil
	}
	return p.errorf("invalid literal, expected %s", word)
}

func (p *parser) parseObject(depth int) (any, error) {
	p.pos++ // {
	m := make(map[string]any)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return m, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("unexpected %s, expected a field name in double quotes", p.describe())
		}
		k, err := p.parseString()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("unexpected %s after field name %q, expected ':'", p.describe(), k)
		}
		p.pos++
		p.skipSpace()
		v, err := p.parseValue(depth + 1)
		if err != nil {
			return nil, err
		}
		m[k] = v
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input inside an object, expected ',' or '}'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return m, nil
		default:
			return nil, p.errorf("unexpected %s inside an object, expected ',' or '}'", p.describe())
		}
	}
}

func (p *parser) parseArray(depth int) (any, error) {
	p.pos++ // [
	list := []any{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return list, nil
	}
	for {
		p.skipSpace()
		v, err := p.parseValue(depth + 1)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input inside a list, expected ',' or ']'")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return list, nil
		default:
			return nil, p.errorf("unexpected %s inside a list, expected ',' or ']'", p.describe())
		}
	}
}

// parseString reads a quoted string at p.pos. A string without escapes is copied once from the
// input; one with escapes is unescaped into the parser's scratch buffer first.
func (p *parser) parseString() (string, error) {
	start := p.pos
	b, end, escaped, err := jsontext.ReadString(p.data, p.pos, p.buf)
	if err != nil {
		return "", p.syntaxError(err, start)
	}
	if escaped {
		p.buf = b
	}
	if !utf8.Valid(b) {
		if !escaped {
			return "", p.errorf("string is not valid UTF-8")
		}
		p.pos = end
		return "", p.errorf("string starting at byte %d is not valid UTF-8", start)
	}
	p.pos = end
	return string(b), nil
}

// syntaxError words an error of package jsontext as this parser always has, for the value that
// starts at byte start.
func (p *parser) syntaxError(err error, start int) error {
	var se *jsontext.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	p.pos = se.Pos
	switch se.Code {
	case jsontext.ErrUnterminatedString:
		return p.errorf("unterminated string starting at byte %d", start)
	case jsontext.ErrUnterminatedEscape:
		return p.errorf("unterminated escape")
	case jsontext.ErrControlChar:
		return p.errorf("control character 0x%02x inside a string must be escaped", se.Byte)
	case jsontext.ErrInvalidEscape:
		p.pos++ // after the escape's letter
		return p.errorf("invalid escape \\%c", se.Byte)
	case jsontext.ErrTruncatedHex:
		return p.errorf("truncated \\u escape")
	case jsontext.ErrInvalidHex:
		return p.errorf("invalid hex digit %q in \\u escape", se.Byte)
	case jsontext.ErrDigit:
		return p.errorf("invalid number, expected a digit")
	case jsontext.ErrLeadingZero:
		return p.errorf("invalid number with a leading zero")
	case jsontext.ErrFractionDigit:
		return p.errorf("invalid number, expected a digit after '.'")
	case jsontext.ErrExponentDigit:
		return p.errorf("invalid number, expected a digit in the exponent")
	}
	return p.errorf("%s", se.Code)
}

// parseNumber reads a JSON number: integers (no fraction, no exponent) as int64, as Jackson's
// longValue does for the offsets Kafka Connect reads; everything else as float64.
func (p *parser) parseNumber() (any, error) {
	start := p.pos
	end, integral, err := jsontext.ScanNumber(p.data, p.pos, false)
	if err != nil {
		return nil, p.syntaxError(err, start)
	}
	p.pos = end
	text := string(p.data[start:p.pos])
	if integral {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("at byte %d: integer %s does not fit a 64-bit signed integer (Java long)", start, text)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, fmt.Errorf("at byte %d: invalid number %s", start, text)
	}
	// Out-of-range values saturate to ±Inf, as Java's Double.parseDouble does.
	return f, nil
}
