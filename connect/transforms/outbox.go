package transforms

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
)

func init() {
	register(debeziumPkg+"outbox.EventRouter", newEventRouter)
}

// eventRouter is Debezium's outbox EventRouter: each insert into an outbox table becomes an event
// on the topic its route.by.field names, keyed by the aggregate id, with the payload as value.
type eventRouter struct {
	fieldID, fieldKey, fieldTimestamp, fieldPayload, fieldPayloadID, fieldVersion, routeBy string
	tombstoneOnEmpty, expandJSON, ignoreMissing                                            bool
	invalidOp                                                                              string // warn, error or fatal
	extra                                                                                  []outboxField
	onlyPayload                                                                            bool
	router                                                                                 *regexRouter
	// valueSchema is built once from the first event (Debezium caches it so, and names it after
	// the first event's routed topic); versioned holds one per schema version.
	valueSchema *api.Schema
	versioned   map[int32]*api.Schema
}

// outboxField is a table.fields.additional.placement entry.
type outboxField struct {
	field, placement, alias string
}

func newEventRouter(c Config) (Transformation, error) {
	t := &eventRouter{
		fieldID: c.str("table.field.event.id", "id"), fieldKey: c.str("table.field.event.key", "aggregateid"),
		fieldTimestamp: c.str("table.field.event.timestamp", ""), fieldPayload: c.str("table.field.event.payload", "payload"),
		fieldPayloadID: c.str("table.field.event.payload.id", "aggregateid"), fieldVersion: c.str("table.field.event.schema.version", ""),
		routeBy: c.str("route.by.field", "aggregatetype"), versioned: map[int32]*api.Schema{},
	}
	var err error
	if t.tombstoneOnEmpty, err = c.boolean("route.tombstone.on.empty.payload", false); err != nil {
		return nil, err
	}
	if t.expandJSON, err = c.boolean("table.expand.json.payload", false); err != nil {
		return nil, err
	}
	key := "table.op.invalid.behavior"
	if _, ok := c[key]; !ok {
		if _, ok := c["debezium.op.invalid.behavior"]; ok {
			key = "debezium.op.invalid.behavior"
		}
	}
	if t.invalidOp, err = c.oneOf(key, "warn", "warn", "error", "fatal"); err != nil {
		return nil, err
	}
	missing, err := c.oneOf("table.field.additional.missing", "error", "error", "ignore")
	if err != nil {
		return nil, err
	}
	t.ignoreMissing = missing == "ignore"
	for _, k := range []string{"table.json.payload.null.behavior", "table.json.payload.empty.array.behavior"} {
		if v := c.str(k, "ignore"); !strings.EqualFold(v, "ignore") {
			return nil, fmt.Errorf("Invalid value %s for configuration %s: only ignore (the default) is supported by connectd", v, k)
		}
	}
	t.onlyPayload = true
	for _, item := range c.list("table.fields.additional.placement") {
		parts := strings.Split(item, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("Invalid value %s for configuration table.fields.additional.placement: expected column:placement[:alias]", item)
		}
		f := outboxField{field: parts[0], placement: strings.ToLower(parts[1]), alias: parts[0]}
		if len(parts) == 3 {
			f.alias = parts[2]
		}
		switch f.placement {
		case "envelope":
			t.onlyPayload = false
		case "header", "partition":
		default:
			return nil, fmt.Errorf("Invalid value %s for configuration table.fields.additional.placement: placement %s is not one of envelope, header, partition", item, parts[1])
		}
		t.extra = append(t.extra, f)
	}
	re, err := javaRegexp(c.str("route.topic.regex", "(?<routedByValue>.*)"), true)
	if err != nil {
		return nil, fmt.Errorf("Invalid value %s for configuration route.topic.regex: %w", c["route.topic.regex"], err)
	}
	t.router = &regexRouter{re: re, repl: javaReplacement(c.str("route.topic.replacement", "outbox.event.${routedByValue}"))}
	return t, nil
}

