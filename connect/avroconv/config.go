// Package avroconv is connectd's Avro converter with a schema registry, the counterpart of
// Confluent's io.confluent.connect.avro.AvroConverter and Apicurio's
// io.apicurio.registry.utils.converter.AvroConverter: Connect schemas are mapped to Avro as
// Confluent's AvroData maps them (so the registered schemas are the ones a Java worker registers),
// registered under a subject naming strategy, and records are written in the Confluent wire format
// (magic byte 0, the 4-byte big-endian schema id, the Avro binary body).
//
// Each Connect schema is compiled once into an encoder (no reflection per record), and the
// registry is asked once per schema and subject; later records only look up a cache.
package avroconv

import (
	"fmt"
	"strconv"
	"strings"
)

// The converter class names this package implements.
const (
	ConfluentClass = "io.confluent.connect.avro.AvroConverter"
	ApicurioClass  = "io.apicurio.registry.utils.converter.AvroConverter"
)

// Subject naming strategy class names (the simple names are accepted too).
const (
	TopicNameStrategy       = "io.confluent.kafka.serializers.subject.TopicNameStrategy"
	RecordNameStrategy      = "io.confluent.kafka.serializers.subject.RecordNameStrategy"
	TopicRecordNameStrategy = "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"
)

// Strategy is how a record's subject is named.
type Strategy uint8

// The subject naming strategies.
const (
	// StrategyTopic is "<topic>-key" / "<topic>-value".
	StrategyTopic Strategy = iota
	// StrategyRecord is the record's fully qualified name.
	StrategyRecord
	// StrategyTopicRecord is "<topic>-<record full name>".
	StrategyTopicRecord
)

// Config is a parsed converter configuration.
type Config struct {
	// URLs are the registry's Confluent-compatible base URLs (schema.registry.url, comma separated).
	URLs []string
	// AutoRegister registers a schema that the subject does not have yet (auto.register.schemas,
	// default true).
	AutoRegister bool
	// UseLatestVersion writes with the subject's latest registered version instead of registering
	// (use.latest.version, default false); the latest schema must equal the record's.
	UseLatestVersion bool
	// Strategy names subjects (key.subject.name.strategy / value.subject.name.strategy).
	Strategy Strategy
	// ConnectMetaData adds the connect.* properties to the schemas (connect.meta.data, default true).
	ConnectMetaData bool
	// User and Password are the registry's basic-auth credentials (empty when none).
	User, Password string
}

// Registry URL paths: Apicurio serves the Confluent API under /apis/ccompat/v7 (v6 on older
// releases); its own converter is configured with the native API's URL, which is mapped to it.
const apicurioCompatPath = "/apis/ccompat/v7"

// ParseConfig reads the converter's properties (without the key.converter./value.converter.
// prefix). class picks the property names: Confluent's or Apicurio's.
func ParseConfig(class string, props map[string]string, isKey bool) (Config, error) {
	cfg := Config{AutoRegister: true, ConnectMetaData: true}
	boolProp := func(dst *bool, keys ...string) error {
		for _, k := range keys {
			v, ok := props[k]
			if !ok {
				continue
			}
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%s=%q is not a boolean; use true or false", k, v)
			}
			*dst = b
		}
		return nil
	}
	if err := boolProp(&cfg.ConnectMetaData, "connect.meta.data"); err != nil {
		return cfg, err
	}
	if class == ApicurioClass {
		return parseApicurio(cfg, props, boolProp)
	}
	for _, u := range strings.Split(props["schema.registry.url"], ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			cfg.URLs = append(cfg.URLs, u)
		}
	}
	if len(cfg.URLs) == 0 {
		return cfg, fmt.Errorf("schema.registry.url is not set; set it to the schema registry's base URL (e.g. http://registry:8081)")
	}
	if err := boolProp(&cfg.AutoRegister, "auto.register.schemas"); err != nil {
		return cfg, err
	}
	if err := boolProp(&cfg.UseLatestVersion, "use.latest.version"); err != nil {
		return cfg, err
	}
	strategyKey := "value.subject.name.strategy"
	if isKey {
		strategyKey = "key.subject.name.strategy"
	}
	if v, ok := props[strategyKey]; ok {
		switch simple(strings.TrimSpace(v)) {
		case "TopicNameStrategy":
			cfg.Strategy = StrategyTopic
		case "RecordNameStrategy":
			cfg.Strategy = StrategyRecord
		case "TopicRecordNameStrategy":
			cfg.Strategy = StrategyTopicRecord
		default:
			return cfg, fmt.Errorf("%s=%s is not supported; use %s, %s or %s", strategyKey, v, TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy)
		}
	}
	source := strings.ToUpper(strings.TrimSpace(props["basic.auth.credentials.source"]))
	info := props["basic.auth.user.info"]
	if info == "" {
		info = props["schema.registry.basic.auth.user.info"]
	}
	switch source {
	case "":
		if info != "" {
			return cfg, fmt.Errorf("basic.auth.user.info is set but basic.auth.credentials.source is not; set basic.auth.credentials.source=USER_INFO")
		}
	case "USER_INFO":
		user, pass, ok := strings.Cut(info, ":")
		if !ok || user == "" {
			return cfg, fmt.Errorf("basic.auth.user.info must be user:password when basic.auth.credentials.source=USER_INFO")
		}
		cfg.User, cfg.Password = user, pass
	case "URL":
		return cfg, fmt.Errorf("basic.auth.credentials.source=URL is not supported by connectd; use USER_INFO with basic.auth.user.info=user:password")
	default:
		return cfg, fmt.Errorf("basic.auth.credentials.source=%s is not supported by connectd; use USER_INFO", source)
	}
	return cfg, nil
}

