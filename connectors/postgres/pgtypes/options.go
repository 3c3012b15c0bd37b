package pgtypes

import (
	"fmt"
	"strings"
)

// DecimalMode is decimal.handling.mode: how NUMERIC and MONEY values are represented.
type DecimalMode uint8

// The decimal handling modes.
const (
	// DecimalPrecise emits Kafka's Decimal logical type (VariableScaleDecimal for NUMERIC without a
	// declared scale). The default.
	DecimalPrecise DecimalMode = iota
	// DecimalDouble emits float64.
	DecimalDouble
	// DecimalString emits the plain decimal string.
	DecimalString
)

// TimeMode is time.precision.mode: how temporal values are represented.
type TimeMode uint8

// The time precision modes.
const (
	// TimeAdaptive picks io.debezium.time.{Time,MicroTime,Timestamp,MicroTimestamp} by the column's
	// precision. The default.
	TimeAdaptive TimeMode = iota
	// TimeAdaptiveMicroseconds is adaptive, except that TIME is always io.debezium.time.MicroTime.
	TimeAdaptiveMicroseconds
	// TimeConnect uses Kafka Connect's Date, Time and Timestamp logical types (millisecond precision).
	TimeConnect
)

// BinaryMode is binary.handling.mode: how BYTEA values are represented.
type BinaryMode uint8

// The binary handling modes.
const (
	// BinaryBytes emits bytes. The default.
	BinaryBytes BinaryMode = iota
	// BinaryBase64 emits a standard base64 string.
	BinaryBase64
	// BinaryBase64URLSafe emits a URL-safe base64 string.
	BinaryBase64URLSafe
	// BinaryHex emits a hexadecimal string.
	BinaryHex
)

// IntervalMode is interval.handling.mode.
type IntervalMode uint8

// The interval handling modes.
const (
	// IntervalNumeric emits io.debezium.time.MicroDuration (approximate microseconds). The default.
	IntervalNumeric IntervalMode = iota
	// IntervalString emits io.debezium.time.Interval, an ISO-8601 duration string.
	IntervalString
)

// HStoreMode is hstore.handling.mode.
type HStoreMode uint8

// The hstore handling modes.
const (
	// HStoreJSON emits io.debezium.data.Json. The default.
	HStoreJSON HStoreMode = iota
	// HStoreMap emits a Connect map of string to optional string.
	HStoreMap
)

// DefaultPlaceholder is Debezium's default unavailable.value.placeholder.
const DefaultPlaceholder = "__debezium_unavailable_value"

// Options selects the value representations, from the connector configuration.
type Options struct {
	Decimal  DecimalMode
	Time     TimeMode
	Binary   BinaryMode
	Interval IntervalMode
	HStore   HStoreMode
	// MoneyFractionDigits is money.fraction.digits, the scale of MONEY values (default 2).
	MoneyFractionDigits int
	// Placeholder is unavailable.value.placeholder, emitted for unchanged TOASTed values.
	Placeholder string
	// IncludeUnknown is include.unknown.datatypes: columns of types without a mapping are emitted
	// as their text bytes (binary.handling.mode applies) instead of being left out.
	IncludeUnknown bool
}

// DefaultOptions returns Debezium's defaults.
func DefaultOptions() Options {
	return Options{MoneyFractionDigits: 2, Placeholder: DefaultPlaceholder}
}

// ParseDecimalMode reads decimal.handling.mode.
func ParseDecimalMode(s string) (DecimalMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "precise":
		return DecimalPrecise, nil
	case "double":
		return DecimalDouble, nil
	case "string":
		return DecimalString, nil
	}
	return 0, fmt.Errorf("decimal.handling.mode=%q is not supported; use precise, double or string", s)
}

// ParseTimeMode reads time.precision.mode.
func ParseTimeMode(s string) (TimeMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "adaptive":
		return TimeAdaptive, nil
	case "adaptive_time_microseconds":
		return TimeAdaptiveMicroseconds, nil
	case "connect":
		return TimeConnect, nil
	}
	return 0, fmt.Errorf("time.precision.mode=%q is not supported by connectd's PostgreSQL connector; use adaptive, adaptive_time_microseconds or connect", s)
}

// ParseBinaryMode reads binary.handling.mode.
func ParseBinaryMode(s string) (BinaryMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "bytes":
		return BinaryBytes, nil
	case "base64":
		return BinaryBase64, nil
	case "base64-url-safe":
		return BinaryBase64URLSafe, nil
	case "hex":
		return BinaryHex, nil
	}
	return 0, fmt.Errorf("binary.handling.mode=%q is not supported; use bytes, base64, base64-url-safe or hex", s)
}

// ParseIntervalMode reads interval.handling.mode.
func ParseIntervalMode(s string) (IntervalMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "numeric":
		return IntervalNumeric, nil
	case "string":
		return IntervalString, nil
	}
	return 0, fmt.Errorf("interval.handling.mode=%q is not supported; use numeric or string", s)
}

// ParseHStoreMode reads hstore.handling.mode.
func ParseHStoreMode(s string) (HStoreMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "json":
		return HStoreJSON, nil
	case "map":
		return HStoreMap, nil
	}
	return 0, fmt.Errorf("hstore.handling.mode=%q is not supported; use json or map", s)
}
