// Package oauthidp is what the OAUTHBEARER tests need around a client: a tiny OAuth 2 identity
// provider (client credentials grant, RS256 JWTs, a JWKS endpoint) and a second, throwaway
// Kafka broker whose only client listener takes OAUTHBEARER tokens checked against that JWKS
// with Kafka's own OAuthBearerValidatorCallbackHandler. The shared test bed broker is never
// touched.
package oauthidp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/testbed"
)

// IdP is a running identity provider.
type IdP struct {
	// TokenURL is the token endpoint (POST, client credentials).
	TokenURL string
	// JWKSURL serves the public key the tokens are signed with.
	JWKSURL string
	// Issued counts the tokens handed out.
	Issued atomic.Int64

	key      *rsa.PrivateKey
	kid      string
	clients  map[string]string
	lifetime time.Duration
	mu       sync.Mutex
	scopes   []string
}

// StartIdP serves an identity provider until the test ends: clients maps client ids to
// secrets; tokens live for lifetime and name the client id as sub.
func StartIdP(t testing.TB, clients map[string]string, lifetime time.Duration) *IdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &IdP{key: key, kid: "test-key-1", clients: clients, lifetime: lifetime}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("POST /token", p.token)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.TokenURL, p.JWKSURL = srv.URL+"/token", srv.URL+"/jwks"
	return p
}

// Scopes returns the scope parameter of each token request, in order.
func (p *IdP) Scopes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.scopes...)
}

func (p *IdP) jwks(w http.ResponseWriter, _ *http.Request) {
	b64 := base64.RawURLEncoding.EncodeToString
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": p.kid,
		"n": b64(p.key.N.Bytes()), "e": b64(big.NewInt(int64(p.key.E)).Bytes())}}})
}

func (p *IdP) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
		return
	}
	if want, known := p.clients[id]; !ok || !known || want != secret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"client authentication failed"}`))
		return
	}
	p.mu.Lock()
	p.scopes = append(p.scopes, r.PostForm.Get("scope"))
	p.mu.Unlock()
	now := time.Now()
	tok, err := p.sign(map[string]any{"sub": id, "iat": now.Unix(), "exp": now.Add(p.lifetime).Unix(), "scope": r.PostForm.Get("scope"), "iss": "connectd-test-idp"})
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	p.Issued.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(p.lifetime.Seconds())})
}

func (p *IdP) sign(claims map[string]any) (string, error) {
	hdr, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": p.kid})
	body, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(body)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// Broker is a throwaway single-node Kafka (KRaft) with a SASL_PLAINTEXT OAUTHBEARER listener.
type Broker struct {
	// OAuth is the host:port of the OAUTHBEARER listener.
	OAuth string
	// Plain is a PLAINTEXT listener on the same broker, for the tests' own checks.
	Plain string
	// Log is the broker's output.
	Log interface{ String() string }
}

// StartBroker starts the broker with the test bed's Kafka jars and stops it when the test ends.
// Tokens are checked against idp's JWKS; connections re-authenticate every reauth (KIP-368).
func StartBroker(t testing.TB, idp *IdP, reauth time.Duration) *Broker {
	t.Helper()
	libs := testbed.KafkaLibs(t)
	java := "java"
	if v := os.Getenv("CONNECTD_TEST_JAVA21"); v != "" {
		java = v
	}
	dir := t.TempDir()
	ports := [3]int{freePort(t), freePort(t), freePort(t)}
	plain, ctrl, oauth := "127.0.0.1:"+strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1]), "127.0.0.1:"+strconv.Itoa(ports[2])
	props := strings.Join([]string{
		"process.roles=broker,controller", "node.id=1", "controller.quorum.voters=1@" + ctrl,
		"listeners=PLAINTEXT://" + plain + ",CONTROLLER://" + ctrl + ",OAUTH://" + oauth,
		"advertised.listeners=PLAINTEXT://" + plain + ",OAUTH://" + oauth,
		"controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,OAUTH:SASL_PLAINTEXT",
		"listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER",
		"listener.name.oauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
		"listener.name.oauth.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler",
		"sasl.oauthbearer.jwks.endpoint.url=" + idp.JWKSURL,
		"sasl.oauthbearer.expected.issuer=connectd-test-idp",
		"connections.max.reauth.ms=" + strconv.FormatInt(reauth.Milliseconds(), 10),
		"log.dirs=" + filepath.Join(dir, "data"), "num.partitions=1", "default.replication.factor=1",
		"offsets.topic.replication.factor=1", "offsets.topic.num.partitions=3", "transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1", "share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
		"group.initial.rebalance.delay.ms=0", "num.network.threads=1", "num.io.threads=2",
	}, "\n") + "\n"
	cfg := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(cfg, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	jvm := []string{"-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
		"-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" + idp.JWKSURL + "," + idp.TokenURL,
		"-Dkafka.logs.dir=" + filepath.Join(dir, "logs"), "-cp", filepath.Join(libs, "*")}
	format := exec.Command(java, append(jvm, "kafka.tools.StorageTool", "format", "-t", base64.RawURLEncoding.EncodeToString(id), "-c", cfg)...)
	if out, err := format.CombinedOutput(); err != nil {
		t.Fatalf("could not format the OAUTHBEARER broker's storage: %v\n%s", err, out)
	}
	out := &lockedBuffer{}
	b := &Broker{OAuth: oauth, Plain: plain, Log: out}
	cmd := exec.Command(java, append(jvm, "kafka.Kafka", cfg)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("could not start the OAUTHBEARER broker: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("OAUTHBEARER broker output:\n%s", b.Log)
		}
	})
	deadline := time.Now().Add(120 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("the OAUTHBEARER broker exited during start-up:\n%s", b.Log)
		default:
		}
		if c, err := net.DialTimeout("tcp", oauth, time.Second); err == nil {
			_ = c.Close()
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("the OAUTHBEARER broker did not listen on %s within 120 s:\n%s", oauth, b.Log)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// JAAS is the sasl.jaas.config of a client with these credentials.
func JAAS(clientID, secret, scope string) string {
	return fmt.Sprintf(`org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="%s" clientSecret="%s" scope="%s";`, clientID, secret, scope)
}

// lockedBuffer collects a process's output for the test's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
