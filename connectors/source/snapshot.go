package source

import (
	"context"

	"github.com/connectd/connectd/connectors/envelope"
)

// SnapshotMarks gives each row of an initial snapshot Debezium's source.snapshot marker: first
// (the snapshot's first row), first_in_data_collection, true, last_in_data_collection and last
// (the snapshot's last row, whose committed offset says the snapshot is complete). A row's
// marker depends on the row after it, so one row is held back until the next row, the end of
// its table or the end of the snapshot is known. When the last tables are empty the last row of
// an earlier table is the snapshot's last, as in Debezium.
type SnapshotMarks[R any] struct {
	emit func(ctx context.Context, row R, marker envelope.Snapshot) error

	held                        R
	holding                     bool
	heldFirst, heldFirstInTable bool
	heldEndOfTable              bool
	tableRows, rows             int64
}

// NewSnapshotMarks returns a driver that hands each row to emit with its marker, in order;
// emit sees envelope.SnapshotLast exactly once, for the snapshot's last row, if any.
func NewSnapshotMarks[R any](emit func(ctx context.Context, row R, marker envelope.Snapshot) error) *SnapshotMarks[R] {
	return &SnapshotMarks[R]{emit: emit}
}

// Add takes the next row of the current table, emitting the row held before it.
func (s *SnapshotMarks[R]) Add(ctx context.Context, row R) error {
	if err := s.flush(ctx, false); err != nil {
		return err
	}
	s.held, s.holding = row, true
	s.heldFirst, s.heldFirstInTable, s.heldEndOfTable = s.rows == 0, s.tableRows == 0, false
	s.tableRows++
	s.rows++
	return nil
}

// EndTable says the current table has no more rows and returns how many it had. Its last row
// stays held: it is the snapshot's last if every later table is empty.
func (s *SnapshotMarks[R]) EndTable() int64 {
	n := s.tableRows
	if n > 0 {
		s.heldEndOfTable = true
	}
	s.tableRows = 0
	return n
}

// Finish emits the held row as the snapshot's last.
func (s *SnapshotMarks[R]) Finish(ctx context.Context) error { return s.flush(ctx, true) }

// Rows returns how many rows were added.
func (s *SnapshotMarks[R]) Rows() int64 { return s.rows }

func (s *SnapshotMarks[R]) flush(ctx context.Context, last bool) error {
	if !s.holding {
		return nil
	}
	marker := snapshotMarker(last, s.heldFirst, s.heldEndOfTable, s.heldFirstInTable)
	row := s.held
	var zero R
	s.held, s.holding = zero, false
	return s.emit(ctx, row, marker)
}

// snapshotMarker is a row's source.snapshot marker, the first that applies of: the snapshot's
// last row, its first, its table's last, its table's first.
func snapshotMarker(last, first, lastInTable, firstInTable bool) envelope.Snapshot {
	switch {
	case last:
		return envelope.SnapshotLast
	case first:
		return envelope.SnapshotFirst
	case lastInTable:
		return envelope.SnapshotLastInDataCollection
	case firstInTable:
		return envelope.SnapshotFirstInDataCollection
	}
	return envelope.SnapshotTrue
}
