package mysql

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/envelope"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/snapshotmode"
	"github.com/connectd/connectd/connectors/source"
	"github.com/connectd/connectd/signals"
)

// The connector's own property names; the common ones are cdcconfig's.
const (
	propServerID            = "database.server.id"
	propSnapshotLocking     = "snapshot.locking.mode"
	propBigintMode          = "bigint.unsigned.handling.mode"
	propHistoryClass        = "schema.history.internal"
	propConnectTimeout      = "connect.timeout.ms"
	propSnapshotThreads     = source.PropSnapshotThreads
	propIncludeQuery        = "include.query"
	propReadOnly            = "read.only"
	propReconnectBackoffMax = "connect.backoff.max.delay.ms"
	propSnapshotNewTables   = "snapshot.new.tables"
	propSSLMode             = "database.ssl.mode"
	propInitialStatements   = "database.initial.statements"
	// propSchemaMismatchMode says what to do when a TABLE_MAP event's metadata contradicts the
	// table model (see tablemapcheck.go).
	propSchemaMismatchMode = "schema.mismatch.handling.mode"
)

// Config is a parsed connector configuration: the common keys (cdcconfig.Common, embedded) and
// MySQL's own.
type Config struct {
	cdcconfig.Common
	// Relational holds the table filters, the snapshot's selection and threads, and how the
	// binlog connection is retried.
	source.Relational
	Flavor          Flavor // from the connector class; 0 accepts either server
	ServerID        uint32
	SnapshotLocking string
	Modes           valueModes
	HeartbeatPrefix string
	ConnectTimeout  time.Duration
	IncludeQuery    bool
	// ReadOnly is read.only: incremental snapshots write nothing to the source.
	ReadOnly bool
	// SchemaMismatch is "fail" or "rebuild": what a model contradicted by TABLE_MAP metadata does.
	SchemaMismatch string
	// TLS is the TLS of every database connection (database.ssl.*).
	TLS *dbTLS
	// InitialStatements run on every query connection (database.initial.statements).
	InitialStatements []string
}