func (t *eventRouter) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	if r.Value == nil {
		return nil, nil // tombstones of the outbox table are not events
	}
	env, ok := r.Value.(*api.Struct)
	vs := r.ValueSchema
	if !ok || vs == nil || !strings.HasSuffix(vs.Name, ".Envelope") {
		return r, nil
	}
	op, _ := env.Get("op").(string)
	switch op {
	case "d":
		return nil, nil
	case "u":
		if t.invalidOp == "fatal" {
			return nil, fmt.Errorf("Unexpected update message received %v, fail.", r.Key)
		}
		return nil, nil
	}
	afterF := vs.Field("after")
	if afterF == nil {
		return nil, fmt.Errorf("the envelope %s has no after field", vs.Name)
	}
	after, ok := env.GetIndex(afterF.Index).(*api.Struct)
	if !ok {
		return nil, fmt.Errorf("Only Struct objects supported for [Read Outbox Event], found: null")
	}
	es := afterF.Schema
	payloadF := es.Field(t.fieldPayload)
	if payloadF == nil {
		return nil, fmt.Errorf("Unable to find payload field %s in event", t.fieldPayload)
	}
	ts, err := t.timestamp(env, after)
	if err != nil {
		return nil, err
	}
	idF := es.Field(t.fieldID)
	if idF == nil {
		return nil, fmt.Errorf("Unable to find event-id field %s in event", t.fieldID)
	}
	payloadSchema, payload := payloadF.Schema, get(after, payloadF)
	headers := append(make([]api.Header, 0, len(r.Headers)+1+len(t.extra)), r.Headers...)
	headers = append(headers, api.Header{Key: "id", Schema: idF.Schema, Value: get(after, idF)})
	if s, ok := payload.(string); ok && t.expandJSON {
		if ps, pv, _ := expandJSON(t.fieldPayload, s); ps != nil {
			payloadSchema, payload = ps, pv
		}
	}
	routeF := es.Field(t.routeBy)
	if routeF == nil {
		return nil, fmt.Errorf("%s is not a valid field name", t.routeBy)
	}
	topic, _ := get(after, routeF).(string)
	var value *api.Struct
	var valueSchema *api.Schema
	if !t.onlyPayload {
		if valueSchema, err = t.schemaFor(es, after, topic); err != nil {
			return nil, err
		}
		value = api.NewStruct(valueSchema)
		if err := value.Put("payload", payload); err != nil {
			return nil, fmt.Errorf("could not put the payload into the outbox event: %w", err)
		}
	}
	partition := int32(-1)
	for _, f := range t.extra {
		ff := es.Field(f.field)
		if ff == nil {
			if t.ignoreMissing {
				continue
			}
			return nil, fmt.Errorf("%s is not a valid field name", f.field)
		}
		switch f.placement {
		case "envelope":
			if err := value.Put(f.alias, get(after, ff)); err != nil {
				return nil, fmt.Errorf("could not add field %s to the outbox event: %w", f.field, err)
			}
		case "header":
			headers = append(headers, api.Header{Key: f.alias, Schema: ff.Schema, Value: get(after, ff)})
		case "partition":
			p, ok := get(after, ff).(int32)
			if ff.Schema.Type != api.TypeInt32 || (!ok && get(after, ff) != nil) {
				return nil, fmt.Errorf("Field %s used as the partition is not an INT32 field", f.field)
			}
			if ok {
				partition = p
			}
		}
	}
	out := &api.SourceRecord{SourcePartition: r.SourcePartition, SourceOffset: r.SourceOffset, Topic: topic, Partition: partition,
		Timestamp: ts, Headers: headers}
	out.KeySchema, out.Key = t.key(es, after)
	isDelete := payload == nil
	if s, ok := payload.(string); ok && strings.TrimSpace(s) == "" {
		isDelete = true
	}
	switch {
	case isDelete && t.tombstoneOnEmpty:
	case t.onlyPayload:
		out.ValueSchema, out.Value = payloadSchema, payload
	default:
		out.ValueSchema, out.Value = valueSchema, value
	}
	return t.router.Apply(out)
}

