package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
)

// slotState is a replication slot as pg_replication_slots shows it.
type slotState struct {
	Exists         bool
	Plugin         string
	Database       string
	Logical        bool
	Active         bool
	ActivePID      string
	RestartLSN     pglogrepl.LSN
	ConfirmedFlush pglogrepl.LSN
	// WALStatus is "reserved", "extended", "unreserved" or "lost" (the slot was invalidated
	// because max_slot_wal_keep_size was exceeded: its WAL is gone).
	WALStatus string
}

// readSlot reads the slot named name.
func readSlot(ctx context.Context, conn *pgconn.PgConn, name string) (slotState, error) {
	rows, err := query(ctx, conn, `SELECT COALESCE(plugin, ''), COALESCE(database, ''), slot_type = 'logical', active,
  COALESCE(active_pid::text, ''), COALESCE(restart_lsn::text, ''), COALESCE(confirmed_flush_lsn::text, ''), COALESCE(wal_status, '')
FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`, name)
	if err != nil {
		return slotState{}, fmt.Errorf("cannot read replication slot %q from pg_replication_slots: %w", name, err)
	}
	if len(rows) == 0 {
		return slotState{}, nil
	}
	r := rows[0]
	s := slotState{Exists: true, Plugin: string(r[0]), Database: string(r[1]), Logical: string(r[2]) == "t",
		Active: string(r[3]) == "t", ActivePID: string(r[4]), WALStatus: string(r[7])}
	if len(r[5]) > 0 {
		s.RestartLSN, _ = pglogrepl.ParseLSN(string(r[5]))
	}
	if len(r[6]) > 0 {
		s.ConfirmedFlush, _ = pglogrepl.ParseLSN(string(r[6]))
	}
	return s, nil
}

// checkSlotUsable reports why an existing slot cannot serve this connector, or nil.
func (c *Config) checkSlotUsable(s slotState) error {
	switch {
	case !s.Logical:
		return fmt.Errorf("replication slot %q is a physical slot; logical decoding needs a logical slot: choose another slot.name", c.SlotName)
	case s.Plugin != "pgoutput":
		return fmt.Errorf("replication slot %q uses the %q plugin, connectd needs pgoutput: drop the slot (SELECT pg_drop_replication_slot('%s')) or choose another slot.name", c.SlotName, s.Plugin, c.SlotName)
	case s.Database != c.Database:
		return fmt.Errorf("replication slot %q belongs to database %q, not %q: choose another slot.name", c.SlotName, s.Database, c.Database)
	case s.Active:
		return fmt.Errorf("replication slot %q is in use by another connection (pid %s): stop the other consumer (another instance of this connector, or SELECT pg_terminate_backend(%s)) before starting this one",
			c.SlotName, s.ActivePID, s.ActivePID)
	}
	return nil
}

// createSlot creates the logical slot on a replication connection. With export the slot's
// consistent snapshot is exported: it stays importable (SET TRANSACTION SNAPSHOT) until the next
// command on repl, which is how the initial snapshot sees exactly the data before the slot's
// consistent point.
func createSlot(ctx context.Context, repl *pgconn.PgConn, name string, export bool) (pglogrepl.LSN, string, error) {
	action := "NOEXPORT_SNAPSHOT"
	if export {
		action = "EXPORT_SNAPSHOT"
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, repl, name, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: action})
	if err != nil {
		if isPgError(err, "42710") {
			return 0, "", fmt.Errorf("replication slot %q was created by someone else meanwhile: %w", name, err)
		}
		return 0, "", fmt.Errorf("cannot create replication slot %q (the user needs the REPLICATION attribute and max_replication_slots must have room): %w", name, err)
	}
	lsn, err := pglogrepl.ParseLSN(res.ConsistentPoint)
	if err != nil {
		return 0, "", fmt.Errorf("replication slot %q: server returned consistent point %q: %w", name, res.ConsistentPoint, err)
	}
	return lsn, res.SnapshotName, nil
}

// dropSlot drops the slot; it must not be active.
func dropSlot(ctx context.Context, conn *pgconn.PgConn, name string) error {
	if _, err := query(ctx, conn, `SELECT pg_catalog.pg_drop_replication_slot($1)`, name); err != nil {
		if isPgError(err, "42704") { // undefined_object: already gone
			return nil
		}
		return fmt.Errorf("cannot drop replication slot %q: %w", name, err)
	}
	return nil
}

