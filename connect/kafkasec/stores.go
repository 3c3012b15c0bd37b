package kafkasec

import (
	"crypto/tls"
	"crypto/x509"
)

// Stores reads the trust store and the key store that Kafka's ssl.truststore.* and
// ssl.keystore.* properties (and ssl.key.password) describe, for a client other than Kafka's: a
// database connection takes the same PEM, PKCS12 or JKS files. lookup maps each Kafka property
// name to its value, the name to show in errors (the caller's own property) and whether it is
// set. Either result is nil when its store is not configured.
func Stores(lookup func(kafkaKey string) (value, name string, ok bool)) (*x509.CertPool, *tls.Certificate, error) {
	roots, err := trustStore(lookup)
	if err != nil {
		return nil, nil, err
	}
	cert, err := keyStore(lookup)
	if err != nil {
		return nil, nil, err
	}
	return roots, cert, nil
}
