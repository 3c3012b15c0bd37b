package queue

import (
	"math/big"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// Approximate Go memory costs used by EstimateSize; they need only be proportional, since
// max.queue.size.in.bytes is a memory budget, not an exact limit.
const (
	recordOverhead = 256 // SourceRecord, its maps' headers, schema pointers
	structOverhead = 48  // Struct header and values slice header
	ifaceSize      = 16  // one interface slot
	mapEntrySize   = 48  // one offset/partition map entry besides its key and value
)

// EstimateSize returns an estimate of the memory r holds: key, value, headers, partition and
// offset, walking structs and arrays without reflection. Schemas are shared per table and not
// counted.
func EstimateSize(r *api.SourceRecord) int64 {
	if r == nil {
		return 0
	}
	n := int64(recordOverhead + len(r.Topic))
	n += valueSize(r.Key) + valueSize(r.Value)
	for _, h := range r.Headers {
		n += int64(len(h.Key)) + ifaceSize + valueSize(h.Value)
	}
	n += mapSize(r.SourcePartition) + mapSize(r.SourceOffset)
	return n
}

func mapSize(m map[string]any) int64 {
	var n int64
	for k, v := range m {
		n += mapEntrySize + int64(len(k)) + valueSize(v)
	}
	return n
}

// valueSize estimates one Connect value (see api.Schema for the Go types).
func valueSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return ifaceSize + int64(len(x))
	case []byte:
		return ifaceSize + 24 + int64(len(x))
	case *api.Struct:
		if x == nil {
			return 0
		}
		s := x.Schema()
		n := int64(structOverhead)
		if s != nil {
			for i := range s.Fields {
				n += ifaceSize + valueSize(x.GetIndex(i))
			}
		}
		return n
	case []any:
		n := int64(24)
		for _, e := range x {
			n += ifaceSize + valueSize(e)
		}
		return n
	case []api.MapEntry:
		n := int64(24)
		for _, e := range x {
			n += 2*ifaceSize + valueSize(e.Key) + valueSize(e.Value)
		}
		return n
	case map[string]any:
		return mapSize(x)
	case api.Decimal:
		return ifaceSize + 40 + bigSize(x.Unscaled)
	case time.Time:
		return ifaceSize + 24
	default:
		return ifaceSize + 8 // numbers and booleans
	}
}

func bigSize(b *big.Int) int64 {
	if b == nil {
		return 0
	}
	return int64(len(b.Bits())) * 8
}
