package schemahistory

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/connectd/connectd/connect/api/javafmt"
	"github.com/connectd/connectd/connect/api/relational"
)

// The encoder writes what Debezium's Jackson-based DocumentWriter writes for a HistoryRecord:
// fields in HistoryRecord's and JsonTableChangeSerializer's order, null for absent strings inside
// tableChanges, optional numbers left out when unset, and strings escaped as Jackson escapes them
// when writing to a String, as DocumentWriter does (javafmt.AppendWriterString: only '"', '\' and
// control characters; non-ASCII, emoji included, stays UTF-8). It appends bytes directly: no
// reflection, no maps on the way.

// Format is a layout of the JSON text. Debezium uses both: KafkaSchemaHistory sends
// HistoryRecord.toString(), Jackson's pretty printer; FileSchemaHistory writes one compact line.
type Format int

// The formats.
const (
	// Compact is one line without spaces, as FileSchemaHistory writes.
	Compact Format = iota
	// Pretty is Jackson's DefaultPrettyPrinter layout, as KafkaSchemaHistory writes: a field per
	// line indented two spaces per object level, "name" : value, arrays inline as [ a, b ] and
	// empty containers as { } and [ ].
	Pretty
)

// MarshalRecord returns the JSON form of rec in the given format, byte for byte what Debezium
// writes for the same record.
func MarshalRecord(rec *Record, f Format) ([]byte, error) {
	return AppendRecord(make([]byte, 0, 512), rec, f)
}

// AppendRecord appends the JSON form of rec to dst; see MarshalRecord.
func AppendRecord(dst []byte, rec *Record, f Format) ([]byte, error) {
	e := encoder{buf: dst, pretty: f == Pretty}
	err := e.record(rec)
	return e.buf, err
}

// encoder lays out JSON in either format. Jackson's pretty printer indents by object depth only:
// arrays stay on the line they start on.
type encoder struct {
	buf    []byte
	pretty bool
	depth  int   // open objects
	counts []int // entries written so far in each open container
}

func (e *encoder) open(c byte) {
	e.buf = append(e.buf, c)
	e.counts = append(e.counts, 0)
	if c == '{' {
		e.depth++
	}
}

func (e *encoder) newline() {
	e.buf = append(e.buf, '\n')
	for range e.depth {
		e.buf = append(e.buf, ' ', ' ')
	}
}

// next counts an entry of the innermost container and writes the separator before it.
func (e *encoder) next() int {
	n := e.counts[len(e.counts)-1]
	e.counts[len(e.counts)-1]++
	if n > 0 {
		e.buf = append(e.buf, ',')
	}
	return n
}

func (e *encoder) key(k string) {
	e.next()
	if e.pretty {
		e.newline()
	}
	e.buf = javafmt.AppendWriterString(e.buf, k)
	if e.pretty {
		e.buf = append(e.buf, " : "...)
	} else {
		e.buf = append(e.buf, ':')
	}
}

func (e *encoder) closeObject() {
	n := e.counts[len(e.counts)-1]
	e.counts = e.counts[:len(e.counts)-1]
	e.depth--
	if e.pretty {
		if n > 0 {
			e.newline()
		} else {
			e.buf = append(e.buf, ' ')
		}
	}
	e.buf = append(e.buf, '}')
}

func (e *encoder) elem() {
	e.next()
	if e.pretty {
		e.buf = append(e.buf, ' ')
	}
}

func (e *encoder) closeArray() {
	e.counts = e.counts[:len(e.counts)-1]
	if e.pretty {
		e.buf = append(e.buf, ' ')
	}
	e.buf = append(e.buf, ']')
}

func (e *encoder) str(s string)      { e.buf = javafmt.AppendWriterString(e.buf, s) }
func (e *encoder) nullable(s string) { e.buf = appendNullableString(e.buf, s) }
func (e *encoder) int(n int)         { e.buf = strconv.AppendInt(e.buf, int64(n), 10) }
func (e *encoder) bool(b bool)       { e.buf = strconv.AppendBool(e.buf, b) }

func (e *encoder) strings(ss []string) {
	e.open('[')
	for _, s := range ss {
		e.elem()
		e.str(s)
	}
	e.closeArray()
}

func (e *encoder) record(rec *Record) error {
	e.open('{')
	e.key("source")
	if err := e.mapValue(rec.Source, rec.sourceKeys); err != nil {
		return fmt.Errorf("cannot encode the record's source: %w", err)
	}
	e.key("position")
	if err := e.mapValue(rec.Position, rec.positionKeys); err != nil {
		return fmt.Errorf("cannot encode the record's position: %w", err)
	}
	if rec.TsMs != 0 {
		e.key("ts_ms")
		e.buf = strconv.AppendInt(e.buf, rec.TsMs, 10)
	}
	e.key("databaseName")
	e.str(rec.DatabaseName)
	if rec.SchemaName != "" {
		e.key("schemaName")
		e.str(rec.SchemaName)
	}
	if rec.DDL != "" {
		e.key("ddl")
		e.str(rec.DDL)
	}
	e.key("tableChanges")
	e.open('[')
	for i := range rec.TableChanges {
		e.elem()
		if err := e.tableChange(&rec.TableChanges[i]); err != nil {
			return err
		}
	}
	e.closeArray()
	e.closeObject()
	return nil
}

