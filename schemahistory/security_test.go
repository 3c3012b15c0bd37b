package schemahistory

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/testbed"
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

// TestOpenOverSASLSSL writes and reads a history through the test bed's SASL_SSL listener with
// Debezium's schema.history.internal.producer./consumer. settings, and fails at once with a wrong
// password.
func TestOpenOverSASLSSL(t *testing.T) {
	k := testbed.KafkaSecure(t)
	cl, adm := kafkaAdmin(t, testbed.Kafka(t))
	topic := testbed.Topic(t, "history")
	createTopic(t, adm, topic, 1, map[string]string{"cleanup.policy": "delete", "retention.ms": "9223372036854775807", "retention.bytes": "-1"})
	values := kafkaValues(t)
	produceRaw(t, cl, topic, values...)
	props := func(pass string) map[string]string {
		p := map[string]string{PropKafkaTopic: topic, PropKafkaBootstrapServers: k.SASLSSL, PropKafkaPollInterval: "50"}
		for _, c := range []string{"producer.", "consumer."} {
			p["schema.history.internal."+c+"security.protocol"] = "SASL_SSL"
			p["schema.history.internal."+c+"sasl.mechanism"] = "SCRAM-SHA-512"
			p["schema.history.internal."+c+"sasl.jaas.config"] = `org.apache.kafka.common.security.scram.ScramLoginModule required username="` + k.User + `" password="` + pass + `";`
			p["schema.history.internal."+c+"ssl.truststore.location"] = k.CA
		}
		return p
	}
	cfg, err := ParseConfig(props(k.Password))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	if err := s.Recover(t.Context(), func(*Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != len(values) {
		t.Errorf("recovered %d records over SASL_SSL, want %d", n, len(values))
	}

	bad := "bad-" + k.Password
	cfg, err = ParseConfig(props(bad))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Open(t.Context(), cfg)
	if err == nil || strings.Contains(err.Error(), bad) {
		t.Fatalf("wrong password: %v", err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("a wrong password took %v to report", took)
	}
}
