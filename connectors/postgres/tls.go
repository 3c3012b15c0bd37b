package postgres

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect/api"
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

// tlsKeys are the spec's TLS file keys.
func tlsKeys() api.ConfigSpec {
	return api.ConfigSpec{
		{Name: propSSLRootCert, Type: api.ConfigString, Importance: api.Low, Group: "CONNECTION_ADVANCED_SSL", DisplayName: "SSL root certificate",
			Doc: "PEM file of the CA certificates the server's certificate is checked against (sslmode verify-ca and verify-full)."},
		{Name: propSSLCert, Type: api.ConfigString, Importance: api.Low, Group: "CONNECTION_ADVANCED_SSL", DisplayName: "SSL client certificate",
			Doc: "PEM file of the client certificate presented to the server."},
		{Name: propSSLKey, Type: api.ConfigString, Importance: api.Low, Group: "CONNECTION_ADVANCED_SSL", DisplayName: "SSL client key",
			Doc: "PEM file of the client certificate's private key."},
		{Name: propSSLPassword, Type: api.ConfigPassword, Importance: api.Low, Group: "CONNECTION_ADVANCED_SSL", DisplayName: "SSL client key password",
			Doc: "Password of an encrypted database.sslkey."},
	}
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
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &hostErr):
		return fmt.Errorf("the PostgreSQL server's certificate does not name %s (database.sslmode=verify-full; connect with the name the certificate has, or use verify-ca): %w", c.Host, err)
	case errors.As(err, &unknownCA), errors.As(err, &certErr):
		return fmt.Errorf("the PostgreSQL server's certificate is not signed by a CA in %s (database.sslmode=%s); give the CA that signed it: %w", propSSLRootCert, c.SSLMode, err)
	}
	return err
}
