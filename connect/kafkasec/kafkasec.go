// Package kafkasec turns Kafka clients' security properties (security.protocol, sasl.*, ssl.*),
// named as Kafka Connect names them, into franz-go client options, so that connectd reaches a
// managed Kafka (TLS, SASL PLAIN or SCRAM) with the worker file a Kafka Connect user already has.
package kafkasec

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/tlschain"
	keystore "github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Keys are the client properties this package reads; a worker or connector override of any of
// them is applied to the client it targets.
var Keys = []string{
	"security.protocol", "sasl.mechanism", "sasl.jaas.config",
	"ssl.truststore.type", "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.certificates",
	"ssl.keystore.type", "ssl.keystore.location", "ssl.keystore.password", "ssl.key.password",
	"ssl.keystore.certificate.chain", "ssl.keystore.key",
	"ssl.endpoint.identification.algorithm", "ssl.protocol", "ssl.enabled.protocols",
}

// Options returns the franz-go options for the security properties in props. Each key is read
// with the first prefix under which it is set, then without prefix: Options(p, "producer.")
// gives the worker producer producer.security.protocol, else security.protocol. Kafka Connect
// does not pass the unprefixed keys down to its producer and consumer; connectd does, so a
// worker file that sets both, as Kafka Connect requires, means the same here.
func Options(props map[string]string, prefixes ...string) ([]kgo.Opt, error) {
	get := func(key string) (string, string, bool) {
		for _, p := range prefixes {
			if v, ok := props[p+key]; ok {
				return strings.TrimSpace(v), p + key, true
			}
		}
		v, ok := props[key]
		return strings.TrimSpace(v), key, ok
	}
	proto, protoKey, _ := get("security.protocol")
	if proto == "" {
		proto = "PLAINTEXT"
	}
	var useTLS, useSASL bool
	switch strings.ToUpper(proto) {
	case "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useTLS, useSASL = true, true
	default:
		return nil, fmt.Errorf("%s=%s: use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", protoKey, proto)
	}
	var opts []kgo.Opt
	if useSASL {
		o, err := saslOption(get)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o)
	}
	if useTLS {
		cfg, err := tlsConfig(get)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	return opts, nil
}

type getter func(key string) (value, name string, ok bool)

func saslOption(get getter) (kgo.Opt, error) {
	mech, mechKey, ok := get("sasl.mechanism")
	if !ok || mech == "" {
		// Kafka's default mechanism.
		mech = "GSSAPI"
	}
	mech = strings.ToUpper(mech)
	switch mech {
	case "GSSAPI":
		return nil, fmt.Errorf("%s=GSSAPI (Kerberos, Kafka's default mechanism) is not supported by connectd: set sasl.mechanism to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", mechKey)
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER":
	default:
		return nil, fmt.Errorf("%s=%s: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER", mechKey, mech)
	}
	jaas, jaasKey, ok := get("sasl.jaas.config")
	if (!ok || jaas == "") && mech == "OAUTHBEARER" {
		return nil, fmt.Errorf("sasl.mechanism=OAUTHBEARER needs sasl.jaas.config, e.g. %s required clientId=\"...\" clientSecret=\"...\" scope=\"...\";", OAuthLoginModule)
	}
	if !ok || jaas == "" {
		return nil, fmt.Errorf("sasl.mechanism=%s needs sasl.jaas.config with the user name and password, e.g. %s required username=\"...\" password=\"...\";", mech, loginModule(mech))
	}
	mods, err := parseJAAS(jaas)
	if err != nil {
		return nil, fmt.Errorf("could not parse %s (value hidden): %w", jaasKey, err)
	}
	if len(mods) != 1 {
		return nil, fmt.Errorf("%s must contain exactly one login module, found %d", jaasKey, len(mods))
	}
	m := mods[0]
	want := loginModule(mech)
	if !strings.HasSuffix(m.class, want[strings.LastIndexByte(want, '.'):]) {
		return nil, fmt.Errorf("%s: login module %s does not go with sasl.mechanism=%s: use %s", jaasKey, m.class, mech, want)
	}
	if mech == "OAUTHBEARER" {
		return oauthOption(get, jaasKey, m)
	}
	user, pass := m.options["username"], m.options["password"]
	if user == "" {
		return nil, fmt.Errorf("%s: login module %s has no username option", jaasKey, m.class)
	}
	if _, ok := m.options["password"]; !ok {
		return nil, fmt.Errorf("%s: login module %s has no password option", jaasKey, m.class)
	}
	switch mech {
	case "PLAIN":
		return kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()), nil
	case "SCRAM-SHA-256":
		a := scram.Auth{User: user, Pass: pass, IsToken: strings.EqualFold(m.options["tokenauth"], "true")}
		return kgo.SASL(a.AsSha256Mechanism()), nil
	default:
		a := scram.Auth{User: user, Pass: pass, IsToken: strings.EqualFold(m.options["tokenauth"], "true")}
		return kgo.SASL(a.AsSha512Mechanism()), nil
	}
}

