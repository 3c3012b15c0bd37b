package plugins

import (
	"strings"

	"github.com/connectd/connectd/connect/api"
)

// Hidden is what connectd shows instead of a secret value, everywhere: REST responses
// (GET /connectors/{c}/config, connector info, validation results) and logs. It is the string Kafka
// prints for a PASSWORD value ("[hidden]"), so tooling that already recognises Kafka's hidden
// values recognises ours.
//
// A config written back with Hidden as the value of a secret key keeps the stored secret, so a
// GET → edit → PUT round trip never overwrites a password with the mask.
const Hidden = "[hidden]"

// IsSecret reports whether the value of key in a connector configuration must not be shown. A key
// is secret when the plugin's spec declares it PASSWORD, or when its name says so even though no
// spec knows it (pass-through client settings such as producer.override.sasl.jaas.config or
// schema.history.internal.consumer.ssl.keystore.password): hiding an unknown key that looks like
// a secret is cheap, showing a password is not.
func IsSecret(spec api.ConfigSpec, key string) bool {
	if k := spec.Key(key); k != nil && k.IsSecret() {
		return true
	}
	return looksSecret(key)
}

func looksSecret(key string) bool {
	k := strings.ToLower(key)
	last := k
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		last = k[i+1:]
	}
	return strings.Contains(last, "password") || strings.HasSuffix(k, "sasl.jaas.config") || strings.HasSuffix(k, "ssl.keystore.key") ||
		strings.HasSuffix(k, ".secret") || strings.HasSuffix(k, "secret.key") || last == "passphrase"
}

// Spec returns the spec of the plugin named by config's connector.class, or nil when unknown.
func (r *Registry) Spec(config map[string]string) api.ConfigSpec {
	if p, ok := r.Lookup(config["connector.class"]); ok {
		return p.Spec
	}
	return nil
}

// Mask returns a copy of config with every secret value replaced by Hidden, judged by the spec of
// the plugin config names. Empty values stay empty, so a user can still see that a password was
// left unset.
func (r *Registry) Mask(config map[string]string) map[string]string {
	return MaskWith(r.Spec(config), config)
}

// MaskWith is Mask with the plugin's spec given, for configurations that do not name their plugin
// (task configurations).
func MaskWith(spec api.ConfigSpec, config map[string]string) map[string]string {
	if config == nil {
		return nil
	}
	out := make(map[string]string, len(config))
	for k, v := range config {
		if v != "" && IsSecret(spec, k) {
			v = Hidden
		}
		out[k] = v
	}
	return out
}

// Unmask returns updated with every secret whose value is Hidden replaced by the value it has in
// stored (the configuration being replaced). A Hidden secret without a stored value is dropped: the
// mask is never stored as a password.
func (r *Registry) Unmask(updated, stored map[string]string) map[string]string {
	spec := r.Spec(updated)
	out := make(map[string]string, len(updated))
	for k, v := range updated {
		if v == Hidden && IsSecret(spec, k) {
			old, ok := stored[k]
			if !ok || old == Hidden {
				continue
			}
			v = old
		}
		out[k] = v
	}
	return out
}
