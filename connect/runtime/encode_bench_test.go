package runtime

import (
	"math/big"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/converter"
)

// benchRecord is a change event like the ones of tests/bench's workload: a row of about 600 bytes
// (three long strings, integers, a decimal, timestamps) in a Debezium envelope, JSON without
// schemas, about 1.1 kB of key and value.
func benchRecord(tb testing.TB) *api.SourceRecord {
	tb.Helper()
	must := func(s *api.Schema, err error) *api.Schema {
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	key := must(api.StructSchema().Name("bench.connectd_bench.events.Key").Field("id", api.Int64Schema).BuildChecked())
	row := must(api.StructSchema().Name("bench.connectd_bench.events.Value").Optional().
		Field("id", api.Int64Schema).
		Field("a", api.OptionalInt32Schema).Field("b", api.OptionalInt32Schema).Field("c", api.OptionalInt64Schema).
		Field("s1", api.OptionalStringSchema).Field("s2", api.OptionalStringSchema).Field("s3", api.OptionalStringSchema).
		Field("amount", must(api.DecimalSchema(2, 12).Optional().BuildChecked())).
		Field("created", must(api.MicroTimestampSchema().Optional().BuildChecked())).
		Field("changed", api.OptionalStringSchema).
		Field("commit_us", api.OptionalInt64Schema).BuildChecked())
	source := must(api.StructSchema().Name("io.debezium.connector.mysql.Source").
		Field("version", api.StringSchema).Field("connector", api.StringSchema).Field("name", api.StringSchema).
		Field("ts_ms", api.Int64Schema).Field("snapshot", api.OptionalStringSchema).Field("db", api.StringSchema).
		Field("table", api.OptionalStringSchema).Field("server_id", api.Int64Schema).Field("file", api.StringSchema).
		Field("pos", api.Int64Schema).Field("row", api.Int32Schema).BuildChecked())
	env := must(api.StructSchema().Name("bench.connectd_bench.events.Envelope").Version(2).
		Field("before", row).Field("after", row).Field("source", source).
		Field("op", api.StringSchema).Field("ts_ms", api.OptionalInt64Schema).BuildChecked())
	put := func(st *api.Struct, kv ...any) *api.Struct {
		for i := 0; i < len(kv); i += 2 {
			if err := st.Put(kv[i].(string), kv[i+1]); err != nil {
				tb.Fatal(err)
			}
		}
		return st
	}
	k := put(api.NewStruct(key), "id", int64(123456))
	after := put(api.NewStruct(row), "id", int64(123456), "a", int32(7), "b", int32(-42), "c", int64(1<<40),
		"s1", strings.Repeat("abcdefghi ", 18), "s2", strings.Repeat("Zürich \"q\" ", 15)+"xxx", "s3", strings.Repeat("0123456789abcd", 10),
		"amount", api.Decimal{Unscaled: big.NewInt(1234567), Scale: 2}, "created", int64(1765140000123456),
		"changed", "2026-12-07T21:55:00.123456Z", "commit_us", int64(1765140000123999))
	src := put(api.NewStruct(source), "version", "3.5.0.Final", "connector", "mysql", "name", "bench",
		"ts_ms", int64(1765140000000), "snapshot", "false", "db", "connectd_bench", "table", "events",
		"server_id", int64(1), "file", "mysql-bin.000042", "pos", int64(123456789), "row", int32(3))
	v := put(api.NewStruct(env), "after", after, "source", src, "op", "c", "ts_ms", int64(1765140000456))
	return &api.SourceRecord{Topic: "bench.connectd_bench.events", Partition: -1, KeySchema: key, Key: k, ValueSchema: env, Value: v}
}

// BenchmarkEncodeRecord compares the two ways send converts a record's key and value:
// FromConnectData (a new slice per part, grown while encoding; what send did before) and encode
// (both parts appended to the task's reused buffer, then copied into one exactly sized slice).
func BenchmarkEncodeRecord(b *testing.B) {
	rec := benchRecord(b)
	conv := func(isKey bool) converter.Converter {
		c, err := converter.New(converter.JSONClass, map[string]string{"schemas.enable": "false"}, isKey)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	t := &taskRunner{keyConv: conv(true), valueConv: conv(false)}
	b.Run("FromConnectData", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		cpu := cpuClock()
		for b.Loop() {
			k, err := t.keyConv.FromConnectData(rec.Topic, rec.KeySchema, rec.Key)
			if err != nil {
				b.Fatal(err)
			}
			v, err := t.valueConv.FromConnectData(rec.Topic, rec.ValueSchema, rec.Value)
			if err != nil {
				b.Fatal(err)
			}
			n = len(k) + len(v)
		}
		b.ReportMetric(float64(cpuClock()-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(n), "bytes/record")
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		cpu := cpuClock()
		for b.Loop() {
			k, v, kerr, verr := t.encode(rec)
			if kerr != nil || verr != nil {
				b.Fatal(kerr, verr)
			}
			n = len(k) + len(v)
		}
		b.ReportMetric(float64(cpuClock()-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(n), "bytes/record")
	})
}

// The shared-buffer conversion gives exactly the bytes of FromConnectData, and a key and value
// that do not overlap: appending to the key must not overwrite the value.
func TestEncodeMatchesFromConnectData(t *testing.T) {
	rec := benchRecord(t)
	for _, schemas := range []string{"true", "false"} {
		kc, _ := converter.New(converter.JSONClass, map[string]string{"schemas.enable": schemas}, true)
		vc, _ := converter.New(converter.JSONClass, map[string]string{"schemas.enable": schemas}, false)
		tr := &taskRunner{keyConv: kc, valueConv: vc}
		wantK, _ := kc.FromConnectData(rec.Topic, rec.KeySchema, rec.Key)
		wantV, _ := vc.FromConnectData(rec.Topic, rec.ValueSchema, rec.Value)
		k, v, kerr, verr := tr.encode(rec)
		if kerr != nil || verr != nil {
			t.Fatal(kerr, verr)
		}
		if string(k) != string(wantK) || string(v) != string(wantV) {
			t.Fatalf("schemas.enable=%s: encode gave\n%s\n%s\nwant\n%s\n%s", schemas, k, v, wantK, wantV)
		}
		_ = append(k, "overwritten?"...)
		if string(v) != string(wantV) {
			t.Fatalf("appending to the key changed the value")
		}
		// The buffer is reused: the next record must not change the bytes of this one.
		k2, v2, _, _ := tr.encode(rec)
		if &k2[0] == &k[0] || string(v) != string(wantV) {
			t.Fatalf("a second record shares or overwrote the first record's bytes")
		}
		_ = v2
	}
	// A null key and a tombstone stay nil, as FromConnectData returns them.
	kc, _ := converter.New(converter.JSONClass, nil, true)
	tr := &taskRunner{keyConv: kc, valueConv: kc}
	k, v, kerr, verr := tr.encode(&api.SourceRecord{Topic: "t"})
	if kerr != nil || verr != nil || k != nil || v != nil {
		t.Fatalf("null key and value gave %q, %q (%v, %v); want nil, nil", k, v, kerr, verr)
	}
}

// BenchmarkInflightOverhead measures what one record in flight holds besides its key and value
// bytes, which recordOverhead stands for in the producer.buffer.memory accounting: the producer's
// kgo.Record, the acknowledgement callback, the commit tracking entry and the connector's offset
// map (here the MySQL connector's, seven entries). overhead-B/record is the live heap per record.
func BenchmarkInflightOverhead(b *testing.B) {
	const n = 20000
	for b.Loop() {
		t := &taskRunner{subs: newSubmitted()}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		recs := make([]*kgo.Record, n)
		cbs := make([]func(*kgo.Record, error), n)
		for i := range n {
			off := make(map[string]any, 8)
			off["server_id"] = int64(1)
			off["gtids"] = "0-1-" + strconv.Itoa(100000+i)
			off["file"] = "mysql-bin.000042"
			off["pos"] = int64(123456789 + i)
			off["event"] = int64(2 + i)
			off["row"] = int64(1 + i%100)
			off["ts_sec"] = int64(1765140000 + i)
			p := t.subs.submit([]byte("bench"), map[string]any{"server": "bench"}, off)
			size := int64(100)
			recs[i] = &kgo.Record{Topic: "bench.connectd_bench.events", Partition: -1, Timestamp: time.Now()}
			cbs[i] = func(kr *kgo.Record, err error) { t.acked(p, size, kr, err) }
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		// The slices of pointers stand for the producer's own bookkeeping of its records.
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "overhead-B/record")
		runtime.KeepAlive(recs)
		runtime.KeepAlive(cbs)
		runtime.KeepAlive(t)
	}
}

// cpuClock returns the process's user+system CPU time: benchmarks report cpu-ns/op beside ns/op
// because on a shared, loaded machine the wall clock mostly measures the other processes.
func cpuClock() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
