package distributed_test

import (
	"testing"
	"time"

	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/tests/oauthidp"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// TestDistributedOverOAuthBearer runs a distributed worker whose every Kafka client (internal
// topics, group membership, admin, producer) authenticates with OAUTHBEARER tokens from a local
// identity provider (client credentials), against a throwaway broker that validates them with
// Kafka's OAuthBearerValidatorCallbackHandler and the provider's JWKS and makes connections
// re-authenticate every 5 s. Tokens live 10 s, so the worker must keep getting new ones while a
// generator connector's records keep arriving.
func TestDistributedOverOAuthBearer(t *testing.T) {
	testbed.KafkaLibs(t)
	idp := oauthidp.StartIdP(t, map[string]string{"connectd": "s3cret"}, 10*time.Second)
	b := oauthidp.StartBroker(t, idp, 5*time.Second)
	c := newCluster(t)
	w := c.startInProcess(map[string]string{"bootstrap.servers": b.OAuth, "security.protocol": "SASL_PLAINTEXT",
		"sasl.mechanism": "OAUTHBEARER", "sasl.login.callback.handler.class": kafkasec.OAuthLoginCallbackHandler,
		"sasl.oauthbearer.token.endpoint.url": idp.TokenURL, "sasl.jaas.config": oauthidp.JAAS("connectd", "s3cret", "kafka"),
		"sasl.login.refresh.buffer.seconds": "1", "sasl.login.refresh.min.period.seconds": "1"})
	settled(t, w)
	topic := testbed.Topic(t, "oauth")
	w.expect(201, "POST", "/connectors", generatorConfig("gen", topic, map[string]string{"tasks.max": "1", "rate": "20"}))
	w.WaitStatus("gen", "RUNNING", "RUNNING")
	wait.Until(t, "generator records reach the topic over OAUTHBEARER", func() bool {
		return len(readAll(t, b.Plain, topic)) > 0
	})
	issued, n := idp.Issued.Load(), len(readAll(t, b.Plain, topic))
	time.Sleep(25 * time.Second)
	if m := len(readAll(t, b.Plain, topic)); m <= n {
		t.Errorf("no new records over 25 s of 10 s tokens (%d, then %d)", n, m)
	}
	if got := idp.Issued.Load() - issued; got < 2 {
		t.Errorf("%d tokens fetched over 25 s of 10 s tokens: the worker did not refresh", got)
	}
	w.WaitStatus("gen", "RUNNING", "RUNNING")
}
