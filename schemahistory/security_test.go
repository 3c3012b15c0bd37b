package schemahistory

import (
	"context"
	"strings"
	"testing"
)

func TestParseConfigRefusesBadSecurity(t *testing.T) {
	_, err := ParseConfig(map[string]string{
		PropKafkaTopic: "h", PropKafkaBootstrapServers: "k:9092",
		"schema.history.internal.producer.security.protocol": "SASL_SSL",
		"schema.history.internal.producer.sasl.mechanism":    "GSSAPI",
		"schema.history.internal.producer.sasl.jaas.config":  `x required password="topsecret";`,
	})
	if err == nil || !strings.Contains(err.Error(), "GSSAPI") || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("got %v, want a GSSAPI refusal without the password", err)
	}
}

func TestSecurityInheritedFromWorkerCluster(t *testing.T) {
	worker := map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.jaas.config":           `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`,
		"consumer.security.protocol": "SSL"}
	ctx := WithWorkerClient(context.Background(), []string{"a:9093", "b:9093"}, worker)
	cfg := Config{Kafka: KafkaOptions{Brokers: []string{"b:9093"}}}
	prod, cons, err := securityOptions(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// SASL + TLS for the producer, TLS only for the consumer (consumer.* over the worker's).
	if len(prod) != 2 || len(cons) != 1 {
		t.Errorf("inherited %d producer and %d consumer options, want 2 and 1", len(prod), len(cons))
	}
	cfg.ProducerProps = map[string]string{"security.protocol": "PLAINTEXT"}
	if prod, _, err = securityOptions(ctx, cfg); err != nil || len(prod) != 0 {
		t.Errorf("the connector's own setting did not win: %d options, %v", len(prod), err)
	}
	other := Config{Kafka: KafkaOptions{Brokers: []string{"elsewhere:9092"}}}
	if prod, cons, err = securityOptions(ctx, other); err != nil || len(prod)+len(cons) != 0 {
		t.Errorf("another cluster inherited the worker's credentials: %d/%d options, %v", len(prod), len(cons), err)
	}
}
