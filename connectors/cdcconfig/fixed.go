package cdcconfig

import "github.com/connectd/connectd/connect/api"

// AddMissing appends to spec each of keys it does not declare yet (a connector that implements a
// property declares it itself, and that declaration wins), e.g. AtDefault and Refused keys.
func AddMissing(spec api.ConfigSpec, keys ...api.ConfigKey) api.ConfigSpec {
	for _, k := range keys {
		if spec.Key(k.Name) == nil {
			spec = append(spec, k)
		}
	}
	return spec
}
