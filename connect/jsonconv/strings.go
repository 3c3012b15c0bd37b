package jsonconv

import (
	"encoding/base64"
	"unicode/utf8"
)

// safeASCII marks the bytes Jackson writes as they are: printable ASCII other than '"' and '\'.
// Bytes of 0x80 and above are UTF-8 and handled apart; DEL (0x7F) is not escaped by Jackson.
var safeASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789ABCDEF"

// appendString appends s as a JSON string exactly as Jackson's generator writes a Java string:
// '"' and '\' backslash-escaped; \b \t \n \f \r as short escapes; other control characters as
// \u00XX with upper-case hex; characters outside the Basic Multilingual Plane (emoji) as two
// escaped UTF-16 surrogates (\uD83D\uDE00); '/', DEL, U+2028/9 and all other non-ASCII
// characters unescaped, as UTF-8. Invalid UTF-8 bytes become U+FFFD, as a Java string decoded
// from them would hold.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if safeASCII[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\uFFFD"...)
				i++
				start = i
			case r >= 0x10000:
				// Jackson's UTF-8 generator writes a character outside the BMP as its two
				// UTF-16 surrogates, each escaped (COMBINE_UNICODE_SURROGATES_IN_UTF8 is off).
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
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendU4 appends a \uXXXX escape with upper-case hex.
func appendU4(dst []byte, u int) []byte {
	return append(dst, '\\', 'u', hexDigits[u>>12&0xF], hexDigits[u>>8&0xF], hexDigits[u>>4&0xF], hexDigits[u&0xF])
}

// appendBase64 appends b as a JSON string in standard base64 with padding and no line breaks,
// Jackson's default Base64 variant for binary nodes.
func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}
