package postgres

import (
	"reflect"
	"testing"

	"github.com/jackc/pglogrepl"

	"github.com/connectd/connectd/connectors/envelope"
)

// offsetSink keeps BenchmarkOffsetMap's maps on the heap, as records hold them.
var offsetSink map[string]any

// BenchmarkOffsetMap renders the offset of each change of a transaction, as emit does, without
// and with the boxes kept between changes.
func BenchmarkOffsetMap(b *testing.B) {
	for _, cached := range []bool{false, true} {
		name := "boxes=false"
		var c *envelope.SourceCache
		if cached {
			name, c = "boxes=true", new(envelope.SourceCache)
		}
		b.Run(name, func(b *testing.B) {
			p := position{LSN: 0x1A2B3C4D, LSNProc: 0x1A2B3C4D, LSNCommit: 0x1A2B0000, TxID: 987654, HasTxID: true,
				TsUsec: 1765140000123456, MsgType: msgInsert}
			b.ReportAllocs()
			for b.Loop() {
				p.LSN += 64
				p.LSNProc = p.LSN
				offsetSink = p.toMapBoxed(c)
			}
		})
	}
}

// toMapBoxed gives the map toMap does, whatever the cache held before.
func TestOffsetMapBoxes(t *testing.T) {
	c := new(envelope.SourceCache)
	p := position{LSN: 100, LSNProc: 100, LSNCommit: 50, TxID: 7, HasTxID: true, TsUsec: 1, MsgType: msgInsert}
	for i := range 4 {
		p.LSN += pglogrepl.LSN(i)
		p.TxID += int64(i % 2)
		if i == 2 {
			p.MsgType = msgUpdate
		}
		if got, want := p.toMapBoxed(c), p.toMap(); !reflect.DeepEqual(got, want) {
			t.Fatalf("boxed offset %v, want %v", got, want)
		}
	}
}
