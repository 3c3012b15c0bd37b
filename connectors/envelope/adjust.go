package envelope

import (
	"fmt"
	"strings"
)

// SchemaNameAdjuster is schema.name.adjustment.mode: how the names of a table's key, value and
// envelope schemas are made valid Avro full names, as Debezium's SchemaNameAdjuster ('none',
// 'avro': each invalid character becomes '_', 'avro_unicode': each invalid character and '_'
// become _uXXXX). The first character must be a letter or '_', later ones letters, digits, '_'
// or '.'. Nil adjusts nothing.
type SchemaNameAdjuster func(string) string

// ParseSchemaNameAdjustment returns the adjuster of a schema.name.adjustment.mode value.
func ParseSchemaNameAdjustment(mode string) (SchemaNameAdjuster, error) {
	switch strings.ToLower(strings.TrimSpace(mode)) {
	case "", "none":
		return nil, nil
	case "avro":
		return func(s string) string { return adjustName(s, false) }, nil
	case "avro_unicode":
		return func(s string) string { return adjustName(s, true) }, nil
	}
	return nil, fmt.Errorf("schema.name.adjustment.mode %q is not none, avro or avro_unicode", mode)
}

func validAvroChar(c rune, first bool) bool {
	if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return !first && (c >= '0' && c <= '9' || c == '.')
}

func adjustName(s string, unicode bool) string {
	var b strings.Builder
	for i, u := range utf16Units(s) {
		c := rune(u)
		switch {
		case unicode && c == '_':
			b.WriteString("_u005f")
		case validAvroChar(c, i == 0):
			b.WriteRune(c)
		case unicode:
			fmt.Fprintf(&b, "_u%04x", u)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// utf16Units is s as Java sees it: Debezium adjusts per UTF-16 unit.
func utf16Units(s string) []uint16 {
	var out []uint16
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, uint16(0xd800+(r>>10)), uint16(0xdc00+(r&0x3ff)))
			continue
		}
		out = append(out, uint16(r))
	}
	return out
}
