package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/heartbeat"
	"github.com/connectd/connectd/connectors/postgres/pgtypes"
	"github.com/connectd/connectd/connectors/snapshotmode"
)

// The connector's own property names, as Debezium's PostgresConnectorConfig; the common ones are
// cdcconfig's.
const (
	propDBName                = "database.dbname"
	propSSLMode               = "database.sslmode"
	propInitialStatements     = "database.initial.statements"
	propPluginName            = "plugin.name"
	propSlotName              = "slot.name"
	propSlotDropOnStop        = "slot.drop.on.stop"
	propPublicationName       = "publication.name"
	propPublicationAutocreate = "publication.autocreate.mode"
	propStatusUpdateInterval  = "status.update.interval.ms"
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

// defaultSnapshotFetchSize is Debezium's PostgreSQL snapshot.fetch.size default.
const defaultSnapshotFetchSize = 10240

// Publication autocreate modes (publication.autocreate.mode).
const (
	pubAllTables = "all_tables"
	pubDisabled  = "disabled"
	pubFiltered  = "filtered"
	pubNoTables  = "no_tables"
)

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
	// def is a key's default in the spec, so each default is written once.
	def := func(k string) string {
		if key := spec.Key(k); key != nil {
			return key.Default
		}
		return ""
	}
	geti := func(k string) int {
		s := get(k, def(k))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not a whole number", k, s))
			n, _ = strconv.Atoi(def(k))
		}
		return n
	}
	getb := func(k string) bool {
		s := get(k, def(k))
		if s == "" {
			return false
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not true or false", k, s))
			b, _ = strconv.ParseBool(def(k))
		}
		return b
	}
	c := &Config{Raw: raw}
	c.TopicPrefix = get(cdcconfig.TopicPrefix, "")
	c.part = map[string]any{"server": c.TopicPrefix}
	if c.TopicPrefix == "" {
		errs = append(errs, fmt.Errorf("%s is required: it names the topics and the source partition", cdcconfig.TopicPrefix))
	} else if !envelope.ValidTopicPrefix(c.TopicPrefix) {
		errs = append(errs, fmt.Errorf("%s=%q may only contain letters, digits, '.', '_' and '-'", cdcconfig.TopicPrefix, c.TopicPrefix))
	}
	c.Host = get(cdcconfig.Hostname, "")
	if c.Host == "" {
		errs = append(errs, fmt.Errorf("%s is required", cdcconfig.Hostname))
	}
	c.Port = geti(cdcconfig.Port)
	c.User = get(cdcconfig.User, "")
	if c.User == "" {
		errs = append(errs, fmt.Errorf("%s is required", cdcconfig.User))
	}
	c.Password = raw[cdcconfig.Password]
	c.Database = get(propDBName, "")
	if c.Database == "" {
		errs = append(errs, fmt.Errorf("%s is required: logical decoding works on one database", propDBName))
	}
	c.SSLMode = get(propSSLMode, def(propSSLMode))
	switch c.SSLMode {
	case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		errs = append(errs, fmt.Errorf("%s=%q is not one of disable, allow, prefer, require, verify-ca, verify-full", propSSLMode, c.SSLMode))
	}
	c.InitialStatements = get(propInitialStatements, "")

	switch p := strings.ToLower(get(propPluginName, def(propPluginName))); p {
	case "pgoutput":
	case "decoderbufs":
		errs = append(errs, fmt.Errorf("%s=decoderbufs is not supported by connectd; set plugin.name=pgoutput (built into PostgreSQL 10 and later)", propPluginName))
	default:
		errs = append(errs, fmt.Errorf("%s=%q is not supported; set plugin.name=pgoutput", propPluginName, p))
	}
	c.SlotName = get(propSlotName, def(propSlotName))
	if !validSlotName(c.SlotName) {
		errs = append(errs, fmt.Errorf("%s=%q is not a valid replication slot name: use lower-case letters, digits and '_', at most 63 characters", propSlotName, c.SlotName))
	}
	c.SlotDropOnStop = getb(propSlotDropOnStop)
	c.Publication = get(propPublicationName, def(propPublicationName))
	c.PubMode = strings.ToLower(get(propPublicationAutocreate, def(propPublicationAutocreate)))
	switch c.PubMode {
	case pubAllTables, pubDisabled, pubFiltered, pubNoTables:
	default:
		errs = append(errs, fmt.Errorf("%s=%q is not one of all_tables, disabled, filtered, no_tables", propPublicationAutocreate, c.PubMode))
	}

	mode, err := snapshotmode.Parse(get(cdcconfig.SnapshotMode, def(cdcconfig.SnapshotMode)))
	if err != nil {
		errs = append(errs, err)
	}
	c.SnapshotMode = mode
	c.SnapshotFetchSize = geti(cdcconfig.SnapshotFetchSize)
	c.StatusInterval = time.Duration(geti(propStatusUpdateInterval)) * time.Millisecond
	if c.StatusInterval <= 0 {
		c.StatusInterval = 10 * time.Second
	}
	c.Tombstones = getb(cdcconfig.TombstonesOnDelete)
	c.TxMetadata = getb(cdcconfig.ProvideTransactionMetadata)
	c.TxTopic = envelope.TopicName(c.TopicPrefix, get(cdcconfig.TopicTransaction, def(cdcconfig.TopicTransaction)))
	// Debezium skips truncate events unless told otherwise (skipped.operations defaults to "t").
	if ops, err := cdcconfig.ParseSkippedOperations(get(cdcconfig.SkippedOperations, def(cdcconfig.SkippedOperations))); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", cdcconfig.SkippedOperations, err))
	} else {
		c.SkipCreate, c.SkipUpdate = ops.Has(envelope.OpCreate), ops.Has(envelope.OpUpdate)
		c.SkipDelete, c.SkipTruncate = ops.Has(envelope.OpDelete), ops.Has(envelope.OpTruncate)
	}
	c.MaxBatchSize = geti(cdcconfig.MaxBatchSize)
	c.MaxQueueSize = geti(cdcconfig.MaxQueueSize)
	if c.MaxBatchSize <= 0 || c.MaxQueueSize <= 0 {
		errs = append(errs, fmt.Errorf("%s and %s must be positive", cdcconfig.MaxBatchSize, cdcconfig.MaxQueueSize))
	}
	c.MaxQueueBytes = int64(geti(cdcconfig.MaxQueueSizeInBytes))
	c.PollInterval = time.Duration(geti(cdcconfig.PollIntervalMs)) * time.Millisecond

	c.Values = pgtypes.DefaultOptions()
	if c.Values.Decimal, err = pgtypes.ParseDecimalMode(get(cdcconfig.DecimalHandlingMode, "")); err != nil {
		errs = append(errs, err)
	}
	if c.Values.Time, err = pgtypes.ParseTimeMode(get(cdcconfig.TimePrecisionMode, "")); err != nil {
		errs = append(errs, err)
	}
	if c.Values.Binary, err = pgtypes.ParseBinaryMode(get(cdcconfig.BinaryHandlingMode, "")); err != nil {
		errs = append(errs, err)
	}
	if c.Values.Interval, err = pgtypes.ParseIntervalMode(get(propIntervalMode, "")); err != nil {
		errs = append(errs, err)
	}
	if c.Values.HStore, err = pgtypes.ParseHStoreMode(get(propHStoreMode, "")); err != nil {
		errs = append(errs, err)
	}
	c.Values.MoneyFractionDigits = geti(propMoneyFractionDigits)
	if v, ok := raw[propPlaceholder]; ok {
		c.Values.Placeholder = v
	}
	c.Values.IncludeUnknown = getb(propIncludeUnknown)
	c.Streaming = getb(propStreamingProtocol)
	c.WorkMemKB = geti(propWorkMem)
	if c.WorkMemKB != 0 && c.WorkMemKB < 64 {
		errs = append(errs, fmt.Errorf("%s=%d: PostgreSQL's minimum is 64 (kB)", propWorkMem, c.WorkMemKB))
	}

	fc := filters.ConfigFrom(raw)
	if getb(propIgnoreBuiltin) {
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
var spec = buildSpec()

// buildSpec returns cdcconfig's common keys, less those Debezium's PostgreSQL connector has no
// use for (database lists, the schema history) or connectd does not read here, with PostgreSQL's
// defaults where they differ, plus the connector's own keys.
func buildSpec() api.ConfigSpec {
	s := cdcconfig.ConnectorSpec(
		filters.DatabaseIncludeList, filters.DatabaseExcludeList, cdcconfig.SnapshotDelayMs, cdcconfig.IncrementalSnapshotChunkSize,
		cdcconfig.SchemaNameAdjustmentMode, cdcconfig.FieldNameAdjustmentMode, cdcconfig.SignalEnabledChannels,
		cdcconfig.HistoryKafkaTopic, cdcconfig.HistoryKafkaBootstrapServers, cdcconfig.HistoryFileFilename,
		cdcconfig.HistorySkipUnparseableDDL, cdcconfig.HistoryStoreOnlyCapturedTable, cdcconfig.HistoryStoreOnlyCapturedDBs,
		cdcconfig.IncludeSchemaChanges, cdcconfig.EventProcessingFailureMode, cdcconfig.ErrorsMaxRetries,
		cdcconfig.RetriableRestartWaitMs, cdcconfig.MessageKeyColumns, cdcconfig.Converters,
		cdcconfig.TopicNamingStrategy, cdcconfig.TopicDelimiter,
	)
	// Where PostgreSQL's default or meaning differs from the common one.
	s.Key(cdcconfig.Port).Default = "5432"
	s.Key(cdcconfig.User).Doc = "User with the REPLICATION attribute and SELECT on the captured tables."
	s.Key(cdcconfig.SnapshotFetchSize).Default = strconv.Itoa(defaultSnapshotFetchSize)
	s.Key(cdcconfig.DecimalHandlingMode).Doc = "How NUMERIC and MONEY values are written: 'precise' (Kafka Decimal, exact), 'double' (may lose precision), 'string'."
	s.Key(cdcconfig.BinaryHandlingMode).Doc = "How BYTEA values are written: 'bytes', 'base64', 'base64-url-safe' or 'hex'."
	s.Key(cdcconfig.HeartbeatIntervalMs).Doc = "Heartbeat interval in milliseconds; heartbeats let the slot advance while only uncaptured tables change. 0 disables them."
	sig := s.Key(cdcconfig.SignalDataCollection)
	sig.Unsupported = true
	sig.Doc = "Signal table; not supported by connectd's PostgreSQL connector yet."
	return append(s, api.ConfigSpec{
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
		{Name: propStatusUpdateInterval, Type: api.ConfigInt, Default: "10000", Importance: api.Low, Doc: "How often the confirmed position is sent to the server, in milliseconds."},
		{Name: propIntervalMode, Type: api.ConfigString, Default: "numeric", Importance: api.Low, Allowed: []string{"numeric", "string"}, Doc: "Representation of INTERVAL values."},
		{Name: propHStoreMode, Type: api.ConfigString, Default: "json", Importance: api.Low, Allowed: []string{"json", "map"}, Doc: "Representation of hstore values."},
		{Name: propMoneyFractionDigits, Type: api.ConfigShort, Default: "2", Importance: api.Low, Doc: "Scale of MONEY values."},
		{Name: propPlaceholder, Type: api.ConfigString, Default: pgtypes.DefaultPlaceholder, Importance: api.Low, Doc: "Value emitted for an unchanged TOASTed column."},
		{Name: propIncludeUnknown, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Emit columns of unmapped types as their text bytes instead of leaving them out."},
		{Name: propXminFetchInterval, Type: api.ConfigLong, Default: "0", Importance: api.Low, Unsupported: true, Doc: "How often the slot's xmin is read for the source block; not supported yet (xmin is left out)."},
		{Name: propStreamingProtocol, Type: api.ConfigBoolean, Default: "true", Importance: api.Low, Doc: "connectd only: on PostgreSQL 14 and later, let pgoutput (protocol 2) stream transactions larger than logical_decoding_work_mem while they run; they are spooled to disk and emitted at commit, in commit order."},
		{Name: propWorkMem, Type: api.ConfigInt, Default: "0", Importance: api.Low, Doc: "connectd only: logical_decoding_work_mem (kB) of the replication session, the size at which the server streams (or spills) a transaction; 0 keeps the server's setting."},
		{Name: propIgnoreBuiltin, Type: api.ConfigBoolean, Default: "true", Importance: api.Low, Doc: "Leave PostgreSQL's own tables (pg_catalog, information_schema, PostGIS's spatial_ref_sys) out."},
		{Name: "snapshot.select.statement.overrides", Type: api.ConfigString, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
		{Name: "slot.stream.params", Type: api.ConfigString, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
		{Name: "publish.via.partition.root", Type: api.ConfigBoolean, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
	}...)
}

// Spec returns the connector's configuration spec.
func Spec() api.ConfigSpec { return spec }
