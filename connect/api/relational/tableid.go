package relational

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TableID identifies a table by catalog, schema and name, as Debezium's TableId. MySQL and MariaDB
// use Catalog for the database and leave Schema empty; PostgreSQL and Db2 use Schema and leave
// Catalog empty; SQL Server uses all three. An empty part is absent.
type TableID struct {
	Catalog string
	Schema  string
	Table   string
}

// String returns the plain dotted form Debezium uses as the table's identifier, topic name part
// and include-list subject: the non-empty parts joined by '.', unquoted ("inventory.customers").
func (id TableID) String() string {
	switch {
	case id.Catalog == "" && id.Schema == "":
		return id.Table
	case id.Catalog == "":
		return id.Schema + "." + id.Table
	case id.Schema == "":
		return id.Catalog + "." + id.Table
	}
	return id.Catalog + "." + id.Schema + "." + id.Table
}

// DoubleQuoted returns the form the schema history stores in tableChanges[].id: every non-empty
// part in double quotes, joined by '.' (`"inventory"."customers"`). It follows Debezium's
// TableId.toDoubleQuotedString exactly, including its quirk that a part already starting or ending
// with '"' is taken as quoted and left alone, so the bytes match what Debezium writes.
func (id TableID) DoubleQuoted() string {
	var b strings.Builder
	b.Grow(len(id.Catalog) + len(id.Schema) + len(id.Table) + 8)
	if id.Catalog != "" {
		quotePart(&b, id.Catalog)
		b.WriteByte('.')
	}
	if id.Schema != "" {
		quotePart(&b, id.Schema)
		b.WriteByte('.')
	}
	quotePart(&b, id.Table)
	return b.String()
}

func quotePart(b *strings.Builder, part string) {
	if part == "" {
		b.WriteString(`""`)
		return
	}
	if part[0] == '"' || part[len(part)-1] == '"' {
		b.WriteString(part)
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(part, `"`, `""`))
	b.WriteByte('"')
}

// IsZero reports whether id names no table.
func (id TableID) IsZero() bool { return id == TableID{} }

// lowerTable returns id with the table name lower-cased, the key Debezium uses for a
// case-insensitive table set (MySQL with lower_case_table_names): catalog and schema keep their
// case.
func (id TableID) lowerTable() TableID {
	id.Table = strings.ToLower(id.Table)
	return id
}

// ErrInvalidTableID is wrapped by ParseTableID's errors.
var ErrInvalidTableID = errors.New("invalid table identifier")

// ParseTableID parses a table identifier written as Debezium writes or accepts it: one to three
// parts separated by '.', each bare or quoted with '"', '\” or '`' (a doubled quote inside a
// quoted part stands for one), whitespace around parts ignored. Two parts are catalog and table
// when catalogBeforeSchema is true (MySQL, MariaDB), schema and table otherwise (PostgreSQL, Db2).
func ParseTableID(s string, catalogBeforeSchema bool) (TableID, error) {
	var parts [3]string
	n := 0
	err := splitTableID(s, func(p string) error {
		if n == len(parts) {
			return fmt.Errorf("%w %q: more than three dot-separated parts", ErrInvalidTableID, s)
		}
		parts[n] = p
		n++
		return nil
	})
	if err != nil {
		return TableID{}, err
	}
	switch n {
	case 0:
		return TableID{}, fmt.Errorf("%w %q: no table name", ErrInvalidTableID, s)
	case 1:
		return TableID{Table: parts[0]}, nil
	case 2:
		if catalogBeforeSchema {
			return TableID{Catalog: parts[0], Table: parts[1]}, nil
		}
		return TableID{Schema: parts[0], Table: parts[1]}, nil
	}
	return TableID{Catalog: parts[0], Schema: parts[1], Table: parts[2]}, nil
}

// The states of the identifier scanner, named after Debezium's TableIdParser.
const (
	stInitial = iota
	stInIdentifier
	stBeforeSeparator
	stAfterSeparator
	stInQuoted
)

// splitTableID scans s into its parts and hands each to emit. It reproduces Debezium's
// TableIdParser state machine, including its final step of collapsing doubled quote characters of
// all three kinds in every part.
func splitTableID(s string, emit func(string) error) error {
	state := stInitial
	start := 0     // byte offset where the current part's text starts
	var quote byte // the quote character of the current quoted part
	escaped := false
	flush := func(end int) error { return emit(unescapeIDPart(s[start:end])) }
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch state {
		case stInitial, stAfterSeparator:
			switch {
			case javaWhitespace(r):
			case r == '.':
				return fmt.Errorf("%w %q: unexpected '.' at byte %d", ErrInvalidTableID, s, i)
			case r == '"' || r == '\'' || r == '`':
				quote = byte(r)
				start = i + 1
				state = stInQuoted
			default:
				start = i
				state = stInIdentifier
			}
		case stInIdentifier:
			switch {
			case javaWhitespace(r):
				if err := flush(i); err != nil {
					return err
				}
				state = stBeforeSeparator
			case r == '.':
				if err := flush(i); err != nil {
					return err
				}
				state = stAfterSeparator
			}
		case stBeforeSeparator:
			switch {
			case javaWhitespace(r):
			case r == '.':
				state = stAfterSeparator
			default:
				return fmt.Errorf("%w %q: unexpected %q at byte %d", ErrInvalidTableID, s, r, i)
			}
		case stInQuoted:
			if r == rune(quote) {
				switch {
				case escaped:
					escaped = false
				case i+1 < len(s) && s[i+1] == quote:
					escaped = true
				default:
					if err := flush(i); err != nil {
						return err
					}
					state = stBeforeSeparator
				}
			}
		}
		i += size
	}
	switch state {
	case stInIdentifier:
		return flush(len(s))
	case stBeforeSeparator:
		return nil
	case stInitial:
		return nil // blank: no parts, and ParseTableID reports the missing name
	case stInQuoted:
		return fmt.Errorf("%w %q: unterminated quoted part", ErrInvalidTableID, s)
	}
	return fmt.Errorf("%w %q: ends after '.'", ErrInvalidTableID, s)
}

// unescapeIDPart collapses doubled quotes as Debezium's parser does after tokenizing.
func unescapeIDPart(p string) string {
	if !strings.ContainsAny(p, "'\"`") {
		return p
	}
	p = strings.ReplaceAll(p, "''", "'")
	p = strings.ReplaceAll(p, `""`, `"`)
	return strings.ReplaceAll(p, "``", "`")
}

// javaWhitespace is Java's Character.isWhitespace, which the identifier parser uses: Unicode space
// separators except the non-breaking ones, plus the ASCII control separators.
func javaWhitespace(r rune) bool {
	switch {
	case r == ' ', r >= '\t' && r <= '\r', r >= 0x1c && r <= 0x1f:
		return true
	case r < 0x80, r == 0xa0, r == 0x2007, r == 0x202f:
		return false
	}
	return unicode.Is(unicode.Zs, r) || r == 0x2028 || r == 0x2029
}