func loginModule(mech string) string {
	switch mech {
	case "PLAIN":
		return "org.apache.kafka.common.security.plain.PlainLoginModule"
	case "OAUTHBEARER":
		return OAuthLoginModule
	}
	return "org.apache.kafka.common.security.scram.ScramLoginModule"
}

func tlsConfig(get getter) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if v, k, ok := get("ssl.enabled.protocols"); ok && v != "" {
		lowest := uint16(0)
		for _, p := range strings.Split(v, ",") {
			var ver uint16
			switch strings.TrimSpace(p) {
			case "TLSv1.2":
				ver = tls.VersionTLS12
			case "TLSv1.3":
				ver = tls.VersionTLS13
			case "":
				continue
			default:
				return nil, fmt.Errorf("%s=%s: connectd supports TLSv1.2 and TLSv1.3", k, v)
			}
			if lowest == 0 || ver < lowest {
				lowest = ver
			}
		}
		if lowest != 0 {
			cfg.MinVersion = lowest
		}
	}
	roots, err := trustStore(get)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = roots
	cert, err := keyStore(get)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	alg, algKey, ok := get("ssl.endpoint.identification.algorithm")
	if !ok {
		alg = "https"
	}
	switch strings.ToLower(alg) {
	case "https":
	case "":
		// Kafka then checks the chain but not the host name.
		tlschain.Config(cfg, roots, "the broker")
	default:
		return nil, fmt.Errorf("%s=%s: use https (check the broker's host name) or an empty value (do not)", algKey, alg)
	}
	return cfg, nil
}

// storeType is a store's type: the configured one, else guessed from the file, since Kafka's
// default JKS type also reads PKCS12 files.
func storeType(typ, typKey string, data []byte) (string, error) {
	t := strings.ToUpper(typ)
	switch t {
	case "PEM", "PKCS12":
		return t, nil
	case "", "JKS":
		if bytes.HasPrefix(data, []byte{0xce, 0xce, 0xce, 0xce}) {
			return "", fmt.Errorf("JCEKS key stores are not supported by connectd: convert it with keytool -importkeystore -deststoretype PKCS12, or use PEM files")
		}
		if bytes.HasPrefix(data, []byte{0xfe, 0xed, 0xfe, 0xed}) {
			return "JKS", nil
		}
		if bytes.Contains(data[:min(len(data), 4096)], []byte("-----BEGIN ")) {
			return "PEM", nil
		}
		return "PKCS12", nil
	default:
		return "", fmt.Errorf("%s=%s: use PEM, PKCS12 or JKS", typKey, typ)
	}
}

