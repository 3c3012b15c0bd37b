package kafkasec

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
)

// OAuthLoginModule is the login module sasl.jaas.config names for OAUTHBEARER.
const OAuthLoginModule = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"

// OAuthLoginCallbackHandler is KIP-768's login callback handler: it gets tokens from an OAuth
// 2 token endpoint with the client credentials grant. The second name is the one Kafka 3.1 to
// 3.3 used.
const OAuthLoginCallbackHandler = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"

const oauthLoginCallbackHandlerOld = "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler"

// oauthKeys are the client properties of OAUTHBEARER (KIP-768 and Kafka's login refresh).
var oauthKeys = []string{
	"sasl.login.callback.handler.class", "sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.sub.claim.name",
	"sasl.oauthbearer.scope.claim.name", "sasl.oauthbearer.header.urlencode",
	"sasl.login.connect.timeout.ms", "sasl.login.read.timeout.ms", "sasl.login.retry.backoff.ms", "sasl.login.retry.backoff.max.ms",
	"sasl.login.refresh.window.factor", "sasl.login.refresh.window.jitter", "sasl.login.refresh.min.period.seconds",
	"sasl.login.refresh.buffer.seconds",
}

func init() { Keys = append(Keys, oauthKeys...) }

// TokenError is a token endpoint's refusal or an unusable answer.
type TokenError struct {
	// Endpoint is the token endpoint URL.
	Endpoint string
	// Status is the HTTP status, 0 when the endpoint could not be reached or read.
	Status int
	// Msg says what went wrong.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

func (e *TokenError) Error() string {
	s := "could not get an OAUTHBEARER token from " + e.Endpoint + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *TokenError) Unwrap() error { return e.Err }

// permanent says whether retrying cannot help: the endpoint refused the client.
func (e *TokenError) permanent() bool { return e.Status >= 400 && e.Status < 500 }

// oauthOption builds the OAUTHBEARER mechanism from the login module's options and the
// sasl.login.* / sasl.oauthbearer.* properties, as Kafka's OAuthBearerLoginCallbackHandler
// (client credentials, clientId/clientSecret/scope from sasl.jaas.config) or, without a
// callback handler, Kafka's unsecured handler (unsecuredLoginStringClaim_sub: for tests only).
func oauthOption(get getter, jaasKey string, m jaasModule) (kgo.Opt, error) {
	ext := map[string]string{}
	for k, v := range m.options {
		if name, ok := strings.CutPrefix(k, "extension_"); ok {
			ext[name] = v
		}
	}
	handler, handlerKey, _ := get("sasl.login.callback.handler.class")
	endpoint, endpointKey, _ := get("sasl.oauthbearer.token.endpoint.url")
	var fetch func(context.Context) (token, error)
	switch handler {
	case OAuthLoginCallbackHandler, oauthLoginCallbackHandlerOld:
		if endpoint == "" {
			return nil, fmt.Errorf("%s=%s needs sasl.oauthbearer.token.endpoint.url: the OAuth token endpoint of your identity provider", handlerKey, handler)
		}
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "file") {
			return nil, fmt.Errorf("%s=%s: expected an https:// (or file:) URL", endpointKey, endpoint)
		}
		subClaim, _, _ := get("sasl.oauthbearer.sub.claim.name")
		if subClaim == "" {
			subClaim = "sub"
		}
		if u.Scheme == "file" {
			path := u.Path
			fetch = func(context.Context) (token, error) {
				b, err := os.ReadFile(path)
				if err != nil {
					return token{}, &TokenError{Endpoint: endpoint, Msg: "could not read the token file", Err: err}
				}
				t, err := parseToken(strings.TrimSpace(string(b)), 0, subClaim, endpoint)
				t.fromFile = true
				return t, err
			}
			break
		}
		id, secret := m.options["clientId"], m.options["clientSecret"]
		if id == "" || secret == "" {
			return nil, fmt.Errorf("%s: %s needs clientId and clientSecret options for the client credentials grant", jaasKey, m.class)
		}
		urlencode, _, _ := get("sasl.oauthbearer.header.urlencode")
		connectTimeout := durationMs(get, "sasl.login.connect.timeout.ms", 10*time.Second)
		readTimeout := durationMs(get, "sasl.login.read.timeout.ms", 10*time.Second)
		c := &clientCredentials{endpoint: endpoint, id: id, secret: secret, scope: m.options["scope"], subClaim: subClaim,
			urlencode: strings.EqualFold(urlencode, "true"), http: &http.Client{Timeout: connectTimeout + readTimeout}}
		fetch = c.fetch
	case "":
		if endpoint != "" {
			return nil, fmt.Errorf("%s is set but sasl.login.callback.handler.class is not: set it to %s, as Kafka requires", endpointKey, OAuthLoginCallbackHandler)
		}
		sub := m.options["unsecuredLoginStringClaim_sub"]
		if sub == "" {
			return nil, fmt.Errorf("sasl.mechanism=OAUTHBEARER needs sasl.login.callback.handler.class=%s and sasl.oauthbearer.token.endpoint.url (client credentials from clientId, clientSecret and scope in sasl.jaas.config)", OAuthLoginCallbackHandler)
		}
		life := 3600 * time.Second
		if v := m.options["unsecuredLoginLifetimeSeconds"]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("%s: unsecuredLoginLifetimeSeconds=%s is not a positive number", jaasKey, v)
			}
			life = time.Duration(n) * time.Second
		}
		fetch = func(context.Context) (token, error) { return unsecuredToken(sub, life), nil }
	default:
		return nil, fmt.Errorf("%s=%s is not supported by connectd: use %s (OAuth client credentials)", handlerKey, handler, OAuthLoginCallbackHandler)
	}
	src := &tokenSource{fetch: fetch,
		factor:     floatProp(get, "sasl.login.refresh.window.factor", 0.8),
		jitter:     floatProp(get, "sasl.login.refresh.window.jitter", 0.05),
		minPeriod:  time.Duration(floatProp(get, "sasl.login.refresh.min.period.seconds", 60)) * time.Second,
		buffer:     time.Duration(floatProp(get, "sasl.login.refresh.buffer.seconds", 300)) * time.Second,
		backoff:    durationMs(get, "sasl.login.retry.backoff.ms", 100*time.Millisecond),
		backoffMax: durationMs(get, "sasl.login.retry.backoff.max.ms", 10*time.Second)}
	return kgo.SASL(oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
		tok, err := src.get(ctx)
		if err != nil {
			return oauth.Auth{}, err
		}
		return oauth.Auth{Token: tok, Extensions: ext}, nil
	})), nil
}

