package transforms

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/javafmt"
)

func init() {
	register(kafkaPkg+"Filter", func(Config) (Transformation, error) { return filter{}, nil })
	register(kafkaPkg+"RegexRouter", newRegexRouter)
	register(kafkaPkg+"TimestampRouter", newTimestampRouter)
	register(kafkaPkg+"InsertHeader", newInsertHeader)
	register(kafkaPkg+"DropHeaders", newDropHeaders)
	register(kafkaPkg+"ValueToKey", newValueToKey)
	registerKV(kafkaPkg+"HeaderFrom", newHeaderFrom)
	registerKV(kafkaPkg+"SetSchemaMetadata", newSetSchemaMetadata)
	registerKV(kafkaPkg+"HoistField", newHoistField)
	registerKV(kafkaPkg+"ExtractField", newExtractField)
	registerKV(kafkaPkg+"InsertField", newInsertField)
	registerKV(kafkaPkg+"ReplaceField", newReplaceField)
	registerKV(kafkaPkg+"MaskField", newMaskField)
	registerKV(kafkaPkg+"Flatten", newFlatten)
	registerKV(kafkaPkg+"Cast", newCast)
	registerKV(kafkaPkg+"TimestampConverter", newTimestampConverter)
}

// filter is Kafka's Filter: drops every record it is applied to (with a predicate, the matching ones).
type filter struct{}

func (filter) Apply(*api.SourceRecord) (*api.SourceRecord, error) { return nil, nil }

// regexRouter is Kafka's RegexRouter: a topic that matches the regex as a whole is replaced.
type regexRouter struct {
	re   *regexp.Regexp
	repl string
}

func newRegexRouter(c Config) (Transformation, error) {
	p, err := c.required("regex")
	if err != nil {
		return nil, err
	}
	re, err := javaRegexp(p, true)
	if err != nil {
		return nil, fmt.Errorf("Invalid value %s for configuration regex: %w", p, err)
	}
	repl, ok := c["replacement"]
	if !ok {
		return nil, fmt.Errorf("Missing required configuration \"replacement\" which has no default value.")
	}
	return &regexRouter{re: re, repl: javaReplacement(repl)}, nil
}

// javaReplacement turns a Java Matcher replacement ($1, \$) into a Go Expand template (${1}, $$).
func javaReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case c == '$':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("${" + s[i+1:j] + "}")
				i = j - 1
			} else if i+1 < len(s) && s[i+1] == '{' {
				b.WriteByte('$') // ${name}: the same in both
			} else {
				b.WriteString("$$")
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (t *regexRouter) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	m := t.re.FindStringSubmatchIndex(r.Topic)
	if m == nil {
		return r, nil
	}
	cp := *r
	cp.Topic = string(t.re.ExpandString(nil, t.repl, r.Topic, m))
	return &cp, nil
}

// timestampRouter is Kafka's TimestampRouter: topic.format with ${topic} and ${timestamp}, the
// record timestamp formatted with timestamp.format in UTC.
type timestampRouter struct {
	format string
	layout javaLayout
}

func newTimestampRouter(c Config) (Transformation, error) {
	l, err := parseJavaLayout(c.str("timestamp.format", "yyyyMMdd"))
	if err != nil {
		return nil, fmt.Errorf("Invalid value %s for configuration timestamp.format: %w", c["timestamp.format"], err)
	}
	return &timestampRouter{format: c.str("topic.format", "${topic}-${timestamp}"), layout: l}, nil
}

func (t *timestampRouter) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	if r.Timestamp.IsZero() {
		return nil, fmt.Errorf("Timestamp missing on record: the connector set no timestamp on the record for topic %s", r.Topic)
	}
	cp := *r
	cp.Topic = strings.ReplaceAll(strings.ReplaceAll(t.format, "${topic}", r.Topic), "${timestamp}", t.layout.format(r.Timestamp.UTC()))
	return &cp, nil
}

// insertHeader is Kafka's InsertHeader. The literal is written as a string header, which
// SimpleHeaderConverter serialises to the same bytes as Kafka's inferred schema would.
type insertHeader struct{ name, value string }

