// Package cdcconfig holds the configuration properties every Debezium relational connector
// shares (name, topic.prefix, database.*, snapshot.mode, the include/exclude lists, the value
// handling modes, the queue and batch sizes, heartbeats, transaction metadata, signals, the schema
// history ...) as an api.ConfigSpec with Debezium's names, defaults and (shortened) docs; a typed
// Common parsed from a configuration map; and Mask, which hides secrets before a configuration is
// logged or shown.
//
// A connector builds its spec from ConnectorSpec (the common keys it reads, less the ones the
// runtime declares for every connector), changes the few keys whose default or doc differ for it
// through Spec.Key, appends its own keys, and reads its common settings with ParseWith. connectd
// departs from Debezium's defaults in one place: max.queue.size.in.bytes defaults to 8 MiB
// (Debezium: 0, unbounded), because connectd bounds memory by default; 8 MiB keeps a worker under
// 150 MB RSS at full speed.
package cdcconfig

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/snapshotmode"
)

// Property names.
const (
	Name                          = "name"
	ConnectorClass                = "connector.class"
	TasksMax                      = "tasks.max"
	TopicPrefix                   = "topic.prefix"
	Hostname                      = "database.hostname"
	Port                          = "database.port"
	User                          = "database.user"
	Password                      = "database.password"
	SnapshotMode                  = "snapshot.mode"
	TombstonesOnDelete            = "tombstones.on.delete"
	ProvideTransactionMetadata    = "provide.transaction.metadata"
	TopicTransaction              = "topic.transaction"
	HeartbeatIntervalMs           = "heartbeat.interval.ms"
	HeartbeatActionQuery          = "heartbeat.action.query"
	TopicHeartbeatPrefix          = "topic.heartbeat.prefix"
	DecimalHandlingMode           = "decimal.handling.mode"
	TimePrecisionMode             = "time.precision.mode"
	BinaryHandlingMode            = "binary.handling.mode"
	MaxBatchSize                  = "max.batch.size"
	MaxQueueSize                  = "max.queue.size"
	MaxQueueSizeInBytes           = "max.queue.size.in.bytes"
	PollIntervalMs                = "poll.interval.ms"
	SignalDataCollection          = "signal.data.collection"
	SignalEnabledChannels         = "signal.enabled.channels"
	IncrementalSnapshotChunkSize  = "incremental.snapshot.chunk.size"
	SnapshotDelayMs               = "snapshot.delay.ms"
	SnapshotFetchSize             = "snapshot.fetch.size"
	HistoryKafkaTopic             = "schema.history.internal.kafka.topic"
	HistoryKafkaBootstrapServers  = "schema.history.internal.kafka.bootstrap.servers"
	HistorySkipUnparseableDDL     = "schema.history.internal.skip.unparseable.ddl"
	HistoryStoreOnlyCapturedTable = "schema.history.internal.store.only.captured.tables.ddl"
	HistoryStoreOnlyCapturedDBs   = "schema.history.internal.store.only.captured.databases.ddl"
	HistoryFileFilename           = "schema.history.internal.file.filename"
	IncludeSchemaChanges          = "include.schema.changes"
	EventProcessingFailureMode    = "event.processing.failure.handling.mode"
	SkippedOperations             = "skipped.operations"
	SchemaNameAdjustmentMode      = "schema.name.adjustment.mode"
	FieldNameAdjustmentMode       = "field.name.adjustment.mode"
	ErrorsMaxRetries              = "errors.max.retries"
	RetriableRestartWaitMs        = "retriable.restart.connector.wait.ms"
	ErrorsRetryDelayInitialMs     = "errors.retry.delay.initial.ms"
	ErrorsRetryDelayMaxMs         = "errors.retry.delay.max.ms"
	MessageKeyColumns             = "message.key.columns"
	Converters                    = "converters"
	TopicNamingStrategy           = "topic.naming.strategy"
	TopicDelimiter                = "topic.delimiter"
	PropagateColumnSourceType     = "column.propagate.source.type"
	PropagateDatatypeSourceType   = "datatype.propagate.source.type"
)

// Defaults that code needs besides the spec.
const (
	DefaultMaxBatchSize        = 2048
	DefaultMaxQueueSize        = 8192
	DefaultMaxQueueSizeInBytes = 8 << 20 // connectd bounds memory by default; Debezium's is 0
	DefaultPollInterval        = 500 * time.Millisecond
	DefaultChunkSize           = 1024
)

// Masked is what Mask shows instead of a secret.
const Masked = "********"

