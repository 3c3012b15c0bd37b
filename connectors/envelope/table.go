package envelope

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
)

// Column is a connector's mapping of one table column to Connect: the field schema (its
// logical type; NewTable applies the column's nullability, comment and default) and the function
// that turns the connector's raw value into a value of that schema.
type Column struct {
	// Name is the column's name, also the field's name.
	Name string
	// Schema is the field's schema as the connector's type mapping gives it (for instance a
	// required io.debezium.time.MicroTimestamp). A nil Schema excludes the column from the row
	// (column.exclude.list; a type the connector cannot map); a key column cannot be excluded.
	Schema *api.Schema
	// Convert turns a raw, non-nil value into a value of Schema. Nil means the raw value already
	// is one. A nil raw value is never passed: it becomes nil, or the field's default when the
	// field is required.
	Convert func(raw any) (any, error)
	// Default, when not nil, is the column's default value already converted to a value of
	// Schema; it becomes the field schema's default, as Debezium does for columns with a
	// DEFAULT clause.
	Default any
}

// TableSpec is everything NewTable needs to build a table's schemas.
type TableSpec struct {
	// Table is the table's structure (columns, primary key). Required.
	Table *relational.Table
	// Columns are the connector's mappings, one per column of Table in the same order.
	Columns []Column
	// Topic is the table's change event topic, already named and sanitised (TopicName). The
	// envelope schema is "<Topic>.Envelope".
	Topic string
	// SchemaPrefix names the key and value schemas "<SchemaPrefix>.Key" / ".Value"; empty means
	// Topic, as Debezium's default naming strategy.
	SchemaPrefix string
	// Source is the connector's source block schema (SourceSchemaBuilder plus its fields). Required.
	Source *api.Schema
	// Mappers are the connector's column truncation, masking and hashing rules (nil: none); they
	// change value fields only, as Debezium's ColumnMappers.
	Mappers *ColumnMappers
	// AdjustSchemaName is schema.name.adjustment.mode, applied to the key, value and envelope
	// schema names (nil: none).
	AdjustSchemaName SchemaNameAdjuster
	// AdjustFieldName is field.name.adjustment.mode, applied to the key and value field names
	// (nil: none). Column filters, mappers and key columns still name the columns as they are.
	AdjustFieldName FieldNameAdjuster
	// SourceTypes are the column.propagate.source.type / datatype.propagate.source.type rules
	// (nil: none); they add parameters to value fields only.
	SourceTypes *SourceTypes
	// KeyColumns, when set, are the columns of the message key instead of the primary key
	// (message.key.columns); each must be a column of the table.
	KeyColumns []string
}

// TableSchema is one table version's Connect schemas and the fast functions that fill them. It
// is immutable and safe for concurrent use; build a new one when the table's structure changes.
type TableSchema struct {
	id       relational.TableID
	topic    string
	key      *api.Schema // nil: no primary key
	value    *api.Schema
	envelope *api.Schema
	source   *api.Schema

	cols    []colPlan // one per table column
	keyCols []int     // indexes into cols, in key order
}

// colPlan is how one table column becomes fields.
type colPlan struct {
	name     string
	convert  func(any) (any, error)
	valueIdx int // field index in the value schema, -1 when excluded
	keyIdx   int // field index in the key schema, -1 when not a key column
	keyField *api.Schema
	valField *api.Schema
	valMap   func(any) any // column.mask/truncate rule applied to the value field, nil: none
}

// ErrSpec is wrapped by NewTable's errors.
var ErrSpec = errors.New("invalid table schema spec")