func newInsertHeader(c Config) (Transformation, error) {
	h, err := c.required("header")
	if err != nil {
		return nil, err
	}
	v, ok := c["value.literal"]
	if !ok {
		return nil, fmt.Errorf("Missing required configuration \"value.literal\" which has no default value.")
	}
	return &insertHeader{h, v}, nil
}

func (t *insertHeader) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	cp := *r
	cp.Headers = append(append(make([]api.Header, 0, len(r.Headers)+1), r.Headers...), api.Header{Key: t.name, Schema: api.StringSchema, Value: t.value})
	return &cp, nil
}

// dropHeaders is Kafka's DropHeaders.
type dropHeaders struct{ names map[string]bool }

func newDropHeaders(c Config) (Transformation, error) {
	l := c.list("headers")
	if len(l) == 0 {
		return nil, fmt.Errorf("Invalid value [] for configuration headers: Empty list")
	}
	t := &dropHeaders{names: map[string]bool{}}
	for _, h := range l {
		t.names[h] = true
	}
	return t, nil
}

func (t *dropHeaders) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	cp := *r
	cp.Headers = nil
	for _, h := range r.Headers {
		if !t.names[h.Key] {
			cp.Headers = append(cp.Headers, h)
		}
	}
	return &cp, nil
}

// headerFrom is Kafka's HeaderFrom: copies or moves fields into headers.
type headerFrom struct {
	key           bool
	fields, names []string
	move          bool
	schemas       cache
}

func newHeaderFrom(c Config, key bool) (Transformation, error) {
	f, h := c.list("fields"), c.list("headers")
	if len(f) == 0 || len(f) != len(h) {
		return nil, fmt.Errorf("'fields' config must have the same number of elements as 'headers' config")
	}
	op, err := c.oneOf("operation", "", "move", "copy")
	if err != nil {
		return nil, err
	}
	return &headerFrom{key: key, fields: f, names: h, move: op == "move", schemas: cache{}}, nil
}

func (t *headerFrom) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if v == nil {
		return nil, fmt.Errorf("HeaderFrom cannot take fields from a null %s", which(t.key))
	}
	cp := *r
	cp.Headers = append(make([]api.Header, 0, len(r.Headers)+len(t.fields)), r.Headers...)
	if s == nil {
		m, err := requireMap(v, "header "+t.opName())
		if err != nil {
			return nil, err
		}
		for i, f := range t.fields {
			cp.Headers = append(cp.Headers, api.Header{Key: t.names[i], Value: m[f]})
		}
		if t.move {
			nm := make(map[string]any, len(m))
			for k, x := range m {
				nm[k] = x
			}
			for _, f := range t.fields {
				delete(nm, f)
			}
			return withOperand(&cp, t.key, nil, nm), nil
		}
		return &cp, nil
	}
	st, err := requireStruct(v, "header "+t.opName())
	if err != nil {
		return nil, err
	}
	for i, name := range t.fields {
		f := s.Field(name)
		if f == nil {
			return nil, fmt.Errorf("%s has no field %s", which(t.key), name)
		}
		cp.Headers = append(cp.Headers, api.Header{Key: t.names[i], Schema: f.Schema, Value: get(st, f)})
	}
	if !t.move {
		return &cp, nil
	}
	ns := t.schemas[s]
	if ns == nil {
		b := copyBasics(s)
		for _, f := range s.Fields {
			if !contains(t.fields, f.Name) {
				b.Field(f.Name, f.Schema)
			}
		}
		ns = b.Build()
		remember(t.schemas, s, ns)
	}
	return withOperand(&cp, t.key, ns, structCopy(ns, st)), nil
}

func (t *headerFrom) opName() string {
	if t.move {
		return "move"
	}
	return "copy"
}

// setSchemaMetadata is Kafka's SetSchemaMetadata: renames and re-versions the operand's schema.
type setSchemaMetadata struct {
	key     bool
	name    string
	version int
	schemas cache
}

