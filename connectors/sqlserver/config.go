package sqlserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/relational"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/heartbeat"
)

// The connector's own property names, as Debezium's SqlServerConnectorConfig.
const (
	propDatabaseNames          = "database.names"
	propInstance               = "database.instance"
	propEncrypt                = "database.encrypt"
	propTrustServerCertificate = "database.trustServerCertificate"
	propIsolationMode          = "snapshot.isolation.mode"
	propStreamingFetchSize     = "streaming.fetch.size"
	propDataQueryMode          = "data.query.mode"
	propMaxTxPerIteration      = "max.transactions.per.iteration"
)

// Snapshot isolation modes (snapshot.isolation.mode), Debezium's SnapshotIsolationMode values.
const (
	isoReadUncommitted = "read_uncommitted"
	isoReadCommitted   = "read_committed"
	isoRepeatableRead  = "repeatable_read"
	isoSnapshot        = "snapshot"
	isoExclusive       = "exclusive"
)

// Config is a parsed connector configuration.
type Config struct {
	changetable.Config
	Host                   string
	Port                   int
	Instance               string
	User                   string
	Password               string
	Encrypt                string
	TrustServerCertificate bool
	Isolation              string
	FetchSize              int
	Values                 changetable.ValueModes
}

// ParseConfig reads and checks a configuration; every problem found is reported, joined.
func ParseConfig(raw map[string]string) (*Config, error) {
	common, err := cdcconfig.ParseWith(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("invalid SQL Server connector configuration: %w", err)
	}
	get := func(k string) string { return cdcconfig.Value(spec, raw, k) }
	c := &Config{
		Config:                 changetable.NewConfig(common, raw, filters.SplitList(get(propDatabaseNames))),
		Host:                   common.Hostname,
		Port:                   common.Port,
		Instance:               get(propInstance),
		User:                   common.User,
		Password:               common.Password,
		Encrypt:                strings.ToLower(get(propEncrypt)),
		TrustServerCertificate: cdcconfig.Bool(spec, raw, propTrustServerCertificate),
		Isolation:              strings.ToLower(get(propIsolationMode)),
		FetchSize:              int(cdcconfig.Int(spec, raw, propStreamingFetchSize)),
		Values:                 changetable.ValueModesFrom(common),
	}
	if c.Port == 0 {
		c.Port = 1433
	}
	c.FilterID, c.System = filterID, systemTable
	var errs []error
	if len(c.Databases) == 0 {
		errs = append(errs, fmt.Errorf("%s is required: name the databases to capture, comma-separated", propDatabaseNames))
	}
	if c.Filters, err = filters.New(common.Filters); err != nil {
		errs = append(errs, err)
	}
	if c.Heartbeat, err = heartbeat.FromConfig(raw); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid SQL Server connector configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// dsn is go-mssqldb's connection URL for database db.
func (c *Config) dsn(db string) string {
	q := url.Values{}
	q.Set("database", db)
	q.Set("app name", "connectd")
	if c.Encrypt != "" {
		q.Set("encrypt", c.Encrypt)
	}
	if c.TrustServerCertificate {
		q.Set("TrustServerCertificate", "true")
	}
	u := url.URL{Scheme: "sqlserver", User: url.UserPassword(c.User, c.Password), RawQuery: q.Encode()}
	if c.Instance != "" {
		u.Host, u.Path = c.Host, c.Instance // a named instance is found through the browser service
	} else {
		u.Host = net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	}
	return u.String()
}

// spec is the connector's configuration spec, for validation and docs.
var spec = buildSpec()

// buildSpec returns cdcconfig's common keys, less those the SQL Server connector has no use for,
// with SQL Server's defaults, plus its own keys.
func buildSpec() api.ConfigSpec {
	s := changetable.CommonSpec("SQL Server", "1433", "User with SELECT on the captured tables and membership of the capture instances' gating roles.")
	s.Key(cdcconfig.DecimalHandlingMode).Doc = "How DECIMAL, NUMERIC, MONEY and SMALLMONEY values are written: 'precise' (Kafka Decimal, exact), 'double' (may lose precision), 'string'."
	s.Key(cdcconfig.BinaryHandlingMode).Doc = "How BINARY, VARBINARY and IMAGE values are written: 'bytes', 'base64', 'base64-url-safe' or 'hex'."
	return append(s, api.ConfigSpec{
		{Name: propDatabaseNames, Type: api.ConfigList, Required: true, Importance: api.High,
			Doc: "Databases to capture, comma-separated; with tasks.max > 1 they are spread over the tasks, one task per database at most.",
			Validate: func(v string) error {
				if len(filters.SplitList(v)) == 0 {
					return errors.New("is required: name the databases to capture, comma-separated")
				}
				return nil
			}},
		{Name: propInstance, Type: api.ConfigString, Importance: api.Low, Doc: "Named instance to connect to instead of database.port (found through the SQL Server Browser service)."},
		{Name: propEncrypt, Type: api.ConfigString, Importance: api.Medium, Allowed: []string{"", "true", "false", "strict", "disable"}, Doc: "TLS encryption of the connection, as the driver's encrypt setting; unset uses the driver's default."},
		{Name: propTrustServerCertificate, Type: api.ConfigBoolean, Default: "false", Importance: api.Low, Doc: "Accept the server's certificate without verifying it (test setups only)."},
		{Name: propIsolationMode, Type: api.ConfigString, Default: isoRepeatableRead, Importance: api.Medium,
			Allowed: []string{isoReadUncommitted, isoReadCommitted, isoRepeatableRead, isoSnapshot, isoExclusive},
			Doc:     "Transaction isolation of the snapshot: read_uncommitted and read_committed take no lasting locks (the snapshot may not be consistent), repeatable_read holds shared locks on the rows read, snapshot uses SQL Server's SNAPSHOT isolation (ALLOW_SNAPSHOT_ISOLATION must be on), exclusive locks the captured tables (TABLOCKX) for the snapshot's duration."},
		{Name: propStreamingFetchSize, Type: api.ConfigInt, Default: "0", Importance: api.Low, Doc: "Rows read from a change table per query while streaming; 0 reads each poll's rows in one query.",
			Validate: func(v string) error {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 0 {
					return errors.New("must be 0 or a positive number of rows")
				}
				return nil
			}},
		{Name: propDataQueryMode, Type: api.ConfigString, Default: "function", Importance: api.Low, Allowed: []string{"function", "direct"}, Doc: "How change rows are read: 'function' calls cdc.fn_cdc_get_all_changes_<capture_instance>; 'direct' (reading the change tables themselves) is not supported by connectd yet.",
			Validate: func(v string) error {
				if !strings.EqualFold(strings.TrimSpace(v), "function") {
					return errors.New("only 'function' is supported by connectd; set data.query.mode=function")
				}
				return nil
			}},
		{Name: propMaxTxPerIteration, Type: api.ConfigInt, Default: "0", Importance: api.Low, Doc: "Transactions read per poll; connectd reads every committed transaction (0) only.",
			Validate: func(v string) error {
				if strings.TrimSpace(v) != "0" {
					return errors.New("only 0 (no limit) is supported by connectd")
				}
				return nil
			}},
		{Name: "snapshot.select.statement.overrides", Type: api.ConfigString, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
		{Name: "incremental.snapshot.option.recompile", Type: api.ConfigBoolean, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
	}...)
}

// Spec returns the connector's configuration spec.
func Spec() api.ConfigSpec { return spec }

// filterID is the identifier SQL Server's filters match: schema.table (SqlServerConnectorConfig's
// tableIdMapper), so table.include.list=dbo.customers captures customers in every database.
func filterID(id relational.TableID) relational.TableID {
	return relational.TableID{Schema: id.Schema, Table: id.Table}
}

// systemTable is Debezium's SystemTablesPredicate: the cdc and sys schemas and systranschemas.
func systemTable(id relational.TableID) bool {
	s := strings.ToLower(id.Schema)
	return s == "cdc" || s == "sys" || strings.EqualFold(id.Table, "systranschemas")
}
