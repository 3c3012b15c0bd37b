package pgtypes

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
)

// OIDs of the built-in types the mapping knows (src/include/catalog/pg_type.dat); they are the
// same on every PostgreSQL server.
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidXML         = 142
	oidCIDR        = 650
	oidFloat4      = 700
	oidFloat8      = 701
	oidMacaddr8    = 774
	oidMoney       = 790
	oidMacaddr     = 829
	oidInet        = 869
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidTimetz      = 1266
	oidBit         = 1560
	oidVarbit      = 1562
	oidNumeric     = 1700
	oidUUID        = 2950
	oidTSVector    = 3614
	oidJSONB       = 3802
	oidInt4range   = 3904
	oidNumrange    = 3906
	oidTsrange     = 3908
	oidTstzrange   = 3910
	oidDaterange   = 3912
	oidInt8range   = 3926
)

// builtinArrays maps the built-in array types to their element types, so a column of one needs no
// registry entry.
var builtinArrays = map[uint32]uint32{
	1000: oidBool, 1001: oidBytea, 1002: oidChar, 1005: oidInt2, 1007: oidInt4,
	1009: oidText, 1014: oidBPChar, 1015: oidVarchar, 1016: oidInt8, 1021: oidFloat4, 1022: oidFloat8,
	1028: oidOID, 1040: oidMacaddr, 1041: oidInet, 651: oidCIDR, 775: oidMacaddr8, 199: oidJSON,
	3807: oidJSONB, 1182: oidDate, 1183: oidTime, 1115: oidTimestamp, 1185: oidTimestamptz,
	1270: oidTimetz, 1231: oidNumeric, 2951: oidUUID, 3905: oidInt4range, 3907: oidNumrange,
	3909: oidTsrange, 3911: oidTstzrange, 3913: oidDaterange, 3927: oidInt8range,
}

// unsupportedArrays are the array types Debezium leaves unmapped (PostgresValueConverter returns
// no schema for them), so they are left out as there unless include.unknown.datatypes is set.
var unsupportedArrays = map[uint32]bool{
	791:  true, // money[]
	1003: true, // name[]
	1187: true, // interval[]
	1563: true, // varbit[]
	143:  true, // xml[]
	1017: true, // point[]
	1561: true, // bit[]
}

// TsvectorName is Debezium's logical name for tsvector values (io.debezium.data.TsVector).
const TsvectorName = "io.debezium.data.Tsvector"

// LtreeName is Debezium's logical name for ltree values.
const LtreeName = "io.debezium.data.Ltree"

// Mapping is how the values of one column become Connect values.
type Mapping struct {
	// Schema is the field's schema as a required field; the caller marks it optional for a
	// nullable column. Nil when the column's type has no mapping: the column is left out of
	// events, as Debezium does for unknown types unless include.unknown.datatypes is set.
	Schema *api.Schema
	// Zero is what Debezium emits for a NOT NULL column that has no value in a row (the non-key
	// columns of a DELETE under REPLICA IDENTITY DEFAULT): the type's fallback value.
	Zero any
	// Toast is what an unchanged TOASTed value becomes: unavailable.value.placeholder in the
	// column's representation (a string, bytes, or a one-element array), as Debezium's
	// UnchangedToastedPlaceholder. Nil for types that are never TOASTed.
	Toast any
	// TypeName is the PostgreSQL type's name, for messages.
	TypeName string

	decode func(text []byte) (any, error)
	// rebind, for struct-valued types, makes a decoder whose structs carry schema s.
	rebind func(s *api.Schema) (decode func([]byte) (any, error), zero any)
}

// WithSchema returns the mapping with its struct values built for s, the field schema the
// event's row schema ends up with (optional for a nullable column, with its default and doc):
// a Connect struct must carry the very schema of the field it is written in. Other mappings are
// returned unchanged.
func (m Mapping) WithSchema(s *api.Schema) Mapping {
	if m.rebind != nil && s != nil {
		m.decode, m.Zero = m.rebind(s)
		m.Schema = s
	}
	return m
}

// Decode turns the server's text output of one non-NULL value into the Connect value. The text
// is only read during the call; the result never aliases it.
func (m *Mapping) Decode(text []byte) (any, error) {
	if m.decode == nil {
		return nil, fmt.Errorf("type %s has no mapping", m.TypeName)
	}
	v, err := m.decode(text)
	if err != nil {
		return nil, fmt.Errorf("cannot read %q as %s: %w", clip(text), m.TypeName, err)
	}
	return v, nil
}

// clip shortens a value for an error message.
func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}