func newSetSchemaMetadata(c Config, key bool) (Transformation, error) {
	v, err := c.integer("schema.version", 0)
	if err != nil {
		return nil, err
	}
	n := c.str("schema.name", "")
	if n == "" && v == 0 {
		return nil, fmt.Errorf("Neither schema name nor version configured")
	}
	return &setSchemaMetadata{key: key, name: n, version: v, schemas: cache{}}, nil
}

func (t *setSchemaMetadata) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if s == nil {
		return r, nil // nothing to rename: a tombstone or schemaless data passes, as in Kafka
	}
	ns := t.schemas[s]
	if ns == nil {
		c := *s
		if t.name != "" {
			c.Name = t.name
		}
		if t.version != 0 {
			c.Version = t.version
		}
		ns = &c
		remember(t.schemas, s, ns)
	}
	if st, ok := v.(*api.Struct); ok {
		v = structCopy(ns, st)
	}
	return withOperand(r, t.key, ns, v), nil
}

// valueToKey is Kafka's ValueToKey: the key becomes a struct of the listed value fields.
type valueToKey struct {
	fields  []string
	schemas cache
}

func newValueToKey(c Config) (Transformation, error) {
	f := c.list("fields")
	if len(f) == 0 {
		return nil, fmt.Errorf("Invalid value [] for configuration fields: Empty list")
	}
	return &valueToKey{fields: f, schemas: cache{}}, nil
}

func (t *valueToKey) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	if r.ValueSchema == nil {
		m, err := requireMap(r.Value, "copying fields from value to key")
		if err != nil {
			return nil, err
		}
		k := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			k[f] = m[f]
		}
		cp := *r
		cp.KeySchema, cp.Key = nil, k
		return &cp, nil
	}
	st, err := requireStruct(r.Value, "copying fields from value to key")
	if err != nil {
		return nil, err
	}
	ks := t.schemas[r.ValueSchema]
	if ks == nil {
		b := api.StructSchema()
		for _, name := range t.fields {
			f := r.ValueSchema.Field(name)
			if f == nil {
				return nil, fmt.Errorf("Field does not exist: %s", name)
			}
			b.Field(name, f.Schema)
		}
		ks = b.Build()
		remember(t.schemas, r.ValueSchema, ks)
	}
	k := api.NewStruct(ks)
	for i, name := range t.fields {
		k.PutIndex(i, get(st, r.ValueSchema.Field(name)))
	}
	cp := *r
	cp.KeySchema, cp.Key = ks, k
	return &cp, nil
}

// hoistField is Kafka's HoistField: wraps the operand in a struct (or map) with one field.
type hoistField struct {
	key     bool
	field   string
	schemas cache
}

func newHoistField(c Config, key bool) (Transformation, error) {
	f, err := c.required("field")
	if err != nil {
		return nil, err
	}
	return &hoistField{key: key, field: f, schemas: cache{}}, nil
}

func (t *hoistField) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if s == nil {
		return withOperand(r, t.key, nil, map[string]any{t.field: v}), nil
	}
	ns := t.schemas[s]
	if ns == nil {
		ns = api.StructSchema().Field(t.field, s).Build()
		remember(t.schemas, s, ns)
	}
	st := api.NewStruct(ns)
	st.PutIndex(0, v)
	return withOperand(r, t.key, ns, st), nil
}

// extractField is Kafka's ExtractField: the operand becomes one of its fields.
type extractField struct {
	key   bool
	field string
}

func newExtractField(c Config, key bool) (Transformation, error) {
	f, err := c.required("field")
	if err != nil {
		return nil, err
	}
	return &extractField{key: key, field: f}, nil
}

func (t *extractField) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if s == nil {
		if v == nil {
			return withOperand(r, t.key, nil, nil), nil
		}
		m, err := requireMap(v, "field extraction")
		if err != nil {
			return nil, err
		}
		return withOperand(r, t.key, nil, m[t.field]), nil
	}
	f := s.Field(t.field)
	if s.Type != api.TypeStruct || f == nil {
		return nil, fmt.Errorf("Unknown field: %s", t.field)
	}
	if v == nil {
		return withOperand(r, t.key, f.Schema, nil), nil
	}
	st, err := requireStruct(v, "field extraction")
	if err != nil {
		return nil, err
	}
	return withOperand(r, t.key, f.Schema, get(st, f)), nil
}

