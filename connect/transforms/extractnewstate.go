package transforms

import (
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect/api"
)

const debeziumPkg = "io.debezium.transforms."

func init() {
	register(debeziumPkg+"ExtractNewRecordState", newExtractNewRecordState)
}

// Delete and tombstone handling of ExtractNewRecordState (delete.tombstone.handling.mode, or the
// legacy drop.tombstones with delete.handling.mode).
type deleteMode uint8

const (
	deleteDrop      deleteMode = iota // the delete event is dropped
	deleteTombstone                   // the delete event becomes a record with a null value
	deleteRewrite                     // the delete event becomes its before state with __deleted=true
)

// extractNewRecordState is Debezium's ExtractNewRecordState: a change event becomes the row's new
// state (the envelope's after), with delete events, tombstones, added fields and headers, topic
// routing and dropped fields as configured.
type extractNewRecordState struct {
	dropTombstones bool
	deletes        deleteMode
	rewrite        bool // inserts and updates get __deleted=false
	fields         []fieldRef
	headers        []fieldRef
	routeBy        string
	dropHeader     string
	dropFromKey    bool
	dropCompatible bool
	// replaceNull is replace.null.with.default, passed to the InsertField that adds __deleted:
	// in the rewrite modes a null field with a default takes the default, as in Debezium.
	replaceNull bool
	// schemas caches the after/before schema with the added fields, per schema and rewrite flag.
	schemas map[enrsKey]*api.Schema
	// drops caches ReplaceField-like projections used by drop.fields.header.name.
	drops map[dropKey]*api.Schema
}

type enrsKey struct {
	s       *api.Schema
	deleted string // "", "true" or "false"
}

type dropKey struct {
	s      *api.Schema
	fields string
}

// fieldRef is an add.fields / add.headers entry: a field of the envelope (op, ts_ms, ts_us, ...),
// of its source block (the default) or of its transaction block, and the name it gets.
type fieldRef struct {
	block, field, name string
}

func parseFieldRefs(prefix, v string) ([]fieldRef, error) {
	var out []fieldRef
	for _, item := range List(v) {
		spec, rename, renamed := strings.Cut(item, ":")
		if renamed && strings.Contains(rename, ":") {
			return nil, fmt.Errorf("Unexpected field name: %s", item)
		}
		ref := fieldRef{}
		if b, f, ok := strings.Cut(spec, "."); ok {
			ref.block, ref.field = b, f
		} else {
			ref.field = spec
			switch spec {
			case "id", "total_order", "data_collection_order":
				ref.block = "transaction"
			case "op", "ts_ms", "ts_us", "ts_ns":
			default:
				ref.block = "source"
			}
		}
		switch {
		case renamed:
			ref.name = prefix + rename
		case ref.block != "" && strings.Contains(spec, "."):
			ref.name = prefix + ref.block + "_" + ref.field
		default:
			ref.name = prefix + ref.field
		}
		out = append(out, ref)
	}
	return out, nil
}

// find returns the field's schema in the envelope and its value, or nil when the envelope has no
// such field (Debezium skips it then). A field missing from its block is looked up at the top
// level, where another SMT may have put it.
func (f fieldRef) find(env *api.Struct) (*api.Schema, any, bool) {
	es := env.Schema()
	if f.block != "" {
		if bf := es.Field(f.block); bf != nil && bf.Schema.Type == api.TypeStruct {
			if ff := bf.Schema.Field(f.field); ff != nil {
				var v any
				if blk, ok := env.GetIndex(bf.Index).(*api.Struct); ok {
					v = blk.GetIndex(ff.Index)
				}
				return ff.Schema, v, true
			}
		}
	}
	if ff := es.Field(f.field); ff != nil {
		return ff.Schema, env.GetIndex(ff.Index), true
	}
	return nil, nil, false
}

// optionalCopy is the field schema Debezium gives an added field or header: its basics, optional,
// without default.
func optionalCopy(s *api.Schema) *api.Schema {
	c := *s
	c.Optional, c.Default, c.HasDefault = true, nil, false
	if c.Type == api.TypeStruct {
		c.Fields = nil
	}
	return &c
}

