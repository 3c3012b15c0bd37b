// Package mysql holds the end-to-end tests of the MySQL/MariaDB connector: a real worker with its
// REST API, the real MariaDB and the real Kafka of the test bed, used the way an operator would.
package mysql

import (
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// db is a test database on the test bed's MariaDB, dropped when the test ends.
type db struct {
	t    *testing.T
	tb   testbed.DB
	name string
	conn *client.Conn
}

func newDB(t *testing.T) *db {
	t.Helper()
	tb := testbed.MariaDB(t)
	name := strings.ReplaceAll(strings.ToLower(testbed.Topic(t, "e2e")), "-", "_")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	name = "e" + strings.TrimLeft(name, "_")
	conn, err := client.Connect(net.JoinHostPort(tb.Host, strconv.Itoa(tb.Port)), tb.User, tb.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	d := &db{t: t, tb: tb, name: name, conn: conn}
	d.exec("CREATE DATABASE `"+name+"`", "USE `"+name+"`")
	t.Cleanup(func() {
		d.exec("DROP DATABASE IF EXISTS `" + name + "`")
		conn.Close()
	})
	return d
}

func (d *db) exec(qs ...string) {
	d.t.Helper()
	for _, q := range qs {
		r, err := d.conn.Execute(q)
		if err != nil {
			d.t.Fatalf("%s: %v", q, err)
		}
		r.Close()
	}
}

func (d *db) query(q string) [][]string {
	d.t.Helper()
	r, err := d.conn.Execute(q)
	if err != nil {
		d.t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	var out [][]string
	for i := range r.Values {
		var row []string
		for j := range r.Values[i] {
			fv := r.Values[i][j]
			if fv.Type == mysql.FieldValueTypeString {
				row = append(row, string(fv.AsString()))
			} else {
				row = append(row, fv.String())
			}
		}
		out = append(out, row)
	}
	return out
}

// connectorConfig is a MariaDB connector configuration for d.
func connectorConfig(d *db, prefix, history string, extra ...string) map[string]string {
	m := map[string]string{
		"connector.class":                     "io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max":                           "1",
		"topic.prefix":                        prefix,
		"database.hostname":                   d.tb.Host,
		"database.port":                       strconv.Itoa(d.tb.Port),
		"database.user":                       d.tb.User,
		"database.password":                   d.tb.Password,
		"database.server.id":                  "6201",
		"database.include.list":               d.name,
		"schema.history.internal.kafka.topic": history,
		"schema.history.internal.kafka.bootstrap.servers": testbed.Kafka(d.t),
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