// NewTable builds the key, value and envelope schemas of a table, as Debezium's
// TableSchemaBuilder.create.
func NewTable(spec TableSpec) (*TableSchema, error) {
	t := spec.Table
	if t == nil {
		return nil, fmt.Errorf("%w: no table", ErrSpec)
	}
	if spec.Source == nil {
		return nil, fmt.Errorf("%w for %s: no source schema", ErrSpec, t.ID)
	}
	if spec.Topic == "" {
		return nil, fmt.Errorf("%w for %s: no topic", ErrSpec, t.ID)
	}
	if len(spec.Columns) != len(t.Columns) {
		return nil, fmt.Errorf("%w for %s: %d column mappings for %d columns", ErrSpec, t.ID, len(spec.Columns), len(t.Columns))
	}
	prefix := spec.SchemaPrefix
	if prefix == "" {
		prefix = spec.Topic
	}
	envelopeName := spec.Topic + ".Envelope"
	if spec.AdjustSchemaName != nil {
		prefix, envelopeName = spec.AdjustSchemaName(prefix), spec.AdjustSchemaName(envelopeName)
	}
	ts := &TableSchema{id: t.ID, topic: spec.Topic, source: spec.Source, cols: make([]colPlan, len(t.Columns))}
	fieldName := func(column string) string {
		if spec.AdjustFieldName == nil {
			return column
		}
		return spec.AdjustFieldName(column)
	}

	vb := api.StructSchema().Name(prefix + ".Value")
	nv := 0
	for i := range t.Columns {
		tc := &t.Columns[i]
		mc := &spec.Columns[i]
		p := &ts.cols[i]
		p.name, p.convert, p.valueIdx, p.keyIdx = tc.Name, mc.Convert, -1, -1
		if mc.Name != "" && mc.Name != tc.Name {
			return nil, fmt.Errorf("%w for %s: mapping %d is for column %q, the table's column %d is %q", ErrSpec, t.ID, i, mc.Name, i+1, tc.Name)
		}
		if mc.Schema == nil {
			continue
		}
		fs, err := fieldSchema(tc, mc)
		if err != nil {
			return nil, fmt.Errorf("%w for %s column %s: %w", ErrSpec, t.ID, tc.Name, err)
		}
		// Debezium keeps one list of column rules, the first match deciding: truncation and
		// masks come before the source type rules, hashes after them (seen in the options
		// comparison: a column matching both a hash and column.propagate.source.type is not
		// hashed).
		rule, ps := spec.Mappers.ruleFor(t.ID, tc.Name), spec.SourceTypes.params(t.ID, tc)
		if rule != nil && ps != nil {
			if rule.kind == mapHash {
				rule = nil
			} else {
				ps = nil
			}
		}
		if rule != nil {
			param, fn := rule.mapping(tc)
			if param != nil {
				fs.Parameters = append(slices.Clip(fs.Parameters), *param)
			}
			p.valMap = fn
		}
		if ps != nil {
			fs.Parameters = append(slices.Clip(fs.Parameters), ps...)
		}
		p.valField = fs
		p.valueIdx = nv
		nv++
		vb.Field(fieldName(tc.Name), fs)
	}
	value, err := vb.Optional().BuildChecked()
	if err != nil {
		return nil, fmt.Errorf("%w for %s: %w", ErrSpec, t.ID, err)
	}
	ts.value = value

	pk := t.PrimaryKeyColumnNames
	if len(spec.KeyColumns) > 0 {
		pk = spec.KeyColumns
	}
	if len(pk) > 0 {
		kb := api.StructSchema().Name(prefix + ".Key")
		for k, name := range pk {
			i := t.ColumnIndex(name)
			if i < 0 && len(spec.KeyColumns) > 0 {
				return nil, fmt.Errorf("%w for %s: message.key.columns names %q, which is not a column of the table", ErrSpec, t.ID, name)
			}
			if i < 0 {
				return nil, fmt.Errorf("%w for %s: primary key column %q is not a column", ErrSpec, t.ID, name)
			}
			p := &ts.cols[i]
			if spec.Columns[i].Schema == nil {
				return nil, fmt.Errorf("%w for %s: primary key column %q has no schema; a key column cannot be excluded", ErrSpec, t.ID, name)
			}
			fs, err := fieldSchema(&t.Columns[i], &spec.Columns[i])
			if err != nil {
				return nil, fmt.Errorf("%w for %s key column %s: %w", ErrSpec, t.ID, name, err)
			}
			p.keyField, p.keyIdx = fs, k
			kb.Field(fieldName(t.Columns[i].Name), fs)
			ts.keyCols = append(ts.keyCols, i)
		}
		if ts.key, err = kb.BuildChecked(); err != nil {
			return nil, fmt.Errorf("%w for %s: %w", ErrSpec, t.ID, err)
		}
	}

	env, err := api.StructSchema().Name(envelopeName).Version(EnvelopeVersion).
		Field("before", value).
		Field("after", value).
		Field("source", spec.Source).
		Field("transaction", TransactionBlockSchema()).
		Field("op", api.StringSchema).
		Field("ts_ms", api.OptionalInt64Schema).
		Field("ts_us", api.OptionalInt64Schema).
		Field("ts_ns", api.OptionalInt64Schema).
		BuildChecked()
	if err != nil {
		return nil, fmt.Errorf("%w for %s: %w", ErrSpec, t.ID, err)
	}
	ts.envelope = env
	return ts, nil
}

