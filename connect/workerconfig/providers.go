package workerconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Config provider class names (KIP-297) that connectd implements.
const (
	FileConfigProviderClass      = "org.apache.kafka.common.config.provider.FileConfigProvider"
	DirectoryConfigProviderClass = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
	EnvVarConfigProviderClass    = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
)

// variable matches ${provider:path:key} and ${provider:key} as Kafka's ConfigTransformer does.
var variable = regexp.MustCompile(`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`)

// provider answers the keys of one path; a key it does not have is absent from the result.
type provider interface {
	get(path string, keys []string) (map[string]string, error)
}

// Providers resolves ${provider:path:key} references with the providers a worker configures
// under config.providers. The zero value and nil resolve nothing.
type Providers struct {
	byName map[string]provider
}

// HasVariables reports whether a value holds a ${...} reference.
func HasVariables(v string) bool { return strings.Contains(v, "${") && variable.MatchString(v) }

// NewProviders builds the providers listed in config.providers from their
// config.providers.<name>.class and config.providers.<name>.param.* settings.
func NewProviders(props map[string]string) (*Providers, error) {
	p := &Providers{byName: map[string]provider{}}
	for _, name := range splitList(props["config.providers"]) {
		prefix := "config.providers." + name + "."
		class := strings.TrimSpace(props[prefix+"class"])
		params := map[string]string{}
		for k, v := range props {
			if strings.HasPrefix(k, prefix+"param.") {
				params[strings.TrimPrefix(k, prefix+"param.")] = v
			}
		}
		var allowed []string
		if v, ok := params["allowed.paths"]; ok {
			for _, a := range splitList(v) {
				if !filepath.IsAbs(a) {
					return nil, fmt.Errorf("config provider %s: allowed.paths entry %q is not an absolute path; list absolute directories or files", name, a)
				}
				allowed = append(allowed, filepath.Clean(a))
			}
		}
		switch class {
		case "":
			return nil, fmt.Errorf("config provider %s is listed in config.providers but %sclass is not set; set it to one of %s, %s, %s", name, prefix, FileConfigProviderClass, DirectoryConfigProviderClass, EnvVarConfigProviderClass)
		case FileConfigProviderClass:
			p.byName[name] = fileProvider{allowed: allowed}
		case DirectoryConfigProviderClass:
			p.byName[name] = dirProvider{allowed: allowed}
		case EnvVarConfigProviderClass:
			pattern := ".*"
			if v, ok := params["allowlist.pattern"]; ok {
				pattern = v
			}
			re, err := regexp.Compile("^(?:" + pattern + ")$")
			if err != nil {
				return nil, fmt.Errorf("config provider %s: allowlist.pattern %q is not a valid regular expression: %w", name, pattern, err)
			}
			p.byName[name] = envProvider{allow: re}
		default:
			return nil, fmt.Errorf("config provider %s: class %s is not supported; use %s, %s or %s", name, class, FileConfigProviderClass, DirectoryConfigProviderClass, EnvVarConfigProviderClass)
		}
	}
	return p, nil
}

// Transform returns config with every resolvable ${provider:path:key} replaced by its value.
// A reference to an unknown provider or a missing key stays as written, as in Kafka Connect.
// Errors name the provider, path and key but never a value, since values are secrets.
func (p *Providers) Transform(config map[string]string) (map[string]string, error) {
	if p == nil || len(p.byName) == 0 {
		return config, nil
	}
	// Collect keys per provider and path first so each file is read once.
	type pp struct{ provider, path string }
	wanted := map[pp]map[string]bool{}
	for _, v := range config {
		if !strings.Contains(v, "${") {
			continue
		}
		for _, m := range variable.FindAllStringSubmatch(v, -1) {
			if _, ok := p.byName[m[1]]; !ok {
				continue
			}
			k := pp{m[1], m[3]}
			if wanted[k] == nil {
				wanted[k] = map[string]bool{}
			}
			wanted[k][m[4]] = true
		}
	}
	if len(wanted) == 0 {
		return config, nil
	}
	lookups := map[pp]map[string]string{}
	for k, keys := range wanted {
		list := make([]string, 0, len(keys))
		for key := range keys {
			list = append(list, key)
		}
		sort.Strings(list)
		data, err := p.byName[k.provider].get(k.path, list)
		if err != nil {
			return nil, fmt.Errorf("could not resolve config provider references ${%s:%s:...}: %w", k.provider, k.path, err)
		}
		lookups[k] = data
	}
	out := make(map[string]string, len(config))
	for name, v := range config {
		if !strings.Contains(v, "${") {
			out[name] = v
			continue
		}
		out[name] = variable.ReplaceAllStringFunc(v, func(ref string) string {
			m := variable.FindStringSubmatch(ref)
			if val, ok := lookups[pp{m[1], m[3]}][m[4]]; ok {
				return val
			}
			return ref
		})
	}
	return out, nil
}

