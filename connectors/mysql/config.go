package mysql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/snapshotmode"
)

// Debezium's connector property names this connector reads.
const (
	propTopicPrefix          = "topic.prefix"
	propHost                 = "database.hostname"
	propPort                 = "database.port"
	propUser                 = "database.user"
	propPassword             = "database.password"
	propServerID             = "database.server.id"
	propSnapshotMode         = "snapshot.mode"
	propSnapshotLocking      = "snapshot.locking.mode"
	propSnapshotFetchSize    = "snapshot.fetch.size"
	propDecimalMode          = "decimal.handling.mode"
	propTimeMode             = "time.precision.mode"
	propBinaryMode           = "binary.handling.mode"
	propBigintMode           = "bigint.unsigned.handling.mode"
	propIncludeSchemaChanges = "include.schema.changes"
	propTombstones           = "tombstones.on.delete"
	propTxMetadata           = "provide.transaction.metadata"
	propHeartbeatInterval    = "heartbeat.interval.ms"
	propHeartbeatPrefix      = "topic.heartbeat.prefix"
	propHistoryTopic         = "schema.history.internal.kafka.topic"
	propHistoryServers       = "schema.history.internal.kafka.bootstrap.servers"
	propHistoryFile          = "schema.history.internal.file.filename"
	propHistoryClass         = "schema.history.internal"
	propSkipUnparseable      = "schema.history.internal.skip.unparseable.ddl"
	propStoreOnlyCaptured    = "schema.history.internal.store.only.captured.tables.ddl"
	propStoreOnlyCapturedDBs = "schema.history.internal.store.only.captured.databases.ddl"
	propConnectTimeout       = "connect.timeout.ms"
	propMaxBatch             = "max.batch.size"
	propMaxQueue             = "max.queue.size"
	propMaxQueueBytes        = "max.queue.size.in.bytes"
	propPollInterval         = "poll.interval.ms"
	propIncludeQuery         = "include.query"
	propSkippedOps           = "skipped.operations"
	propTxTopic              = "topic.transaction"
	propConnectTimeZone      = "database.connectionTimeZone"
	propKeepAliveInterval    = "connect.keep.alive.interval.ms"
	propReconnectBackoffMax  = "connect.backoff.max.delay.ms"
	propHeartbeatQuery       = "heartbeat.action.query"
	propSignalCollection     = "signal.data.collection"
	propSnapshotNewTables    = "snapshot.new.tables"
	propSSLMode              = "database.ssl.mode"
)

// Config is a parsed connector configuration.
type Config struct {
	Flavor            Flavor // from the connector class; 0 accepts either server
	TopicPrefix       string
	Host              string
	Port              int
	User, Password    string
	ServerID          uint32
	SnapshotMode      snapshotmode.Mode
	SnapshotLocking   string
	FetchSize         int
	Modes             valueModes
	SchemaChanges     bool
	Tombstones        bool
	TxMetadata        bool
	TxTopic           string
	Heartbeat         time.Duration
	HeartbeatPrefix   string
	HistoryTopic      string
	HistoryServers    string
	HistoryFile       string
	SkipUnparseable   bool
	StoreOnlyCaptured bool
	// StoreOnlyCapturedDBs keeps DDL of databases outside the filters out of the history.
	StoreOnlyCapturedDBs bool
	ConnectTimeout       time.Duration
	MaxBatch             int
	MaxQueue             int
	MaxQueueBytes        int64
	PollInterval         time.Duration
	IncludeQuery         bool
	SkipTruncate         bool
	SkipCreate           bool
	SkipUpdate           bool
	SkipDelete           bool
	BackoffMax           time.Duration
	Filters              *filters.Filters
}