// ensurePublication creates the publication when missing, as publication.autocreate.mode says,
// and in filtered mode makes it publish exactly the captured tables. It must run before the slot
// is created: pgoutput reads publications through the slot's historic catalog snapshot.
func (t *Task) ensurePublication(ctx context.Context, captured []*catalogTable) error {
	c := t.cfg
	rows, err := query(ctx, t.meta, `SELECT puballtables FROM pg_catalog.pg_publication WHERE pubname = $1`, c.Publication)
	if err != nil {
		return fmt.Errorf("cannot read publication %q: %w", c.Publication, err)
	}
	exists := len(rows) == 1
	allTables := exists && string(rows[0][0]) == "t"
	name := quoteIdent(c.Publication)
	var stmt string
	switch c.PubMode {
	case pubDisabled:
		if !exists {
			return fmt.Errorf("publication %q does not exist and publication.autocreate.mode=disabled: create it (CREATE PUBLICATION %s FOR TABLE ...) or set publication.autocreate.mode=all_tables or filtered", c.Publication, name)
		}
		t.warnUnpublished(ctx, captured, allTables)
		return nil
	case pubAllTables:
		if exists {
			t.warnUnpublished(ctx, captured, allTables)
			return nil
		}
		stmt = "CREATE PUBLICATION " + name + " FOR ALL TABLES"
	case pubNoTables:
		if exists {
			t.warnUnpublished(ctx, captured, allTables)
			return nil
		}
		stmt = "CREATE PUBLICATION " + name
	case pubFiltered:
		if allTables {
			return fmt.Errorf("publication %q publishes all tables but publication.autocreate.mode=filtered: drop it or set publication.autocreate.mode=all_tables", c.Publication)
		}
		if len(captured) == 0 {
			return fmt.Errorf("publication.autocreate.mode=filtered but no table matches the include/exclude lists: check schema.include.list and table.include.list")
		}
		list := make([]string, len(captured))
		for i, ct := range captured {
			list[i] = quoteIdent(ct.ID.Schema) + "." + quoteIdent(ct.ID.Table)
		}
		if exists {
			stmt = "ALTER PUBLICATION " + name + " SET TABLE " + strings.Join(list, ", ")
		} else {
			stmt = "CREATE PUBLICATION " + name + " FOR TABLE " + strings.Join(list, ", ")
		}
	}
	if stmt == "" {
		return nil
	}
	if _, err := simpleQuery(ctx, t.meta, stmt); err != nil {
		return fmt.Errorf("cannot create or update publication %q with %q (FOR ALL TABLES needs a superuser; otherwise use publication.autocreate.mode=filtered with a user owning the tables): %w", c.Publication, stmt, err)
	}
	t.logf("publication %s: %s", c.Publication, stmt)
	return nil
}

// warnUnpublished logs the captured tables an existing publication leaves out: their snapshot is
// taken, but no change of theirs will ever be streamed.
func (t *Task) warnUnpublished(ctx context.Context, captured []*catalogTable, allTables bool) {
	if allTables || len(captured) == 0 {
		return
	}
	rows, err := query(ctx, t.meta, `SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1`, t.cfg.Publication)
	if err != nil {
		return
	}
	published := map[string]bool{}
	for _, r := range rows {
		published[string(r[0])+"."+string(r[1])] = true
	}
	var missing []string
	for _, ct := range captured {
		// A partitioned table is published through its partitions.
		if !ct.Partitioned && !published[ct.ID.String()] {
			missing = append(missing, ct.ID.String())
		}
	}
	if len(missing) > 0 {
		if len(missing) > 10 {
			missing = append(missing[:10], "...")
		}
		t.log.Warn("captured tables are not in the publication: their changes will not be streamed; add them (ALTER PUBLICATION ... ADD TABLE) or use publication.autocreate.mode=filtered",
			"publication", t.cfg.Publication, "tables", strings.Join(missing, ", "))
	}
}

// capturedTables lists the tables the filters capture.
func (t *Task) capturedTables(ctx context.Context) ([]*catalogTable, error) {
	all, err := listTables(ctx, t.meta, 0)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, ct := range all {
		if t.cfg.Capture.IncludeTable(ct.ID) {
			out = append(out, ct)
		}
	}
	return out, nil
}
