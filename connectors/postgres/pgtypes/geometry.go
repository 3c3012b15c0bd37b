package pgtypes

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"

	"github.com/connectd/connectd/connect/api"
)

// OIDs of PostgreSQL's built-in geometric types.
const (
	oidPoint   = 600
	oidLseg    = 601
	oidPath    = 602
	oidBox     = 603
	oidPolygon = 604
	oidLine    = 628
	oidCircle  = 718
)

// Logical names of the geometric structs Debezium's PostgreSQL connector writes.
const (
	PointName    = "io.debezium.data.geometry.Point"
	GeometryName = "io.debezium.data.geometry.Geometry"
	LineName     = "io.debezium.data.geometry.Line"
	CircleName   = "io.debezium.data.geometry.Circle"
)

// pointSchema is io.debezium.data.geometry.Point: x, y, the point's WKB and a null SRID.
func pointSchema() *api.SchemaBuilder {
	return api.StructSchema().Name(PointName).Version(1).Doc("Geometry (POINT)").
		Field("x", api.Float64Schema).Field("y", api.Float64Schema).
		Field("wkb", api.OptionalBytesSchema).Field("srid", api.OptionalInt32Schema)
}

// geometrySchema is io.debezium.data.geometry.Geometry version 2, as Debezium 3.7 writes box,
// lseg, path and polygon: WKB, a null SRID and extensions naming the native type.
func geometrySchema() *api.SchemaBuilder {
	return api.StructSchema().Name(GeometryName).Version(2).Doc("Geometry").
		Field("wkb", api.BytesSchema).Field("srid", api.OptionalInt32Schema).
		Field("extensions", api.MapSchema(api.StringSchema, api.StringSchema).Optional().Build())
}

// lineSchema is io.debezium.data.geometry.Line: the coefficients of Ax + By + C = 0.
func lineSchema() *api.SchemaBuilder {
	return api.StructSchema().Name(LineName).Version(1).Doc("Geometry (LINE)").
		Field("a", api.Float64Schema).Field("b", api.Float64Schema).Field("c", api.Float64Schema)
}

// circleSchema is io.debezium.data.geometry.Circle: a Point center and a radius.
func circleSchema() *api.SchemaBuilder {
	return api.StructSchema().Name(CircleName).Version(1).Doc("Geometry (CIRCLE)").
		Field("center", pointSchema().Build()).Field("radius", api.Float64Schema)
}

var errGeometry = errors.New("not a geometric value in PostgreSQL's output format")

// geoNumbers reads the numbers of a geometric value's text ("((0,0),(1,1))", "<(1,2),3>",
// "{1,-1,0.5}"): every bracket is punctuation, numbers are separated by commas. It appends to
// dst and reports the first character, which tells an open path ('[') from a closed one.
func geoNumbers(dst []float64, b []byte) ([]float64, byte, error) {
	if len(b) == 0 {
		return nil, 0, errGeometry
	}
	first := b[0]
	start := -1
	flush := func(end int) error {
		if start < 0 {
			return nil
		}
		f, err := strconv.ParseFloat(bstr(b[start:end]), 64)
		start = -1
		if err != nil {
			var ne *strconv.NumError
			if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
				return errGeometry
			}
		}
		dst = append(dst, f)
		return nil
	}
	for i, c := range b {
		switch c {
		case '(', ')', '[', ']', '<', '>', '{', '}', ',', ' ':
			if err := flush(i); err != nil {
				return nil, 0, err
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if err := flush(len(b)); err != nil {
		return nil, 0, err
	}
	return dst, first, nil
}

// WKB (little-endian) geometry type codes.
const (
	wkbPoint      = 1
	wkbLineString = 2
	wkbPolygon    = 3
)

func appendWKBHeader(dst []byte, kind uint32) []byte {
	dst = append(dst, 1) // little-endian
	return binary.LittleEndian.AppendUint32(dst, kind)
}

func appendXY(dst []byte, x, y float64) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(x))
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(y))
}

// PointWKB is the WKB of a point, as Debezium's Point.createValue writes it.
func PointWKB(x, y float64) []byte {
	return appendXY(appendWKBHeader(make([]byte, 0, 21), wkbPoint), x, y)
}

// lineStringWKB writes the points (x0, y0, x1, y1, ...) as a WKB LineString.
func lineStringWKB(xy []float64) []byte {
	dst := appendWKBHeader(make([]byte, 0, 9+8*len(xy)), wkbLineString)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(xy)/2))
	for i := 0; i+1 < len(xy); i += 2 {
		dst = appendXY(dst, xy[i], xy[i+1])
	}
	return dst
}

// polygonWKB writes one ring (x0, y0, ...) as a WKB Polygon.
func polygonWKB(ring []float64) []byte {
	dst := appendWKBHeader(make([]byte, 0, 13+8*len(ring)), wkbPolygon)
	dst = binary.LittleEndian.AppendUint32(dst, 1)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(ring)/2))
	for i := 0; i+1 < len(ring); i += 2 {
		dst = appendXY(dst, ring[i], ring[i+1])
	}
	return dst
}

// closeRing repeats a ring's first point at its end unless it is there already (compared with
// !=, so a NaN coordinate always closes it, as Debezium's closeRing).
func closeRing(ring []float64) []float64 {
	n := len(ring)
	if n >= 4 && (ring[0] != ring[n-2] || ring[1] != ring[n-1]) {
		ring = append(ring, ring[0], ring[1])
	}
	return ring
}