// fieldSchema applies Debezium's TableSchemaBuilder.addField rules to the connector's schema:
// optional when the column is nullable, the comment as doc, the converted default as default.
func fieldSchema(tc *relational.Column, mc *Column) (*api.Schema, error) {
	s := *mc.Schema
	if tc.Optional {
		s.Optional = true
	}
	if tc.Comment != "" {
		s.Doc = tc.Comment
	}
	if mc.Default != nil {
		s.Default, s.HasDefault = mc.Default, true
		if err := api.ValidateValue(&s, s.Default); err != nil {
			return nil, fmt.Errorf("default value %v does not fit the column's schema: %w", mc.Default, err)
		}
	}
	return &s, nil
}

// Envelope field indexes.
const (
	envBefore = iota
	envAfter
	envSource
	envTransaction
	envOp
	envTsMs
	envTsUs
	envTsNs
)

// ID returns the table's identifier.
func (ts *TableSchema) ID() relational.TableID { return ts.id }

// Topic returns the table's change event topic.
func (ts *TableSchema) Topic() string { return ts.topic }

// KeySchema returns the key schema, or nil for a table without a primary key.
func (ts *TableSchema) KeySchema() *api.Schema { return ts.key }

// ValueField returns the value schema's field of the named column (its field name may be
// adjusted by field.name.adjustment.mode), nil when the column is not in the value.
func (ts *TableSchema) ValueField(column string) *api.Field {
	for i := range ts.cols {
		if p := &ts.cols[i]; p.name == column && p.valueIdx >= 0 {
			return &ts.value.Fields[p.valueIdx]
		}
	}
	return nil
}

// ValueSchema returns the row schema "<topic>.Value" (the envelope's before and after).
func (ts *TableSchema) ValueSchema() *api.Schema { return ts.value }

// EnvelopeSchema returns the envelope schema "<topic>.Envelope".
func (ts *TableSchema) EnvelopeSchema() *api.Schema { return ts.envelope }

// SourceSchema returns the source block schema the table was built with.
func (ts *TableSchema) SourceSchema() *api.Schema { return ts.source }

// convert turns one raw value into the field's value; nil stays nil unless the field is
// required, where its default is used (Debezium's converters fall back the same way).
func (ts *TableSchema) convert(p *colPlan, field *api.Schema, raw any) (any, error) {
	if raw == nil {
		if field.Optional {
			return nil, nil
		}
		if field.HasDefault {
			return field.Default, nil
		}
		return nil, fmt.Errorf("column %s.%s is NOT NULL but the row has no value for it", ts.id, p.name)
	}
	if p.convert == nil {
		return raw, nil
	}
	v, err := p.convert(raw)
	if err != nil {
		return nil, fmt.Errorf("cannot convert the value of column %s.%s (%T): %w", ts.id, p.name, raw, err)
	}
	if v == nil && !field.Optional {
		if field.HasDefault {
			return field.Default, nil
		}
		return nil, fmt.Errorf("column %s.%s is NOT NULL but its value converted to nothing", ts.id, p.name)
	}
	return v, nil
}

// checkRow reports a row of the wrong width, which would otherwise shift every field.
func (ts *TableSchema) checkRow(row []any) error {
	if len(row) != len(ts.cols) {
		return fmt.Errorf("row of table %s has %d values, the table has %d columns; the table structure the connector holds is out of date", ts.id, len(row), len(ts.cols))
	}
	return nil
}

// Key returns the key struct of a row given as raw values in table column order, or nil for a
// table without a primary key.
func (ts *TableSchema) Key(row []any) (*api.Struct, error) {
	if ts.key == nil {
		return nil, nil
	}
	if err := ts.checkRow(row); err != nil {
		return nil, err
	}
	k := api.NewStruct(ts.key)
	for _, i := range ts.keyCols {
		p := &ts.cols[i]
		v, err := ts.convert(p, p.keyField, row[i])
		if err != nil {
			return nil, err
		}
		k.PutIndex(p.keyIdx, v)
	}
	return k, nil
}

// Value returns the row struct ("<topic>.Value") of raw values in table column order; a nil row
// gives a nil struct (an absent before or after).
func (ts *TableSchema) Value(row []any) (*api.Struct, error) {
	_, v, err := ts.values(row, false)
	return v, err
}

// KeyValue returns the key and row structs of one row, converting each column once.
func (ts *TableSchema) KeyValue(row []any) (key, value *api.Struct, err error) {
	return ts.values(row, true)
}

