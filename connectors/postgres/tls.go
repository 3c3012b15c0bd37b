package postgres

import (
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/source"
)

// The TLS properties besides database.sslmode, as Debezium's PostgreSQL connector names them;
// each is passed to the connection as libpq's parameter of the same name.
const (
	propSSLRootCert = "database.sslrootcert"
	propSSLCert     = "database.sslcert"
	propSSLKey      = "database.sslkey"
	propSSLPassword = "database.sslpassword"
)

var sslParams = []struct{ prop, param string }{
	{propSSLRootCert, "sslrootcert"}, {propSSLCert, "sslcert"}, {propSSLKey, "sslkey"}, {propSSLPassword, "sslpassword"},
}

// tlsKeys are the spec's TLS file keys: libpq's file settings, all alike but for their name
// and what they hold.
func tlsKeys() api.ConfigSpec {
	var s api.ConfigSpec
	for _, k := range [][3]string{
		{propSSLRootCert, "SSL root certificate", "PEM file of the CA certificates the server's certificate is checked against (sslmode verify-ca and verify-full)."},
		{propSSLCert, "SSL client certificate", "PEM file of the client certificate presented to the server."},
		{propSSLKey, "SSL client key", "PEM file of the client certificate's private key."},
		{propSSLPassword, "SSL client key password", "Password of an encrypted database.sslkey."},
	} {
		typ := api.ConfigString
		if k[0] == propSSLPassword {
			typ = api.ConfigPassword
		}
		s = append(s, api.ConfigKey{Name: k[0], Type: typ, Importance: api.Low, Group: "CONNECTION_ADVANCED_SSL", DisplayName: k[1], Doc: k[2]})
	}
	return s
}

// sslConnParams returns the TLS file settings as libpq keyword/value pairs, each preceded by a
// space.
func (c *Config) sslConnParams() string {
	var b strings.Builder
	for _, p := range sslParams {
		if v := strings.TrimSpace(c.Raw[p.prop]); v != "" {
			b.WriteString(" " + p.param + "=" + quoteConnValue(v))
		}
	}
	return b.String()
}

// explainTLS adds to a TLS failure which setting refused the server and what to check.
func (c *Config) explainTLS(err error) error {
	err, _ = source.ExplainCertificate(err, source.TLSSettings{Server: "PostgreSQL", Host: c.Hostname,
		Identity: "database.sslmode=verify-full", Weaker: "verify-ca", CA: propSSLRootCert, Mode: "database.sslmode=" + c.SSLMode})
	return err
}
