package mysql

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/mariadb"
	"github.com/connectd/connectd/tests/testbed"
)

// TestValueFidelity runs the values issue 22 found wrong through a real worker, MariaDB and
// Kafka, in the snapshot and while streaming: zero and partial-zero DATETIME(0..3), DATE and TIME
// range ends (a zero DATETIME(0..3) used to panic and kill the worker), a keyless table keyed on
// its first NOT NULL unique index (it used to get null keys), an ENUM member with a comma, FLOAT(M,D)
// as a double, and a generated column that Debezium's history does not call generated. A last
// ordinary row after the edge values proves the task survived them.
func TestValueFidelity(t *testing.T) {
	d := mariadb.New(t, "vals")
	d.Exec(
		// Zero dates need a sql_mode without NO_ZERO_DATE and NO_ZERO_IN_DATE.
		"SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
		"SET SESSION time_zone = '+00:00'",
		"CREATE TABLE zd (id INT PRIMARY KEY, d0 DATETIME, d3 DATETIME(3), d0nn DATETIME NOT NULL, "+
			"d2nn DATETIME(2) NOT NULL DEFAULT '2001-02-03 04:05:06', dnn DATE NOT NULL, t6 TIME(6), "+
			"ts TIMESTAMP(3) NOT NULL DEFAULT '2000-01-01 00:00:00.000')",
		"CREATE TABLE uk (a INT NULL, b INT NOT NULL, c VARCHAR(5), UNIQUE KEY ua (a), UNIQUE KEY ub (b))",
		"CREATE TABLE misc (id INT PRIMARY KEY, e ENUM('x,y','z'), f FLOAT(7,3), g INT AS (id * 2) VIRTUAL)",
		"INSERT INTO zd (id, d0, d3, d0nn, d2nn, dnn, t6, ts) VALUES "+
			"(1, '0000-00-00 00:00:00', '0000-00-00 00:00:00.000', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '0000-00-00', '-838:59:59.000000', '0000-00-00 00:00:00')",
		"INSERT INTO uk VALUES (1, 10, 'one')",
		"INSERT INTO misc (id, e, f) VALUES (1, 'x,y', 1.5)",
	)
	prefix := testbed.Topic(t, "vals")
	history := prefix + "-history"
	offsetsTopic := prefix + "-offsets"
	name := "values"
	cfg := connectorConfig(d, prefix, history)
	w := e2e.StartWorker(t, offsetsTopic)
	if code, b := w.Call("POST", "/connectors", map[string]any{"name": name, "config": cfg}); code != 201 {
		t.Fatalf("POST /connectors: %d %s", code, b)
	}
	w.WaitState(name, "RUNNING")
	zdTopic, ukTopic, miscTopic := prefix+"."+d.Name+".zd", prefix+"."+d.Name+".uk", prefix+"."+d.Name+".misc"
	c := e2e.NewConsumer(t, zdTopic, ukTopic, miscTopic, prefix, history)
	c.WaitFor(zdTopic, 1)
	c.WaitFor(ukTopic, 1)
	c.WaitFor(miscTopic, 1)

	d.Exec(
		"INSERT INTO zd (id, d0, d3, d0nn, d2nn, dnn, t6) VALUES "+
			"(2, '2020-00-00 00:00:00', '2020-01-00 10:00:00.500', '0000-00-00 00:00:00', '2020-00-15 00:00:00', '2020-00-00', '838:59:59.000000')",
		"UPDATE zd SET d3 = '0000-00-00 00:00:00.000', d0nn = '2020-02-29 12:00:00' WHERE id = 1",
		"INSERT INTO uk VALUES (NULL, 20, 'two')",
		"UPDATE uk SET c = 'ONE' WHERE b = 10",
		"DELETE FROM uk WHERE b = 20",
		"INSERT INTO misc (id, e, f) VALUES (2, 'x,y', -2.25)",
		// An ordinary row last: the task must still be alive after the edge values.
		"INSERT INTO zd (id, d0, d3, d0nn, d2nn, dnn, t6, ts) VALUES "+
			"(3, '1970-01-01 00:00:01', '1969-12-31 23:59:59.999', '2024-01-01 00:00:00', '2024-01-01 00:00:00', '2024-01-01', '00:00:00', '2024-01-01 00:00:00')",
	)
	c.WaitFor(zdTopic, 4)
	c.WaitFor(ukTopic, 5)
	c.WaitFor(miscTopic, 2)
	c.Settle(2e9)
	if task, trace := w.TaskState(name); task != "RUNNING" {
		t.Fatalf("task is %s after the edge values: %s", task, trace)
	}

	want := map[string][]e2e.Event{
		zdTopic: {
			// Snapshot: NOT NULL zero dates fall back to the column's default, else the epoch.
			ev(`{"id":1}`, "r", "null", `{"id":1,"d0":null,"d3":null,"d0nn":0,"d2nn":981173106000,"dnn":0,"t6":-3020399000000,"ts":"2000-01-01T00:00:00.000Z"}`),
			// Streaming: the same through the binlog, with partial-zero dates.
			ev(`{"id":2}`, "c", "null", `{"id":2,"d0":null,"d3":null,"d0nn":0,"d2nn":981173106000,"dnn":0,"t6":3020399000000,"ts":"2000-01-01T00:00:00.000Z"}`),
			ev(`{"id":1}`, "u", `{"id":1,"d0":null,"d3":null,"d0nn":0,"d2nn":981173106000,"dnn":0,"t6":-3020399000000,"ts":"1970-01-01T00:00:00.000Z"}`,
				`{"id":1,"d0":null,"d3":null,"d0nn":1582977600000,"d2nn":981173106000,"dnn":0,"t6":-3020399000000,"ts":"1970-01-01T00:00:00.000Z"}`),
			ev(`{"id":3}`, "c", "null", `{"id":3,"d0":1000,"d3":-1,"d0nn":1704067200000,"d2nn":1704067200000,"dnn":19723,"t6":0,"ts":"2024-01-01T00:00:00.000Z"}`),
		},
		ukTopic: {
			// Keyed on ub, the first unique index whose columns are all NOT NULL.
			ev(`{"b":10}`, "r", "null", `{"a":1,"b":10,"c":"one"}`),
			ev(`{"b":20}`, "c", "null", `{"a":null,"b":20,"c":"two"}`),
			ev(`{"b":10}`, "u", `{"a":1,"b":10,"c":"one"}`, `{"a":1,"b":10,"c":"ONE"}`),
			ev(`{"b":20}`, "d", `{"a":null,"b":20,"c":"two"}`, "null"),
			{Key: `{"b":20}`, Op: "tombstone"},
		},
		miscTopic: {
			ev(`{"id":1}`, "r", "null", `{"id":1,"e":"x,y","f":1.5,"g":2}`),
			ev(`{"id":2}`, "c", "null", `{"id":2,"e":"x,y","f":-2.25,"g":4}`),
		},
	}
	for topic, w := range want {
		if got := e2e.Events(t, c.Records(topic)); !reflect.DeepEqual(got, w) {
			t.Errorf("topic %s:\n got %v\nwant %v", topic, got, w)
		}
	}

	// The schema change events and the schema history of the snapshot: uk's key is ub's column,
	// misc's generated column is not "generated" (only AUTO_INCREMENT is, in Debezium's model),
	// and in the history a nullable column has its implicit NULL default.
	type column struct {
		Name            string
		Generated       bool
		HasDefaultValue *bool
	}
	type table struct {
		PrimaryKeyColumnNames []string
		Columns               []column
	}
	read := func(topic string) map[string]table {
		out := map[string]table{}
		for _, r := range c.Records(topic) {
			var sc struct {
				TableChanges []struct {
					ID    string
					Table table
				}
			}
			if err := json.Unmarshal(r.Value, &sc); err != nil {
				t.Fatal(err)
			}
			for _, tc := range sc.TableChanges {
				out[tc.ID[strings.LastIndexByte(tc.ID, '.')+1:]] = tc.Table
			}
		}
		return out
	}
	yes, no := true, false
	for topic, want := range map[string]map[string]table{
		prefix: {
			`"uk"`:   {[]string{"b"}, []column{{"a", false, nil}, {"b", false, nil}, {"c", false, nil}}},
			`"misc"`: {[]string{"id"}, []column{{"id", false, nil}, {"e", false, nil}, {"f", false, nil}, {"g", false, nil}}},
		},
		history: {
			`"uk"`:   {[]string{"b"}, []column{{"a", false, &yes}, {"b", false, &no}, {"c", false, &yes}}},
			`"misc"`: {[]string{"id"}, []column{{"id", false, &no}, {"e", false, &yes}, {"f", false, &yes}, {"g", false, &yes}}},
		},
	} {
		got := read(topic)
		for id, w := range want {
			if !reflect.DeepEqual(got[id], w) {
				t.Errorf("%s: table %s is %s, want %s", topic, id, js(got[id]), js(w))
			}
		}
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
