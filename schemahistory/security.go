package schemahistory

import (
	"context"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/kafkasec"
)

type workerClientKey struct{}

type workerClient struct {
	brokers []string
	props   map[string]string
}

// WithWorkerClient returns ctx carrying the worker's bootstrap servers and properties, so that a
// Kafka store opened under it inherits the worker's security settings (security.protocol,
// sasl.*, ssl.*, with the producer.* and consumer.* ones for its producing and consuming
// clients) when its brokers are the worker's. Debezium makes a user repeat them under
// schema.history.internal.producer./consumer.; those, when given, still win.
func WithWorkerClient(ctx context.Context, brokers []string, props map[string]string) context.Context {
	return context.WithValue(ctx, workerClientKey{}, workerClient{brokers: brokers, props: props})
}

// securityOptions returns the TLS and SASL options of the store's producing and consuming
// clients.
func securityOptions(ctx context.Context, cfg Config) (prod, cons []kgo.Opt, err error) {
	w, inherit := ctx.Value(workerClientKey{}).(workerClient)
	inherit = inherit && sameCluster(w.brokers, cfg.Kafka.Brokers)
	build := func(own map[string]string, prefix, workerPrefix string) ([]kgo.Opt, error) {
		props := map[string]string{}
		for _, k := range kafkasec.Keys {
			if inherit {
				if v, ok := w.props[k]; ok {
					props[k] = v
				}
				if v, ok := w.props[workerPrefix+k]; ok {
					props[k] = v
				}
			}
			if v, ok := own[k]; ok {
				props[prefix+k] = v
			}
		}
		return kafkasec.Options(props, prefix)
	}
	if prod, err = build(cfg.ProducerProps, producerPrefix, "producer."); err != nil {
		return nil, nil, err
	}
	if cons, err = build(cfg.ConsumerProps, consumerPrefix, "consumer."); err != nil {
		return nil, nil, err
	}
	return prod, cons, nil
}

// sameCluster reports whether two bootstrap lists share a broker: a history topic on another
// cluster must not receive the worker's credentials.
func sameCluster(a, b []string) bool {
	for _, x := range a {
		if slices.ContainsFunc(b, func(y string) bool { return strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(y)) }) {
			return true
		}
	}
	return false
}
