package api

// Type is a Connect schema type, named as Kafka Connect's Schema.Type so the JSON converter can
// write the same lower-case names ("int8", "struct", ...).
type Type uint8

// The Connect schema types.
const (
	TypeInt8 Type = iota + 1
	TypeInt16
	TypeInt32
	TypeInt64
	TypeFloat32
	TypeFloat64
	TypeBoolean
	TypeString
	TypeBytes
	TypeArray
	TypeMap
	TypeStruct
)

var typeNames = [...]string{
	TypeInt8: "int8", TypeInt16: "int16", TypeInt32: "int32", TypeInt64: "int64", TypeFloat32: "float32",
	TypeFloat64: "float64", TypeBoolean: "boolean", TypeString: "string", TypeBytes: "bytes", TypeArray: "array",
	TypeMap: "map", TypeStruct: "struct",
}

// String returns the name Kafka Connect's JsonConverter writes for the type.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "unknown"
}

// Param is one schema parameter. Parameters keep their insertion order because Kafka Connect's
// SchemaBuilder stores them in a LinkedHashMap and the JSON converter writes them in that order.
type Param struct {
	Key, Value string
}

// Field is one field of a struct schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// Schema describes a Connect value. A Schema is immutable once built and shared by every record
// of a table, so converters can cache per-schema encoders keyed by the pointer.
//
// Values are represented by these Go types (no reflection is needed to encode them):
// TypeInt8 int8, TypeInt16 int16, TypeInt32 int32, TypeInt64 int64, TypeFloat32 float32,
// TypeFloat64 float64, TypeBoolean bool, TypeString string, TypeBytes []byte, TypeArray []any,
// TypeMap []MapEntry, TypeStruct *Struct;
// nil for an absent optional value. Logical types keep their base type's representation except
// Kafka's Decimal (Decimal), Date/Time/Timestamp (time.Time).
type Schema struct {
	Type        Type
	Optional    bool
	Default     any // nil when the schema has no default
	HasDefault  bool
	Name        string
	Version     int // 0 when unset
	Doc         string
	Parameters  []Param
	Fields      []Field // Struct only
	KeySchema   *Schema // Map only
	ValueSchema *Schema // Array and Map
}

// MapEntry is one key/value pair of a Map value; maps keep their order so output is deterministic.
type MapEntry struct {
	Key, Value any
}
