package bench

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MachineCPU is where the whole machine's CPU went between two readings: everything is
// co-located on a few cores, so a phase's rate is often bounded by what the broker and the
// database burn beside the system under test, and these figures show it.
type MachineCPU struct {
	Wall  float64 // seconds between the readings
	Busy  float64 // CPU seconds of every core: all but idle and iowait (/proc/stat)
	Kafka float64 // the broker's JVM (main class kafka.Kafka)
	DB    float64 // the database server: mariadbd/mysqld, or every postgres process
}

// Cores is the capacity the readings are measured against.
func (MachineCPU) Cores() int { return runtime.NumCPU() }

// BusyShare is Busy as a share of every core over the wall time.
func (m MachineCPU) BusyShare() float64 {
	if m.Wall <= 0 {
		return 0
	}
	return m.Busy / (m.Wall * float64(m.Cores()))
}

// machineReading is one reading of the counters MachineCPU is the difference of.
type machineReading struct {
	at    time.Time
	busy  float64
	kafka float64
	db    float64
}

// readMachine reads /proc/stat and every process's CPU. A database's exited backends count
// through their parent's cutime/cstime (PostgreSQL's postmaster reaps them), so the sum over the
// server's processes of own plus reaped children's time counts each process once.
func readMachine() machineReading {
	r := machineReading{at: time.Now(), busy: machineBusy()}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil {
			continue
		}
		switch name := strings.TrimSpace(string(comm)); name {
		case "mariadbd", "mysqld", "postgres":
			r.db += procTotalCPU(d)
		case "java":
			cmd, err := os.ReadFile(d + "/cmdline")
			if err == nil && bytes.Contains(cmd, []byte("\x00kafka.Kafka\x00")) {
				r.kafka += procTotalCPU(d)
			}
		}
	}
	return r
}

// sub is the usage between an earlier reading and this one.
func (r machineReading) sub(earlier machineReading) MachineCPU {
	return MachineCPU{
		Wall:  r.at.Sub(earlier.at).Seconds(),
		Busy:  r.busy - earlier.busy,
		Kafka: r.kafka - earlier.kafka,
		DB:    r.db - earlier.db,
	}
}

// machineBusy is the CPU seconds all cores spent not idle since boot (the aggregate "cpu" line
// of /proc/stat: user nice system idle iowait irq softirq steal, in USER_HZ ticks).
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return float64(busy) / clockTicks
}

// procTotalCPU is utime+stime+cutime+cstime of a /proc/<pid> folder, in seconds (0 when it
// exited meanwhile).
func procTotalCPU(dir string) float64 {
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 15 {
		return 0
	}
	var t int64
	for _, v := range f[11:15] {
		n, _ := strconv.ParseInt(v, 10, 64)
		t += n
	}
	return float64(t) / clockTicks
}

// medianMachine is the machine's figures of the run whose phase took the median wall time, so
// one run's figures stay together.
func medianMachine(runs []SystemResult, get func(SystemResult) MachineCPU) MachineCPU {
	ms := make([]MachineCPU, len(runs))
	for i, r := range runs {
		ms[i] = get(r)
	}
	slices.SortFunc(ms, func(a, b MachineCPU) int { return cmp.Compare(a.Wall, b.Wall) })
	return ms[len(ms)/2]
}
