package avroconv

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/connectd/connectd/connect/api"
)

// registryTimeout bounds one registry request; a registry that does not answer fails the record
// (and so the task) with a message naming it rather than blocking the task forever.
const registryTimeout = 30 * time.Second

// Converter writes Connect data as Avro in the Confluent wire format. It is safe for concurrent
// use.
type Converter struct {
	cfg    Config
	isKey  bool
	client *sr.Client

	mu sync.RWMutex
	// bySchema is the per-record fast path: a Connect schema (shared by every record of a table)
	// and topic give the wire header and the compiled encoder.
	bySchema map[schemaKey]*entry
	// ids caches what the registry answered for a subject and schema text, so a schema rebuilt
	// with the same shape (a new pointer after a DDL that did not change it) is not registered
	// again.
	ids map[subjectSchema]int
	// compiled caches the Avro form of a Connect schema, shared by the topics that use it.
	compiled map[*api.Schema]*compiledSchema
	// register serialises registry calls, so concurrent tasks that meet a new schema at the same
	// time ask the registry once.
	register sync.Mutex
}

type schemaKey struct {
	topic  string
	schema *api.Schema
}

type subjectSchema struct {
	subject, schema string
}

type entry struct {
	header [5]byte
	enc    encodeFn
}

type compiledSchema struct {
	json     string
	fullName string
	codec    *goavro.Codec
	enc      encodeFn
}

// New builds a converter of class (ConfluentClass or ApicurioClass) from its properties.
func New(class string, props map[string]string, isKey bool) (*Converter, error) {
	cfg, err := ParseConfig(class, props, isKey)
	if err != nil {
		return nil, err
	}
	return NewWithConfig(cfg, isKey)
}

// NewWithConfig builds a converter from a parsed configuration.
func NewWithConfig(cfg Config, isKey bool) (*Converter, error) {
	opts := []sr.ClientOpt{sr.URLs(cfg.URLs...), sr.HTTPClient(&http.Client{Timeout: registryTimeout}), sr.UserAgent("connectd")}
	if cfg.User != "" {
		opts = append(opts, sr.BasicAuth(cfg.User, cfg.Password))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot build a schema registry client for %s: %w", strings.Join(cfg.URLs, ","), err)
	}
	return &Converter{
		cfg: cfg, isKey: isKey, client: cl,
		bySchema: map[schemaKey]*entry{},
		ids:      map[subjectSchema]int{},
		compiled: map[*api.Schema]*compiledSchema{},
	}, nil
}

// FromConnectData returns the Confluent wire format bytes of value. A nil value (a tombstone or a
// null key) gives nil bytes, as Confluent's converter does.
func (c *Converter) FromConnectData(topic string, schema *api.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	return c.Encode(make([]byte, 0, 256), topic, schema, value)
}

// Encode appends the wire format bytes of value to dst.
func (c *Converter) Encode(dst []byte, topic string, schema *api.Schema, value any) ([]byte, error) {
	if schema == nil {
		return nil, fmt.Errorf("the record for topic %s has no schema; the Avro converter needs schemas (schemaless data cannot be written as Avro)", topic)
	}
	c.mu.RLock()
	e := c.bySchema[schemaKey{topic, schema}]
	c.mu.RUnlock()
	if e == nil {
		var err error
		if e, err = c.resolve(topic, schema); err != nil {
			return nil, err
		}
	}
	dst = append(dst, e.header[:]...)
	out, err := e.enc(dst, value)
	if err != nil {
		return nil, fmt.Errorf("cannot write the record for topic %s as Avro: %w", topic, err)
	}
	return out, nil
}

// Compile returns the Avro schema JSON AvroData builds for schema, checked by goavro.
func Compile(schema *api.Schema, connectMetaData bool) (string, error) {
	cs, err := compileSchema(schema, connectMetaData)
	if err != nil {
		return "", err
	}
	return cs.json, nil
}

func compileSchema(schema *api.Schema, metaData bool) (*compiledSchema, error) {
	js, err := avroSchemaJSON(schema, metaData)
	if err != nil {
		return nil, fmt.Errorf("cannot map the Connect schema %s to Avro: %w", schemaLabel(schema), err)
	}
	codec, err := goavro.NewCodec(js)
	if err != nil {
		return nil, fmt.Errorf("the Avro schema mapped from Connect schema %s is not valid Avro (%w); Avro names allow only letters, digits and _, so topic.prefix, database, table and column names must too (connectd's connectors do not implement schema.name.adjustment.mode=avro yet)", schemaLabel(schema), err)
	}
	enc, err := compile(schema, "")
	if err != nil {
		return nil, fmt.Errorf("cannot build the Avro encoder of Connect schema %s: %w", schemaLabel(schema), err)
	}
	return &compiledSchema{json: js, fullName: avroFullName(schema), codec: codec, enc: enc}, nil
}

