package badinput_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// badRequest is one malformed request and the error it must get.
type badRequest struct {
	method, path, body string
	code               int
	message            string // a part of the error message that says what is wrong
}

// TestBadRequestsLeaveTheWorkerServing sends a standalone worker that runs a MariaDB connector
// every kind of malformed request, checks each answer (status, Kafka Connect's error JSON with
// error_code equal to the status, a message saying what is wrong), and then that the worker still
// serves and the connector still streams every change.
func TestBadRequestsLeaveTheWorkerServing(t *testing.T) {
	d := mariadb.New(t, "badrest")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1, 'a')")
	w := e2e.StartWorker(t, testbed.Topic(t, "offsets"))
	prefix := testbed.Topic(t, "badrest")
	topic := prefix + "." + d.Name + ".t"
	consumer := e2e.NewConsumer(t, topic)
	w.Create("maria", mariadbConfig(t, d, prefix))
	w.WaitStatus("maria", "RUNNING", "RUNNING")
	consumer.WaitFor(topic, 1)

	dup, _ := json.Marshal(map[string]any{"name": "maria", "config": mariadbConfig(t, d, prefix)})
	huge := `{"name":"huge","config":{"connector.class":"x","pad":"` + strings.Repeat("x", 17<<20) + `"}}`
	for _, r := range []badRequest{
		// Malformed connector configurations.
		{"POST", "/connectors", "", 400, "empty"},
		{"POST", "/connectors", "{", 400, "not valid JSON"},
		{"POST", "/connectors", "[1,2]", 400, "an array"},
		{"POST", "/connectors", `"name"`, 400, "a string"},
		{"POST", "/connectors", "null", 400, "null"},
		{"POST", "/connectors", `{"config":{"connector.class":"io.debezium.connector.mariadb.MariaDbConnector"}}`, 400, "name"},
		{"POST", "/connectors", `{"name":"x","config":{"connector.class":{"nested":1}}}`, 400, "connector.class"},
		{"POST", "/connectors", `{"name":"x","config":["a"]}`, 400, "config"},
		{"POST", "/connectors", `{"name":"x","config":{"connector.class":"com.example.NoSuchConnector"}}`, 400, "com.example.NoSuchConnector"},
		{"POST", "/connectors", `{"name":"x","config":{"connector.class":"io.debezium.connector.mariadb.MariaDbConnector","tasks.max":"many"}}`, 400, "tasks.max"},
		{"POST", "/connectors", `{"name":"x","config":{"connector.class":"io.debezium.connector.mariadb.MariaDbConnector","tasks.max":"1"}}`, 400, "database.hostname"},
		{"POST", "/connectors", string(dup), 409, "maria"},
		{"PUT", "/connectors/y/config", `{"connector.class":"io.debezium.connector.postgresql.PostgresConnector","tasks.max":"-3"}`, 400, "tasks.max"},
		{"PUT", "/connectors/y/config", `"just a string"`, 400, "a string"},
		{"PUT", "/connector-plugins/MariaDbConnector/config/validate", `{"connector.class":"io.debezium.connector.mariadb.MariaDbConnector","snapshot.mode":`, 400, "not valid JSON"},
		// Malformed offset bodies (the connector must be stopped first, and the body must be right).
		{"PATCH", "/connectors/maria/offsets", `{"offsets":[{"partition":{"server":"` + prefix + `"},"offset":{"file":"x","pos":4}}]}`, 400, "STOPPED"},
		{"PATCH", "/connectors/nosuch/offsets", `{"offsets":[{"partition":{"server":"x"},"offset":{"file":"x","pos":4}}]}`, 404, "nosuch"},
		{"PATCH", "/connectors/maria/offsets", `{`, 400, "not valid JSON"},
		{"PATCH", "/connectors/maria/offsets", `{}`, 400, "Partitions / offsets need to be provided"},
		{"PATCH", "/connectors/maria/offsets", `{"offsets":"all"}`, 400, "offsets"},
		{"PATCH", "/connectors/maria/offsets", `{"offsets":[{"partition":1,"offset":{}}]}`, 400, "partition"},
		// Oversized bodies.
		{"POST", "/connectors", huge, 413, "larger than"},
		{"PUT", "/connectors/maria/config", huge, 413, "larger than"},
		// Unknown paths and methods.
		{"GET", "/no/such/path", "", 404, "HTTP 404 Not Found"},
		{"GET", "/connectors/nosuch/status", "", 404, "nosuch"},
		{"GET", "/connectors/maria/tasks/99/status", "", 404, ""},
		{"GET", "/connectors/maria/tasks/notanumber/status", "", 404, ""},
		{"DELETE", "/connectors", "", 405, "HTTP 405 Method Not Allowed"},
		{"POST", "/connectors/maria/status", "{}", 405, "HTTP 405 Method Not Allowed"},
		{"TRACE", "/", "", 405, "HTTP 405 Method Not Allowed"},
	} {
		got := w.Do(r.method, r.path, r.body)
		desc := r.method + " " + r.path + " " + shorten(r.body)
		if got.Code != r.code {
			t.Errorf("%s: %d %s, want %d", desc, got.Code, shorten(string(got.Body)), r.code)
			continue
		}
		if msg := got.ErrorMessage(t); !strings.Contains(msg, r.message) {
			t.Errorf("%s: message %q does not contain %q", desc, msg, r.message)
		}
	}

	// Nothing of the above created, changed or stopped anything.
	var names []string
	w.Expect(200, "GET", "/connectors", "").JSON(t, &names)
	if len(names) != 1 || names[0] != "maria" {
		t.Errorf("connectors after the bad requests: %v", names)
	}
	w.WaitStatus("maria", "RUNNING", "RUNNING")
	d.Exec("INSERT INTO t VALUES (2, 'b')", "UPDATE t SET v = 'c' WHERE id = 1")
	evs := e2e.Events(t, consumer.WaitFor(topic, 3))
	if evs[1].Op != "c" || evs[2].Op != "u" {
		t.Errorf("the connector's events after the bad requests: %v", evs)
	}
	w.Expect(200, "GET", "/health", "")
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// waitTrace waits until the connector's task is FAILED and returns its trace.
func waitTrace(t *testing.T, w *e2e.Worker, name string) string {
	t.Helper()
	st := w.WaitStatus(name, "RUNNING", "FAILED")
	return st.Tasks[0].Trace
}

