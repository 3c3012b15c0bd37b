package api

import (
	"strconv"
	"strings"
	"time"
)

// Kafka Connect's logical types (org.apache.kafka.connect.data). Their values are represented by
// Decimal and time.Time (see Schema); converters translate them.
const (
	// DecimalName is Kafka's Decimal: bytes holding the two's-complement unscaled value, with the
	// scale in parameter DecimalScaleParam.
	DecimalName = "org.apache.kafka.connect.data.Decimal"
	// DecimalScaleParam is the Decimal parameter holding the scale.
	DecimalScaleParam = "scale"
	// DecimalPrecisionParam is the parameter Debezium adds to Decimal schemas with the column's
	// precision.
	DecimalPrecisionParam = "connect.decimal.precision"
	// DateName is Kafka's Date: int32 days since the epoch.
	DateName = "org.apache.kafka.connect.data.Date"
	// TimeName is Kafka's Time: int32 milliseconds since midnight.
	TimeName = "org.apache.kafka.connect.data.Time"
	// TimestampName is Kafka's Timestamp: int64 milliseconds since the epoch.
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
)

// Debezium's semantic types. Their values keep the base type's Go representation (int32, int64,
// string, bytes or *Struct): converters treat them as their base type.
const (
	DebeziumDateName      = "io.debezium.time.Date"           // int32 days since the epoch
	DebeziumTimeName      = "io.debezium.time.Time"           // int32 milliseconds past midnight
	MicroTimeName         = "io.debezium.time.MicroTime"      // int64 microseconds past midnight
	NanoTimeName          = "io.debezium.time.NanoTime"       // int64 nanoseconds past midnight
	DebeziumTimestampName = "io.debezium.time.Timestamp"      // int64 milliseconds since the epoch
	MicroTimestampName    = "io.debezium.time.MicroTimestamp" // int64 microseconds since the epoch
	NanoTimestampName     = "io.debezium.time.NanoTimestamp"  // int64 nanoseconds since the epoch
	ZonedTimestampName    = "io.debezium.time.ZonedTimestamp" // string, ISO-8601 with offset
	ZonedTimeName         = "io.debezium.time.ZonedTime"      // string, ISO-8601 time with offset
	YearName              = "io.debezium.time.Year"           // int32 year
	MicroDurationName     = "io.debezium.time.MicroDuration"  // int64 microseconds
	NanoDurationName      = "io.debezium.time.NanoDuration"   // int64 nanoseconds
	IntervalName          = "io.debezium.time.Interval"       // string, ISO-8601 duration
	JSONName              = "io.debezium.data.Json"           // string holding a JSON document
	UUIDName              = "io.debezium.data.Uuid"           // string
	XMLName               = "io.debezium.data.Xml"            // string
	// BitsName is a bytes value holding a bit string; the number of bits is parameter BitsLengthParam.
	BitsName = "io.debezium.data.Bits"
	// BitsLengthParam is the Bits parameter holding the number of bits.
	BitsLengthParam = "length"
	// EnumName is a string restricted to the comma-separated list in parameter EnumAllowedParam.
	EnumName = "io.debezium.data.Enum"
	// EnumSetName is a comma-separated subset of the values in parameter EnumAllowedParam.
	EnumSetName = "io.debezium.data.EnumSet"
	// EnumAllowedParam is the Enum/EnumSet parameter listing the allowed values.
	EnumAllowedParam = "allowed"
	// VariableScaleDecimalName is a struct {scale int32, value bytes} for decimals whose scale
	// differs per value (PostgreSQL NUMERIC without a declared scale).
	VariableScaleDecimalName = "io.debezium.data.VariableScaleDecimal"
	// GeometryName is a struct {wkb bytes, srid optional int32}.
	GeometryName = "io.debezium.data.geometry.Geometry"
	// GeographyName is a struct {wkb bytes, srid optional int32}.
	GeographyName = "io.debezium.data.geometry.Geography"
	// PointName is a struct {x float64, y float64, wkb optional bytes, srid optional int32}.
	PointName = "io.debezium.data.geometry.Point"
)

