package snapshotmode

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		err  string
	}{
		{"", Initial, ""},
		{"initial", Initial, ""},
		{" INITIAL ", Initial, ""},
		{"exported", Initial, ""},
		{"When_Needed", WhenNeeded, ""},
		{"never", Never, ""},
		{"no_data", NoData, ""},
		{"schema_only", NoData, ""},
		{"SCHEMA_ONLY_RECOVERY", Recovery, ""},
		{"recovery", Recovery, ""},
		{"initial_only", InitialOnly, ""},
		{"always", Always, ""},
		{"custom", 0, "not supported by connectd yet"},
		{"configuration_based", 0, "not supported"},
		{"sometimes", 0, `"sometimes" is not a snapshot mode`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) error = %v, want containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestNamesParse(t *testing.T) {
	for _, n := range Names() {
		m, err := Parse(n)
		if err != nil {
			t.Errorf("Parse(%q) from Names(): %v", n, err)
		}
		if _, err := Parse(m.String()); err != nil {
			t.Errorf("String() %q does not parse back: %v", m, err)
		}
	}
}

// outcome kinds for the exhaustive table.
const (
	okPlan = iota
	purged
	history
	noOffset
	unfinished
)

func TestDecideExhaustive(t *testing.T) {
	full := Plan{SnapshotSchema: true, SnapshotData: true, Stream: FromSnapshot}
	fullDrop := Plan{DropOffset: true, SnapshotSchema: true, SnapshotData: true, Stream: FromSnapshot}
	resume := Plan{SnapshotSchema: true, SnapshotData: true, ResumeSnapshot: true, Stream: FromSnapshot}
	stream := Plan{Stream: FromOffset}

	// expect returns the outcome for every combination; written as the rules of design.md §4,
	// independently of Decide's control flow.
	expect := func(m Mode, s State) (Plan, int) {
		if m == Always {
			if s.HasOffset {
				return fullDrop, okPlan
			}
			return full, okPlan
		}
		if m == InitialOnly {
			switch {
			case !s.HasOffset:
				return Plan{SnapshotSchema: true, SnapshotData: true}, okPlan
			case !s.SnapshotCompleted:
				return Plan{SnapshotSchema: true, SnapshotData: true, ResumeSnapshot: true}, okPlan
			}
			return Plan{}, okPlan
		}
		if !s.HasOffset {
			switch m {
			case Initial, WhenNeeded:
				return full, okPlan
			case Never:
				return Plan{Stream: FromOldest}, okPlan
			case NoData:
				return Plan{SnapshotSchema: true, Stream: FromSnapshot}, okPlan
			case Recovery:
				return Plan{}, noOffset
			}
		}
		if !s.SnapshotCompleted {
			switch m {
			case Initial, WhenNeeded:
				if !s.LogPositionAvailable {
					return fullDrop, okPlan
				}
				return resume, okPlan
			case NoData:
				return Plan{DropOffset: true, SnapshotSchema: true, Stream: FromSnapshot}, okPlan
			case Recovery:
				return Plan{}, unfinished
			}
		}
		if !s.LogPositionAvailable {
			if m == WhenNeeded {
				return fullDrop, okPlan
			}
			return Plan{}, purged
		}
		if m == Recovery {
			return Plan{SnapshotSchema: true, RebuildHistory: true, Stream: FromOffset}, okPlan
		}
		if !s.HistoryAvailable {
			if m == WhenNeeded {
				return fullDrop, okPlan
			}
			return Plan{}, history
		}
		return stream, okPlan
	}

	modes := []Mode{Initial, WhenNeeded, Never, NoData, Recovery, InitialOnly, Always}
	n := 0
	for _, m := range modes {
		for bits := 0; bits < 16; bits++ {
			s := State{HasOffset: bits&1 != 0, SnapshotCompleted: bits&2 != 0, LogPositionAvailable: bits&4 != 0, HistoryAvailable: bits&8 != 0}
			wantPlan, wantKind := expect(m, s)
			got, err := Decide(m, s)
			n++
			var pe *PurgedError
			switch wantKind {
			case okPlan:
				if err != nil || got != wantPlan {
					t.Errorf("Decide(%v, %+v) = %+v, %v; want %+v", m, s, got, err, wantPlan)
				}
			case purged:
				if !errors.As(err, &pe) || pe.Mode != m {
					t.Errorf("Decide(%v, %+v) error = %v; want *PurgedError", m, s, err)
				}
			case history:
				if !errors.Is(err, ErrHistoryMissing) {
					t.Errorf("Decide(%v, %+v) error = %v; want ErrHistoryMissing", m, s, err)
				}
			case noOffset:
				if !errors.Is(err, ErrNoOffset) {
					t.Errorf("Decide(%v, %+v) error = %v; want ErrNoOffset", m, s, err)
				}
			case unfinished:
				if !errors.Is(err, ErrUnfinishedSnapshot) {
					t.Errorf("Decide(%v, %+v) error = %v; want ErrUnfinishedSnapshot", m, s, err)
				}
			}
			if wantKind != okPlan && got != (Plan{}) {
				t.Errorf("Decide(%v, %+v) returned plan %+v with error", m, s, got)
			}
		}
	}
	if n != 7*16 {
		t.Fatalf("covered %d cases", n)
	}
}

// TestDecideDesignTable spells out the rows of design.md §4 by name so a reader can check them.
func TestDecideDesignTable(t *testing.T) {
	fresh := State{HistoryAvailable: true}
	running := State{HasOffset: true, SnapshotCompleted: true, LogPositionAvailable: true, HistoryAvailable: true}
	gone := running
	gone.LogPositionAvailable = false
	noHist := running
	noHist.HistoryAvailable = false

	tests := []struct {
		name string
		mode Mode
		st   State
		want Plan
		fail bool
	}{
		{"initial fresh", Initial, fresh, Plan{SnapshotSchema: true, SnapshotData: true, Stream: FromSnapshot}, false},
		{"initial running", Initial, running, Plan{Stream: FromOffset}, false},
		{"initial purged", Initial, gone, Plan{}, true},
		{"initial history missing", Initial, noHist, Plan{}, true},
		{"when_needed purged", WhenNeeded, gone, Plan{DropOffset: true, SnapshotSchema: true, SnapshotData: true, Stream: FromSnapshot}, false},
		{"when_needed history missing", WhenNeeded, noHist, Plan{DropOffset: true, SnapshotSchema: true, SnapshotData: true, Stream: FromSnapshot}, false},
		{"never fresh", Never, fresh, Plan{Stream: FromOldest}, false},
		{"never purged", Never, gone, Plan{}, true},
		{"no_data fresh", NoData, fresh, Plan{SnapshotSchema: true, Stream: FromSnapshot}, false},
		{"no_data history missing", NoData, noHist, Plan{}, true},
		{"recovery fresh", Recovery, fresh, Plan{}, true},
		{"recovery history missing", Recovery, noHist, Plan{SnapshotSchema: true, RebuildHistory: true, Stream: FromOffset}, false},
		{"initial_only fresh", InitialOnly, fresh, Plan{SnapshotSchema: true, SnapshotData: true}, false},
		{"initial_only done", InitialOnly, running, Plan{}, false},
		{"always running", Always, running, Plan{DropOffset: true, SnapshotSchema: true, SnapshotData: true, Stream: FromSnapshot}, false},
	}
	for _, tt := range tests {
		got, err := Decide(tt.mode, tt.st)
		if (err != nil) != tt.fail || got != tt.want {
			t.Errorf("%s: Decide = %+v, %v; want %+v, fail=%v", tt.name, got, err, tt.want, tt.fail)
		}
	}
}

func TestPurgedErrorMessage(t *testing.T) {
	_, err := Decide(Initial, State{HasOffset: true, SnapshotCompleted: true, HistoryAvailable: true})
	var pe *PurgedError
	if !errors.As(err, &pe) {
		t.Fatalf("want *PurgedError, got %v", err)
	}
	pe.Needed = "mysql-bin.000003:4711"
	pe.Available = "mysql-bin.000007 and later"
	msg := pe.Error()
	for _, want := range []string{"mysql-bin.000003:4711", "mysql-bin.000007 and later", "snapshot.mode=when_needed",
		"PATCH /connectors/<name>/offsets", "STOPPED", "snapshot.mode=initial"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

func TestDecideUnknownMode(t *testing.T) {
	if _, err := Decide(Mode(0), State{}); err == nil {
		t.Fatal("Decide(0) succeeded")
	}
	if Mode(99).String() != "Mode(99)" {
		t.Fatal(Mode(99).String())
	}
}
