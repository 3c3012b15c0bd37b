package schemahistory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/connectd/connectd/connect/api/jsontext"
	"github.com/connectd/connectd/connect/api/relational"
)

// ErrMalformed is wrapped by every error about a record that is not a valid history record: bad
// JSON, a field of the wrong type, an unparseable table id, a table that cannot be built.
var ErrMalformed = errors.New("malformed schema history record")

// Decoder turns the JSON of history records into Records. It accepts what Debezium 1.x, 2.x and
// 3.x wrote (fields missing from older versions default as Debezium's reader defaults them;
// unknown fields are skipped). It parses the bytes itself, without reflection, and shares the
// strings that repeat across records (type names, charsets, column names), so replaying a long
// history allocates little and the rebuilt tables hold one copy of each.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	// CatalogBeforeSchema says how to read a two-part table id: catalog and table when true
	// (MySQL, MariaDB: "db"."table"), schema and table when false (PostgreSQL, Db2), as Debezium's
	// useCatalogBeforeSchema.
	CatalogBeforeSchema bool

	intern map[string]string
	buf    []byte // scratch space for unescaping strings
}

// NewDecoder returns a decoder; see Decoder.CatalogBeforeSchema.
func NewDecoder(catalogBeforeSchema bool) *Decoder {
	return &Decoder{CatalogBeforeSchema: catalogBeforeSchema}
}

// UnmarshalRecord decodes one record with a fresh Decoder.
func UnmarshalRecord(data []byte, catalogBeforeSchema bool) (*Record, error) {
	return NewDecoder(catalogBeforeSchema).Decode(data)
}

// maxInterned bounds the intern table: histories have few distinct short strings, and a history
// with unusually many should not keep them all alive.
const maxInterned = 1 << 16

// Decode parses one record. Its errors wrap ErrMalformed and say where in data the problem is.
func (d *Decoder) Decode(data []byte) (*Record, error) {
	s := scanner{data: data, dec: d}
	rec, err := s.record()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return rec, nil
}

// scanner walks one JSON document.
type scanner struct {
	data []byte
	pos  int
	dec  *Decoder
	// scratch reports that the last string read was unescaped into the decoder's buffer, which
	// the next string read overwrites.
	scratch bool
}

func (s *scanner) errorf(format string, args ...any) error {
	if s.pos >= len(s.data) {
		return fmt.Errorf("at byte %d (end of input): "+format, append([]any{s.pos}, args...)...)
	}
	return fmt.Errorf("at byte %d: "+format, append([]any{s.pos}, args...)...)
}

func (s *scanner) ws() {
	s.pos = jsontext.SkipSpace(s.data, s.pos)
}

// peek returns the next non-space byte without consuming it, 0 at the end of input.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.errorf("expected '%c', found %s", c, s.found())
	}
	s.pos++
	return nil
}

// found describes the next byte for an error message.
func (s *scanner) found() string {
	if s.pos >= len(s.data) {
		return "the end of the input"
	}
	return strconv.QuoteRune(rune(s.data[s.pos]))
}

// null consumes a null literal if one comes next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && s.literal("null") {
		return true
	}
	return false
}

func (s *scanner) literal(word string) bool {
	if jsontext.HasLiteral(s.data, s.pos, word) {
		s.pos += len(word)
		return true
	}
	return false
}

// The object and array readers are loops, not callbacks: a closure per object or column would
// cost an allocation each, and a history replay reads millions of them.
//
//	first := true
//	for { key, ok, err := s.nextKey(&first); if err != nil || !ok { ... }; read the value }

// nextKey reads up to the next key of the object being read and its ':'. It returns ok=false at
// the object's end. Before the first key *first must be true; the opening '{' is consumed then.
func (s *scanner) nextKey(first *bool) (key []byte, ok bool, err error) {
	if *first {
		*first = false
		if err := s.expect('{'); err != nil {
			return nil, false, err
		}
		if s.peek() == '}' {
			s.pos++
			return nil, false, nil
		}
	} else {
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil, false, nil
		default:
			return nil, false, s.errorf("expected ',' or '}' in an object, found %s", s.found())
		}
	}
	if key, err = s.stringBytes(); err != nil {
		return nil, false, err
	}
	if s.scratch {
		key = bytes.Clone(key) // the value read next reuses the buffer
	}
	if err := s.expect(':'); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// nextElem moves to the next element of the array being read, returning false at its end. Before
