package api

import (
	"bytes"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestBuilderMistakes(t *testing.T) {
	cases := []struct {
		name string
		b    *SchemaBuilder
		want string
	}{
		{"field on a primitive", NewSchema(TypeInt32).Field("x", Int32Schema), `cannot add field "x" to a schema of type int32`},
		{"duplicate field", StructSchema().Field("x", Int32Schema).Field("x", StringSchema), `cannot add field "x" twice`},
		{"nil field schema", StructSchema().Field("x", nil), `cannot add field "x" without a schema`},
		{"empty field name", StructSchema().Field("", Int32Schema), "empty name"},
		{"default of the wrong Go type", NewSchema(TypeInt32).Default(int64(1)), "invalid default value"},
		{"decimal default not a Decimal", KafkaDecimalSchema(2).Default([]byte{1}), "want api.Decimal"},
		{"nil array element", ArraySchema(nil), "element schema"},
		{"unknown type", NewSchema(Type(99)), "unknown schema type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.b.BuildChecked()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("BuildChecked() = %v, %v; want an error containing %q", s, err, c.want)
			}
			if c.b.Build() == nil {
				t.Fatal("Build returned nil")
			}
		})
	}
}

func TestBuilderBuildsIndependentSchemas(t *testing.T) {
	b := StructSchema().Name("n").Version(2).Doc("d").Param("k", "v").Field("a", Int32Schema)
	s1 := b.Build()
	b.Param("k", "changed").Field("b", StringSchema)
	s2 := b.Build()
	if v, _ := s1.Param("k"); v != "v" || len(s1.Fields) != 1 {
		t.Fatalf("later builder calls changed an earlier schema: %+v", s1)
	}
	if v, _ := s2.Param("k"); v != "changed" || len(s2.Parameters) != 1 || len(s2.Fields) != 2 {
		t.Fatalf("Param should replace in place: %+v", s2)
	}
	if s2.Fields[1].Index != 1 || s2.Field("b") == nil || s2.Field("zz") != nil {
		t.Fatalf("field lookup broken: %+v", s2.Fields)
	}
}

func TestStructPutValidates(t *testing.T) {
	inner := StructSchema().Name("Inner").Field("x", Int32Schema).Build()
	s := StructSchema().Name("Row").
		Field("id", Int32Schema).
		Field("name", OptionalStringSchema).
		Field("amount", DecimalSchema(2, 10).Build()).
		Field("day", DateSchema().Optional().Build()).
		Field("inner", inner).
		Field("tags", ArraySchema(StringSchema).Optional().Build()).
		Build()
	st := NewStruct(s)
	mustErr := func(name string, v any, want string) {
		t.Helper()
		err := st.Put(name, v)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Put(%q, %#v) = %v; want an error containing %q", name, v, err, want)
		}
		if !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("error %q does not name the field", err)
		}
	}
	mustErr("id", int64(1), "invalid Go value of type int64")
	mustErr("id", nil, "nil used for required")
	mustErr("nope", int32(1), "no such field")
	mustErr("amount", 1.5, "want api.Decimal")
	mustErr("day", "2024-01-01", "want time.Time")
	mustErr("tags", []any{"a", 1}, "element of array")
	other := StructSchema().Name("Other").Field("x", Int32Schema).Build()
	mustErr("inner", NewStruct(other), "does not match")
	// An incomplete nested struct is rejected, as Kafka's Struct.put validates it.
	mustErr("inner", NewStruct(inner), `field "x"`)

	// An equal but distinct schema is accepted (Kafka compares schemas with equals).
	innerCopy := StructSchema().Name("Inner").Field("x", Int32Schema).Build()
	in := NewStruct(innerCopy)
	if err := in.Put("x", int32(5)); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"id": int32(1), "name": nil, "amount": NewDecimal(150, 2),
		"day": DateValue(3), "inner": in, "tags": []any{"a"}} {
		if err := st.Put(name, v); err != nil {
			t.Fatalf("Put(%q): %v", name, err)
		}
	}
	if err := st.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got := st.Get("id"); got != int32(1) {
		t.Fatalf("Get(id) = %v", got)
	}
	if got := st.GetIndex(99); got != nil {
		t.Fatalf("GetIndex out of range = %v", got)
	}
	st.PutIndex(99, 1) // ignored, no panic
}

