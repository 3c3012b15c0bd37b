package mysql

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// syncBuffer collects the worker's logs, written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func scramJAAS(k testbed.SecureKafka, pass string) string {
	return `org.apache.kafka.common.security.scram.ScramLoginModule required username="` + k.User + `" password="` + pass + `";`
}

// secureEndToEnd runs a MariaDB connector on a worker that reaches Kafka only through a secured
// listener, its schema history on that listener too (inheriting the worker's settings), and
// checks the events arrive, and that the password shows in no log, status or REST answer.
func secureEndToEnd(t *testing.T, listener string, worker map[string]string, secret string) {
	d := mariadb.New(t, "sec")
	d.Exec("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)", "INSERT INTO items VALUES (1,'a'),(2,'b')")
	prefix := testbed.Topic(t, "sec")
	worker["bootstrap.servers"] = listener
	var logs syncBuffer
	w, err := e2e.StartWorkerWith(t, prefix+"-offsets", worker, &logs)
	if err != nil {
		t.Fatalf("worker did not start: %v", err)
	}
	name := "secure"
	cfg := connectorConfig(d, prefix, prefix+"-history", "schema.history.internal.kafka.bootstrap.servers", listener,
		"database.server.id", "6271")
	for k, v := range worker {
		// The connector's own producer, configured as a Kafka Connect user would.
		if k != "bootstrap.servers" {
			cfg["producer.override."+k] = v
		}
	}
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	w.WaitState(name, "RUNNING")
	topic := prefix + "." + d.Name + ".items"
	c := e2e.NewConsumer(t, topic)
	c.WaitFor(topic, 2)
	d.Exec("INSERT INTO items VALUES (3,'c')")
	c.WaitFor(topic, 3)

	for _, path := range []string{"/connectors/" + name, "/connectors/" + name + "/config", "/connectors/" + name + "/status",
		"/connectors/" + name + "/tasks", "/connectors?expand=info&expand=status"} {
		code, b := w.Call("GET", path, nil)
		if code != 200 {
			t.Errorf("GET %s: %d %s", path, code, b)
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("GET %s shows the password: %s", path, b)
		}
	}
	w.Stop()
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the worker's logs show the password")
	}
}

func TestEndToEndSASLSSL(t *testing.T) {
	k := testbed.KafkaSecure(t)
	secureEndToEnd(t, k.SASLSSL, map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config": scramJAAS(k, k.Password), "ssl.truststore.location": k.CA}, k.Password)
}

func TestEndToEndSSL(t *testing.T) {
	k := testbed.KafkaSecure(t)
	secureEndToEnd(t, k.SSL, map[string]string{"security.protocol": "SSL", "ssl.truststore.type": "PEM",
		"ssl.truststore.location": k.CA}, "no secret on this listener")
}

// TestSecureStartupErrors: a wrong password and an untrusted certificate stop the worker at
// once with an error that says what to fix and does not show the password.
func TestSecureStartupErrors(t *testing.T) {
	k := testbed.KafkaSecure(t)
	other := t.TempDir() + "/other-ca.pem"
	if err := writeSelfSignedCA(other); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"wrong password", map[string]string{"bootstrap.servers": k.SASLSSL, "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
			"sasl.jaas.config": scramJAAS(k, "not-"+k.Password), "ssl.truststore.location": k.CA}, "refused the credentials"},
		{"untrusted certificate", map[string]string{"bootstrap.servers": k.SSL, "security.protocol": "SSL",
			"ssl.truststore.location": other}, "not signed by a trusted CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			start := time.Now()
			_, err := e2e.StartWorkerWith(t, testbed.Topic(t, "sec")+"-offsets", tc.props, &logs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("the error took %v", took)
			}
			if strings.Contains(err.Error(), k.Password) || strings.Contains(logs.String(), k.Password) {
				t.Errorf("the password shows in the error or the logs: %v", err)
			}
		})
	}
}

// writeSelfSignedCA writes the certificate of a CA the broker's certificate is not signed by.
func writeSelfSignedCA(path string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the test bed CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
}

// TestSecureOverrideWrongPassword: a connector whose producer.override.sasl.jaas.config holds a
// wrong password fails its task at once, the trace saying what to fix without the password.
func TestSecureOverrideWrongPassword(t *testing.T) {
	k := testbed.KafkaSecure(t)
	d := mariadb.New(t, "sec")
	d.Exec("CREATE TABLE items (id INT PRIMARY KEY)")
	prefix := testbed.Topic(t, "sec")
	w, err := e2e.StartWorkerWith(t, prefix+"-offsets", map[string]string{"bootstrap.servers": k.SASLSSL,
		"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": scramJAAS(k, k.Password),
		"ssl.truststore.location": k.CA}, nil)
	if err != nil {
		t.Fatalf("worker did not start: %v", err)
	}
	bad := "bad-" + k.Password
	cfg := connectorConfig(d, prefix, prefix+"-history", "schema.history.internal.kafka.bootstrap.servers", k.SASLSSL,
		"database.server.id", "6272", "producer.override.sasl.jaas.config", scramJAAS(k, bad))
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": "badpass", "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	trace := w.WaitState("badpass", "FAILED")
	if !strings.Contains(trace, "refused the credentials") || !strings.Contains(trace, "producer.override") {
		t.Errorf("trace does not say what to fix: %s", trace)
	}
	if strings.Contains(trace, bad) {
		t.Errorf("the trace shows the password")
	}
	if code, b := w.Call("GET", "/connectors/badpass/config", nil); code != 200 || strings.Contains(string(b), bad) {
		t.Errorf("GET config: %d, shows the password: %v", code, strings.Contains(string(b), bad))
	}
}