func (ts *TableSchema) values(row []any, withKey bool) (*api.Struct, *api.Struct, error) {
	if row == nil {
		return nil, nil, nil
	}
	if err := ts.checkRow(row); err != nil {
		return nil, nil, err
	}
	var key *api.Struct
	if withKey && ts.key != nil {
		key = api.NewStruct(ts.key)
	}
	val := api.NewStruct(ts.value)
	for i := range ts.cols {
		p := &ts.cols[i]
		if p.valueIdx < 0 {
			if key != nil && p.keyIdx >= 0 {
				v, err := ts.convert(p, p.keyField, row[i])
				if err != nil {
					return nil, nil, err
				}
				key.PutIndex(p.keyIdx, v)
			}
			continue
		}
		v, err := ts.convert(p, p.valField, row[i])
		if err != nil {
			return nil, nil, err
		}
		if p.valMap != nil {
			val.PutIndex(p.valueIdx, p.valMap(v))
		} else {
			val.PutIndex(p.valueIdx, v)
		}
		if key != nil && p.keyIdx >= 0 {
			if v == nil {
				// A nullable column in the key: the key field is required, so use its rule.
				if v, err = ts.convert(p, p.keyField, nil); err != nil {
					return nil, nil, err
				}
			}
			key.PutIndex(p.keyIdx, v)
		}
	}
	return key, val, nil
}

// Op is a change event's operation code.
type Op byte

// The operations, as Debezium's Envelope.Operation codes.
const (
	OpCreate   Op = 'c'
	OpUpdate   Op = 'u'
	OpDelete   Op = 'd'
	OpRead     Op = 'r'
	OpTruncate Op = 't'
)

var opStrings = [256]string{'c': "c", 'u': "u", 'd': "d", 'r': "r", 't': "t", 'm': "m"}

// String returns the one-letter code written in the envelope's op field.
func (o Op) String() string {
	if s := opStrings[o]; s != "" {
		return s
	}
	return string(rune(o))
}

// opValues are the op codes in interfaces, boxed once: every envelope holds one.
var opValues = func() (v [256]any) {
	for i, s := range opStrings {
		if s != "" {
			v[i] = s
		}
	}
	return v
}()

// boxed is String in an interface.
func (o Op) boxed() any {
	if v := opValues[o]; v != nil {
		return v
	}
	return o.String()
}

// ParseOp reads an op code ("c", "u", "d", "r", "t").
func ParseOp(s string) (Op, error) {
	if len(s) == 1 {
		switch o := Op(s[0]); o {
		case OpCreate, OpUpdate, OpDelete, OpRead, OpTruncate:
			return o, nil
		}
	}
	return 0, fmt.Errorf("%q is not a change event operation; want one of c, u, d, r, t", s)
}

// Envelope returns the envelope struct of one event. before and after are row structs from Value
// (nil when absent); source is the connector's source struct; tx is the transaction block
// (TransactionBlock) or nil; ts is the processing time written to ts_ms/ts_us/ts_ns (Debezium
// uses its clock at emit time; the zero time means now).
func (ts *TableSchema) Envelope(op Op, before, after, source, tx *api.Struct, at time.Time) *api.Struct {
	e := api.NewStruct(ts.envelope)
	fillEnvelope(e, op, before, after, source, tx, at)
	return e
}

func fillEnvelope(e *api.Struct, op Op, before, after, source, tx *api.Struct, at time.Time) {
	if at.IsZero() {
		at = time.Now()
	}
	if before != nil {
		e.PutIndex(envBefore, before)
	}
	if after != nil {
		e.PutIndex(envAfter, after)
	}
	if source != nil {
		e.PutIndex(envSource, source)
	}
	if tx != nil {
		e.PutIndex(envTransaction, tx)
	}
	e.PutIndex(envOp, op.boxed())
	e.PutIndex(envTsMs, at.UnixMilli())
	e.PutIndex(envTsUs, at.UnixMicro())
	e.PutIndex(envTsNs, unixNano(at))
}

var transactionBlockSchema = api.StructSchema().Name(TransactionBlockName).Version(TransactionBlockVersion).Optional().
	Field("id", api.StringSchema).
	Field("total_order", api.Int64Schema).
	Field("data_collection_order", api.Int64Schema).
	Build()

// TransactionBlockSchema returns the envelope's transaction field schema: optional struct
// "event.block" v1 {id string, total_order int64, data_collection_order int64}. Shared: do not
// modify.
func TransactionBlockSchema() *api.Schema { return transactionBlockSchema }

// TransactionBlock returns the transaction block of one event: the transaction id, the event's
// 1-based position in the transaction and in its table within the transaction.
func TransactionBlock(id string, totalOrder, dataCollectionOrder int64) *api.Struct {
	st := api.NewStruct(transactionBlockSchema)
	st.PutIndex(0, id)
	st.PutIndex(1, totalOrder)
	st.PutIndex(2, dataCollectionOrder)
	return st
}
