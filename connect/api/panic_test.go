package api

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	if err := Guard(func() error { return nil }); err != nil {
		t.Fatalf("no panic: %v", err)
	}
	if err := Guard(func() error { return io.EOF }); err != io.EOF || IsPanic(err) || PanicStack(err) != nil {
		t.Fatalf("an error is returned as it is: %v", err)
	}
	err := Guard(func() error { panic("boom") })
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" || !IsPanic(err) {
		t.Fatalf("a panic: %#v", err)
	}
	if !strings.HasPrefix(err.Error(), "panic: boom (a bug") || strings.Contains(err.Error(), "goroutine") {
		t.Errorf("Error() = %q", err.Error())
	}
	// The stack is the panicking goroutine's, down to the function that panicked.
	if st := string(PanicStack(err)); !strings.Contains(st, "api.TestGuard.func") || !strings.Contains(st, "panic_test.go:") {
		t.Errorf("stack:\n%s", st)
	}
	// A runtime error stays visible through the wrapping.
	err = Guard(func() error {
		var m map[string]int
		m["x"] = 1
		return nil
	})
	if wrapped := errors.Join(errors.New("reader"), err); !IsPanic(wrapped) || PanicStack(wrapped) == nil {
		t.Errorf("a wrapped panic is not recognised: %v", wrapped)
	}
	var re interface{ RuntimeError() }
	if !errors.As(err, &re) {
		t.Errorf("the runtime.Error is not unwrapped: %v", err)
	}
}
