package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/progress"
	"github.com/connectd/connectd/connectors/cdcconfig"
)

// RetryPolicy is how a source reconnects after a retriable error, as Debezium's connectors do:
// waits grow from Initial, doubling up to Max, and after MaxRetries failed attempts in a row the
// error fails the task. An attempt that made progress (received events) starts the count and the
// wait again, so a long-running connection that breaks once a day is not failed for breaks
// spread over weeks.
type RetryPolicy struct {
	// MaxRetries is errors.max.retries: -1 retries forever, 0 never, n at most n times in a row.
	MaxRetries int
	// Initial is errors.retry.delay.initial.ms, the first wait.
	Initial time.Duration
	// Max is errors.retry.delay.max.ms, the longest wait.
	Max time.Duration
}

// RetryPolicyFrom reads the policy from the common configuration.
func RetryPolicyFrom(c *cdcconfig.Common) RetryPolicy {
	return RetryPolicy{MaxRetries: c.ErrorsMaxRetries, Initial: c.RetryDelayInitial, Max: c.RetryDelayMax}
}

// next returns the wait after wait: doubled, within [Initial, Max].
func (p RetryPolicy) next(wait time.Duration) time.Duration {
	if wait <= 0 {
		return max(p.Initial, time.Millisecond)
	}
	return min(wait*2, max(p.Max, p.Initial))
}

// Attempt connects once and streams until an error or until ctx ends; progressed reports
// whether it got anywhere (events were received), which resets the retry count and the wait.
type Attempt func(ctx context.Context) (progressed bool, err error)

// Supervise runs attempt until ctx ends or it fails with an error that is not retriable (see
// api.IsRetriable) or retriable errors exhaust the policy. what names the connection in logs;
// where, when set, adds the position the next attempt resumes from. A nil error from attempt
// while ctx is alive is taken as a dropped connection and retried, so an attempt need not invent
// an error for a server that closed the stream cleanly. The result is nil when ctx ended.
func Supervise(ctx context.Context, p RetryPolicy, log *slog.Logger, what string, attempt Attempt, where func() []any) error {
	return supervise(ctx, p, log, what, attempt, where, true)
}

// SuperviseStream is Supervise for an engine whose attempts call Connected once the server has
// accepted the stream: the Connected metric then stays down while a reconnection is only being
// tried (the server down, refusing, starting up), instead of showing up for every attempt.
func SuperviseStream(ctx context.Context, p RetryPolicy, log *slog.Logger, what string, attempt Attempt, where func() []any) error {
	return supervise(ctx, p, log, what, attempt, where, false)
}

// Connected says, from inside an attempt of SuperviseStream, that the server accepted the stream.
func Connected(ctx context.Context) {
	progress.FromContext(ctx).SetConnected(true)
}

func supervise(ctx context.Context, p RetryPolicy, log *slog.Logger, what string, attempt Attempt, where func() []any, upFront bool) error {
	wait := time.Duration(0)
	retries := 0
	prog := progress.FromContext(ctx) // the reader's context carries the task's progress
	prog.StreamingStarted()
	for {
		if upFront {
			prog.SetConnected(true)
		}
		progressed, err := attempt(ctx)
		prog.SetConnected(false)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = errors.New("the server ended the stream")
		}
		if !api.IsRetriable(err) {
			return err
		}
		if progressed {
			wait, retries = 0, 0
		}
		if p.MaxRetries >= 0 && retries >= p.MaxRetries {
			return api.Permanent(fmt.Errorf("the %s failed %d times in a row (errors.max.retries=%d); last error: %w; "+
				"check that the database is reachable, or raise errors.max.retries", what, retries+1, p.MaxRetries, err))
		}
		retries++
		wait = p.next(wait)
		args := []any{"error", err, "retry_in", wait, "attempt", retries}
		if where != nil {
			args = append(args, where()...)
		}
		log.Warn(what+" lost; reconnecting", args...)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}
