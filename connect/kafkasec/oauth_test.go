package kafkasec

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/oauthidp"
)

func oauthProps(endpoint, jaas string) map[string]string {
	return map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
		"sasl.login.callback.handler.class": OAuthLoginCallbackHandler, "sasl.oauthbearer.token.endpoint.url": endpoint,
		"sasl.jaas.config": jaas}
}

// The token source gets a token by client credentials (the secret as basic authentication, the
// scope in the form), keeps it until the refresh point and then gets a new one; a refused
// client is a TokenError that says what to check and is not retried.
func TestOAuthClientCredentialsAndRefresh(t *testing.T) {
	idp := oauthidp.StartIdP(t, map[string]string{"connectd": "s3cret"}, 4*time.Second)
	get := func(props map[string]string) getter {
		return func(k string) (string, string, bool) { v, ok := props[k]; return v, k, ok }
	}
	props := oauthProps(idp.TokenURL, "")
	props["sasl.login.refresh.min.period.seconds"] = "0"
	props["sasl.login.refresh.buffer.seconds"] = "0"
	c := &clientCredentials{endpoint: idp.TokenURL, id: "connectd", secret: "s3cret", scope: "kafka.write", subClaim: "sub", http: &http.Client{Timeout: 5 * time.Second}}
	src := &tokenSource{fetch: c.fetch, factor: floatProp(get(props), "sasl.login.refresh.window.factor", 0.8), jitter: 0,
		minPeriod: 0, buffer: 0, backoff: 10 * time.Millisecond, backoffMax: 50 * time.Millisecond}
	ctx := context.Background()
	t1, err := src.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if t2, _ := src.get(ctx); t2 != t1 || idp.Issued.Load() != 1 {
		t.Fatalf("a second connection got a new token (%d issued)", idp.Issued.Load())
	}
	time.Sleep(4 * time.Second)
	t3, err := src.get(ctx)
	if err != nil || t3 == t1 || idp.Issued.Load() != 2 {
		t.Fatalf("after 80%% of the lifetime: err %v, same token %v, %d issued", err, t3 == t1, idp.Issued.Load())
	}
	if s := idp.Scopes(); s[0] != "kafka.write" {
		t.Errorf("scope sent %q", s)
	}

	bad := &clientCredentials{endpoint: idp.TokenURL, id: "connectd", secret: "wrong", subClaim: "sub", http: &http.Client{Timeout: 5 * time.Second}}
	src = &tokenSource{fetch: bad.fetch, factor: 0.8, backoff: 10 * time.Millisecond, backoffMax: 50 * time.Millisecond}
	_, err = src.get(ctx)
	var te *TokenError
	if !errors.As(err, &te) || te.Status != 401 || !strings.Contains(err.Error(), "invalid_client") || !strings.Contains(err.Error(), "check clientId, clientSecret") {
		t.Fatalf("wrong secret: %v", err)
	}
	if src.fetches != 1 {
		t.Errorf("a refused client was asked %d times", src.fetches)
	}
	if hint, permanent := Explain(err); !permanent || !strings.Contains(hint, "token endpoint") {
		t.Errorf("Explain: %q %v", hint, permanent)
	}
}

func TestOAuthSettingsErrors(t *testing.T) {
	for name, c := range map[string]struct {
		props map[string]string
		want  string
	}{
		"no handler":        {map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.jaas.config": oauthidp.JAAS("a", "b", "")}, "needs sasl.login.callback.handler.class"},
		"no endpoint":       {oauthProps("", oauthidp.JAAS("a", "b", "")), "needs sasl.oauthbearer.token.endpoint.url"},
		"no secret":         {oauthProps("https://idp.example/token", `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="a";`), "needs clientId and clientSecret"},
		"wrong module":      {oauthProps("https://idp.example/token", `org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b";`), "does not go with sasl.mechanism=OAUTHBEARER"},
		"other handler":     {map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.login.callback.handler.class": "com.example.Handler", "sasl.jaas.config": oauthidp.JAAS("a", "b", "")}, "is not supported"},
		"endpoint not http": {oauthProps("ftp://idp.example/token", oauthidp.JAAS("a", "b", "")), "expected an https://"},
	} {
		if _, err := Options(c.props); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	ok := oauthProps("https://idp.example/token", oauthidp.JAAS("a", "b", "s")+"")
	if _, err := Options(ok); err != nil {
		t.Errorf("valid settings: %v", err)
	}
	unsecured := map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER",
		"sasl.jaas.config": OAuthLoginModule + ` required unsecuredLoginStringClaim_sub="alice";`}
	if _, err := Options(unsecured); err != nil {
		t.Errorf("unsecured login: %v", err)
	}
}

// A file: token endpoint is read at each refresh; a JWT's exp and sub are checked.
func TestOAuthTokenFile(t *testing.T) {
	tok := unsecuredToken("bob", time.Hour)
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte(tok.value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := parseToken(tok.value, 0, "sub", "file://"+f)
	if err != nil || got.subject != "bob" || got.expires.Before(time.Now().Add(59*time.Minute)) {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	if _, err := parseToken(tok.value, 0, "client_id", "x"); err == nil || !strings.Contains(err.Error(), "no client_id claim") {
		t.Errorf("missing subject claim: %v", err)
	}
	expired := unsecuredToken("bob", -time.Minute)
	if _, err := parseToken(expired.value, 0, "sub", "x"); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
	props := oauthProps("file://"+f, OAuthLoginModule+" required;")
	if _, err := Options(props); err != nil {
		t.Errorf("file token endpoint: %v", err)
	}
}

// TestOAuthBearerBroker runs a second, throwaway broker whose listener checks OAUTHBEARER
// tokens with Kafka's OAuthBearerValidatorCallbackHandler against the local identity provider's
// JWKS, and re-authenticates connections every 3 s. A client with the right secret produces and
// consumes across several token lifetimes (the tokens live 8 s, so it must refresh); a wrong
// secret is a clear, immediate error.
func TestOAuthBearerBroker(t *testing.T) {
	idp := oauthidp.StartIdP(t, map[string]string{"connectd": "s3cret"}, 8*time.Second)
	b := oauthidp.StartBroker(t, idp, 3*time.Second)
	props := oauthProps(idp.TokenURL, oauthidp.JAAS("connectd", "s3cret", "kafka"))
	props["sasl.login.refresh.buffer.seconds"] = "1"
	props["sasl.login.refresh.min.period.seconds"] = "1"
	roundTrip(t, b.OAuth, props)

	opts, err := Options(props)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(b.OAuth), kgo.AllowAutoTopicCreation())...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	before := idp.Issued.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "oauth-refresh", Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatalf("produce after %d tokens: %v", idp.Issued.Load(), err)
		}
	}
	if n := idp.Issued.Load() - before; n < 2 {
		t.Errorf("%d tokens fetched over 20 s of 8 s tokens: the client did not refresh", n)
	}

	wrong := oauthProps(idp.TokenURL, oauthidp.JAAS("connectd", "wrong", "kafka"))
	opts, err = Options(wrong)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := kgo.NewClient(append(opts, kgo.SeedBrokers(b.OAuth))...)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	start := time.Now()
	err = Check(context.Background(), bad, "test client", 20*time.Second)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "token endpoint") {
		t.Fatalf("wrong secret: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the wrong secret took %s to be reported", d)
	}
}
