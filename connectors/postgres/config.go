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
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/signals"
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

// Config is a parsed connector configuration: the common keys (cdcconfig.Common, embedded) and
// PostgreSQL's own.
type Config struct {
	cdcconfig.Common
	// Relational holds the table filters, the snapshot's selection and threads, and how the
	// replication connection is retried.
	source.Relational
	Database string
	SSLMode  string
	// InitialStatements run on every regular connection the connector opens
	// (database.initial.statements).
	InitialStatements []string

	SlotName       string
	SlotDropOnStop bool
	Publication    string
	PubMode        string

	StatusInterval time.Duration

	Values pgtypes.Options

	// Streaming asks pgoutput to stream large in-progress transactions (protocol 2, PostgreSQL
	// 14+); the connector spools them to disk and emits them at commit.
	Streaming bool
	// WorkMemKB sets logical_decoding_work_mem on the replication connection; 0 keeps the
	// server's setting.
	WorkMemKB int

	// Raw is the configuration as given.
	Raw map[string]string

	part map[string]any
}

// partition is the source partition Debezium's PostgreSQL connector uses. It is shared by every
// record and must not be modified.
func (c *Config) partition() map[string]any { return c.part }

// ParseConfig reads and checks a configuration: the common keys through cdcconfig.ParseWith,
// against the connector's spec (which validates its own keys too), then the keys only PostgreSQL
// has. Every problem found is reported, joined.
func ParseConfig(raw map[string]string) (*Config, error) {
	common, err := cdcconfig.ParseWith(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("invalid PostgreSQL connector configuration: %w", err)
	}
	get := func(k string) string { return cdcconfig.Value(spec, raw, k) }
	geti := func(k string) int { return int(cdcconfig.Int(spec, raw, k)) }
	getb := func(k string) bool { return cdcconfig.Bool(spec, raw, k) }
	c := &Config{
		Common:            *common,
		Raw:               raw,
		Database:          get(propDBName),
		SSLMode:           get(propSSLMode),
		InitialStatements: source.SplitStatements(get(propInitialStatements)),
		SlotName:          get(propSlotName),
		SlotDropOnStop:    getb(propSlotDropOnStop),
		Publication:       get(propPublicationName),
		PubMode:           strings.ToLower(get(propPublicationAutocreate)),
		StatusInterval:    time.Duration(geti(propStatusUpdateInterval)) * time.Millisecond,
		Streaming:         getb(propStreamingProtocol),
		WorkMemKB:         geti(propWorkMem),
	}
	c.part = map[string]any{"server": c.TopicPrefix}
	if c.StatusInterval <= 0 {
		c.StatusInterval = 10 * time.Second
	}
	c.Values = pgtypes.DefaultOptions()
	c.Values.Decimal, c.Values.Time, c.Values.Binary = common.DecimalMode, common.TimePrecisionMode, common.BinaryMode
	// The spec's allowed values were checked by ParseWith: these parse what it accepted.
	c.Values.Interval, _ = pgtypes.ParseIntervalMode(get(propIntervalMode))
	c.Values.HStore, _ = pgtypes.ParseHStoreMode(get(propHStoreMode))
	c.Values.MoneyFractionDigits = geti(propMoneyFractionDigits)
	if v, ok := raw[propPlaceholder]; ok {
		c.Values.Placeholder = v // kept as given: blanks may be meant
	}
	c.Values.IncludeUnknown = getb(propIncludeUnknown)

	var errs []error
	fc := common.Filters
	if getb(propIgnoreBuiltin) {
		fc.Builtin = filters.PostgresBuiltin // pg_catalog, information_schema, spatial_ref_sys, ...
	}
	if c.Relational, err = source.ParseRelational(spec, raw, common, fc); err != nil {
		errs = append(errs, err)
	}
	if _, err = heartbeat.FromConfig(raw); err != nil {
		errs = append(errs, err)
	}
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
		filters.DatabaseIncludeList, filters.DatabaseExcludeList,
		cdcconfig.HistoryKafkaTopic, cdcconfig.HistoryKafkaBootstrapServers, cdcconfig.HistoryFileFilename,
		cdcconfig.HistorySkipUnparseableDDL, cdcconfig.HistoryStoreOnlyCapturedTable, cdcconfig.HistoryStoreOnlyCapturedDBs,
		cdcconfig.IncludeSchemaChanges,
		cdcconfig.RetriableRestartWaitMs, cdcconfig.Converters,
	)
	// Where PostgreSQL's default or meaning differs from the common one.
	s.Key(cdcconfig.Port).Default = "5432"
	s.Key(cdcconfig.TopicNamingStrategy).Default = envelope.SchemaTopicNaming // Debezium's PostgreSQL default
	s.Key(cdcconfig.User).Doc = "User with the REPLICATION attribute and SELECT on the captured tables."
	s.Key(cdcconfig.SnapshotFetchSize).Default = strconv.Itoa(defaultSnapshotFetchSize)
	s.Key(cdcconfig.DecimalHandlingMode).Doc = "How NUMERIC and MONEY values are written: 'precise' (Kafka Decimal, exact), 'double' (may lose precision), 'string'."
	s.Key(cdcconfig.BinaryHandlingMode).Doc = "How BYTEA values are written: 'bytes', 'base64', 'base64-url-safe' or 'hex'."
	s.Key(cdcconfig.HeartbeatIntervalMs).Doc = "Heartbeat interval in milliseconds; heartbeats let the slot advance while only uncaptured tables change. 0 disables them."
	s = append(s, signals.Spec()...)
	s = append(s, tlsKeys()...)
	s = append(s, source.SnapshotSelectionKeys("schema.table")...)
	return debeziumKeys(append(s, api.ConfigSpec{
		{Name: propDBName, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Database to capture.",
			Validate: func(v string) error {
				if strings.TrimSpace(v) == "" {
					return errors.New("is required: logical decoding works on one database")
				}
				return nil
			}},
		{Name: propSSLMode, Type: api.ConfigString, Default: "prefer", Importance: api.Medium, Allowed: []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}, Doc: "TLS mode, as libpq's sslmode."},
		{Name: propInitialStatements, Type: api.ConfigString, Importance: api.Low, Doc: "SQL statements run on every regular connection the connector opens (not on the replication connection), separated by ';' (write ';;' for a semicolon inside a statement), as Debezium."},
		{Name: propPluginName, Type: api.ConfigString, Default: "pgoutput", Importance: api.Medium, Allowed: []string{"pgoutput", "decoderbufs"}, Doc: "Logical decoding plugin; connectd supports pgoutput only.",
			Validate: func(v string) error {
				if !strings.EqualFold(strings.TrimSpace(v), "pgoutput") {
					return fmt.Errorf("%s is not supported by connectd; set plugin.name=pgoutput (built into PostgreSQL 10 and later)", strings.TrimSpace(v))
				}
				return nil
			}},
		{Name: propSlotName, Type: api.ConfigString, Default: "debezium", Importance: api.Medium, Doc: "Logical replication slot the connector streams from; created if missing.",
			Validate: func(v string) error {
				if !validSlotName(strings.TrimSpace(v)) {
					return errors.New("is not a valid replication slot name: use lower-case letters, digits and '_', at most 63 characters")
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
		{Name: propWorkMem, Type: api.ConfigInt, Default: "0", Importance: api.Low, Doc: "connectd only: logical_decoding_work_mem (kB) of the replication session, the size at which the server streams (or spills) a transaction; 0 keeps the server's setting.",
			Validate: func(v string) error {
				if n, _ := strconv.Atoi(strings.TrimSpace(v)); n != 0 && n < 64 {
					return errors.New("PostgreSQL's minimum is 64 (kB); use 0 to keep the server's setting")
				}
				return nil
			}},
		{Name: propIgnoreBuiltin, Type: api.ConfigBoolean, Default: "true", Importance: api.Low, Doc: "Leave PostgreSQL's own tables (pg_catalog, information_schema, PostGIS's spatial_ref_sys) out."},
		source.SnapshotThreadsKey("repeatable-read transactions importing the same exported snapshot"),
		{Name: "slot.stream.params", Type: api.ConfigString, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
		{Name: "publish.via.partition.root", Type: api.ConfigBoolean, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
	}...))
}

// Spec returns the connector's configuration spec.
func Spec() api.ConfigSpec { return spec }
