package transforms

import (
	"fmt"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// javaLayout is a java.text.SimpleDateFormat pattern translated to a Go time layout once.
type javaLayout struct{ layout string }

func (l javaLayout) format(t time.Time) string { return t.Format(l.layout) }

func (l javaLayout) parse(s string) (time.Time, error) {
	return time.ParseInLocation(l.layout, s, time.UTC)
}

// javaLetters maps SimpleDateFormat letter runs to Go layout elements.
var javaLetters = map[string]string{
	"yyyy": "2006", "yy": "06", "y": "2006", "MMMM": "January", "MMM": "Jan", "MM": "01", "M": "1",
	"dd": "02", "d": "2", "HH": "15", "H": "15", "hh": "03", "h": "3", "mm": "04", "m": "4", "ss": "05", "s": "5",
	"SSS": "000", "SS": "00", "S": "0", "a": "PM", "EEEE": "Monday", "EEE": "Mon", "E": "Mon",
	"Z": "-0700", "X": "Z07", "XX": "Z0700", "XXX": "Z07:00", "z": "MST", "DDD": "002",
}

// parseJavaLayout translates the SimpleDateFormat patterns users put in TimestampRouter and
// TimestampConverter; a letter connectd cannot translate is refused rather than misformatted.
func parseJavaLayout(p string) (javaLayout, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return javaLayout{}, fmt.Errorf("unterminated quote in pattern %q", p)
			}
			if j == 0 {
				b.WriteByte('\'')
			} else {
				b.WriteString(p[i+1 : i+1+j])
			}
			i += j + 2
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			run := p[i:j]
			g, ok := javaLetters[run]
			if !ok && len(run) > 4 && c == 'y' {
				g, ok = "2006", true
			}
			if !ok {
				return javaLayout{}, fmt.Errorf("the date format letters %q are not supported by connectd", run)
			}
			if c == 'S' && (b.Len() == 0 || !strings.HasSuffix(b.String(), ".") && !strings.HasSuffix(b.String(), ",")) {
				return javaLayout{}, fmt.Errorf("fractional seconds (S) must follow a '.' or ',' in connectd")
			}
			b.WriteString(g)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return javaLayout{b.String()}, nil
}

// timestampConverter is Kafka's TimestampConverter.
type timestampConverter struct {
	key       bool
	field     string
	target    string // string, unix, Date, Time, Timestamp
	layout    javaLayout
	hasLayout bool
	precision string
	schemas   cache
}

func newTimestampConverter(c Config, key bool) (Transformation, error) {
	target, err := c.oneOf("target.type", "", "string", "unix", "Date", "Time", "Timestamp")
	if err != nil {
		return nil, err
	}
	prec, err := c.oneOf("unix.precision", "milliseconds", "seconds", "milliseconds", "microseconds", "nanoseconds")
	if err != nil {
		return nil, err
	}
	t := &timestampConverter{key: key, field: c.str("field", ""), target: target, precision: prec, schemas: cache{}}
	if f := c.str("format", ""); f != "" {
		if t.layout, err = parseJavaLayout(f); err != nil {
			return nil, fmt.Errorf("TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: %w", err)
		}
		t.hasLayout = true
	} else if target == "string" {
		return nil, fmt.Errorf("TimestampConverter requires format option to be specified when using string timestamps")
	}
	return t, nil
}

func (t *timestampConverter) targetSchema(optional bool) *api.Schema {
	var b *api.SchemaBuilder
	switch t.target {
	case "string":
		b = api.NewSchema(api.TypeString)
	case "unix":
		b = api.NewSchema(api.TypeInt64)
	case "Date":
		b = api.NewSchema(api.TypeInt32).Name(api.DateName).Version(1)
	case "Time":
		b = api.NewSchema(api.TypeInt32).Name(api.TimeName).Version(1)
	default:
		b = api.NewSchema(api.TypeInt64).Name(api.TimestampName).Version(1)
	}
	return optionalIf(b, optional)
}

// toTime reads a timestamp of any supported representation.
func (t *timestampConverter) toTime(s *api.Schema, v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case int64:
		switch t.precision {
		case "seconds":
			return time.Unix(x, 0).UTC(), nil
		case "microseconds":
			return time.UnixMicro(x).UTC(), nil
		case "nanoseconds":
			return time.Unix(0, x).UTC(), nil
		}
		return time.UnixMilli(x).UTC(), nil
	case string:
		if !t.hasLayout {
			return time.Time{}, fmt.Errorf("TimestampConverter requires format option to be specified when using string timestamps")
		}
		tm, err := t.layout.parse(x)
		if err != nil {
			return time.Time{}, fmt.Errorf("Could not parse timestamp: value (%s) does not match pattern: %w", x, err)
		}
		return tm, nil
	}
	return time.Time{}, fmt.Errorf("TimestampConverter does not support %s values", javaType(v))
}

func (t *timestampConverter) fromTime(tm time.Time) any {
	switch t.target {
	case "string":
		return t.layout.format(tm)
	case "unix":
		switch t.precision {
		case "seconds":
			return tm.Unix()
		case "microseconds":
			return tm.UnixMicro()
		case "nanoseconds":
			return tm.UnixNano()
		}
		return tm.UnixMilli()
	case "Date":
		return time.Date(tm.Year(), tm.Month(), tm.Day(), 0, 0, 0, 0, time.UTC)
	case "Time":
		return time.Date(1970, 1, 1, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond()/1e6*1e6, time.UTC)
	}
	return tm
}

func (t *timestampConverter) convert(s *api.Schema, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	tm, err := t.toTime(s, v)
	if err != nil {
		return nil, err
	}
	return t.fromTime(tm), nil
}

func (t *timestampConverter) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if t.field == "" {
		if v == nil {
			return r, nil
		}
		out, err := t.convert(s, v)
		if err != nil {
			return nil, err
		}
		var ns *api.Schema
		if s != nil {
			ns = t.targetSchema(s.Optional)
		}
		return withOperand(r, t.key, ns, out), nil
	}
	if v == nil && s == nil {
		return r, nil
	}
	if s == nil {
		m, err := requireMap(v, "converting timestamp formats")
		if err != nil {
			return nil, err
		}
		nm := make(map[string]any, len(m))
		for k, x := range m {
			nm[k] = x
		}
		if nm[t.field], err = t.convert(nil, m[t.field]); err != nil {
			return nil, err
		}
		return withOperand(r, t.key, nil, nm), nil
	}
	ns := t.schemas[s]
	if ns == nil {
		b := copyBasics(s)
		for _, f := range s.Fields {
			if f.Name == t.field {
				b.Field(f.Name, t.targetSchema(f.Schema.Optional))
			} else {
				b.Field(f.Name, f.Schema)
			}
		}
		if s.Optional {
			b.Optional()
		}
		ns = b.Build()
		remember(t.schemas, s, ns)
	}
	if v == nil {
		return withOperand(r, t.key, ns, nil), nil // the schema changes even without a value, as in Kafka
	}
	st, err := requireStruct(v, "converting timestamp formats")
	if err != nil {
		return nil, err
	}
	out := api.NewStruct(ns)
	for i := range s.Fields {
		f := &s.Fields[i]
		x := get(st, f)
		if f.Name == t.field {
			if x, err = t.convert(f.Schema, x); err != nil {
				return nil, err
			}
		}
		out.PutIndex(i, x)
	}
	return withOperand(r, t.key, ns, out), nil
}