// Groups, as Debezium's Field.Group names.
const (
	groupConnection = "CONNECTION"
	groupConnector  = "CONNECTOR"
	groupSnapshot   = "CONNECTOR_SNAPSHOT"
	groupFilters    = "FILTERS"
	groupAdvanced   = "ADVANCED"
	groupHistory    = "HISTORY_STORAGE"
	groupHeartbeat  = "ADVANCED_HEARTBEAT"
)

func validTopic(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("is required: it names the topics and the source partition")
	}
	if !envelope.ValidTopicPrefix(strings.TrimSpace(v)) {
		return errors.New("has invalid format (only the underscore, hyphen, dot and alphanumeric characters are allowed)")
	}
	return nil
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("is required")
	}
	return nil
}

func validOptionalTopic(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return validTopic(v)
}

func positive(v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return errors.New("must be a positive number")
	}
	return nil
}

func nonNegative(v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return errors.New("must be 0 or more")
	}
	return nil
}

func validPort(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 65535 {
		return errors.New("must be a port number between 1 and 65535")
	}
	return nil
}

func validRegexList(v string) error {
	_, err := filters.ParseList(v)
	return err
}

func validSnapshotMode(v string) error {
	_, err := snapshotmode.Parse(v)
	return err
}

func validSkipped(v string) error {
	_, err := ParseSkippedOperations(v)
	return err
}