// bstr views b as a string without copying, for parsers that do not keep it.
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Map returns the mapping of a column of type oid with type modifier typmod (pg_attribute's
// atttypmod; -1 when there is none).
func (o *Options) Map(reg *Registry, oid uint32, typmod int32) Mapping {
	m := o.mapType(reg, oid, typmod, 0)
	if m.Schema == nil && o.IncludeUnknown {
		m = o.binaryText(oid)
	}
	return m
}

// mapType maps one type; depth guards against domain or array cycles in a corrupt catalog.
func (o *Options) mapType(reg *Registry, oid uint32, typmod int32, depth int) Mapping {
	name := typeName(reg, oid)
	m := o.mapBuiltin(oid, typmod)
	if m.Schema != nil || depth > 4 {
		m.TypeName = name
		return m
	}
	if elem, ok := builtinArrays[oid]; ok {
		return o.mapArray(reg, name, elem, typmod, depth)
	}
	if unsupportedArrays[oid] {
		return Mapping{TypeName: name}
	}
	t := reg.Get(oid)
	if t == nil {
		return Mapping{TypeName: name}
	}
	switch {
	case t.Kind == 'd' && t.Base != 0:
		// A domain is its base type; the domain's own modifier applies when the column has none.
		if typmod < 0 {
			typmod = t.BaseTypmod
		}
		m := o.mapType(reg, t.Base, typmod, depth+1)
		m.TypeName = name
		return m
	case t.Kind == 'e':
		return enumMapping(t, o)
	case t.IsArray():
		return o.mapArray(reg, name, t.Elem, typmod, depth)
	}
	switch t.Name {
	case "citext", "isbn", "isbn13", "ismn", "issn", "ean13", "upc":
		m := stringMapping(api.StringSchema, o)
		m.TypeName = name
		return m
	case "ltree":
		m := stringMapping(api.NewSchema(api.TypeString).Name(LtreeName).Version(1).Build(), o)
		m.TypeName = name
		return m
	case "hstore":
		m := o.hstoreMapping()
		m.TypeName = name
		return m
	}
	return Mapping{TypeName: name}
}

// typeName names a type for messages.
func typeName(reg *Registry, oid uint32) string {
	if t := reg.Get(oid); t != nil {
		return t.Name
	}
	if n, ok := builtinNames[oid]; ok {
		return n
	}
	return "type " + strconv.FormatUint(uint64(oid), 10)
}

var builtinNames = map[uint32]string{
	oidBool: "boolean", oidBytea: "bytea", oidChar: "\"char\"", oidName: "name", oidInt8: "bigint",
	oidInt2: "smallint", oidInt4: "integer", oidText: "text", oidOID: "oid", oidJSON: "json", oidXML: "xml",
	oidCIDR: "cidr", oidFloat4: "real", oidFloat8: "double precision", oidMacaddr8: "macaddr8",
	oidMoney: "money", oidMacaddr: "macaddr", oidInet: "inet", oidBPChar: "character",
	oidVarchar: "character varying", oidDate: "date", oidTime: "time", oidTimestamp: "timestamp",
	oidTimestamptz: "timestamptz", oidInterval: "interval", oidTimetz: "timetz", oidBit: "bit",
	oidVarbit: "bit varying", oidNumeric: "numeric", oidUUID: "uuid", oidTSVector: "tsvector",
	oidJSONB: "jsonb", oidPoint: "point", oidLseg: "lseg", oidPath: "path", oidBox: "box",
	oidPolygon: "polygon", oidLine: "line", oidCircle: "circle",
}

// mapBuiltin maps the scalar built-in types; a zero Mapping means "not a built-in scalar".
func (o *Options) mapBuiltin(oid uint32, typmod int32) Mapping {
	switch oid {
	case oidBool:
		return Mapping{Schema: api.BooleanSchema, Zero: false, decode: decodeBool}
	case oidInt2:
		return Mapping{Schema: api.Int16Schema, Zero: int16(0), decode: decodeInt16}
	case oidInt4:
		return Mapping{Schema: api.Int32Schema, Zero: int32(0), decode: decodeInt32}
	case oidInt8, oidOID:
		return Mapping{Schema: api.Int64Schema, Zero: int64(0), decode: decodeInt64}
	case oidFloat4:
		return Mapping{Schema: api.Float32Schema, Zero: float32(0), decode: decodeFloat32}
	case oidFloat8:
		return Mapping{Schema: api.Float64Schema, Zero: float64(0), decode: decodeFloat64}
	case oidText, oidVarchar, oidBPChar, oidName, oidChar, oidInet, oidCIDR, oidMacaddr, oidMacaddr8,
		oidInt4range, oidInt8range, oidNumrange, oidTsrange, oidTstzrange, oidDaterange:
		return stringMapping(api.StringSchema, o)
	case oidTSVector:
		return stringMapping(api.NewSchema(api.TypeString).Name(TsvectorName).Version(1).Build(), o)
	case oidJSON, oidJSONB:
		return stringMapping(api.JSONSchema().Build(), o)
	case oidXML:
		return stringMapping(api.XMLSchema().Build(), o)
	case oidUUID:
		m := stringMapping(api.UUIDSchema().Build(), o)
		m.Toast = nil // a uuid is never TOASTed
		return m
	case oidBytea:
		return o.byteaMapping()
	case oidNumeric:
		return o.numericMapping(typmod)
	case oidMoney:
		return o.moneyMapping()
	case oidDate:
		return o.dateMapping()
	case oidTime:
		return o.timeMapping(timePrecision(typmod))
	case oidTimestamp:
		return o.timestampMapping(timePrecision(typmod))
	case oidTimestamptz:
		return timestamptzMapping(timePrecision(typmod))
	case oidTimetz:
		return timetzMapping()
	case oidInterval:
		return o.intervalMapping()
	case oidBit, oidVarbit:
		return bitMapping(oid, typmod)
	}
	if m, ok := geometricMapping(oid); ok {
		return m
	}
	return Mapping{}
}

// stringMapping maps a type whose text output is the value.
func stringMapping(s *api.Schema, o *Options) Mapping {
	return Mapping{Schema: s, Zero: "", Toast: o.Placeholder, decode: decodeString}
}

// enumMapping maps an enum to io.debezium.data.Enum with its labels.
func enumMapping(t *Type, o *Options) Mapping {
	return Mapping{Schema: api.EnumSchema(t.EnumLabels).Build(), Zero: "", Toast: o.Placeholder,
		decode: decodeString, TypeName: t.Name}
}

// binaryText maps an unknown type to its text bytes under binary.handling.mode
// (include.unknown.datatypes=true).
func (o *Options) binaryText(oid uint32) Mapping {
	m := o.byteaMapping()
	switch o.Binary {
	case envelope.BinaryBase64, envelope.BinaryBase64URLSafe, envelope.BinaryHex:
		enc := o.encodeBinary
		m.decode = func(b []byte) (any, error) { return enc(b), nil }
	default:
		m.decode = func(b []byte) (any, error) { return append([]byte(nil), b...), nil }
	}
	m.TypeName = "type " + strconv.FormatUint(uint64(oid), 10)
	return m
}

func decodeString(b []byte) (any, error) { return string(b), nil }

func decodeBool(b []byte) (any, error) {
	if len(b) == 1 {
		switch b[0] {
		case 't':
			return true, nil
		case 'f':
			return false, nil
		}
	}
	return nil, fmt.Errorf("not a boolean")
}

// parseInt parses a decimal integer without allocating.
func parseInt(b []byte, bits int) (int64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("empty number")
	}
	neg := false
	i := 0
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i = 1
		if len(b) == 1 {
			return 0, fmt.Errorf("not a number")
		}
	}
	var n uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a number")
		}
		if n > (math.MaxUint64-9)/10 {
			return 0, fmt.Errorf("out of range")
		}
		n = n*10 + uint64(c-'0')
	}
	limit := uint64(1) << uint(bits-1)
	if neg {
		if n > limit {
			return 0, fmt.Errorf("out of range")
		}
		return -int64(n), nil
	}
	if n >= limit {
		return 0, fmt.Errorf("out of range")
	}
	return int64(n), nil
}

