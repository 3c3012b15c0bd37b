package runtime

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/converter"
	"github.com/connectd/connectd/connectors/source"
)

// wantHeaders is the conversion producerHeaders must give, computed afresh.
func wantHeaders(hs []api.Header) ([]kgo.RecordHeader, int64) {
	var out []kgo.RecordHeader
	var size int64
	for _, h := range hs {
		v := converter.HeaderValue(h.Schema, h.Value)
		out = append(out, kgo.RecordHeader{Key: h.Key, Value: v})
		size += int64(len(h.Key) + len(v))
	}
	return out, size
}

// producerHeaders shares the previous conversion only for equal string headers: a header slice
// changed in place, a different value, a non-string value or extra headers convert again.
func TestProducerHeaders(t *testing.T) {
	ctx := source.ContextHeaders("bench", 0, "mariadb")
	inPlace := append([]api.Header(nil), ctx...)
	tr := &taskRunner{}
	check := func(name string, hs []api.Header) []kgo.RecordHeader {
		t.Helper()
		got, size := tr.producerHeaders(hs)
		want, wantSize := wantHeaders(hs)
		if size != wantSize || len(got) != len(want) {
			t.Fatalf("%s: %d headers of %d bytes, want %d of %d", name, len(got), size, len(want), wantSize)
		}
		for i := range want {
			if got[i].Key != want[i].Key || string(got[i].Value) != string(want[i].Value) {
				t.Fatalf("%s: header %d is %s=%q, want %s=%q", name, i, got[i].Key, got[i].Value, want[i].Key, want[i].Value)
			}
		}
		return got
	}
	first := check("first", ctx)
	if again := check("again", ctx); &again[0] != &first[0] {
		t.Error("the same context headers were converted again")
	}
	inPlace[1].Value = "7"
	check("changed in place", inPlace)
	check("new key header first", append([]api.Header{{Key: "__debezium.newkey", Schema: api.StringSchema, Value: "k"}}, ctx...))
	withInt := append([]api.Header{{Key: "n", Schema: api.Int32Schema, Value: int32(5)}}, ctx...)
	check("int", withInt)
	withInt[0].Value = int32(6)
	check("int changed", withInt)
	check("back to context", ctx)
}

// BenchmarkProducerHeaders converts the four context headers of every change event.
func BenchmarkProducerHeaders(b *testing.B) {
	ctx := source.ContextHeaders("bench", 0, "mariadb")
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			headersSink, _ = wantHeaders(ctx)
		}
	})
	b.Run("producerHeaders", func(b *testing.B) {
		tr := &taskRunner{}
		b.ReportAllocs()
		for b.Loop() {
			headersSink, _ = tr.producerHeaders(ctx)
		}
	})
}

// headersSink keeps the benchmarks' results on the heap, as records hold them.
var headersSink []kgo.RecordHeader