// Spec returns the common keys, a fresh copy the caller may append to or change.
func Spec() api.ConfigSpec {
	s := api.ConfigSpec{
		{Name: Name, Type: api.ConfigString, Required: true, Importance: api.High, Group: groupConnector, DisplayName: "Connector name",
			Doc: "Unique name of the connector; the offsets are stored under it."},
		{Name: ConnectorClass, Type: api.ConfigClass, Required: true, Importance: api.High, Group: groupConnector, DisplayName: "Connector class",
			Doc: "The connector's class; Debezium class names (io.debezium.connector.mysql.MySqlConnector, ...) are accepted."},
		{Name: TasksMax, Type: api.ConfigInt, Default: "1", Importance: api.High, Group: groupConnector, DisplayName: "Tasks",
			Doc: "Maximum number of tasks; these connectors always run one task.", Validate: positive},
		{Name: TopicPrefix, Type: api.ConfigString, Required: true, Importance: api.High, Group: groupConnection, DisplayName: "Topic prefix",
			Doc: "Logical name of the database server; it prefixes every topic name and names the server in the offsets and source block. " +
				"Only letters, digits, '.', '_' and '-'. Never change it on a running connector.", Validate: validTopic},
		{Name: Hostname, Type: api.ConfigString, Required: true, Importance: api.High, Group: groupConnection, DisplayName: "Hostname",
			Doc: "Resolvable hostname or IP address of the database server.", Validate: nonEmpty},
		{Name: Port, Type: api.ConfigInt, Importance: api.High, Group: groupConnection, DisplayName: "Port",
			Doc: "Port of the database server; the connector's default when unset.", Validate: validPort},
		{Name: User, Type: api.ConfigString, Required: true, Importance: api.High, Group: groupConnection, DisplayName: "User",
			Doc: "Name of the database user for the connection.", Validate: nonEmpty},
		{Name: Password, Type: api.ConfigPassword, Importance: api.High, Group: groupConnection, DisplayName: "Password",
			Doc: "Password of the database user; never shown."},

		{Name: SnapshotMode, Type: api.ConfigString, Default: "initial", Importance: api.Low, Group: groupSnapshot, DisplayName: "Snapshot mode",
			Doc: "When to snapshot: 'initial' (schema and data when there is no offset, then stream), 'when_needed' (also when the stored " +
				"position is gone), 'never', 'no_data' (schema only; alias 'schema_only'), 'recovery' (rebuild a lost schema history; " +
				"alias 'schema_only_recovery'), 'initial_only' (snapshot, then stop), 'always'.", Validate: validSnapshotMode},
		{Name: SnapshotDelayMs, Type: api.ConfigLong, Default: "0", Importance: api.Low, Group: groupSnapshot, DisplayName: "Snapshot delay (ms)",
			Doc: "Milliseconds to wait before the snapshot starts.", Validate: nonNegative},
		{Name: SnapshotFetchSize, Type: api.ConfigInt, Importance: api.Medium, Group: groupSnapshot, DisplayName: "Snapshot fetch size",
			Doc: "Rows fetched per round trip while snapshotting; the connector's default when unset.", Validate: positive},
		{Name: IncrementalSnapshotChunkSize, Type: api.ConfigInt, Default: strconv.Itoa(DefaultChunkSize), Importance: api.Medium, Group: groupSnapshot,
			DisplayName: "Incremental snapshot chunk size", Doc: "Rows read per chunk of an incremental snapshot.", Validate: positive},

		{Name: filters.DatabaseIncludeList, Type: api.ConfigList, Importance: api.High, Group: groupFilters, DisplayName: "Include databases",
			Doc: "Comma-separated regular expressions matching database names to capture (full match, case-insensitive); excludes all others.", Validate: validRegexList},
		{Name: filters.DatabaseExcludeList, Type: api.ConfigList, Importance: api.Medium, Group: groupFilters, DisplayName: "Exclude databases",
			Doc: "Comma-separated regular expressions matching database names not to capture. Cannot be combined with database.include.list.", Validate: validRegexList},
		{Name: filters.SchemaIncludeList, Type: api.ConfigList, Importance: api.High, Group: groupFilters, DisplayName: "Include schemas",
			Doc: "Comma-separated regular expressions matching schema names to capture.", Validate: validRegexList},
		{Name: filters.SchemaExcludeList, Type: api.ConfigList, Importance: api.Medium, Group: groupFilters, DisplayName: "Exclude schemas",
			Doc: "Comma-separated regular expressions matching schema names not to capture. Cannot be combined with schema.include.list.", Validate: validRegexList},
		{Name: filters.TableIncludeList, Type: api.ConfigList, Importance: api.High, Group: groupFilters, DisplayName: "Include tables",
			Doc: "Comma-separated regular expressions matching fully-qualified table names ('db.table' or 'schema.table') to capture.", Validate: validRegexList},
		{Name: filters.TableExcludeList, Type: api.ConfigList, Importance: api.Medium, Group: groupFilters, DisplayName: "Exclude tables",
			Doc: "Comma-separated regular expressions matching fully-qualified table names not to capture. Cannot be combined with table.include.list.", Validate: validRegexList},
		{Name: filters.ColumnIncludeList, Type: api.ConfigList, Importance: api.Medium, Group: groupFilters, DisplayName: "Include columns",
			Doc: "Comma-separated regular expressions matching fully-qualified column names ('db.table.column') to include in change events.", Validate: validRegexList},
		{Name: filters.ColumnExcludeList, Type: api.ConfigList, Importance: api.Medium, Group: groupFilters, DisplayName: "Exclude columns",
			Doc: "Comma-separated regular expressions matching fully-qualified column names to leave out of change events. Cannot be combined with column.include.list.", Validate: validRegexList},

		{Name: TombstonesOnDelete, Type: api.ConfigBoolean, Default: "true", Importance: api.Medium, Group: groupAdvanced, DisplayName: "Tombstones on delete",
			Doc: "Whether a delete event is followed by a tombstone (null value) so log compaction can remove the key."},
		{Name: ProvideTransactionMetadata, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Group: groupAdvanced, DisplayName: "Provide transaction metadata",
			Doc: "Whether to add a transaction block to each event and write BEGIN/END events to '<topic.prefix>.transaction'."},
		{Name: TopicTransaction, Type: api.ConfigString, Default: "transaction", Importance: api.Low, Group: groupAdvanced, DisplayName: "Transaction topic",
			Doc: "Suffix of the transaction metadata topic '<topic.prefix>.<topic.transaction>'.", Validate: validTopic},
		{Name: SkippedOperations, Type: api.ConfigList, Default: "t", Importance: api.Low, Group: groupAdvanced, DisplayName: "Skipped operations",
			Doc:      "Comma-separated operations not to emit while streaming: 'c' inserts, 'u' updates, 'd' deletes, 't' truncates, 'none' for none. Truncates are skipped by default.",
			Validate: validSkipped},
		{Name: DecimalHandlingMode, Type: api.ConfigString, Default: "precise", Importance: api.Medium, Group: groupConnector, DisplayName: "Decimal handling",
			Doc:     "How DECIMAL/NUMERIC values are written: 'precise' (Kafka Decimal, exact), 'double' (may lose precision), 'string'.",
			Allowed: envelope.DecimalModeNames()},
		{Name: TimePrecisionMode, Type: api.ConfigString, Default: "adaptive", Importance: api.Medium, Group: groupConnector, DisplayName: "Time precision",
			Doc: "How temporal values are written: 'adaptive' (millis, micros or nanos by column precision, io.debezium.time.*), " +
				"'adaptive_time_microseconds' (TIME always in micros), 'connect' (Kafka Connect's Date/Time/Timestamp, millisecond precision).",
			Allowed: envelope.TimePrecisionModeNames()},
		{Name: BinaryHandlingMode, Type: api.ConfigString, Default: "bytes", Importance: api.Low, Group: groupConnector, DisplayName: "Binary handling",
			Doc: "How binary values are written: 'bytes', 'base64', 'base64-url-safe' or 'hex'.", Allowed: envelope.BinaryModeNames()},
		{Name: SchemaNameAdjustmentMode, Type: api.ConfigString, Default: "none", Importance: api.Low, Group: groupConnector, DisplayName: "Schema name adjustment",
			Doc: "How the key, value and envelope schema names of tables are made valid Avro names: 'none', 'avro' (invalid characters become '_'), " +
				"'avro_unicode' (invalid characters and '_' become _uXXXX).", Allowed: []string{"none", "avro", "avro_unicode"}},
		{Name: FieldNameAdjustmentMode, Type: api.ConfigString, Default: "none", Importance: api.Low, Group: groupConnector, DisplayName: "Field name adjustment",
			Doc: "How the key and value field names (column names) are made valid Avro names: 'none', 'avro' (invalid characters become '_'; " +
				"a leading digit is kept after it), 'avro_unicode' (invalid characters and '_' become _uXXXX).", Allowed: []string{"none", "avro", "avro_unicode"}},

		{Name: MaxBatchSize, Type: api.ConfigInt, Default: strconv.Itoa(DefaultMaxBatchSize), Importance: api.Medium, Group: groupConnector, DisplayName: "Max batch size",
			Doc: "Maximum number of events handed to Kafka Connect per poll.", Validate: positive},
		{Name: MaxQueueSize, Type: api.ConfigInt, Default: strconv.Itoa(DefaultMaxQueueSize), Importance: api.Medium, Group: groupConnector, DisplayName: "Max queue size",
			Doc: "Maximum number of events queued between the database reader and the poll; must be larger than max.batch.size.", Validate: positive},
		{Name: MaxQueueSizeInBytes, Type: api.ConfigLong, Default: strconv.Itoa(DefaultMaxQueueSizeInBytes), Importance: api.Medium, Group: groupConnector,
			DisplayName: "Max queue size in bytes",
			Doc:         "Maximum estimated memory of the queued events; 0 means unbounded (Debezium's default). connectd defaults to 8 MiB, which keeps a worker under 150 MB RSS at full speed.", Validate: nonNegative},
		{Name: PollIntervalMs, Type: api.ConfigLong, Default: "500", Importance: api.Medium, Group: groupConnector, DisplayName: "Poll interval (ms)",
			Doc: "Milliseconds a poll waits for new events before returning an empty batch.", Validate: positive},

		{Name: HeartbeatIntervalMs, Type: api.ConfigInt, Default: "0", Importance: api.Medium, Group: groupHeartbeat, DisplayName: "Heartbeat interval (ms)",
			Doc: "Milliseconds between heartbeat events, which carry the current offset so it is committed while captured tables are idle; 0 disables them.", Validate: nonNegative},
		{Name: HeartbeatActionQuery, Type: api.ConfigString, Importance: api.Low, Group: groupHeartbeat, DisplayName: "Heartbeat action query",
			Doc: "A statement the connector runs on the database before each heartbeat (for instance an UPDATE of a heartbeat table), so an idle database produces log entries."},
		{Name: TopicHeartbeatPrefix, Type: api.ConfigString, Default: "__debezium-heartbeat", Importance: api.Low, Group: groupHeartbeat, DisplayName: "Heartbeat topic prefix",
			Doc: "Prefix of the heartbeat topic '<prefix>.<topic.prefix>'.", Validate: validTopic},

		{Name: SignalDataCollection, Type: api.ConfigString, Importance: api.Low, Group: groupAdvanced, DisplayName: "Signal table",
			Doc: "Fully-qualified name of the table the connector reads signals from (ad hoc incremental snapshots, ...); always captured."},
		{Name: SignalEnabledChannels, Type: api.ConfigList, Default: "source", Importance: api.Low, Group: groupAdvanced, DisplayName: "Signal channels",
			Doc: "Comma-separated signal channels to read: 'source' (the signal table), 'kafka', 'file'; signals also arrive over REST (POST /connectors/{name}/signals)."},

		{Name: HistoryKafkaTopic, Type: api.ConfigString, Importance: api.High, Group: groupHistory, DisplayName: "Schema history topic",
			Doc: "Topic holding the connector's schema history (1 partition, never deleted); for connectors that keep a schema history.", Validate: validOptionalTopic},
		{Name: HistoryKafkaBootstrapServers, Type: api.ConfigString, Importance: api.High, Group: groupHistory, DisplayName: "Schema history Kafka brokers",
			Doc: "Kafka bootstrap servers of the schema history topic."},
		{Name: HistoryFileFilename, Type: api.ConfigString, Importance: api.Low, Group: groupHistory, DisplayName: "Schema history file",
			Doc: "File holding the schema history instead of a Kafka topic (standalone use)."},
		{Name: HistorySkipUnparseableDDL, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Group: groupHistory, DisplayName: "Skip unparseable DDL",
			Doc: "Whether DDL statements that cannot be parsed are ignored instead of stopping the connector; the table structures may then be wrong."},
		{Name: HistoryStoreOnlyCapturedTable, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Group: groupHistory, DisplayName: "Store only captured tables' DDL",
			Doc: "Whether the history records only the DDL of captured tables (instead of all tables)."},
		{Name: HistoryStoreOnlyCapturedDBs, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Group: groupHistory, DisplayName: "Store only captured databases' DDL",
			Doc: "Whether the history records only the DDL of captured databases."},
		{Name: IncludeSchemaChanges, Type: api.ConfigBoolean, Default: "true", Importance: api.Medium, Group: groupConnector, DisplayName: "Include schema changes",
			Doc: "Whether schema change events are written to the '<topic.prefix>' topic."},

		{Name: EventProcessingFailureMode, Type: api.ConfigString, Default: "fail", Importance: api.Medium, Group: groupAdvanced, DisplayName: "Event processing failure handling",
			Doc: "What to do with a change event that cannot be processed (MySQL/MariaDB: a rows event the binlog decoder cannot read, a row whose values cannot be converted; " +
				"PostgreSQL: a change whose values cannot be decoded or converted): 'fail' (stop the task, the error naming the event's position), " +
				"'warn' (log it with its position and skip it), 'skip' / 'ignore' (skip it, logged at debug level).",
			Allowed: []string{"fail", "warn", "skip", "ignore"}},
		{Name: ErrorsMaxRetries, Type: api.ConfigInt, Default: "-1", Importance: api.Low, Group: groupAdvanced, DisplayName: "Max retries on error",
			Doc: "Reconnections in a row after retriable errors (a broken connection) before the task fails; -1 retries forever, 0 never. A reconnection that receives events starts the count again."},
		{Name: ErrorsRetryDelayInitialMs, Type: api.ConfigInt, Default: "300", Importance: api.Low, Group: groupAdvanced, DisplayName: "Initial delay for retries",
			Doc: "Milliseconds to wait before the first reconnection after a retriable error; each further attempt waits twice as long, up to errors.retry.delay.max.ms.", Validate: positive},
		{Name: ErrorsRetryDelayMaxMs, Type: api.ConfigLong, Default: "10000", Importance: api.Low, Group: groupAdvanced, DisplayName: "Maximum delay for retries",
			Doc: "Longest wait in milliseconds between reconnections after retriable errors.", Validate: positive},
		{Name: RetriableRestartWaitMs, Type: api.ConfigLong, Default: "10000", Importance: api.Low, Group: groupAdvanced, DisplayName: "Retriable restart wait (ms)",
			Doc: "Milliseconds to wait before restarting after a retriable error.", Validate: nonNegative},
		{Name: TopicNamingStrategy, Type: api.ConfigClass, Default: envelope.DefaultTopicNaming, Importance: api.Low, Group: groupAdvanced,
			DisplayName: "Topic naming strategy", Doc: "How tables' topics are named: " + envelope.DefaultTopicNaming + " (<topic.prefix>.<database>.<table> for MySQL/MariaDB, " +
				"<topic.prefix>.<table> for PostgreSQL) or " + envelope.SchemaTopicNaming + " (<topic.prefix>.<schema>.<table> for PostgreSQL, <topic.prefix>.<table> for MySQL/MariaDB), " +
				"parts joined with topic.delimiter; key, value and envelope schema names follow the topic name.",
			Allowed: []string{envelope.DefaultTopicNaming, envelope.SchemaTopicNaming}},
		{Name: TopicDelimiter, Type: api.ConfigString, Default: ".", Importance: api.Low, Group: groupAdvanced, DisplayName: "Topic delimiter",
			Doc: "Delimiter between the parts of topic names (tables', the transaction topic, the heartbeat topic).", Validate: validTopic},
		{Name: MessageKeyColumns, Type: api.ConfigString, Importance: api.Low, Group: groupAdvanced, DisplayName: "Message key columns",
			Doc: "Columns that form the message key instead of the primary key (tables without one, or a key of your choosing): " +
				"';'-separated '<fully-qualified table>:<column>,<column>' entries, the table a regular expression matched against 'db.table' " +
				"(PostgreSQL 'schema.table'), e.g. 'inventory.customers:email;inventory.orders:customer_id,id'.",
			Validate: func(v string) error { _, err := envelope.ParseKeyColumns(v); return err }},
		{Name: PropagateColumnSourceType, Type: api.ConfigList, Importance: api.Low, Group: groupAdvanced, DisplayName: "Propagate source types by column",
			Doc: "Comma-separated regular expressions of fully-qualified column names ('db.table.column'; PostgreSQL 'schema.table.column') whose value field schema " +
				"gets the parameters __debezium.source.column.type, .length, .scale and .name."},
		{Name: PropagateDatatypeSourceType, Type: api.ConfigList, Importance: api.Low, Group: groupAdvanced, DisplayName: "Propagate source types by data type",
			Doc: "Comma-separated regular expressions of fully-qualified type names ('db.table.TYPE', e.g. '.+\\.DECIMAL') whose value field schema gets the " +
				"__debezium.source.column.* parameters."},
		{Name: Converters, Type: api.ConfigList, Importance: api.Low, Group: groupAdvanced, DisplayName: "Custom converters",
			Doc: "Custom column converters (Java classes); not supported by connectd.", Unsupported: true},
	}
	return s
}

