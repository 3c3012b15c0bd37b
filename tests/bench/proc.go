package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat: 100 on every Linux
// architecture Go supports (the kernel fixes it for the ABI).
const clockTicks = 100

// procUsage is one reading of a process's memory and CPU.
type procUsage struct {
	RSSKiB int64   // VmRSS
	HWMKiB int64   // VmHWM: the peak resident set since the process started
	CPU    float64 // utime+stime in seconds
}

// readProc reads /proc/<pid>/status and /proc/<pid>/stat.
func readProc(pid int) (procUsage, error) {
	var u procUsage
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, fmt.Errorf("could not read the memory of pid %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			u.RSSKiB = kib(v)
		} else if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			u.HWMKiB = kib(v)
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, fmt.Errorf("could not read the CPU time of pid %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis are
	// plain: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return u, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, stat)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return u, fmt.Errorf("unexpected /proc/%d/stat: %q", pid, stat)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return u, fmt.Errorf("unexpected utime/stime in /proc/%d/stat: %q", pid, stat)
	}
	u.CPU = float64(ut+st) / clockTicks
	return u, nil
}

func kib(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
	return n
}

// sampler reads a process's usage every interval and keeps the largest VmRSS it saw; VmHWM is
// the kernel's own peak, which also catches spikes between samples.
type sampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	maxRSS  int64
	last    procUsage
	lastErr error
}

func startSampler(pid int, interval time.Duration) *sampler {
	s := &sampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	s.sample()
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *sampler) sample() procUsage {
	u, err := readProc(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastErr = err
		return s.last
	}
	s.last = u
	s.maxRSS = max(s.maxRSS, u.RSSKiB)
	return u
}

// now takes a sample at once and returns it (phase boundaries use it for CPU deltas).
func (s *sampler) now() procUsage { return s.sample() }

// finish stops sampling and returns the last reading and the largest VmRSS seen.
func (s *sampler) finish() (procUsage, int64, error) {
	last := s.sample()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if last.HWMKiB == 0 && s.lastErr != nil {
		return last, s.maxRSS, s.lastErr
	}
	return last, s.maxRSS, nil
}
