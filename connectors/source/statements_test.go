package source

import (
	"slices"
	"testing"
)

// TestSplitStatements: ';' separates, ';;' is a semicolon inside a statement, blanks are dropped.
func TestSplitStatements(t *testing.T) {
	got := SplitStatements(" SET @a=1; SELECT 'x;;y' ; ;SET @b=2;")
	if want := []string{"SET @a=1", "SELECT 'x;y'", "SET @b=2"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