func (t *eventRouter) timestamp(env, after *api.Struct) (time.Time, error) {
	envTS := func() time.Time {
		if v, ok := env.Get("ts_ms").(int64); ok {
			return time.UnixMilli(v)
		}
		return time.Time{}
	}
	if t.fieldTimestamp == "" {
		return envTS(), nil
	}
	f := after.Schema().Field(t.fieldTimestamp)
	if f == nil {
		return time.Time{}, fmt.Errorf("Unable to find timestamp field %s in event", t.fieldTimestamp)
	}
	v, ok := get(after, f).(int64)
	if !ok {
		if get(after, f) == nil {
			return envTS(), nil
		}
		return time.Time{}, fmt.Errorf("Unsupported field type %s for event timestamp", f.Schema.Type)
	}
	switch f.Schema.Name {
	case api.DebeziumTimestampName:
		return time.UnixMilli(v), nil
	case api.MicroTimestampName:
		return time.UnixMilli(v / 1000), nil
	case api.NanoTimestampName:
		return time.UnixMilli(v / 1_000_000), nil
	case "":
		return time.Time{}, fmt.Errorf("Unsupported field type %s (without logical schema name) for event timestamp", f.Schema.Type)
	}
	return time.Time{}, fmt.Errorf("Unsupported field type %s for event timestamp", f.Schema.Name)
}

func (t *eventRouter) key(es *api.Schema, after *api.Struct) (*api.Schema, any) {
	fallback := es.Field(t.fieldPayloadID)
	var ks *api.Schema
	var kv any
	if kf := es.Field(t.fieldKey); kf != nil {
		ks, kv = kf.Schema, get(after, kf)
	}
	if fallback != nil && kv == nil {
		kv = get(after, fallback)
	}
	if ks == nil {
		if fallback != nil {
			ks = fallback.Schema
		} else {
			ks = api.StringSchema
		}
	}
	return ks, kv
}

func (t *eventRouter) schemaFor(es *api.Schema, after *api.Struct, topic string) (*api.Schema, error) {
	var version int32
	if t.fieldVersion != "" {
		f := es.Field(t.fieldVersion)
		if f == nil {
			return nil, fmt.Errorf("%s is not a valid field name", t.fieldVersion)
		}
		v, _ := get(after, f).(int32)
		version = v
		if s := t.versioned[version]; s != nil {
			return s, nil
		}
	} else if t.valueSchema != nil {
		return t.valueSchema, nil
	}
	name := topic
	if n := es.Name; n != "" {
		if i := strings.LastIndexByte(n, '.'); i >= 0 {
			name = n[:i+1] + topic + "." + n[i+1:]
		} else {
			name = topic + "." + n
		}
	}
	b := api.StructSchema().Name(name).Field("payload", es.Field(t.fieldPayload).Schema)
	for _, f := range t.extra {
		if f.placement == "envelope" {
			ff := es.Field(f.field)
			if ff == nil {
				if t.ignoreMissing {
					continue
				}
				return nil, fmt.Errorf("%s is not a valid field name", f.field)
			}
			b.Field(f.alias, ff.Schema)
		}
	}
	if t.fieldVersion != "" {
		b.Version(int(version))
	}
	s, err := b.BuildChecked()
	if err != nil {
		return nil, fmt.Errorf("could not build the outbox event schema: %w", err)
	}
	if t.fieldVersion != "" {
		remember(t.versioned, version, s)
	} else {
		t.valueSchema = s
	}
	return s, nil
}