// the first element *first must be true; the opening '[' is consumed then.
func (s *scanner) nextElem(first *bool) (bool, error) {
	if *first {
		*first = false
		if err := s.expect('['); err != nil {
			return false, err
		}
		if s.peek() == ']' {
			s.pos++
			return false, nil
		}
		return true, nil
	}
	switch s.peek() {
	case ',':
		s.pos++
		return true, nil
	case ']':
		s.pos++
		return false, nil
	}
	return false, s.errorf("expected ',' or ']' in an array, found %s", s.found())
}

// stringBytes reads a string and returns its unescaped bytes. They alias the input or the
// decoder's scratch buffer: valid until the next call only. They are not checked for valid UTF-8,
// as Debezium's reader does not check them either.
func (s *scanner) stringBytes() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errorf("expected a string, found %s", s.found())
	}
	b, end, escaped, err := jsontext.ReadString(s.data, s.pos, s.dec.buf)
	if err != nil {
		return nil, s.syntaxError(err)
	}
	s.scratch = escaped
	if escaped {
		s.dec.buf = b
	}
	s.pos = end
	return b, nil
}

// syntaxError words an error of package jsontext as this decoder always has.
func (s *scanner) syntaxError(err error) error {
	var se *jsontext.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	s.pos = se.Pos
	switch se.Code {
	case jsontext.ErrUnterminatedString, jsontext.ErrUnterminatedEscape:
		return s.errorf("unterminated string")
	case jsontext.ErrControlChar:
		return s.errorf("control character %#02x inside a string", se.Byte)
	case jsontext.ErrInvalidEscape:
		return s.errorf("invalid escape '\\%c' in a string", se.Byte)
	case jsontext.ErrTruncatedHex:
		return s.errorf("truncated \\u escape")
	case jsontext.ErrInvalidHex:
		return s.errorf("invalid \\u escape")
	}
	return s.errorf("%s", se.Code)
}

// str reads a string value, null reading as "".
func (s *scanner) str() (string, error) {
	if s.null() {
		return "", nil
	}
	b, err := s.stringBytes()
	return string(b), err
}

// interned reads a string value like str, sharing one copy of each short repeated string.
func (s *scanner) interned() (string, error) {
	if s.null() {
		return "", nil
	}
	b, err := s.stringBytes()
	if err != nil || len(b) > 64 {
		return string(b), err
	}
	d := s.dec
	if v, ok := d.intern[string(b)]; ok { // no allocation: the compiler elides the conversion
		return v, nil
	}
	v := string(b)
	if d.intern == nil || len(d.intern) >= maxInterned {
		d.intern = make(map[string]string, 256)
	}
	d.intern[v] = v
	return v, nil
}

// numberBytes reads the bytes of a JSON number. A number must end where a delimiter follows, so
// 1-2 or 01 is one bad number rather than a good one and then a bad delimiter.
func (s *scanner) numberBytes() ([]byte, error) {
	s.ws()
	start := s.pos
	end, _, err := jsontext.ScanNumber(s.data, start, false)
	if err != nil || end < len(s.data) && numberByte(s.data[end]) {
		return nil, s.errorf("expected a number, found %s", s.found())
	}
	s.pos = end
	return s.data[start:end], nil
}

// numberByte reports whether c can occur in a number.
func numberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// integer reads an integer value.
func (s *scanner) integer() (int64, error) {
	b, err := s.numberBytes()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, s.errorf("expected an integer, found %s", b)
	}
	return n, nil
}

// nullableInt reads an optional integer: null, or a number that fits an int.
func (s *scanner) nullableInt() (int, bool, error) {
	if s.null() {
		return 0, false, nil
	}
	n, err := s.integer()
	if err != nil {
		return 0, false, err
	}
	if int64(int(n)) != n {
		return 0, false, s.errorf("integer %d out of range", n)
	}
	return int(n), true, nil
}

// boolean reads a boolean value, null reading as false (Debezium 1.x left some flags out).
func (s *scanner) boolean() (bool, error) {
	switch {
	case s.null():
		return false, nil
	case s.peek() == 't' && s.literal("true"):
		return true, nil
	case s.peek() == 'f' && s.literal("false"):
		return false, nil
	}
	return false, s.errorf("expected true or false, found %s", s.found())
}