func decodeInt16(b []byte) (any, error) {
	n, err := parseInt(b, 16)
	return int16(n), err
}

func decodeInt32(b []byte) (any, error) {
	n, err := parseInt(b, 32)
	return int32(n), err
}

func decodeInt64(b []byte) (any, error) {
	n, err := parseInt(b, 64)
	return n, err
}

func decodeFloat32(b []byte) (any, error) {
	f, err := strconv.ParseFloat(bstr(b), 32)
	if err != nil {
		return nil, fmt.Errorf("not a real number")
	}
	return float32(f), nil
}

func decodeFloat64(b []byte) (any, error) {
	f, err := strconv.ParseFloat(bstr(b), 64)
	if err != nil {
		return nil, fmt.Errorf("not a double precision number")
	}
	return f, nil
}

// byteaMapping maps BYTEA under binary.handling.mode; the server writes bytea_output=hex.
func (o *Options) byteaMapping() Mapping {
	ph := []byte(o.Placeholder)
	switch o.Binary {
	case envelope.BinaryBase64, envelope.BinaryBase64URLSafe, envelope.BinaryHex:
		enc := o.encodeBinary
		return Mapping{Schema: api.StringSchema, Zero: "", Toast: o.Placeholder, decode: func(b []byte) (any, error) {
			raw, err := decodeByteaText(b)
			if err != nil {
				return nil, err
			}
			return enc(raw), nil
		}}
	}
	return Mapping{Schema: api.BytesSchema, Zero: []byte{}, Toast: ph, decode: func(b []byte) (any, error) {
		return decodeByteaText(b)
	}}
}

// encodeBinary renders bytes as binary.handling.mode says.
func (o *Options) encodeBinary(b []byte) string {
	switch o.Binary {
	case envelope.BinaryBase64:
		return base64.StdEncoding.EncodeToString(b)
	case envelope.BinaryBase64URLSafe:
		return base64.URLEncoding.EncodeToString(b)
	default:
		return hex.EncodeToString(b)
	}
}

// decodeByteaText reads bytea's hex output "\x0102ff".
func decodeByteaText(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != '\\' || b[1] != 'x' {
		return nil, fmt.Errorf("not bytea hex output (is bytea_output=hex?)")
	}
	out := make([]byte, (len(b)-2)/2)
	if _, err := hex.Decode(out, b[2:]); err != nil {
		return nil, fmt.Errorf("bad hex digits")
	}
	return out, nil
}
