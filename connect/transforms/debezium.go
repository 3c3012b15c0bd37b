package transforms

import (
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect/api"
)

func init() {
	register(debeziumPkg+"HeaderToValue", newHeaderToValue)
	register(debeziumPkg+"ExtractChangedRecordState", newExtractChangedRecordState)
	register(debeziumPkg+"SchemaChangeEventFilter", newSchemaChangeEventFilter)
}

// headerToValue is Debezium's HeaderToValue: headers become fields of the value (top-level fields
// only; Debezium's dotted nested destinations are refused).
type headerToValue struct {
	headers, fields []string
	move            bool
	// schemas is keyed by the value schema only, as Debezium's cache: the headers present on the
	// first record of a schema decide the fields.
	schemas cache
}

func newHeaderToValue(c Config) (Transformation, error) {
	t := &headerToValue{headers: c.list("headers"), fields: c.list("fields"), schemas: cache{}}
	if len(t.headers) == 0 || len(t.fields) == 0 {
		return nil, fmt.Errorf("Missing required configuration \"headers\" and \"fields\"")
	}
	if len(t.headers) != len(t.fields) {
		return nil, fmt.Errorf("'fields' config must have the same number of elements as 'headers' config.")
	}
	for _, f := range t.fields {
		if strings.Contains(f, ".") {
			return nil, fmt.Errorf("Invalid value %s for configuration fields: nested destinations (with '.') are not supported by connectd", f)
		}
	}
	op, err := c.oneOf("operation", "", "move", "copy")
	if err != nil {
		return nil, err
	}
	t.move = op == "move"
	return t, nil
}

func (t *headerToValue) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	if r.Value == nil {
		return r, nil
	}
	st, err := requireStruct(r.Value, "Header field insertion")
	if err != nil {
		return nil, err
	}
	found := map[string]*api.Header{}
	for i := range r.Headers {
		h := &r.Headers[i]
		if contains(t.headers, h.Key) {
			if _, dup := found[h.Key]; dup {
				return nil, fmt.Errorf("Duplicate key %s", h.Key)
			}
			found[h.Key] = h
		}
	}
	if len(found) == 0 {
		return r, nil
	}
	s := r.ValueSchema
	ns := t.schemas[s]
	if ns == nil {
		b := copyBasics(s)
		for _, f := range s.Fields {
			b.Field(f.Name, f.Schema)
		}
		for i, h := range t.headers {
			if hv := found[h]; hv != nil {
				b.Field(t.fields[i], hv.Schema)
			}
		}
		if ns, err = b.BuildChecked(); err != nil {
			return nil, fmt.Errorf("could not add the headers to the value schema: %w", err)
		}
		remember(t.schemas, s, ns)
	}
	out := api.NewStruct(ns)
	for i := range s.Fields {
		out.PutIndex(i, get(st, &s.Fields[i]))
	}
	for i, h := range t.headers {
		if hv := found[h]; hv != nil {
			if err := out.Put(t.fields[i], hv.Value); err != nil {
				return nil, fmt.Errorf("could not put header %s into field %s: %w", h, t.fields[i], err)
			}
		}
	}
	cp := *r
	cp.ValueSchema, cp.Value = ns, out
	if t.move {
		cp.Headers = nil
		for _, h := range r.Headers {
			if !contains(t.headers, h.Key) {
				cp.Headers = append(cp.Headers, h)
			}
		}
	}
	return &cp, nil
}

// extractChangedRecordState is Debezium's ExtractChangedRecordState: an update event gets headers
// listing the fields whose value changed and those that did not.
type extractChangedRecordState struct {
	changed, unchanged             string
	changedSchema, unchangedSchema *api.Schema
}

func newExtractChangedRecordState(c Config) (Transformation, error) {
	t := &extractChangedRecordState{changed: c.str("header.changed.name", ""), unchanged: c.str("header.unchanged.name", "")}
	t.changedSchema = api.ArraySchema(api.OptionalStringSchema).Optional().Name(t.changed).Build()
	t.unchangedSchema = api.ArraySchema(api.OptionalStringSchema).Optional().Name(t.unchanged).Build()
	return t, nil
}

func (t *extractChangedRecordState) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	env, ok := r.Value.(*api.Struct)
	if !ok || r.ValueSchema == nil || !strings.HasSuffix(r.ValueSchema.Name, ".Envelope") {
		return r, nil
	}
	after, _ := env.Get("after").(*api.Struct)
	before, _ := env.Get("before").(*api.Struct)
	// Debezium 3 adds the headers to every change event; they list fields only for an update
	// with both states. Values compare by content (Objects.deepEquals), bytes included.
	var changed, unchanged []any
	if after != nil && before != nil {
		for i := range after.Schema().Fields {
			f := &after.Schema().Fields[i]
			bf := before.Schema().Field(f.Name)
			if bf != nil && api.ValueEqual(after.GetIndex(f.Index), before.GetIndex(bf.Index)) {
				unchanged = append(unchanged, f.Name)
			} else {
				changed = append(changed, f.Name)
			}
		}
		for _, f := range before.Schema().Fields {
			if after.Schema().Field(f.Name) == nil {
				changed = append(changed, f.Name)
			}
		}
	}
	cp := *r
	cp.Headers = append(make([]api.Header, 0, len(r.Headers)+2), r.Headers...)
	if t.changed != "" {
		cp.Headers = append(cp.Headers, api.Header{Key: t.changed, Schema: t.changedSchema, Value: nonNil(changed)})
	}
	if t.unchanged != "" {
		cp.Headers = append(cp.Headers, api.Header{Key: t.unchanged, Schema: t.unchangedSchema, Value: nonNil(unchanged)})
	}
	return &cp, nil
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// schemaChangeEventFilter is Debezium's SchemaChangeEventFilter (3.x): a schema change event is
// dropped when its type (of the first table change; DATABASE when there is none) is in
// schema.change.event.exclude.list, or when it has no tableChanges.
type schemaChangeEventFilter struct{ exclude map[string]bool }

