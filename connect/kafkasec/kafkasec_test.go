package kafkasec

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

func TestParseJAAS(t *testing.T) {
	mods, err := parseJAAS(`org.apache.kafka.common.security.scram.ScramLoginModule required
		username="alice" /* comment */ password="p\"a;ss=word" tokenauth=true; // trailing`)
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) != 1 || mods[0].flag != "required" || mods[0].options["username"] != "alice" ||
		mods[0].options["password"] != `p"a;ss=word` || mods[0].options["tokenauth"] != "true" {
		t.Fatalf("parsed %+v", mods)
	}
	for _, bad := range []string{
		`org.Foo required username="a" password="secretvalue"`,
		`org.Foo mandatory username="a";`,
		`org.Foo required username "a";`,
		`org.Foo required password="secretvalue;`,
		``,
	} {
		_, err := parseJAAS(bad)
		if err == nil {
			t.Errorf("%q: parsed", bad)
		} else if strings.Contains(err.Error(), "secretvalue") {
			t.Errorf("%q: error shows the password: %v", bad, err)
		}
	}
}

func TestOptionsRefusals(t *testing.T) {
	jaas := `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2secret";`
	for name, tc := range map[string]struct {
		props map[string]string
		want  string
	}{
		"gssapi default": {map[string]string{"security.protocol": "SASL_SSL", "sasl.jaas.config": jaas}, "GSSAPI"},
		"gssapi":         {map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "GSSAPI"}, "Kerberos"},
		"oauthbearer":    {map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER"}, "sasl.mechanism=OAUTHBEARER needs sasl.jaas.config"},
		"protocol":       {map[string]string{"security.protocol": "TLS"}, "use PLAINTEXT, SSL"},
		"no jaas":        {map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"}, "needs sasl.jaas.config"},
		"module":         {map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": jaas}, "does not go with"},
		"jks password":   {map[string]string{"security.protocol": "SSL", "ssl.truststore.location": writeFile(t, "ts.jks", []byte{0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2})}, "needs its password in ssl.truststore.password"},
		"jceks":          {map[string]string{"security.protocol": "SSL", "ssl.truststore.location": writeFile(t, "ts.jceks", []byte{0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2})}, "JCEKS key stores are not supported"},
		"prefixed":       {map[string]string{"security.protocol": "SSL", "producer.security.protocol": "SASL_SSL", "producer.sasl.mechanism": "GSSAPI"}, "producer.sasl.mechanism=GSSAPI"},
	} {
		_, err := Options(tc.props, "producer.")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("%s: error shows the password: %v", name, err)
		}
	}
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testCA is a CA and a server certificate for 127.0.0.1 and localhost.
type testCA struct {
	caPEM   []byte
	ca      *x509.Certificate
	caKey   *ecdsa.PrivateKey
	server  tls.Certificate
	dnsOnly tls.Certificate
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "connectd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	c := &testCA{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca: ca, caKey: key}
	c.server = c.leaf(t, []net.IP{net.ParseIP("127.0.0.1")}, []string{"localhost"})
	c.dnsOnly = c.leaf(t, nil, []string{"kafka.example"})
	return c
}

func (c *testCA) leaf(t *testing.T, ips []net.IP, dns []string) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: ips, DNSNames: dns,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca, &key.PublicKey, c.caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// cluster starts an in-process fake broker with TLS and SCRAM, for the option plumbing; the
// end-to-end tests against the real broker's SASL_SSL listener live in tests/.
func cluster(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", "alice", "s3cr3t-pass"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

func connect(t *testing.T, addr string, props map[string]string) error {
	t.Helper()
	opts, err := Options(props)
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(addr))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	start := time.Now()
	err = Check(context.Background(), cl, "test client", 10*time.Second)
	if time.Since(start) > 9*time.Second {
		t.Errorf("Check took %v: a hang, not a clear error", time.Since(start))
	}
	return err
}

func TestSCRAMOverTLS(t *testing.T) {
	ca := newCA(t)
	addr := cluster(t, ca.server)
	jaas := func(pass string) string {
		return `org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="` + pass + `";`
	}
	base := map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config": jaas("s3cr3t-pass"), "ssl.truststore.type": "PEM",
		"ssl.truststore.location": writeFile(t, "ca.pem", ca.caPEM)}
	if err := connect(t, addr, base); err != nil {
		t.Fatalf("PEM trust store: %v", err)
	}

	p12, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{ca.ca}, "storepass")
	if err != nil {
		t.Fatal(err)
	}
	withP12 := clone(base)
	delete(withP12, "ssl.truststore.type")
	withP12["ssl.truststore.location"] = writeFile(t, "ca.p12", p12)
	withP12["ssl.truststore.password"] = "storepass"
	if err := connect(t, addr, withP12); err != nil {
		t.Fatalf("PKCS12 trust store: %v", err)
	}
	withP12["ssl.truststore.password"] = "wrong"
	if _, err := Options(withP12); err == nil || !strings.Contains(err.Error(), "ssl.truststore.password") {
		t.Errorf("wrong trust store password: %v", err)
	}

	wrong := clone(base)
	wrong["sasl.jaas.config"] = jaas("not-the-password")
	err = connect(t, addr, wrong)
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") {
		t.Errorf("wrong password: got %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("error shows the password: %v", err)
	}

	untrusted := clone(base)
	untrusted["ssl.truststore.location"] = writeFile(t, "other.pem", newCA(t).caPEM)
	err = connect(t, addr, untrusted)
	if err == nil || !strings.Contains(err.Error(), "not signed by a trusted CA") {
		t.Errorf("untrusted CA: got %v", err)
	}
}