// configSpec lists the properties with Debezium's defaults; it drives validation and
// GET /connector-plugins/{p}/config/validate.
func configSpec() api.ConfigSpec {
	spec := api.ConfigSpec{
		{Name: propTopicPrefix, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Prefix of every topic name; also the source partition's server name."},
		{Name: propHost, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Resolvable hostname or IP address of the database server."},
		{Name: propPort, Type: api.ConfigInt, Default: "3306", Importance: api.High, Doc: "Port of the database server."},
		{Name: propUser, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Name of the database user (needs SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT)."},
		{Name: propPassword, Type: api.ConfigPassword, Importance: api.High, Doc: "Password of the database user."},
		{Name: propServerID, Type: api.ConfigLong, Default: "", Importance: api.Low, Doc: "Numeric id of this replication client, unique among the server's replicas; random in 5400-6400 when unset.", Validate: validateServerID},
		{Name: filters.DatabaseIncludeList, Type: api.ConfigList, Importance: api.High, Doc: "Regular expressions matching the databases to capture."},
		{Name: filters.DatabaseExcludeList, Type: api.ConfigList, Importance: api.High, Doc: "Regular expressions matching the databases not to capture."},
		{Name: filters.TableIncludeList, Type: api.ConfigList, Importance: api.High, Doc: "Regular expressions matching db.table names to capture."},
		{Name: filters.TableExcludeList, Type: api.ConfigList, Importance: api.High, Doc: "Regular expressions matching db.table names not to capture."},
		{Name: filters.ColumnExcludeList, Type: api.ConfigList, Importance: api.Medium, Doc: "Regular expressions matching db.table.column names to leave out of events."},
		{Name: filters.ColumnIncludeList, Type: api.ConfigList, Importance: api.Medium, Doc: "Regular expressions matching db.table.column names to keep in events."},
		{Name: propSnapshotMode, Type: api.ConfigString, Default: "initial", Importance: api.Low, Doc: "When to snapshot: initial, when_needed, never, no_data (schema_only), recovery (schema_only_recovery), initial_only, always.", Validate: func(v string) error { _, err := snapshotmode.Parse(v); return err }},
		{Name: propSnapshotLocking, Type: api.ConfigString, Default: "minimal", Importance: api.Low, Allowed: []string{"minimal", "minimal_percona", "extended", "none"}, Doc: "How long the snapshot holds the global read lock: minimal holds it only while reading the schema and binlog position."},
		{Name: propSnapshotFetchSize, Type: api.ConfigInt, Default: "0", Importance: api.Medium, Doc: "Rows fetched per round trip while snapshotting; rows are streamed, so this only documents intent."},
		{Name: propDecimalMode, Type: api.ConfigString, Default: "precise", Allowed: []string{"precise", "double", "string"}, Importance: api.Medium, Doc: "How DECIMAL values are represented."},
		{Name: propTimeMode, Type: api.ConfigString, Default: "adaptive_time_microseconds", Allowed: []string{"adaptive_time_microseconds", "adaptive", "connect"}, Importance: api.Medium, Doc: "How temporal values are represented."},
		{Name: propBinaryMode, Type: api.ConfigString, Default: "bytes", Allowed: []string{"bytes", "base64", "base64-url-safe", "hex"}, Importance: api.Low, Doc: "How binary values are represented."},
		{Name: propBigintMode, Type: api.ConfigString, Default: "long", Allowed: []string{"long", "precise"}, Importance: api.Medium, Doc: "How BIGINT UNSIGNED values are represented."},
		{Name: propIncludeSchemaChanges, Type: api.ConfigBoolean, Default: "true", Importance: api.Medium, Doc: "Emit schema change events on the <topic.prefix> topic."},
		{Name: propTombstones, Type: api.ConfigBoolean, Default: "true", Importance: api.Medium, Doc: "Emit a tombstone after each delete event."},
		{Name: propTxMetadata, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Emit transaction BEGIN/END events and a transaction block on each change event."},
		{Name: propTxTopic, Type: api.ConfigString, Default: "transaction", Importance: api.Low, Doc: "Suffix of the transaction metadata topic, <topic.prefix>.<suffix>."},
		{Name: propHeartbeatInterval, Type: api.ConfigInt, Default: "0", Importance: api.Medium, Doc: "Milliseconds between heartbeat messages; 0 disables them."},
		{Name: propHeartbeatPrefix, Type: api.ConfigString, Default: "__debezium-heartbeat", Importance: api.Low, Doc: "Prefix of the heartbeat topic, <prefix>.<topic.prefix>."},
		{Name: propHistoryClass, Type: api.ConfigString, Default: "io.debezium.storage.kafka.history.KafkaSchemaHistory", Importance: api.Low, Doc: "Schema history store: KafkaSchemaHistory or FileSchemaHistory."},
		{Name: propHistoryTopic, Type: api.ConfigString, Importance: api.High, Doc: "Topic of the schema history (one partition, never deleted)."},
		{Name: propHistoryServers, Type: api.ConfigString, Importance: api.High, Doc: "Kafka bootstrap servers of the schema history topic."},
		{Name: propHistoryFile, Type: api.ConfigString, Importance: api.Low, Doc: "File of the schema history with FileSchemaHistory."},
		{Name: propSkipUnparseable, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Skip DDL statements that cannot be parsed instead of failing."},
		{Name: propStoreOnlyCaptured, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Record in the schema history only the DDL of captured tables."},
		{Name: propStoreOnlyCapturedDBs, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Record in the schema history only the DDL of captured databases."},
		{Name: propConnectTimeout, Type: api.ConfigInt, Default: "30000", Importance: api.Low, Doc: "Milliseconds to wait for a database connection."},
		{Name: propReconnectBackoffMax, Type: api.ConfigInt, Default: "10000", Importance: api.Low, Doc: "Longest wait between binlog reconnection attempts, in milliseconds."},
		{Name: propMaxBatch, Type: api.ConfigInt, Default: "2048", Importance: api.Low, Doc: "Most records returned by one poll."},
		{Name: propMaxQueue, Type: api.ConfigInt, Default: "8192", Importance: api.Low, Doc: "Most records buffered between the binlog reader and the producer."},
		{Name: propMaxQueueBytes, Type: api.ConfigLong, Default: "8388608", Importance: api.Low, Doc: "Most bytes (estimated) buffered between the binlog reader and the producer; 0 for no byte limit. connectd bounds memory by default (Debezium defaults to 0); 8 MiB keeps a worker under 150 MB RSS at full speed."},
		{Name: propPollInterval, Type: api.ConfigInt, Default: "500", Importance: api.Low, Doc: "Milliseconds a poll waits for records before returning an empty batch."},
		{Name: propIncludeQuery, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Put the SQL statement of each row event in source.query (needs binlog_annotate_row_events / binlog_rows_query_log_events)."},
		{Name: propSkippedOps, Type: api.ConfigList, Default: "t", Importance: api.Low, Doc: "Operations not to emit: c, u, d, t, or none."},
	}
	// Debezium properties this connector does not implement yet: validation reports them
	// instead of silently ignoring them.
	for _, name := range []string{
		propSnapshotNewTables, propSignalCollection, propHeartbeatQuery,
		"signal.enabled.channels", "incremental.snapshot.chunk.size",
		"snapshot.select.statement.overrides", "snapshot.include.collection.list", "message.key.columns",
		"column.propagate.source.type", "datatype.propagate.source.type", "converters",
		"gtid.source.includes", "gtid.source.excludes", "binlog.buffer.size", "database.initial.statements",
		"database.ssl.keystore", "database.ssl.truststore",
	} {
		spec = append(spec, api.ConfigKey{Name: name, Type: api.ConfigString, Unsupported: true, Importance: api.Low,
			Doc: "A Debezium property connectd's MySQL/MariaDB connector does not implement yet."})
	}
	// Debezium properties whose default behaviour is the only one implemented: a configuration
	// that spells out the default still validates, any other value is reported.
	for _, k := range []struct{ name, only, def string }{
		{propSSLMode, "disabled, preferred (without TLS)", "preferred"},
		{"event.deserialization.failure.handling.mode", "fail", "fail"},
		{"inconsistent.schema.handling.mode", "fail", "fail"},
		{"read.only", "false", "false"},
		{"snapshot.max.threads", "1", "1"},
		{"include.schema.comments", "false", "false"},
		{"enable.time.adjuster", "true", "true"},
	} {
		allowed := []string{k.def}
		if k.name == propSSLMode {
			allowed = []string{"disabled", "disable", "preferred"}
		}
		spec = append(spec, api.ConfigKey{Name: k.name, Type: api.ConfigString, Default: k.def, Importance: api.Low,
			Allowed: allowed, Doc: "Only " + k.only + " is implemented by connectd so far."})
	}
	return spec
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
	if _, nerr := spec.Validate(props); nerr > 0 {
		vals, _ := spec.Validate(props)
		var msgs []string
		for _, v := range vals {
			msgs = append(msgs, v.Errors...)
		}
		return nil, fmt.Errorf("invalid connector configuration: %s", strings.Join(msgs, "; "))
	}
	get := func(name string) string {
		if v, ok := props[name]; ok {
			return strings.TrimSpace(v)
		}
		if k := spec.Key(name); k != nil {
			return k.Default
		}
		return ""
	}
	atoi := func(name string) int { n, _ := strconv.Atoi(get(name)); return n }
	bool_ := func(name string) bool { return strings.EqualFold(get(name), "true") }
	c := &Config{
		Flavor:          flavor,
		TopicPrefix:     get(propTopicPrefix),
		Host:            get(propHost),
		Port:            atoi(propPort),
		User:            get(propUser),
		Password:        props[propPassword],
		SnapshotLocking: strings.ToLower(get(propSnapshotLocking)),
		FetchSize:       atoi(propSnapshotFetchSize),
		Modes: valueModes{
			Decimal:        strings.ToLower(get(propDecimalMode)),
			Time:           strings.ToLower(get(propTimeMode)),
			Binary:         strings.ToLower(get(propBinaryMode)),
			BigintUnsigned: strings.ToLower(get(propBigintMode)),
		},
		SchemaChanges:        bool_(propIncludeSchemaChanges),
		Tombstones:           bool_(propTombstones),
		TxMetadata:           bool_(propTxMetadata),
		TxTopic:              get(propTxTopic),
		Heartbeat:            time.Duration(atoi(propHeartbeatInterval)) * time.Millisecond,
		HeartbeatPrefix:      get(propHeartbeatPrefix),
		HistoryTopic:         get(propHistoryTopic),
		HistoryServers:       get(propHistoryServers),
		HistoryFile:          get(propHistoryFile),
		SkipUnparseable:      bool_(propSkipUnparseable),
		StoreOnlyCaptured:    bool_(propStoreOnlyCaptured),
		StoreOnlyCapturedDBs: bool_(propStoreOnlyCapturedDBs),
		ConnectTimeout:       time.Duration(atoi(propConnectTimeout)) * time.Millisecond,
		BackoffMax:           time.Duration(atoi(propReconnectBackoffMax)) * time.Millisecond,
		MaxBatch:             atoi(propMaxBatch),
		MaxQueue:             atoi(propMaxQueue),
		PollInterval:         time.Duration(atoi(propPollInterval)) * time.Millisecond,
		IncludeQuery:         bool_(propIncludeQuery),
	}
	c.MaxQueueBytes, _ = strconv.ParseInt(get(propMaxQueueBytes), 10, 64)
	if c.Modes.Time == "adaptive" {
		// Debezium's MySQL connector treats adaptive as adaptive_time_microseconds for TIME.
		c.Modes.Time = "adaptive_time_microseconds"
	}
	mode, err := snapshotmode.Parse(get(propSnapshotMode))
	if err != nil {
		return nil, err
	}
	c.SnapshotMode = mode
	if sid := get(propServerID); sid != "" {
		n, _ := strconv.ParseUint(sid, 10, 32)
		c.ServerID = uint32(n)
	} else {
		c.ServerID = uint32(5400 + time.Now().UnixNano()%1001)
	}
	for _, op := range filters.SplitList(get(propSkippedOps)) {
		switch strings.ToLower(op) {
		case "c":
			c.SkipCreate = true
		case "u":
			c.SkipUpdate = true
		case "d":
			c.SkipDelete = true
		case "t":
			c.SkipTruncate = true
		case "none", "":
		default:
			return nil, fmt.Errorf("skipped.operations=%q: %q is not an operation; use c, u, d, t or none", get(propSkippedOps), op)
		}
	}
	if c.MaxBatch <= 0 || c.MaxQueue <= 0 {
		return nil, errors.New("max.batch.size and max.queue.size must be positive")
	}
	if c.MaxQueue <= c.MaxBatch {
		// Debezium requires the queue to be larger than a batch; fix it quietly as it does.
		c.MaxQueue = c.MaxBatch * 4
	}
	f, err := filters.New(filters.ConfigFrom(props))
	if err != nil {
		return nil, err
	}
	c.Filters = f
	if c.HistoryFile == "" && (c.HistoryTopic == "" || c.HistoryServers == "") && c.SnapshotMode != snapshotmode.InitialOnly {
		return nil, fmt.Errorf("the schema history has no store: set %s and %s (or %s with %s=io.debezium.storage.file.history.FileSchemaHistory)",
			propHistoryTopic, propHistoryServers, propHistoryFile, propHistoryClass)
	}
	return c, nil
}
