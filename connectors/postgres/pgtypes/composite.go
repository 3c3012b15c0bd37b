package pgtypes

import (
	"crypto/md5"
	"errors"
	"slices"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/javafmt"
	"github.com/connectd/connectd/connectors/envelope"
)

var (
	errArray  = errors.New("not an array literal")
	errHStore = errors.New("not an hstore literal")
	errBits   = errors.New("not a bit string")
)

// bitMapping maps BIT and BIT VARYING: a single bit is a boolean, longer strings are
// io.debezium.data.Bits, little-endian bytes sized to the highest set bit, as Debezium does.
func bitMapping(oid uint32, typmod int32) Mapping {
	length := int(typmod)
	if typmod < 0 {
		if oid == oidBit {
			length = 1
		} else {
			length = 1<<31 - 1 // VARBIT without a length: Debezium's Integer.MAX_VALUE
		}
	}
	if length == 1 {
		return Mapping{Schema: api.BooleanSchema, Zero: false, decode: func(b []byte) (any, error) {
			for _, c := range b {
				switch c {
				case '1':
					return true, nil
				case '0':
				default:
					return nil, errBits
				}
			}
			return false, nil
		}}
	}
	return Mapping{Schema: api.BitsSchema(length).Build(), Zero: []byte{}, decode: decodeBits}
}

// decodeBits turns "10100" into little-endian bytes where bit i is the i-th character from the
// right, trimmed after the highest set bit (java.util.BitSet.toByteArray).
func decodeBits(b []byte) (any, error) {
	n := len(b)
	highest := -1
	for i, c := range b {
		switch c {
		case '1':
			if bit := n - 1 - i; bit > highest {
				highest = bit
			}
		case '0':
		default:
			return nil, errBits
		}
	}
	out := make([]byte, (highest+8)/8)
	for i, c := range b {
		if c == '1' {
			bit := n - 1 - i
			out[bit/8] |= 1 << (bit % 8)
		}
	}
	return out, nil
}

// mapArray maps an array type from its element type, as Debezium: an array of the element's
// schema made optional (enum elements stay required, as Debezium builds them).
func (o *Options) mapArray(reg *Registry, name string, elem uint32, typmod int32, depth int) Mapping {
	em := o.mapType(reg, elem, typmod, depth+1)
	if em.Schema == nil || em.decode == nil {
		return Mapping{TypeName: name}
	}
	es := *em.Schema
	if et := reg.Get(elem); et == nil || et.Kind != 'e' {
		es.Optional = true
	}
	em = em.WithSchema(&es) // struct elements carry the element schema
	decodeElem := em.decode
	m := Mapping{Schema: api.ArraySchema(&es).Build(), Zero: []any{}, TypeName: name}
	m.decode = func(b []byte) (any, error) {
		return parseArray(b, decodeElem)
	}
	m.Toast = o.arrayToast(elem, reg)
	return m
}

// arrayToast is Debezium's placeholder for an unchanged TOASTed array: the placeholder string in a
// one-element array for text-like and uuid elements, its bytes as numbers for integer elements.
func (o *Options) arrayToast(elem uint32, reg *Registry) any {
	ph := o.Placeholder
	switch elem {
	case oidInt4, oidDate:
		out := make([]any, len(ph))
		for i := 0; i < len(ph); i++ {
			out[i] = int32(int8(ph[i]))
		}
		return out
	case oidInt8:
		out := make([]any, len(ph))
		for i := 0; i < len(ph); i++ {
			out[i] = int64(int8(ph[i]))
		}
		return out
	case oidBytea:
		if o.Binary == envelope.BinaryBytes {
			return []any{[]byte(ph)}
		}
	case oidUUID:
		return []any{nameUUIDFromBytes([]byte(ph))}
	}
	return []any{ph}
}

