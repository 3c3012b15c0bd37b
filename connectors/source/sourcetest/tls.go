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
	"strings"
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

// TLSCase is one database TLS configuration a test connects with: the connector properties, and
// whether the session must use TLS or the error the connection must fail with.
type TLSCase struct {
	name    string
	props   map[string]string
	tls     bool
	wantErr string
}

// TLS returns a TLSCase: with props the session uses TLS (tls), or the connection fails with an
// error containing wantErr when it is not empty.
func TLS(name string, props map[string]string, tls bool, wantErr string) TLSCase {
	return TLSCase{name: name, props: props, tls: tls, wantErr: wantErr}
}

// RunTLSCases connects with each case's properties as subtests; connect says whether the session
// uses TLS (and may check more, such as the client certificate).
func RunTLSCases(t *testing.T, cases []TLSCase, connect func(t *testing.T, props map[string]string) (tls bool, err error)) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tls, err := connect(t, c.props)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want an error containing %q, got %v", c.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tls != c.tls {
				t.Fatalf("TLS %v, want %v", tls, c.tls)
			}
		})
	}
}
