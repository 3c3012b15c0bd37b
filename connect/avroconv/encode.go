package avroconv

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// encodeFn appends the Avro binary form of one value.
type encodeFn func(dst []byte, v any) ([]byte, error)

// compile builds the encoder of a Connect schema once, so records are written without reflection
// or schema lookups: one closure per schema node, chosen from the schema's type. The union
// branch order matches the schema JSON avroSchemaJSON writes for the same schema.
func compile(s *api.Schema, path string) (encodeFn, error) {
	if s == nil {
		return nil, fmt.Errorf("field %s has no schema; the Avro converter needs schemas", orTop(path))
	}
	base, err := compileBase(s, path)
	if err != nil {
		return nil, err
	}
	if !s.Optional {
		return func(dst []byte, v any) ([]byte, error) {
			if v == nil {
				return nil, fmt.Errorf("field %s is required but has no value", orTop(path))
			}
			return base(dst, v)
		}, nil
	}
	// ["null", T] when there is no default, [T, "null"] when there is one.
	nullIdx, valIdx := byte(0), byte(2) // zig-zag of 0 and 1
	if s.Default != nil {
		nullIdx, valIdx = 2, 0
	}
	return func(dst []byte, v any) ([]byte, error) {
		if v == nil {
			return append(dst, nullIdx), nil
		}
		return base(append(dst, valIdx), v)
	}, nil
}

func typeErr(path string, want string, v any) error {
	return fmt.Errorf("field %s: expected %s, got Go type %T", orTop(path), want, v)
}

