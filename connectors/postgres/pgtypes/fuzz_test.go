package pgtypes

import (
	"bytes"
	"encoding/hex"
	"math"
	"strconv"
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
)

// The fuzz targets feed arbitrary text to the decoders of pgoutput's (and the snapshot's) text
// values, one target per type family, under every handling mode: a decoder may refuse the text,
// but must never panic, and a value it returns must fit the schema it declared. Where the text
// can be written back, the round trip must give the same value. `go test` runs the seeds (edge
// values) only; `go test -fuzz FuzzTemporal ./connectors/postgres/pgtypes/` searches.

// fuzzHstoreOID stands for the hstore extension type, whose OID differs per database.
const fuzzHstoreOID = 90001

// fuzzOptions are the option sets every decoder is tried under.
func fuzzOptions() []Options {
	var out []Options
	for _, d := range []envelope.DecimalMode{envelope.DecimalPrecise, envelope.DecimalDouble, envelope.DecimalString} {
		for _, tm := range []envelope.TimePrecisionMode{envelope.TimeAdaptive, envelope.TimeAdaptiveMicroseconds, envelope.TimeConnect} {
			o := DefaultOptions()
			o.Decimal, o.Time = d, tm
			o.Binary = envelope.BinaryMode(int(d))
			o.Interval = IntervalMode(int(tm) % 2)
			o.HStore = HStoreMode(int(d) % 2)
			out = append(out, o)
		}
	}
	return out
}

// decodeAll decodes text as each of the types (oid, typmod) under every option set and checks
// each value against its schema; it returns the default options' values (nil where refused).
func decodeAll(t *testing.T, text []byte, types [][2]int64) []any {
	t.Helper()
	reg := NewRegistry()
	reg.Put(&Type{OID: fuzzHstoreOID, Name: "hstore", Namespace: "public", Kind: 'b'})
	var first []any
	for i, opts := range fuzzOptions() {
		o := opts
		for _, ty := range types {
			m := o.Map(reg, uint32(ty[0]), int32(ty[1]))
			if m.Schema == nil {
				t.Fatalf("type %d has no mapping", ty[0])
			}
			v, err := m.Decode(text)
			if err == nil && v != nil {
				if verr := api.ValidateValue(m.Schema, v); verr != nil {
					t.Errorf("%s %q under %+v: value %#v does not fit its schema: %v", m.TypeName, text, o, v, verr)
				}
			}
			if i == 0 {
				if err != nil {
					v = nil
				}
				first = append(first, v)
			}
		}
	}
	return first
}

func FuzzNumeric(f *testing.F) {
	for _, s := range []string{"0", "-0.000000000000000000000000000001", "99999999999999999999999999999999999999.999999",
		"NaN", "Infinity", "-Infinity", "1e5", "1e999999999", "{1e999999999}", "-1E-999999999", "12345.67", "-92233720368547758.08", "$1,234.56", "-$0.01", "", "-", ".5",
		"1" + string(bytes.Repeat([]byte("0"), 2000)), "0." + string(bytes.Repeat([]byte("0"), 1000)) + "1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vals := decodeAll(t, b, [][2]int64{{oidNumeric, -1}, {oidNumeric, (10<<16 | 2) + 4}, {oidMoney, -1}, {1231, -1}})
		// Round trip: a decimal's plain text reads back as the same number.
		if d, ok := vals[0].(*api.Struct); ok && d != nil {
			o := DefaultOptions()
			m := o.Map(NewRegistry(), oidNumeric, -1)
			text := structDecimal(d).String()
			again, err := m.Decode([]byte(text))
			if err != nil || structDecimal(again.(*api.Struct)).String() != text {
				t.Errorf("numeric %q -> %s -> %v, %v", b, text, again, err)
			}
		}
	})
}

// structDecimal reads a VariableScaleDecimal struct.
func structDecimal(st *api.Struct) api.Decimal {
	scale, _ := st.Get("scale").(int32)
	unscaled, _ := st.Get("value").([]byte)
	return api.DecimalFromBytes(unscaled, scale)
}

func FuzzTemporal(f *testing.F) {
	for _, s := range []string{"2024-02-29", "infinity", "-infinity", "4713-01-01 BC", "0001-01-01", "5874897-12-31",
		"294276-12-31 23:59:59.999999", "4714-11-24 00:00:00 BC", "294276-12-31 23:59:59.999999+00",
		"0001-12-31 23:59:59.999999+00 BC", "24:00:00", "24:00:00-15:59", "12:00:00-00:00:30", "00:00:00.000001+14",
		"1970-01-01 00:00:00+00", "99999999999999999999-01-01", "2024-13-45 99:99:99.9999999+99:99:99", "-1-01-01", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vals := decodeAll(t, b, [][2]int64{{oidDate, -1}, {oidTime, -1}, {oidTime, 3}, {oidTimestamp, -1}, {oidTimestamp, 3},
			{oidTimestamptz, -1}, {oidTimetz, -1}, {1182, -1}, {1185, -1}})
		// Round trip: a date's day count written back as PostgreSQL's text reads as the same day.
		if d, ok := vals[0].(int32); ok && string(b) != "infinity" && string(b) != "-infinity" {
			y, m, dd := civilFromDays(int64(d))
			text := dateText(y, m, dd)
			again, err := epochDay([]byte(text))
			if err != nil || again != int64(d) {
				t.Errorf("date %q -> %d -> %s -> %d, %v", b, d, text, again, err)
			}
		}
		// A timestamp never wraps around: a value past the int64 range saturates.
		if us, ok := vals[3].(int64); ok && len(b) > 0 && b[0] != '-' && us < 0 {
			if days, _, inf, err := epochMicros(b, false); err == nil && inf == 0 && days > 0 {
				t.Errorf("timestamp %q after the epoch became %d", b, us)
			}
		}
	})
}