// runtimeKeys are declared by the Kafka Connect runtime for every connector, with its own checks.
var runtimeKeys = []string{Name, ConnectorClass, TasksMax}

// ConnectorSpec returns Spec() for a connector's own spec: without name, connector.class and
// tasks.max, which the runtime declares for every connector (a plugin's key would replace the
// runtime's), and without the keys in without, common keys the connector does not read (left
// out rather than accepted and ignored in silence).
func ConnectorSpec(without ...string) api.ConfigSpec {
	s := Spec()
	out := s[:0]
	for _, k := range s {
		if !slices.Contains(runtimeKeys, k.Name) && !slices.Contains(without, k.Name) {
			out = append(out, k)
		}
	}
	return out
}

// OpSet is a set of operations (skipped.operations).
type OpSet uint8

func opBit(o envelope.Op) OpSet {
	switch o {
	case envelope.OpCreate:
		return 1
	case envelope.OpUpdate:
		return 2
	case envelope.OpDelete:
		return 4
	case envelope.OpTruncate:
		return 8
	}
	return 0
}

// Has reports whether o is in the set.
func (s OpSet) Has(o envelope.Op) bool { b := opBit(o); return b != 0 && s&b != 0 }

// ParseSkippedOperations reads skipped.operations: a comma-separated list of c, u, d, t, or
// 'none'. An empty value is Debezium's default, "t".
func ParseSkippedOperations(v string) (OpSet, error) {
	if strings.TrimSpace(v) == "" {
		return opBit(envelope.OpTruncate), nil
	}
	var s OpSet
	for _, p := range strings.Split(v, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		switch p {
		case "":
		case "none":
			return 0, nil
		case "c", "u", "d", "t":
			s |= opBit(envelope.Op(p[0]))
		default:
			return 0, fmt.Errorf("%q is not an operation; use c, u, d, t or none", p)
		}
	}
	return s, nil
}

