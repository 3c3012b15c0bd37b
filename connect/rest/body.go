package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/runtime/herder"
)

// maxBody bounds a request body; connector configurations are a few kilobytes.
const maxBody = 16 << 20

// Kafka Connect's messages for an offsets PATCH without offsets, and for malformed request bodies.
// Kafka answers malformed JSON with 500 and Jackson's message; connectd answers 400 (it is the
// client's mistake) with a message that says what was expected.
const msgNoOffsets = "Partitions / offsets need to be provided for an alter offsets request"

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, herder.BadRequest("could not read the request body: %v", err)
	}
	if len(b) > maxBody {
		return nil, herder.Errorf(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", maxBody)
	}
	return b, nil
}

func isBlank(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// jsonKind names the JSON type of a raw value for error messages.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// decodeObject parses body as a JSON object, keeping each member raw.
func decodeObject(body []byte, what string) (map[string]json.RawMessage, error) {
	if isBlank(body) {
		return nil, herder.BadRequest("the request body is empty; expected %s", what)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		var raw json.RawMessage
		if json.Unmarshal(body, &raw) == nil {
			return nil, herder.BadRequest("Cannot deserialize the request body: it is %s, expected %s", jsonKind(raw), what)
		}
		return nil, herder.BadRequest("the request body is not valid JSON (%v); expected %s", err, what)
	}
	if m == nil {
		return nil, herder.BadRequest("Cannot deserialize the request body: it is null, expected %s", what)
	}
	return m, nil
}

// decodeStringMap reads a JSON object of configuration properties. Like Jackson's
// Map<String,String> binding in Kafka Connect, numbers and booleans are taken as their text, so
// {"tasks.max": 1} works; objects and arrays are refused. A null value is reported in nulls.
func decodeStringMap(raw map[string]json.RawMessage) (map[string]string, []string, error) {
	out := make(map[string]string, len(raw))
	var nulls []string
	for k, v := range raw {
		s, isNull, err := scalarText(v)
		if err != nil {
			return nil, nil, herder.BadRequest("Cannot deserialize value of type String from %s for property %q; configuration values are strings", jsonKind(v), k)
		}
		if isNull {
			nulls = append(nulls, k)
			continue
		}
		out[k] = s
	}
	sort.Strings(nulls)
	return out, nulls, nil
}

func scalarText(v json.RawMessage) (string, bool, error) {
	t := bytes.TrimSpace(v)
	if len(t) == 0 {
		return "", false, fmt.Errorf("empty")
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", false, err
		}
		return s, false, nil
	case 'n':
		return "", true, nil
	case '{', '[':
		return "", false, fmt.Errorf("not a scalar")
	}
	return string(t), false, nil
}

// parseConfig reads a configuration body (PUT /connectors/{c}/config, validate).
func parseConfig(body []byte) (map[string]string, error) {
	raw, err := decodeObject(body, `a JSON object of configuration properties, e.g. {"connector.class":"...","tasks.max":"1"}`)
	if err != nil {
		return nil, err
	}
	cfg, nulls, err := decodeStringMap(raw)
	if err != nil {
		return nil, err
	}
	if len(nulls) > 0 {
		return nil, herder.BadRequest("Null value can not be supplied as the configuration value (property %s); remove the property instead", strings.Join(nulls, ", "))
	}
	return cfg, nil
}