// jsonNode is a parsed JSON value that keeps object member order, as Jackson's tree does.
type jsonNode struct {
	kind   byte // 's' string, 'b' bool, 'n' number, 'a' array, 'o' object, 'z' null
	str    string
	num    json.Number
	b      bool
	items  []*jsonNode
	keys   []string
	fields []*jsonNode
}

func parseJSONNode(d *json.Decoder) (*jsonNode, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &jsonNode{kind: 'o'}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				child, err := parseJSONNode(d)
				if err != nil {
					return nil, err
				}
				n.keys, n.fields = append(n.keys, k), append(n.fields, child)
			}
			_, err := d.Token()
			return n, err
		case '[':
			n := &jsonNode{kind: 'a'}
			for d.More() {
				child, err := parseJSONNode(d)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, child)
			}
			_, err := d.Token()
			return n, err
		}
	case string:
		return &jsonNode{kind: 's', str: v}, nil
	case bool:
		return &jsonNode{kind: 'b', b: v}, nil
	case json.Number:
		return &jsonNode{kind: 'n', num: v}, nil
	case nil:
		return &jsonNode{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// numberKind is how Jackson reads a JSON number: 'i' int, 'l' long, 'd' double (also for
// integers too big for a long, which Jackson reads as BigInteger and the schema maps to double).
func numberKind(n json.Number) byte {
	s := string(n)
	if strings.ContainsAny(s, ".eE") {
		return 'd'
	}
	v, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 'd'
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 'i'
	}
	return 'l'
}

// expandJSON turns an outbox payload holding a JSON object into a struct, inferring the schema as
// Debezium's table.expand.json.payload does (JsonSchemaData): structs named by their path from
// name, optional fields, null members and empty arrays left out. An error leaves the payload a
// string, as in Debezium. One difference: the union schema of an array of objects with different
// members lists the members in the order they first appear, where Debezium's order follows a Java
// HashSet of schemas and can change from one JVM run to the next.
func expandJSON(name, s string) (*api.Schema, any, error) {
	if !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
		return nil, nil, errors.New("not a JSON object or array")
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	root, err := parseJSONNode(d)
	if err != nil {
		return nil, nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, nil, errors.New("trailing data after the JSON payload")
	}
	schema, err := nodeSchema(name, root)
	if err != nil || schema == nil {
		return nil, nil, fmt.Errorf("no schema for the JSON payload: %w", err)
	}
	if root.kind != 'o' {
		// Debezium has then already replaced the schema but keeps the string, which the converter
		// refuses: the same record fails the same way here.
		return schema, s, errors.New("only a JSON object becomes a struct")
	}
	v, err := jsonValue(root, schema)
	if err != nil {
		return schema, s, err
	}
	return schema, v, nil
}

// nodeSchema is JsonSchemaData.toConnectSchema: nil for a null or an empty array (the member is
// left out).
func nodeSchema(key string, n *jsonNode) (*api.Schema, error) {
	switch n.kind {
	case 's':
		return api.OptionalStringSchema, nil
	case 'b':
		return api.OptionalBooleanSchema, nil
	case 'n':
		return numberSchema(n.num), nil
	case 'a':
		if len(n.items) == 0 {
			return nil, nil
		}
		elem, err := arrayElemSchema(key, n)
		if err != nil {
			return nil, err
		}
		return api.ArraySchema(elem).Optional().Build(), nil
	case 'o':
		b := api.StructSchema().Name(key).Optional()
		seen := map[string]bool{}
		for i, k := range n.keys {
			fk := k
			if key != "" {
				fk = key + "." + k
			}
			fs, err := nodeSchema(fk, n.fields[i])
			if err != nil {
				return nil, err
			}
			if fs != nil && !seen[k] {
				seen[k] = true
				b.Field(k, fs)
			}
		}
		return b.BuildChecked()
	}
	return nil, nil
}