// dateText writes a date as PostgreSQL's ISO output (BC for astronomical years below 1).
func dateText(y, m, d int64) string {
	bc := y < 1
	if bc {
		y = 1 - y
	}
	s := strconv.FormatInt(y, 10)
	for len(s) < 4 {
		s = "0" + s
	}
	s += "-" + string(rune('0'+m/10)) + string(rune('0'+m%10)) + "-" + string(rune('0'+d/10)) + string(rune('0'+d%10))
	if bc {
		s += " BC"
	}
	return s
}

func FuzzInterval(f *testing.F) {
	for _, s := range []string{"1 year 2 mons 3 days 04:05:06.789", "-178000000 years", "178000000 years", "00:00:00",
		"-1 days -00:00:01", "@ 1 hour", "P1Y2M3DT4H5M6S", "1 day 2147483647:00:00", "-2147483648 days", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeAll(t, b, [][2]int64{{oidInterval, -1}})
	})
}

func FuzzBitsAndBytea(f *testing.F) {
	for _, s := range []string{"1010", "", "0", "1", "101010101010", `\x`, `\xdeadbeef`, `\x0`, `\xzz`, "2"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vals := decodeAll(t, b, [][2]int64{{oidBit, 4}, {oidBit, 1}, {oidVarbit, -1}, {oidVarbit, 16}, {oidBytea, -1}, {1001, -1}})
		// Round trip: bytea bytes written back as hex output read as the same bytes.
		if raw, ok := vals[4].([]byte); ok {
			again, err := decodeByteaText([]byte(`\x` + hex.EncodeToString(raw)))
			if err != nil || !bytes.Equal(again, raw) {
				t.Errorf("bytea %q -> %x -> %x, %v", b, raw, again, err)
			}
		}
	})
}

func FuzzGeometric(f *testing.F) {
	for _, s := range []string{"(1.5,-2.25)", "{1,-1,0.5}", "[(0,0),(3,4)]", "(3,4),(1,2)", "[(0,0),(1,1),(2,0)]",
		"((0,0),(1,1),(1,0))", "((0,0))", "<(1,2),3.5>", "(Infinity,-Infinity)", "(NaN,1e308)", "(1e400,2)", "", "(", "((,),)"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vals := decodeAll(t, b, [][2]int64{{oidPoint, -1}, {oidLine, -1}, {oidLseg, -1}, {oidBox, -1}, {oidPath, -1},
			{oidPolygon, -1}, {oidCircle, -1}})
		// Round trip: a point written back as PostgreSQL's text reads as the same point.
		if p, ok := vals[0].(*api.Struct); ok {
			x, y := p.Get("x").(float64), p.Get("y").(float64)
			text := "(" + strconv.FormatFloat(x, 'g', -1, 64) + "," + strconv.FormatFloat(y, 'g', -1, 64) + ")"
			o := DefaultOptions()
			pm := o.Map(NewRegistry(), oidPoint, -1)
			again, err := pm.Decode([]byte(text))
			if err != nil {
				t.Fatalf("point %q -> %s: %v", b, text, err)
			}
			ax, ay := again.(*api.Struct).Get("x").(float64), again.(*api.Struct).Get("y").(float64)
			if !(ax == x || math.IsNaN(ax) && math.IsNaN(x)) || !(ay == y || math.IsNaN(ay) && math.IsNaN(y)) {
				t.Errorf("point %q -> %s -> (%v,%v)", b, text, ax, ay)
			}
		}
	})
}

func FuzzArraysAndText(f *testing.F) {
	for _, s := range []string{"{1,2,3}", "{{1,2},{3,NULL}}", "{}", `{"a","b c","😀",NULL}`, `{"",NULL,"x"}`, "{NaN,1}",
		`{"\\"\"",x}`, "[1:2]={1,2}", "{{{1}}}", "{2024-02-29,infinity}", "{", "}", `{"unterminated}`, `"a"=>"1", "b"=>NULL`,
		`"k"=>"v"`, `"emoji"=>"😀"`, "'a':1 'b':2", "[1,10)", "empty", "{t,f,NULL}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeAll(t, b, [][2]int64{{1007, -1}, {1009, -1}, {1231, -1}, {1231, (6<<16 | 2) + 4}, {1182, -1}, {1000, -1},
			{1022, -1}, {2951, -1}, {oidTSVector, -1}, {oidInt4range, -1}, {oidBool, -1}, {oidInt2, -1}, {oidInt4, -1},
			{oidInt8, -1}, {oidFloat4, -1}, {oidFloat8, -1}, {oidJSONB, -1}, {oidUUID, -1}, {fuzzHstoreOID, -1}})
	})
}
