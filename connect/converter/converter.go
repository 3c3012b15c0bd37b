// Package converter turns Connect data (a schema and a value) into the bytes of a Kafka record key
// or value, as Kafka Connect's Converter plugins do, under the same class names:
// org.apache.kafka.connect.json.JsonConverter, org.apache.kafka.connect.storage.StringConverter and
// org.apache.kafka.connect.converters.ByteArrayConverter, and the Avro converters with a schema
// registry (io.confluent.connect.avro.AvroConverter, io.apicurio.registry.utils.converter.AvroConverter).
package converter

import (
	"fmt"
	"sort"
	"strings"

	"github.com/connectd/connectd/connect/api"
)

// The converter class names connectd implements.
const (
	JSONClass      = "org.apache.kafka.connect.json.JsonConverter"
	StringClass    = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayClass = "org.apache.kafka.connect.converters.ByteArrayConverter"
)

// Converter serialises Connect data for one side of a record (key or value). A Converter is
// called from one task's goroutine at a time but may be shared by tasks, so implementations are
// safe for concurrent use.
type Converter interface {
	// FromConnectData returns the bytes for value, described by schema (nil for schemaless data).
	// A nil value gives nil bytes (a null key, or a tombstone value) unless the converter writes
	// an envelope for it.
	FromConnectData(topic string, schema *api.Schema, value any) ([]byte, error)
}

// Appender is implemented by converters that can write into a buffer the caller owns, so a
// caller that keeps the bytes elsewhere (the runtime copies a record's key and value into one
// exactly sized slice for the producer) encodes every record into the same reused buffer instead
// of a fresh slice regrown several times per record.
type Appender interface {
	// AppendConnectData appends the bytes FromConnectData would return to dst. null reports that
	// FromConnectData would return nil (a null key, or a tombstone value); dst is then returned
	// unchanged. On error dst is returned unchanged too.
	AppendConnectData(dst []byte, topic string, schema *api.Schema, value any) (out []byte, null bool, err error)
}

// Factory builds a converter from its settings: the properties under the `key.converter.` or
// `value.converter.` prefix with the prefix removed (e.g. "schemas.enable").
type Factory func(config map[string]string, isKey bool) (Converter, error)

// factories is the fixed list of converter classes; a new converter is added here.
var factories = map[string]Factory{
	JSONClass:         newJSON,
	StringClass:       newString,
	ByteArrayClass:    newByteArray,
	AvroClass:         newAvroFactory(AvroClass),
	ApicurioAvroClass: newAvroFactory(ApicurioAvroClass),
}

// Classes lists the converter class names that can be configured.
func Classes() []string {
	out := make([]string, 0, len(factories))
	for c := range factories {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Known reports whether class (or its simple name) names a converter connectd provides, without
// configuring one (a converter may need settings, such as a registry URL, to be built).
func Known(class string) bool {
	class = strings.TrimSpace(class)
	if _, ok := factories[class]; ok {
		return true
	}
	if strings.Contains(class, ".") {
		return false
	}
	for c := range factories {
		if simpleName(c) == class {
			return true
		}
	}
	return false
}

// New builds the converter of class with its settings.
func New(class string, config map[string]string, isKey bool) (Converter, error) {
	class = strings.TrimSpace(class)
	f, ok := factories[class]
	if !ok && !strings.Contains(class, ".") {
		// Kafka Connect also accepts a plugin's simple class name. Sorted order makes an ambiguous
		// one (AvroConverter) resolve the same way every time: to Confluent's.
		for _, c := range Classes() {
			if simpleName(c) == class {
				f, ok = factories[c], true
			}
		}
	}
	if !ok {
		return nil, fmt.Errorf("converter class %s is not available in connectd; use one of %s", class, strings.Join(Classes(), ", "))
	}
	c, err := f(config, isKey)
	if err != nil {
		return nil, fmt.Errorf("cannot configure converter %s: %w", class, err)
	}
	return c, nil
}

func simpleName(class string) string {
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[i+1:]
	}
	return class
}

// Settings returns the properties of props under prefix (e.g. "value.converter."), prefix removed.
func Settings(props map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			out[rest] = v
		}
	}
	return out
}
