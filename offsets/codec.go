package offsets

import (
	"fmt"
	"math"
	"strconv"

	"github.com/connectd/connectd/connect/api/javafmt"
)

// maxDepth bounds nesting in both directions: offsets are flat maps, so anything deeper than this
// is a mistake (or hostile input), and a bound keeps the recursive parser from exhausting the stack.
const maxDepth = 32

// EncodeKey returns the offset-topic key for a source partition of a connector: the bytes Kafka
// Connect's JsonConverter (schemas disabled) writes for the list [connector, partition], compact,
// with the partition map's fields in Java HashMap iteration order (Debezium builds its partition
// maps as HashMaps). Equal partitions always give equal bytes, so the bytes identify a partition.
func EncodeKey(connector string, partition map[string]any) ([]byte, error) {
	return AppendKey(make([]byte, 0, 48+len(connector)), connector, partition)
}

// AppendKey is EncodeKey appending to dst, for callers that reuse a buffer.
func AppendKey(dst []byte, connector string, partition map[string]any) ([]byte, error) {
	dst = append(dst, '[')
	dst = javafmt.AppendString(dst, connector)
	dst = append(dst, ',')
	if partition == nil {
		return nil, fmt.Errorf("the source partition of connector %q is nil: a connector must give every record a partition map", connector)
	}
	dst, err := appendMap(dst, partition, 1)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the source partition of connector %q: %w", connector, err)
	}
	return append(dst, ']'), nil
}

// EncodeOffset returns the offset-topic value for an offset map, as JsonConverter writes it. A nil
// map encodes as nil: a tombstone, which deletes the partition's offset.
func EncodeOffset(offset map[string]any) ([]byte, error) {
	if offset == nil {
		return nil, nil
	}
	// Debezium's offsets are 100-250 bytes: one allocation in the common case.
	return AppendOffset(make([]byte, 0, 256), offset)
}

// AppendOffset is EncodeOffset appending to dst; a nil offset appends nothing.
func AppendOffset(dst []byte, offset map[string]any) ([]byte, error) {
	if offset == nil {
		return dst, nil
	}
	b, err := appendMap(dst, offset, 1)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the offset: %w", err)
	}
	return b, nil
}

// DecodeKey parses an offset-topic key written by any client: Kafka Connect, Debezium, ours, or
// an operator by hand (any spacing, any field order). JSON integers become int64, other numbers
// float64. Re-encoding the result with EncodeKey gives the canonical bytes.
func DecodeKey(key []byte) (connector string, partition map[string]any, err error) {
	connector, partition, _, err = decodeKey(key)
	return connector, partition, err
}

// decodeKey is DecodeKey that also says whether the connector name could be read even though the
// key is malformed, so a typo in a key is charged to the connector it names rather than ignored.
func decodeKey(key []byte) (connector string, partition map[string]any, connectorKnown bool, err error) {
	if key == nil {
		return "", nil, false, fmt.Errorf("the key is null; an offset key is [\"<connector>\",{<partition>}]")
	}
	v, perr := parseJSON(key)
	if perr != nil {
		if name, ok := leadingConnector(key); ok {
			return name, nil, true, fmt.Errorf("the key is not valid JSON: %w", perr)
		}
		return "", nil, false, fmt.Errorf("the key is not valid JSON: %w", perr)
	}
	return keyFromJSON(v)
}

// keyFromJSON checks the shape of a parsed key: ["<connector>",{<partition>}].
func keyFromJSON(v any) (connector string, partition map[string]any, connectorKnown bool, err error) {
	list, ok := v.([]any)
	if !ok {
		return "", nil, false, fmt.Errorf("the key is a JSON %s, not the list [\"<connector>\",{<partition>}]", jsonKind(v))
	}
	if len(list) == 0 {
		return "", nil, false, fmt.Errorf("the key is an empty list, not [\"<connector>\",{<partition>}]")
	}
	name, ok := list[0].(string)
	if !ok {
		return "", nil, false, fmt.Errorf("the key's first element is a JSON %s, not the connector name", jsonKind(list[0]))
	}
	if len(list) != 2 {
		return name, nil, true, fmt.Errorf("the key has %d elements, not 2: [\"<connector>\",{<partition>}]", len(list))
	}
	part, ok := list[1].(map[string]any)
	if !ok {
		return name, nil, true, fmt.Errorf("the key's second element is a JSON %s, not the partition object", jsonKind(list[1]))
	}
	return name, part, true, nil
}

// DecodeOffset parses an offset-topic value. A nil value (tombstone) and the JSON literal null both
// mean "no offset" and decode to a nil map without error, as in Kafka Connect.
func DecodeOffset(value []byte) (map[string]any, error) {
	if value == nil {
		return nil, nil
	}
	if len(value) == 0 {
		return nil, fmt.Errorf("the value is empty (zero bytes); an offset is a JSON object, and deleting one takes a tombstone (a null value, e.g. kcat -Z)")
	}
	v, err := parseJSON(value)
	if err != nil {
		return nil, fmt.Errorf("the value is not valid JSON: %w", err)
	}
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the value is a JSON %s, not an offset object", jsonKind(v))
	}
	return m, nil
}

// ValidateOffsetMap checks what Kafka Connect's OffsetUtils.validateFormat checks before it stores
// a partition or an offset: values are primitives (null, boolean, number, string, bytes), never
// nested maps or lists. what names the map in the error ("partition", "offset").
func ValidateOffsetMap(what string, m map[string]any) error {
	for k, v := range m {
		switch v.(type) {
		case nil, bool, string, []byte,
			int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		default:
			return fmt.Errorf("%s field %q holds a %T; offsets may only contain primitive values (string, number, boolean, bytes, null), as in Kafka Connect", what, k, v)
		}
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case int64, float64:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// leadingConnector reads the connector name of a key whose JSON is broken further on: `["name"`
// with any spacing. A typo in the partition then still points at the connector it belongs to.
func leadingConnector(key []byte) (string, bool) {
	p := parser{data: key}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '[' {
		return "", false
	}
	p.pos++
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '"' {
		return "", false
	}
	s, err := p.parseString()
	if err != nil {
		return "", false
	}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != ',' {
		return "", false
	}
	return s, true
}

// ---- encoding ----

func appendMap(dst []byte, m map[string]any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("maps and lists nested deeper than %d levels", maxDepth)
	}
	return javafmt.AppendMap(dst, m, func(dst []byte, k string, v any) ([]byte, error) {
		dst, err := appendValue(dst, v, depth)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		return dst, nil
	})
}

// appendValue writes one value as JsonConverter does for the Java type the Go type stands for.
func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	if out, ok := javafmt.AppendPrimitive(dst, v); ok {
		return out, nil
	}
	switch x := v.(type) {
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("unsigned value %d does not fit a Java long", x)
		}
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("unsigned value %d does not fit a Java long", x)
		}
		return strconv.AppendUint(dst, x, 10), nil
	case map[string]any:
		return appendMap(dst, x, depth+1)
	case map[string]string:
		return javafmt.AppendStringMap(dst, x), nil
	case []any:
		if depth+1 > maxDepth {
			return nil, fmt.Errorf("maps and lists nested deeper than %d levels", maxDepth)
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			dst, err = appendValue(dst, e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return append(dst, ']'), nil
	case []string:
		return javafmt.AppendStrings(dst, x), nil
	}
	return nil, fmt.Errorf("unsupported value type %T (use string, int64, float64, bool, []byte or nil)", v)
}
