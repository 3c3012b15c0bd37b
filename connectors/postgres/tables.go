package postgres

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/postgres/pgtypes"
	"github.com/connectd/connectd/connectors/source"
)

// connectorName is source.connector.
const connectorName = "postgresql"

// Source block field indexes after the common ones (Debezium 3.5+ PostgresSourceInfoStructMaker).
const (
	srcSchema = envelope.SourceCommonFields + iota
	srcTable
	srcTxID
	srcLSN
	srcXmin
	srcOrigin
	srcOriginLSN
)

// sourceSchema is io.debezium.connector.postgresql.Source.
var sourceSchema = envelope.SourceSchemaBuilder("io.debezium.connector.postgresql.Source").
	Field("schema", api.StringSchema).
	Field("table", api.StringSchema).
	Field("txId", api.OptionalInt64Schema).
	Field("lsn", api.OptionalInt64Schema).
	Field("xmin", api.OptionalInt64Schema).
	Field("origin", api.OptionalStringSchema).
	Field("origin_lsn", api.OptionalInt64Schema).
	Build()

// column is one column of a captured table version.
type column struct {
	name     string
	oid      uint32
	typmod   int32
	optional bool
	key      bool
	// hasDefault marks a column whose schema carries a default, which stands in for a missing
	// value of a NOT NULL column.
	hasDefault bool
	mapping    pgtypes.Mapping
	// emit is false for a column left out of events: a type without mapping, or excluded by
	// column.include/exclude.list.
	emit bool
	// enum holds an enum column's labels as the schema was built with them, to notice a label
	// added since (ALTER TYPE ... ADD VALUE changes no table, so no Relation message says so).
	enum map[string]bool
}

// table is one version of a captured table: its columns as the stream or the snapshot sends them,
// and the schemas built from them once.
type table struct {
	oid       uint32
	id        relational.TableID
	ident     string // "schema.table", the data collection name
	cols      []column
	schema    *envelope.TableSchema
	replIdent byte
	// sig identifies the column layout (names, types, modifiers) a Relation message describes, so
	// a repeated Relation message for an unchanged table keeps the schemas already built.
	sig string
	// hasEnum is set when a column has enum labels to check.
	hasEnum bool
}

// columnSig is a table layout's signature.
func columnSig(cols []column) string {
	var b strings.Builder
	for _, c := range cols {
		fmt.Fprintf(&b, "%s\x00%d\x00%d\x00%t\x00%t\x01", c.name, c.oid, c.typmod, c.optional, c.key)
	}
	return b.String()
}

// relColumn is a column as a pgoutput Relation message (or the catalog) gives it.
type relColumn struct {
	name   string
	oid    uint32
	typmod int32
}