func numberSchema(n json.Number) *api.Schema {
	switch numberKind(n) {
	case 'i':
		return api.OptionalInt32Schema
	case 'l':
		return api.OptionalInt64Schema
	}
	return api.OptionalFloat64Schema
}

// arrayElemSchema checks that the array is homogeneous (nulls aside, numbers of one schema) and
// returns its element schema: for objects, the merge of their distinct schemas.
func arrayElemSchema(key string, n *jsonNode) (*api.Schema, error) {
	var first *jsonNode
	for _, it := range n.items {
		if it.kind == 'z' {
			continue
		}
		if first == nil {
			first = it
		}
		if it.kind != first.kind {
			return nil, errors.New("Field is not a homogenous array")
		}
		if it.kind == 'n' && numberSchema(it.num) != numberSchema(first.num) {
			return nil, errors.New("Field is not a homogenous array, different number types")
		}
	}
	if first == nil {
		return nil, errors.New("Array has unrecognized member schema")
	}
	if first.kind != 'o' {
		s, err := nodeSchema("", first)
		if err == nil && s == nil {
			err = errors.New("Array has unrecognized member schema")
		}
		return s, err
	}
	var distinct []*api.Schema
	for _, it := range n.items {
		if it.kind != 'o' {
			continue
		}
		s, err := nodeSchema(key, it)
		if err != nil {
			return nil, err
		}
		dup := false
		for _, d := range distinct {
			if d.Equal(s) {
				dup = true
				break
			}
		}
		if !dup {
			distinct = append(distinct, s)
		}
	}
	if len(distinct) == 1 {
		return distinct[0], nil
	}
	// Merged as Debezium's mergeSchema: the basics of the first (so required), members by name,
	// the first schema of a member winning.
	b := api.StructSchema().Name(distinct[0].Name)
	seen := map[string]bool{}
	for _, d := range distinct {
		for _, f := range d.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				b.Field(f.Name, f.Schema)
			}
		}
	}
	return b.BuildChecked()
}

// jsonValue converts n to the Go value of schema s, failing where Kafka's Struct.put would refuse
// the value (Debezium then keeps the payload a string).
func jsonValue(n *jsonNode, s *api.Schema) (any, error) {
	switch n.kind {
	case 'z':
		return nil, nil
	case 's':
		if s.Type != api.TypeString {
			return nil, errors.New("type mismatch")
		}
		return n.str, nil
	case 'b':
		if s.Type != api.TypeBoolean {
			return nil, errors.New("type mismatch")
		}
		return n.b, nil
	case 'n':
		switch numberKind(n.num) {
		case 'i':
			if s.Type == api.TypeInt32 {
				v, _ := strconv.ParseInt(string(n.num), 10, 32)
				return int32(v), nil
			}
		case 'l':
			if s.Type == api.TypeInt64 {
				v, _ := strconv.ParseInt(string(n.num), 10, 64)
				return v, nil
			}
		default:
			if s.Type == api.TypeFloat64 && strings.ContainsAny(string(n.num), ".eE") {
				return strconv.ParseFloat(string(n.num), 64)
			}
		}
		return nil, errors.New("type mismatch")
	case 'a':
		if s.Type != api.TypeArray {
			return nil, errors.New("type mismatch")
		}
		out := make([]any, 0, len(n.items))
		for _, it := range n.items {
			v, err := jsonValue(it, s.ValueSchema)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case 'o':
		if s.Type != api.TypeStruct {
			return nil, errors.New("type mismatch")
		}
		st := api.NewStruct(s)
		for i := range s.Fields {
			f := &s.Fields[i]
			for j, k := range n.keys {
				if k == f.Name {
					v, err := jsonValue(n.fields[j], f.Schema)
					if err != nil {
						return nil, err
					}
					if v == nil && !f.Schema.Optional {
						return nil, errors.New("null for a required field")
					}
					st.PutIndex(i, v)
				}
			}
		}
		return st, nil
	}
	return nil, errors.New("unsupported JSON value")
}