// pointValue builds a Point struct of schema s.
func pointValue(s *api.Schema, x, y float64) *api.Struct {
	st := api.NewStruct(s)
	st.PutIndex(0, x)
	st.PutIndex(1, y)
	st.PutIndex(2, PointWKB(x, y))
	return st
}

// geometryValue builds a Geometry struct of schema s with its extensions.
func geometryValue(s *api.Schema, wkb []byte, ext []api.MapEntry) *api.Struct {
	st := api.NewStruct(s)
	st.PutIndex(0, wkb)
	st.PutIndex(2, ext)
	return st
}

// geometricMapping maps the geometric type oid; ok is false for other types.
func geometricMapping(oid uint32) (Mapping, bool) {
	var base *api.Schema
	var bind func(s *api.Schema) (func([]byte) (any, error), any)
	switch oid {
	case oidPoint:
		base = pointSchema().Build()
		bind = func(s *api.Schema) (func([]byte) (any, error), any) {
			return func(b []byte) (any, error) {
				n, _, err := geoNumbers(make([]float64, 0, 2), b)
				if err != nil || len(n) != 2 {
					return nil, errGeometry
				}
				return pointValue(s, n[0], n[1]), nil
			}, pointValue(s, 0, 0)
		}
	case oidLine:
		base = lineSchema().Build()
		line := func(s *api.Schema, a, b, c float64) *api.Struct {
			st := api.NewStruct(s)
			st.PutIndex(0, a)
			st.PutIndex(1, b)
			st.PutIndex(2, c)
			return st
		}
		bind = func(s *api.Schema) (func([]byte) (any, error), any) {
			return func(b []byte) (any, error) {
				n, _, err := geoNumbers(make([]float64, 0, 3), b)
				if err != nil || len(n) != 3 {
					return nil, errGeometry
				}
				return line(s, n[0], n[1], n[2]), nil
			}, line(s, 0, 1, 0) // A and B cannot both be zero: Debezium's fallback is y = 0
		}
	case oidCircle:
		base = circleSchema().Build()
		circle := func(s *api.Schema, x, y, r float64) *api.Struct {
			st := api.NewStruct(s)
			st.PutIndex(0, pointValue(s.Field("center").Schema, x, y))
			st.PutIndex(1, r)
			return st
		}
		bind = func(s *api.Schema) (func([]byte) (any, error), any) {
			return func(b []byte) (any, error) {
				n, _, err := geoNumbers(make([]float64, 0, 3), b)
				if err != nil || len(n) != 3 {
					return nil, errGeometry
				}
				return circle(s, n[0], n[1], n[2]), nil
			}, circle(s, 0, 0, 0)
		}
	case oidBox, oidLseg, oidPath, oidPolygon:
		base = geometrySchema().Build()
		bind = func(s *api.Schema) (func([]byte) (any, error), any) {
			return geometryDecoder(s, oid), geometryFallback(s, oid)
		}
	default:
		return Mapping{}, false
	}
	m := Mapping{Schema: base, rebind: bind}
	m.decode, m.Zero = bind(base)
	return m, true
}

// geometryDecoder reads box, lseg, path or polygon text into a Geometry struct the way
// Debezium 3.7's PostgresValueConverter encodes them: a box as a closed five-point polygon ring
// from its two corners, an lseg as a two-point line string, a path as a line string with
// extension closed, a polygon as one ring closed if needed.
func geometryDecoder(s *api.Schema, oid uint32) func([]byte) (any, error) {
	return func(b []byte) (any, error) {
		n, first, err := geoNumbers(nil, b)
		if err != nil || len(n)%2 != 0 || len(n) == 0 {
			return nil, errGeometry
		}
		switch oid {
		case oidBox:
			if len(n) != 4 {
				return nil, errGeometry
			}
			x1, y1, x2, y2 := n[0], n[1], n[2], n[3]
			wkb := polygonWKB([]float64{x1, y1, x1, y2, x2, y2, x2, y1, x1, y1})
			return geometryValue(s, wkb, []api.MapEntry{{Key: "type", Value: "box"}}), nil
		case oidLseg:
			if len(n) != 4 {
				return nil, errGeometry
			}
			return geometryValue(s, lineStringWKB(n), []api.MapEntry{{Key: "type", Value: "lseg"}}), nil
		case oidPath:
			closed := "true"
			if first == '[' {
				closed = "false"
			}
			return geometryValue(s, lineStringWKB(n), []api.MapEntry{{Key: "type", Value: "path"}, {Key: "closed", Value: closed}}), nil
		default:
			return geometryValue(s, polygonWKB(closeRing(n)), []api.MapEntry{{Key: "type", Value: "polygon"}}), nil
		}
	}
}

// geometryFallback is Debezium's value for a NOT NULL geometric column without a value: a
// small non-degenerate shape of the type.
func geometryFallback(s *api.Schema, oid uint32) *api.Struct {
	switch oid {
	case oidBox:
		return geometryValue(s, polygonWKB([]float64{0, 0, 0, 1, 1, 1, 1, 0, 0, 0}), []api.MapEntry{{Key: "type", Value: "box"}})
	case oidLseg:
		return geometryValue(s, lineStringWKB([]float64{0, 0, 1, 0}), []api.MapEntry{{Key: "type", Value: "lseg"}})
	case oidPolygon:
		return geometryValue(s, polygonWKB([]float64{0, 0, 1, 0, 0, 1, 0, 0}), []api.MapEntry{{Key: "type", Value: "polygon"}})
	}
	return geometryValue(s, lineStringWKB([]float64{0, 0, 1, 0}), []api.MapEntry{{Key: "type", Value: "path"}})
}