// buildTable builds a table version from the columns the stream sends (rel) and the catalog's
// view of the table (cat, for nullability, primary key and defaults; may be nil when the table
// is gone). With rel nil the catalog's columns are used, as the snapshot does.
func (t *Task) buildTable(oid uint32, id relational.TableID, replIdent byte, rel []relColumn, cat *catalogTable) (*table, error) {
	if rel == nil && cat != nil {
		rel = make([]relColumn, len(cat.Columns))
		for i, c := range cat.Columns {
			rel[i] = relColumn{name: c.Name, oid: c.TypeOID, typmod: c.Typmod}
		}
	}
	catCols := map[string]*catalogColumn{}
	var pk []string
	if cat != nil {
		for i := range cat.Columns {
			catCols[cat.Columns[i].Name] = &cat.Columns[i]
		}
		pk = cat.PK
	}
	present := make(map[string]bool, len(rel))
	for _, c := range rel {
		present[c.name] = true
	}
	// A key read from the catalog after later DDL may name columns this version does not have
	// (Debezium's PgOutputMessageDecoder drops them the same way).
	keep := pk[:0:0]
	for _, k := range pk {
		if present[k] {
			keep = append(keep, k)
		}
	}
	pk = keep
	if cat != nil && cat.UniqueKey && len(pk) > 0 {
		// A unique index is only a stand-in key: one on a column connectd cannot map leaves the
		// table keyless rather than failing it.
		byName := make(map[string]relColumn, len(rel))
		for _, c := range rel {
			byName[c.name] = c
		}
		for _, k := range pk {
			if c := byName[k]; t.cfg.Values.Map(t.registry, c.oid, c.typmod).Schema == nil {
				pk = nil
				break
			}
		}
	}
	if len(pk) == 0 {
		if old := t.tables[oid]; old != nil && old.schema != nil && old.schema.KeySchema() != nil {
			for _, c := range old.cols {
				if c.key && present[c.name] {
					pk = append(pk, c.name)
				}
			}
		}
	}
	isKey := make(map[string]bool, len(pk))
	for _, k := range pk {
		isKey[k] = true
	}

	tb := &table{oid: oid, id: id, ident: id.String(), replIdent: replIdent, cols: make([]column, len(rel))}
	relCols := make([]relational.Column, len(rel))
	specCols := make([]envelope.Column, len(rel))
	for i, rc := range rel {
		c := &tb.cols[i]
		c.name, c.oid, c.typmod = rc.name, rc.oid, rc.typmod
		c.optional = true
		cc := catCols[rc.name]
		if cc != nil {
			c.optional = !cc.NotNull
		}
		c.key = isKey[rc.name]
		if c.key && (cat == nil || !cat.UniqueKey) {
			// A primary key column is NOT NULL; a unique index's column keeps its nullability
			// in the key schema, as Debezium's.
			c.optional = false
		}
		if t.registry.Get(rc.oid) == nil && rc.oid >= firstNormalOID {
			t.refreshType(rc.oid)
		}
		c.mapping = t.cfg.Values.Map(t.registry, rc.oid, rc.typmod)
		c.emit = c.mapping.Schema != nil && (c.key || t.cfg.Capture.IncludeColumn(id, rc.name))
		if et := t.registry.Get(rc.oid); c.emit && et != nil && et.Kind == 'e' {
			c.enum = make(map[string]bool, len(et.EnumLabels))
			for _, l := range et.EnumLabels {
				c.enum[l] = true
			}
			tb.hasEnum = true
		}
		if c.key && c.mapping.Schema == nil {
			return nil, fmt.Errorf("primary key column %s.%s has type %s, which connectd cannot map; set include.unknown.datatypes=true to emit it as bytes",
				id, rc.name, c.mapping.TypeName)
		}
		// The type name, length and scale Debezium's column has (sourcetypes.go): what
		// column.propagate.source.type shows and the column mappers compare with (a hash is cut
		// to a char(n)/varchar(n) column's length).
		base := rc.oid
		if et := t.registry.Get(rc.oid); et != nil && et.Kind == 'd' && et.Base != 0 {
			base = et.Base
		}
		rcol := relational.Column{
			Name: rc.name, JDBCType: jdbcType(rc.oid), NativeType: relational.Int(int(rc.oid)),
			TypeName: pgTypName(t.registry, rc.oid, c.mapping.TypeName), Optional: c.optional,
			Length: relational.Int(pgPrecision(base, rc.typmod)), Scale: relational.Int(pgScale(base, rc.typmod)),
		}
		if cc != nil && strings.Contains(cc.Default, "nextval(") {
			// The JDBC driver, and so Debezium, names an integer column a sequence fills serial.
			switch rcol.TypeName {
			case "int4":
				rcol.TypeName = "serial"
			case "int8":
				rcol.TypeName = "bigserial"
			case "int2":
				rcol.TypeName = "smallserial"
			}
		}
		if cc != nil {
			rcol.TypeExpression = cc.TypeName
			rcol.AutoIncremented = cc.Identity || strings.HasPrefix(cc.Default, "nextval(")
			if cc.HasDefault {
				rcol.HasDefaultValue = true
				rcol.DefaultValueExpression = relational.String(cc.Default)
			}
		}
		relCols[i] = rcol
		if c.emit {
			specCols[i] = envelope.Column{Name: rc.name, Schema: c.mapping.Schema}
			if cc != nil && cc.HasDefault && c.mapping.Schema.Type != api.TypeStruct {
				specCols[i].Default = defaultValue(&c.mapping, rc.oid, cc.Default)
				c.hasDefault = specCols[i].Default != nil
			}
		} else {
			specCols[i] = envelope.Column{Name: rc.name}
		}
	}
	rt, err := relational.NewTable(id, relCols, pk, "")
	if err != nil {
		return nil, fmt.Errorf("cannot model table %s: %w", id, err)
	}
	// message.key.columns names tables 'schema.table'.
	ts, err := source.NewTable(&t.cfg.Common, rt, specCols, t.cfg.Topics.DataTopic("", id.Schema, id.Table), sourceSchema, id.Schema+"."+id.Table)
	if err != nil {
		return nil, err
	}
	tb.schema = ts
	// Struct values (VariableScaleDecimal) must carry their field's final schema.
	for i := range tb.cols {
		c := &tb.cols[i]
		if c.emit && c.mapping.Schema.Type == api.TypeStruct {
			if f := ts.ValueField(c.name); f != nil {
				c.mapping = c.mapping.WithSchema(f.Schema)
			}
		}
	}
	tb.sig = columnSig(tb.cols)
	return tb, nil
}

