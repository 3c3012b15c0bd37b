package jsonconv

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// benchEnvelope is a Debezium MySQL update event whose after row encodes to about 600 bytes.
func benchEnvelope(b *testing.B) (*api.Schema, *api.Struct) {
	e := newEnvelopeSchemas(b)
	after := e.after(b)
	if err := after.Put("notes", strings.Repeat("Customer since 2019, prefers e-mail; ", 9)); err != nil {
		b.Fatal(err)
	}
	ev := st(b, e.envelope, "before", e.before(b), "after", after, "source", e.source1(b),
		"op", "u", "ts_ms", int64(1709210100123), "ts_us", int64(1709210100123456), "ts_ns", int64(1709210100123456789))
	return e.envelope, ev
}

func BenchmarkEncodeEnvelope(b *testing.B) {
	schema, value := benchEnvelope(b)
	for _, enabled := range []string{"true", "false"} {
		b.Run("schemas.enable="+enabled, func(b *testing.B) {
			conv, err := New(map[string]string{SchemasEnableConfig: enabled}, false)
			if err != nil {
				b.Fatal(err)
			}
			rowConv, _ := New(map[string]string{SchemasEnableConfig: "false"}, false)
			row, err := rowConv.Encode(nil, schema.Field("after").Schema, value.Get("after"))
			if err != nil {
				b.Fatal(err)
			}
			dst, err := conv.Encode(nil, schema, value)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(dst)))
			b.ReportAllocs()
			cpu := cpuClock()
			for b.Loop() {
				if dst, err = conv.Encode(dst[:0], schema, value); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuClock()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(row)), "row-bytes")
			b.ReportMetric(float64(len(dst)), "event-bytes")
		})
	}
}

func BenchmarkDecodeEnvelope(b *testing.B) {
	schema, value := benchEnvelope(b)
	conv, _ := New(nil, false)
	data, err := conv.Encode(nil, schema, value)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := conv.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeSchemalessOffset(b *testing.B) {
	offset := map[string]any{"file": "mysql-bin.000003", "pos": int64(154),
		"gtids": "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5", "event": int64(2), "row": int32(1),
		"server_id": int64(223344), "ts_sec": int64(1709210096)}
	var dst []byte
	var err error
	b.ReportAllocs()
	for b.Loop() {
		if dst, err = EncodeSchemaless(dst[:0], offset); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuClock returns the process's user+system CPU time: benchmarks report cpu-ns/op beside ns/op
// because on a shared, loaded machine the wall clock mostly measures the other processes.
func cpuClock() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
