package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/version"
	"github.com/connectd/connectd/connectors/source"
)

// ClassName is the Debezium connector class this connector stands in for.
const ClassName = "io.debezium.connector.postgresql.PostgresConnector"

// Plugin describes the connector for the runtime's plugin registry.
func Plugin() api.Plugin {
	return api.Plugin{
		Class:   ClassName,
		Aliases: []string{"postgres", "postgresql"},
		Version: version.String(),
		Spec:    spec,
		New:     func() api.SourceConnector { return NewConnector() },
	}
}

// Connector is the connector-level object: a PostgreSQL slot is read by exactly one task.
type Connector struct {
	source.Connector
}

// NewConnector returns the connector.
func NewConnector() *Connector {
	return &Connector{source.Connector{Check: func(config map[string]string) error { _, err := ParseConfig(config); return err },
		NewTaskFunc: func() api.SourceTask { return NewTask() }}}
}

var _ api.SourceConnector = (*Connector)(nil)

// AlterOffsets checks an offsets PATCH (PATCH /connectors/<name>/offsets) before the runtime
// writes it: the partition must be this connector's {"server": topic.prefix}, the offset a
// PostgreSQL offset (Debezium's or ours), and its position must still be on the server: the
// replication slot must exist and must not have confirmed past it (the server keeps only the
// changes after the slot's confirmed position). A null offset (a reset) is always accepted.
func (c *Connector) AlterOffsets(config map[string]string, offsets []api.PartitionOffset) error {
	cfg, err := ParseConfig(config)
	if err != nil {
		return err
	}
	var check []position
	for _, po := range offsets {
		if len(po.Partition) != 1 || po.Partition["server"] != cfg.TopicPrefix {
			return fmt.Errorf("partition %v is not this connector's: the PostgreSQL connector has one partition, {\"server\":%q}", po.Partition, cfg.TopicPrefix)
		}
		if po.Offset == nil {
			continue
		}
		p, err := parsePosition(po.Offset)
		if err != nil {
			return fmt.Errorf("offset %v: %w", po.Offset, err)
		}
		if p.snapshotDone() {
			check = append(check, p)
		}
	}
	if len(check) == 0 {
		return nil // resets, or an unfinished snapshot (which a start takes again)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := cfg.connect(ctx, false)
	if err != nil {
		return fmt.Errorf("cannot check the offset against the server: %w", err)
	}
	defer closeConn(conn)
	slot, err := readSlot(ctx, conn, cfg.SlotName)
	if err != nil {
		return err
	}
	rows, err := simpleQuery(ctx, conn, "SELECT pg_current_wal_lsn()::text")
	if err != nil || len(rows) != 1 {
		return fmt.Errorf("cannot read the server's WAL position: %v", err)
	}
	current, _ := pglogrepl.ParseLSN(string(rows[0][0]))
	for _, p := range check {
		lsn := p.resumeLSN()
		switch {
		case !slot.Exists:
			return fmt.Errorf("replication slot %q does not exist, so the server keeps no changes from LSN %s: a start would fail (or take a new snapshot under snapshot.mode=when_needed); reset the offset instead", cfg.SlotName, lsn)
		case slot.WALStatus == "lost":
			return fmt.Errorf("replication slot %q was invalidated (wal_status=lost): its WAL is gone", cfg.SlotName)
		case lsn < slot.ConfirmedFlush:
			return fmt.Errorf("LSN %s is before replication slot %q's confirmed position %s: the server no longer has the changes in between; use a position at or after %s", lsn, cfg.SlotName, slot.ConfirmedFlush, slot.ConfirmedFlush)
		case lsn > current:
			return fmt.Errorf("LSN %s is after the server's current WAL position %s", lsn, current)
		}
	}
	return nil
}