// configSpec lists the properties with Debezium's defaults; it drives validation and
// GET /connector-plugins/{p}/config/validate. The common keys are cdcconfig's, less those
// Debezium's MySQL connector has no use for (schema lists) or connectd does not read here.
func configSpec() api.ConfigSpec {
	spec := cdcconfig.ConnectorSpec(
		filters.SchemaIncludeList, filters.SchemaExcludeList,
		cdcconfig.RetriableRestartWaitMs,
	)
	// Where MySQL's default or meaning differs from the common one.
	spec.Key(cdcconfig.Port).Default = "3306"
	spec.Key(cdcconfig.User).Doc = "Name of the database user (needs SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT)."
	spec.Key(cdcconfig.SnapshotFetchSize).Doc = "Rows per chunk of the snapshot (10000 when unset): a table with an integer primary key is read in key order in chunks of this size, and a restarted snapshot continues after the last committed row."
	tp := spec.Key(cdcconfig.TimePrecisionMode)
	tp.Default = "adaptive_time_microseconds"
	tp.Doc = "How temporal values are written: 'adaptive_time_microseconds' (Debezium's MySQL default; 'adaptive' means the same here: TIME always in micros), " +
		"'connect' (Kafka Connect's Date/Time/Timestamp, millisecond precision)."
	// Common keys this connector does not implement yet: validation reports them instead of
	// silently ignoring them.
	for _, name := range []string{cdcconfig.HeartbeatActionQuery, cdcconfig.Converters} {
		k := spec.Key(name)
		k.Unsupported, k.Default, k.Validate, k.Allowed = true, "", nil, nil
		k.Doc = "A Debezium property connectd's MySQL/MariaDB connector does not implement yet."
	}
	spec = append(spec, signals.Spec()...)
	spec = append(spec, source.SnapshotSelectionKeys("db.table")...)
	spec = append(spec,
		api.ConfigKey{Name: propServerID, Type: api.ConfigLong, Default: "", Importance: api.Low, Doc: "Numeric id of this replication client, unique among the server's replicas; random in 5400-6400 when unset.", Validate: validateServerID},
		api.ConfigKey{Name: propSnapshotLocking, Type: api.ConfigString, Default: "minimal", Importance: api.Low, Allowed: []string{"minimal", "minimal_percona", "extended", "none"}, Doc: "How long the snapshot holds the global read lock: minimal holds it only while reading the schema and binlog position."},
		api.ConfigKey{Name: propBigintMode, Type: api.ConfigString, Default: "long", Allowed: []string{"long", "precise"}, Importance: api.Medium, Doc: "How BIGINT UNSIGNED values are represented."},
		api.ConfigKey{Name: propHistoryClass, Type: api.ConfigString, Default: "io.debezium.storage.kafka.history.KafkaSchemaHistory", Importance: api.Low, Doc: "Schema history store: KafkaSchemaHistory or FileSchemaHistory."},
		source.SnapshotThreadsKey("transactions with consistent snapshot started under the same global read lock, so snapshot.locking.mode must not be none when above 1"),
		api.ConfigKey{Name: propConnectTimeout, Type: api.ConfigInt, Default: "30000", Importance: api.Low, Doc: "Milliseconds to wait for a database connection."},
		api.ConfigKey{Name: propReconnectBackoffMax, Type: api.ConfigInt, Default: "10000", Importance: api.Low, Doc: "Longest wait between binlog reconnection attempts, in milliseconds."},
		api.ConfigKey{Name: propSchemaMismatchMode, Type: api.ConfigString, Default: mismatchFail, Allowed: []string{mismatchFail, mismatchRebuild}, Importance: api.Medium,
			Doc: "With binlog_row_metadata=FULL each table map event describes the table (column names, types, signedness, charsets, ENUM/SET members), and the table model built from DDL is checked against it once per table version. " +
				"'fail' (default) stops the task with both descriptions and the DDL that produced the model; 'rebuild' replaces the table's model with one built from the metadata, records it in the schema history (an ALTER table change whose ddl is a comment), logs a warning and continues; it also builds a captured table the history does not describe (a CREATE) instead of failing at its rows. " +
				"The metadata has no defaults, comments or declared character lengths (VARCHAR/CHAR lengths are max bytes, divided by the charset's longest character), and shows MariaDB's UUID/INET4/INET6 as BINARY: rebuilt columns keep the old model's column where it agrees. " +
				"With binlog_row_metadata=MINIMAL nothing is checked."},
		api.ConfigKey{Name: propReadOnly, Type: api.ConfigBoolean, Default: "false", Importance: api.Low,
			Doc: "Run incremental snapshots without writing to the database, as Debezium's read-only incremental snapshots: no window rows go into the signal table; " +
				"each chunk's window is bounded by the executed GTID set read before and after the chunk (MariaDB's gtid_binlog_pos, MySQL's gtid_executed, which needs gtid_mode=ON) " +
				"and closes once the binlog stream has passed it. Signal through the kafka, file or REST channel (signal.enabled.channels); the user needs no write privilege."},
		api.ConfigKey{Name: propIncludeQuery, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Put the SQL statement of each row event in source.query (needs binlog_annotate_row_events / binlog_rows_query_log_events)."},
	)
	// Debezium properties this connector does not implement yet: validation reports them
	// instead of silently ignoring them.
	for _, name := range []string{
		propSnapshotNewTables,
		"gtid.source.includes", "gtid.source.excludes", "binlog.buffer.size",
	} {
		spec = append(spec, api.ConfigKey{Name: name, Type: api.ConfigString, Unsupported: true, Importance: api.Low,
			Doc: "A Debezium property connectd's MySQL/MariaDB connector does not implement yet."})
	}
	// Debezium properties whose default behaviour is the only one implemented: a configuration
	// that spells out the default still validates, any other value is reported.
	for _, k := range []struct{ name, only, def string }{
		{"event.deserialization.failure.handling.mode", "fail", "fail"},
		{"inconsistent.schema.handling.mode", "fail", "fail"},
		{"include.schema.comments", "false", "false"},
		{"enable.time.adjuster", "true", "true"},
	} {
		allowed := []string{k.def}
		spec = append(spec, api.ConfigKey{Name: k.name, Type: api.ConfigString, Default: k.def, Importance: api.Low,
			Allowed: allowed, Doc: "Only " + k.only + " is implemented by connectd so far."})
	}
	spec = append(spec, api.ConfigKey{Name: propInitialStatements, Type: api.ConfigString, Importance: api.Low, Group: "CONNECTION",
		DisplayName: "Initial statements", Doc: "SQL statements run on every query connection the connector opens (not on the binlog connection), " +
			"separated by ';' (write ';;' for a semicolon inside a statement), e.g. SET SESSION wait_timeout=3600."})
	return mysqlDebeziumKeys(append(spec, tlsKeys()...))
}

func validateServerID(v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil || n == 0 {
		return errors.New("must be a number between 1 and 4294967295")
	}
	return nil
}

// parseConfig reads and checks a connector configuration.
func parseConfig(props map[string]string, flavor Flavor) (*Config, error) {
	spec := configSpec()
	props = raiseQueue(spec, props)
	common, err := cdcconfig.ParseWith(spec, props)
	if err != nil {
		return nil, err
	}
	rel, err := source.ParseRelational(spec, props, common, common.Filters)
	if err != nil {
		return nil, err
	}
	get := func(name string) string { return cdcconfig.Value(spec, props, name) }
	atoi := func(name string) int { return int(cdcconfig.Int(spec, props, name)) }
	bigint, _ := envelope.ParseBigintUnsignedMode(get(propBigintMode)) // validated by ParseWith
	c := &Config{
		Common:          *common,
		Relational:      rel,
		Flavor:          flavor,
		SnapshotLocking: strings.ToLower(get(propSnapshotLocking)),
		Modes: valueModes{
			Decimal:        common.DecimalMode,
			Time:           common.TimePrecisionMode,
			Binary:         common.BinaryMode,
			BigintUnsigned: bigint,
		},
		HeartbeatPrefix: get(cdcconfig.TopicHeartbeatPrefix),
		ConnectTimeout:  time.Duration(atoi(propConnectTimeout)) * time.Millisecond,
		IncludeQuery:    cdcconfig.Bool(spec, props, propIncludeQuery),
		SchemaMismatch:  strings.ToLower(get(propSchemaMismatchMode)),
		ReadOnly:        cdcconfig.Bool(spec, props, propReadOnly),
	}
	if c.Modes.Time == envelope.TimeAdaptive {
		// Debezium's MySQL connector treats adaptive as adaptive_time_microseconds for TIME.
		c.Modes.Time = envelope.TimeAdaptiveMicroseconds
	}
	if _, ok := props[propReconnectBackoffMax]; ok {
		// Debezium's MySQL-only name for the longest wait, still honoured when given.
		c.Retry.Max = time.Duration(atoi(propReconnectBackoffMax)) * time.Millisecond
	}
	if sid := get(propServerID); sid != "" {
		n, _ := strconv.ParseUint(sid, 10, 32)
		c.ServerID = uint32(n)
	} else {
		c.ServerID = uint32(5400 + time.Now().UnixNano()%1001)
	}
	if c.SnapshotThreads > 1 && c.SnapshotLocking == "none" {
		return nil, fmt.Errorf("%s=%d needs the global read lock to start every connection's transaction on the same view; set %s=minimal (or extended), or %s=1",
			propSnapshotThreads, c.SnapshotThreads, propSnapshotLocking, propSnapshotThreads)
	}
	if c.TLS, err = parseTLS(spec, props, flavor, c.Hostname); err != nil {
		return nil, err
	}
	c.InitialStatements = source.SplitStatements(props[propInitialStatements])
	if c.HistoryFileFilename == "" && (c.HistoryKafkaTopic == "" || c.HistoryKafkaBootstrapServers == "") && c.SnapshotMode != snapshotmode.InitialOnly {
		return nil, fmt.Errorf("the schema history has no store: set %s and %s (or %s with %s=io.debezium.storage.file.history.FileSchemaHistory)",
			cdcconfig.HistoryKafkaTopic, cdcconfig.HistoryKafkaBootstrapServers, cdcconfig.HistoryFileFilename, propHistoryClass)
	}
	return c, nil
}

// raiseQueue returns props with max.queue.size raised to four batches when it is not larger than
// max.batch.size: this connector has always fixed that quietly, where the common check rejects it.
func raiseQueue(spec api.ConfigSpec, props map[string]string) map[string]string {
	num := func(name string) int {
		v, ok := props[name]
		if !ok {
			v = spec.Key(name).Default
		}
		n, _ := strconv.Atoi(strings.TrimSpace(v))
		return n
	}
	batch, queue := num(cdcconfig.MaxBatchSize), num(cdcconfig.MaxQueueSize)
	if batch <= 0 || queue <= 0 || queue > batch {
		return props // fine, or reported by validation
	}
	raised := maps.Clone(props)
	raised[cdcconfig.MaxQueueSize] = strconv.Itoa(batch * 4)
	return raised
}
