package converter

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/avroconv"
)

// The Avro converter classes: Confluent's and Apicurio's, both writing the Confluent wire format
// through a registry's Confluent-compatible API.
const (
	AvroClass         = avroconv.ConfluentClass
	ApicurioAvroClass = avroconv.ApicurioClass
)

// avroConverter adapts avroconv to Converter.
type avroConverter struct {
	c *avroconv.Converter
}

func newAvroFactory(class string) Factory {
	return func(config map[string]string, isKey bool) (Converter, error) {
		c, err := avroconv.New(class, config, isKey)
		if err != nil {
			return nil, err
		}
		return avroConverter{c: c}, nil
	}
}

func (a avroConverter) FromConnectData(topic string, schema *api.Schema, value any) ([]byte, error) {
	return a.c.FromConnectData(topic, schema, value)
}
