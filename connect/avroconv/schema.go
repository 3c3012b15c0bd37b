package avroconv

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// Avro and Connect property names, as Confluent's AvroData writes them.
const (
	connectTypeProp       = "connect.type"
	connectDocProp        = "connect.doc"
	connectVersionProp    = "connect.version"
	connectParametersProp = "connect.parameters"
	connectDefaultProp    = "connect.default"
	connectNameProp       = "connect.name"
	defaultRecordFullName = "io.confluent.connect.avro.ConnectDefault"
	mapEntryName          = "MapEntry"
	mapEntryNamespace     = "io.confluent.connect.avro"
	// decimalPrecisionDefault is the precision AvroData gives a Decimal without
	// connect.decimal.precision.
	decimalPrecisionDefault = 64
)

// schemaWriter renders a Connect schema as the Avro schema JSON Confluent's AvroData.fromConnectSchema
// builds and Avro's Schema.toString prints: the same key order, a named type defined once and then
// referred to by name (relative to the enclosing namespace), optional types as unions with null.
type schemaWriter struct {
	b        strings.Builder
	metaData bool
	// defined maps a record's full name to the Connect schema it was defined from, so a second
	// use (Debezium's before/after) is a reference and a clash is reported.
	defined map[string]*api.Schema
	// unnamed counts records without a Connect name, named ConnectDefault, ConnectDefault2, ...
	unnamed int
}

// avroSchemaJSON returns the Avro schema JSON of s. metaData is connect.meta.data.
func avroSchemaJSON(s *api.Schema, metaData bool) (string, error) {
	w := &schemaWriter{metaData: metaData, defined: map[string]*api.Schema{}}
	if err := w.schema(s, "", ""); err != nil {
		return "", err
	}
	return w.b.String(), nil
}

func (w *schemaWriter) str(s string) {
	q, _ := json.Marshal(s) // a string always marshals
	w.b.Write(q)
}

// schema writes s (with its union with null when optional) in namespace ns; path names the
// field for errors.
func (w *schemaWriter) schema(s *api.Schema, ns, path string) error {
	if s == nil {
		return fmt.Errorf("field %s has no schema; the Avro converter needs schemas (schemaless data cannot be written as Avro)", orTop(path))
	}
	if !s.Optional {
		return w.base(s, ns, path)
	}
	// Avro requires a union's default to match its first branch, so AvroData puts null second
	// when the schema has a default.
	if s.Default != nil {
		w.b.WriteByte('[')
		if err := w.base(s, ns, path); err != nil {
			return err
		}
		w.b.WriteString(`,"null"]`)
		return nil
	}
	w.b.WriteString(`["null",`)
	if err := w.base(s, ns, path); err != nil {
		return err
	}
	w.b.WriteByte(']')
	return nil
}