// KafkaDecimalSchema starts Kafka's Decimal.builder(scale): bytes named DecimalName, parameter
// scale, version 1.
func KafkaDecimalSchema(scale int) *SchemaBuilder {
	return NewSchema(TypeBytes).Name(DecimalName).Param(DecimalScaleParam, strconv.Itoa(scale)).Version(1)
}

// DecimalSchema starts the Decimal schema Debezium writes for a column with
// decimal.handling.mode=precise: Kafka's Decimal with parameters scale, then
// connect.decimal.precision.
func DecimalSchema(scale, precision int) *SchemaBuilder {
	return KafkaDecimalSchema(scale).Param(DecimalPrecisionParam, strconv.Itoa(precision))
}

// DateSchema starts Kafka's Date: int32 named DateName, version 1; values are time.Time at
// midnight UTC.
func DateSchema() *SchemaBuilder { return NewSchema(TypeInt32).Name(DateName).Version(1) }

// TimeSchema starts Kafka's Time: int32 named TimeName, version 1; values are time.Time on
// 1970-01-01 UTC.
func TimeSchema() *SchemaBuilder { return NewSchema(TypeInt32).Name(TimeName).Version(1) }

// TimestampSchema starts Kafka's Timestamp: int64 named TimestampName, version 1; values are
// time.Time.
func TimestampSchema() *SchemaBuilder {
	return NewSchema(TypeInt64).Name(TimestampName).Version(1)
}

// debezium starts a Debezium semantic type: base type t, the name, version 1, as every
// io.debezium.time.* and io.debezium.data.* builder does.
func debezium(t Type, name string) *SchemaBuilder { return NewSchema(t).Name(name).Version(1) }

// DebeziumDateSchema starts io.debezium.time.Date (int32 days since the epoch).
func DebeziumDateSchema() *SchemaBuilder { return debezium(TypeInt32, DebeziumDateName) }

// DebeziumTimeSchema starts io.debezium.time.Time (int32 milliseconds past midnight).
func DebeziumTimeSchema() *SchemaBuilder { return debezium(TypeInt32, DebeziumTimeName) }

// MicroTimeSchema starts io.debezium.time.MicroTime (int64 microseconds past midnight).
func MicroTimeSchema() *SchemaBuilder { return debezium(TypeInt64, MicroTimeName) }

// NanoTimeSchema starts io.debezium.time.NanoTime (int64 nanoseconds past midnight).
func NanoTimeSchema() *SchemaBuilder { return debezium(TypeInt64, NanoTimeName) }

// DebeziumTimestampSchema starts io.debezium.time.Timestamp (int64 milliseconds since the epoch).
func DebeziumTimestampSchema() *SchemaBuilder { return debezium(TypeInt64, DebeziumTimestampName) }

// MicroTimestampSchema starts io.debezium.time.MicroTimestamp (int64 microseconds since the epoch).
func MicroTimestampSchema() *SchemaBuilder { return debezium(TypeInt64, MicroTimestampName) }

// NanoTimestampSchema starts io.debezium.time.NanoTimestamp (int64 nanoseconds since the epoch).
func NanoTimestampSchema() *SchemaBuilder { return debezium(TypeInt64, NanoTimestampName) }

// ZonedTimestampSchema starts io.debezium.time.ZonedTimestamp (ISO-8601 string with offset).
func ZonedTimestampSchema() *SchemaBuilder { return debezium(TypeString, ZonedTimestampName) }

// ZonedTimeSchema starts io.debezium.time.ZonedTime (ISO-8601 time string with offset).
func ZonedTimeSchema() *SchemaBuilder { return debezium(TypeString, ZonedTimeName) }

// YearSchema starts io.debezium.time.Year (int32).
func YearSchema() *SchemaBuilder { return debezium(TypeInt32, YearName) }

// MicroDurationSchema starts io.debezium.time.MicroDuration (int64 microseconds).
func MicroDurationSchema() *SchemaBuilder { return debezium(TypeInt64, MicroDurationName) }

// NanoDurationSchema starts io.debezium.time.NanoDuration (int64 nanoseconds).
func NanoDurationSchema() *SchemaBuilder { return debezium(TypeInt64, NanoDurationName) }

// IntervalSchema starts io.debezium.time.Interval (ISO-8601 duration string).
func IntervalSchema() *SchemaBuilder { return debezium(TypeString, IntervalName) }

