package pgtypes

import (
	"fmt"
	"strings"

	"github.com/connectd/connectd/connectors/envelope"
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
// The decimal, time and binary modes are envelope's, shared with every connector.
type Options struct {
	Decimal  envelope.DecimalMode
	Time     envelope.TimePrecisionMode
	Binary   envelope.BinaryMode
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
	return Options{Decimal: envelope.DecimalPrecise, Time: envelope.TimeAdaptive, Binary: envelope.BinaryBytes,
		MoneyFractionDigits: 2, Placeholder: DefaultPlaceholder}
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
