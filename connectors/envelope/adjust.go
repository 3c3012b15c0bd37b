package envelope

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
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

// FieldNameAdjuster is field.name.adjustment.mode: how the field names of a table's key and
// value schemas (its column names) are made valid Avro names, as Debezium's field namers ('none',
// 'avro': each invalid character becomes '_', 'avro_unicode': each invalid character and '_'
// become _uXXXX). A field name's first character must be a letter or '_', later ones letters,
// digits or '_' (no '.', unlike schema names). Nil adjusts nothing. It runs when a table's
// schemas are built, never per record.
type FieldNameAdjuster func(string) string

// ParseFieldNameAdjustment returns the adjuster of a field.name.adjustment.mode value.
func ParseFieldNameAdjustment(mode string) (FieldNameAdjuster, error) {
	switch strings.ToLower(strings.TrimSpace(mode)) {
	case "", "none":
		return nil, nil
	case "avro":
		return func(s string) string { return adjustFieldName(s, false) }, nil
	case "avro_unicode":
		return func(s string) string { return adjustFieldName(s, true) }, nil
	}
	return nil, fmt.Errorf("field.name.adjustment.mode %q is not none, avro or avro_unicode", mode)
}

// adjustFieldName follows Debezium's field namers: with '_' replacement a leading digit (any
// Unicode digit, as Java's Character.isDigit) keeps itself after the '_' (so "1a" and "2a" stay
// apart); the unicode form writes the UTF-16 unit's
// lower-case hex, padded to four digits only when it has one or two (Java's toHexString with "00"
// prepended), so U+03A9 is _u3a9.
func adjustFieldName(s string, uni bool) string {
	units := utf16Units(s)
	valid := func(c rune, first bool) bool {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' && !uni {
			return true
		}
		return !first && c >= '0' && c <= '9'
	}
	changed := false
	var b strings.Builder
	for i, u := range units {
		c := rune(u)
		if valid(c, i == 0) {
			b.WriteRune(c)
			continue
		}
		changed = true
		if !uni {
			b.WriteByte('_')
			if i == 0 && unicode.IsDigit(c) {
				b.WriteRune(c)
			}
			continue
		}
		hex := strconv.FormatUint(uint64(u), 16)
		if len(hex) <= 2 {
			hex = "00" + hex
		}
		b.WriteString("_u")
		b.WriteString(hex)
	}
	if !changed {
		return s
	}
	return b.String()
}