func orTop(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// avroPrimitive is the Avro type name of a Connect primitive.
func avroPrimitive(t api.Type) string {
	switch t {
	case api.TypeInt8, api.TypeInt16, api.TypeInt32:
		return "int"
	case api.TypeInt64:
		return "long"
	case api.TypeFloat32:
		return "float"
	case api.TypeFloat64:
		return "double"
	case api.TypeBoolean:
		return "boolean"
	case api.TypeString:
		return "string"
	case api.TypeBytes:
		return "bytes"
	}
	return ""
}

// logicalType is the Avro logical type AvroData sets for Kafka's logical types.
func logicalType(s *api.Schema) string {
	switch s.Name {
	case api.DecimalName:
		if s.Type == api.TypeBytes {
			return "decimal"
		}
	case api.DateName:
		if s.Type == api.TypeInt32 {
			return "date"
		}
	case api.TimeName:
		if s.Type == api.TypeInt32 {
			return "time-millis"
		}
	case api.TimestampName:
		if s.Type == api.TypeInt64 {
			return "timestamp-millis"
		}
	}
	return ""
}

func splitName(full string) (ns, name string) {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "", full
}

// base writes the non-union Avro schema of s.
func (w *schemaWriter) base(s *api.Schema, ns, path string) error {
	switch s.Type {
	case api.TypeStruct:
		return w.record(s, ns, path)
	case api.TypeArray:
		w.b.WriteString(`{"type":"array","items":`)
		if err := w.schema(s.ValueSchema, ns, path+"[]"); err != nil {
			return err
		}
		w.meta(s)
		w.b.WriteByte('}')
		return nil
	case api.TypeMap:
		if s.KeySchema != nil && s.KeySchema.Type == api.TypeString && !s.KeySchema.Optional {
			w.b.WriteString(`{"type":"map","values":`)
			if err := w.schema(s.ValueSchema, ns, path+"{}"); err != nil {
				return err
			}
			w.meta(s)
			w.b.WriteByte('}')
			return nil
		}
		// Maps with non-string keys are arrays of key/value records, as in AvroData.
		w.b.WriteString(`{"type":"array","items":`)
		full := mapEntryNamespace + "." + mapEntryName
		if _, ok := w.defined[full]; ok {
			w.ref(full, ns)
		} else {
			w.defined[full] = s
			w.b.WriteString(`{"type":"record","name":"MapEntry"`)
			if ns != mapEntryNamespace {
				w.b.WriteString(`,"namespace":"io.confluent.connect.avro"`)
			}
			w.b.WriteString(`,"fields":[{"name":"key","type":`)
			if err := w.schema(s.KeySchema, mapEntryNamespace, path+"{key}"); err != nil {
				return err
			}
			w.b.WriteString(`},{"name":"value","type":`)
			if err := w.schema(s.ValueSchema, mapEntryNamespace, path+"{}"); err != nil {
				return err
			}
			w.b.WriteString(`}]}`)
		}
		w.meta(s)
		w.b.WriteByte('}')
		return nil
	}
	prim := avroPrimitive(s.Type)
	if prim == "" {
		return fmt.Errorf("field %s has Connect type %v, which has no Avro mapping", orTop(path), s.Type)
	}
	lt := logicalType(s)
	var typeProp string
	switch s.Type {
	case api.TypeInt8:
		typeProp = "int8"
	case api.TypeInt16:
		typeProp = "int16"
	}
	hasProps := lt != "" || (w.metaData && (typeProp != "" || s.Doc != "" || s.Version != 0 || len(s.Parameters) > 0 || s.Default != nil || s.Name != ""))
	if !hasProps {
		w.str(prim)
		return nil
	}
	w.b.WriteString(`{"type":`)
	w.str(prim)
	if lt == "decimal" {
		scale, precision, err := decimalParams(s)
		if err != nil {
			return fmt.Errorf("field %s: %w", orTop(path), err)
		}
		w.b.WriteString(`,"scale":` + strconv.Itoa(scale) + `,"precision":` + strconv.Itoa(precision))
	}
	if err := w.metaWithDefault(s, path); err != nil {
		return err
	}
	// AvroData adds connect.type (what tells int8/int16 from int) after the other connect.*
	// properties.
	if typeProp != "" && w.metaData {
		w.b.WriteString(`,"connect.type":`)
		w.str(typeProp)
	}
	if lt != "" {
		w.b.WriteString(`,"logicalType":`)
		w.str(lt)
	}
	w.b.WriteByte('}')
	return nil
}

func decimalParams(s *api.Schema) (scale, precision int, err error) {
	precision = decimalPrecisionDefault
	found := false
	for _, p := range s.Parameters {
		switch p.Key {
		case api.DecimalScaleParam:
			if scale, err = strconv.Atoi(p.Value); err != nil {
				return 0, 0, fmt.Errorf("decimal scale parameter %q is not a number", p.Value)
			}
			found = true
		case api.DecimalPrecisionParam:
			if precision, err = strconv.Atoi(p.Value); err != nil {
				return 0, 0, fmt.Errorf("decimal precision parameter %q is not a number", p.Value)
			}
		}
	}
	if !found {
		return 0, 0, fmt.Errorf("a Decimal schema has no scale parameter")
	}
	return scale, precision, nil
}

// meta writes the connect.* properties of a schema without a default.
func (w *schemaWriter) meta(s *api.Schema) {
	_ = w.metaWithDefault(s, "")
}

// metaWithDefault writes connect.doc, connect.version, connect.parameters, connect.default and
// connect.name, in AvroData's order.
func (w *schemaWriter) metaWithDefault(s *api.Schema, path string) error {
	if !w.metaData {
		return nil
	}
	if s.Doc != "" {
		w.b.WriteString(`,"connect.doc":`)
		w.str(s.Doc)
	}
	if s.Version != 0 {
		w.b.WriteString(`,"connect.version":` + strconv.Itoa(s.Version))
	}
	if len(s.Parameters) > 0 {
		w.b.WriteString(`,"connect.parameters":{`)
		for i, p := range s.Parameters {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.str(p.Key)
			w.b.WriteByte(':')
			w.str(p.Value)
		}
		w.b.WriteByte('}')
	}
	if s.Default != nil && s.Type != api.TypeStruct {
		w.b.WriteString(`,"connect.default":`)
		if err := w.defaultJSON(s, s.Default, path); err != nil {
			return err
		}
	}
	if s.Name != "" {
		w.b.WriteString(`,"connect.name":`)
		w.str(s.Name)
	}
	return nil
}

// ref writes a reference to an already defined named type, relative to namespace ns as Avro does.
func (w *schemaWriter) ref(full, ns string) {
	rns, name := splitName(full)
	if rns == ns {
		w.str(name)
		return
	}
	w.str(full)
}

func (w *schemaWriter) record(s *api.Schema, ns, path string) error {
	full := s.Name
	if full == "" {
		w.unnamed++
		full = defaultRecordFullName
		if w.unnamed > 1 {
			full += strconv.Itoa(w.unnamed)
		}
	}
	if prev, ok := w.defined[full]; ok {
		if prev != s && !sameStruct(prev, s) {
			return fmt.Errorf("field %s: two different struct schemas are both named %s, which Avro cannot hold in one schema", orTop(path), full)
		}
		w.ref(full, ns)
		return nil
	}
	w.defined[full] = s
	rns, name := splitName(full)
	w.b.WriteString(`{"type":"record","name":`)
	w.str(name)
	if rns != ns {
		w.b.WriteString(`,"namespace":`)
		w.str(rns)
	}
	// The struct's doc is not the record's doc in AvroData (that comes from the
	// io.confluent.connect.avro.record.doc parameter); it is kept in connect.doc.
	if doc, ok := s.Param("io.confluent.connect.avro.record.doc"); ok {
		w.b.WriteString(`,"doc":`)
		w.str(doc)
	}
	w.b.WriteString(`,"fields":[`)
	for i, f := range s.Fields {
		if i > 0 {
			w.b.WriteByte(',')
		}
		fpath := f.Name
		if path != "" {
			fpath = path + "." + f.Name
		}
		w.b.WriteString(`{"name":`)
		w.str(f.Name)
		w.b.WriteString(`,"type":`)
		if err := w.schema(f.Schema, rns, fpath); err != nil {
			return err
		}
		if f.Schema != nil && f.Schema.Doc != "" {
			w.b.WriteString(`,"doc":`)
			w.str(f.Schema.Doc)
		}
		switch {
		case f.Schema != nil && f.Schema.Default != nil:
			w.b.WriteString(`,"default":`)
			if err := w.defaultJSON(f.Schema, f.Schema.Default, fpath); err != nil {
				return err
			}
		case f.Schema != nil && f.Schema.Optional:
			w.b.WriteString(`,"default":null`)
		}
		w.b.WriteByte('}')
	}
	w.b.WriteByte(']')
	if err := w.metaWithDefault(s, path); err != nil {
		return err
	}
	w.b.WriteByte('}')
	return nil
}

// sameStruct reports whether two struct schemas of the same name have the same shape, so one
// Avro definition serves both.
func sameStruct(a, b *api.Schema) bool {
	if a.Type != b.Type || a.Name != b.Name || a.Version != b.Version || a.Optional != b.Optional || len(a.Fields) != len(b.Fields) || len(a.Parameters) != len(b.Parameters) {
		return false
	}
	for i := range a.Parameters {
		if a.Parameters[i] != b.Parameters[i] {
			return false
		}
	}
	for i := range a.Fields {
		fa, fb := a.Fields[i].Schema, b.Fields[i].Schema
		if a.Fields[i].Name != b.Fields[i].Name {
			return false
		}
		if fa == fb {
			continue
		}
		if fa == nil || fb == nil || fa.Type != fb.Type || fa.Name != fb.Name || fa.Optional != fb.Optional {
			return false
		}
		if fa.Type == api.TypeStruct && !sameStruct(fa, fb) {
			return false
		}
	}
	return true
}

// defaultJSON writes a Connect default value as AvroData's defaultValueFromConnect does.
func (w *schemaWriter) defaultJSON(s *api.Schema, v any, path string) error {
	if v == nil {
		w.b.WriteString("null")
		return nil
	}
	switch logicalType(s) {
	case "decimal":
		d, ok := v.(api.Decimal)
		if !ok {
			return fmt.Errorf("field %s: default %v is not a Decimal", orTop(path), v)
		}
		w.latin1(api.AppendTwosComplement(nil, decimalUnscaled(d)))
		return nil
	case "date":
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("field %s: default %v is not a date", orTop(path), v)
		}
		w.b.WriteString(strconv.FormatInt(epochDays(t), 10))
		return nil
	case "time-millis":
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("field %s: default %v is not a time", orTop(path), v)
		}
		w.b.WriteString(strconv.FormatInt(int64(millisOfDay(t)), 10))
		return nil
	case "timestamp-millis":
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("field %s: default %v is not a timestamp", orTop(path), v)
		}
		w.b.WriteString(strconv.FormatInt(t.UnixMilli(), 10))
		return nil
	}
	switch x := v.(type) {
	case int8:
		w.b.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		w.b.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		w.b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		w.b.WriteString(strconv.FormatInt(x, 10))
	case int:
		w.b.WriteString(strconv.Itoa(x))
	case float32:
		w.b.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 32))
	case float64:
		w.b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case bool:
		w.b.WriteString(strconv.FormatBool(x))
	case string:
		w.str(x)
	case []byte:
		w.latin1(x)
	case []any:
		w.b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				w.b.WriteByte(',')
			}
			if err := w.defaultJSON(s.ValueSchema, e, path+"[]"); err != nil {
				return err
			}
		}
		w.b.WriteByte(']')
	case *api.Struct:
		w.b.WriteByte('{')
		for i, f := range s.Fields {
			if i > 0 {
				w.b.WriteByte(',')
			}
			w.str(f.Name)
			w.b.WriteByte(':')
			fv := x.GetIndex(i)
			if fv == nil {
				fv = f.Schema.Default
			}
			if err := w.defaultJSON(f.Schema, fv, path+"."+f.Name); err != nil {
				return err
			}
		}
		w.b.WriteByte('}')
	default:
		return fmt.Errorf("field %s: a default of Go type %T cannot be written in an Avro schema", orTop(path), v)
	}
	return nil
}

// latin1 writes bytes as a JSON string of code points 0-255, Avro's encoding of bytes defaults.
func (w *schemaWriter) latin1(b []byte) {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	w.str(string(r))
}

func decimalUnscaled(d api.Decimal) *big.Int {
	if d.Unscaled == nil {
		return new(big.Int)
	}
	return d.Unscaled
}

// epochDays is Kafka's Date.fromLogical: whole days since 1970-01-01 UTC.
func epochDays(t time.Time) int64 {
	ms := t.UnixMilli()
	d := ms / 86400000
	if ms%86400000 < 0 {
		d--
	}
	return d
}

// millisOfDay is Kafka's Time.fromLogical: milliseconds past midnight UTC.
func millisOfDay(t time.Time) int32 {
	ms := t.UnixMilli() % 86400000
	if ms < 0 {
		ms += 86400000
	}
	return int32(ms)
}
