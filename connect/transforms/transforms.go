// Package transforms implements Kafka Connect's single message transforms and predicates (the
// org.apache.kafka.connect.transforms built-ins and Debezium's SMTs) by their Java class names, and
// the chain a connector's `transforms` and `predicates` settings describe.
//
// A chain is built once when a task starts: every setting is parsed, every regular expression
// compiled and every derived schema cached by the input schema's pointer (schemas are immutable and
// shared by all the records of a table), so applying it to a record needs no reflection and no
// parsing.
package transforms

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect/api"
)

// Transformation changes one record. It returns the changed record, or nil to drop it. It must not
// modify r or anything r points to: the returned record is a new one sharing what did not change.
// A Transformation is used by one goroutine (each task has its own chain).
type Transformation interface {
	Apply(r *api.SourceRecord) (*api.SourceRecord, error)
}

// Predicate tells whether a transformation applies to a record.
type Predicate interface {
	Test(r *api.SourceRecord) bool
}

// Config is the settings of one transformation or predicate, with the `transforms.<alias>.` or
// `predicates.<alias>.` prefix removed.
type Config map[string]string

// factory builds a transformation from its settings; bad settings are an error naming the setting.
type factory func(c Config) (Transformation, error)

// predicateFactory builds a predicate from its settings.
type predicateFactory func(c Config) (Predicate, error)

var (
	transformations = map[string]factory{}
	predicates      = map[string]predicateFactory{}
)

// register adds a transformation under its class name; a class with key and value variants is
// registered as class$Key and class$Value by registerKV.
func register(class string, f factory) { transformations[class] = f }

// registerKV registers class$Key and class$Value, calling mk with whether it works on the key.
func registerKV(class string, mk func(c Config, key bool) (Transformation, error)) {
	register(class+"$Key", func(c Config) (Transformation, error) { return mk(c, true) })
	register(class+"$Value", func(c Config) (Transformation, error) { return mk(c, false) })
}

