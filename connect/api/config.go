package api

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ConfigType is a configuration value's type, named as Kafka's ConfigDef.Type so the validate
// endpoint reports the same names.
type ConfigType string

// The configuration types.
const (
	ConfigString   ConfigType = "STRING"
	ConfigInt      ConfigType = "INT"
	ConfigLong     ConfigType = "LONG"
	ConfigShort    ConfigType = "SHORT"
	ConfigDouble   ConfigType = "DOUBLE"
	ConfigBoolean  ConfigType = "BOOLEAN"
	ConfigList     ConfigType = "LIST"
	ConfigClass    ConfigType = "CLASS"
	ConfigPassword ConfigType = "PASSWORD"
)

// Importance is how much a setting matters to a user, as Kafka's ConfigDef.Importance.
type Importance string

// The importance levels.
const (
	High   Importance = "HIGH"
	Medium Importance = "MEDIUM"
	Low    Importance = "LOW"
)

// ConfigKey is the spec of one configuration property, written once in code; it drives
// validation, the validate endpoint and the property reference in docs/properties (written by
// `connectd docs properties -out docs/`; a test fails when the committed pages are stale).
type ConfigKey struct {
	Name        string
	Type        ConfigType
	Default     string
	Required    bool // no default: the user must set it
	Importance  Importance
	Doc         string
	Group       string
	DisplayName string
	// Allowed, when set, is the closed list of accepted values (compared case-insensitively).
	Allowed []string
	// Validate, when set, checks a present value beyond its type; its error is shown to the user.
	Validate func(value string) error
	// Unsupported marks a Debezium property connectd recognises but does not implement yet, so
	// validation reports it instead of silently ignoring it.
	Unsupported bool
	// Matches, when set, makes the key a family: Name is its pattern as Debezium writes it
	// (column.mask.with.(d+).chars) and Matches tells which keys belong to it. The keys are
	// checked where they are read; Validate only knows them (see Known).
	Matches func(name string) bool
	// CheckKey, for a family, checks each of its keys the configuration sets; Validate reports
	// its errors under the family's name.
	CheckKey func(name, value string) error
}

// ConfigSpec is a connector's or worker's full list of configuration keys.
type ConfigSpec []ConfigKey

// ConfigValue is the validation result of one key, as Kafka's ConfigValue.
type ConfigValue struct {
	Name              string
	Value             string
	HasValue          bool
	RecommendedValues []string
	Errors            []string
	Visible           bool
}

// Key returns the spec of name, or nil.
func (s ConfigSpec) Key(name string) *ConfigKey {
	for i := range s {
		if s[i].Name == name {
			return &s[i]
		}
	}
	return nil
}

// Known reports whether name is one of the spec's keys or belongs to one of its families.
func (s ConfigSpec) Known(name string) bool {
	for i := range s {
		if s[i].Name == name || s[i].Matches != nil && s[i].Matches(name) {
			return true
		}
	}
	return false
}

// Nearest returns the spec's key whose name is closest to name by edit distance (families
// left out), and that distance; "" when the spec has no plain key.
func (s ConfigSpec) Nearest(name string) (string, int) {
	best, bestD := "", -1
	for i := range s {
		if s[i].Matches != nil {
			continue
		}
		if d := levenshtein(name, s[i].Name); bestD < 0 || d < bestD {
			best, bestD = s[i].Name, d
		}
	}
	return best, bestD
}

// levenshtein is the edit distance between a and b, in bytes (property names are ASCII).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Validate checks config against the spec and returns one ConfigValue per key of the spec, in
// spec order, plus the number of errors found.
func (s ConfigSpec) Validate(config map[string]string) ([]ConfigValue, int) {
	out := make([]ConfigValue, 0, len(s))
	errs := 0
	for i := range s {
		k := &s[i]
		v, ok := config[k.Name]
		cv := ConfigValue{Name: k.Name, Value: v, HasValue: ok, RecommendedValues: k.Allowed, Visible: true}
		if k.Matches != nil && k.CheckKey != nil {
			for _, name := range sortedKeys(config) {
				if k.Matches(name) {
					if err := k.CheckKey(name, config[name]); err != nil {
						cv.Errors = append(cv.Errors, err.Error())
					}
				}
			}
		}
		if !ok {
			cv.Value = k.Default
			if k.Required {
				cv.Errors = append(cv.Errors, fmt.Sprintf("Missing required configuration %q which has no default value.", k.Name))
			}
		} else {
			if k.Unsupported {
				cv.Errors = append(cv.Errors, fmt.Sprintf("%s is not supported by connectd yet; remove it or leave it at its default", k.Name))
			}
			if err := k.check(v); err != nil {
				cv.Errors = append(cv.Errors, err.Error())
			}
		}
		errs += len(cv.Errors)
		out = append(out, cv)
	}
	return out, errs
}

// check validates a present value against the key's type, allowed list and validator.
func (k *ConfigKey) check(v string) error {
	t := strings.TrimSpace(v)
	if k.IsSecret() {
		// Kafka prints passwords as [hidden] in validation errors; so do we.
		v = "[hidden]"
	}
	switch k.Type {
	case ConfigInt, ConfigShort:
		if _, err := strconv.ParseInt(t, 10, 32); err != nil {
			return fmt.Errorf("Invalid value %s for configuration %s: Not a number of type %s", v, k.Name, k.Type)
		}
	case ConfigLong:
		if _, err := strconv.ParseInt(t, 10, 64); err != nil {
			return fmt.Errorf("Invalid value %s for configuration %s: Not a number of type LONG", v, k.Name)
		}
	case ConfigDouble:
		if _, err := strconv.ParseFloat(t, 64); err != nil {
			return fmt.Errorf("Invalid value %s for configuration %s: Not a number of type DOUBLE", v, k.Name)
		}
	case ConfigBoolean:
		if !strings.EqualFold(t, "true") && !strings.EqualFold(t, "false") {
			return fmt.Errorf("Invalid value %s for configuration %s: Expected value to be either true or false", v, k.Name)
		}
	}
	if len(k.Allowed) > 0 {
		found := false
		for _, a := range k.Allowed {
			if strings.EqualFold(a, t) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("Invalid value %s for configuration %s: must be one of %s", v, k.Name, strings.Join(k.Allowed, ", "))
		}
	}
	if k.Validate != nil {
		if err := k.Validate(v); err != nil {
			return fmt.Errorf("Invalid value %s for configuration %s: %v", v, k.Name, err)
		}
	}
	return nil
}

// IsSecret reports whether the key's value must never be shown (logs, REST, status traces).
func (k *ConfigKey) IsSecret() bool { return k.Type == ConfigPassword }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
