package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/heartbeat"
	"github.com/connectd/connectd/connectors/postgres/pgtypes"
	"github.com/connectd/connectd/connectors/snapshotmode"
)

// Property names, as Debezium's PostgresConnectorConfig.
const (
	propTopicPrefix           = "topic.prefix"
	propHostname              = "database.hostname"
	propPort                  = "database.port"
	propUser                  = "database.user"
	propPassword              = "database.password"
	propDBName                = "database.dbname"
	propSSLMode               = "database.sslmode"
	propInitialStatements     = "database.initial.statements"
	propPluginName            = "plugin.name"
	propSlotName              = "slot.name"
	propSlotDropOnStop        = "slot.drop.on.stop"
	propPublicationName       = "publication.name"
	propPublicationAutocreate = "publication.autocreate.mode"
	propSnapshotMode          = "snapshot.mode"
	propSnapshotFetchSize     = "snapshot.fetch.size"
	propStatusUpdateInterval  = "status.update.interval.ms"
	propTombstonesOnDelete    = "tombstones.on.delete"
	propProvideTxMetadata     = "provide.transaction.metadata"
	propTopicTransaction      = "topic.transaction"
	propSkippedOperations     = "skipped.operations"
	propMaxBatchSize          = "max.batch.size"
	propMaxQueueSize          = "max.queue.size"
	propMaxQueueSizeBytes     = "max.queue.size.in.bytes"
	propPollInterval          = "poll.interval.ms"
	propDecimalMode           = "decimal.handling.mode"
	propTimePrecisionMode     = "time.precision.mode"
	propBinaryMode            = "binary.handling.mode"
	propIntervalMode          = "interval.handling.mode"
	propHStoreMode            = "hstore.handling.mode"
	propMoneyFractionDigits   = "money.fraction.digits"
	propPlaceholder           = "unavailable.value.placeholder"
	propIncludeUnknown        = "include.unknown.datatypes"
	propXminFetchInterval     = "xmin.fetch.interval.ms"
	propStreamingProtocol     = "connectd.pgoutput.streaming"
	propWorkMem               = "connectd.pgoutput.logical.decoding.work.mem.kb"
	propIgnoreBuiltin         = "table.ignore.builtin"
)

// Publication autocreate modes (publication.autocreate.mode).
const (
	pubAllTables = "all_tables"
	pubDisabled  = "disabled"
	pubFiltered  = "filtered"
	pubNoTables  = "no_tables"
)

// defaultMaxQueueBytes bounds the queue in bytes by default (design: memory bounded in bytes, on
// by default); Debezium's default is 0 (unbounded).
const defaultMaxQueueBytes = 64 << 20

// Config is a parsed connector configuration.
type Config struct {
	TopicPrefix string
	Host        string
	Port        int
	User        string
	Password    string
	Database    string
	SSLMode     string
	// InitialStatements run on every regular connection the connector opens, ';'-separated.
	InitialStatements string

	SlotName       string
	SlotDropOnStop bool
	Publication    string
	PubMode        string

	SnapshotMode      snapshotmode.Mode
	SnapshotFetchSize int
	StatusInterval    time.Duration

	Tombstones   bool
	TxMetadata   bool
	TxTopic      string
	SkipTruncate bool
	SkipCreate   bool
	SkipUpdate   bool
	SkipDelete   bool

	MaxBatchSize  int
	MaxQueueSize  int
	MaxQueueBytes int64
	PollInterval  time.Duration

	Values pgtypes.Options

	// Streaming asks pgoutput to stream large in-progress transactions (protocol 2, PostgreSQL
	// 14+); the connector spools them to disk and emits them at commit.
	Streaming bool
	// WorkMemKB sets logical_decoding_work_mem on the replication connection; 0 keeps the
	// server's setting.
	WorkMemKB int

	Filters   *filters.Filters
	Heartbeat *heartbeat.Heartbeat
	// HeartbeatAction is heartbeat.action.query.
	HeartbeatAction string

	// Raw is the configuration as given.
	Raw map[string]string

	part map[string]any
}