// Classes returns the transformation class names connectd provides, sorted.
func Classes() []string {
	out := make([]string, 0, len(transformations))
	for k := range transformations {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PredicateClasses returns the predicate class names connectd provides, sorted.
func PredicateClasses() []string {
	out := make([]string, 0, len(predicates))
	for k := range predicates {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// step is one transformation of a chain with its optional predicate.
type step struct {
	alias, class string
	t            Transformation
	pred         Predicate
	negate       bool
}

// Chain is a connector's transformations in the order of its `transforms` setting.
type Chain struct {
	steps []step
}

// Len returns the number of transformations; a nil chain has none.
func (c *Chain) Len() int {
	if c == nil {
		return 0
	}
	return len(c.steps)
}

// Apply runs r through the chain. It returns nil when a transformation dropped the record. An
// error names the transformation's alias and class.
func (c *Chain) Apply(r *api.SourceRecord) (*api.SourceRecord, error) {
	if c == nil {
		return r, nil
	}
	for i := range c.steps {
		s := &c.steps[i]
		if s.pred != nil && s.pred.Test(r) == s.negate {
			continue
		}
		out, err := s.t.Apply(r)
		if err != nil {
			return nil, fmt.Errorf("transformation %s (%s) failed: %w", s.alias, s.class, err)
		}
		if out == nil {
			return nil, nil
		}
		r = out
	}
	return r, nil
}

// Problem is one invalid transform or predicate setting, for the validation answer.
type Problem struct {
	Key, Msg string
}

// List splits a Kafka Connect list setting: comma-separated, blanks trimmed, empty items dropped.
func List(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// sub returns the settings under prefix, the prefix removed.
func sub(config map[string]string, prefix string) Config {
	out := Config{}
	for k, v := range config {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}

// New builds the chain a connector configuration describes, or returns the problems that make it
// invalid (all of them, so the validation answer lists every one). No transforms gives a nil chain.
func New(config map[string]string) (*Chain, []Problem) {
	var probs []Problem
	preds := map[string]Predicate{}
	for _, alias := range List(config["predicates"]) {
		key := "predicates." + alias + ".type"
		class := strings.TrimSpace(config[key])
		if class == "" {
			probs = append(probs, Problem{key, fmt.Sprintf("Missing required configuration \"%s\" which has no default value.", key)})
			continue
		}
		f, ok := predicates[class]
		if !ok {
			probs = append(probs, Problem{key, fmt.Sprintf("Invalid value %s for configuration %s: Class %s could not be found; connectd provides the predicates %s", class, key, class, strings.Join(PredicateClasses(), ", "))})
			continue
		}
		p, err := f(sub(config, "predicates."+alias+"."))
		if err != nil {
			probs = append(probs, Problem{key, fmt.Sprintf("Invalid configuration of predicate %s (%s): %v", alias, class, err)})
			continue
		}
		preds[alias] = p
	}
	aliases := List(config["transforms"])
	if len(aliases) == 0 {
		return nil, probs
	}
	c := &Chain{}
	seen := map[string]bool{}
	for _, alias := range aliases {
		if seen[alias] {
			probs = append(probs, Problem{"transforms", fmt.Sprintf("Invalid value %s for configuration transforms: Duplicate alias provided.", config["transforms"])})
			continue
		}
		seen[alias] = true
		prefix := "transforms." + alias + "."
		key := prefix + "type"
		class := strings.TrimSpace(config[key])
		if class == "" {
			probs = append(probs, Problem{key, fmt.Sprintf("Missing required configuration \"%s\" which has no default value.", key)})
			continue
		}
		f, ok := transformations[class]
		if !ok {
			probs = append(probs, Problem{key, fmt.Sprintf("Invalid value %s for configuration %s: Class %s could not be found; connectd provides the transformations %s", class, key, class, strings.Join(Classes(), ", "))})
			continue
		}
		tc := sub(config, prefix)
		if msg := unsupportedKafkaOption(class, tc); msg != "" {
			probs = append(probs, Problem{prefix + "type", fmt.Sprintf("Invalid configuration of transformation %s (%s): %s", alias, class, msg)})
			continue
		}
		t, err := f(tc)
		if err != nil {
			probs = append(probs, Problem{key, fmt.Sprintf("Invalid configuration of transformation %s (%s): %v", alias, class, err)})
			continue
		}
		s := step{alias: alias, class: class, t: t}
		if pa := strings.TrimSpace(config[prefix+"predicate"]); pa != "" {
			p, ok := preds[pa]
			if !ok {
				if _, declared := config["predicates."+pa+".type"]; !declared || !contains(List(config["predicates"]), pa) {
					probs = append(probs, Problem{prefix + "predicate", fmt.Sprintf("Invalid value %s for configuration %spredicate: The predicate alias %s is not listed in predicates", pa, prefix, pa)})
				}
				continue
			}
			s.pred = p
			if nv, ok := config[prefix+"negate"]; ok {
				b, err := parseBool(nv)
				if err != nil {
					probs = append(probs, Problem{prefix + "negate", fmt.Sprintf("Invalid value %s for configuration %snegate: Expected value to be either true or false", nv, prefix)})
					continue
				}
				s.negate = b
			}
		} else if _, ok := config[prefix+"negate"]; ok && strings.TrimSpace(config[prefix+"negate"]) == "true" {
			probs = append(probs, Problem{prefix + "negate", fmt.Sprintf("Invalid value true for configuration %snegate: negate needs a predicate", prefix)})
			continue
		}
		c.steps = append(c.steps, s)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return c, nil
}

// unsupportedKafkaOption refuses the newer Kafka options connectd does not implement rather than
// ignoring them: nested field paths (KIP-821) and keeping nulls instead of defaults (KIP-1040).
func unsupportedKafkaOption(class string, c Config) string {
	if !strings.HasPrefix(class, kafkaPkg) {
		return ""
	}
	if v := c.str("field.syntax.version", "V1"); !strings.EqualFold(v, "V1") {
		return "field.syntax.version=" + v + " (nested field paths) is not supported by connectd; only V1"
	}
	if v := c.str("replace.null.with.default", "true"); !strings.EqualFold(v, "true") {
		return "replace.null.with.default=" + v + " is not supported by connectd: null fields take their schema default, as by default in Kafka"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("expected true or false, got %q", v)
}

// str returns a string setting, def when unset.
func (c Config) str(name, def string) string {
	if v, ok := c[name]; ok {
		return strings.TrimSpace(v)
	}
	return def
}

// required returns a string setting that must be set and not empty.
func (c Config) required(name string) (string, error) {
	v := strings.TrimSpace(c[name])
	if v == "" {
		return "", fmt.Errorf("Missing required configuration \"%s\" which has no default value.", name)
	}
	return v, nil
}

// list returns a list setting.
func (c Config) list(name string) []string { return List(c[name]) }

// boolean returns a boolean setting, def when unset.
func (c Config) boolean(name string, def bool) (bool, error) {
	v, ok := c[name]
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	b, err := parseBool(v)
	if err != nil {
		return false, fmt.Errorf("Invalid value %s for configuration %s: Expected value to be either true or false", v, name)
	}
	return b, nil
}

// integer returns an int setting, def when unset.
func (c Config) integer(name string, def int) (int, error) {
	v, ok := c[name]
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("Invalid value %s for configuration %s: Not a number of type INT", v, name)
	}
	return n, nil
}

// oneOf returns a setting restricted to allowed values (case-insensitive), def when unset.
func (c Config) oneOf(name, def string, allowed ...string) (string, error) {
	v := c.str(name, def)
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a, nil
		}
	}
	return "", fmt.Errorf("Invalid value %s for configuration %s: String must be one of: %s", v, name, strings.Join(allowed, ", "))
}