// Common is the parsed common configuration.
type Common struct {
	Name           string
	ConnectorClass string
	TasksMax       int
	TopicPrefix    string
	Hostname       string
	Port           int // 0 when unset: the connector's default applies
	User           string
	Password       string

	SnapshotMode                 snapshotmode.Mode
	SnapshotDelay                time.Duration
	SnapshotFetchSize            int // 0 when unset
	IncrementalSnapshotChunkSize int

	Filters filters.Config
	// ColumnMappers are the column.truncate.to/mask.with/mask.hash rules (nil: none).
	ColumnMappers *envelope.ColumnMappers
	// KeyColumns are the message.key.columns rules (nil: primary keys).
	KeyColumns *envelope.KeyColumns
	// AdjustSchemaName is schema.name.adjustment.mode (nil: none).
	AdjustSchemaName envelope.SchemaNameAdjuster
	// AdjustFieldName is field.name.adjustment.mode (nil: none).
	AdjustFieldName envelope.FieldNameAdjuster
	// SourceTypes are the column.propagate.source.type / datatype.propagate.source.type rules.
	SourceTypes *envelope.SourceTypes

	TombstonesOnDelete         bool
	ProvideTransactionMetadata bool
	TransactionTopic           string // "<topic.prefix>.<topic.transaction>"
	// Topics names the tables' topics (topic.naming.strategy, topic.delimiter).
	Topics            envelope.TopicNaming
	SkippedOperations OpSet
	DecimalMode       envelope.DecimalMode
	TimePrecisionMode envelope.TimePrecisionMode
	BinaryMode        envelope.BinaryMode

	MaxBatchSize        int
	MaxQueueSize        int
	MaxQueueSizeInBytes int64
	PollInterval        time.Duration

	HeartbeatInterval    time.Duration
	HeartbeatActionQuery string
	HeartbeatTopic       string

	SignalDataCollection  string
	SignalEnabledChannels []string

	HistoryKafkaTopic            string
	HistoryKafkaBootstrapServers string
	HistoryFileFilename          string
	SkipUnparseableDDL           bool
	StoreOnlyCapturedTablesDDL   bool
	StoreOnlyCapturedDBsDDL      bool
	IncludeSchemaChanges         bool

	EventProcessingFailureMode string // fail, warn, skip, ignore
	ErrorsMaxRetries           int
	RetriableRestartWait       time.Duration
	// RetryDelayInitial and RetryDelayMax bound the waits between reconnections.
	RetryDelayInitial time.Duration
	RetryDelayMax     time.Duration
}

