package api

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Fault containment: Go cannot recover a panic from another goroutine, and an unrecovered panic
// ends the whole process — every connector on the worker, not just the one with the bug. The
// runtime recovers panics in the calls it makes into a connector (Start, Poll, Commit, Stop,
// TaskConfigs, ...), but a goroutine the connector starts itself (a binlog or WAL reader, a
// heartbeat loop) is out of its reach. So every such goroutine runs its body through Guard and
// hands a non-nil result to the task, typically with queue.Close(err): Poll then returns the
// *PanicError, and the runtime fails that task alone with the panic value and stack as its trace.

// PanicError is a panic recovered by Guard: the panic value and the stack of the goroutine that
// panicked, captured where the panic happened.
type PanicError struct {
	Value any
	Stack []byte
}

// Error says what panicked and that it is a bug; the stack is kept apart (PanicError.Stack) so log
// lines stay readable and a task's trace can show it in full.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v (a bug in the connector or in connectd; please report it with the task's trace)", e.Value)
}

// Unwrap returns the panic value when it is an error (a runtime.Error, or an error passed to
// panic), so errors.Is and errors.As see through the panic.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Guard runs fn and returns its error, or a *PanicError if fn panicked. Use it for the whole body
// of every goroutine a connector starts, and report a non-nil result to the task (queue.Close):
//
//	go func() {
//		if err := api.Guard(func() error { return t.read(ctx) }); err != nil {
//			t.queue.Close(err)
//		}
//	}()
func Guard(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// IsPanic reports whether err is, or wraps, a panic recovered by Guard. A goroutine that stops
// quietly when its context is cancelled should still report a panic.
func IsPanic(err error) bool {
	var pe *PanicError
	return errors.As(err, &pe)
}

// PanicStack returns the stack of the panic err is or wraps, nil when err is not a panic.
func PanicStack(err error) []byte {
	var pe *PanicError
	if errors.As(err, &pe) {
		return pe.Stack
	}
	return nil
}
