package javafmt

import "unicode/utf8"

// AppendString appends s as a JSON string, quoted, exactly as Jackson's UTF8JsonGenerator (the
// generator behind Kafka Connect's JsonConverter, which writes bytes) writes the Java String
// holding s with default settings:
//
//   - '"' and '\' are backslash-escaped;
//   - \b \t \n \f \r use their short escapes, the other control characters below 0x20 are
//     \u00XX with upper-case hex;
//   - a character outside the Basic Multilingual Plane (an emoji) is written as its two UTF-16
//     surrogates, each escaped (\uD83D\uDE00): Jackson sees the String's two surrogate chars,
//     and COMBINE_UNICODE_SURROGATES_IN_UTF8 is off by default;
//   - everything else, '/', DEL, U+2028/9 and all other non-ASCII characters included, is
//     written as it is, in UTF-8;
//   - invalid UTF-8, which a Java String cannot hold, becomes U+FFFD, one per maximal invalid
//     subpart, as Java's UTF-8 decoder replaces it (new String(bytes, UTF_8)).
func AppendString(dst []byte, s string) []byte {
	return appendString(dst, s, true)
}

// AppendWriterString appends s as a JSON string as Jackson's WriterBasedJsonGenerator writes it,
// the generator behind a String or java.io.Writer output, which Debezium's DocumentWriter uses for
// schema history records: the same escapes as AppendString, except that a character outside the
// Basic Multilingual Plane is written as it is, in UTF-8 (the surrogate pair reaches the Writer
// as two chars, and the String's UTF-8 encoding joins them into one 4-byte sequence).
func AppendWriterString(dst []byte, s string) []byte {
	return appendString(dst, s, false)
}

// escapes classifies each byte for Jackson's default escaping: 0 for printable ASCII written as
// it is (DEL included), the letter of the short escape for '"', '\', \b, \t, \n, \f and \r, 'u'
// for the other control characters (\u00XX), and nonASCII for the bytes of multi-byte UTF-8.
var escapes = func() (t [256]byte) {
	for c := range 0x20 {
		t[c] = 'u'
	}
	t['"'], t['\\'] = '"', '\\'
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = 'b', 't', 'n', 'f', 'r'
	for c := 0x80; c < 0x100; c++ {
		t[c] = nonASCII
	}
	return t
}()

const nonASCII = 0xFF

const hexDigits = "0123456789ABCDEF"

// appendString is AppendString, or AppendWriterString when escapeSupplementary is false.
func appendString(dst []byte, s string, escapeSupplementary bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip eight plain bytes at a time: most text needs no escaping at all.
		for i+8 <= len(s) && plain8(s[i:i+8]) {
			i += 8
		}
		// Then take the next eight bytes (or more, to finish a character) one character at a
		// time, so mixed text does not try the word test at every character.
		for end := min(i+8, len(s)); i < end; {
			c := s[i]
			esc := escapes[c]
			if esc == 0 {
				i++
				continue
			}
			if esc == nonASCII {
				// Well-formed two- and three-byte sequences (all of the BMP but U+0800..U+0FFF
				// and U+D000..U+D7FF, left to the decoder) are written as they are; checking
				// them here saves a call per character in non-English text.
				if c <= 0xDF && c >= 0xC2 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
					i += 2
					continue
				}
				if c >= 0xE1 && c != 0xED && c <= 0xEF && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
					i += 3
					continue
				}
				r, size := utf8.DecodeRuneInString(s[i:])
				switch {
				case r == utf8.RuneError && size == 1:
					dst = append(dst, s[start:i]...)
					dst = append(dst, "\uFFFD"...)
					i += invalidRun(s[i:])
					start = i
				case r >= 0x10000 && escapeSupplementary:
					dst = append(dst, s[start:i]...)
					r -= 0x10000
					dst = appendU4(dst, 0xD800+int(r>>10))
					dst = appendU4(dst, 0xDC00+int(r&0x3FF))
					i += size
					start = i
				default:
					i += size
				}
				continue
			}
			dst = append(dst, s[start:i]...)
			if esc == 'u' {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			} else {
				dst = append(dst, '\\', esc)
			}
			i++
			start = i
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// invalidRun returns how many bytes at the start of s (which does not begin with a valid UTF-8
// sequence) one U+FFFD replaces: the maximal prefix of a well-formed sequence, at least one byte,
// as Java's UTF-8 decoder does: "\xe4\xb8" is one replacement, "\xff\xff" two, an encoded
// surrogate "\xed\xa0\x80" one (checked against JDK 25's new String(bytes, UTF_8)).
func invalidRun(s string) int {
	c := s[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF) // allowed range of the second byte
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEF:
		// 0xED included with any continuation byte: Java's decoder takes an encoded
		// surrogate (ED A0..BF xx) as one malformed sequence.
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(s); k++ {
		b := s[n]
		if k == 0 && (b < lo || b > hi) || k > 0 && (b < 0x80 || b > 0xBF) {
			break
		}
		n++
	}
	return n
}

// plain8 reports whether the 8 bytes of b are printable ASCII other than '"' and '\', using
// word-wide bit tricks (a false "no" only sends the caller to its byte loop).
func plain8(b string) bool {
	_ = b[7]
	w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// Bytes below 0x20, with the high bit set, equal to '"' or equal to '\\'.
	below := (w - 0x20*ones) & ^w
	quote := w ^ '"'*ones
	quote = (quote - ones) & ^quote
	bslash := w ^ '\\'*ones
	bslash = (bslash - ones) & ^bslash
	return (below|w|quote|bslash)&highs == 0
}

// appendU4 appends a \uXXXX escape with upper-case hex.
func appendU4(dst []byte, u int) []byte {
	return append(dst, '\\', 'u', hexDigits[u>>12&0xF], hexDigits[u>>8&0xF], hexDigits[u>>4&0xF], hexDigits[u&0xF])
}
