package jsonconv

import "encoding/base64"

// appendBase64 appends b as a JSON string in standard base64 with padding and no line breaks,
// Jackson's default Base64 variant for binary nodes.
func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}
