package mysql

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/source"
)

// storeKeys are the TLS store properties, as Debezium's MySQL and MariaDB connectors name them.
var storeKeys = source.StoreKeys{Keystore: "database.ssl.keystore", KeystorePassword: "database.ssl.keystore.password",
	Truststore: "database.ssl.truststore", TruststorePassword: "database.ssl.truststore.password"}

// sslModes maps every database.ssl.mode value Debezium's MySQL connector (disabled, preferred,
// required, verify_ca, verify_identity) or MariaDB connector (disable, trust, verify-ca,
// verify-full) accepts to the MySQL name of its behaviour.
var sslModes = map[string]string{
	"disabled": "disabled", "disable": "disabled",
	"preferred": "preferred",
	"required":  "required", "trust": "required",
	"verify_ca": "verify_ca", "verify-ca": "verify_ca",
	"verify_identity": "verify_identity", "verify-full": "verify_identity",
}

func sslModeNames() []string {
	return []string{"disabled", "preferred", "required", "verify_ca", "verify_identity", "disable", "trust", "verify-ca", "verify-full"}
}

// tlsKeys are the spec's TLS keys.
func tlsKeys() api.ConfigSpec {
	return append(api.ConfigSpec{
		{Name: propSSLMode, Type: api.ConfigString, Default: "preferred", Importance: api.Medium, Group: "CONNECTION", DisplayName: "SSL mode", Allowed: sslModeNames(),
			Doc: "TLS to the database: 'disabled' (plaintext), 'preferred' (TLS when the server offers it, certificate not checked; plaintext otherwise), " +
				"'required' (TLS, certificate not checked), 'verify_ca' (TLS, certificate chain checked against database.ssl.truststore, or the system's CAs), " +
				"'verify_identity' (verify_ca and the certificate must name database.hostname). MariaDB's names disable, trust, verify-ca and verify-full mean " +
				"disabled, required, verify_ca and verify_identity. Unset: preferred for MySqlConnector, disabled for MariaDbConnector, as Debezium."},
	}, storeKeys.Spec("CONNECTION")...)
}

// dbTLS is the TLS a connection to the database uses.
type dbTLS struct {
	mode string // a value of sslModes
	cfg  *tls.Config
	// plain is set once a 'preferred' connection found the server without TLS: later
	// connections (the binlog's too) do not try again.
	plain atomic.Bool
}

// parseTLS reads the TLS properties; the stores are read now, so a wrong path or password is a
// configuration error.
func parseTLS(spec api.ConfigSpec, props map[string]string, flavor Flavor, host string) (*dbTLS, error) {
	mode := strings.ToLower(cdcconfig.Value(spec, props, propSSLMode))
	if _, set := props[propSSLMode]; !set && flavor == FlavorMariaDB {
		mode = "disabled" // Debezium's MariaDB connector default
	}
	t := &dbTLS{mode: sslModes[mode]}
	if t.mode == "" || t.mode == "disabled" {
		t.mode = "disabled"
		return t, nil
	}
	check := source.TLSEncrypt // preferred and required: encrypted, the certificate not checked, as MySQL's clients
	switch t.mode {
	case "verify_ca":
		check = source.TLSVerifyCA
	case "verify_identity":
		check = source.TLSVerifyIdentity
	}
	cfg, err := source.StoreTLS(props, storeKeys, check, host)
	if err != nil {
		return nil, fmt.Errorf("database TLS (%s=%s): %w", propSSLMode, mode, err)
	}
	t.cfg = cfg
	return t, nil
}

// config is the tls.Config of the next connection; nil for plaintext.
func (t *dbTLS) config() *tls.Config {
	if t == nil || t.cfg == nil || t.plain.Load() {
		return nil
	}
	return t.cfg
}

// dialQuery opens a query connection with the TLS the mode asks for ('preferred' falls back to
// plaintext when the server offers no TLS; a certificate the mode refuses is reported with the
// properties to check) and runs database.initial.statements on it.
func dialQuery(ctx context.Context, cfg *Config, addr string, timeout time.Duration, setup func(*client.Conn) error) (*client.Conn, error) {
	dial := func() (*client.Conn, error) {
		return client.ConnectWithContext(ctx, addr, cfg.User, cfg.Password, "", timeout, func(c *client.Conn) error {
			if tc := cfg.TLS.config(); tc != nil {
				c.SetTLSConfig(tc)
			}
			return setup(c)
		})
	}
	conn, err := dial()
	if err != nil && cfg.TLS != nil && cfg.TLS.mode == "preferred" && cfg.TLS.config() != nil && noServerTLS(err) {
		cfg.TLS.plain.Store(true)
		conn, err = dial()
	}
	if err != nil {
		return nil, explainTLS(cfg, err)
	}
	for _, st := range cfg.InitialStatements {
		if _, err := conn.Execute(st); err != nil {
			conn.Close()
			return nil, fmt.Errorf("database.initial.statements: %q failed: %w", st, err)
		}
	}
	return conn, nil
}

// noServerTLS reports whether err is go-mysql's refusal of a server without TLS.
func noServerTLS(err error) bool {
	return err != nil && strings.Contains(err.Error(), "does not support TLS")
}

// explainTLS adds to a TLS failure which setting refused the server and what to check.
func explainTLS(cfg *Config, err error) error {
	if cfg.TLS == nil || cfg.TLS.mode == "disabled" {
		return err
	}
	if err, ok := source.ExplainCertificate(err, source.TLSSettings{Server: "database", Host: cfg.Hostname,
		Identity: propSSLMode + "=verify_identity", Weaker: "verify_ca", CA: storeKeys.Truststore, Mode: propSSLMode + "=" + cfg.TLS.mode}); ok {
		return err
	}
	if noServerTLS(err) {
		return fmt.Errorf("the database server does not offer TLS, which %s=%s requires; enable TLS on the server (ssl_cert, ssl_key) or set %s=preferred: %w", propSSLMode, cfg.TLS.mode, propSSLMode, err)
	}
	return err
}
