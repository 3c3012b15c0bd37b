package source

import (
	"context"
	"time"
)

// Delay waits d (snapshot.delay.ms: a pause before a snapshot starts, so that connectors
// started together do not all snapshot at once), or until ctx ends.
func Delay(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
