package kafkasec

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// HTTPSPrefix is the prefix of the REST listener's TLS settings in a Kafka Connect worker file
// (listeners.https.ssl.keystore.location and so on).
const HTTPSPrefix = "listeners.https."

// allOrNothing reads keys as Kafka's AbstractConfig.valuesWithPrefixAllOrNothing does: when any
// property starts with prefix, only the prefixed ones count; otherwise the unprefixed ones do.
// Kafka Connect reads the REST server's and client's TLS settings this way, so one stray
// listeners.https.* key hides every unprefixed ssl.* key.
func allOrNothing(props map[string]string, prefix string) getter {
	use := ""
	for k := range props {
		if prefix != "" && strings.HasPrefix(k, prefix) {
			use = prefix
			break
		}
	}
	return func(key string) (string, string, bool) {
		v, ok := props[use+key]
		return strings.TrimSpace(v), use + key, ok
	}
}

// HTTPSServer returns the TLS configuration of an https:// REST listener: its certificate from
// the key store (required), and, with ssl.client.auth=requested or required, client
// certificates checked against the trust store.
func HTTPSServer(props map[string]string, prefix string) (*tls.Config, error) {
	get := allOrNothing(props, prefix)
	cfg, err := tlsConfig(get)
	if err != nil {
		return nil, fmt.Errorf("could not set up TLS for the https REST listener: %w", err)
	}
	if len(cfg.Certificates) == 0 {
		return nil, fmt.Errorf("listeners=https://... needs a key store with the server's certificate: set %sssl.keystore.location (and ssl.keystore.password), or ssl.keystore.certificate.chain and ssl.keystore.key", prefix)
	}
	// The trust store of a server only checks client certificates.
	cfg.ClientCAs, cfg.RootCAs = cfg.RootCAs, nil
	cfg.InsecureSkipVerify, cfg.VerifyConnection = false, nil
	auth, authKey, _ := get("ssl.client.auth")
	switch strings.ToLower(auth) {
	case "", "none":
		cfg.ClientAuth = tls.NoClientCert
	case "requested":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("%s=%s: use none, requested or required", authKey, auth)
	}
	if cfg.ClientAuth != tls.NoClientCert && cfg.ClientCAs == nil {
		return nil, fmt.Errorf("%s=%s needs a trust store with the CA of the clients' certificates: set %sssl.truststore.location", authKey, auth, prefix)
	}
	return cfg, nil
}

// HTTPSClient returns the TLS configuration a worker uses to call another worker's https:// REST
// listener (forwarding to the leader): the same trust store, key store and host name check as
// the listener's settings.
func HTTPSClient(props map[string]string, prefix string) (*tls.Config, error) {
	cfg, err := tlsConfig(allOrNothing(props, prefix))
	if err != nil {
		return nil, fmt.Errorf("could not set up TLS for calls to other workers' REST listeners: %w", err)
	}
	return cfg, nil
}

// JAASModule is one login module of a JAAS configuration.
type JAASModule struct {
	// Class is the login module's class name.
	Class string
	// Flag is required, requisite, sufficient or optional.
	Flag string
	// Options are the module's key=value options.
	Options map[string]string
}

// ParseJAASFile parses a JAAS configuration file (java.security.auth.login.config): named
// sections "Name { module flag key=value ...; ... };". It returns the modules of each section.
func ParseJAASFile(text string) (map[string][]JAASModule, error) {
	out := map[string][]JAASModule{}
	p := jaasParser{s: text}
	for {
		name, kind, err := p.next()
		if err != nil {
			return nil, err
		}
		if kind == tokEOF {
			break
		}
		if kind != tokWord {
			return nil, fmt.Errorf("expected a section name, found %q", name)
		}
		name, open := strings.CutSuffix(name, "{")
		if !open {
			if tok, _, err := p.next(); err != nil {
				return nil, err
			} else if tok != "{" {
				return nil, fmt.Errorf("section %s: expected '{' after its name", name)
			}
		}
		start, end := p.pos, -1
		for end < 0 {
			tok, kind, err := p.next()
			if err != nil {
				return nil, fmt.Errorf("section %s: %w", name, err)
			}
			switch {
			case kind == tokEOF:
				return nil, fmt.Errorf("section %s: no closing '}'", name)
			case kind == tokWord && tok == "}":
				end = p.pos - 1
			}
		}
		mods, err := parseJAAS(p.s[start:end])
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", name, err)
		}
		if tok, kind, err := p.next(); err != nil {
			return nil, err
		} else if kind != tokSemi {
			return nil, fmt.Errorf("section %s: expected ';' after its closing '}', found %q", name, tok)
		}
		for _, m := range mods {
			out[name] = append(out[name], JAASModule{Class: m.class, Flag: m.flag, Options: m.options})
		}
	}
	return out, nil
}