func newExtractNewRecordState(c Config) (Transformation, error) {
	t := &extractNewRecordState{schemas: map[enrsKey]*api.Schema{}, drops: map[dropKey]*api.Schema{}}
	// Debezium 3 removed drop.tombstones and delete.handling.mode: they are ignored, as there.
	mode, err := c.oneOf("delete.tombstone.handling.mode", "tombstone", "drop", "tombstone", "rewrite", "rewrite-with-tombstone")
	if err != nil {
		return nil, err
	}
	switch mode {
	case "drop":
		t.dropTombstones, t.deletes = true, deleteDrop
	case "tombstone":
		t.dropTombstones, t.deletes = true, deleteTombstone
	case "rewrite":
		t.dropTombstones, t.deletes, t.rewrite = true, deleteRewrite, true
	case "rewrite-with-tombstone":
		t.dropTombstones, t.deletes, t.rewrite = false, deleteRewrite, true
	}
	if t.fields, err = parseFieldRefs(c.str("add.fields.prefix", "__"), c["add.fields"]); err != nil {
		return nil, err
	}
	if t.headers, err = parseFieldRefs(c.str("add.headers.prefix", "__"), c["add.headers"]); err != nil {
		return nil, err
	}
	if t.replaceNull, err = c.boolean("replace.null.with.default", true); err != nil {
		return nil, err
	}
	t.routeBy = c.str("route.by.field", "")

	t.dropHeader = c.str("drop.fields.header.name", "")
	if t.dropFromKey, err = c.boolean("drop.fields.from.key", false); err != nil {
		return nil, err
	}
	if t.dropCompatible, err = c.boolean("drop.fields.keep.schema.compatible", true); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *extractNewRecordState) addHeaders(r *api.SourceRecord, env *api.Struct) *api.SourceRecord {
	if len(t.headers) == 0 {
		return r
	}
	cp := *r
	cp.Headers = append(make([]api.Header, 0, len(r.Headers)+len(t.headers)), r.Headers...)
	for _, h := range t.headers {
		if env == nil {
			if h.field == "op" && h.block == "" {
				cp.Headers = append(cp.Headers, api.Header{Key: h.name, Schema: api.StringSchema, Value: "d"})
			}
			continue
		}
		if s, v, ok := h.find(env); ok {
			cp.Headers = append(cp.Headers, api.Header{Key: h.name, Schema: optionalCopy(s), Value: v})
		}
	}
	return &cp
}

func (t *extractNewRecordState) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	if r.Value == nil {
		if t.dropTombstones {
			return nil, nil
		}
		return t.addHeaders(r, nil), nil
	}
	vs := r.ValueSchema
	env, ok := r.Value.(*api.Struct)
	if !ok || vs == nil || !strings.HasSuffix(vs.Name, ".Envelope") {
		return r, nil // not a change event (a heartbeat, a schema change): passed unchanged
	}
	r = t.addHeaders(r, env)
	afterF, beforeF := vs.Field("after"), vs.Field("before")
	if afterF == nil || beforeF == nil {
		return nil, fmt.Errorf("the envelope %s has no before or after field", vs.Name)
	}
	after, _ := env.GetIndex(afterF.Index).(*api.Struct)
	before, _ := env.GetIndex(beforeF.Index).(*api.Struct)
	if opF := vs.Field("op"); opF != nil && env.GetIndex(opF.Index) == "t" || after == nil && before == nil {
		return nil, nil // a truncate event
	}
	out := *r
	if after == nil {
		if err := t.route(&out, before); err != nil {
			return nil, err
		}
		switch t.deletes {
		case deleteDrop:
			return nil, nil
		case deleteTombstone:
			out.ValueSchema, out.Value = afterF.Schema, nil
			return t.dropFields(&out)
		}
		s, v := t.withFields(beforeF.Schema, before, env, "true")
		out.ValueSchema, out.Value = s, v
		return t.dropFields(&out)
	}
	if err := t.route(&out, after); err != nil {
		return nil, err
	}
	deleted := ""
	if t.rewrite {
		deleted = "false"
	}
	s, v := t.withFields(afterF.Schema, after, env, deleted)
	out.ValueSchema, out.Value = s, v
	return t.dropFields(&out)
}