func durationMs(get getter, key string, def time.Duration) time.Duration {
	v, _, ok := get(key)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return def
	}
	return time.Duration(n) * time.Millisecond
}

func floatProp(get getter, key string, def float64) float64 {
	v, _, ok := get(key)
	if !ok || v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return def
	}
	return f
}

// token is an access token and its lifetime.
type token struct {
	value    string
	issued   time.Time
	expires  time.Time
	subject  string
	fromFile bool
}

// tokenSource caches a token and gets a new one once the refresh point is reached, as Kafka's
// ExpiringCredentialRefreshingLogin: at sasl.login.refresh.window.factor of its lifetime plus up
// to sasl.login.refresh.window.jitter, but at least sasl.login.refresh.buffer.seconds before it
// expires. Kafka refreshes in a background thread; connectd refreshes when a connection
// authenticates (new connections and KIP-368 re-authentication, which the broker asks for
// before the token it holds expires), which needs no thread and gives the same tokens.
type tokenSource struct {
	fetch                                  func(context.Context) (token, error)
	factor, jitter                         float64
	minPeriod, buffer, backoff, backoffMax time.Duration

	mu        sync.Mutex
	cur       token
	refreshAt time.Time
	fetches   int
}

func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.cur.value != "" && now.Before(s.refreshAt) {
		return s.cur.value, nil
	}
	wait := s.backoff
	var tok token
	var err error
	for attempt := 0; ; attempt++ {
		s.fetches++
		tok, err = s.fetch(ctx)
		var te *TokenError
		if err == nil || (errors.As(err, &te) && te.permanent()) || attempt >= 5 {
			break
		}
		select {
		case <-ctx.Done():
			err = fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-time.After(wait):
		}
		if ctx.Err() != nil {
			break
		}
		wait = min(2*wait, s.backoffMax)
	}
	if err != nil {
		if s.cur.value != "" && time.Now().Before(s.cur.expires) {
			// The token in hand is still valid: use it and try again next time.
			return s.cur.value, nil
		}
		return "", err
	}
	s.cur = tok
	s.refreshAt = s.refreshPoint(tok)
	return tok.value, nil
}

func (s *tokenSource) refreshPoint(t token) time.Time {
	life := t.expires.Sub(t.issued)
	if life <= 0 {
		return t.issued
	}
	f := s.factor + s.jitter*rand.Float64()
	at := t.issued.Add(time.Duration(f * float64(life)))
	if s.minPeriod+s.buffer > life {
		// Kafka cannot honour both for so short a token and then uses the window factor
		// alone.
		return at
	}
	// Kafka keeps the buffer before expiry unless that would refresh sooner than the minimum
	// period after the token was issued.
	if latest := t.expires.Add(-s.buffer); at.After(latest) {
		at = latest
	}
	if earliest := t.issued.Add(s.minPeriod); at.Before(earliest) {
		at = earliest
		if t.expires.Before(at) {
			at = t.expires
		}
	}
	if t.fromFile {
		// A token file may be replaced at any time by whatever writes it.
		if soon := t.issued.Add(time.Minute); soon.Before(at) {
			at = soon
		}
	}
	return at
}