// insertField is Kafka's InsertField for source records: topic, partition, timestamp and a static
// value (offset.field needs a sink record and is refused).
type insertField struct {
	key                                 bool
	topic, partition, timestamp, static fieldSpec
	staticValue                         string
	schemas                             cache
}

// fieldSpec is an InsertField field name with its `!` (required) or `?` (optional) suffix.
type fieldSpec struct {
	name     string
	optional bool
}

func parseFieldSpec(v string) fieldSpec {
	v = strings.TrimSpace(v)
	switch {
	case strings.HasSuffix(v, "!"):
		return fieldSpec{strings.TrimSuffix(v, "!"), false}
	case strings.HasSuffix(v, "?"):
		return fieldSpec{strings.TrimSuffix(v, "?"), true}
	}
	return fieldSpec{v, true}
}

func newInsertField(c Config, key bool) (Transformation, error) {
	if c.str("offset.field", "") != "" {
		return nil, fmt.Errorf("offset.field needs a sink record: a source connector's records have no Kafka offset yet")
	}
	t := &insertField{key: key, topic: parseFieldSpec(c["topic.field"]), partition: parseFieldSpec(c["partition.field"]),
		timestamp: parseFieldSpec(c["timestamp.field"]), static: parseFieldSpec(c["static.field"]), staticValue: c["static.value"], schemas: cache{}}
	if t.topic.name == "" && t.partition.name == "" && t.timestamp.name == "" && t.static.name == "" {
		return nil, fmt.Errorf("No field insertion configured")
	}
	if t.static.name != "" && t.staticValue == "" && !t.static.optional {
		return nil, fmt.Errorf("Missing required configuration \"static.value\"")
	}
	return t, nil
}

func optionalIf(b *api.SchemaBuilder, opt bool) *api.Schema {
	if opt {
		b.Optional()
	}
	return b.Build()
}

func (t *insertField) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if v == nil {
		return r, nil // a tombstone passes unchanged, as in Kafka
	}
	var part any
	if r.Partition >= 0 {
		part = r.Partition
	}
	var ts any
	if !r.Timestamp.IsZero() {
		ts = r.Timestamp
	}
	if s == nil {
		m, err := requireMap(v, "field insertion")
		if err != nil {
			return nil, err
		}
		nm := make(map[string]any, len(m)+4)
		for k, x := range m {
			nm[k] = x
		}
		if t.topic.name != "" {
			nm[t.topic.name] = r.Topic
		}
		if t.partition.name != "" {
			nm[t.partition.name] = part
		}
		if t.timestamp.name != "" {
			nm[t.timestamp.name] = ts
		}
		if t.static.name != "" {
			nm[t.static.name] = t.staticValue
		}
		return withOperand(r, t.key, nil, nm), nil
	}
	st, err := requireStruct(v, "field insertion")
	if err != nil {
		return nil, err
	}
	ns := t.schemas[s]
	if ns == nil {
		b := copyBasics(s)
		for _, f := range s.Fields {
			b.Field(f.Name, f.Schema)
		}
		if t.topic.name != "" {
			b.Field(t.topic.name, optionalIf(api.NewSchema(api.TypeString), t.topic.optional))
		}
		if t.partition.name != "" {
			b.Field(t.partition.name, optionalIf(api.NewSchema(api.TypeInt32), t.partition.optional))
		}
		if t.timestamp.name != "" {
			b.Field(t.timestamp.name, optionalIf(api.NewSchema(api.TypeInt64).Name(api.TimestampName).Version(1), t.timestamp.optional))
		}
		if t.static.name != "" {
			b.Field(t.static.name, optionalIf(api.NewSchema(api.TypeString), t.static.optional))
		}
		if ns, err = b.BuildChecked(); err != nil {
			return nil, fmt.Errorf("could not add the fields to the %s schema: %w", which(t.key), err)
		}
		remember(t.schemas, s, ns)
	}
	out := api.NewStruct(ns)
	for i := range s.Fields {
		out.PutIndex(i, get(st, &s.Fields[i]))
	}
	i := len(s.Fields)
	for _, p := range []struct {
		f fieldSpec
		v any
	}{{t.topic, r.Topic}, {t.partition, part}, {t.timestamp, ts}, {t.static, t.staticValue}} {
		if p.f.name == "" {
			continue
		}
		if p.v == nil && !p.f.optional {
			return nil, fmt.Errorf("field %s is required but the record has no value for it", p.f.name)
		}
		if sv, ok := p.v.(string); ok && sv == "" && p.f.name == t.static.name && p.f.optional {
			p.v = nil
		}
		out.PutIndex(i, p.v)
		i++
	}
	return withOperand(r, t.key, ns, out), nil
}

