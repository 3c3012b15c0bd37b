package offsets

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
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
	dst = appendString(dst, connector)
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
	var stack [16]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	keys = javaHashMapOrder(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		var err error
		dst, err = appendValue(dst, m[k], depth)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
	}
	return append(dst, '}'), nil
}

func appendStringMap(dst []byte, m map[string]string) []byte {
	var stack [16]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	keys = javaHashMapOrder(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, m[k])
	}
	return append(dst, '}')
}

// appendValue writes one value as JsonConverter does for the Java type the Go type stands for.
func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case string:
		return appendString(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
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
	case float64:
		return appendJavaFloat(dst, x, 64), nil
	case float32:
		return appendJavaFloat(dst, float64(x), 32), nil
	case []byte:
		// JsonConverter writes byte[] as a BinaryNode, which Jackson prints as a base64 string.
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, x)
		return append(dst, '"'), nil
	case map[string]any:
		return appendMap(dst, x, depth+1)
	case map[string]string:
		return appendStringMap(dst, x), nil
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
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']'), nil
	}
	return nil, fmt.Errorf("unsupported value type %T (use string, int64, float64, bool, []byte or nil)", v)
}

const hexDigits = "0123456789ABCDEF"

// appendString quotes s as Jackson's UTF8JsonGenerator does with default settings: `"` and `\`
// escaped, the control characters with a short form (\b \t \n \f \r) use it, the other ones below
// 0x20 are \u00XX with upper-case hex; characters outside the Basic Multilingual Plane (emoji) are
// written as their UTF-16 surrogate pair escaped (\uD83D\uDE00), since Jackson sees a Java
// String's two surrogate chars and COMBINE_UNICODE_SURROGATES_IN_UTF8 is off by default;
// everything else (DEL, `/`, other non-ASCII) is raw UTF-8. Invalid UTF-8 (which a Java String
// cannot hold) becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\uFFFD"...)
				i++
				start = i
				continue
			}
			if r > 0xFFFF {
				dst = append(dst, s[start:i]...)
				r -= 0x10000
				dst = appendUnicodeEscape(dst, 0xD800+(r>>10))
				dst = appendUnicodeEscape(dst, 0xDC00+(r&0x3FF))
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendUnicodeEscape(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

// appendJavaFloat writes f as Java's Double.toString (bits 64) or Float.toString (bits 32), which
// Jackson uses for DoubleNode and FloatNode: the shortest digits that round-trip, plain notation
// with at least one fraction digit for 1e-3 <= |f| < 1e7 ("100.0", "0.001"), otherwise
// "d.dddE[-]n" ("1.0E7", "1.5E-4"). NaN and the infinities are not JSON numbers; Jackson quotes
// them by default ("NaN", "Infinity", "-Infinity"), and so do we.
//
// This is the JDK 19+ specification (Raffaello Giulietti's shortest-digits algorithm, which Go's
// strconv also implements). Older JDKs print a few values with more digits than needed (JDK 17:
// 1.0E23 as 9.999999999999999E22); offsets hold no such values in practice.
func appendJavaFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	var buf [32]byte
	sci := strconv.AppendFloat(buf[:0], f, 'e', -1, bits) // d[.ddd]e±XX
	var digits [24]byte
	nd := 0
	i := 0
	for ; i < len(sci) && sci[i] != 'e'; i++ {
		if sci[i] != '.' {
			digits[nd] = sci[i]
			nd++
		}
	}
	exp, _ := strconv.Atoi(string(sci[i+1:]))
	if nd == 1 {
		// Java never prints one significant digit: when the shortest decimal has one, it takes
		// the two-digit decimal closest to the value (4.9E-324 for Double.MIN_VALUE, not 5.0E-324).
		two := strconv.AppendFloat(buf[:0], f, 'e', 1, bits) // d.de±XX
		if two[2] != '0' {
			digits[0], digits[1], nd = two[0], two[2], 2
			exp, _ = strconv.Atoi(string(two[4:]))
		}
	}
	d := digits[:nd]
	if f >= 1e-3 && f < 1e7 {
		if exp >= 0 {
			if nd > exp+1 {
				dst = append(dst, d[:exp+1]...)
				dst = append(dst, '.')
				return append(dst, d[exp+1:]...)
			}
			dst = append(dst, d...)
			for j := nd; j < exp+1; j++ {
				dst = append(dst, '0')
			}
			return append(dst, '.', '0')
		}
		dst = append(dst, '0', '.')
		for j := 0; j < -exp-1; j++ {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	}
	dst = append(dst, d[0], '.')
	if nd > 1 {
		dst = append(dst, d[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// ---- Java HashMap iteration order ----

// javaStringHash is Java's String.hashCode: s[0]*31^(n-1) + ... over UTF-16 code units, in
// 32-bit two's complement arithmetic.
func javaStringHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r > 0xFFFF {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// javaBucket is the bucket of a key in a HashMap table of size n (a power of two): HashMap.hash
// spreads the high bits down (h ^ h>>>16) before masking.
func javaBucket(s string, n int) int {
	h := uint32(javaStringHash(s))
	return int((h ^ h>>16) & uint32(n-1))
}

// javaTableSize is the table size of a HashMap after inserting n keys one by one: 16, doubled
// whenever the size exceeds three quarters of the table.
func javaTableSize(n int) int {
	size := 16
	for float64(n) > 0.75*float64(size) {
		size *= 2
	}
	return size
}

// knownInsertionOrder lists the fields of Debezium's partition and offset maps in the order
// Debezium puts them into its HashMaps. Iteration order only depends on insertion order for keys
// that share a bucket, and a Go map has no insertion order, so this ranks such keys the way
// Debezium would; keys not listed come after, in byte order.
var knownInsertionOrder = func() map[string]int {
	names := []string{
		// partitions
		"server", "database", "task_id",
		// MySQL / MariaDB (offsetUsingPosition, then snapshot, transaction and incremental snapshot)
		"server_id", "ts_sec", "gtids", "file", "pos", "event", "row", "snapshot",
		// PostgreSQL
		"ts_usec", "lsn", "txId", "lsn_proc", "lsn_commit", "messageType", "last_snapshot_record",
		// SQL Server / Db2
		"commit_lsn", "change_lsn", "event_serial_no", "snapshot_completed",
		// shared contexts
		"transaction_id", "transaction_data_collection_order_", "incremental_snapshot_collections",
		"incremental_snapshot_primary_key", "incremental_snapshot_maximum_key",
		"incremental_snapshot_window_opened",
	}
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}()

// javaHashMapOrder sorts keys (in place, and returns them) into the order a java.util.HashMap
// holding them iterates: by bucket, and inside a bucket by insertion order (knownInsertionOrder,
// then byte order). It ignores the tree bins Java builds for 8+ keys colliding in one bucket of a
// table of 64+, which offsets never reach.
func javaHashMapOrder(keys []string) []string {
	if len(keys) < 2 {
		return keys
	}
	size := javaTableSize(len(keys))
	// Insertion sort on precomputed buckets: offset maps hold a handful of keys, where this beats
	// a general sort and allocates nothing.
	var stack [16]int
	if len(keys) > len(stack) {
		slices.SortFunc(keys, func(a, b string) int {
			ba, bb := javaBucket(a, size), javaBucket(b, size)
			switch {
			case hashMapLess(ba, a, bb, b):
				return -1
			case hashMapLess(bb, b, ba, a):
				return 1
			}
			return 0
		})
		return keys
	}
	buckets := stack[:0]
	for _, k := range keys {
		buckets = append(buckets, javaBucket(k, size))
	}
	for i := 1; i < len(keys); i++ {
		k, b := keys[i], buckets[i]
		j := i
		for j > 0 && hashMapLess(b, k, buckets[j-1], keys[j-1]) {
			keys[j], buckets[j] = keys[j-1], buckets[j-1]
			j--
		}
		keys[j], buckets[j] = k, b
	}
	return keys
}

func hashMapLess(bi int, ki string, bj int, kj string) bool {
	if bi != bj {
		return bi < bj
	}
	ri, iok := knownInsertionOrder[ki]
	rj, jok := knownInsertionOrder[kj]
	switch {
	case iok && jok:
		return ri < rj
	case iok != jok:
		return iok
	}
	return ki < kj
}
