// Package jsonconv is connectd's JSON converter, the counterpart of Kafka's
// org.apache.kafka.connect.json.JsonConverter: the bytes it writes are the bytes the Java
// converter writes for the same schema and value (golden files made by the Java converter are the
// tests' judge), so consumers, offsets tooling and Debezium itself read them unchanged.
//
// Encoding appends to a caller's buffer without reflection and, for the value types of
// connect/api, without allocating once a schema's JSON is cached. Decoding rebuilds schemas and
// typed values (for reading offsets and configs back), or generic values when schemas are off.
package jsonconv

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/connectd/connectd/connect/api"
)

// Converter property names, as JsonConverterConfig's.
const (
	SchemasEnableConfig          = "schemas.enable"
	SchemasCacheSizeConfig       = "schemas.cache.size"
	DecimalFormatConfig          = "decimal.format"
	ReplaceNullWithDefaultConfig = "replace.null.with.default"
	SchemaContentConfig          = "schema.content"
	// ConverterTypeConfig is set by the Kafka Connect runtime ("key", "value" or "header"); it is
	// accepted and checked, the isKey argument of New is what counts.
	ConverterTypeConfig = "converter.type"
)

// DecimalFormat is how Decimal values are written (decimal.format).
type DecimalFormat uint8

// The decimal formats.
const (
	// DecimalBase64 writes the two's-complement unscaled bytes in base64 (Kafka's default).
	DecimalBase64 DecimalFormat = iota
	// DecimalNumeric writes a JSON number as Java's BigDecimal.toString does.
	DecimalNumeric
)

// String returns the property value naming the format.
func (f DecimalFormat) String() string {
	if f == DecimalNumeric {
		return "NUMERIC"
	}
	return "BASE64"
}

// Config is a parsed converter configuration.
type Config struct {
	// SchemasEnable wraps every value in {"schema":...,"payload":...} (default true).
	SchemasEnable bool
	// DecimalFormat is BASE64 (default) or NUMERIC.
	DecimalFormat DecimalFormat
	// ReplaceNullWithDefault writes a field's default when its value is nil (default true).
	ReplaceNullWithDefault bool
	// SchemasCacheSize bounds the schemas kept per direction (default 1000).
	SchemasCacheSize int
	// SchemaContent, when set with SchemasEnable, is the schema (JSON) every decoded message is
	// read with; messages are then bare payloads (KIP-1054). It does not affect encoding.
	SchemaContent string
	// IsKey tells a key converter from a value converter; it changes nothing in the bytes.
	IsKey bool
}

// ParseConfig reads converter properties (the part after "key.converter." or
// "value.converter."), applying JsonConverter's defaults. Values are trimmed and compared
// case-insensitively where Kafka does; unknown properties are ignored, as Kafka's ConfigDef does.
func ParseConfig(props map[string]string, isKey bool) (Config, error) {
	c := Config{SchemasEnable: true, ReplaceNullWithDefault: true, SchemasCacheSize: 1000, IsKey: isKey}
	var err error
	if v, ok := props[SchemasEnableConfig]; ok {
		if c.SchemasEnable, err = parseBool(SchemasEnableConfig, v); err != nil {
			return Config{}, err
		}
	}
	if v, ok := props[ReplaceNullWithDefaultConfig]; ok {
		if c.ReplaceNullWithDefault, err = parseBool(ReplaceNullWithDefaultConfig, v); err != nil {
			return Config{}, err
		}
	}
	if v, ok := props[SchemasCacheSizeConfig]; ok {
		n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if perr != nil {
			return Config{}, fmt.Errorf("invalid value %q for converter configuration %s: not a number of type INT", v, SchemasCacheSizeConfig)
		}
		c.SchemasCacheSize = int(n)
	}
	if v, ok := props[DecimalFormatConfig]; ok {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "BASE64":
			c.DecimalFormat = DecimalBase64
		case "NUMERIC":
			c.DecimalFormat = DecimalNumeric
		default:
			return Config{}, fmt.Errorf("invalid value %q for converter configuration %s: must be BASE64 or NUMERIC (case-insensitive)", v, DecimalFormatConfig)
		}
	}
	if v, ok := props[ConverterTypeConfig]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "key", "value", "header":
		default:
			return Config{}, fmt.Errorf("invalid value %q for converter configuration %s: must be key, value or header", v, ConverterTypeConfig)
		}
	}
	if v, ok := props[SchemaContentConfig]; ok {
		c.SchemaContent = strings.TrimSpace(v)
	}
	return c, nil
}

// parseBool parses a boolean as Kafka's ConfigDef does: trimmed, "true" or "false" in any case.
func parseBool(name, v string) (bool, error) {
	t := strings.TrimSpace(v)
	switch {
	case strings.EqualFold(t, "true"):
		return true, nil
	case strings.EqualFold(t, "false"):
		return false, nil
	}
	return false, fmt.Errorf("invalid value %q for converter configuration %s: expected true or false", v, name)
}

// Converter converts Connect data to and from JSON. It is safe for concurrent use.
type Converter struct {
	cfg Config
	// fixedSchema is SchemaContent parsed, used by Decode instead of each message's schema.
	fixedSchema *api.Schema

	// schemaJSON caches each schema's JSON ([]byte) by pointer (schemas are immutable once
	// built), so an envelope's schema half costs one lock-free lookup. schemaCount bounds it.
	schemaJSON  sync.Map
	schemaCount atomic.Int64
	// fieldKeys caches, per struct schema, what is written before each field's value (the
	// member name, quoted and escaped, and the colon; from the second field on the separating
	// comma too), so field names are not escaped again for every record. keyCount bounds it.
	fieldKeys sync.Map
	keyCount  atomic.Int64

	// decoded caches schemas read back, by their JSON text, so equal schemas decode to one
	// pointer that downstream per-schema caches can key on.
	mu      sync.Mutex
	decoded map[string]*api.Schema
}

// New returns a converter for the given converter properties; isKey tells a key converter from a
// value converter. It reports bad property values naming the property.
func New(props map[string]string, isKey bool) (*Converter, error) {
	cfg, err := ParseConfig(props, isKey)
	if err != nil {
		return nil, err
	}
	return NewWithConfig(cfg)
}

// NewWithConfig returns a converter for an already parsed configuration.
func NewWithConfig(cfg Config) (*Converter, error) {
	c := &Converter{cfg: cfg, decoded: map[string]*api.Schema{}}
	if cfg.SchemaContent != "" {
		n, err := parse([]byte(cfg.SchemaContent))
		if err != nil {
			return nil, fmt.Errorf("invalid value for converter configuration %s: not JSON: %w", SchemaContentConfig, err)
		}
		s, err := c.toConnectSchema(&n)
		if err != nil {
			return nil, fmt.Errorf("invalid value for converter configuration %s: %w", SchemaContentConfig, err)
		}
		c.fixedSchema = s
	}
	return c, nil
}

// Config returns the converter's configuration.
func (c *Converter) Config() Config { return c.cfg }

// cacheLimit is the number of schemas kept per cache; Kafka's LRU of schemas.cache.size. A full
// cache is emptied rather than trimmed: schemas are few (one per table) and cheap to rebuild.
func (c *Converter) cacheLimit() int {
	if c.cfg.SchemasCacheSize <= 0 {
		return 0
	}
	return c.cfg.SchemasCacheSize
}