func (e *encoder) tableChange(ch *TableChange) error {
	switch ch.Type {
	case Create, Alter, Drop:
	default:
		return fmt.Errorf("cannot encode a table change of type %q for %s: the type must be CREATE, ALTER or DROP", ch.Type, ch.ID)
	}
	if ch.ID.Table == "" {
		return fmt.Errorf("cannot encode a %s table change without a table id", ch.Type)
	}
	e.open('{')
	e.key("type")
	e.str(string(ch.Type))
	e.key("id")
	e.str(ch.ID.DoubleQuoted())
	if !ch.PreviousID.IsZero() {
		e.key("previousId")
		e.str(ch.PreviousID.DoubleQuoted())
	}
	if t := ch.Table; t != nil {
		e.key("table")
		e.table(t)
		// Debezium writes the table's comment beside the table, not inside it.
		e.key("comment")
		e.nullable(t.Comment)
	}
	e.closeObject()
	return nil
}

func (e *encoder) table(t *relational.Table) {
	e.open('{')
	e.key("defaultCharsetName")
	e.nullable(t.DefaultCharsetName)
	e.key("primaryKeyColumnNames")
	e.strings(t.PrimaryKeyColumnNames)
	e.key("columns")
	e.open('[')
	for i := range t.Columns {
		e.elem()
		e.column(&t.Columns[i])
	}
	e.closeArray()
	e.key("attributes")
	e.open('[')
	for _, a := range t.Attributes {
		e.elem()
		e.open('{')
		e.key("name")
		e.nullable(a.Name)
		e.key("value")
		e.nullable(a.Value)
		e.closeObject()
	}
	e.closeArray()
	e.closeObject()
}

func (e *encoder) column(c *relational.Column) {
	e.open('{')
	e.key("name")
	e.str(c.Name)
	e.key("jdbcType")
	e.int(c.JDBCType)
	if c.NativeType.Valid {
		e.key("nativeType")
		e.int(c.NativeType.V)
	}
	e.key("typeName")
	e.nullable(c.TypeName)
	e.key("typeExpression")
	e.nullable(c.TypeExpression)
	e.key("charsetName")
	e.nullable(c.CharsetName)
	if c.Length.Valid {
		e.key("length")
		e.int(c.Length.V)
	}
	if c.Scale.Valid {
		e.key("scale")
		e.int(c.Scale.V)
	}
	e.key("position")
	e.int(c.Position)
	e.key("optional")
	e.bool(c.Optional)
	e.key("autoIncremented")
	e.bool(c.AutoIncremented)
	e.key("generated")
	e.bool(c.Generated)
	e.key("comment")
	e.nullable(c.Comment)
	e.key("hasDefaultValue")
	e.bool(c.HasDefaultValue || c.DefaultValueExpression.Valid)
	if c.DefaultValueExpression.Valid {
		e.key("defaultValueExpression")
		e.str(c.DefaultValueExpression.V)
	}
	e.key("enumValues")
	e.strings(c.EnumValues)
	e.closeObject()
}

// mapValue writes a source or position map. Keys come in the order the record was decoded with
// when it was (so a decoded record encodes to the same bytes), else in the order Debezium's own
// maps produce: Debezium builds a record's source and position from the connector's partition
// and offset maps, which are java.util.HashMaps, so their keys appear in HashMap iteration order
// (javafmt.DebeziumHashMapOrder), and a user diffing the two histories sees no difference.
func (e *encoder) mapValue(m map[string]any, order []string) error {
	keys := order
	if !sameKeys(m, order) {
		var stack [16]string
		keys = stack[:0]
		for k := range m {
			keys = append(keys, k)
		}
		keys = javafmt.DebeziumHashMapOrder(keys)
	}
	e.open('{')
	for _, k := range keys {
		e.key(k)
		if err := e.value(m[k]); err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
	}
	e.closeObject()
	return nil
}

func sameKeys(m map[string]any, order []string) bool {
	if len(order) != len(m) {
		return false
	}
	for _, k := range order {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// value writes one value of a source or position map. Offsets hold strings, integers, booleans
// and nulls; byte slices are written in base64 as Jackson writes binary values.
func (e *encoder) value(v any) error {
	var err error
	switch v := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.str(v)
	case bool:
		e.bool(v)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int8:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int16:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(v), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, v, 10)
	case uint:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint8:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint16:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(v), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, v, 10)
	case float32:
		e.buf, err = appendFloat(e.buf, float64(v), 32)
	case float64:
		e.buf, err = appendFloat(e.buf, v, 64)
	case json.Number:
		if !validNumber(string(v)) {
			return fmt.Errorf("%q is not a JSON number", string(v))
		}
		e.buf = append(e.buf, v...)
	case []byte:
		e.buf = append(e.buf, '"')
		e.buf = base64.StdEncoding.AppendEncode(e.buf, v)
		e.buf = append(e.buf, '"')
	case []any:
		e.open('[')
		for _, x := range v {
			e.elem()
			if err := e.value(x); err != nil {
				return err
			}
		}
		e.closeArray()
	case []string:
		e.strings(v)
	case map[string]any:
		return e.mapValue(v, nil)
	default:
		return fmt.Errorf("values of type %T cannot be stored in the schema history", v)
	}
	return err
}

// appendFloat writes a double (bits 64) or float (bits 32) as Jackson's writeNumber does,
// Double.toString / Float.toString ("100.0", "1.0E21"). NaN and the infinities, which Jackson
// would write as the strings "NaN", "Infinity" and "-Infinity", are refused: an offset holding
// one is a connector's bug, and reading it back would give a string, not the number.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("%v is not a JSON number", f)
	}
	if bits == 32 {
		return javafmt.AppendFloat(dst, float32(f)), nil
	}
	return javafmt.AppendDouble(dst, f), nil
}

// appendNullableString writes "" as null: inside tableChanges an empty name, charset, type or
// comment is Debezium's null.
func appendNullableString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return javafmt.AppendWriterString(dst, s)
}