func TestStructValidateAndDefaults(t *testing.T) {
	s := StructSchema().Name("Row").
		Field("id", Int32Schema).
		Field("flag", NewSchema(TypeBoolean).Default(true).Build()).
		Field("note", OptionalStringSchema).
		Build()
	st := NewStruct(s)
	err := st.Validate()
	if err == nil || !strings.Contains(err.Error(), `field "id"`) {
		t.Fatalf("Validate of a struct missing a required field = %v", err)
	}
	st.PutIndex(0, int32(1))
	if err := st.Validate(); err != nil {
		t.Fatalf("a required field with a default may stay unset: %v", err)
	}
	if st.Get("flag") != true || st.GetWithoutDefault("flag") != nil {
		t.Fatalf("Get applies defaults, GetWithoutDefault does not: %v %v", st.Get("flag"), st.GetWithoutDefault("flag"))
	}
	if got := st.String(); got != "Struct{id=1}" {
		t.Fatalf("String() = %q", got)
	}
	if err := NewStruct(Int32Schema).Put("x", int32(1)); err == nil || !strings.Contains(err.Error(), "not a struct schema") {
		t.Fatalf("Put on a struct of a non-struct schema = %v", err)
	}
	if err := NewStruct(nil).Validate(); err == nil {
		t.Fatal("Validate of a struct without schema succeeded")
	}
}

func TestSchemaEqual(t *testing.T) {
	mk := func() *Schema {
		return StructSchema().Name("A").Version(1).Doc("d").Param("p", "1").
			Field("x", DecimalSchema(2, 5).Default(NewDecimal(1, 2)).Build()).
			Field("m", MapSchema(StringSchema, OptionalInt64Schema).Build()).Build()
	}
	a, b := mk(), mk()
	if !a.Equal(b) {
		t.Fatal("equal schemas compare unequal")
	}
	for name, change := range map[string]func(*Schema){
		"optional": func(s *Schema) { s.Optional = true },
		"name":     func(s *Schema) { s.Name = "B" },
		"version":  func(s *Schema) { s.Version = 2 },
		"param":    func(s *Schema) { s.Parameters[0].Value = "2" },
		"field":    func(s *Schema) { s.Fields[0].Name = "y" },
		"default":  func(s *Schema) { s.Fields[0].Schema.Default = NewDecimal(2, 2) },
		"map":      func(s *Schema) { s.Fields[1].Schema.ValueSchema = Int64Schema },
	} {
		c := mk()
		change(c)
		if a.Equal(c) {
			t.Errorf("schemas differing in %s compare equal", name)
		}
	}
	var nilSchema *Schema
	if nilSchema.Equal(a) || !nilSchema.Equal(nil) {
		t.Error("nil schema comparison wrong")
	}
}

func TestParseDecimal(t *testing.T) {
	cases := []struct {
		in, plain string
		unscaled  string
		scale     int32
	}{
		{"1.50", "1.50", "150", 2},
		{"-0.001", "-0.001", "-1", 3},
		{"1E+3", "1000", "1", -3},
		{"1.23e-5", "0.0000123", "123", 7},
		{"+42", "42", "42", 0},
		{"0", "0", "0", 0},
		{"0.00", "0.00", "0", 2},
		{"123456789012345678901234567890.5", "123456789012345678901234567890.5", "1234567890123456789012345678905", 1},
	}
	for _, c := range cases {
		d, err := ParseDecimal(c.in)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", c.in, err)
		}
		if d.Unscaled.String() != c.unscaled || d.Scale != c.scale {
			t.Errorf("ParseDecimal(%q) = %s scale %d; want %s scale %d", c.in, d.Unscaled, d.Scale, c.unscaled, c.scale)
		}
		if d.String() != c.plain {
			t.Errorf("ParseDecimal(%q).String() = %q; want %q", c.in, d.String(), c.plain)
		}
	}
	for _, bad := range []string{"", "abc", "1.2.3", "1e", "--1", ".", "1e99999999999"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) succeeded", bad)
		}
	}
}

