package changetable

import (
	"context"
	"database/sql"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/heartbeat"
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/connectors/source"
)

// Dialect is what a change-table connector supplies to the shared task: how to open a
// database/sql handle, the SQL it sends, how it names topics and fills its source block, and how
// its types become Connect values. Everything the database sees goes through database/sql, so a
// test driver registered under DriverName sees the real SQL text.
type Dialect interface {
	// Connector is the source block's "connector" value and the context header's ("sqlserver").
	Connector() string
	// Open returns a handle on database db.
	Open(db string) (*sql.DB, error)
	// Partition is the source partition of database db.
	Partition(db string) map[string]any
	// Topic is a table's change event topic.
	Topic(id relational.TableID) string
	// SourceSchema is the source block's schema (envelope.SourceSchemaBuilder plus the
	// connector's fields).
	SourceSchema() *api.Schema
	// PutSource fills the connector's own source fields of an event of table id at offset
	// (streaming tells snapshot events, whose change LSN and serial number are null, apart).
	PutSource(st *api.Struct, id relational.TableID, off Offset, streaming bool)
	// OffsetMap is the offset as the connector's Debezium counterpart writes it (Offset.Map,
	// or less: Db2's snapshot offsets carry the commit LSN only).
	OffsetMap(o Offset) map[string]any

	// Database returns the streaming queries on handle h of database db.
	Database(h *sql.DB, db string) Database
	// MinLSN returns the oldest LSN capture instance c still holds, NullLSN when the database
	// cannot tell.
	MinLSN(ctx context.Context, h *sql.DB, db string, c *Capture) (LSN, error)
	// Table reads the structure of c's source table, limited to c's captured columns.
	Table(ctx context.Context, h *sql.DB, db string, c *Capture) (*relational.Table, error)
	// Columns maps a table's columns to Connect.
	Columns(t *relational.Table) ([]envelope.Column, error)

	// BeginSnapshot starts the snapshot transaction on conn (isolation level, table locks for
	// the tables about to be read).
	BeginSnapshot(ctx context.Context, conn *sql.Conn, tables []relational.TableID) (*sql.Tx, error)
	// SnapshotLSN returns the LSN the snapshot is consistent with, read inside tx.
	SnapshotLSN(ctx context.Context, tx *sql.Tx, db string) (LSN, error)
	// SelectAll is the snapshot query of one table.
	SelectAll(id relational.TableID, columns []string) string
}

// Config is the part of a change-table connector's configuration the shared task reads.
type Config struct {
	TopicPrefix string
	Databases   []string
	// SchemaOnlyIDs says table ids have a schema and no catalog (Db2), for reading two-part
	// ids in the schema history.
	SchemaOnlyIDs bool

	SnapshotMode snapshotmode.Mode
	Filters      *filters.Filters
	// FilterID, when set, is the identifier the table filters see for a table: SQL Server's
	// table.include.list names schema.table, without the database (Debezium's tableIdMapper).
	FilterID func(relational.TableID) relational.TableID
	// System, when set, reports the database's own tables, never captured.
	System  func(relational.TableID) bool
	Mappers *envelope.ColumnMappers

	Tombstones           bool
	TxMetadata           bool
	TxTopic              string
	IncludeSchemaChanges bool
	SkipCreate           bool
	SkipUpdate           bool
	SkipDelete           bool

	MaxBatchSize  int
	MaxQueueSize  int
	MaxQueueBytes int64
	PollInterval  time.Duration
	Heartbeat     *heartbeat.Heartbeat
	Retry         source.RetryPolicy

	// Raw is the configuration as given, for the schema history's properties.
	Raw map[string]string
}

// includeTable applies the connector's table filters.
func (c *Config) includeTable(id relational.TableID) bool {
	if c.System != nil && c.System(id) {
		return false
	}
	if c.FilterID != nil {
		id = c.FilterID(id)
	}
	return c.Filters.IncludeTable(id)
}