func schemaLabel(s *api.Schema) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Type.String()
}

// avroFullName is the name RecordNameStrategy uses: the record's full name, or the Avro type's.
func avroFullName(s *api.Schema) string {
	if s.Type == api.TypeStruct {
		if s.Name == "" {
			return defaultRecordFullName
		}
		return s.Name
	}
	if p := avroPrimitive(s.Type); p != "" {
		return p
	}
	return s.Type.String()
}

// resolve compiles schema and gets its id from the registry, once per topic and schema.
func (c *Converter) resolve(topic string, schema *api.Schema) (*entry, error) {
	c.register.Lock()
	defer c.register.Unlock()
	key := schemaKey{topic, schema}
	c.mu.RLock()
	e := c.bySchema[key]
	cs := c.compiled[schema]
	c.mu.RUnlock()
	if e != nil {
		return e, nil
	}
	if cs == nil {
		var err error
		if cs, err = compileSchema(schema, c.cfg.ConnectMetaData); err != nil {
			return nil, err
		}
	}
	subject := c.cfg.subject(topic, cs.fullName, c.isKey)
	c.mu.RLock()
	id, ok := c.ids[subjectSchema{subject, cs.json}]
	c.mu.RUnlock()
	if !ok {
		var err error
		if id, err = c.schemaID(subject, cs); err != nil {
			return nil, err
		}
	}
	e = &entry{enc: cs.enc}
	binary.BigEndian.PutUint32(e.header[1:], uint32(id))
	c.mu.Lock()
	c.compiled[schema] = cs
	c.ids[subjectSchema{subject, cs.json}] = id
	c.bySchema[key] = e
	c.mu.Unlock()
	return e, nil
}

// schemaID asks the registry for the id of cs under subject: registering it, looking it up, or
// taking the latest version, as configured.
func (c *Converter) schemaID(subject string, cs *compiledSchema) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
	defer cancel()
	s := sr.Schema{Schema: cs.json, Type: sr.TypeAvro}
	switch {
	case c.cfg.UseLatestVersion:
		latest, err := c.client.SchemaByVersion(ctx, subject, -1)
		if err != nil {
			return 0, c.registryErr("read the latest version of", subject, err, "register the subject's schema first, or set use.latest.version=false")
		}
		lc, err := goavro.NewCodec(latest.Schema.Schema)
		if err != nil {
			return 0, fmt.Errorf("the latest schema of subject %s (id %d) is not an Avro schema connectd can read: %w", subject, latest.ID, err)
		}
		if lc.CanonicalSchema() != cs.codec.CanonicalSchema() {
			return 0, fmt.Errorf("the latest schema of subject %s (version %d, id %d) differs from the record's schema %s; connectd writes with use.latest.version only when they match: register the record's schema or set use.latest.version=false", subject, latest.Version, latest.ID, cs.fullName)
		}
		return latest.ID, nil
	case c.cfg.AutoRegister:
		id, err := c.client.RegisterSchema(ctx, subject, s, -1, -1)
		if err != nil {
			return 0, c.registryErr("register the Avro schema "+cs.fullName+" under", subject, err, "check the subject's compatibility level and the change that caused the new schema")
		}
		return id, nil
	default:
		ss, err := c.client.LookupSchema(ctx, subject, s)
		if err != nil {
			return 0, c.registryErr("find the Avro schema "+cs.fullName+" in", subject, err, "auto.register.schemas=false: register this schema under the subject, or enable auto.register.schemas")
		}
		return ss.ID, nil
	}
}

// registryErr says which registry and subject failed, what the registry said, and what to do.
func (c *Converter) registryErr(what, subject string, err error, hint string) error {
	urls := strings.Join(c.cfg.URLs, ",")
	var re *sr.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			hint = "check the registry credentials (basic.auth.credentials.source=USER_INFO and basic.auth.user.info)"
		case http.StatusConflict:
			hint = "the new schema is incompatible with the subject's earlier versions under its compatibility level; " + hint
		}
		code := ""
		if re.ErrorCode != 0 {
			code = fmt.Sprintf(" (error code %d)", re.ErrorCode)
		}
		return fmt.Errorf("could not %s subject %s at schema registry %s: the registry answered HTTP %d%s: %w; %s",
			what, subject, urls, re.StatusCode, code, re, hint)
	}
	return fmt.Errorf("could not %s subject %s at schema registry %s: %w; check that the registry runs and schema.registry.url points at its Confluent-compatible API", what, subject, urls, err)
}
