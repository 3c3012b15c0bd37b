package distributed_test

import (
	"strings"
	"testing"

	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// TestDistributedOverSASLSSL runs a distributed worker that reaches Kafka only through the SASL_SSL
// listener (SCRAM): its config, offset and status topics, group membership, admin client and
// producer all authenticate. The password shows in no REST answer or log.
func TestDistributedOverSASLSSL(t *testing.T) {
	k := testbed.KafkaSecure(t)
	c := newCluster(t)
	w := c.startInProcess(map[string]string{"bootstrap.servers": k.SASLSSL, "security.protocol": "SASL_SSL",
		"sasl.mechanism":          "SCRAM-SHA-256",
		"sasl.jaas.config":        `org.apache.kafka.common.security.scram.ScramLoginModule required username="` + k.User + `" password="` + k.Password + `";`,
		"ssl.truststore.location": k.CA})
	settled(t, w)
	topic := testbed.Topic(t, "gen")
	w.expect(201, "POST", "/connectors", generatorConfig("gen", topic, map[string]string{"tasks.max": "1"}))
	w.WaitStatus("gen", "RUNNING", "RUNNING")
	wait.Until(t, "generator records reach the topic over SASL_SSL", func() bool {
		return len(readAll(t, testbed.Kafka(t), topic)) > 0
	})
	for _, path := range []string{"/", "/connectors?expand=status&expand=info", "/connectors/gen/config", "/connectors/gen/offsets"} {
		if r := w.expect(200, "GET", path, ""); strings.Contains(string(r.Body), k.Password) {
			t.Errorf("GET %s shows the password", path)
		}
	}
	w.stop()
	if strings.Contains(w.log.String(), k.Password) {
		t.Errorf("the worker's log shows the password")
	}
}
