package runtime

import (
	"math"
	"runtime/debug"
	"testing"
)

// The soft memory limit covers one task with the default buffers in its base and grows by every
// further task's buffers while it runs; without SetMemoryBudget (GOMEMLIMIT set) it is untouched.
func TestMemoryBudgetFollowsTasks(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	sum := taskBudgets.Load()
	t.Cleanup(func() { memoryBase.Store(0); debug.SetMemoryLimit(prev) })
	const base = 80 << 20
	one := int64(DefaultMaxInflightBytes + queueBytesPerTask)
	SetMemoryBudget(base)
	addTaskBudget(one)
	addTaskBudget(one)
	if got, want := debug.SetMemoryLimit(-1), base+max(0, sum+2*one-one); got != want {
		t.Fatalf("limit with two more tasks: %d, want %d", got, want)
	}
	addTaskBudget(-one)
	addTaskBudget(-one)
	if got, want := debug.SetMemoryLimit(-1), base+max(0, sum-one); got != want {
		t.Fatalf("limit after they stopped: %d, want %d", got, want)
	}
	memoryBase.Store(0)
	debug.SetMemoryLimit(math.MaxInt64)
	addTaskBudget(one)
	addTaskBudget(-one)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("without a budget the limit changed to %d", got)
	}
}