// replaceField is Kafka's ReplaceField: include, exclude and renames.
type replaceField struct {
	key              bool
	include, exclude map[string]bool
	renames, reverse map[string]string
	schemas          cache
}

func newReplaceField(c Config, key bool) (Transformation, error) {
	t := &replaceField{key: key, include: map[string]bool{}, exclude: map[string]bool{}, renames: map[string]string{}, reverse: map[string]string{}, schemas: cache{}}
	inc, exc := c.list("include"), c.list("exclude")
	if len(inc) == 0 {
		inc = c.list("whitelist")
	}
	if len(exc) == 0 {
		exc = c.list("blacklist")
	}
	for _, f := range inc {
		t.include[f] = true
	}
	for _, f := range exc {
		t.exclude[f] = true
	}
	for _, p := range c.list("renames") {
		from, to, ok := strings.Cut(p, ":")
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("Invalid value %s for configuration renames: Invalid rename mapping: %s", c["renames"], p)
		}
		t.renames[from], t.reverse[to] = to, from
	}
	return t, nil
}

func (t *replaceField) keep(name string) bool {
	return !t.exclude[name] && (len(t.include) == 0 || t.include[name])
}

func (t *replaceField) renamed(name string) string {
	if n, ok := t.renames[name]; ok {
		return n
	}
	return name
}

func (t *replaceField) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if v == nil {
		return r, nil
	}
	if s == nil {
		m, err := requireMap(v, "field replacement")
		if err != nil {
			return nil, err
		}
		nm := make(map[string]any, len(m))
		for k, x := range m {
			if t.keep(k) {
				nm[t.renamed(k)] = x
			}
		}
		return withOperand(r, t.key, nil, nm), nil
	}
	st, err := requireStruct(v, "field replacement")
	if err != nil {
		return nil, err
	}
	ns := t.schemas[s]
	if ns == nil {
		b := copyBasics(s)
		for _, f := range s.Fields {
			if t.keep(f.Name) {
				b.Field(t.renamed(f.Name), f.Schema)
			}
		}
		if ns, err = b.BuildChecked(); err != nil {
			return nil, fmt.Errorf("could not rename the fields of the %s: %w", which(t.key), err)
		}
		remember(t.schemas, s, ns)
	}
	out := api.NewStruct(ns)
	for i := range ns.Fields {
		orig := ns.Fields[i].Name
		if o, ok := t.reverse[orig]; ok {
			orig = o
		}
		out.PutIndex(i, get(st, s.Field(orig)))
	}
	return withOperand(r, t.key, ns, out), nil
}

// maskField is Kafka's MaskField: the listed fields take their type's empty value or the
// replacement.
type maskField struct {
	key         bool
	fields      map[string]bool
	replacement string
}

func newMaskField(c Config, key bool) (Transformation, error) {
	l := c.list("fields")
	if len(l) == 0 {
		return nil, fmt.Errorf("Invalid value [] for configuration fields: Empty list")
	}
	t := &maskField{key: key, fields: map[string]bool{}, replacement: c.str("replacement", "")}
	for _, f := range l {
		t.fields[f] = true
	}
	return t, nil
}

