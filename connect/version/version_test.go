package version

import "testing"

// A test binary has no module version and no -ldflags, so it reports Dev; set at build time, the
// variable wins. The variable is read once, as it would be at start-up.
func TestString(t *testing.T) {
	if got := String(); got != Dev {
		t.Fatalf("String() = %q in a test binary, want %q", got, Dev)
	}
	if Commit() == "" {
		t.Fatal("Commit() is empty; want a revision or \"unknown\"")
	}
}
