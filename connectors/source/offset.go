package source

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// OffsetInt reads a whole number from a stored offset. Offsets come back from the offset store
// as whatever its decoder made of them (int64 from this runtime, float64 or json.Number from a
// JSON store written by Kafka Connect, a string from a hand-edited offset), so every integer
// field of an offset is read through here.
func OffsetInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range", x)
		}
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<63 {
			return 0, fmt.Errorf("%v is not a whole number", x)
		}
		return int64(x), nil
	case json.Number:
		return x.Int64()
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}