func (t *maskField) masked(s *api.Schema, v any) (any, error) {
	if t.replacement == "" {
		switch s.Type {
		case api.TypeInt8:
			return int8(0), nil
		case api.TypeInt16:
			return int16(0), nil
		case api.TypeInt32:
			if s.Name == api.DateName || s.Name == api.TimeName {
				return time.Unix(0, 0).UTC(), nil
			}
			return int32(0), nil
		case api.TypeInt64:
			if s.Name == api.TimestampName {
				return time.Unix(0, 0).UTC(), nil
			}
			return int64(0), nil
		case api.TypeFloat32:
			return float32(0), nil
		case api.TypeFloat64:
			return float64(0), nil
		case api.TypeBoolean:
			return false, nil
		case api.TypeString:
			return "", nil
		case api.TypeArray:
			return []any{}, nil
		case api.TypeMap:
			return []api.MapEntry{}, nil
		case api.TypeBytes:
			if s.Name != api.DecimalName {
				return []byte{}, nil
			}
		}
		return nil, fmt.Errorf("Cannot mask value of type: %s", s.Type)
	}
	out, err := castPrimitive(t.replacement, api.StringSchema, s.Type)
	if err != nil {
		return nil, fmt.Errorf("Unable to convert %s to %s: %w", t.replacement, s.Type, err)
	}
	return out, nil
}

func (t *maskField) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if v == nil {
		return nil, fmt.Errorf("MaskField cannot mask fields of a null %s", which(t.key))
	}
	if s == nil {
		return nil, fmt.Errorf("MaskField needs a schema: connectd's connectors always write one")
	}
	st, err := requireStruct(v, "masking")
	if err != nil {
		return nil, err
	}
	out := api.NewStruct(s)
	for i := range s.Fields {
		f := &s.Fields[i]
		x := get(st, f)
		if t.fields[f.Name] && x != nil {
			if x, err = t.masked(f.Schema, x); err != nil {
				return nil, err
			}
		}
		out.PutIndex(i, x)
	}
	return withOperand(r, t.key, s, out), nil
}

// flatten is Kafka's Flatten: nested struct fields become top-level fields named with the
// delimiter.
type flatten struct {
	key     bool
	delim   string
	schemas cache
}

func newFlatten(c Config, key bool) (Transformation, error) {
	return &flatten{key: key, delim: c.str("delimiter", "."), schemas: cache{}}, nil
}

func (t *flatten) name(prefix, n string) string {
	if prefix == "" {
		return n
	}
	return prefix + t.delim + n
}

func (t *flatten) buildSchema(s *api.Schema, prefix string, b *api.SchemaBuilder, optional bool, parentDefault *api.Struct) {
	for i := range s.Fields {
		f := &s.Fields[i]
		opt := optional || f.Schema.Optional
		var def any
		if f.Schema.HasDefault {
			def = f.Schema.Default
		} else if parentDefault != nil {
			def = parentDefault.GetIndex(f.Index)
		}
		if f.Schema.Type == api.TypeStruct {
			pd, _ := def.(*api.Struct)
			t.buildSchema(f.Schema, t.name(prefix, f.Name), b, opt, pd)
			continue
		}
		c := *f.Schema
		c.Optional = opt
		c.Default, c.HasDefault = def, def != nil
		b.Field(t.name(prefix, f.Name), &c)
	}
}

func (t *flatten) fill(st *api.Struct, out *api.Struct, ns *api.Schema, prefix string) {
	s := st.Schema()
	for i := range s.Fields {
		f := &s.Fields[i]
		v := get(st, f)
		if f.Schema.Type == api.TypeStruct {
			if nested, ok := v.(*api.Struct); ok {
				t.fill(nested, out, ns, t.name(prefix, f.Name))
			}
			continue
		}
		if nf := ns.Field(t.name(prefix, f.Name)); nf != nil {
			out.PutIndex(nf.Index, v)
		}
	}
}