// ReverseTransform puts raw references back into configs a connector derived from resolved
// (e.g. task configurations), so resolved secrets are not stored: a key whose raw value holds a
// reference and whose derived value equals the resolved one gets the raw value back, as Kafka
// Connect's reverseTransform does.
func ReverseTransform(raw, resolved map[string]string, derived []map[string]string) []map[string]string {
	out := make([]map[string]string, len(derived))
	for i, d := range derived {
		c := make(map[string]string, len(d))
		for k, v := range d {
			if r, ok := raw[k]; ok && HasVariables(r) && resolved[k] == v {
				v = r
			}
			c[k] = v
		}
		out[i] = c
	}
	return out
}

// allowedPath reports whether path is inside one of allowed (all paths when allowed is nil).
func allowedPath(allowed []string, path string) bool {
	if allowed == nil {
		return true
	}
	if !filepath.IsAbs(path) {
		return false
	}
	clean := filepath.Clean(path)
	for _, a := range allowed {
		if clean == a || strings.HasPrefix(clean, strings.TrimSuffix(a, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// fileProvider reads keys from a properties file, like Kafka's FileConfigProvider.
type fileProvider struct{ allowed []string }

func (f fileProvider) get(path string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	if !allowedPath(f.allowed, path) {
		return nil, fmt.Errorf("path %s is not in allowed.paths of the provider; add its directory to allowed.paths", path)
	}
	props, err := ReadPropertiesFile(path)
	if err != nil {
		return nil, fmt.Errorf("could not read properties from file %s: %w", path, stripValues(err))
	}
	for _, k := range keys {
		if v, ok := props[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

// stripValues keeps an error about a secrets file from quoting its contents: only the file-level
// cause is kept.
func stripValues(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe
	}
	return errors.New("the file is not a valid properties file")
}

// dirProvider reads each key as a file name in the directory path, like Kafka's
// DirectoryConfigProvider: the whole file content is the value; sub-directories are not read.
type dirProvider struct{ allowed []string }

func (d dirProvider) get(path string, keys []string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	if !allowedPath(d.allowed, path) {
		return nil, fmt.Errorf("path %s is not in allowed.paths of the provider; add it to allowed.paths", path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("could not read directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", path)
	}
	for _, k := range keys {
		if k == "" || strings.ContainsRune(k, filepath.Separator) || k == "." || k == ".." {
			continue
		}
		f := filepath.Join(path, k)
		fi, err := os.Stat(f)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("could not read file %s: %w", f, err)
		}
		out[k] = string(b)
	}
	return out, nil
}

// envProvider reads environment variables whose names match allowlist.pattern, like Kafka's
// EnvVarConfigProvider; it takes no path.
type envProvider struct{ allow *regexp.Regexp }

func (e envProvider) get(path string, keys []string) (map[string]string, error) {
	if path != "" {
		return nil, fmt.Errorf("path is not supported for EnvVarConfigProvider, invalid value %q; write ${name:VARIABLE}", path)
	}
	out := map[string]string{}
	for _, k := range keys {
		if !e.allow.MatchString(k) {
			continue
		}
		if v, ok := os.LookupEnv(k); ok {
			out[k] = v
		}
	}
	return out, nil
}