// Parse validates config against Spec() and reads the common settings, applying defaults.
// Every problem is reported (joined), each naming its property; secrets are not shown.
func Parse(config map[string]string) (*Common, error) {
	return ParseWith(Spec(), config)
}

// ParseWith is Parse against a connector's extended spec, so its own keys are validated too.
func ParseWith(spec api.ConfigSpec, config map[string]string) (*Common, error) {
	var errs []error
	values, n := spec.Validate(config)
	if n > 0 {
		for _, v := range values {
			for _, e := range v.Errors {
				errs = append(errs, errors.New(e))
			}
		}
	}
	get := func(name string) string { return Value(spec, config, name) }
	atoi := func(name string) int64 { return Int(spec, config, name) }
	b := func(name string) bool { return Bool(spec, config, name) }

	c := &Common{
		Name: get(Name), ConnectorClass: get(ConnectorClass), TasksMax: int(atoi(TasksMax)),
		TopicPrefix: get(TopicPrefix), Hostname: get(Hostname), Port: int(atoi(Port)), User: get(User),
		Password:                     config[Password], // passwords keep their blanks
		SnapshotDelay:                time.Duration(atoi(SnapshotDelayMs)) * time.Millisecond,
		SnapshotFetchSize:            int(atoi(SnapshotFetchSize)),
		IncrementalSnapshotChunkSize: int(atoi(IncrementalSnapshotChunkSize)),
		Filters:                      filters.ConfigFrom(config),
		TombstonesOnDelete:           b(TombstonesOnDelete),
		ProvideTransactionMetadata:   b(ProvideTransactionMetadata),
		MaxBatchSize:                 int(atoi(MaxBatchSize)),
		MaxQueueSize:                 int(atoi(MaxQueueSize)),
		MaxQueueSizeInBytes:          atoi(MaxQueueSizeInBytes),
		PollInterval:                 time.Duration(atoi(PollIntervalMs)) * time.Millisecond,
		HeartbeatInterval:            time.Duration(atoi(HeartbeatIntervalMs)) * time.Millisecond,
		HeartbeatActionQuery:         get(HeartbeatActionQuery),
		SignalDataCollection:         get(SignalDataCollection),
		SignalEnabledChannels:        filters.SplitList(get(SignalEnabledChannels)),
		HistoryKafkaTopic:            get(HistoryKafkaTopic),
		HistoryKafkaBootstrapServers: get(HistoryKafkaBootstrapServers),
		HistoryFileFilename:          get(HistoryFileFilename),
		SkipUnparseableDDL:           b(HistorySkipUnparseableDDL),
		StoreOnlyCapturedTablesDDL:   b(HistoryStoreOnlyCapturedTable),
		StoreOnlyCapturedDBsDDL:      b(HistoryStoreOnlyCapturedDBs),
		IncludeSchemaChanges:         b(IncludeSchemaChanges),
		EventProcessingFailureMode:   strings.ToLower(get(EventProcessingFailureMode)),
		ErrorsMaxRetries:             int(atoi(ErrorsMaxRetries)),
		RetriableRestartWait:         time.Duration(atoi(RetriableRestartWaitMs)) * time.Millisecond,
		RetryDelayInitial:            time.Duration(atoi(ErrorsRetryDelayInitialMs)) * time.Millisecond,
		RetryDelayMax:                time.Duration(atoi(ErrorsRetryDelayMaxMs)) * time.Millisecond,
	}
	c.Topics = envelope.TopicNaming{Prefix: c.TopicPrefix, Delimiter: get(TopicDelimiter),
		BySchema: strings.EqualFold(get(TopicNamingStrategy), envelope.SchemaTopicNaming)}
	c.TransactionTopic = c.Topics.Join(c.TopicPrefix, get(TopicTransaction))
	c.HeartbeatTopic = get(TopicHeartbeatPrefix) + delimiterOf(c.Topics) + c.TopicPrefix
	// The mode parsers repeat what Validate checked; their errors are already in errs.
	c.SnapshotMode, _ = snapshotmode.Parse(get(SnapshotMode))
	c.SkippedOperations, _ = ParseSkippedOperations(get(SkippedOperations))
	c.DecimalMode, _ = envelope.ParseDecimalMode(get(DecimalHandlingMode))
	c.TimePrecisionMode, _ = envelope.ParseTimePrecisionMode(get(TimePrecisionMode))
	c.BinaryMode, _ = envelope.ParseBinaryMode(get(BinaryHandlingMode))
	c.KeyColumns, _ = envelope.ParseKeyColumns(get(MessageKeyColumns))
	c.AdjustSchemaName, _ = envelope.ParseSchemaNameAdjustment(get(SchemaNameAdjustmentMode))
	c.AdjustFieldName, _ = envelope.ParseFieldNameAdjustment(get(FieldNameAdjustmentMode))
	if st, err := envelope.ParseSourceTypes(config[PropagateColumnSourceType], config[PropagateDatatypeSourceType]); err != nil {
		errs = append(errs, err)
	} else {
		c.SourceTypes = st
	}

	if _, err := filters.New(c.Filters); err != nil {
		errs = append(errs, err)
	}
	var err error
	if c.ColumnMappers, err = envelope.ParseColumnMappers(config); err != nil {
		errs = append(errs, err)
	}
	if c.MaxQueueSize > 0 && c.MaxBatchSize > 0 && c.MaxQueueSize <= c.MaxBatchSize {
		errs = append(errs, fmt.Errorf("%s (%d) must be larger than %s (%d); raise max.queue.size or lower max.batch.size",
			MaxQueueSize, c.MaxQueueSize, MaxBatchSize, c.MaxBatchSize))
	}
	if c.HistoryKafkaTopic != "" && c.HistoryKafkaBootstrapServers == "" {
		errs = append(errs, fmt.Errorf("%s is set but %s is not; give the Kafka brokers that hold the schema history topic",
			HistoryKafkaTopic, HistoryKafkaBootstrapServers))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid connector configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// Value returns a property's value, trimmed, or its default in spec when config does not set it;
// a connector reads its own keys with it, after ParseWith validated them.
func Value(spec api.ConfigSpec, config map[string]string, name string) string {
	if v, ok := config[name]; ok {
		return strings.TrimSpace(v)
	}
	if k := spec.Key(name); k != nil {
		return k.Default
	}
	return ""
}

// Int returns a whole-number property (see Value); 0 when empty. A value that is not a number
// was reported by ParseWith's validation.
func Int(spec api.ConfigSpec, config map[string]string, name string) int64 {
	n, _ := strconv.ParseInt(Value(spec, config, name), 10, 64)
	return n
}

// Bool returns a boolean property (see Value).
func Bool(spec api.ConfigSpec, config map[string]string, name string) bool {
	return strings.EqualFold(Value(spec, config, name), "true")
}

// secretSuffixes are name endings that mark a secret even when no spec declares the key (a
// connector's own key, a pass-through client property such as
// schema.history.internal.producer.sasl.jaas.config).
var secretSuffixes = []string{"password", "sasl.jaas.config", "secret", "secret.key", "api.key", "token"}

// IsSecret reports whether the property's value must never be shown: PASSWORD-typed in spec, or
// named like a secret.
func IsSecret(spec api.ConfigSpec, name string) bool {
	if k := spec.Key(name); k != nil && k.IsSecret() {
		return true
	}
	l := strings.ToLower(name)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(l, s) {
			return true
		}
	}
	return false
}

// Mask returns a copy of config with every secret value (see IsSecret, against Spec()) replaced
// by "********"; use it before logging or returning a configuration.
func Mask(config map[string]string) map[string]string {
	return MaskWith(Spec(), config)
}

// MaskWith is Mask against a connector's extended spec.
func MaskWith(spec api.ConfigSpec, config map[string]string) map[string]string {
	out := maps.Clone(config)
	for k := range out {
		if IsSecret(spec, k) {
			out[k] = Masked
		}
	}
	return out
}

func delimiterOf(n envelope.TopicNaming) string {
	if n.Delimiter == "" {
		return "."
	}
	return n.Delimiter
}