func (t *flatten) flatMap(m map[string]any, prefix string, out map[string]any) {
	for k, v := range m {
		if nm, ok := v.(map[string]any); ok {
			t.flatMap(nm, t.name(prefix, k), out)
			continue
		}
		out[t.name(prefix, k)] = v
	}
}

func (t *flatten) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if v == nil {
		return r, nil // a null value passes unchanged, schema included, as in Kafka
	}
	if s == nil {
		m, err := requireMap(v, "flattening")
		if err != nil {
			return nil, err
		}
		out := map[string]any{}
		t.flatMap(m, "", out)
		return withOperand(r, t.key, nil, out), nil
	}
	if s.Type != api.TypeStruct {
		return nil, fmt.Errorf("Only Struct objects supported for [flattening], found: %s", s.Type)
	}
	ns := t.schemas[s]
	if ns == nil {
		b := copyBasics(s)
		pd, _ := s.Default.(*api.Struct)
		t.buildSchema(s, "", b, s.Optional, pd)
		var err error
		if ns, err = b.BuildChecked(); err != nil {
			return nil, fmt.Errorf("could not flatten the %s schema: %w", which(t.key), err)
		}
		remember(t.schemas, s, ns)
	}
	st, err := requireStruct(v, "flattening")
	if err != nil {
		return nil, err
	}
	out := api.NewStruct(ns)
	t.fill(st, out, ns, "")
	return withOperand(r, t.key, ns, out), nil
}

// cast is Kafka's Cast: primitive fields (or the whole primitive operand) to another primitive type.
type cast struct {
	key     bool
	whole   api.Type // non-zero: the whole operand
	fields  map[string]api.Type
	schemas cache
}

var castTypes = map[string]api.Type{"int8": api.TypeInt8, "int16": api.TypeInt16, "int32": api.TypeInt32, "int64": api.TypeInt64,
	"float32": api.TypeFloat32, "float64": api.TypeFloat64, "boolean": api.TypeBoolean, "string": api.TypeString}

func newCast(c Config, key bool) (Transformation, error) {
	spec := c.list("spec")
	if len(spec) == 0 {
		return nil, fmt.Errorf("Invalid value [] for configuration spec: Must specify at least one field to cast.")
	}
	t := &cast{key: key, fields: map[string]api.Type{}, schemas: cache{}}
	for _, p := range spec {
		f, ty, ok := strings.Cut(p, ":")
		if !ok {
			if len(spec) > 1 {
				return nil, fmt.Errorf("Invalid value %s for configuration spec: Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec", c["spec"])
			}
			ty = f
		}
		tt, known := castTypes[strings.ToLower(strings.TrimSpace(ty))]
		if !known {
			return nil, fmt.Errorf("Invalid value %s for configuration spec: Invalid type found in casting spec: %s", c["spec"], ty)
		}
		if !ok {
			t.whole = tt
		} else {
			t.fields[strings.TrimSpace(f)] = tt
		}
	}
	return t, nil
}

func castSchema(to api.Type, optional bool) *api.Schema {
	return &api.Schema{Type: to, Optional: optional}
}

