package rest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/workerconfig"
)

// testPKI writes a CA and a server certificate for 127.0.0.1 signed by it, as PEM files: the
// CA's certificate, and one key store file holding the server's chain and key.
func testPKI(t *testing.T, dir string) (caFile, keyStore string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	caFile, keyStore = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	ks := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})...)
	if err := os.WriteFile(keyStore, ks, 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, keyStore
}

func writeAuthFiles(t *testing.T, dir, credentials string) string {
	t.Helper()
	cred := filepath.Join(dir, "credentials.properties")
	if err := os.WriteFile(cred, []byte(credentials), 0o600); err != nil {
		t.Fatal(err)
	}
	jaas := filepath.Join(dir, "jaas.conf")
	body := "// Kafka Connect's basic authentication\nKafkaConnect {\n  " + PropertyFileLoginModule + " required\n  file=\"" + cred + "\";\n};\n"
	if err := os.WriteFile(jaas, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return jaas
}

// The credentials file is read as java.util.Properties reads it (workerconfig.ParseProperties).
func TestCredentialsFileFormat(t *testing.T) {
	in := "# comment\n! also\nadmin=admin-secret\nbob: p\\:w=d\n  carol   s3cret  \nlong=a\\\n    b\\u0041\n\n"
	got, err := workerconfig.ParseProperties(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"admin": "admin-secret", "bob": "p:w=d", "carol": "s3cret  ", "long": "abA"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// Basic authentication as BasicAuthSecurityRestExtension: no or wrong credentials get 401 with
// Kafka's text, the internal task-config request passes without, and preflight requests are
// answered by the CORS layer before authentication.
func TestBasicAuthAndCORS(t *testing.T) {
	dir := t.TempDir()
	jaas := writeAuthFiles(t, dir, "admin=admin-secret\nbob: bob-pw\n")
	sec, err := NewSecurity(map[string]string{"rest.extension.classes": BasicAuthExtension, JAASConfigKey: jaas,
		"access.control.allow.origin": "https://*.example.com", "access.control.allow.methods": "GET,PUT"}, false)
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	h := sec.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++; w.WriteHeader(200) }))
	req := func(method, path string, hdr ...string) (int, string, http.Header) {
		r, _ := http.NewRequest(method, path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		rec := newRecorder()
		h.ServeHTTP(rec, r)
		return rec.code, rec.body.String(), rec.header
	}
	if code, body, _ := req("GET", "/connectors"); code != 401 || body != "User cannot access the resource." {
		t.Errorf("no credentials: %d %q", code, body)
	}
	if code, _, _ := req("GET", "/connectors", "Authorization", BasicAuthHeader("admin", "wrong")); code != 401 {
		t.Errorf("wrong password: %d", code)
	}
	if code, _, _ := req("GET", "/connectors", "Authorization", BasicAuthHeader("nobody", "admin-secret")); code != 401 {
		t.Errorf("unknown user: %d", code)
	}
	if code, _, _ := req("GET", "/connectors", "Authorization", BasicAuthHeader("bob", "bob-pw")); code != 200 {
		t.Errorf("right password: %d", code)
	}
	if code, _, _ := req("POST", "/connectors/a/tasks"); code != 200 {
		t.Errorf("internal task configs: %d, want it let through as Kafka Connect does", code)
	}
	if code, _, _ := req("POST", "/connectors"); code != 401 {
		t.Errorf("POST /connectors without credentials: %d", code)
	}
	n := reached
	code, _, hd := req("OPTIONS", "/connectors", "Origin", "https://ui.example.com", "Access-Control-Request-Method", "PUT")
	if code != 200 || hd.Get("Access-Control-Allow-Origin") != "https://ui.example.com" || hd.Get("Access-Control-Allow-Methods") != "GET,PUT" || reached != n {
		t.Errorf("preflight: %d %v (handler reached %d times)", code, hd, reached-n)
	}
	if _, _, hd := req("GET", "/", "Origin", "https://evil.test", "Authorization", BasicAuthHeader("bob", "bob-pw")); hd.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an origin not allowed got %v", hd)
	}
	// An empty credentials file lets every request through, as PropertyFileLoginModule does.
	open, err := NewSecurity(map[string]string{"rest.extension.classes": BasicAuthExtension, JAASConfigKey: writeAuthFiles(t, t.TempDir(), "# nobody\n")}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !open.check("", "", false) {
		t.Errorf("an empty credentials file refused a request")
	}
}

func TestSecurityConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		props map[string]string
		https bool
		want  string
	}{
		{map[string]string{"rest.extension.classes": "com.example.Other"}, false, "not supported"},
		{map[string]string{"rest.extension.classes": BasicAuthExtension}, false, "needs a JAAS file"},
		{map[string]string{"rest.extension.classes": BasicAuthExtension, JAASConfigKey: filepath.Join(dir, "missing")}, false, "could not read the JAAS file"},
		{map[string]string{}, true, "needs a key store"},
		{map[string]string{"listeners.https.ssl.client.auth": "required", "listeners.https.ssl.keystore.location": "x"}, true, "could not read the key store"},
	} {
		_, err := NewSecurity(c.props, c.https)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.props, err, c.want)
		}
	}
	other := filepath.Join(dir, "other.conf")
	_ = os.WriteFile(other, []byte("KafkaServer { x.Y required; };"), 0o600)
	if _, err := NewSecurity(map[string]string{"rest.extension.classes": BasicAuthExtension, JAASConfigKey: other}, false); err == nil || !strings.Contains(err.Error(), "no KafkaConnect section") {
		t.Errorf("JAAS file without KafkaConnect: %v", err)
	}
}

// An https listener with listeners.https.ssl.* serves TLS; a client trusting the CA gets through,
// one that does not gets an unknown-authority error, and a plain HTTP client is refused. The
// unprefixed ssl.* settings are used when no listeners.https.* key is set.
func TestHTTPSListener(t *testing.T) {
	ca, ks := testPKI(t, t.TempDir())
	for _, props := range []map[string]string{
		{"listeners.https.ssl.keystore.type": "PEM", "listeners.https.ssl.keystore.location": ks, "listeners.https.ssl.truststore.location": ca,
			"ssl.keystore.location": "/nonexistent"},
		{"ssl.keystore.location": ks, "ssl.truststore.location": ca},
	} {
		sec, err := NewSecurity(props, true)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := sec.Listen("https", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: sec.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))}
		go func() { _ = srv.Serve(ln) }()
		url := "https://" + ln.Addr().String() + "/"
		resp, err := sec.Client(5 * time.Second).Get(url)
		if err != nil {
			t.Fatalf("client trusting the CA: %v", err)
		}
		resp.Body.Close()
		_, err = (&http.Client{Timeout: 5 * time.Second}).Get(url)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("client without the CA: %v, want an unknown authority error", err)
		}
		if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + ln.Addr().String() + "/"); err == nil {
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("plain HTTP to the https listener: %d", resp.StatusCode)
			}
			resp.Body.Close()
		}
		_ = srv.Close()
	}
}

type recorder struct {
	code   int
	header http.Header
	body   strings.Builder
}

func newRecorder() *recorder                    { return &recorder{header: http.Header{}, code: 200} }
func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }
