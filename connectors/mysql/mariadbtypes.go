package mysql

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// MariaDB's UUID, INET4 and INET6 types are fixed-length binary in a row image (16, 4 and 16
// bytes) and text in a SELECT. The snapshot hands their server-formatted text over as a
// textValue; the binlog hands the bytes, which are formatted here exactly as the server prints
// them, so a row reads the same whether it came from the snapshot or the stream.

// convertMariaDBBinaryText returns the converter of a UUID, INET4 or INET6 column.
func convertMariaDBBinaryText(typ string) func(raw any) (any, error) {
	format, size := formatUUID16, 16
	switch typ {
	case "INET4":
		format, size = formatINET4, 4
	case "INET6":
		format = formatINET6
	}
	return func(raw any) (any, error) {
		var b []byte
		switch v := raw.(type) {
		case nil:
			return nil, nil
		case textValue:
			return string(v), nil
		case string:
			b = []byte(v)
		case []byte:
			b = v
		default:
			return nil, fmt.Errorf("%s value of Go type %T, want the row image's bytes", typ, raw)
		}
		if len(b) > size {
			return nil, fmt.Errorf("%s value of %d bytes in the row image, want %d", typ, len(b), size)
		}
		if len(b) < size {
			// The row image stores a fixed-length value without its trailing zero bytes, as it
			// does for BINARY(n).
			var full [16]byte
			copy(full[:], b)
			b = full[:size]
		}
		return format(b), nil
	}
}

// formatUUID16 writes the 16 bytes as the server prints a UUID: the row image holds them in
// the printed order (MariaDB's index-friendly swap is internal to the storage engine).
func formatUUID16(b []byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// formatINET4 writes dotted decimal.
func formatINET4(b []byte) string {
	return strconv.Itoa(int(b[0])) + "." + strconv.Itoa(int(b[1])) + "." + strconv.Itoa(int(b[2])) + "." + strconv.Itoa(int(b[3]))
}

// formatINET6 writes an address as MariaDB's INET6 (and INET6_NTOA) does, which is not quite
// RFC 5952 as Go's net/netip writes it: the first longest run of zero groups is compressed even
// when it is a single group, and an address whose first 96 bits are zero (with a non-zero
// seventh group) or that is IPv4-mapped ends in dotted decimal ("::1.2.3.4", "::ffff:1.2.3.4").
func formatINET6(b []byte) string {
	var w [8]int
	for i := range w {
		w[i] = int(b[2*i])<<8 | int(b[2*i+1])
	}
	gapPos, gapLen := -1, 0
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > gapLen {
			gapPos, gapLen = i, j-i
		}
		i = j
	}
	if gapPos == 0 && (gapLen == 6 || (gapLen == 5 && w[5] == 0xffff)) {
		prefix := "::"
		if gapLen == 5 {
			prefix = "::ffff:"
		}
		return prefix + formatINET4(b[12:16])
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		switch {
		case i == gapPos:
			if i == 0 {
				sb.WriteByte(':')
			}
			sb.WriteByte(':')
		case gapPos >= 0 && i > gapPos && i < gapPos+gapLen:
		default:
			sb.WriteString(strconv.FormatInt(int64(w[i]), 16))
			if i != 7 {
				sb.WriteByte(':')
			}
		}
	}
	return sb.String()
}
