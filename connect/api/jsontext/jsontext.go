// Package jsontext holds the reading rules the project's hand-written JSON parsers share: white
// space, literals, numbers and strings, with Jackson's treatment of the escapes Java writes (a
// surrogate pair becomes one character; a lone surrogate, which a Java string may hold but UTF-8
// cannot, becomes U+FFFD).
//
// It is a scanner, not a parser: each function reads one token at a given index of the input and
// returns where the token ends, so every caller keeps its own tree, map or streaming decoder, its
// own nesting limit and its own error messages. Errors are *SyntaxError values carrying a Code and
// the byte position, which callers translate into the messages their users already see.
//
// It is the reading counterpart of javafmt and, like it, a leaf: it imports only the standard
// library. Nothing here allocates except to return an error, and ReadString only appends to the
// buffer it is given when a string holds escapes.
package jsontext

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Code says which rule of the JSON grammar a SyntaxError broke.
type Code uint8

// The codes of SyntaxError. Pos is given for each, as callers phrase their messages around it.
const (
	// ErrUnterminatedString: the input ended inside a string; Pos is len(data).
	ErrUnterminatedString Code = iota + 1
	// ErrUnterminatedEscape: the input ended right after a backslash; Pos is the backslash.
	ErrUnterminatedEscape
	// ErrControlChar: a byte below 0x20 inside a string, which JSON requires escaped; Pos is that
	// byte, and Byte is it.
	ErrControlChar
	// ErrInvalidEscape: a backslash followed by a byte that starts no escape; Pos is that byte,
	// and Byte is it.
	ErrInvalidEscape
	// ErrTruncatedHex: fewer than four bytes follow a \u; Pos is the first of them.
	ErrTruncatedHex
	// ErrInvalidHex: one of the four bytes after a \u is not a hex digit; Pos is the first of
	// the four, and Byte is the bad one.
	ErrInvalidHex
	// ErrDigit: a number has no digit where its integer part starts (after any '-'); Pos is
	// there.
	ErrDigit
	// ErrLeadingZero: a number's integer part has more than one digit and starts with 0, with
	// leading zeros not allowed; Pos is the zero.
	ErrLeadingZero
	// ErrFractionDigit: no digit after a number's decimal point; Pos is just after the point.
	ErrFractionDigit
	// ErrExponentDigit: no digit in a number's exponent; Pos is just after the 'e' and its sign.
	ErrExponentDigit
)

var codeText = [...]string{
	ErrUnterminatedString: "unterminated string",
	ErrUnterminatedEscape: "unterminated escape",
	ErrControlChar:        "unescaped control character in a string",
	ErrInvalidEscape:      "invalid escape in a string",
	ErrTruncatedHex:       `truncated \u escape`,
	ErrInvalidHex:         `invalid hex digit in a \u escape`,
	ErrDigit:              "expected a digit",
	ErrLeadingZero:        "number with a leading zero",
	ErrFractionDigit:      "expected a digit after the decimal point",
	ErrExponentDigit:      "expected a digit in the exponent",
}

// String describes the code in a few words.
func (c Code) String() string {
	if int(c) < len(codeText) && codeText[c] != "" {
		return codeText[c]
	}
	return fmt.Sprintf("jsontext.Code(%d)", uint8(c))
}

// SyntaxError is the error of every function here: which rule the input broke and where.
type SyntaxError struct {
	Code Code
	Pos  int  // byte offset in the input; see the Code for which byte
	Byte byte // the offending byte, for the codes that name one
}

// Error says what is wrong and where, for callers that pass the error on as it is.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Pos, e.Code)
}

func fail(code Code, pos int, b byte) error {
	return &SyntaxError{Code: code, Pos: pos, Byte: b}
}

// SkipSpace returns the index of the first byte at or after i that is not JSON white space
// (space, tab, line feed, carriage return), or len(data).
func SkipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// HasLiteral reports whether data continues at i with word (true, false, null).
func HasLiteral(data []byte, i int, word string) bool {
	return len(data)-i >= len(word) && string(data[i:i+len(word)]) == word
}

// ScanNumber reads the number that starts at data[i] (a '-' or a digit, else ErrDigit) and
// returns the index just after it and whether it is integral: no fraction and no exponent, so a
// Java long when it fits. JSON's grammar is kept, except that leadingZeros accepts an integer part
// such as 007, as Jackson's ALLOW_LEADING_ZEROS_FOR_NUMBERS does. Converting the text is left to
// the caller, as each keeps its own number model.
func ScanNumber(data []byte, i int, leadingZeros bool) (end int, integral bool, err error) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	start := i
	i = skipDigits(data, i)
	if i == start {
		return i, false, fail(ErrDigit, i, 0)
	}
	if !leadingZeros && data[start] == '0' && i-start > 1 {
		return start, false, fail(ErrLeadingZero, start, '0')
	}
	integral = true
	if i < len(data) && data[i] == '.' {
		integral = false
		i++
		d := i
		if i = skipDigits(data, i); i == d {
			return i, false, fail(ErrFractionDigit, i, 0)
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integral = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		d := i
		if i = skipDigits(data, i); i == d {
			return i, false, fail(ErrExponentDigit, i, 0)
		}
	}
	return i, integral, nil
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// ReadString reads the string whose opening quote is at data[i] and returns its content and the
// index just after the closing quote. Without escapes the content is data's own bytes (escaped is
// false); with them it is unescaped into buf[:0], grown as needed, and escaped is true, so a
// caller keeping a scratch buffer takes the returned slice back as its buffer. Either way the
// bytes are not checked for valid UTF-8: callers that must reject it check with utf8.Valid.
func ReadString(data []byte, i int, buf []byte) (s []byte, end int, escaped bool, err error) {
	i++ // the opening quote
	start := i
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			return data[start:i], i + 1, false, nil
		case c == '\\':
			return unescape(data, start, i, buf)
		case c < 0x20:
			return nil, i, false, fail(ErrControlChar, i, c)
		}
		i++
	}
	return nil, i, false, fail(ErrUnterminatedString, i, 0)
}

// unescape continues ReadString from the first backslash, at data[i].
func unescape(data []byte, start, i int, buf []byte) ([]byte, int, bool, error) {
	buf = append(buf[:0], data[start:i]...)
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			return buf, i + 1, true, nil
		case c < 0x20:
			return nil, i, true, fail(ErrControlChar, i, c)
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(data) {
			return nil, i, true, fail(ErrUnterminatedEscape, i, 0)
		}
		e := data[i+1]
		i += 2
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
			r, err := hex4(data, i)
			if err != nil {
				return nil, i, true, err
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair is two \u escapes. A lone half has no UTF-8 form and becomes U+FFFD;
				// what follows it is then read as an escape of its own.
				pair := utf8.RuneError
				if i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' {
					lo, err := hex4(data, i+2)
					if err != nil {
						return nil, i + 2, true, err
					}
					if pair = utf16.DecodeRune(r, lo); pair != utf8.RuneError {
						i += 6
					}
				}
				r = pair
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return nil, i - 1, true, fail(ErrInvalidEscape, i-1, e)
		}
	}
	return nil, i, true, fail(ErrUnterminatedString, i, 0)
}

// hex4 reads the four hex digits of a \u escape at data[i].
func hex4(data []byte, i int) (rune, error) {
	if len(data)-i < 4 {
		return 0, fail(ErrTruncatedHex, i, 0)
	}
	var r rune
	for _, c := range data[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, fail(ErrInvalidHex, i, c)
		}
	}
	return r, nil
}