func TestEndpointIdentification(t *testing.T) {
	ca := newCA(t)
	addr := cluster(t, ca.dnsOnly)
	props := map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config":        `org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="s3cr3t-pass";`,
		"ssl.truststore.location": writeFile(t, "ca.pem", ca.caPEM)}
	err := connect(t, addr, props)
	if err == nil || !strings.Contains(err.Error(), "does not name the host") {
		t.Errorf("host name mismatch: got %v", err)
	}
	props["ssl.endpoint.identification.algorithm"] = ""
	if err := connect(t, addr, props); err != nil {
		t.Errorf("without host name check: %v", err)
	}
	props["ssl.truststore.location"] = writeFile(t, "other.pem", newCA(t).caPEM)
	if err := connect(t, addr, props); err == nil {
		t.Errorf("without host name check, an untrusted chain was accepted")
	}
}

func clone(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestClientCertificates: a broker that requires client certificates accepts the key store as a
// PKCS12 file and as inline PEM, and refuses a client without one.
func TestClientCertificates(t *testing.T) {
	ca := newCA(t)
	pool := x509.NewCertPool()
	pool.AddCert(ca.ca)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{ca.server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	client := ca.leaf(t, nil, []string{"client"})
	base := map[string]string{"security.protocol": "SSL", "ssl.truststore.location": writeFile(t, "ca.pem", ca.caPEM)}

	p12, err := pkcs12.Modern.Encode(client.PrivateKey, client.Leaf, nil, "keypass")
	if err != nil {
		t.Fatal(err)
	}
	withP12 := clone(base)
	withP12["ssl.keystore.type"] = "PKCS12"
	withP12["ssl.keystore.location"] = writeFile(t, "client.p12", p12)
	withP12["ssl.keystore.password"] = "keypass"
	if err := connect(t, addr, withP12); err != nil {
		t.Errorf("PKCS12 key store: %v", err)
	}

	der, err := x509.MarshalPKCS8PrivateKey(client.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	withPEM := clone(base)
	withPEM["ssl.keystore.type"] = "PEM"
	withPEM["ssl.keystore.certificate.chain"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: client.Leaf.Raw}))
	withPEM["ssl.keystore.key"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err := connect(t, addr, withPEM); err != nil {
		t.Errorf("inline PEM key store: %v", err)
	}
	file := clone(base)
	file["ssl.keystore.location"] = writeFile(t, "client.pem", []byte(withPEM["ssl.keystore.key"]+withPEM["ssl.keystore.certificate.chain"]))
	if err := connect(t, addr, file); err != nil {
		t.Errorf("PEM key store file: %v", err)
	}

	if err := connect(t, addr, base); err == nil {
		t.Errorf("a client without a certificate connected")
	}

	// JKS, as keytool makes them: the key store converted from the PKCS12 one, the trust store
	// from the CA's PEM file.
	dir := t.TempDir()
	keytool(t, "-importkeystore", "-noprompt", "-srckeystore", withP12["ssl.keystore.location"], "-srcstoretype", "PKCS12",
		"-srcstorepass", "keypass", "-destkeystore", dir+"/client.jks", "-deststoretype", "JKS", "-deststorepass", "keypass")
	keytool(t, "-importcert", "-noprompt", "-alias", "ca", "-file", base["ssl.truststore.location"],
		"-keystore", dir+"/trust.jks", "-storetype", "JKS", "-storepass", "trustpass")
	withJKS := map[string]string{"security.protocol": "SSL",
		"ssl.truststore.type": "JKS", "ssl.truststore.location": dir + "/trust.jks", "ssl.truststore.password": "trustpass",
		"ssl.keystore.type": "JKS", "ssl.keystore.location": dir + "/client.jks", "ssl.keystore.password": "keypass"}
	if err := connect(t, addr, withJKS); err != nil {
		t.Errorf("JKS stores: %v", err)
	}
	withJKS["ssl.keystore.password"] = "wrongpass"
	if _, err := Options(withJKS); err == nil || !strings.Contains(err.Error(), "ssl.keystore.password") || strings.Contains(err.Error(), "wrongpass") {
		t.Errorf("JKS key store with a wrong password: %v", err)
	}
}

// keytool runs the JDK's keytool, which the test bed has with its Java.
func keytool(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("keytool", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("keytool %s: %v\n%s", args[0], err, out)
	}
}

func TestParseJAASFile(t *testing.T) {
	in := `/* Kafka Connect */
KafkaConnect {
  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
  file="/etc/connect/creds.properties";
};
KafkaClient{ org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p;}"; };
`
	got, err := ParseJAASFile(in)
	if err != nil {
		t.Fatal(err)
	}
	kc := got["KafkaConnect"]
	if len(kc) != 1 || kc[0].Flag != "required" || kc[0].Options["file"] != "/etc/connect/creds.properties" {
		t.Errorf("KafkaConnect: %+v", kc)
	}
	if c := got["KafkaClient"]; len(c) != 1 || c[0].Options["password"] != "p;}" {
		t.Errorf("KafkaClient: %+v", c)
	}
	for _, bad := range []string{"KafkaConnect { x.Y required; ", "KafkaConnect x.Y required; };", "KafkaConnect { x.Y required; }"} {
		if _, err := ParseJAASFile(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
