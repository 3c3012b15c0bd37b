package runtime

import (
	"context"
	"strings"
	"testing"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/tests/generator"
)

// plainConnector is a connector that does not answer the exactly-once preflight check.
type plainConnector struct{ api.SourceConnector }

// unsupportedConnector answers UNSUPPORTED.
type unsupportedConnector struct{ plainConnector }

func (unsupportedConnector) ExactlyOnceSupport(map[string]string) api.ExactlyOnceSupport {
	return api.ExactlyOnceUnsupported
}

// The exactly-once settings are validated with Kafka Connect's messages.
func TestExactlyOnceValidation(t *testing.T) {
	reg, err := plugins.New(generator.Plugin(),
		api.Plugin{Class: "test.Plain", Version: "1", New: func() api.SourceConnector { return &plainConnector{&generator.Connector{}} }},
		api.Plugin{Class: "test.Unsupported", Version: "1", New: func() api.SourceConnector { return &unsupportedConnector{plainConnector{&generator.Connector{}}} }})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		config  map[string]string
		enabled bool
		want    map[string]string // key → part of its error; empty: no error
	}{
		{"defaults", map[string]string{}, false, nil},
		{"requested without worker support", map[string]string{"exactly.once.support": "requested"}, false, nil},
		{"required supported", map[string]string{"exactly.once.support": "REQUIRED"}, true, nil},
		{"required without worker support", map[string]string{"exactly.once.support": "required"}, false,
			map[string]string{"exactly.once.support": "This worker does not have exactly-once source support enabled."}},
		{"required, connector without the API", map[string]string{"connector.class": "test.Plain", "exactly.once.support": "required"}, true,
			map[string]string{"exactly.once.support": "The connector does not implement the API required for preflight validation of exactly-once source support."}},
		{"required, unsupported", map[string]string{"connector.class": "test.Unsupported", "exactly.once.support": "required"}, true,
			map[string]string{"exactly.once.support": "The connector does not support exactly-once semantics with the provided configuration."}},
		{"bad support value", map[string]string{"exactly.once.support": "always"}, true,
			map[string]string{"exactly.once.support": "Invalid value always for configuration exactly.once.support"}},
		{"poll", map[string]string{"transaction.boundary": "poll"}, true, nil},
		{"interval", map[string]string{"transaction.boundary": "interval", "transaction.boundary.interval.ms": "250"}, true, nil},
		{"connector boundaries", map[string]string{"transaction.boundary": "connector"}, true,
			map[string]string{"transaction.boundary": "The connector does not support connector-defined transaction boundaries with the given configuration."}},
		{"bad boundary", map[string]string{"transaction.boundary": "batch"}, true,
			map[string]string{"transaction.boundary": "Invalid value batch for configuration transaction.boundary"}},
		{"negative interval", map[string]string{"transaction.boundary": "interval", "transaction.boundary.interval.ms": "-1"}, true,
			map[string]string{"transaction.boundary.interval.ms": "Value must be at least 0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := map[string]string{"name": "c", "connector.class": generator.Class, "topic": "t"}
			for k, v := range c.config {
				cfg[k] = v
			}
			probs := eosChecks(reg, cfg, c.enabled)
			got := map[string][]string{}
			for _, p := range probs {
				got[p.Value.Name] = append(got[p.Value.Name], p.Value.Errors...)
			}
			if len(got) != len(c.want) {
				t.Fatalf("errors %q, want %q", got, c.want)
			}
			for k, want := range c.want {
				if len(got[k]) != 1 || !strings.Contains(got[k][0], want) {
					t.Fatalf("errors of %s: %q, want one containing %q", k, got[k], want)
				}
			}
		})
	}
}

func TestTransactionalID(t *testing.T) {
	if got := TransactionalID("connect-cluster", "inventory", 3); got != "connect-cluster-inventory-3" {
		t.Fatalf("TransactionalID = %q, want Kafka Connect's ${groupId}-${connector}-${taskId}", got)
	}
}

// A standalone worker refuses exactly.once.source.support=enabled before it opens anything.
func TestStandaloneRefusesExactlyOnce(t *testing.T) {
	err := RunStandalone(context.Background(), Options{Config: &workerconfig.Worker{ExactlyOnce: "enabled", Props: map[string]string{}}})
	if err == nil || !strings.Contains(err.Error(), "only available in distributed mode") {
		t.Fatalf("RunStandalone with exactly.once.source.support=enabled: %v", err)
	}
}
