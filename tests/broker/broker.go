// Package broker hands a test a Kafka broker chosen by the environment, as franz-go's own suite
// does (one set of tests; KGO_SEEDS says which broker): the test bed's Kafka when one is configured
// (CONNECTD_TEST_KAFKA, or the env file deploy/testbed/up writes), else an in-process kfake cluster
// (github.com/twmb/franz-go/pkg/kfake), so `go test ./connect/... ./offsets/...` is useful on a
// machine without the test bed. Under CI=true the test bed is required: a missing Kafka fails the
// test there, never falls back.
//
// Only tests that need nothing but the Kafka protocol use it. Tests that need what kfake does not
// do as Kafka does (Kafka's own tools, a Kafka Connect worker, the broker's exact topic
// configuration answers) call testbed.Kafka and say why.
package broker

import (
	"os"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/connectd/connectd/tests/testbed"
)

var (
	fakeOnce sync.Once
	fakeAddr string
	fakeErr  error
)

// Kafka returns the bootstrap address (host:port) of the broker the tests run against.
func Kafka(t testing.TB) string {
	t.Helper()
	if testbed.KafkaConfigured() || os.Getenv("CI") == "true" {
		return testbed.Kafka(t)
	}
	addr, err := fake()
	if err != nil {
		t.Fatalf("broker: no test bed Kafka is configured and kfake could not start: %v", err)
	}
	t.Logf("broker: no test bed Kafka configured (CONNECTD_TEST_KAFKA); using kfake at %s", addr)
	return addr
}

// Real returns the test bed's Kafka for a test that needs what kfake does not do as Kafka does;
// reason says what. Without a configured test bed the test is skipped with the reason (under
// CI=true, where the test bed must be up, testbed.Kafka fails it instead).
func Real(t testing.TB, reason string) string {
	t.Helper()
	if !testbed.KafkaConfigured() && os.Getenv("CI") != "true" {
		t.Skipf("broker: needs a real Kafka (%s) and no test bed Kafka is configured; start it with deploy/testbed/up", reason)
	}
	return testbed.Kafka(t)
}

// Fake reports whether Kafka hands out kfake rather than a real broker.
func Fake() bool { return !testbed.KafkaConfigured() && os.Getenv("CI") != "true" }

// fake starts one kfake cluster per test binary; it lives as long as the process, as the test
// bed's Kafka outlives a test run, and tests keep apart by their unique topic and group names.
func fake() (string, error) {
	fakeOnce.Do(func() {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1))
		if err != nil {
			fakeErr = err
			return
		}
		fakeAddr = c.ListenAddrs()[0]
	})
	return fakeAddr, fakeErr
}
