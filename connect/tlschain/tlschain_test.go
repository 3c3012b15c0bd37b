package tlschain

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

func cert(t *testing.T, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: parent == nil,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

// The chain is checked against the roots whatever the host name is; another CA's certificate and
// no certificate are refused.
func TestConfigChecksTheChainNotTheName(t *testing.T) {
	ca, caKey := cert(t, "ca", nil, nil)
	leaf, _ := cert(t, "some-other-host", ca, caKey)
	other, otherKey := cert(t, "other-ca", nil, nil)
	stranger, _ := cert(t, "some-other-host", other, otherKey)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	var cfg tls.Config
	Config(&cfg, roots, "the broker")
	if !cfg.InsecureSkipVerify || cfg.VerifyConnection == nil {
		t.Fatal("Config must replace Go's checks with its own")
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{ServerName: "localhost", PeerCertificates: []*x509.Certificate{leaf}}); err != nil {
		t.Fatalf("a chain to the root was refused: %v", err)
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{stranger}}); err == nil {
		t.Fatal("a certificate of another CA was accepted")
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{}); err == nil || !strings.Contains(err.Error(), "the broker sent no certificate") {
		t.Fatalf("no certificate: %v", err)
	}
}
