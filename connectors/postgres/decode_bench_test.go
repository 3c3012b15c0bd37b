package postgres

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectd/connectd/connectors/postgres/pgtypes"
)

// BenchmarkDecodeTuple decodes the new row of an insert of tests/bench's workload (bigint, ints,
// three long varchars, numeric, timestamp) into a fresh slice per row, as the stream did, and
// into the task's reused slice, as it does now.
func BenchmarkDecodeTuple(b *testing.B) {
	reg := pgtypes.NewRegistry()
	opts := pgtypes.DefaultOptions()
	oids := []uint32{20, 23, 23, 20, 1043, 1043, 1043, 1700, 1114, 20}
	tb := &table{id: tableID("s", "events")}
	for i, oid := range oids {
		tb.cols = append(tb.cols, column{name: "c" + string(rune('a'+i)), key: i == 0, emit: true, mapping: opts.Map(reg, oid, -1)})
	}
	td := tuple("123456", "7", "-42", "1099511627776", strings.Repeat("a", 180), strings.Repeat("b", 180),
		strings.Repeat("c", 140), "12345.67", "2026-12-07 21:55:00.123456", "1765140000123999")
	task := &Task{}
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuClock()
		for b.Loop() {
			if _, err := task.decodeTupleData(tb, td, nil, false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuClock()-cpu)/float64(b.N), "cpu-ns/op")
	})
	b.Run("reused", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuClock()
		var row []any
		for b.Loop() {
			var err error
			if row, err = task.decodeTupleInto(row, tb, td, nil, false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuClock()-cpu)/float64(b.N), "cpu-ns/op")
	})
}

// cpuClock returns the process's user+system CPU time: benchmarks report cpu-ns/op beside ns/op
// because on a shared, loaded machine the wall clock mostly measures the other processes.
func cpuClock() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