// JSONSchema starts io.debezium.data.Json (string holding a JSON document).
func JSONSchema() *SchemaBuilder { return debezium(TypeString, JSONName) }

// UUIDSchema starts io.debezium.data.Uuid (string).
func UUIDSchema() *SchemaBuilder { return debezium(TypeString, UUIDName) }

// XMLSchema starts io.debezium.data.Xml (string).
func XMLSchema() *SchemaBuilder { return debezium(TypeString, XMLName) }

// BitsSchema starts io.debezium.data.Bits for a bit string of length bits.
func BitsSchema(length int) *SchemaBuilder {
	return debezium(TypeBytes, BitsName).Param(BitsLengthParam, strconv.Itoa(length))
}

// EnumSchema starts io.debezium.data.Enum with the allowed values joined by commas, as Debezium
// 3.6 does (values are not escaped; Debezium 3.7 escapes ',' and '\' inside a value).
func EnumSchema(allowed []string) *SchemaBuilder {
	return debezium(TypeString, EnumName).Param(EnumAllowedParam, strings.Join(allowed, ","))
}

// EnumSetSchema starts io.debezium.data.EnumSet with the allowed values joined by commas (see
// EnumSchema).
func EnumSetSchema(allowed []string) *SchemaBuilder {
	return debezium(TypeString, EnumSetName).Param(EnumAllowedParam, strings.Join(allowed, ","))
}

// VariableScaleDecimalSchema starts io.debezium.data.VariableScaleDecimal: a struct with fields
// scale (int32) and value (bytes, two's-complement unscaled value), version 1, doc "Variable
// scaled decimal". Fill values with VariableScaleDecimalValue.
func VariableScaleDecimalSchema() *SchemaBuilder {
	return StructSchema().Name(VariableScaleDecimalName).Version(1).Doc("Variable scaled decimal").
		Field("scale", Int32Schema).Field("value", BytesSchema)
}

// VariableScaleDecimalValue returns the struct Debezium writes for d under schema s (built with
// VariableScaleDecimalSchema).
func VariableScaleDecimalValue(s *Schema, d Decimal) *Struct {
	st := NewStruct(s)
	st.PutIndex(0, d.Scale)
	st.PutIndex(1, d.Bytes())
	return st
}

// GeometrySchema starts io.debezium.data.geometry.Geometry as Debezium 3.6 writes it: an
// optional struct, version 1, doc "Geometry", fields wkb (bytes) and srid (optional int32).
func GeometrySchema() *SchemaBuilder {
	return StructSchema().Name(GeometryName).Version(1).Doc("Geometry").Optional().
		Field("wkb", BytesSchema).Field("srid", OptionalInt32Schema)
}

// GeographySchema starts io.debezium.data.geometry.Geography: a struct, version 1, doc
// "Geography", fields wkb (bytes) and srid (optional int32).
func GeographySchema() *SchemaBuilder {
	return StructSchema().Name(GeographyName).Version(1).Doc("Geography").
		Field("wkb", BytesSchema).Field("srid", OptionalInt32Schema)
}

// PointSchema starts io.debezium.data.geometry.Point: a struct, version 1, doc "Geometry
// (POINT)", fields x, y (float64), wkb (optional bytes), srid (optional int32).
func PointSchema() *SchemaBuilder {
	return StructSchema().Name(PointName).Version(1).Doc("Geometry (POINT)").
		Field("x", Float64Schema).Field("y", Float64Schema).
		Field("wkb", OptionalBytesSchema).Field("srid", OptionalInt32Schema)
}

// The day and the epoch used by Kafka's Date and Time logical types.
const millisPerDay = 24 * 60 * 60 * 1000

// DateValue returns the time.Time Kafka's Date holds for days since the epoch.
func DateValue(days int32) time.Time { return time.UnixMilli(int64(days) * millisPerDay).UTC() }

// TimeValue returns the time.Time Kafka's Time holds for milliseconds past midnight.
func TimeValue(millis int32) time.Time { return time.UnixMilli(int64(millis)).UTC() }

// TimestampValue returns the time.Time Kafka's Timestamp holds for milliseconds since the epoch.
func TimestampValue(millis int64) time.Time { return time.UnixMilli(millis).UTC() }