// parseArray reads an array literal "{1,2,NULL,\"a b\"}" and decodes each element; nested
// dimensions are flattened and an explicit "[1:3]=" bounds prefix is skipped.
func parseArray(b []byte, decode func([]byte) (any, error)) (any, error) {
	if len(b) > 0 && b[0] == '[' {
		i := 0
		for i < len(b) && b[i] != '=' {
			i++
		}
		if i == len(b) {
			return nil, errArray
		}
		b = b[i+1:]
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, errArray
	}
	out := make([]any, 0, 8)
	var buf []byte
	i := 1
	end := len(b) - 1
	for i < end {
		switch b[i] {
		case '{', '}', ',', ' ':
			i++
			continue
		}
		if b[i] == '"' {
			buf = buf[:0]
			i++
			for i < end && b[i] != '"' {
				if b[i] == '\\' && i+1 < end {
					i++
				}
				buf = append(buf, b[i])
				i++
			}
			if i >= end {
				return nil, errArray
			}
			i++ // closing quote
			v, err := decode(buf)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		start := i
		for i < end && b[i] != ',' && b[i] != '}' {
			i++
		}
		tok := b[start:i]
		if len(tok) == 4 && (string(tok) == "NULL" || string(tok) == "null") {
			out = append(out, nil)
			continue
		}
		v, err := decode(tok)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// hstoreMapping maps hstore to io.debezium.data.Json (a JSON object) or to a Connect map of
// string to optional string.
func (o *Options) hstoreMapping() Mapping {
	ph := o.Placeholder
	if o.HStore == HStoreMap {
		s := api.MapSchema(api.StringSchema, api.OptionalStringSchema).Build()
		return Mapping{Schema: s, Zero: []api.MapEntry{}, Toast: []api.MapEntry{{Key: ph, Value: ph}},
			decode: func(b []byte) (any, error) {
				keys, vals, err := parseHStore(b)
				if err != nil {
					return nil, err
				}
				order := hstoreOrder(keys)
				out := make([]api.MapEntry, len(order))
				for i, k := range order {
					var v any
					if vals[k] != nil {
						v = *vals[k]
					}
					out[i] = api.MapEntry{Key: keys[k], Value: v}
				}
				return out, nil
			}}
	}
	toast := string(appendJSONObject(nil, []string{ph}, []*string{&ph}, []int{0}))
	return Mapping{Schema: api.JSONSchema().Build(), Zero: "{}", Toast: toast, decode: func(b []byte) (any, error) {
		keys, vals, err := parseHStore(b)
		if err != nil {
			return nil, err
		}
		return string(appendJSONObject(make([]byte, 0, len(b)+2), keys, vals, hstoreOrder(keys))), nil
	}}
}

// parseHStore reads hstore's output `"a"=>"1", "b"=>NULL`.
func parseHStore(b []byte) (keys []string, vals []*string, err error) {
	i := 0
	readQuoted := func() (string, bool) {
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		i++
		var buf []byte
		for i < len(b) && b[i] != '"' {
			if b[i] == '\\' && i+1 < len(b) {
				i++
			}
			buf = append(buf, b[i])
			i++
		}
		if i >= len(b) {
			return "", false
		}
		i++
		return string(buf), true
	}
	skipSpace := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == ',') {
			i++
		}
	}
	skipSpace()
	for i < len(b) {
		k, ok := readQuoted()
		if !ok || i+2 > len(b) || b[i] != '=' || b[i+1] != '>' {
			return nil, nil, errHStore
		}
		i += 2
		var v *string
		if i+4 <= len(b) && string(b[i:i+4]) == "NULL" {
			i += 4
		} else {
			s, ok := readQuoted()
			if !ok {
				return nil, nil, errHStore
			}
			v = &s
		}
		keys = append(keys, k)
		vals = append(vals, v)
		skipSpace()
	}
	return keys, vals, nil
}

// appendJSONObject writes {"k":"v",...} in the given order, as Debezium's hstore conversion does
// with a Jackson generator over a java.io.StringWriter: the writer-based generator's escapes
// (javafmt.AppendWriterString), so characters outside the BMP stay as they are.
func appendJSONObject(dst []byte, keys []string, vals []*string, order []int) []byte {
	dst = append(dst, '{')
	for n, i := range order {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = javafmt.AppendWriterString(dst, keys[i])
		dst = append(dst, ':')
		if vals[i] == nil {
			dst = append(dst, "null"...)
		} else {
			dst = javafmt.AppendWriterString(dst, *vals[i])
		}
	}
	return append(dst, '}')
}

// hstoreOrder returns the indexes of keys in the order pgjdbc's HStoreConverter.fromString
// map, a java.util.HashMap filled in the text's order, iterates them (javafmt.HashMapOrder);
// Debezium writes hstore values in that order, so the JSON text matches its byte for byte.
// hstore keys are unique, so each sorted key maps back to one index.
func hstoreOrder(keys []string) []int {
	sorted := javafmt.HashMapOrder(slices.Clone(keys))
	order := make([]int, len(sorted))
	if len(keys) <= 8 {
		// A handful of keys: a scan beats building a map.
		for i, k := range sorted {
			order[i] = slices.Index(keys, k)
		}
		return order
	}
	pos := make(map[string]int, len(keys))
	for i, k := range keys {
		pos[k] = i
	}
	for i, k := range sorted {
		order[i] = pos[k]
	}
	return order
}

// nameUUIDFromBytes is java.util.UUID.nameUUIDFromBytes: an MD5-based (version 3) UUID.
func nameUUIDFromBytes(b []byte) string {
	sum := md5.Sum(b)
	sum[6] = sum[6]&0x0f | 0x30
	sum[8] = sum[8]&0x3f | 0x80
	return envelope.UUIDString(sum)
}