// partition is the source partition Debezium's PostgreSQL connector uses. It is shared by every
// record and must not be modified.
func (c *Config) partition() map[string]any { return c.part }

// ParseConfig reads and checks a configuration; every problem found is reported, joined.
func ParseConfig(raw map[string]string) (*Config, error) {
	var errs []error
	get := func(k, def string) string {
		if v, ok := raw[k]; ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	geti := func(k string, def int) int {
		s := get(k, "")
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not a whole number", k, s))
			return def
		}
		return n
	}
	getb := func(k string, def bool) bool {
		s := get(k, "")
		if s == "" {
			return def
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not true or false", k, s))
			return def
		}
		return b
	}
	c := &Config{Raw: raw}
	c.TopicPrefix = get(propTopicPrefix, "")
	c.part = map[string]any{"server": c.TopicPrefix}
	if c.TopicPrefix == "" {
		errs = append(errs, fmt.Errorf("%s is required: it names the topics and the source partition", propTopicPrefix))
	} else if !envelope.ValidTopicPrefix(c.TopicPrefix) {
		errs = append(errs, fmt.Errorf("%s=%q may only contain letters, digits, '.', '_' and '-'", propTopicPrefix, c.TopicPrefix))
	}
	c.Host = get(propHostname, "")
	if c.Host == "" {
		errs = append(errs, fmt.Errorf("%s is required", propHostname))
	}
	c.Port = geti(propPort, 5432)
	c.User = get(propUser, "")
	if c.User == "" {
		errs = append(errs, fmt.Errorf("%s is required", propUser))
	}
	c.Password = raw[propPassword]
	c.Database = get(propDBName, "")
	if c.Database == "" {
		errs = append(errs, fmt.Errorf("%s is required: logical decoding works on one database", propDBName))
	}
	c.SSLMode = get(propSSLMode, "prefer")
	switch c.SSLMode {
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		errs = append(errs, fmt.Errorf("%s=%q is not one of disable, allow, prefer, require, verify-ca, verify-full", propSSLMode, c.SSLMode))
	}
	c.InitialStatements = get(propInitialStatements, "")

	switch p := strings.ToLower(get(propPluginName, "pgoutput")); p {
	case "pgoutput":
	case "decoderbufs":
		errs = append(errs, fmt.Errorf("%s=decoderbufs is not supported by connectd; set plugin.name=pgoutput (built into PostgreSQL 10 and later)", propPluginName))
	default:
		errs = append(errs, fmt.Errorf("%s=%q is not supported; set plugin.name=pgoutput", propPluginName, p))
	}
	c.SlotName = get(propSlotName, "debezium")
	if !validSlotName(c.SlotName) {
		errs = append(errs, fmt.Errorf("%s=%q is not a valid replication slot name: use lower-case letters, digits and '_', at most 63 characters", propSlotName, c.SlotName))
	}
	c.SlotDropOnStop = getb(propSlotDropOnStop, false)
	c.Publication = get(propPublicationName, "dbz_publication")
	c.PubMode = strings.ToLower(get(propPublicationAutocreate, pubAllTables))
	switch c.PubMode {
	case pubAllTables, pubDisabled, pubFiltered, pubNoTables:
	default:
		errs = append(errs, fmt.Errorf("%s=%q is not one of all_tables, disabled, filtered, no_tables", propPublicationAutocreate, c.PubMode))
	}

	mode, err := snapshotmode.Parse(get(propSnapshotMode, "initial"))
	if err != nil {
		errs = append(errs, err)
	}
	c.SnapshotMode = mode
	c.SnapshotFetchSize = geti(propSnapshotFetchSize, 10240)
	c.StatusInterval = time.Duration(geti(propStatusUpdateInterval, 10000)) * time.Millisecond
	if c.StatusInterval <= 0 {
		c.StatusInterval = 10 * time.Second
	}
	c.Tombstones = getb(propTombstonesOnDelete, true)
	c.TxMetadata = getb(propProvideTxMetadata, false)
	c.TxTopic = envelope.TopicName(c.TopicPrefix, get(propTopicTransaction, "transaction"))
	// Debezium skips truncate events unless told otherwise (skipped.operations defaults to "t").
	for _, op := range strings.Split(get(propSkippedOperations, "t"), ",") {
		switch strings.TrimSpace(strings.ToLower(op)) {
		case "t":
			c.SkipTruncate = true
		case "c":
			c.SkipCreate = true
		case "u":
			c.SkipUpdate = true
		case "d":
			c.SkipDelete = true
		case "none", "":
		default:
			errs = append(errs, fmt.Errorf("%s: %q is not an operation; use a comma-separated list of c, u, d, t, or none", propSkippedOperations, op))
		}
	}
	c.MaxBatchSize = geti(propMaxBatchSize, 2048)
	c.MaxQueueSize = geti(propMaxQueueSize, 8192)
	if c.MaxBatchSize <= 0 || c.MaxQueueSize <= 0 {
		errs = append(errs, fmt.Errorf("%s and %s must be positive", propMaxBatchSize, propMaxQueueSize))
	}
	c.MaxQueueBytes = int64(geti(propMaxQueueSizeBytes, defaultMaxQueueBytes))
	c.PollInterval = time.Duration(geti(propPollInterval, 500)) * time.Millisecond

	c.Values = pgtypes.DefaultOptions()
	if c.Values.Decimal, err = pgtypes.ParseDecimalMode(get(propDecimalMode, "")); err != nil {
		errs = append(errs, err)
	}
	if c.Values.Time, err = pgtypes.ParseTimeMode(get(propTimePrecisionMode, "")); err != nil {
		errs = append(errs, err)
	}
	if c.Values.Binary, err = pgtypes.ParseBinaryMode(get(propBinaryMode, "")); err != nil {
		errs = append(errs, err)
	}
	if c.Values.Interval, err = pgtypes.ParseIntervalMode(get(propIntervalMode, "")); err != nil {
		errs = append(errs, err)
	}
	if c.Values.HStore, err = pgtypes.ParseHStoreMode(get(propHStoreMode, "")); err != nil {
		errs = append(errs, err)
	}
	c.Values.MoneyFractionDigits = geti(propMoneyFractionDigits, 2)
	if v, ok := raw[propPlaceholder]; ok {
		c.Values.Placeholder = v
	}
	c.Values.IncludeUnknown = getb(propIncludeUnknown, false)
	c.Streaming = getb(propStreamingProtocol, true)
	c.WorkMemKB = geti(propWorkMem, 0)
	if c.WorkMemKB != 0 && c.WorkMemKB < 64 {
		errs = append(errs, fmt.Errorf("%s=%d: PostgreSQL's minimum is 64 (kB)", propWorkMem, c.WorkMemKB))
	}

	fc := filters.ConfigFrom(raw)
	if getb(propIgnoreBuiltin, true) {
		fc.Builtin = filters.PostgresBuiltin // pg_catalog, information_schema, spatial_ref_sys, ...
	}
	if f, err := filters.New(fc); err != nil {
		errs = append(errs, err)
	} else {
		c.Filters = f
	}
	if hb, err := heartbeat.FromConfig(raw); err != nil {
		errs = append(errs, err)
	} else {
		c.Heartbeat = hb
	}
	c.HeartbeatAction = get(heartbeat.ActionQueryConfig, "")
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid PostgreSQL connector configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// validSlotName is PostgreSQL's rule for replication slot names.
func validSlotName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// spec is the connector's configuration spec, for validation and docs.
var spec = api.ConfigSpec{
	{Name: propTopicPrefix, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Prefix of every topic name and the source partition's server name."},
	{Name: propHostname, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "PostgreSQL server address."},
	{Name: propPort, Type: api.ConfigInt, Default: "5432", Importance: api.High, Doc: "PostgreSQL server port."},
	{Name: propUser, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "User with the REPLICATION attribute and SELECT on the captured tables."},
	{Name: propPassword, Type: api.ConfigPassword, Importance: api.High, Doc: "Password of database.user."},
	{Name: propDBName, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Database to capture."},
	{Name: propSSLMode, Type: api.ConfigString, Default: "prefer", Importance: api.Medium, Allowed: []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}, Doc: "TLS mode, as libpq's sslmode."},
	{Name: propInitialStatements, Type: api.ConfigString, Importance: api.Low, Doc: "SQL statements, ';'-separated, run on every regular connection the connector opens."},
	{Name: propPluginName, Type: api.ConfigString, Default: "pgoutput", Importance: api.Medium, Allowed: []string{"pgoutput", "decoderbufs"}, Doc: "Logical decoding plugin; connectd supports pgoutput only.",
		Validate: func(v string) error {
			if !strings.EqualFold(strings.TrimSpace(v), "pgoutput") {
				return errors.New("connectd supports only pgoutput (built into PostgreSQL 10 and later)")
			}
			return nil
		}},
	{Name: propSlotName, Type: api.ConfigString, Default: "debezium", Importance: api.Medium, Doc: "Logical replication slot the connector streams from; created if missing.",
		Validate: func(v string) error {
			if !validSlotName(strings.TrimSpace(v)) {
				return errors.New("use lower-case letters, digits and '_', at most 63 characters")
			}
			return nil
		}},
	{Name: propSlotDropOnStop, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Drop the slot when the task stops (tests and throw-away setups only: the WAL position is lost)."},
	{Name: propPublicationName, Type: api.ConfigString, Default: "dbz_publication", Importance: api.Medium, Doc: "Publication pgoutput streams."},
	{Name: propPublicationAutocreate, Type: api.ConfigString, Default: pubAllTables, Importance: api.Medium, Allowed: []string{pubAllTables, pubDisabled, pubFiltered, pubNoTables}, Doc: "How the publication is created when missing: FOR ALL TABLES, not at all, for the captured tables, or empty."},
	{Name: propSnapshotMode, Type: api.ConfigString, Default: "initial", Importance: api.Medium, Allowed: snapshotmode.Names(), Doc: "When to snapshot: initial, when_needed, never, no_data, recovery, initial_only, always."},
	{Name: propSnapshotFetchSize, Type: api.ConfigInt, Default: "10240", Importance: api.Low, Doc: "Rows read per round trip while snapshotting."},
	{Name: propStatusUpdateInterval, Type: api.ConfigInt, Default: "10000", Importance: api.Low, Doc: "How often the confirmed position is sent to the server, in milliseconds."},
	{Name: propTombstonesOnDelete, Type: api.ConfigBoolean, Default: "true", Importance: api.Medium, Doc: "Follow each delete with a tombstone."},
	{Name: propProvideTxMetadata, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Emit BEGIN/END records and a transaction block in each event."},
	{Name: propTopicTransaction, Type: api.ConfigString, Default: "transaction", Importance: api.Low, Doc: "Suffix of the transaction metadata topic."},
	{Name: propSkippedOperations, Type: api.ConfigString, Default: "t", Importance: api.Low, Doc: "Operations not emitted: a list of c, u, d, t, or none."},
	{Name: propMaxBatchSize, Type: api.ConfigInt, Default: "2048", Importance: api.Low, Doc: "Most records returned by one poll."},
	{Name: propMaxQueueSize, Type: api.ConfigInt, Default: "8192", Importance: api.Low, Doc: "Most records queued between the reader and poll."},
	{Name: propMaxQueueSizeBytes, Type: api.ConfigLong, Default: strconv.Itoa(defaultMaxQueueBytes), Importance: api.Low, Doc: "Most bytes (estimated) queued between the reader and poll; 0 for no byte bound."},
	{Name: propPollInterval, Type: api.ConfigInt, Default: "500", Importance: api.Low, Doc: "How long a poll waits for records, in milliseconds."},
	{Name: propDecimalMode, Type: api.ConfigString, Default: "precise", Importance: api.Medium, Allowed: []string{"precise", "double", "string"}, Doc: "Representation of NUMERIC and MONEY values."},
	{Name: propTimePrecisionMode, Type: api.ConfigString, Default: "adaptive", Importance: api.Medium, Allowed: []string{"adaptive", "adaptive_time_microseconds", "connect"}, Doc: "Representation of temporal values."},
	{Name: propBinaryMode, Type: api.ConfigString, Default: "bytes", Importance: api.Low, Allowed: []string{"bytes", "base64", "base64-url-safe", "hex"}, Doc: "Representation of BYTEA values."},
	{Name: propIntervalMode, Type: api.ConfigString, Default: "numeric", Importance: api.Low, Allowed: []string{"numeric", "string"}, Doc: "Representation of INTERVAL values."},
	{Name: propHStoreMode, Type: api.ConfigString, Default: "json", Importance: api.Low, Allowed: []string{"json", "map"}, Doc: "Representation of hstore values."},
	{Name: propMoneyFractionDigits, Type: api.ConfigShort, Default: "2", Importance: api.Low, Doc: "Scale of MONEY values."},
	{Name: propPlaceholder, Type: api.ConfigString, Default: pgtypes.DefaultPlaceholder, Importance: api.Low, Doc: "Value emitted for an unchanged TOASTed column."},
	{Name: propIncludeUnknown, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Emit columns of unmapped types as their text bytes instead of leaving them out."},
	{Name: propXminFetchInterval, Type: api.ConfigLong, Default: "0", Importance: api.Low, Unsupported: true, Doc: "How often the slot's xmin is read for the source block; not supported yet (xmin is left out)."},
	{Name: propStreamingProtocol, Type: api.ConfigBoolean, Default: "true", Importance: api.Low, Doc: "connectd only: on PostgreSQL 14 and later, let pgoutput (protocol 2) stream transactions larger than logical_decoding_work_mem while they run; they are spooled to disk and emitted at commit, in commit order."},
	{Name: propWorkMem, Type: api.ConfigInt, Default: "0", Importance: api.Low, Doc: "connectd only: logical_decoding_work_mem (kB) of the replication session, the size at which the server streams (or spills) a transaction; 0 keeps the server's setting."},
	{Name: propIgnoreBuiltin, Type: api.ConfigBoolean, Default: "true", Importance: api.Low, Doc: "Leave PostgreSQL's own tables (pg_catalog, information_schema, PostGIS's spatial_ref_sys) out."},
	{Name: filters.SchemaIncludeList, Type: api.ConfigList, Importance: api.Medium, Doc: "Schemas to capture (regular expressions)."},
	{Name: filters.SchemaExcludeList, Type: api.ConfigList, Importance: api.Medium, Doc: "Schemas not to capture."},
	{Name: filters.TableIncludeList, Type: api.ConfigList, Importance: api.Medium, Doc: "Tables to capture, as schema.table regular expressions."},
	{Name: filters.TableExcludeList, Type: api.ConfigList, Importance: api.Medium, Doc: "Tables not to capture."},
	{Name: filters.ColumnIncludeList, Type: api.ConfigList, Importance: api.Low, Doc: "Columns to emit, as schema.table.column regular expressions."},
	{Name: filters.ColumnExcludeList, Type: api.ConfigList, Importance: api.Low, Doc: "Columns not to emit."},
	{Name: heartbeat.IntervalConfig, Type: api.ConfigInt, Default: "0", Importance: api.Medium, Doc: "Heartbeat interval in milliseconds; heartbeats let the slot advance while only uncaptured tables change. 0 disables them."},
	{Name: heartbeat.TopicPrefixConfig, Type: api.ConfigString, Default: heartbeat.DefaultTopicPrefix, Importance: api.Low, Doc: "Prefix of the heartbeat topic."},
	{Name: heartbeat.ActionQueryConfig, Type: api.ConfigString, Importance: api.Low, Doc: "SQL run before each heartbeat, e.g. an UPDATE of a captured heartbeat table."},
	{Name: "signal.data.collection", Type: api.ConfigString, Unsupported: true, Importance: api.Low, Doc: "Signal table; not supported by connectd's PostgreSQL connector yet."},
	{Name: "snapshot.select.statement.overrides", Type: api.ConfigString, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
	{Name: "slot.stream.params", Type: api.ConfigString, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
	{Name: "publish.via.partition.root", Type: api.ConfigBoolean, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
}

// Spec returns the connector's configuration spec.
func Spec() api.ConfigSpec { return spec }