func trustStore(get getter) (*x509.CertPool, error) {
	typ, typKey, _ := get("ssl.truststore.type")
	var data []byte
	var name string
	if v, k, ok := get("ssl.truststore.certificates"); ok && v != "" {
		data, name = []byte(v), k
		if typ == "" {
			typ = "PEM"
		}
	} else if loc, k, ok := get("ssl.truststore.location"); ok && loc != "" {
		b, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("could not read the trust store %s=%s: %w", k, loc, err)
		}
		data, name = b, k+"="+loc
	} else {
		// Kafka then trusts the JVM's CAs; Go's are the system's.
		return nil, nil
	}
	t, err := storeType(typ, typKey, data)
	if err != nil {
		return nil, fmt.Errorf("trust store %s: %w", name, err)
	}
	pool := x509.NewCertPool()
	switch t {
	case "PEM":
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("trust store %s holds no PEM certificate", name)
		}
	case "JKS":
		ks, err := loadJKS(data, get, "ssl.truststore.password")
		if err != nil {
			return nil, fmt.Errorf("trust store %s: %w", name, err)
		}
		n := 0
		for _, alias := range ks.Aliases() {
			if !ks.IsTrustedCertificateEntry(alias) {
				continue
			}
			e, err := ks.GetTrustedCertificateEntry(alias)
			if err != nil {
				return nil, fmt.Errorf("could not read entry %s of the JKS trust store %s: %w", alias, name, err)
			}
			c, err := x509.ParseCertificate(e.Certificate.Content)
			if err != nil {
				return nil, fmt.Errorf("could not parse certificate %s of the JKS trust store %s: %w", alias, name, err)
			}
			pool.AddCert(c)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("JKS trust store %s holds no trusted certificate", name)
		}
	case "PKCS12":
		pass, _, _ := get("ssl.truststore.password")
		certs, err := pkcs12.DecodeTrustStore(data, pass)
		if err != nil {
			return nil, fmt.Errorf("could not read the PKCS12 trust store %s (check ssl.truststore.password): %w", name, err)
		}
		if len(certs) == 0 {
			return nil, fmt.Errorf("PKCS12 trust store %s holds no trusted certificate", name)
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}

func keyStore(get getter) (*tls.Certificate, error) {
	typ, typKey, _ := get("ssl.keystore.type")
	chain, chainKey, _ := get("ssl.keystore.certificate.chain")
	key, keyKey, _ := get("ssl.keystore.key")
	if chain != "" || key != "" {
		if chain == "" || key == "" {
			return nil, fmt.Errorf("%s and %s go together: set both or neither", chainKey, keyKey)
		}
		return pemKeyPair([]byte(chain), []byte(key), "the PEM key store in "+chainKey+"/"+keyKey, get)
	}
	loc, locKey, ok := get("ssl.keystore.location")
	if !ok || loc == "" {
		return nil, nil
	}
	data, err := os.ReadFile(loc)
	if err != nil {
		return nil, fmt.Errorf("could not read the key store %s=%s: %w", locKey, loc, err)
	}
	name := locKey + "=" + loc
	t, err := storeType(typ, typKey, data)
	if err != nil {
		return nil, fmt.Errorf("key store %s: %w", name, err)
	}
	if t == "PEM" {
		return pemKeyPair(data, data, "the PEM key store "+name, get)
	}
	if t == "JKS" {
		return jksKeyPair(data, name, get)
	}
	pass, _, _ := get("ssl.keystore.password")
	priv, leaf, cas, err := pkcs12.DecodeChain(data, pass)
	if err != nil {
		return nil, fmt.Errorf("could not read the PKCS12 key store %s (check ssl.keystore.password): %w", name, err)
	}
	c := &tls.Certificate{PrivateKey: priv, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, ca := range cas {
		c.Certificate = append(c.Certificate, ca.Raw)
	}
	return c, nil
}

// loadJKS reads a JKS store; Java reads one without a password by skipping its integrity
// check, which the library used here cannot, so the password is required.
func loadJKS(data []byte, get getter, passKey string) (keystore.KeyStore, error) {
	pass, _, ok := get(passKey)
	if !ok || pass == "" {
		return keystore.KeyStore{}, fmt.Errorf("a JKS store needs its password in %s", passKey)
	}
	ks := keystore.New()
	if err := ks.Load(bytes.NewReader(data), []byte(pass)); err != nil {
		return keystore.KeyStore{}, fmt.Errorf("could not read the JKS store (check %s): %w", passKey, err)
	}
	return ks, nil
}

// jksKeyPair is the first private key entry of a JKS key store, its key protected by
// ssl.key.password or, as keytool makes them by default, the store's password.
func jksKeyPair(data []byte, name string, get getter) (*tls.Certificate, error) {
	ks, err := loadJKS(data, get, "ssl.keystore.password")
	if err != nil {
		return nil, fmt.Errorf("key store %s: %w", name, err)
	}
	keyPass, _, ok := get("ssl.key.password")
	if !ok || keyPass == "" {
		keyPass, _, _ = get("ssl.keystore.password")
	}
	for _, alias := range ks.Aliases() {
		if !ks.IsPrivateKeyEntry(alias) {
			continue
		}
		e, err := ks.GetPrivateKeyEntry(alias, []byte(keyPass))
		if err != nil {
			return nil, fmt.Errorf("could not read the private key %s of the JKS key store %s (check ssl.key.password): %w", alias, name, err)
		}
		key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("could not parse the private key %s of the JKS key store %s: %w", alias, name, err)
		}
		c := &tls.Certificate{PrivateKey: key}
		for _, cert := range e.CertificateChain {
			c.Certificate = append(c.Certificate, cert.Content)
		}
		if len(c.Certificate) == 0 {
			return nil, fmt.Errorf("the private key %s of the JKS key store %s has no certificate", alias, name)
		}
		return c, nil
	}
	return nil, fmt.Errorf("JKS key store %s holds no private key", name)
}

