package source

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// Debezium keeps the chunk keys of an incremental snapshot in the offsets
// (incremental_snapshot_primary_key, incremental_snapshot_maximum_key) as the hex of a Java
// serialized Object[]. connectd writes and reads the same bytes for the key types relational
// keys map to (Integer, Long, Short, String), so either runtime continues the other's snapshot.
// Go values: int32 (Integer), int64 (Long), int16 (Short), string (String).

const (
	tcNull      = 0x70
	tcReference = 0x71
	tcClassDesc = 0x72
	tcObject    = 0x73
	tcString    = 0x74
	tcArray     = 0x75
	tcEndBlock  = 0x78
	baseHandle  = 0x7e0000
)

type javaClass struct {
	name  string
	uid   uint64
	field byte // the primitive "value" field's type code, 0 for Number
}

var (
	classObjectArray = javaClass{"[Ljava.lang.Object;", 0x90CE589F1073296C, 0}
	classNumber      = javaClass{"java.lang.Number", 0x86AC951D0B94E08B, 0}
	classInteger     = javaClass{"java.lang.Integer", 0x12E2A0A4F7818738, 'I'}
	classLong        = javaClass{"java.lang.Long", 0x3B8BE490CC8F23DF, 'J'}
	classShort       = javaClass{"java.lang.Short", 0x684D37133460DA52, 'S'}
)

// EncodeJavaKey writes key as Debezium's hex of a serialized Object[].
func EncodeJavaKey(key []any) (string, error) {
	w := &javaWriter{handles: map[string]int{}}
	w.b = append(w.b, 0xAC, 0xED, 0x00, 0x05, tcArray)
	w.classDesc(classObjectArray, nil)
	w.next++ // the array itself
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(len(key)))
	for _, v := range key {
		switch x := v.(type) {
		case nil:
			w.b = append(w.b, tcNull)
		case int32:
			w.number(classInteger)
			w.b = binary.BigEndian.AppendUint32(w.b, uint32(x))
		case int64:
			w.number(classLong)
			w.b = binary.BigEndian.AppendUint64(w.b, uint64(x))
		case int16:
			w.number(classShort)
			w.b = binary.BigEndian.AppendUint16(w.b, uint16(x))
		case string:
			w.b = append(w.b, tcString)
			w.utf(x)
			w.next++
		default:
			return "", fmt.Errorf("cannot write a key value of type %T into the offsets; incremental snapshots support integer and string keys", v)
		}
	}
	return hex.EncodeToString(w.b), nil
}

type javaWriter struct {
	b       []byte
	handles map[string]int
	next    int
}

func (w *javaWriter) utf(s string) {
	enc := modifiedUTF8(s)
	w.b = binary.BigEndian.AppendUint16(w.b, uint16(len(enc)))
	w.b = append(w.b, enc...)
}

// classDesc writes a class descriptor, or a reference to the one written before.
func (w *javaWriter) classDesc(c javaClass, super *javaClass) {
	if h, ok := w.handles[c.name]; ok {
		w.b = append(w.b, tcReference)
		w.b = binary.BigEndian.AppendUint32(w.b, uint32(baseHandle+h))
		return
	}
	w.b = append(w.b, tcClassDesc)
	w.handles[c.name] = w.next
	w.next++
	w.utf(c.name)
	w.b = binary.BigEndian.AppendUint64(w.b, c.uid)
	w.b = append(w.b, 0x02) // SC_SERIALIZABLE
	if c.field != 0 {
		w.b = append(w.b, 0, 1, c.field)
		w.utf("value")
	} else {
		w.b = append(w.b, 0, 0)
	}
	w.b = append(w.b, tcEndBlock)
	if super != nil {
		w.classDesc(*super, nil)
	} else {
		w.b = append(w.b, tcNull)
	}
}

func (w *javaWriter) number(c javaClass) {
	w.b = append(w.b, tcObject)
	w.classDesc(c, &classNumber)
	w.next++ // the object
}

// modifiedUTF8 is Java's DataOutput.writeUTF encoding.
func modifiedUTF8(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case u >= 1 && u <= 0x7f:
			out = append(out, byte(u))
		case u <= 0x7ff:
			out = append(out, byte(0xc0|u>>6), byte(0x80|u&0x3f))
		default:
			out = append(out, byte(0xe0|u>>12), byte(0x80|(u>>6)&0x3f), byte(0x80|u&0x3f))
		}
	}
	return out
}

// DecodeJavaKey reads a key written by EncodeJavaKey or by Debezium; a serialized null (Debezium
// writes one before the first chunk of a table is sent) is a nil key.
func DecodeJavaKey(s string) ([]any, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not hexadecimal: %w", err)
	}
	r := &javaReader{b: b}
	key, err := r.key()
	if err != nil {
		return nil, fmt.Errorf("not a serialized Java Object[] of integers and strings: %w", err)
	}
	return key, nil
}

type javaReader struct {
	b       []byte
	handles []any // *javaClass or the object
}

var errShort = errors.New("truncated")

func (r *javaReader) take(n int) ([]byte, error) {
	if len(r.b) < n {
		return nil, errShort
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, nil
}

func (r *javaReader) u8() (byte, error) {
	v, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

func (r *javaReader) u16() (uint16, error) {
	v, err := r.take(2)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(v), nil
}

func (r *javaReader) u32() (uint32, error) {
	v, err := r.take(4)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(v), nil
}

func (r *javaReader) utf() (string, error) {
	n, err := r.u16()
	if err != nil {
		return "", err
	}
	v, err := r.take(int(n))
	if err != nil {
		return "", err
	}
	// Modified UTF-8 differs from UTF-8 for NUL and supplementary characters only.
	var units []uint16
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c < 0x80:
			units = append(units, uint16(c))
			i++
		case c&0xe0 == 0xc0 && i+1 < len(v):
			units = append(units, uint16(c&0x1f)<<6|uint16(v[i+1]&0x3f))
			i += 2
		case c&0xf0 == 0xe0 && i+2 < len(v):
			units = append(units, uint16(c&0x0f)<<12|uint16(v[i+1]&0x3f)<<6|uint16(v[i+2]&0x3f))
			i += 3
		default:
			return "", errors.New("bad modified UTF-8")
		}
	}
	return string(utf16.Decode(units)), nil
}

