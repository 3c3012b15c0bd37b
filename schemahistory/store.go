package schemahistory

import (
	"context"
	"errors"
	"fmt"

	"github.com/connectd/connectd/connect/api/relational"
)

// Store is where a connector's schema history lives: a Kafka topic (KafkaStore), a file
// (FileStore) or memory (MemoryStore). Records are kept in the order they were written and read
// back from the first.
type Store interface {
	// Record appends recs in order. When it returns nil they are durable: acknowledged by every
	// in-sync replica, or synced to disk. A connector records a schema change before emitting
	// events that depend on it.
	Record(ctx context.Context, recs ...*Record) error
	// Recover calls fn with every record from the first to the last one present when Recover
	// started, in order. It stops at the first error fn returns and returns it.
	Recover(ctx context.Context, fn func(*Record) error) error
	// Exists reports whether the store holds at least one record, Debezium's
	// SchemaHistory.exists(): an empty or missing history means the connector cannot rebuild its
	// table model and must snapshot the schema again (or fail, depending on snapshot.mode).
	Exists(ctx context.Context) (bool, error)
	// Close releases the store's resources.
	Close() error
}

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// Include reports whether a record is at or before the offset the connector resumes from, and
	// so part of the table model it must rebuild. Records it rejects are skipped and the replay
	// goes on: as in Debezium, a history may hold records written after the last committed offset
	// (the connector crashed before committing) followed by the same changes recorded again after
	// the restart, and records of another source partition. Nil includes every record.
	//
	// The comparison is the connector's: MySQL compares GTID sets, or binlog file, position and
	// event counters; SQL Server compares LSNs. It typically checks rec.Source against its own
	// partition and rec.Position against its offset.
	Include func(rec *Record) bool
	// ParseDDL applies the DDL of a record that has no tableChanges (histories written by
	// Debezium before 1.2, and statements such as DROP DATABASE for which MySQL records none) to
	// tables, with rec.DatabaseName and rec.SchemaName as the current database and schema. The
	// connector supplies it; the history never parses DDL itself. When nil, such records are
	// counted in ReplayStats.DDLIgnored and otherwise skipped.
	ParseDDL func(rec *Record, tables *relational.Tables) error
	// PreferDDL replays from the DDL even when a record has tableChanges
	// (schema.history.internal.prefer.ddl); it needs ParseDDL.
	PreferDDL bool
}

// ReplayStats counts what a replay did with the records it read.
type ReplayStats struct {
	// Records is the number of records read.
	Records int
	// Applied is the number of records whose changes were applied to the tables.
	Applied int
	// Skipped is the number of records ReplayOptions.Include rejected.
	Skipped int
	// Invalid is the number of records without source or position, skipped as Debezium does.
	Invalid int
	// TableChanges is the number of table changes applied from tableChanges.
	TableChanges int
	// DDLParsed is the number of records applied through ReplayOptions.ParseDDL.
	DDLParsed int
	// DDLIgnored is the number of included records that had DDL but no tableChanges and were not
	// applied because ReplayOptions.ParseDDL was nil. For a MySQL history these are statements
	// like SET, USE and CREATE DATABASE; a non-zero count on a history written by Debezium before
	// 1.2 means the table model is incomplete without a DDL parser.
	DDLIgnored int
	// Last is the last record applied, nil if none: the connector can check that its history
	// reaches the offset it resumes from.
	Last *Record
}

// Replay rebuilds tables from the history in store, from the first record, applying every record
// opts.Include accepts: its tableChanges when it has some (CREATE and ALTER overwrite the table,
// an ALTER with a previous id removes the old id first, DROP removes it), else its DDL through
// opts.ParseDDL. This is Debezium's AbstractSchemaHistory.recover.
func Replay(ctx context.Context, store Store, tables *relational.Tables, opts ReplayOptions) (ReplayStats, error) {
	var st ReplayStats
	if opts.PreferDDL && opts.ParseDDL == nil {
		return st, errors.New("cannot replay the schema history preferring DDL without a DDL parser: the connector must supply ReplayOptions.ParseDDL")
	}
	err := store.Recover(ctx, func(rec *Record) error {
		st.Records++
		if !rec.Valid() {
			st.Invalid++
			return nil
		}
		if opts.Include != nil && !opts.Include(rec) {
			st.Skipped++
			return nil
		}
		switch {
		case len(rec.TableChanges) > 0 && !opts.PreferDDL:
			if err := ApplyTableChanges(tables, rec.TableChanges); err != nil {
				return fmt.Errorf("cannot apply the table changes of the history record at position %v: %w", rec.Position, err)
			}
			st.TableChanges += len(rec.TableChanges)
		case rec.DDL == "":
			return nil
		case opts.ParseDDL == nil:
			st.DDLIgnored++
			return nil
		default:
			if err := opts.ParseDDL(rec, tables); err != nil {
				return fmt.Errorf("cannot apply the DDL of the history record at position %v: %w", rec.Position, err)
			}
			st.DDLParsed++
		}
		st.Applied++
		st.Last = rec
		return nil
	})
	return st, err
}

// ApplyTableChanges applies changes to tables in order, as Debezium's recovery does.
func ApplyTableChanges(tables *relational.Tables, changes []TableChange) error {
	for i := range changes {
		ch := &changes[i]
		switch ch.Type {
		case Create, Alter:
			if ch.Table == nil {
				return fmt.Errorf("the %s of %s carries no table structure", ch.Type, ch.ID)
			}
			if ch.Type == Alter && !ch.PreviousID.IsZero() {
				tables.Remove(ch.PreviousID)
			}
			if _, err := tables.Overwrite(ch.Table); err != nil {
				return err
			}
		case Drop:
			tables.Remove(ch.ID)
		default:
			return fmt.Errorf("unknown table change type %q for %s", ch.Type, ch.ID)
		}
	}
	return nil
}
