package pgtypes

import (
	"encoding/base64"
	"reflect"
	"testing"

	"github.com/connectd/connectd/connect/api"
)

// TestGeometricValues: each geometric type's text becomes the struct Debezium 3.7 writes; the
// WKB strings are those of tests/compat/reference/postgres (table type_zoo).
func TestGeometricValues(t *testing.T) {
	o := DefaultOptions()
	reg := NewRegistry()
	b64 := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		oid  uint32
		text string
		name string
		want map[string]any
	}{
		{oidPoint, "(1.5,-2.25)", PointName, map[string]any{"x": 1.5, "y": -2.25, "wkb": b64("AQEAAAAAAAAAAAD4PwAAAAAAAALA"), "srid": nil}},
		{oidLine, "{1,-1,0.5}", LineName, map[string]any{"a": 1.0, "b": -1.0, "c": 0.5}},
		{oidLseg, "[(0,0),(3,4)]", GeometryName, map[string]any{"wkb": b64("AQIAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAhAAAAAAAAAEEA="), "srid": nil,
			"extensions": []api.MapEntry{{Key: "type", Value: "lseg"}}}},
		{oidLseg, "[(-1.5,2),(10000000000,-1e-10)]", GeometryName, map[string]any{"wkb": b64("AQIAAAACAAAAAAAAAAAA+L8AAAAAAAAAQAAAACBfoAJCu73X2d98270="), "srid": nil,
			"extensions": []api.MapEntry{{Key: "type", Value: "lseg"}}}},
		{oidBox, "(3,4),(1,2)", GeometryName, map[string]any{"wkb": b64("AQMAAAABAAAABQAAAAAAAAAAAAhAAAAAAAAAEEAAAAAAAAAIQAAAAAAAAABAAAAAAAAA8D8AAAAAAAAAQAAAAAAAAPA/AAAAAAAAEEAAAAAAAAAIQAAAAAAAABBA"), "srid": nil,
			"extensions": []api.MapEntry{{Key: "type", Value: "box"}}}},
		{oidPath, "[(0,0),(1,1),(2,0)]", GeometryName, map[string]any{"wkb": b64("AQIAAAADAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPA/AAAAAAAA8D8AAAAAAAAAQAAAAAAAAAAA"), "srid": nil,
			"extensions": []api.MapEntry{{Key: "type", Value: "path"}, {Key: "closed", Value: "false"}}}},
		{oidPath, "((0,0),(10,0),(10,10))", GeometryName, map[string]any{"wkb": b64("AQIAAAADAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACRAAAAAAAAAAAAAAAAAAAAkQAAAAAAAACRA"), "srid": nil,
			"extensions": []api.MapEntry{{Key: "type", Value: "path"}, {Key: "closed", Value: "true"}}}},
		{oidPolygon, "((0,0),(1,1),(1,0))", GeometryName, map[string]any{"wkb": b64("AQMAAAABAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAADwPwAAAAAAAPA/AAAAAAAA8D8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), "srid": nil,
			"extensions": []api.MapEntry{{Key: "type", Value: "polygon"}}}},
		{oidPolygon, "((0,0))", GeometryName, map[string]any{"wkb": b64("AQMAAAABAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAA="), "srid": nil,
			"extensions": []api.MapEntry{{Key: "type", Value: "polygon"}}}},
	} {
		m := o.Map(reg, c.oid, -1)
		if m.Schema == nil || m.Schema.Name != c.name {
			t.Fatalf("%s: schema %+v, want %s", c.text, m.Schema, c.name)
		}
		v, err := m.Decode([]byte(c.text))
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		st := v.(*api.Struct)
		if err := st.Validate(); err != nil {
			t.Errorf("%s: invalid struct: %v", c.text, err)
		}
		for f, w := range c.want {
			if got := st.Get(f); !reflect.DeepEqual(got, w) && !(w == nil && reflect.ValueOf(got).IsZero()) {
				t.Errorf("%s: %s = %#v, want %#v", c.text, f, got, w)
			}
		}
	}
	m := o.Map(reg, oidCircle, -1)
	v, err := m.Decode([]byte("<(1,2),3.5>"))
	if err != nil {
		t.Fatal(err)
	}
	st := v.(*api.Struct)
	center := st.Get("center").(*api.Struct)
	if center.Get("x") != 1.0 || center.Get("y") != 2.0 || st.Get("radius") != 3.5 ||
		!reflect.DeepEqual(center.Get("wkb"), b64("AQEAAAAAAAAAAADwPwAAAAAAAABA")) {
		t.Errorf("circle = %v", st)
	}
	// Wrong counts of numbers, or no numbers, are errors for every geometric type.
	for _, bad := range []string{"", "(1)", "((a,b))", "(1,2,3,4,5)"} {
		for _, oid := range []uint32{oidPoint, oidLine, oidLseg, oidBox, oidPath, oidPolygon, oidCircle} {
			m := o.Map(reg, oid, -1)
			if v, err := m.Decode([]byte(bad)); err == nil {
				t.Errorf("%s %q decoded to %v", m.TypeName, bad, v)
			}
		}
	}
}