// desc is a class descriptor as read: the name and its fields' type codes, with the superclass.
type desc struct {
	name   string
	fields []byte
	super  *desc
}

func (r *javaReader) ref() (any, error) {
	h, err := r.u32()
	if err != nil {
		return nil, err
	}
	i := int(h) - baseHandle
	if i < 0 || i >= len(r.handles) {
		return nil, fmt.Errorf("bad handle %x", h)
	}
	return r.handles[i], nil
}

func (r *javaReader) classDesc() (*desc, error) {
	tc, err := r.u8()
	if err != nil {
		return nil, err
	}
	switch tc {
	case tcNull:
		return nil, nil
	case tcReference:
		v, err := r.ref()
		if err != nil {
			return nil, err
		}
		d, ok := v.(*desc)
		if !ok {
			return nil, errors.New("a reference to a non-class where a class was expected")
		}
		return d, nil
	case tcClassDesc:
	default:
		return nil, fmt.Errorf("unexpected type code %#x for a class", tc)
	}
	name, err := r.utf()
	if err != nil {
		return nil, err
	}
	d := &desc{name: name}
	r.handles = append(r.handles, d)
	if _, err := r.take(9); err != nil { // serialVersionUID, flags
		return nil, err
	}
	n, err := r.u16()
	if err != nil {
		return nil, err
	}
	for range n {
		code, err := r.u8()
		if err != nil {
			return nil, err
		}
		if _, err := r.utf(); err != nil {
			return nil, err
		}
		if code == 'L' || code == '[' {
			return nil, fmt.Errorf("class %s has object fields", name)
		}
		d.fields = append(d.fields, code)
	}
	if end, err := r.u8(); err != nil || end != tcEndBlock {
		return nil, fmt.Errorf("class %s has annotations", name)
	}
	if d.super, err = r.classDesc(); err != nil {
		return nil, err
	}
	return d, nil
}

func (r *javaReader) key() ([]any, error) {
	if h, err := r.take(4); err != nil || h[0] != 0xAC || h[1] != 0xED {
		return nil, errors.New("no serialization header")
	}
	tc, err := r.u8()
	if err == nil && tc == tcNull && len(r.b) == 0 {
		// Debezium's offset holds a serialized null while no row of the table was sent yet.
		return nil, nil
	}
	if err != nil || tc != tcArray {
		return nil, errors.New("not an array")
	}
	d, err := r.classDesc()
	if err != nil {
		return nil, err
	}
	if d == nil || !strings.HasPrefix(d.name, "[L") {
		return nil, errors.New("not an object array")
	}
	r.handles = append(r.handles, nil)
	n, err := r.u32()
	if err != nil || n > 64 {
		return nil, errors.New("bad array length")
	}
	out := make([]any, 0, n)
	for range n {
		tc, err := r.u8()
		if err != nil {
			return nil, err
		}
		switch tc {
		case tcNull:
			out = append(out, nil)
		case tcString:
			s, err := r.utf()
			if err != nil {
				return nil, err
			}
			r.handles = append(r.handles, s)
			out = append(out, s)
		case tcReference:
			v, err := r.ref()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		case tcObject:
			d, err := r.classDesc()
			if err != nil || d == nil {
				return nil, fmt.Errorf("bad object class: %v", err)
			}
			idx := len(r.handles)
			r.handles = append(r.handles, nil)
			var v any
			// Fields are written superclass first; the number classes' supers have none.
			for c := d; c != nil; c = c.super {
				if c != d && len(c.fields) > 0 {
					return nil, fmt.Errorf("class %s has fields", c.name)
				}
			}
			if len(d.fields) != 1 {
				return nil, fmt.Errorf("unsupported key class %s", d.name)
			}
			switch d.fields[0] {
			case 'I':
				x, err := r.u32()
				if err != nil {
					return nil, err
				}
				v = int32(x)
			case 'J':
				x, err := r.take(8)
				if err != nil {
					return nil, err
				}
				v = int64(binary.BigEndian.Uint64(x))
			case 'S':
				x, err := r.u16()
				if err != nil {
					return nil, err
				}
				v = int16(x)
			case 'B':
				x, err := r.u8()
				if err != nil {
					return nil, err
				}
				v = int16(int8(x))
			default:
				return nil, fmt.Errorf("unsupported key class %s", d.name)
			}
			r.handles[idx] = v
			out = append(out, v)
		default:
			return nil, fmt.Errorf("unsupported type code %#x", tc)
		}
	}
	return out, nil
}

// Value returns the value of the table model's column name, at position i of the model: a row
// read in the model's column order has it there, else it is looked up by name, exactly or,
// with fold, as a case-insensitive identifier. A column the row lacks means the table changed
// while the chunk of collection c was read.
func (r *ChunkRow) Value(c *Collection, i int, name string, fold bool) (any, error) {
	same := func(n string) bool { return n == name || fold && strings.EqualFold(n, name) }
	if i < len(r.Columns) && same(r.Columns[i]) {
		return r.Values[i], nil
	}
	for j, n := range r.Columns {
		if same(n) {
			return r.Values[j], nil
		}
	}
	return nil, fmt.Errorf("the structure of %s changed while a chunk was read (column %s)", c.ID, name)
}