// parseCreate reads a POST /connectors body.
func parseCreate(body []byte) (CreateConnectorRequest, error) {
	const want = `{"name":"<connector>","config":{...}}`
	var req CreateConnectorRequest
	raw, err := decodeObject(body, want)
	if err != nil {
		return req, err
	}
	for k, v := range raw {
		switch k {
		case "name":
			s, isNull, err := scalarText(v)
			if err != nil || (len(bytes.TrimSpace(v)) > 0 && bytes.TrimSpace(v)[0] != '"' && !isNull) {
				return req, herder.BadRequest("Cannot deserialize the connector name from %s; expected %s", jsonKind(v), want)
			}
			req.Name = s
		case "config":
			if jsonKind(v) == "null" {
				continue
			}
			obj, err := decodeObject(v, "the connector configuration as a JSON object")
			if err != nil {
				return req, herder.BadRequest("Cannot deserialize the connector config from %s; expected %s", jsonKind(v), want)
			}
			cfg, nulls, err := decodeStringMap(obj)
			if err != nil {
				return req, err
			}
			if len(nulls) > 0 {
				return req, herder.BadRequest("Null value can not be supplied as the configuration value (property %s); remove the property instead", strings.Join(nulls, ", "))
			}
			req.Config = cfg
		case "initial_state":
			s, isNull, err := scalarText(v)
			if err != nil {
				return req, herder.BadRequest("Cannot deserialize initial_state from %s; expected one of RUNNING, PAUSED, STOPPED", jsonKind(v))
			}
			if !isNull {
				req.InitialState = s
			}
		default:
			return req, herder.BadRequest("Unrecognized field %q in the request body; expected %s", k, want)
		}
	}
	if req.Config == nil {
		return req, herder.BadRequest("the request body has no connector config; expected %s", want)
	}
	return req, nil
}

// parsePatch reads a PATCH /connectors/{c}/config body; a null value removes the property.
func parsePatch(body []byte) (map[string]*string, error) {
	raw, err := decodeObject(body, `a JSON object of the properties to change, null to remove one`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*string, len(raw))
	for k, v := range raw {
		s, isNull, err := scalarText(v)
		if err != nil {
			return nil, herder.BadRequest("Cannot deserialize value of type String from %s for property %q; configuration values are strings", jsonKind(v), k)
		}
		if isNull {
			out[k] = nil
			continue
		}
		out[k] = &s
	}
	return out, nil
}

// parseOffsets reads a PATCH /connectors/{c}/offsets body:
// {"offsets":[{"partition":{...},"offset":{...}}]}. JSON integers become int64, other numbers
// float64, as the offsets Kafka Connect's JsonConverter reads back.
func parseOffsets(body []byte) (herder.ConnectorOffsets, error) {
	const want = `{"offsets":[{"partition":{...},"offset":{...}}]}`
	var out herder.ConnectorOffsets
	if isBlank(body) {
		return out, herder.BadRequest(msgNoOffsets)
	}
	raw, err := decodeObject(body, want)
	if err != nil {
		return out, err
	}
	for k := range raw {
		if k != "offsets" {
			return out, herder.BadRequest("Unrecognized field %q in the request body; expected %s", k, want)
		}
	}
	list, ok := raw["offsets"]
	if !ok || jsonKind(list) == "null" {
		return out, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(list, &items); err != nil {
		return out, herder.BadRequest("Cannot deserialize \"offsets\" from %s; expected %s", jsonKind(list), want)
	}
	for i, item := range items {
		obj := map[string]json.RawMessage{}
		if jsonKind(item) != "an object" || json.Unmarshal(item, &obj) != nil {
			return out, herder.BadRequest("Cannot construct offsets[%d] from %s; each entry is {\"partition\":{...},\"offset\":{...}}", i, jsonKind(item))
		}
		var co herder.ConnectorOffset
		for k, v := range obj {
			var m map[string]any
			switch k {
			case "partition", "offset":
				if jsonKind(v) != "null" {
					if jsonKind(v) != "an object" {
						return out, herder.BadRequest("Cannot deserialize offsets[%d].%s from %s; it must be a JSON object (or null)", i, k, jsonKind(v))
					}
					if m, err = decodeNumbers(v); err != nil {
						return out, herder.BadRequest("Cannot deserialize offsets[%d].%s: %v", i, k, err)
					}
				}
			default:
				return out, herder.BadRequest("Unrecognized field %q in offsets[%d]; each entry is {\"partition\":{...},\"offset\":{...}}", k, i)
			}
			if k == "partition" {
				co.Partition = m
			} else {
				co.Offset = m
			}
		}
		out.Offsets = append(out.Offsets, co)
	}
	return out, nil
}

// decodeNumbers decodes a JSON object with integers as int64 and other numbers as float64.
func decodeNumbers(raw json.RawMessage) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range m {
		m[k] = fixNumbers(v)
	}
	return m, nil
}

func fixNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = fixNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixNumbers(e)
		}
	}
	return v
}
