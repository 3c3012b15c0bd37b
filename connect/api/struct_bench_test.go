package api

import (
	"strconv"
	"syscall"
	"testing"
	"time"
)

var sinkStruct *Struct

// BenchmarkNewStruct builds and fills structs of the sizes a change event has: a one-column key,
// the envelope (8 fields), a row of 12 columns and a MySQL source block (18 fields).
func BenchmarkNewStruct(b *testing.B) {
	for _, n := range []int{1, 8, 12, 18} {
		sb := StructSchema()
		for i := range n {
			sb.Field("f"+strconv.Itoa(i), OptionalInt32Schema)
		}
		s := sb.Build()
		b.Run("fields="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuClock()
			for b.Loop() {
				st := NewStruct(s)
				for i := range n {
					st.PutIndex(i, nil)
				}
				sinkStruct = st
			}
			b.ReportMetric(float64(cpuClock()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// A struct of any size holds exactly its schema's fields.
func TestNewStructSizes(t *testing.T) {
	for n := range 40 {
		sb := StructSchema()
		for i := range n {
			sb.Field("f"+strconv.Itoa(i), OptionalInt32Schema)
		}
		s := sb.Build()
		st := NewStruct(s)
		if len(st.values) != n || cap(st.values) != n || st.Schema() != s {
			t.Fatalf("%d fields: len %d cap %d", n, len(st.values), cap(st.values))
		}
		for i := range n {
			st.PutIndex(i, int32(i))
		}
		for i := range n {
			if st.GetIndex(i) != int32(i) {
				t.Fatalf("%d fields: field %d = %v", n, i, st.GetIndex(i))
			}
		}
		if err := st.Validate(); err != nil {
			t.Fatalf("%d fields: %v", n, err)
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