// value reads any JSON value into Go: objects as map[string]any, arrays as []any, integers that
// fit as int64, other numbers as json.Number (their exact text), strings, booleans and nil.
func (s *scanner) value() (any, error) {
	switch c := s.peek(); {
	case c == '"':
		b, err := s.stringBytes()
		return string(b), err
	case c == '{':
		m, _, err := s.mapValue()
		return m, err
	case c == '[':
		list := []any{}
		for first := true; ; {
			more, err := s.nextElem(&first)
			if err != nil || !more {
				return list, err
			}
			v, err := s.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
	case c == 't' || c == 'f':
		return s.boolean()
	case c == 'n':
		if s.null() {
			return nil, nil
		}
	case c == '-' || c >= '0' && c <= '9':
		b, err := s.numberBytes()
		if err != nil {
			return nil, err
		}
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			return n, nil
		}
		return json.Number(b), nil
	}
	return nil, s.errorf("expected a JSON value, found %s", s.found())
}

// mapValue reads an object into a map and the order of its keys.
func (s *scanner) mapValue() (map[string]any, []string, error) {
	// Offsets have a handful of keys: size for them at once.
	m := make(map[string]any, 8)
	keys := make([]string, 0, 8)
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return m, keys, err
		}
		k := string(key)
		v, err := s.value()
		if err != nil {
			return nil, nil, err
		}
		if _, dup := m[k]; !dup {
			keys = append(keys, k)
		}
		m[k] = v
	}
}

// skip consumes one value of any kind.
func (s *scanner) skip() error {
	switch s.peek() {
	case '{':
		for first := true; ; {
			_, ok, err := s.nextKey(&first)
			if err != nil || !ok {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '[':
		for first := true; ; {
			more, err := s.nextElem(&first)
			if err != nil || !more {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '"':
		_, err := s.stringBytes()
		return err
	}
	_, err := s.value()
	return err
}

func (s *scanner) record() (*Record, error) {
	rec := &Record{}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch string(key) {
		case "source":
			if !s.null() {
				rec.Source, rec.sourceKeys, err = s.mapValue()
			}
		case "position":
			if !s.null() {
				rec.Position, rec.positionKeys, err = s.mapValue()
			}
		case "ts_ms":
			if !s.null() {
				rec.TsMs, err = s.integer()
			}
		case "databaseName":
			rec.DatabaseName, err = s.interned()
		case "schemaName":
			rec.SchemaName, err = s.interned()
		case "ddl":
			rec.DDL, err = s.str()
		case "tableChanges":
			if !s.null() {
				rec.TableChanges, err = s.tableChanges()
			}
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", key, err)
		}
	}
	if s.peek() != 0 {
		return nil, s.errorf("unexpected %s after the record", s.found())
	}
	return rec, nil
}

func (s *scanner) tableChanges() ([]TableChange, error) {
	var changes []TableChange
	for first := true; ; {
		more, err := s.nextElem(&first)
		if err != nil || !more {
			return changes, err
		}
		ch, err := s.tableChange()
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch)
	}
}

func (s *scanner) tableChange() (TableChange, error) {
	var ch TableChange
	var table *relational.Table
	var comment string
	hasComment := false
	start := s.pos
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil {
			return ch, fmt.Errorf("table change at byte %d: %w", start, err)
		}
		if !ok {
			break
		}
		switch string(key) {
		case "type":
			var t string
			if t, err = s.str(); err == nil {
				switch ChangeType(t) {
				case Create, Alter, Drop:
					ch.Type = ChangeType(t)
				default:
					err = fmt.Errorf("%q is not CREATE, ALTER or DROP", t)
				}
			}
		case "id":
			ch.ID, err = s.tableID()
		case "previousId":
			ch.PreviousID, err = s.tableID()
		case "table":
			if !s.null() {
				table, err = s.table()
			}
		case "comment":
			comment, err = s.str()
			hasComment = true
		default:
			err = s.skip()
		}
		if err != nil {
			return ch, fmt.Errorf("table change at byte %d: field %q: %w", start, key, err)
		}
	}
	if ch.Type == "" || ch.ID.Table == "" {
		return ch, fmt.Errorf("table change at byte %d: \"type\" and \"id\" are required", start)
	}
	if table == nil && ch.Type != Drop {
		return ch, fmt.Errorf("table change at byte %d: a %s of %s has no \"table\"", start, ch.Type, ch.ID)
	}
	if table != nil {
		table.ID = ch.ID
		if hasComment {
			table.Comment = comment
		}
		if err := table.Build(); err != nil {
			return ch, fmt.Errorf("table change at byte %d: %w", start, err)
		}
		ch.Table = table
	}
	return ch, nil
}

func (s *scanner) tableID() (relational.TableID, error) {
	b, err := s.stringBytes()
	if err != nil {
		return relational.TableID{}, err
	}
	return relational.ParseTableID(string(b), s.dec.CatalogBeforeSchema)
}

func (s *scanner) table() (*relational.Table, error) {
	t := &relational.Table{}
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return t, err
		}
		switch string(key) {
		case "defaultCharsetName":
			t.DefaultCharsetName, err = s.interned()
		case "primaryKeyColumnNames":
			t.PrimaryKeyColumnNames, err = s.stringList()
		case "columns":
			if !s.null() {
				t.Columns, err = s.columns()
			}
		case "attributes":
			if !s.null() {
				t.Attributes, err = s.attributes()
			}
		case "comment":
			t.Comment, err = s.str()
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", key, err)
		}
	}
}

