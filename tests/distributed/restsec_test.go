package distributed_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
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

	"github.com/connectd/connectd/cmd/connectd/ctl"
	"github.com/connectd/connectd/connect/rest"
	"github.com/connectd/connectd/tests/testbed"
)

// restPKI writes a CA and, signed by it, a certificate for 127.0.0.1: the CA as a PEM file and
// the server's chain and key in one PEM key store file.
func restPKI(t *testing.T, dir string) (caFile, keyStore string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "connectd test REST CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	caFile, keyStore = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "rest.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	ks := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})...)
	if err := os.WriteFile(keyStore, ks, 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, keyStore
}

// basicAuth adds credentials to every request, as a user's client does.
type basicAuth struct {
	user, pass string
	next       http.RoundTripper
}

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.SetBasicAuth(b.user, b.pass)
	return b.next.RoundTrip(r)
}

func httpsClient(t *testing.T, caFile, user, pass string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	b, err := os.ReadFile(caFile)
	if err != nil || !pool.AppendCertsFromPEM(b) {
		t.Fatalf("CA %s: %v", caFile, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	var rt http.RoundTripper = tr
	if user != "" {
		rt = basicAuth{user: user, pass: pass, next: tr}
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: rt}
}

// TestRESTOverHTTPSWithBasicAuth runs two workers whose REST API is https only, with Kafka
// Connect's BasicAuthSecurityRestExtension settings (a JAAS KafkaConnect section with
// PropertyFileLoginModule). Requests without or with wrong credentials get 401; writes sent to
// the follower are forwarded to the leader with the user's credentials and succeed; the worker
// running the connector hands the leader its task configurations (the internal request);
// clients that do not trust the CA fail with a certificate error, and connectd ctl says what to
// do about it.
func TestRESTOverHTTPSWithBasicAuth(t *testing.T) {
	dir := t.TempDir()
	ca, ks := restPKI(t, dir)
	cred := filepath.Join(dir, "credentials.properties")
	jaas := filepath.Join(dir, "jaas.conf")
	if err := os.WriteFile(cred, []byte("# user=password\nadmin=admin-secret\nops: ops-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jaas, []byte("KafkaConnect {\n  "+rest.PropertyFileLoginModule+" required\n  file=\""+cred+"\";\n};\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCluster(t)
	sec := map[string]string{"listeners": "https://127.0.0.1:0", "rest.advertised.host.name": "127.0.0.1",
		"listeners.https.ssl.keystore.type": "PEM", "listeners.https.ssl.keystore.location": ks,
		"listeners.https.ssl.truststore.type": "PEM", "listeners.https.ssl.truststore.location": ca,
		"rest.extension.classes": rest.BasicAuthExtension, rest.JAASConfigKey: jaas}
	w1 := c.startInProcess(sec)
	w2 := c.startInProcess(sec)
	for _, w := range []*worker{w1, w2} {
		w.HTTP = httpsClient(t, ca, "admin", "admin-secret")
	}
	leader, followers := settled(t, w1, w2)
	follower := followers[0]

	anon := *follower.Client
	anon.HTTP = httpsClient(t, ca, "", "")
	if r := anon.Do("GET", "/connectors", ""); r.Code != 401 || string(r.Body) != "User cannot access the resource." {
		t.Errorf("no credentials: %d %s", r.Code, r.Body)
	}
	wrong := *follower.Client
	wrong.HTTP = httpsClient(t, ca, "admin", "not-the-password")
	if r := wrong.Do("POST", "/connectors", generatorConfig("nope", "nope", nil)); r.Code != 401 {
		t.Errorf("wrong password: %d %s", r.Code, r.Body)
	}

	topic := testbed.Topic(t, "gen")
	follower.expect(201, "POST", "/connectors", generatorConfig("gen", topic, map[string]string{"tasks.max": "2"}))
	leader.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")
	follower.expect(202, "PUT", "/connectors/gen/pause", "")
	leader.WaitStatus("gen", "PAUSED", "PAUSED", "PAUSED")
	follower.expect(202, "PUT", "/connectors/gen/resume", "")
	follower.WaitStatus("gen", "RUNNING", "RUNNING", "RUNNING")
	// With two connectors each worker runs one: the follower's reaches RUNNING tasks only if its
	// task configurations got through to the leader over https.
	follower.expect(201, "POST", "/connectors", generatorConfig("gen2", topic, map[string]string{"tasks.max": "2"}))
	leader.WaitStatus("gen2", "RUNNING", "RUNNING", "RUNNING")
	if !strings.Contains(follower.log.String(), `msg="starting connector"`) {
		t.Errorf("the follower ran no connector, so the internal task configuration request was not tested")
	}
	if strings.Contains(follower.log.String(), "could not send task configurations") {
		t.Errorf("the follower could not send task configurations to the leader")
	}

	// The internal task-configuration endpoint needs no user credentials but, under the default
	// connect.protocol=sessioned, a signature with the session key: without one, or with a
	// wrong one, the leader refuses as Kafka Connect does.
	if r := anon.Do("POST", "/connectors/gen/tasks", `[{"task.class":"x"}]`); r.Code != 400 || !strings.Contains(string(r.Body), "missing required signature") {
		t.Errorf("unsigned internal request: %d %s", r.Code, r.Body)
	}
	req, _ := http.NewRequest("POST", leader.URL+"/connectors/gen/tasks", strings.NewReader(`[{"task.class":"x"}]`))
	req.Header.Set("X-Connect-Authorization", "AAAA")
	req.Header.Set("X-Connect-Request-Signature-Algorithm", "HmacSHA256")
	if resp, err := anon.HTTP.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("badly signed internal request: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	untrusted := (&http.Client{Timeout: 10 * time.Second})
	_, err := untrusted.Get(follower.URL + "/")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("a client that does not trust the CA: %v, want an unknown-authority error", err)
	}

	var out bytes.Buffer
	if code := ctl.Run([]string{"--url", follower.URL, "list"}, &out, &out); code != ctl.ExitFailed || !strings.Contains(out.String(), "not signed by a trusted CA: pass the CA's PEM file with --cacert") {
		t.Errorf("ctl without the CA: exit %d: %s", code, out.String())
	}
	out.Reset()
	if code := ctl.Run([]string{"--url", follower.URL, "--cacert", ca, "list"}, &out, &out); code != ctl.ExitFailed || !strings.Contains(out.String(), "HTTP 401") || !strings.Contains(out.String(), "--user") {
		t.Errorf("ctl without credentials: exit %d: %s", code, out.String())
	}
	out.Reset()
	if code := ctl.Run([]string{"--url", follower.URL, "--cacert", ca, "--user", "ops:wrong", "list"}, &out, &out); code != ctl.ExitFailed || !strings.Contains(out.String(), "refused user ops") {
		t.Errorf("ctl with a wrong password: exit %d: %s", code, out.String())
	}
	out.Reset()
	t.Setenv("CONNECTD_PASSWORD", "ops-pw")
	if code := ctl.Run([]string{"--url", follower.URL, "--cacert", ca, "--user", "ops", "pause", "gen"}, &out, &out); code != ctl.ExitOK {
		t.Errorf("ctl pause with credentials: exit %d: %s", code, out.String())
	}
	leader.WaitStatus("gen", "PAUSED", "PAUSED", "PAUSED")
}
