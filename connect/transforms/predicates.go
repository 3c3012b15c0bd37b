package transforms

import (
	"fmt"
	"regexp"

	"github.com/connectd/connectd/connect/api"
)

const kafkaPkg = "org.apache.kafka.connect.transforms."

func init() {
	predicates[kafkaPkg+"predicates.TopicNameMatches"] = func(c Config) (Predicate, error) {
		p, err := c.required("pattern")
		if err != nil {
			return nil, err
		}
		re, err := javaRegexp(p, true)
		if err != nil {
			return nil, fmt.Errorf("Invalid value %s for configuration pattern: %w", p, err)
		}
		return topicNameMatches{re}, nil
	}
	predicates[kafkaPkg+"predicates.HasHeaderKey"] = func(c Config) (Predicate, error) {
		n, err := c.required("name")
		if err != nil {
			return nil, err
		}
		return hasHeaderKey{n}, nil
	}
	predicates[kafkaPkg+"predicates.RecordIsTombstone"] = func(Config) (Predicate, error) { return recordIsTombstone{}, nil }
}

// topicNameMatches is Kafka's TopicNameMatches: the whole topic name matches the pattern.
type topicNameMatches struct{ re *regexp.Regexp }

func (p topicNameMatches) Test(r *api.SourceRecord) bool { return p.re.MatchString(r.Topic) }

// hasHeaderKey is Kafka's HasHeaderKey.
type hasHeaderKey struct{ name string }

func (p hasHeaderKey) Test(r *api.SourceRecord) bool {
	for i := range r.Headers {
		if r.Headers[i].Key == p.name {
			return true
		}
	}
	return false
}

// recordIsTombstone is Kafka's RecordIsTombstone: the value is null.
type recordIsTombstone struct{}

func (recordIsTombstone) Test(r *api.SourceRecord) bool { return r.Value == nil }

// javaRegexp compiles a Java regular expression; whole anchors it as Matcher.matches does. Go's
// RE2 lacks back-references and look-around, which are refused with the reason.
func javaRegexp(p string, whole bool) (*regexp.Regexp, error) {
	if whole {
		p = `^(?:` + p + `)$`
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("the pattern cannot be compiled (connectd uses RE2 syntax, without look-around or back-references): %w", err)
	}
	return re, nil
}
