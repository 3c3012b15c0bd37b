package api

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
)

// RetriableError is an error that says whether doing the same thing again may succeed, as
// franz-go's kerr.Error carries its Retriable flag: the code that saw the failure knows best (a
// broken connection heals, a row that cannot be decoded is decoded the same way on every try),
// so it marks the error where it happens and everything above it (a connector's reconnect loop,
// the runtime's trace) reads the mark instead of guessing from the message.
type RetriableError struct {
	Err error
	// Retriable is true when trying again (reconnecting, re-reading from the last position) may
	// succeed, false when it cannot without someone changing the configuration, the data or the
	// server.
	Retriable bool
}

// Error returns the wrapped error's text: the mark is for code, not for people.
func (e *RetriableError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error, so errors.Is and errors.As see through the mark.
func (e *RetriableError) Unwrap() error { return e.Err }

// Retriable marks err as one that trying again may fix; nil stays nil.
func Retriable(err error) error {
	if err == nil {
		return nil
	}
	return &RetriableError{Err: err, Retriable: true}
}

// Permanent marks err as one that trying again cannot fix; nil stays nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &RetriableError{Err: err, Retriable: false}
}

// IsRetriable reports whether trying again may fix err. The outermost mark decides, so a caller
// can overrule what a library below it said (a connection error met while replaying a position
// the server purged is still permanent). An unmarked error is retriable only when it is a
// transport failure: drivers rarely mark their network errors, and a broken or refused
// connection is the one failure a reconnect is made for. Everything else unmarked is permanent,
// because retrying an error nobody understood hides it behind a loop that never ends (the policy
// of Kafka Connect, whose RetriableException is opt-in too). Cancellation is never retriable:
// someone asked the work to stop.
func IsRetriable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var re *RetriableError
	if errors.As(err, &re) {
		return re.Retriable
	}
	return IsTransport(err)
}

// IsPermanent reports whether err is an error that trying again cannot fix (see IsRetriable).
func IsPermanent(err error) bool { return err != nil && !IsRetriable(err) }

// IsTransport reports whether err is a failure of the connection rather than of the request: a
// network error, a connection closed or reset by the peer, an unexpected end of the stream.
func IsTransport(err error) bool {
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &oe), errors.As(err, &ne):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	}
	return false
}
