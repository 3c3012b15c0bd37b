package db2

import (
	"errors"
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/changetable"
	"github.com/connectd/connectd/connectors/filters"
	"github.com/connectd/connectd/connectors/heartbeat"
)

// The connector's own property names, as Debezium's Db2ConnectorConfig.
const (
	propDBName             = "database.dbname"
	propControlSchema      = "cdc.control.schema"
	propChangeTablesSchema = "cdc.change.tables.schema"
	propIsolationMode      = "snapshot.isolation.mode"
	propPlatform           = "db2.platform"
)

// Snapshot isolation modes (snapshot.isolation.mode).
const (
	isoReadUncommitted = "read_uncommitted"
	isoReadCommitted   = "read_committed"
	isoRepeatableRead  = "repeatable_read"
	isoExclusive       = "exclusive"
)

// Config is a parsed connector configuration.
type Config struct {
	changetable.Config
	Host, User, Password string
	Port                 int
	Database             string
	ControlSchema        string
	ChangeTablesSchema   string
	Isolation            string
	Values               changetable.ValueModes
}

// ParseConfig reads and checks a configuration; every problem found is reported, joined.
func ParseConfig(raw map[string]string) (*Config, error) {
	common, err := cdcconfig.ParseWith(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("invalid Db2 connector configuration: %w", err)
	}
	get := func(k string) string { return strings.TrimSpace(cdcconfig.Value(spec, raw, k)) }
	c := &Config{
		Config: changetable.NewConfig(common, raw, []string{get(propDBName)}),
		Host:   common.Hostname, User: common.User, Password: common.Password, Port: common.Port,
		Database:           get(propDBName),
		ControlSchema:      get(propControlSchema),
		ChangeTablesSchema: get(propChangeTablesSchema),
		Isolation:          strings.ToLower(get(propIsolationMode)),
		Values:             changetable.ValueModesFrom(common),
	}
	c.SchemaOnlyIDs = true
	if c.Port == 0 {
		c.Port = 50000
	}
	var errs []error
	if c.Filters, err = filters.New(common.Filters); err != nil {
		errs = append(errs, err)
	}
	if c.Heartbeat, err = heartbeat.FromConfig(raw); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid Db2 connector configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// dsn is go_ibm_db's connection string.
func (c *Config) dsn() string {
	return fmt.Sprintf("HOSTNAME=%s;PORT=%d;DATABASE=%s;UID=%s;PWD=%s;PROTOCOL=TCPIP", c.Host, c.Port, c.Database, c.User, c.Password)
}

var spec = buildSpec()

func buildSpec() api.ConfigSpec {
	s := changetable.CommonSpec("Db2", "50000", "User with SELECT on the captured tables, the ASN control tables and the change-data tables.")
	return append(s, api.ConfigSpec{
		{Name: propDBName, Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Database to capture.",
			Validate: func(v string) error {
				if strings.TrimSpace(v) == "" {
					return errors.New("is required: name the Db2 database to capture")
				}
				return nil
			}},
		{Name: propControlSchema, Type: api.ConfigString, Default: "ASNCDC", Importance: api.Low, Doc: "Schema of the ASN capture's control tables (IBMSNAP_REGISTER, ...)."},
		{Name: propChangeTablesSchema, Type: api.ConfigString, Default: "ASNCDC", Importance: api.Low, Doc: "Schema of the change-data (CD) tables."},
		{Name: propIsolationMode, Type: api.ConfigString, Default: isoRepeatableRead, Importance: api.Medium,
			Allowed: []string{isoReadUncommitted, isoReadCommitted, isoRepeatableRead, isoExclusive},
			Doc:     "Isolation of the snapshot: read_uncommitted (UR), read_committed (CS), repeatable_read (RS), exclusive (RS with the captured tables locked in exclusive mode)."},
		{Name: propPlatform, Type: api.ConfigString, Default: "LUW", Importance: api.Low, Allowed: []string{"LUW", "Z"}, Doc: "Db2 platform; connectd supports Db2 for Linux, Unix and Windows (LUW) only.",
			Validate: func(v string) error {
				if !strings.EqualFold(strings.TrimSpace(v), "LUW") {
					return errors.New("only LUW is supported by connectd")
				}
				return nil
			}},
		{Name: "snapshot.select.statement.overrides", Type: api.ConfigString, Unsupported: true, Importance: api.Low, Doc: "Not supported yet."},
	}...)
}

// Spec returns the connector's configuration spec.
func Spec() api.ConfigSpec { return spec }
