// Package mysql holds the end-to-end tests of the MySQL/MariaDB connector: a real worker with its
// REST API, the real MariaDB and the real Kafka of the test bed, used the way an operator would.
package mysql

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// connectorConfig is a MariaDB connector configuration for d.
func connectorConfig(d *mariadb.DB, prefix, history string, extra ...string) map[string]string {
	m := map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   d.TB.Host,
		"database.port":                       strconv.Itoa(d.TB.Port),
		"database.user":                       d.TB.User,
		"database.password":                   d.TB.Password,
		"database.server.id":                  "6201",
		"database.include.list":               d.Name,
		"schema.history.internal.kafka.topic": history,
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(d.T),
		"poll.interval.ms": "100",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// consoleProduce writes lines with the real kafka-console-producer, key and value split on |.
func consoleProduce(t *testing.T, topic string, lines ...string) {
	t.Helper()
	tool := testbed.ConsoleProducer(t)
	cmd := exec.Command(tool, "--bootstrap-server", testbed.Kafka(t), "--topic", topic,
		"--property", "parse.key=true", "--property", "key.separator=|")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kafka-console-producer: %v\n%s", err, out)
	}
}

// ev is a change event with key, op, before and after; the tests list their expected events with it.
func ev(key, op, before, after string) e2e.Event {
	return e2e.Event{Key: key, Op: op, Before: before, After: after}
}

// schemalessJSON is the connector properties of JSON keys and values without schemas, which
// keep the assertions short; append it to connectorConfig's extra pairs.
var schemalessJSON = []string{
	"key.converter", "org.apache.kafka.connect.json.JsonConverter",
	"value.converter", "org.apache.kafka.connect.json.JsonConverter",
	"key.converter.schemas.enable", "false",
	"value.converter.schemas.enable", "false",
}