func pemKeyPair(chain, key []byte, name string, get getter) (*tls.Certificate, error) {
	for rest := key; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
			if _, _, ok := get("ssl.key.password"); ok {
				return nil, fmt.Errorf("%s: encrypted private keys are not supported by connectd: decrypt it (openssl pkcs8 -nocrypt) or use a PKCS12 key store", name)
			}
			return nil, fmt.Errorf("%s: the private key is encrypted: connectd reads only unencrypted PEM keys (openssl pkcs8 -nocrypt) or PKCS12 key stores", name)
		}
	}
	c, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return nil, fmt.Errorf("could not read %s: %w", name, err)
	}
	return &c, nil
}

// Check asks the brokers for their metadata within timeout, so that a wrong password or an
// untrusted certificate stops the worker at startup with a clear error instead of clients that
// retry in the background for ever. what names the client in the error.
func Check(ctx context.Context, cl *kgo.Client, what string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := cl.Ping(ctx)
	if err == nil {
		return nil
	}
	hint, _ := Explain(err)
	return fmt.Errorf("could not reach Kafka with the %s: %s: %w", what, hint, err)
}

// Explain returns what to do about a client's failure to reach Kafka, and whether retrying is
// pointless: a refused password or an untrusted certificate does not fix itself, while a broker
// that is still starting does.
func Explain(err error) (hint string, permanent bool) {
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var tokenErr *TokenError
	msg := err.Error()
	switch {
	case errors.As(err, &tokenErr):
		return "the OAuth token endpoint (sasl.oauthbearer.token.endpoint.url) did not give a token: check it, and clientId, clientSecret and scope in sasl.jaas.config", tokenErr.permanent()
	case errors.As(err, &unknownAuth):
		return "the broker's certificate is not signed by a trusted CA: set ssl.truststore.location (or ssl.truststore.certificates) to the CA that signed it", true
	case errors.As(err, &hostErr):
		return "the broker's certificate does not name the host connectd dialled: fix bootstrap.servers/advertised.listeners, or set ssl.endpoint.identification.algorithm= (empty) to skip the host name check", true
	case errors.As(err, &invalid):
		return "the broker's certificate is not valid (expired, or not for a server)", true
	case strings.Contains(msg, "SASL_AUTHENTICATION_FAILED") || strings.Contains(strings.ToLower(msg), "authentication failed"):
		return "the broker refused the credentials: check the username and password in sasl.jaas.config and sasl.mechanism", true
	case strings.Contains(msg, "UNSUPPORTED_SASL_MECHANISM") || strings.Contains(msg, "ILLEGAL_SASL_STATE"):
		return "the broker does not accept this SASL mechanism on this listener: check sasl.mechanism and security.protocol", true
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "the listener does not speak TLS: check security.protocol and the port", true
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the broker closed the connection: it refused the credentials (check sasl.jaas.config and sasl.mechanism) or expects another security.protocol", false
	case errors.Is(err, context.DeadlineExceeded):
		return "no broker answered in time: check bootstrap.servers, security.protocol (a TLS client on a plain listener, or the reverse, waits) and the network", false
	}
	return "check bootstrap.servers and the security settings", false
}
