package sourcetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// WrongCA returns the PEM of a CA that signed nothing the test bed has, for the tests showing a
// server certificate from another CA is refused.
func WrongCA(t testing.TB) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "not the test bed CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// WrongCAFile writes WrongCA into a file of the test's temporary directory and returns its path.
func WrongCAFile(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "wrong-ca.pem")
	if err := os.WriteFile(p, WrongCA(t), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
