package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
)

func TestRetriableMarks(t *testing.T) {
	base := errors.New("boom")
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"unmarked", base, false},
		{"marked retriable", Retriable(base), true},
		{"marked permanent", Permanent(base), false},
		{"wrapped retriable", fmt.Errorf("reading: %w", Retriable(base)), true},
		{"outer mark wins", Permanent(fmt.Errorf("x: %w", Retriable(base))), false},
		{"outer retriable over inner permanent", Retriable(fmt.Errorf("x: %w", Permanent(base))), true},
		{"dial refused", fmt.Errorf("connect: %w", refused), true},
		{"eof", fmt.Errorf("read: %w", io.EOF), true},
		{"unexpected eof", io.ErrUnexpectedEOF, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"transport marked permanent", Permanent(refused), false},
		{"canceled", context.Canceled, false},
		{"canceled though marked", Retriable(context.Canceled), false},
	}
	for _, c := range cases {
		if got := IsRetriable(c.err); got != c.want {
			t.Errorf("%s: IsRetriable = %v, want %v", c.name, got, c.want)
		}
		if c.err != nil && IsPermanent(c.err) == c.want {
			t.Errorf("%s: IsPermanent = %v, want %v", c.name, !c.want, !c.want)
		}
	}
	if Retriable(nil) != nil || Permanent(nil) != nil {
		t.Error("marking nil must stay nil")
	}
	if err := Permanent(base); err.Error() != "boom" || !errors.Is(err, base) {
		t.Errorf("the mark must keep the text and the chain: %q", err)
	}
}
