package source

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/connect/tlschain"
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

// TLSCheck is how much of the server's certificate a database TLS connection checks.
type TLSCheck uint8

const (
	// TLSEncrypt encrypts without checking the certificate, as MySQL's 'required' and
	// 'preferred' and libpq's 'require'.
	TLSEncrypt TLSCheck = iota
	// TLSVerifyCA checks the certificate chain against the trust store, not the host name.
	TLSVerifyCA
	// TLSVerifyIdentity checks the chain and that the certificate names the host.
	TLSVerifyIdentity
)

// StoreKeys names the properties of a connector's client key store and trust store, each a
// PKCS12 or JKS store or a PEM file, as Debezium's JDBC connectors take them.
type StoreKeys struct {
	Keystore, KeystorePassword, Truststore, TruststorePassword string
}

// Spec returns the spec entries of the four store properties, in group.
func (k StoreKeys) Spec(group string) api.ConfigSpec {
	return api.ConfigSpec{
		{Name: k.Keystore, Type: api.ConfigString, Importance: api.Low, Group: group, DisplayName: "SSL keystore",
			Doc: "Client certificate and key for TLS: a PKCS12 or JKS key store, or a PEM file holding the key and the certificate chain."},
		{Name: k.KeystorePassword, Type: api.ConfigPassword, Importance: api.Low, Group: group, DisplayName: "SSL keystore password",
			Doc: "Password of " + k.Keystore + " (and of its key)."},
		{Name: k.Truststore, Type: api.ConfigString, Importance: api.Low, Group: group, DisplayName: "SSL truststore",
			Doc: "CA certificates the server's certificate is checked against with verify_ca and verify_identity: a PKCS12 or JKS trust store, or a PEM file."},
		{Name: k.TruststorePassword, Type: api.ConfigPassword, Importance: api.Low, Group: group, DisplayName: "SSL truststore password",
			Doc: "Password of " + k.Truststore + " (JKS stores need one)."},
	}
}

// StoreTLS returns the TLS configuration of a database connection that checks check of the
// server's certificate (host is the name it must carry for TLSVerifyIdentity), with the stores
// props names by keys read now, so a wrong path or password is a configuration error.
func StoreTLS(props map[string]string, keys StoreKeys, check TLSCheck, host string) (*tls.Config, error) {
	lookup := func(kafkaKey string) (string, string, bool) {
		var k string
		switch kafkaKey {
		case "ssl.truststore.location":
			k = keys.Truststore
		case "ssl.truststore.password":
			k = keys.TruststorePassword
		case "ssl.keystore.location":
			k = keys.Keystore
		case "ssl.keystore.password", "ssl.key.password":
			k = keys.KeystorePassword
		default:
			return "", kafkaKey, false
		}
		v, ok := props[k]
		return strings.TrimSpace(v), k, ok
	}
	roots, cert, err := kafkasec.Stores(lookup)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	switch check {
	case TLSEncrypt:
		cfg.InsecureSkipVerify = true
	case TLSVerifyCA:
		// The chain is checked, the host name is not.
		tlschain.Config(cfg, roots, "the server")
	case TLSVerifyIdentity:
		cfg.ServerName = host
	}
	return cfg, nil
}