var schemaChangeTypes = []string{"CREATE", "ALTER", "DROP", "TRUNCATE", "DATABASE"}

func newSchemaChangeEventFilter(c Config) (Transformation, error) {
	v, err := c.required("schema.change.event.exclude.list")
	if err != nil {
		return nil, err
	}
	t := &schemaChangeEventFilter{exclude: map[string]bool{}}
	for _, typ := range strings.Split(v, ",") {
		if !contains(schemaChangeTypes, typ) {
			return nil, fmt.Errorf("Invalid value %s for configuration schema.change.event.exclude.list: %q is not one of %s", v, typ, strings.Join(schemaChangeTypes, ", "))
		}
		t.exclude[typ] = true
	}
	return t, nil
}

func (t *schemaChangeEventFilter) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	st, ok := r.Value.(*api.Struct)
	if !ok || r.ValueSchema == nil || !strings.HasSuffix(r.ValueSchema.Name, ".SchemaChangeValue") {
		return r, nil
	}
	changes, ok := st.Get("tableChanges").([]any)
	if !ok {
		return nil, nil
	}
	typ := "DATABASE"
	if len(changes) > 0 {
		if c, ok := changes[0].(*api.Struct); ok {
			typ, _ = c.Get("type").(string)
		}
	}
	if t.exclude[typ] {
		return nil, nil
	}
	return r, nil
}

func init() {
	register(debeziumPkg+"partitions.PartitionRouting", newPartitionRouting)
}

// partitionRouting is Debezium's PartitionRouting: the Kafka partition of a change event is the
// sum of the Java hashCodes of the listed fields, modulo partition.topic.num.
type partitionRouting struct {
	fields [][]string
	num    int32
}

func newPartitionRouting(c Config) (Transformation, error) {
	t := &partitionRouting{}
	for _, f := range c.list("partition.payload.fields") {
		parts := strings.Split(f, ".")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		t.fields = append(t.fields, parts)
	}
	if len(t.fields) == 0 {
		return nil, fmt.Errorf("Missing required configuration \"partition.payload.fields\" which has no default value.")
	}
	n, err := c.integer("partition.topic.num", 0)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, fmt.Errorf("Invalid value %s for configuration partition.topic.num: a positive number of partitions is required", c["partition.topic.num"])
	}
	t.num = int32(n)
	if fn := strings.ToLower(c.str("partition.hash.function", "java")); fn != "java" {
		return nil, fmt.Errorf("Invalid value %s for configuration partition.hash.function: only java is supported by connectd", fn)
	}
	return t, nil
}

// javaHashCode is Object.hashCode of the Java value a Connect value stands for.
func javaHashCode(v any) (int32, error) {
	switch x := v.(type) {
	case string:
		var h int32
		for _, u := range utf16Units(x) {
			h = 31*h + int32(u)
		}
		return h, nil
	case int8:
		return int32(x), nil
	case int16:
		return int32(x), nil
	case int32:
		return x, nil
	case int64:
		return int32(x ^ int64(uint64(x)>>32)), nil
	case bool:
		if x {
			return 1231, nil
		}
		return 1237, nil
	}
	return 0, fmt.Errorf("PartitionRouting on a %s value is not supported by connectd (Java's hashCode of it is not reproduced)", javaType(v))
}

func utf16Units(s string) []uint16 {
	out := make([]uint16, 0, len(s))
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
		} else {
			out = append(out, uint16(r))
		}
	}
	return out
}

func (t *partitionRouting) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	env, ok := r.Value.(*api.Struct)
	if !ok || r.ValueSchema == nil || !strings.HasSuffix(r.ValueSchema.Name, ".Envelope") {
		return r, nil
	}
	op, _ := env.Get("op").(string)
	if op == "t" || op == "m" || env.Schema().Field("op") == nil {
		return r, nil // truncate and generic messages keep their partition
	}
	var sum int32
	found := false
	for _, path := range t.fields {
		st := env
		missing := false
		for _, p := range path[:len(path)-1] {
			if p == "change" {
				p = "after"
				if op == "d" {
					p = "before"
				}
			}
			f := st.Schema().Field(p)
			if f == nil {
				missing = true
				break
			}
			next, ok := get(st, f).(*api.Struct)
			if !ok {
				missing = true // a null parent (after of a delete): Debezium 3 skips the field
				break
			}
			st = next
		}
		if missing {
			continue
		}
		f := st.Schema().Field(path[len(path)-1])
		if f == nil {
			continue
		}
		v := get(st, f)
		if v == nil {
			continue
		}
		h, err := javaHashCode(v)
		if err != nil {
			return nil, err
		}
		sum += h
		found = true
	}
	if !found {
		return r, nil
	}
	cp := *r
	cp.Partition = (sum & 0x7fffffff) % t.num
	return &cp, nil
}