// clientCredentials gets tokens with the OAuth 2 client credentials grant, as Kafka's
// HttpAccessTokenRetriever: a form POST with the client's id and secret as basic
// authentication.
type clientCredentials struct {
	endpoint, id, secret, scope, subClaim string
	urlencode                             bool
	http                                  *http.Client
}

func (c *clientCredentials) fetch(ctx context.Context) (token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if c.scope != "" {
		form.Set("scope", c.scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return token{}, &TokenError{Endpoint: c.endpoint, Msg: "bad request", Err: err}
	}
	id, secret := c.id, c.secret
	if c.urlencode {
		id, secret = url.QueryEscape(id), url.QueryEscape(secret)
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return token{}, &TokenError{Endpoint: c.endpoint, Msg: "the endpoint could not be reached", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return token{}, &TokenError{Endpoint: c.endpoint, Status: 0, Msg: "could not read the answer", Err: err}
	}
	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("the endpoint answered HTTP %d", resp.StatusCode)
		var oe struct {
			Error string `json:"error"`
			Desc  string `json:"error_description"`
		}
		if json.Unmarshal(body, &oe) == nil && oe.Error != "" {
			msg += " " + oe.Error
			if oe.Desc != "" {
				msg += ": " + oe.Desc
			}
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden {
			msg += " (check clientId, clientSecret and scope in sasl.jaas.config)"
		}
		return token{}, &TokenError{Endpoint: c.endpoint, Status: resp.StatusCode, Msg: msg}
	}
	var tr struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return token{}, &TokenError{Endpoint: c.endpoint, Status: 400, Msg: "the answer has no access_token"}
	}
	var expiresIn int64
	if len(tr.ExpiresIn) > 0 {
		expiresIn, _ = strconv.ParseInt(strings.Trim(string(tr.ExpiresIn), `"`), 10, 64)
	}
	return parseToken(tr.AccessToken, expiresIn, c.subClaim, c.endpoint)
}

// parseToken reads the lifetime and subject of a JWT access token, as Kafka's
// LoginAccessTokenValidator (which needs exp and the subject claim). An opaque token is used
// with expires_in, which Kafka refuses; brokers that validate JWTs refuse it anyway.
func parseToken(value string, expiresIn int64, subClaim, endpoint string) (token, error) {
	now := time.Now()
	t := token{value: value, issued: now}
	parts := strings.Split(value, ".")
	if len(parts) == 3 {
		payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
		if err != nil {
			return token{}, &TokenError{Endpoint: endpoint, Status: 400, Msg: "the access token is not a well-formed JWT (its payload is not base64url)"}
		}
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			return token{}, &TokenError{Endpoint: endpoint, Status: 400, Msg: "the access token is not a well-formed JWT (its payload is not JSON)"}
		}
		exp, ok := claims["exp"].(float64)
		if !ok {
			return token{}, &TokenError{Endpoint: endpoint, Status: 400, Msg: "the access token has no exp claim"}
		}
		t.expires = time.UnixMilli(int64(exp * 1000))
		if iat, ok := claims["iat"].(float64); ok {
			t.issued = time.UnixMilli(int64(iat * 1000))
		}
		sub, _ := claims[subClaim].(string)
		if sub == "" {
			return token{}, &TokenError{Endpoint: endpoint, Status: 400, Msg: "the access token has no " + subClaim + " claim (sasl.oauthbearer.sub.claim.name)"}
		}
		t.subject = sub
		if !t.expires.After(now) {
			return token{}, &TokenError{Endpoint: endpoint, Status: 400, Msg: "the access token expired at " + t.expires.UTC().Format(time.RFC3339)}
		}
		return t, nil
	}
	if expiresIn <= 0 {
		return token{}, &TokenError{Endpoint: endpoint, Status: 400, Msg: "the access token is not a JWT and the answer has no expires_in"}
	}
	t.expires = now.Add(time.Duration(expiresIn) * time.Second)
	return t, nil
}

// unsecuredToken is Kafka's OAuthBearerUnsecuredLoginCallbackHandler token: an unsigned JWT
// (alg none) for brokers with the unsecured validator, i.e. development clusters.
func unsecuredToken(sub string, life time.Duration) token {
	now := time.Now()
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	claims, _ := json.Marshal(map[string]any{"sub": sub, "iat": float64(now.UnixMilli()) / 1000, "exp": float64(now.Add(life).UnixMilli()) / 1000})
	return token{value: hdr + "." + base64.RawURLEncoding.EncodeToString(claims) + ".", issued: now, expires: now.Add(life), subject: sub}
}