func compileBase(s *api.Schema, path string) (encodeFn, error) {
	switch logicalType(s) {
	case "decimal":
		scale, _, err := decimalParams(s)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", orTop(path), err)
		}
		return func(dst []byte, v any) ([]byte, error) {
			d, ok := v.(api.Decimal)
			if !ok {
				return nil, typeErr(path, "a Decimal", v)
			}
			if int(d.Scale) != scale {
				return nil, fmt.Errorf("field %s: decimal %s has scale %d but its schema has scale %d", orTop(path), d, d.Scale, scale)
			}
			// The length prefix of anything under 64 bytes is one byte: write the bytes after a
			// placeholder and fill it in, which saves a buffer per value.
			start := len(dst)
			dst = api.AppendTwosComplement(append(dst, 0), decimalUnscaled(d))
			if n := len(dst) - start - 1; n < 64 {
				dst[start] = byte(n << 1)
				return dst, nil
			}
			b := api.AppendTwosComplement(nil, decimalUnscaled(d))
			dst = binary.AppendVarint(dst[:start], int64(len(b)))
			return append(dst, b...), nil
		}, nil
	case "date":
		return func(dst []byte, v any) ([]byte, error) {
			t, ok := v.(time.Time)
			if !ok {
				return nil, typeErr(path, "a time.Time date", v)
			}
			return binary.AppendVarint(dst, epochDays(t)), nil
		}, nil
	case "time-millis":
		return func(dst []byte, v any) ([]byte, error) {
			t, ok := v.(time.Time)
			if !ok {
				return nil, typeErr(path, "a time.Time time of day", v)
			}
			return binary.AppendVarint(dst, int64(millisOfDay(t))), nil
		}, nil
	case "timestamp-millis":
		return func(dst []byte, v any) ([]byte, error) {
			t, ok := v.(time.Time)
			if !ok {
				return nil, typeErr(path, "a time.Time timestamp", v)
			}
			return binary.AppendVarint(dst, t.UnixMilli()), nil
		}, nil
	}
	switch s.Type {
	case api.TypeInt8, api.TypeInt16, api.TypeInt32, api.TypeInt64:
		return func(dst []byte, v any) ([]byte, error) {
			var n int64
			switch x := v.(type) {
			case int8:
				n = int64(x)
			case int16:
				n = int64(x)
			case int32:
				n = int64(x)
			case int64:
				n = x
			case int:
				n = int64(x)
			default:
				return nil, typeErr(path, "an integer", v)
			}
			return binary.AppendVarint(dst, n), nil
		}, nil
	case api.TypeFloat32:
		return func(dst []byte, v any) ([]byte, error) {
			switch x := v.(type) {
			case float32:
				return binary.LittleEndian.AppendUint32(dst, math.Float32bits(x)), nil
			case float64:
				return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(x))), nil
			}
			return nil, typeErr(path, "a float32", v)
		}, nil
	case api.TypeFloat64:
		return func(dst []byte, v any) ([]byte, error) {
			switch x := v.(type) {
			case float64:
				return binary.LittleEndian.AppendUint64(dst, math.Float64bits(x)), nil
			case float32:
				return binary.LittleEndian.AppendUint64(dst, math.Float64bits(float64(x))), nil
			}
			return nil, typeErr(path, "a float64", v)
		}, nil
	case api.TypeBoolean:
		return func(dst []byte, v any) ([]byte, error) {
			b, ok := v.(bool)
			if !ok {
				return nil, typeErr(path, "a bool", v)
			}
			if b {
				return append(dst, 1), nil
			}
			return append(dst, 0), nil
		}, nil
	case api.TypeString:
		return func(dst []byte, v any) ([]byte, error) {
			x, ok := v.(string)
			if !ok {
				return nil, typeErr(path, "a string", v)
			}
			dst = binary.AppendVarint(dst, int64(len(x)))
			return append(dst, x...), nil
		}, nil
	case api.TypeBytes:
		return func(dst []byte, v any) ([]byte, error) {
			x, ok := v.([]byte)
			if !ok {
				return nil, typeErr(path, "[]byte", v)
			}
			dst = binary.AppendVarint(dst, int64(len(x)))
			return append(dst, x...), nil
		}, nil
	case api.TypeArray:
		items, err := compile(s.ValueSchema, path+"[]")
		if err != nil {
			return nil, err
		}
		return func(dst []byte, v any) ([]byte, error) {
			x, ok := v.([]any)
			if !ok {
				return nil, typeErr(path, "[]any", v)
			}
			var err error
			if len(x) > 0 {
				dst = binary.AppendVarint(dst, int64(len(x)))
				for _, e := range x {
					if dst, err = items(dst, e); err != nil {
						return nil, err
					}
				}
			}
			return append(dst, 0), nil
		}, nil
	case api.TypeMap:
		keys, err := compile(s.KeySchema, path+"{key}")
		if err != nil {
			return nil, err
		}
		values, err := compile(s.ValueSchema, path+"{}")
		if err != nil {
			return nil, err
		}
		// A string-keyed map and the array of MapEntry records AvroData uses otherwise have the
		// same binary form: blocks of key then value.
		return func(dst []byte, v any) ([]byte, error) {
			x, ok := v.([]api.MapEntry)
			if !ok {
				return nil, typeErr(path, "[]api.MapEntry", v)
			}
			var err error
			if len(x) > 0 {
				dst = binary.AppendVarint(dst, int64(len(x)))
				for _, e := range x {
					if dst, err = keys(dst, e.Key); err != nil {
						return nil, err
					}
					if dst, err = values(dst, e.Value); err != nil {
						return nil, err
					}
				}
			}
			return append(dst, 0), nil
		}, nil
	case api.TypeStruct:
		fields := make([]encodeFn, len(s.Fields))
		defaults := make([]any, len(s.Fields))
		for i, f := range s.Fields {
			fpath := f.Name
			if path != "" {
				fpath = path + "." + f.Name
			}
			var err error
			if fields[i], err = compile(f.Schema, fpath); err != nil {
				return nil, err
			}
			defaults[i] = f.Schema.Default
		}
		return func(dst []byte, v any) ([]byte, error) {
			st, ok := v.(*api.Struct)
			if !ok {
				return nil, typeErr(path, "*api.Struct", v)
			}
			if st.Schema() != s && (st.Schema() == nil || len(st.Schema().Fields) != len(fields)) {
				return nil, fmt.Errorf("field %s: the struct value does not have the record's schema", orTop(path))
			}
			var err error
			for i, enc := range fields {
				// Connect's Struct.get applies the field's default to a missing value.
				fv := st.GetIndex(i)
				if fv == nil {
					fv = defaults[i]
				}
				if dst, err = enc(dst, fv); err != nil {
					return nil, err
				}
			}
			return dst, nil
		}, nil
	}
	return nil, fmt.Errorf("field %s has Connect type %v, which has no Avro mapping", orTop(path), s.Type)
}