func (s *scanner) attributes() ([]relational.Attribute, error) {
	var list []relational.Attribute
	for first := true; ; {
		more, err := s.nextElem(&first)
		if err != nil || !more {
			return list, err
		}
		var a relational.Attribute
		for first := true; ; {
			key, ok, err := s.nextKey(&first)
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			switch string(key) {
			case "name":
				a.Name, err = s.interned()
			case "value":
				a.Value, err = s.str()
			default:
				err = s.skip()
			}
			if err != nil {
				return nil, fmt.Errorf("attribute field %q: %w", key, err)
			}
		}
		list = append(list, a)
	}
}

func (s *scanner) stringList() ([]string, error) {
	if s.null() {
		return nil, nil
	}
	var list []string
	for first := true; ; {
		more, err := s.nextElem(&first)
		if err != nil || !more {
			return list, err
		}
		v, err := s.interned()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
}

func (s *scanner) columns() ([]relational.Column, error) {
	cols := make([]relational.Column, 0, 16)
	for first := true; ; {
		more, err := s.nextElem(&first)
		if err != nil || !more {
			return cols, err
		}
		cols = append(cols, relational.Column{})
		if err := s.column(&cols[len(cols)-1]); err != nil {
			return nil, err
		}
	}
}

func (s *scanner) column(c *relational.Column) error {
	for first := true; ; {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		switch string(key) {
		case "name":
			c.Name, err = s.interned()
		case "jdbcType":
			c.JDBCType, _, err = s.nullableInt()
		case "nativeType":
			c.NativeType.V, c.NativeType.Valid, err = s.nullableInt()
		case "typeName":
			c.TypeName, err = s.interned()
		case "typeExpression":
			c.TypeExpression, err = s.interned()
		case "charsetName":
			c.CharsetName, err = s.interned()
		case "length":
			c.Length.V, c.Length.Valid, err = s.nullableInt()
		case "scale":
			c.Scale.V, c.Scale.Valid, err = s.nullableInt()
		case "position":
			c.Position, _, err = s.nullableInt()
		case "optional":
			c.Optional, err = s.boolean()
		case "autoIncremented":
			c.AutoIncremented, err = s.boolean()
		case "generated":
			c.Generated, err = s.boolean()
		case "comment":
			c.Comment, err = s.str()
		case "hasDefaultValue":
			c.HasDefaultValue, err = s.boolean()
		case "defaultValueExpression":
			if !s.null() {
				c.DefaultValueExpression.V, err = s.str()
				c.DefaultValueExpression.Valid = true
			}
		case "enumValues":
			c.EnumValues, err = s.stringList()
		default:
			err = s.skip()
		}
		if err != nil {
			return fmt.Errorf("column field %q: %w", key, err)
		}
	}
}

// validNumber reports whether b is a number by JSON's grammar, as a whole.
func validNumber(b string) bool {
	end, _, err := jsontext.ScanNumber([]byte(b), 0, false)
	return err == nil && end == len(b)
}
