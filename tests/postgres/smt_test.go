package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/connectd/connectd/tests/e2e"
	"github.com/connectd/connectd/tests/testbed"
)

// TestTransformsEndToEnd runs the PostgreSQL connector with the two SMTs nearly every Debezium
// user has: ExtractNewRecordState (rewrite deletes, added fields and headers) on the customers
// table, and the outbox EventRouter (JSON payload expanded) on the outbox table, each chosen by a
// TopicNameMatches predicate. The flattened rows and routed events are read back from Kafka.
func TestTransformsEndToEnd(t *testing.T) {
	p := newPG(t)
	s := p.schema
	p.exec(fmt.Sprintf(`CREATE TABLE %[1]s.customers (id int PRIMARY KEY, name text NOT NULL);
		CREATE TABLE %[1]s.outbox (id uuid PRIMARY KEY, aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL, payload text);
		INSERT INTO %[1]s.customers VALUES (1, 'alice'), (2, 'bob')`, s))
	prefix := testbed.Topic(t, "pgsmt")
	custTopic, eventsTopic := prefix+"."+s+".customers", prefix+".events.Order"
	cfg := p.config(prefix,
		"transforms", "unwrap,outbox",
		"transforms.unwrap.type", "io.debezium.transforms.ExtractNewRecordState",
		"transforms.unwrap.delete.tombstone.handling.mode", "rewrite",
		"transforms.unwrap.add.fields", "op,table",
		"transforms.unwrap.add.headers", "op",
		"transforms.unwrap.predicate", "isCustomers",
		"transforms.outbox.type", "io.debezium.transforms.outbox.EventRouter",
		"transforms.outbox.route.topic.replacement", prefix+".events.${routedByValue}",
		"transforms.outbox.table.expand.json.payload", "true",
		"transforms.outbox.predicate", "isOutbox",
		"predicates", "isCustomers,isOutbox",
		"predicates.isCustomers.type", "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.isCustomers.pattern", ".*\\.customers",
		"predicates.isOutbox.type", "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.isOutbox.pattern", ".*\\.outbox")

	w := e2e.StartWorker(t, prefix+"-offsets")
	w.Create("smt", cfg)
	w.WaitState("smt", "RUNNING")
	c := e2e.NewConsumer(t, custTopic, eventsTopic)
	c.WaitFor(custTopic, 2)
	p.exec(fmt.Sprintf(`INSERT INTO %s.customers VALUES (3, 'carol')`, s),
		fmt.Sprintf(`UPDATE %s.customers SET name = 'alicia' WHERE id = 1`, s),
		fmt.Sprintf(`DELETE FROM %s.customers WHERE id = 2`, s),
		fmt.Sprintf(`INSERT INTO %s.outbox VALUES ('8f6e4b3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b', 'Order', 'order-7', 'OrderCreated', '{"orderId":7,"lines":[{"sku":"x","qty":2}]}')`, s),
		fmt.Sprintf(`DELETE FROM %s.outbox`, s))
	c.WaitFor(custTopic, 5)
	c.WaitFor(eventsTopic, 1)
	c.Settle(2 * time.Second)

	want := []string{
		`{"id":1} {"id":1,"name":"alice","__deleted":"false","__op":"r","__table":"customers"} __op=r`,
		`{"id":2} {"id":2,"name":"bob","__deleted":"false","__op":"r","__table":"customers"} __op=r`,
		`{"id":3} {"id":3,"name":"carol","__deleted":"false","__op":"c","__table":"customers"} __op=c`,
		`{"id":1} {"id":1,"name":"alicia","__deleted":"false","__op":"u","__table":"customers"} __op=u`,
		// REPLICA IDENTITY DEFAULT: the old row holds the key only; NOT NULL name is "" as in Debezium.
		`{"id":2} {"id":2,"name":"","__deleted":"true","__op":"d","__table":"customers"} __op=d`,
	}
	var got []string
	for _, r := range c.Records(custTopic) {
		var hs []string
		for _, h := range r.Headers {
			if !strings.HasPrefix(h.Key, "__debezium.context.") { // the connector's own, before the SMTs
				hs = append(hs, h.Key+"="+string(h.Value))
			}
		}
		got = append(got, string(r.Key)+" "+string(r.Value)+" "+strings.Join(hs, ","))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("topic %s (the tombstone is dropped in rewrite mode):\n got\n%s\nwant\n%s", custTopic, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	evs := c.Records(eventsTopic)
	if len(evs) != 1 {
		t.Fatalf("topic %s has %d events, want 1 (the outbox delete is not an event):\n%s", eventsTopic, len(evs), e2e.Dump(evs))
	}
	e := evs[0]
	last := e.Headers[len(e.Headers)-1]
	if string(e.Key) != `"order-7"` || string(e.Value) != `{"orderId":7,"lines":[{"sku":"x","qty":2}]}` ||
		last.Key != "id" || string(last.Value) != "8f6e4b3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b" {
		t.Errorf("outbox event: key %s value %s last header %s=%s", e.Key, e.Value, last.Key, last.Value)
	}
}