// parseApicurio reads Apicurio's converter properties. Its registry URL points at the native API
// (…/apis/registry/v2 or v3); connectd talks to the same registry's Confluent API, where an
// artifact of the default group is a subject.
func parseApicurio(cfg Config, props map[string]string, boolProp func(*bool, ...string) error) (Config, error) {
	u := strings.TrimRight(strings.TrimSpace(props["apicurio.registry.url"]), "/")
	if u == "" {
		return cfg, fmt.Errorf("apicurio.registry.url is not set; set it to the registry's API URL (e.g. http://registry:8080/apis/registry/v2)")
	}
	if i := strings.Index(u, "/apis/"); i >= 0 {
		u = u[:i]
	}
	cfg.URLs = []string{u + apicurioCompatPath}
	// Apicurio's converter writes an 8-byte global id by default; connectd writes the Confluent
	// format only, which Apicurio's converter writes with these two settings.
	asConfluent := false
	if err := boolProp(&asConfluent, "apicurio.registry.as-confluent"); err != nil {
		return cfg, err
	}
	if !asConfluent && !strings.HasSuffix(strings.TrimSpace(props["apicurio.registry.id-handler"]), "Legacy4ByteIdHandler") ||
		strings.TrimSpace(props["apicurio.registry.use-id"]) != "contentId" {
		return cfg, fmt.Errorf("connectd writes Apicurio's converter format only in its Confluent-compatible form (magic byte, 4-byte content id): set apicurio.registry.as-confluent=true and apicurio.registry.use-id=contentId")
	}
	if err := boolProp(&cfg.AutoRegister, "apicurio.registry.auto-register"); err != nil {
		return cfg, err
	}
	if err := boolProp(&cfg.UseLatestVersion, "apicurio.registry.find-latest"); err != nil {
		return cfg, err
	}
	if v, ok := props["apicurio.registry.artifact-resolver-strategy"]; ok {
		switch simple(strings.TrimSpace(v)) {
		case "TopicIdStrategy":
			cfg.Strategy = StrategyTopic
		case "RecordIdStrategy":
			cfg.Strategy = StrategyRecord
		default:
			return cfg, fmt.Errorf("apicurio.registry.artifact-resolver-strategy=%s is not supported; use io.apicurio.registry.serde.strategy.TopicIdStrategy or RecordIdStrategy", v)
		}
	}
	cfg.User, cfg.Password = props["apicurio.auth.username"], props["apicurio.auth.password"]
	return cfg, nil
}

func simple(class string) string {
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return class
}

// subject names the registry subject of a record of topic whose Avro schema has fullName.
func (c Config) subject(topic, fullName string, isKey bool) string {
	switch c.Strategy {
	case StrategyRecord:
		return fullName
	case StrategyTopicRecord:
		return topic + "-" + fullName
	}
	if isKey {
		return topic + "-key"
	}
	return topic + "-value"
}
