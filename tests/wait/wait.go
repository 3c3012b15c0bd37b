// Package wait holds the one polling loop the integration tests use to wait for a condition. It
// imports nothing of connectd, so the tests inside any package (connect/runtime among them) can
// use it.
package wait

import (
	"testing"
	"time"
)

// Until polls cond until it holds and fails the test if it still does not after two minutes;
// the deadline only guards against a hang, it is no assertion on how fast anything is. It polls
// every 20 ms because some conditions hold only for a while (a committed offset between two
// values, a task before its next batch), and a slower poll could step over them.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	UntilDescribed(t, what, cond, nil)
}

// UntilDescribed is Until with describe (when not nil) telling, on a time-out, what was seen
// last, so a failure says how far the condition was from holding.
func UntilDescribed(t testing.TB, what string, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			if describe != nil {
				t.Fatalf("timed out waiting until %s; last seen: %s", what, describe())
			}
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
