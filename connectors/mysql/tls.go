package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/connectors/cdcconfig"
	"github.com/connectd/connectd/connectors/source"
)

// The TLS properties, as Debezium's MySQL and MariaDB connectors name them.
const (
	propSSLKeystore           = "database.ssl.keystore"
	propSSLKeystorePassword   = "database.ssl.keystore.password"
	propSSLTruststore         = "database.ssl.truststore"
	propSSLTruststorePassword = "database.ssl.truststore.password"
)

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
	return api.ConfigSpec{
		{Name: propSSLMode, Type: api.ConfigString, Default: "preferred", Importance: api.Medium, Group: "CONNECTION", DisplayName: "SSL mode", Allowed: sslModeNames(),
			Doc: "TLS to the database: 'disabled' (plaintext), 'preferred' (TLS when the server offers it, certificate not checked; plaintext otherwise), " +
				"'required' (TLS, certificate not checked), 'verify_ca' (TLS, certificate chain checked against database.ssl.truststore, or the system's CAs), " +
				"'verify_identity' (verify_ca and the certificate must name database.hostname). MariaDB's names disable, trust, verify-ca and verify-full mean " +
				"disabled, required, verify_ca and verify_identity. Unset: preferred for MySqlConnector, disabled for MariaDbConnector, as Debezium."},
		{Name: propSSLKeystore, Type: api.ConfigString, Importance: api.Low, Group: "CONNECTION", DisplayName: "SSL keystore",
			Doc: "Client certificate and key for TLS: a PKCS12 or JKS key store, or a PEM file holding the key and the certificate chain."},
		{Name: propSSLKeystorePassword, Type: api.ConfigPassword, Importance: api.Low, Group: "CONNECTION", DisplayName: "SSL keystore password",
			Doc: "Password of database.ssl.keystore (and of its key)."},
		{Name: propSSLTruststore, Type: api.ConfigString, Importance: api.Low, Group: "CONNECTION", DisplayName: "SSL truststore",
			Doc: "CA certificates the server's certificate is checked against with verify_ca and verify_identity: a PKCS12 or JKS trust store, or a PEM file."},
		{Name: propSSLTruststorePassword, Type: api.ConfigPassword, Importance: api.Low, Group: "CONNECTION", DisplayName: "SSL truststore password",
			Doc: "Password of database.ssl.truststore (JKS stores need one)."},
	}
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
	lookup := func(kafkaKey string) (string, string, bool) {
		var k string
		switch kafkaKey {
		case "ssl.truststore.location":
			k = propSSLTruststore
		case "ssl.truststore.password":
			k = propSSLTruststorePassword
		case "ssl.keystore.location":
			k = propSSLKeystore
		case "ssl.keystore.password", "ssl.key.password":
			k = propSSLKeystorePassword
		default:
			return "", kafkaKey, false
		}
		v, ok := props[k]
		return strings.TrimSpace(v), k, ok
	}
	roots, cert, err := kafkasec.Stores(lookup)
	if err != nil {
		return nil, fmt.Errorf("database TLS (%s=%s): %w", propSSLMode, mode, err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	switch t.mode {
	case "preferred", "required":
		// As MySQL's clients: encrypted, but the certificate is not checked.
		cfg.InsecureSkipVerify = true
	case "verify_ca":
		// The chain is checked, the host name is not; Go can only skip both, so the chain is
		// verified here.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	case "verify_identity":
		cfg.ServerName = host
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

// splitStatements splits database.initial.statements as Debezium does: at ';', where ';;'
// stands for a semicolon inside a statement; blank statements are dropped.
func splitStatements(v string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ';' {
			if i+1 < len(v) && v[i+1] == ';' {
				cur.WriteByte(';')
				i++
				continue
			}
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(v[i])
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
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
		Identity: propSSLMode + "=verify_identity", Weaker: "verify_ca", CA: propSSLTruststore, Mode: propSSLMode + "=" + cfg.TLS.mode}); ok {
		return err
	}
	if noServerTLS(err) {
		return fmt.Errorf("the database server does not offer TLS, which %s=%s requires; enable TLS on the server (ssl_cert, ssl_key) or set %s=preferred: %w", propSSLMode, cfg.TLS.mode, propSSLMode, err)
	}
	return err
}
