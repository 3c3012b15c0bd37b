package converter

import (
	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/jsonconv"
)

// jsonConverter adapts jsonconv (Kafka's JsonConverter, byte for byte) to Converter.
type jsonConverter struct {
	c *jsonconv.Converter
}

func newJSON(config map[string]string, isKey bool) (Converter, error) {
	c, err := jsonconv.New(config, isKey)
	if err != nil {
		return nil, err
	}
	return jsonConverter{c: c}, nil
}

func (j jsonConverter) FromConnectData(_ string, schema *api.Schema, value any) ([]byte, error) {
	if jsonconv.IsTombstone(schema, value) {
		return nil, nil
	}
	// The producer keeps the slice until Kafka acknowledges the record, so each record gets its
	// own buffer; sizing it for a typical small event avoids most regrowth.
	return j.c.Encode(make([]byte, 0, 256), schema, value)
}

// AppendConnectData implements Appender with the same bytes as FromConnectData.
func (j jsonConverter) AppendConnectData(dst []byte, _ string, schema *api.Schema, value any) ([]byte, bool, error) {
	if jsonconv.IsTombstone(schema, value) {
		return dst, true, nil
	}
	out, err := j.c.Encode(dst, schema, value)
	return out, false, err
}