// route sets the topic to the route.by.field value of the row state; a null value keeps the topic.
func (t *extractNewRecordState) route(r *api.SourceRecord, row *api.Struct) error {
	if t.routeBy == "" {
		return nil
	}
	f := row.Schema().Field(t.routeBy)
	if f == nil {
		return fmt.Errorf("route.by.field %s is not a field of %s", t.routeBy, row.Schema().Name)
	}
	switch v := get(row, f).(type) {
	case nil:
	case string:
		r.Topic = v
	default:
		return fmt.Errorf("route.by.field %s of %s is not a string but %s", t.routeBy, row.Schema().Name, f.Schema.Type)
	}
	return nil
}

// withFields returns the row state with the add.fields and the __deleted field (deleted non-empty).
func (t *extractNewRecordState) withFields(s *api.Schema, row, env *api.Struct, deleted string) (*api.Schema, any) {
	// Debezium rebuilds the schema even without added fields, which makes it required.
	k := enrsKey{s, deleted}
	ns := t.schemas[k]
	if ns == nil {
		b := copyBasics(s)
		for _, f := range s.Fields {
			b.Field(f.Name, f.Schema)
		}
		if deleted != "" {
			b.Field("__deleted", api.OptionalStringSchema)
		}
		for _, f := range t.fields {
			if fs, _, ok := f.find(env); ok {
				b.Field(f.name, optionalCopy(fs))
			}
		}
		ns = b.Build()
		remember(t.schemas, k, ns)
	}
	out := api.NewStruct(ns)
	i := 0
	for ; i < len(s.Fields); i++ {
		if deleted != "" && t.replaceNull {
			out.PutIndex(i, get(row, &s.Fields[i]))
		} else {
			out.PutIndex(i, row.GetIndex(i))
		}
	}
	if deleted != "" {
		out.PutIndex(i, deleted)
		i++
	}
	for _, f := range t.fields {
		if _, v, ok := f.find(env); ok {
			out.PutIndex(i, v)
			i++
		}
	}
	return ns, out
}

// dropFields removes the fields the drop.fields.header.name header lists (Debezium's event
// flattening of MongoDB-style partial updates, or any producer of that header).
func (t *extractNewRecordState) dropFields(r *api.SourceRecord) (*api.SourceRecord, error) {
	if t.dropHeader == "" {
		return r, nil
	}
	var names []string
	for _, h := range r.Headers {
		if h.Key != t.dropHeader {
			continue
		}
		l, _ := h.Value.([]any)
		for _, x := range l {
			if s, ok := x.(string); ok {
				names = append(names, s)
			}
		}
		break
	}
	if len(names) == 0 {
		return r, nil
	}
	if t.dropFromKey && r.Key != nil {
		s, v := t.project(r.KeySchema, r.Key, names)
		cp := *r
		cp.KeySchema, cp.Key = s, v
		r = &cp
	}
	s, v := t.project(r.ValueSchema, r.Value, names)
	cp := *r
	cp.ValueSchema, cp.Value = s, v
	return &cp, nil
}

func (t *extractNewRecordState) project(s *api.Schema, v any, names []string) (*api.Schema, any) {
	if s == nil || s.Type != api.TypeStruct {
		return s, v
	}
	var drop []string
	for _, f := range s.Fields {
		if contains(names, f.Name) && (!t.dropCompatible || f.Schema.Optional) {
			drop = append(drop, f.Name)
		}
	}
	if len(drop) == 0 {
		return s, v
	}
	k := dropKey{s, strings.Join(drop, ",")}
	ns := t.drops[k]
	if ns == nil {
		b := copyBasics(s)
		for _, f := range s.Fields {
			if !contains(drop, f.Name) {
				b.Field(f.Name, f.Schema)
			}
		}
		ns = b.Build()
		remember(t.drops, k, ns)
	}
	st, ok := v.(*api.Struct)
	if !ok {
		return ns, v
	}
	return ns, structCopy(ns, st)
}
