package transforms

import (
	"fmt"
	"regexp"

	"github.com/connectd/connectd/connect/api"
)

func init() {
	register(debeziumPkg+"ToLogicalTopicRouter", func(c Config) (Transformation, error) {
		return newLogicalTopicRouter(c, "__dbz__sourceIdentifier")
	})
	register(debeziumPkg+"ByLogicalTableRouter", func(c Config) (Transformation, error) {
		return newLogicalTopicRouter(c, "__dbz__physicalTableIdentifier")
	})
}

// logicalTopicRouter is Debezium's ToLogicalTopicRouter (and its deprecated name
// ByLogicalTableRouter): change events of several tables (shards) go to one topic, their key
// schema, value schema and envelope renamed after it, and the key gets a field naming the source
// topic so keys stay unique.
type logicalTopicRouter struct {
	topicRe                *regexp.Regexp
	topicRepl              string
	keyRe                  *regexp.Regexp
	keyRepl                string
	keyField               string
	unique                 bool
	avroNames              bool
	keySchemas, envSchemas cache
}

func newLogicalTopicRouter(c Config, defaultKeyField string) (Transformation, error) {
	p, err := c.required("topic.regex")
	if err != nil {
		return nil, err
	}
	t := &logicalTopicRouter{keyField: c.str("key.field.name", defaultKeyField), keySchemas: cache{}, envSchemas: cache{}}
	if t.topicRe, err = javaRegexp(p, true); err != nil {
		return nil, fmt.Errorf("Invalid value %s for configuration topic.regex: %w", p, err)
	}
	repl, err := c.required("topic.replacement")
	if err != nil {
		return nil, err
	}
	t.topicRepl = javaReplacement(repl)
	if kr := c.str("key.field.regex", ""); kr != "" {
		if t.keyRe, err = javaRegexp(kr, true); err != nil {
			return nil, fmt.Errorf("Invalid value %s for configuration key.field.regex: %w", kr, err)
		}
		r := c.str("key.field.replacement", "")
		if r == "" {
			return nil, fmt.Errorf("key.field.replacement must be non-empty if key.field.regex is set.")
		}
		t.keyRepl = javaReplacement(r)
	}
	if t.unique, err = c.boolean("key.enforce.uniqueness", true); err != nil {
		return nil, err
	}
	mode, err := c.oneOf("schema.name.adjustment.mode", "none", "none", "avro")
	if err != nil {
		return nil, err
	}
	t.avroNames = mode == "avro"
	return t, nil
}

// adjust makes a schema name valid for Avro when schema.name.adjustment.mode=avro.
func (t *logicalTopicRouter) adjust(name string) string {
	if !t.avroNames {
		return name
	}
	b := []byte(name)
	for i, c := range b {
		ok := c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

// renamed copies s under a new name (Debezium's copySchemaExcludingName), with or without its
// fields.
func renamed(s *api.Schema, name string, fields bool) *api.SchemaBuilder {
	b := api.StructSchema().Name(name).Version(s.Version).Doc(s.Doc)
	for _, p := range s.Parameters {
		b.Param(p.Key, p.Value)
	}
	if s.Optional {
		b.Optional()
	}
	if fields {
		for _, f := range s.Fields {
			b.Field(f.Name, f.Schema)
		}
	}
	return b
}

func (t *logicalTopicRouter) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	m := t.topicRe.FindStringSubmatchIndex(r.Topic)
	if m == nil {
		return r, nil
	}
	topic := string(t.topicRe.ExpandString(nil, t.topicRepl, r.Topic, m))
	if topic == "" {
		return r, nil
	}
	out := *r
	out.Topic = topic
	if r.Key != nil {
		old, err := requireStruct(r.Key, "Updating schema")
		if err != nil {
			return nil, err
		}
		ks := t.keySchemas[old.Schema()]
		if ks == nil {
			b := renamed(old.Schema(), t.adjust(topic+".Key"), true)
			if t.unique {
				b.Field(t.keyField, api.StringSchema)
			}
			if ks, err = b.BuildChecked(); err != nil {
				return nil, fmt.Errorf("could not add %s to the key schema: %w", t.keyField, err)
			}
			remember(t.keySchemas, old.Schema(), ks)
		}
		k := api.NewStruct(ks)
		os := old.Schema()
		for i := range os.Fields {
			k.PutIndex(i, get(old, &os.Fields[i]))
		}
		if t.unique {
			id := r.Topic
			if t.keyRe != nil {
				if km := t.keyRe.FindStringSubmatchIndex(r.Topic); km != nil {
					id = string(t.keyRe.ExpandString(nil, t.keyRepl, r.Topic, km))
				}
			}
			k.PutIndex(len(os.Fields), id)
		}
		out.KeySchema, out.Key = ks, k
	}
	env, ok := r.Value.(*api.Struct)
	vs := r.ValueSchema
	if !ok || vs == nil || len(vs.Name) < 9 || vs.Name[len(vs.Name)-9:] != ".Envelope" {
		return &out, nil // tombstones, heartbeats and schema changes keep their value
	}
	es := t.envSchemas[vs]
	if es == nil {
		rowF := vs.Field("before")
		if rowF == nil {
			rowF = vs.Field("after")
		}
		if rowF == nil {
			return nil, fmt.Errorf("the envelope %s has no before or after field", vs.Name)
		}
		row, err := renamed(rowF.Schema, t.adjust(topic+".Value"), true).BuildChecked()
		if err != nil {
			return nil, err
		}
		b := renamed(vs, t.adjust(topic+".Envelope"), false)
		for _, f := range vs.Fields {
			if f.Name == "before" || f.Name == "after" {
				b.Field(f.Name, row)
			} else {
				b.Field(f.Name, f.Schema)
			}
		}
		if es, err = b.BuildChecked(); err != nil {
			return nil, err
		}
		remember(t.envSchemas, vs, es)
	}
	ne := api.NewStruct(es)
	for i := range vs.Fields {
		f := &vs.Fields[i]
		v := get(env, f)
		if row, ok := v.(*api.Struct); ok && (f.Name == "before" || f.Name == "after") {
			v = structCopy(es.Fields[i].Schema, row)
		}
		ne.PutIndex(i, v)
	}
	out.ValueSchema, out.Value = es, ne
	return &out, nil
}