func TestDecimalBytes(t *testing.T) {
	// Java's BigInteger.toByteArray for these values.
	cases := map[int64][]byte{
		0: {0}, 1: {1}, -1: {0xff}, 127: {0x7f}, 128: {0, 0x80}, -128: {0x80}, -129: {0xff, 0x7f},
		255: {0, 0xff}, 256: {1, 0}, -256: {0xff, 0}, 32767: {0x7f, 0xff}, -32768: {0x80, 0},
		-32769: {0xff, 0x7f, 0xff}, 65535: {0, 0xff, 0xff}, -65536: {0xff, 0, 0},
	}
	for v, want := range cases {
		d := NewDecimal(v, 3)
		if got := d.Bytes(); !bytes.Equal(got, want) {
			t.Errorf("NewDecimal(%d).Bytes() = %x; want %x", v, got, want)
		}
		back := DecimalFromBytes(want, 3)
		if !back.Equal(d) {
			t.Errorf("DecimalFromBytes(%x) = %s; want %s", want, back, d)
		}
	}
	big1, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	d := Decimal{Unscaled: big1, Scale: 0}
	if !DecimalFromBytes(d.Bytes(), 0).Equal(d) {
		t.Error("big negative decimal does not survive Bytes/DecimalFromBytes")
	}
	if (Decimal{}).String() != "0" || !bytes.Equal((Decimal{}).Bytes(), []byte{0}) {
		t.Error("zero Decimal value is not 0")
	}
}

func TestValueEqual(t *testing.T) {
	now := time.Now()
	if !ValueEqual(now, now.UTC()) || !ValueEqual([]byte{1}, []byte{1}) || ValueEqual([]byte{1}, []byte{2}) {
		t.Error("time or bytes comparison wrong")
	}
	if ValueEqual(NewDecimal(15, 1), NewDecimal(150, 2)) {
		t.Error("1.5 and 1.50 must differ, as in BigDecimal.equals")
	}
	if !ValueEqual([]any{int32(1), nil}, []any{int32(1), nil}) || ValueEqual(int32(1), int64(1)) {
		t.Error("array or typed int comparison wrong")
	}
	if !ValueEqual(map[string]any{"a": []any{"x"}}, map[string]any{"a": []any{"x"}}) {
		t.Error("map comparison wrong")
	}
}

func TestLogicalSchemas(t *testing.T) {
	d := DecimalSchema(2, 10).Build()
	if d.Type != TypeBytes || d.Name != DecimalName || d.Version != 1 ||
		len(d.Parameters) != 2 || d.Parameters[0] != (Param{"scale", "2"}) || d.Parameters[1] != (Param{DecimalPrecisionParam, "10"}) {
		t.Fatalf("DecimalSchema = %+v", d)
	}
	g := GeometrySchema().Build()
	if !g.Optional || g.Version != 1 || g.Fields[0].Name != "wkb" || g.Fields[1].Name != "srid" || !g.Fields[1].Schema.Optional {
		t.Fatalf("GeometrySchema = %+v", g)
	}
	v := VariableScaleDecimalSchema().Build()
	st := VariableScaleDecimalValue(v, NewDecimal(-12345, 3))
	if err := st.Validate(); err != nil || st.Get("scale") != int32(3) || !bytes.Equal(st.Get("value").([]byte), []byte{0xcf, 0xc7}) {
		t.Fatalf("VariableScaleDecimalValue = %v (%v)", st, err)
	}
	if e := EnumSchema([]string{"a", "b"}).Build(); e.Parameters[0] != (Param{"allowed", "a,b"}) {
		t.Fatalf("EnumSchema params = %v", e.Parameters)
	}
	if DateValue(1).Format(time.DateOnly) != "1970-01-02" || TimeValue(1000).Format(time.TimeOnly) != "00:00:01" {
		t.Fatal("Date/Time values wrong")
	}
}
