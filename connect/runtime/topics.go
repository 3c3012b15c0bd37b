package runtime

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// topicCreation is a source connector's KIP-158 settings: topics it writes to for the first time
// are created with the partitions, replication factor and topic configs of the first
// topic.creation.groups group whose include patterns match the name and exclude patterns do not,
// else of the default group. It is used when the connector sets
// topic.creation.default.replication.factor and .partitions (and the worker does not set
// topic.creation.enable=false).
type topicCreation struct {
	groups []topicGroup // in topic.creation.groups order
	def    topicGroup
}

type topicGroup struct {
	name       string
	include    []*regexp.Regexp
	exclude    []*regexp.Regexp
	rf         int16
	partitions int32
	configs    map[string]*string
}

const topicCreationPrefix = "topic.creation."

// usesTopicCreation reports whether a connector configuration has any topic.creation.* setting,
// as Kafka Connect's SourceConnectorConfig.usesTopicCreation.
func usesTopicCreation(cfg map[string]string) bool {
	for k := range cfg {
		if strings.HasPrefix(k, topicCreationPrefix) {
			return true
		}
	}
	return false
}

// topicCreationProblem is one invalid topic.creation.* setting.
type topicCreationProblem struct{ key, msg string }

// parseTopicCreation reads a connector's topic.creation.* settings; nil without any. Every
// problem is returned, so validation can list them all.
func parseTopicCreation(cfg map[string]string) (*topicCreation, []topicCreationProblem) {
	if !usesTopicCreation(cfg) {
		return nil, nil
	}
	var probs []topicCreationProblem
	fail := func(key, format string, args ...any) {
		probs = append(probs, topicCreationProblem{key: key, msg: fmt.Sprintf(format, args...)})
	}
	tc := &topicCreation{}
	readGroup := func(name string, def *topicGroup) topicGroup {
		prefix := topicCreationPrefix + name + "."
		g := topicGroup{name: name, configs: map[string]*string{}, rf: -1, partitions: -1}
		if def != nil {
			g.rf, g.partitions = def.rf, def.partitions
		}
		for _, which := range []string{"include", "exclude"} {
			key := prefix + which
			v, ok := cfg[key]
			if !ok && name == "default" && which == "include" {
				v, ok = ".*", true
			}
			if !ok {
				continue
			}
			for _, p := range splitList(v) {
				re, err := regexp.Compile("^(?:" + p + ")$")
				if err != nil {
					fail(key, "Invalid value %s for configuration %s: Syntax error in regular expression: %v", v, key, err)
					continue
				}
				if which == "include" {
					g.include = append(g.include, re)
				} else {
					g.exclude = append(g.exclude, re)
				}
			}
		}
		rfKey, pKey := prefix+"replication.factor", prefix+"partitions"
		if v, ok := cfg[rfKey]; ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 16)
			if err != nil || (n < 1 && n != -1) {
				fail(rfKey, "Invalid value %s for configuration %s: Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default", v, rfKey)
			}
			g.rf = int16(n)
		} else if name == "default" {
			fail(rfKey, "Missing required configuration \"%s\" which has no default value.", rfKey)
		}
		if v, ok := cfg[pKey]; ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil || (n < 1 && n != -1) {
				fail(pKey, "Invalid value %s for configuration %s: Number of partitions must be positive, or -1 to use the broker's default", v, pKey)
			}
			g.partitions = int32(n)
		} else if name == "default" {
			fail(pKey, "Missing required configuration \"%s\" which has no default value.", pKey)
		}
		for k, v := range cfg {
			rest, ok := strings.CutPrefix(k, prefix)
			if !ok || rest == "include" || rest == "exclude" || rest == "replication.factor" || rest == "partitions" {
				continue
			}
			g.configs[rest] = &v
		}
		return g
	}
	tc.def = readGroup("default", nil)
	for _, name := range splitList(cfg[topicCreationPrefix+"groups"]) {
		if name == "default" {
			continue // Kafka Connect ignores "default" in the list: it always exists
		}
		tc.groups = append(tc.groups, readGroup(name, &tc.def))
	}
	return tc, probs
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// group returns the settings a new topic gets.
func (tc *topicCreation) group(topic string) *topicGroup {
	for i := range tc.groups {
		if tc.groups[i].matches(topic) {
			return &tc.groups[i]
		}
	}
	return &tc.def
}

func (g *topicGroup) matches(topic string) bool {
	for _, re := range g.exclude {
		if re.MatchString(topic) {
			return false
		}
	}
	for _, re := range g.include {
		if re.MatchString(topic) {
			return true
		}
	}
	return false
}

// topicCreator creates topics for the worker's tasks and remembers which exist.
type topicCreator struct {
	admin *kadm.Client
	known sync.Map // topic name → struct{}
}

// ensure creates topic with tc's settings unless it exists. A topic created meanwhile by someone
// else (TOPIC_ALREADY_EXISTS) is fine.
func (c *topicCreator) ensure(ctx context.Context, tc *topicCreation, topic string) error {
	if _, ok := c.known.Load(topic); ok {
		return nil
	}
	if c.admin == nil {
		return errors.New("topic creation needs an admin client, and this worker has none")
	}
	// Create straight away: asking for metadata first would let the broker auto-create the
	// topic with its defaults (the worker's client allows auto-creation, as the Java producer
	// does), and TOPIC_ALREADY_EXISTS answers "does it exist" just as well.
	g := tc.group(topic)
	resp, err := c.admin.CreateTopic(ctx, g.partitions, g.rf, g.configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("could not create topic %s with the settings of topic creation group %q (%d partitions, replication factor %d): %w; fix the topic.creation.%s.* settings or create the topic yourself",
			topic, g.name, g.partitions, g.rf, err, g.name)
	}
	c.known.Store(topic, struct{}{})
	return nil
}