func (t *cast) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	s, v := operand(r, t.key)
	if t.whole != 0 {
		if v == nil {
			return r, nil
		}
		out, err := castPrimitive(v, s, t.whole)
		if err != nil {
			return nil, err
		}
		var ns *api.Schema
		if s != nil {
			ns = castSchema(t.whole, s.Optional)
		}
		return withOperand(r, t.key, ns, out), nil
	}
	if v == nil {
		return r, nil
	}
	if s == nil {
		return nil, fmt.Errorf("Cast of fields needs a schema: connectd's connectors always write one")
	}
	st, err := requireStruct(v, "cast types")
	if err != nil {
		return nil, err
	}
	ns := t.schemas[s]
	if ns == nil {
		b := copyBasics(s)
		for _, f := range s.Fields {
			if to, ok := t.fields[f.Name]; ok {
				fs := castSchema(to, f.Schema.Optional)
				if f.Schema.HasDefault {
					d, err := castPrimitive(f.Schema.Default, f.Schema, to)
					if err != nil {
						return nil, err
					}
					fs.Default, fs.HasDefault = d, true
				}
				b.Field(f.Name, fs)
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
	out := api.NewStruct(ns)
	for i := range s.Fields {
		f := &s.Fields[i]
		x := get(st, f)
		if to, ok := t.fields[f.Name]; ok && x != nil {
			if x, err = castPrimitive(x, f.Schema, to); err != nil {
				return nil, err
			}
		}
		out.PutIndex(i, x)
	}
	return withOperand(r, t.key, ns, out), nil
}

// castPrimitive converts a primitive value as Kafka's Cast does (Java's narrowing for numbers,
// Java's toString for strings, Java's parse methods from strings).
func castPrimitive(v any, s *api.Schema, to api.Type) (any, error) {
	if s != nil && s.Name != "" && s.Name != api.DecimalName && (s.Type == api.TypeBytes || s.Type == api.TypeStruct) {
		return nil, fmt.Errorf("Cast does not support the logical type %s", s.Name)
	}
	var i int64
	var f float64
	isFloat := false
	switch x := v.(type) {
	case int8:
		i = int64(x)
	case int16:
		i = int64(x)
	case int32:
		i = int64(x)
	case int64:
		i = x
	case float32:
		f, isFloat = float64(x), true
	case float64:
		f, isFloat = x, true
	case bool:
		if x {
			i = 1
		}
		if to == api.TypeString {
			return strconv.FormatBool(x), nil
		}
	case string:
		return castString(x, to)
	default:
		return nil, fmt.Errorf("Value type %s is not supported by Cast", javaType(v))
	}
	if isFloat {
		switch to {
		case api.TypeFloat32:
			return float32(f), nil
		case api.TypeFloat64:
			return f, nil
		case api.TypeBoolean:
			return f != 0, nil
		case api.TypeString:
			if _, ok := v.(float32); ok {
				return string(javafmt.AppendFloat(nil, float32(f))), nil
			}
			return string(javafmt.AppendDouble(nil, f)), nil
		}
		i = javaD2L(f)
	}
	switch to {
	case api.TypeInt8:
		return int8(i), nil
	case api.TypeInt16:
		return int16(i), nil
	case api.TypeInt32:
		return int32(i), nil
	case api.TypeInt64:
		return i, nil
	case api.TypeFloat32:
		return float32(i), nil
	case api.TypeFloat64:
		return float64(i), nil
	case api.TypeBoolean:
		return i != 0, nil
	case api.TypeString:
		return strconv.FormatInt(i, 10), nil
	}
	return nil, fmt.Errorf("cannot cast to %s", to)
}

// javaD2L is Java's (long) cast of a double: NaN is 0, out of range saturates.
func javaD2L(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= 9.223372036854775807e18:
		return 1<<63 - 1
	case f <= -9.223372036854775808e18:
		return -1 << 63
	}
	return int64(f)
}

func castString(x string, to api.Type) (any, error) {
	switch to {
	case api.TypeString:
		return x, nil
	case api.TypeBoolean:
		return strings.EqualFold(x, "true"), nil
	case api.TypeFloat32, api.TypeFloat64:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, fmt.Errorf("could not cast %q to %s: %w", x, to, err)
		}
		if to == api.TypeFloat32 {
			return float32(f), nil
		}
		return f, nil
	}
	bits := map[api.Type]int{api.TypeInt8: 8, api.TypeInt16: 16, api.TypeInt32: 32, api.TypeInt64: 64}[to]
	n, err := strconv.ParseInt(x, 10, bits)
	if err != nil {
		return nil, fmt.Errorf("could not cast %q to %s: %w", x, to, err)
	}
	switch to {
	case api.TypeInt8:
		return int8(n), nil
	case api.TypeInt16:
		return int16(n), nil
	case api.TypeInt32:
		return int32(n), nil
	}
	return n, nil
}
