package kafkasec

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/testbed"
)

// roundTrip produces a record to a fresh topic and reads it back through the secured listener.
func roundTrip(t *testing.T, addr string, props map[string]string) {
	t.Helper()
	opts, err := Options(props)
	if err != nil {
		t.Fatal(err)
	}
	topic := testbed.Topic(t, "kafkasec")
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation(),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := Check(ctx, cl, "test client", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("secured")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	for {
		f := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("the record did not come back: %v", err)
		}
		for _, r := range f.Records() {
			if string(r.Value) == "secured" {
				return
			}
		}
	}
}

func TestRealBrokerSASLSSL(t *testing.T) {
	k := testbed.KafkaSecure(t)
	for _, mech := range []string{"SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"} {
		t.Run(mech, func(t *testing.T) {
			props := map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": mech,
				"sasl.jaas.config":        loginModule(mech) + ` required username="` + k.User + `" password="` + k.Password + `";`,
				"ssl.truststore.location": k.CA}
			roundTrip(t, k.SASLSSL, props)
		})
	}
}

func TestRealBrokerSSL(t *testing.T) {
	k := testbed.KafkaSecure(t)
	roundTrip(t, k.SSL, map[string]string{"security.protocol": "SSL", "ssl.truststore.type": "PEM", "ssl.truststore.location": k.CA})
	jks := t.TempDir() + "/trust.jks"
	keytool(t, "-importcert", "-noprompt", "-alias", "testbed", "-file", k.CA, "-keystore", jks, "-storetype", "JKS", "-storepass", "changeit")
	roundTrip(t, k.SSL, map[string]string{"security.protocol": "SSL", "ssl.truststore.location": jks, "ssl.truststore.password": "changeit"})
}

// TestRealBrokerFailures: a wrong password and an untrusted certificate are reported at once,
// saying what to fix, without the password.
func TestRealBrokerFailures(t *testing.T) {
	k := testbed.KafkaSecure(t)
	scram := func(pass string) map[string]string {
		return map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
			"sasl.jaas.config":        `org.apache.kafka.common.security.scram.ScramLoginModule required username="` + k.User + `" password="` + pass + `";`,
			"ssl.truststore.location": k.CA}
	}
	err := connect(t, k.SASLSSL, scram("wrong-password-xyz"))
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") {
		t.Errorf("wrong password: %v", err)
	} else if strings.Contains(err.Error(), "wrong-password-xyz") {
		t.Errorf("the error shows the password: %v", err)
	}
	if _, permanent := Explain(err); !permanent {
		t.Errorf("a wrong password is retried: %v", err)
	}

	untrusted := scram(k.Password)
	untrusted["ssl.truststore.location"] = writeFile(t, "other.pem", newCA(t).caPEM)
	err = connect(t, k.SASLSSL, untrusted)
	if err == nil || !strings.Contains(err.Error(), "not signed by a trusted CA") {
		t.Errorf("untrusted certificate: %v", err)
	}
	// Without a trust store the system's CAs do not know the test bed CA either.
	err = connect(t, k.SSL, map[string]string{"security.protocol": "SSL"})
	if err == nil || !strings.Contains(err.Error(), "not signed by a trusted CA") {
		t.Errorf("SSL without a trust store: %v", err)
	}
	err = connect(t, k.SASLSSL, map[string]string{"security.protocol": "SSL", "ssl.truststore.location": k.CA})
	if err == nil {
		t.Errorf("SSL client on the SASL_SSL listener connected")
	}
}
