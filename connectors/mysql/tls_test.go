package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/connectd/connectd/connectors/source/sourcetest"
	"github.com/connectd/connectd/tests/testbed"
)

// tlsFixture holds the test bed's database CA and client certificate, and stores made from them.
type tlsFixture struct {
	caPEM, clientPEM                   string // PEM files: the CA; the client's key and certificate
	trustP12, trustJKS, keyP12, keyJKS string
	wrongCA                            string // a CA that signed nothing the servers have
	clientCert                         tls.Certificate
	caCert                             *x509.Certificate
}

const storePass = "changeit"

func newTLSFixture(t *testing.T) *tlsFixture {
	t.Helper()
	f := &tlsFixture{caPEM: testbed.DBCA(t)}
	dir := t.TempDir()
	caBytes, err := os.ReadFile(f.caPEM)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(caBytes)
	if f.caCert, err = x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	crt, err := os.ReadFile(filepath.Join(filepath.Dir(f.caPEM), "client.crt"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(filepath.Dir(f.caPEM), "client.key"))
	if err != nil {
		t.Fatal(err)
	}
	if f.clientCert, err = tls.X509KeyPair(crt, key); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.clientPEM = write("client.pem", append(append([]byte{}, key...), crt...))
	p12, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{f.caCert}, storePass)
	if err != nil {
		t.Fatal(err)
	}
	f.trustP12 = write("trust.p12", p12)
	leaf, err := x509.ParseCertificate(f.clientCert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	kp12, err := pkcs12.Modern.Encode(f.clientCert.PrivateKey, leaf, nil, storePass)
	if err != nil {
		t.Fatal(err)
	}
	f.keyP12 = write("key.p12", kp12)

	ts := keystore.New()
	if err := ts.SetTrustedCertificateEntry("ca", keystore.TrustedCertificateEntry{CreationTime: time.Now(),
		Certificate: keystore.Certificate{Type: "X509", Content: f.caCert.Raw}}); err != nil {
		t.Fatal(err)
	}
	f.trustJKS = write("trust.jks", jksBytes(t, ts))
	pk, err := x509.MarshalPKCS8PrivateKey(f.clientCert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	ks := keystore.New()
	if err := ks.SetPrivateKeyEntry("client", keystore.PrivateKeyEntry{CreationTime: time.Now(), PrivateKey: pk,
		CertificateChain: []keystore.Certificate{{Type: "X509", Content: leaf.Raw}}}, []byte(storePass)); err != nil {
		t.Fatal(err)
	}
	f.keyJKS = write("key.jks", jksBytes(t, ks))
	f.wrongCA = write("wrong-ca.pem", sourcetest.WrongCA(t))
	return f
}

func jksBytes(t *testing.T, ks keystore.KeyStore) []byte {
	t.Helper()
	var b strings.Builder
	if err := ks.Store(&b, []byte(storePass)); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

// sslCipher connects as cfg says and returns the session's Ssl_cipher ("" for plaintext).
func sslCipher(t *testing.T, props map[string]string) (string, error) {
	t.Helper()
	cfg, err := parseConfig(props, FlavorMariaDB)
	if err != nil {
		return "", err
	}
	addr := net.JoinHostPort(cfg.Hostname, strconv.Itoa(cfg.Port))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := dialQuery(ctx, cfg, addr, 10*time.Second, func(*client.Conn) error { return nil })
	if err != nil {
		return "", err
	}
	defer conn.Close()
	rows, err := queryRows(conn, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")
	if err != nil {
		return "", err
	}
	if len(rows) != 1 {
		return "", fmt.Errorf("Ssl_cipher: %v", rows)
	}
	return rows[0][1], nil
}

// TestDatabaseTLSModes connects to the test bed's TLS-enabled MariaDB with every
// database.ssl.mode and each kind of trust store, and shows that a certificate signed by another
// CA is refused with an error naming the trust store.
func TestDatabaseTLSModes(t *testing.T) {
	f := newTLSFixture(t)
	tb := testbed.MariaDB(t)
	base := func(kv ...string) map[string]string {
		m := map[string]string{
			"connector.class": MariaDBClass, "topic.prefix": "tls", "database.hostname": tb.Host,
			"database.port": strconv.Itoa(tb.Port), "database.user": tb.User, "database.password": tb.Password,
			"schema.history.internal.kafka.topic": "unused", "schema.history.internal.kafka.bootstrap.servers": "unused",
		}
		return sourcetest.With(m, kv...)
	}
	cases := []sourcetest.TLSCase{
		sourcetest.TLS("unset (MariaDB default: disabled)", base(), false, ""),
		sourcetest.TLS("disabled", base("database.ssl.mode", "disabled"), false, ""),
		sourcetest.TLS("preferred", base("database.ssl.mode", "preferred"), true, ""),
		sourcetest.TLS("required", base("database.ssl.mode", "required"), true, ""),
		sourcetest.TLS("trust (MariaDB's required)", base("database.ssl.mode", "trust"), true, ""),
		sourcetest.TLS("verify_ca PEM", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", f.caPEM), true, ""),
		sourcetest.TLS("verify_ca PKCS12", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", f.trustP12, "database.ssl.truststore.password", storePass), true, ""),
		sourcetest.TLS("verify_ca JKS", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", f.trustJKS, "database.ssl.truststore.password", storePass), true, ""),
		sourcetest.TLS("verify_identity 127.0.0.1", base("database.ssl.mode", "verify_identity", "database.ssl.truststore", f.caPEM), true, ""),
		sourcetest.TLS("verify-full localhost", base("database.ssl.mode", "verify-full", "database.ssl.truststore", f.caPEM, "database.hostname", "localhost"), true, ""),
		sourcetest.TLS("verify_ca with a client key store PKCS12", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", f.caPEM,
			"database.ssl.keystore", f.keyP12, "database.ssl.keystore.password", storePass), true, ""),
		sourcetest.TLS("verify_ca with a client key store JKS", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", f.caPEM,
			"database.ssl.keystore", f.keyJKS, "database.ssl.keystore.password", storePass), true, ""),
		sourcetest.TLS("verify_ca with a client PEM", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", f.caPEM,
			"database.ssl.keystore", f.clientPEM), true, ""),
		sourcetest.TLS("verify_ca wrong CA", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", f.wrongCA), false,
			"the database server's certificate is not signed by a CA in database.ssl.truststore"),
		sourcetest.TLS("verify_identity wrong CA", base("database.ssl.mode", "verify_identity", "database.ssl.truststore", f.wrongCA), false,
			"the database server's certificate is not signed by a CA in database.ssl.truststore"),
		sourcetest.TLS("wrong trust store password", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", f.trustP12, "database.ssl.truststore.password", "nope"), false,
			"database.ssl.truststore"),
		sourcetest.TLS("missing trust store", base("database.ssl.mode", "verify_ca", "database.ssl.truststore", "/nonexistent/ca.pem"), false,
			"could not read the trust store database.ssl.truststore=/nonexistent/ca.pem"),
	}
	sourcetest.RunTLSCases(t, cases, func(t *testing.T, props map[string]string) (bool, error) {
		cipher, err := sslCipher(t, props)
		return cipher != "", err
	})
}

// TestDatabaseTLSClientCertificate shows the key store's certificate is presented: a user that
// MariaDB admits only with a certificate signed by its CA (REQUIRE X509) logs in with each kind
// of key store, and is refused without one.
func TestDatabaseTLSClientCertificate(t *testing.T) {
	f := newTLSFixture(t)
	d := newDB(t)
	user := "x509_" + strings.TrimPrefix(d.name, "my_")
	if len(user) > 80 {
		user = user[:80]
	}
	d.exec(fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'pw' REQUIRE X509", user))
	t.Cleanup(func() { d.exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user)) })
	props := func(kv ...string) map[string]string {
		m := d.config("x509", "database.user", user, "database.password", "pw",
			"database.ssl.mode", "verify_ca", "database.ssl.truststore", f.caPEM)
		return sourcetest.With(m, kv...)
	}
	for name, p := range map[string]map[string]string{
		"PKCS12": props("database.ssl.keystore", f.keyP12, "database.ssl.keystore.password", storePass),
		"JKS":    props("database.ssl.keystore", f.keyJKS, "database.ssl.keystore.password", storePass),
		"PEM":    props("database.ssl.keystore", f.clientPEM),
	} {
		if cipher, err := sslCipher(t, p); err != nil || cipher == "" {
			t.Errorf("%s key store: cipher %q, err %v", name, cipher, err)
		}
	}
	if _, err := sslCipher(t, props()); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("without a client certificate: want access denied, got %v", err)
	}
}

// TestDatabaseTLSSnapshotAndStream runs the connector end to end over verified TLS: the snapshot
// connection and the binlog connection both use database.ssl.*.
func TestDatabaseTLSSnapshotAndStream(t *testing.T) {
	f := newTLSFixture(t)
	d := newDB(t)
	d.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO t VALUES (1,'a')")
	cfg := d.config("tlsrun", "table.include.list", d.name+`\.t`,
		"database.ssl.mode", "verify_identity", "database.ssl.truststore", f.trustP12, "database.ssl.truststore.password", storePass)
	r, err := startTask(t, cfg, &memHistory{}, &memOffsets{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.pollUntil(1); decode(t, got[0]).Value["after"].(map[string]any)["v"] != "a" {
		t.Fatalf("snapshot: %s", describe(got))
	}
	r.waitStreaming()
	d.exec("INSERT INTO t VALUES (2,'b')")
	if got := r.pollUntil(1); decode(t, got[0]).Value["after"].(map[string]any)["v"] != "b" {
		t.Fatalf("stream: %s", describe(got))
	}
}
