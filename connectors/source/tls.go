package source

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// TLSSettings names, for ExplainCertificate, the server and the settings behind a database TLS
// connection, as the connector's users know them.
type TLSSettings struct {
	// Server names the server ("database", "PostgreSQL"); Host is the name connected to.
	Server, Host string
	// Identity is the setting that checks the host name ("database.sslmode=verify-full") and
	// Weaker the mode that checks only the chain ("verify-ca").
	Identity, Weaker string
	// CA is the property holding the CA certificates; Mode the mode setting as configured
	// ("database.sslmode=verify-ca").
	CA, Mode string
}

// ExplainCertificate adds to a certificate failure which setting refused the server's
// certificate and what to check; other errors are returned as they are, with ok false.
func ExplainCertificate(err error, s TLSSettings) (_ error, ok bool) {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &hostErr):
		return fmt.Errorf("the %s server's certificate does not name %s (%s; connect with the name the certificate has, or use %s): %w", s.Server, s.Host, s.Identity, s.Weaker, err), true
	case errors.As(err, &unknownCA), errors.As(err, &certErr):
		return fmt.Errorf("the %s server's certificate is not signed by a CA in %s (%s); give the CA that signed it: %w", s.Server, s.CA, s.Mode, err), true
	}
	return err, false
}