// firstNormalOID is PostgreSQL's FirstNormalObjectId: OIDs below it are built in.
const firstNormalOID = 16384

// defaultLiteral matches a constant default as pg_get_expr prints it: 'text'::type, a number,
// true or false.
var defaultLiteral = regexp.MustCompile(`^(?:'((?:[^']|'')*)'(?:::[a-zA-Z_ ."]+(?:\(\d+(?:,\d+)?\))?(?:\[\])?)*|(-?\d+(?:\.\d+)?)(?:::[a-zA-Z_ ]+)?|(true|false))$`)

// defaultValue converts a column's default expression into the schema default Debezium puts on
// the field, for constants; expressions (now()) have none, except a sequence's nextval() on an
// integer column: pgjdbc names those serial, bigserial and smallserial, and Debezium's default
// for them is 0.
func defaultValue(m *pgtypes.Mapping, oid uint32, expr string) any {
	if strings.Contains(expr, "nextval(") {
		switch {
		case oid == 21 && m.Schema.Type == api.TypeInt16:
			return int16(0)
		case oid == 23 && m.Schema.Type == api.TypeInt32:
			return int32(0)
		case oid == 20 && m.Schema.Type == api.TypeInt64:
			return int64(0)
		}
		return nil
	}
	sm := defaultLiteral.FindStringSubmatch(strings.TrimSpace(expr))
	if sm == nil {
		return nil
	}
	text := sm[2]
	switch {
	case sm[3] != "":
		text = sm[3][:1] // 't' or 'f', the form boolean output uses
	case sm[2] == "" && strings.HasPrefix(expr, "'"):
		text = strings.ReplaceAll(sm[1], "''", "'")
	}
	v, err := m.Decode([]byte(text))
	if err != nil {
		return nil // a literal in a form the decoder does not read (e.g. a date in another style): no default
	}
	if err := api.ValidateValue(m.Schema, v); err != nil {
		return nil
	}
	return v
}

// jdbcType approximates the java.sql.Types code pgjdbc reports for a type, for the table model.
func jdbcType(oid uint32) int {
	switch oid {
	case 16:
		return relational.TypeBit
	case 21:
		return relational.TypeSmallInt
	case 23:
		return relational.TypeInteger
	case 20, 26:
		return relational.TypeBigInt
	case 700:
		return relational.TypeReal
	case 701, 790:
		return relational.TypeDouble
	case 1700:
		return relational.TypeNumeric
	case 25, 1043, 19:
		return relational.TypeVarchar
	case 1042, 18:
		return relational.TypeChar
	case 1082:
		return relational.TypeDate
	case 1083, 1266:
		return relational.TypeTime
	case 1114, 1184:
		return relational.TypeTimestamp
	case 17:
		return relational.TypeBinary
	case 1560, 1562:
		return relational.TypeBit
	}
	return relational.TypeOther
}
