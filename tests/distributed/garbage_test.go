package distributed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/tests/wait"
)

// genGarbageKeys are the malformed offset keys garbage writes that name connector gen.
var genGarbageKeys = []string{`["gen",{"task":"0"}]`, `["gen"]`, `["gen",{"task":{"nested":1}}]`, `["gen",{"task":7}]`}

// garbage is what a broken tool or a human with kafka-console-producer might write into a
// worker's internal topics: values that are not JSON, JSON of the wrong shape, keys of unknown
// forms, and keys of a real connector with garbage values (the topics are compacted, so the broker
// refuses records without a key).
func garbage(configs, offsets, status string) []*kgo.Record {
	rec := func(topic, key, value string) *kgo.Record {
		return &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(value)}
	}
	var out []*kgo.Record
	for _, kv := range [][2]string{
		{"connector-gen", "not json"},
		{"connector-gen", `{"properties":5}`},
		{"connector-gen", `[1,2,3]`},
		{"connector-ghost", `{"properties":{"connector.class":"no.such.Connector"}`},
		{"task-gen-notanumber", `{"properties":{}}`},
		{"task-gen-99", `{"properties":"x"}`},
		{"commit-gen", `{"tasks":"many"}`},
		{"commit-gen", `{"tasks":-5}`},
		{"target-state-gen", `{"state":"EXPLODED"}`},
		{"target-state-gen", `[]`},
		{"session-key", `{"key":"!!","algorithm":"HmacSHA256","creation-timestamp":"x"}`},
		{"something-else", `{}`},
		{"connector-", ``},
	} {
		out = append(out, rec(configs, kv[0], kv[1]))
	}
	for _, kv := range [][2]string{
		{`not json`, `{"seq":1}`},
		{`[5,{"task":0}]`, `{"seq":1}`},
		{`{"task":0}`, `{"seq":1}`},
		{`["gen",{"task":"0"}]`, `not json`},
		{`["gen",{"task":"0"}]`, `[1,2]`},
		{`["gen"]`, `{"seq":1}`},
		{`["gen",{"task":{"nested":1}}]`, `{"seq":1}`},
		{`["gen",{"task":7}]`, `{"seq":{"deep":true}}`},
	} {
		out = append(out, rec(offsets, kv[0], kv[1]))
	}
	for _, kv := range [][2]string{
		{"status-connector-gen", "not json"},
		{"status-connector-gen", `{"state":"EXPLODED","trace":null,"worker_id":5,"generation":"x"}`},
		{"status-task-gen-notanumber", `{"state":"RUNNING"}`},
		{"status-task-gen-0", `[]`},
		{"status-topic-x", "garbage"},
		{"status-unknown", "{}"},
	} {
		out = append(out, rec(status, kv[0], kv[1]))
	}
	return out
}

// Garbage records in the config, offsets and status topics of a running group: what cannot be
// tied to a connector, and garbage configs and statuses, are skipped with a warning; an offset
// record that names connector gen but is malformed makes gen's offsets unreadable with an error
// that says which record and how to remove it — never a silent guess — while connector other on
// the same workers goes on. Doing what the error says (a tombstone) makes gen's offsets readable
// again, and a worker that joins later and reads everything from the topics' start starts and
// takes its share of the tasks.
func TestGarbageInInternalTopics(t *testing.T) {
	c := newCluster(t)
	w1 := c.startInProcess(nil)
	topic := c.props["group.id"] + "-records"
	w1.expect(201, "POST", "/connectors", generatorConfig("gen", topic, nil))
	w1.expect(201, "POST", "/connectors", generatorConfig("other", topic+"-other", nil))
	wait.Until(t, "both connectors commit offsets", func() bool {
		return len(w1.committed("gen")) == 2 && len(w1.committed("other")) == 2
	})

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce := func(recs ...*kgo.Record) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	offsets := c.props["offset.storage.topic"]
	produce(garbage(c.props["config.storage.topic"], offsets, c.props["status.storage.topic"])...)

	// gen's offsets name the bad record and the way out; other is unaffected.
	before := w1.committed("other")
	wait.Until(t, "other goes on committing after the garbage", func() bool {
		now := w1.committed("other")
		return now[0] > before[0] && now[1] > before[1]
	})
	r := w1.Do("GET", "/connectors/gen/offsets", "")
	msg := r.ErrorMessage(t)
	for _, want := range []string{`malformed offset record for connector "gen"`, offsets, "tombstone", "then restart the connector"} {
		if r.Code != 500 || !strings.Contains(msg, want) {
			t.Errorf("GET gen's offsets after the garbage: %d %q, want 500 naming %q", r.Code, msg, want)
		}
	}
	w1.expect(200, "GET", "/health", "")
	var names []string
	w1.expect(200, "GET", "/connectors", "").JSON(t, &names)
	if strings.Join(names, ",") != "gen,other" {
		t.Errorf("connectors after the garbage: %v", names)
	}

	// Tombstones for gen's malformed keys (its task 0 key was overwritten by the task since).
	var tombstones []*kgo.Record
	for _, key := range genGarbageKeys {
		if key != `["gen",{"task":"0"}]` {
			tombstones = append(tombstones, &kgo.Record{Topic: offsets, Key: []byte(key)})
		}
	}
	produce(tombstones...)
	wait.Until(t, "gen's offsets are readable after the tombstones", func() bool {
		return w1.Do("GET", "/connectors/gen/offsets", "").Code == 200
	})
	w1.expect(201, "POST", "/connectors", generatorConfig("gen2", topic+"2", nil))

	// A worker that starts now reads all of it from the topics' beginning.
	w2 := c.startInProcess(nil)
	settled(t, w1, w2)
	for _, w := range []*worker{w1, w2} {
		wait.Until(t, "every connector runs with both tasks, seen from "+w.url, func() bool {
			for _, name := range []string{"gen", "other", "gen2"} {
				st, ok := w.GetStatus(name)
				if !ok || st.Connector.State != "RUNNING" || len(st.Tasks) != 2 {
					return false
				}
				for _, task := range st.Tasks {
					if task.State != "RUNNING" {
						return false
					}
				}
			}
			return true
		})
	}
	before = w2.committed("gen")
	wait.Until(t, "gen commits after the second worker joined", func() bool {
		now := w2.committed("gen")
		return now[0] > before[0] && now[1] > before[1]
	})
	for _, w := range []*worker{w1, w2} {
		if !strings.Contains(w.log.String(), "level=WARN") {
			t.Errorf("worker %s logged no warning about the garbage", w.url)
		}
	}
}
