package runtime

import (
	"runtime/debug"
	"sync/atomic"
)

// queueBytesPerTask is what a task's change-event queue may hold by default
// (max.queue.size.in.bytes, 8 MiB), counted in a task's memory budget.
const queueBytesPerTask = 8 << 20

// memoryBase is the soft memory limit SetMemoryBudget was given (0: the process does not manage
// the limit, GOMEMLIMIT was set); taskBudgets sums the budgets of the running tasks.
var memoryBase, taskBudgets atomic.Int64

// SetMemoryBudget sets Go's soft memory limit to base, sized for a worker running one task with
// the default buffers, and lets the workers raise it by each further task's bounded buffers
// (its producer.buffer.memory and the default queue bytes) while that task runs. A low fixed limit
// would otherwise make the collector run without pause once several tasks fill their buffers
// together; cmd/connectd calls it when GOMEMLIMIT is not set.
func SetMemoryBudget(base int64) {
	memoryBase.Store(base)
	debug.SetMemoryLimit(base)
}

// taskBudget is the memory a task's bounded buffers may hold.
func taskBudget(t *taskRunner) int64 { return t.maxInflight + queueBytesPerTask }

// addTaskBudget counts a task starting (delta > 0) or stopping (delta < 0) in the memory limit,
// which covers one task's buffers in its base.
func addTaskBudget(delta int64) {
	sum := taskBudgets.Add(delta)
	base := memoryBase.Load()
	if base <= 0 {
		return
	}
	first := int64(DefaultMaxInflightBytes + queueBytesPerTask)
	debug.SetMemoryLimit(base + max(0, sum-first))
}