// TestOffsetsTheServerNeverHad writes offsets that point where the servers have no changes — a
// binlog file MariaDB never wrote, a GTID beyond its last, an LSN after PostgreSQL's current WAL
// position — and checks that each is refused with an error naming the position, either by the
// PATCH itself or by the task that starts from it, never by streaming from somewhere else; and
// that the other connector on the worker is unaffected.
func TestOffsetsTheServerNeverHad(t *testing.T) {
	d := mariadb.New(t, "badoff")
	d.Exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1, 'a')")
	p := newPG(t)
	p.exec("CREATE TABLE "+p.name+".t (id INT PRIMARY KEY, v TEXT)", "INSERT INTO "+p.name+".t VALUES (1, 'a')")
	w := e2e.StartWorker(t, testbed.Topic(t, "offsets"))
	mprefix, pprefix := testbed.Topic(t, "badoffm"), testbed.Topic(t, "badoffp")
	mtopic, ptopic := mprefix+"."+d.Name+".t", pprefix+"."+p.name+".t"
	consumer := e2e.NewConsumer(t, mtopic, ptopic)
	w.Create("maria", mariadbConfig(t, d, mprefix))
	w.Create("pg", p.config(pprefix))
	w.WaitStatus("maria", "RUNNING", "RUNNING")
	w.WaitStatus("pg", "RUNNING", "RUNNING")
	consumer.WaitFor(mtopic, 1)
	consumer.WaitFor(ptopic, 1)

	// PostgreSQL: the PATCH is checked against the slot and the server's WAL position.
	w.Expect(204, "PUT", "/connectors/pg/stop", "")
	w.WaitConnector("pg", "STOPPED")
	r := w.Do("PATCH", "/connectors/pg/offsets", `{"offsets":[{"partition":{"server":"`+pprefix+`"},"offset":{"lsn":`+
		`9000000000000000000,"txId":1,"ts_usec":1}}]}`)
	if msg := r.ErrorMessage(t); r.Code != 400 || !strings.Contains(msg, "after the server's current WAL position") {
		t.Errorf("PATCH of a future LSN: %d %s", r.Code, msg)
	}
	w.Expect(202, "PUT", "/connectors/pg/resume", "")
	w.WaitStatus("pg", "RUNNING", "RUNNING")

	// MariaDB: a binlog file the server never wrote, then a GTID beyond its last; the task that
	// starts from either fails and names it, while PostgreSQL goes on streaming.
	for _, c := range []struct{ offset, want string }{
		{`{"file":"mariadb-bin.999999","pos":4}`, "mariadb-bin.999999"},
		{`{"file":"mariadb-bin.000001","pos":4,"gtids":"0-1-999999999"}`, "0-1-999999999"},
	} {
		w.Expect(204, "PUT", "/connectors/maria/stop", "")
		w.WaitConnector("maria", "STOPPED")
		w.Expect(200, "PATCH", "/connectors/maria/offsets", `{"offsets":[{"partition":{"server":"`+mprefix+`"},"offset":`+c.offset+`}]}`)
		w.Expect(202, "PUT", "/connectors/maria/resume", "")
		if tr := waitTrace(t, w, "maria"); !strings.Contains(tr, c.want) {
			t.Errorf("offset %s: the trace does not name %s:\n%s", c.offset, c.want, tr)
		}
		p.exec("INSERT INTO " + p.name + ".t VALUES (" + strconv.Itoa(len(consumer.Records(ptopic))+1) + ", 'b')")
		consumer.WaitFor(ptopic, len(consumer.Records(ptopic))+1)
		w.WaitStatus("pg", "RUNNING", "RUNNING")
	}
	// Nothing was streamed by the MariaDB connector from anywhere else.
	consumer.Settle(2 * time.Second)
	if n := len(consumer.Records(mtopic)); n != 1 {
		t.Errorf("%d records in %s, want only the snapshot's", n, mtopic)
	}
	w.Expect(200, "GET", "/health", "")
}
