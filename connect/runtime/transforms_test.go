package runtime

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// rawValues reads n record values of topic from its start.
func rawValues(t *testing.T, brokers, topic string, n int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []string
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("timed out reading %s; have %d of %d records", topic, len(out), n)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	return out
}

// Transforms run in the task before conversion: a routed and enriched record lands on the new
// topic, a filtered one is not produced but its offset is committed, and a failing transform
// fails the task with the record's position (errors.tolerance=none) or is skipped
// (errors.tolerance=all), its offset committed too.
func TestTransformsInTheTaskPipeline(t *testing.T) {
	h := newHarness(t, nil)
	k := "org.apache.kafka.connect.transforms."

	routed := testbed.Topic(t, "smt")
	h.create(genConfig("smt-route", routed, "count", "30",
		"transforms", "route,ins", "transforms.route.type", k+"RegexRouter", "transforms.route.regex", "(.*)",
		"transforms.route.replacement", "$1-routed",
		"transforms.ins.type", k+"InsertField$Value", "transforms.ins.static.field", "origin", "transforms.ins.static.value", "smt",
		"transforms.ins.topic.field", "topic"))
	wait.Until(t, "smt-route committed seq 29", func() bool { return h.committed("smt-route")["0"] == 29 })
	vals := rawValues(t, h.brokers, routed+"-routed", 30)
	for _, v := range vals {
		if !strings.Contains(v, `"origin":"smt"`) || !strings.Contains(v, `"topic":"`+routed+`-routed"`) {
			t.Fatalf("a routed record lacks the inserted fields: %s", v)
		}
	}
	if n := topicEnd(t, h.brokers, routed); n != 0 {
		t.Errorf("%d records were produced to the original topic", n)
	}

	filtered := testbed.Topic(t, "smtf")
	h.create(genConfig("smt-filter", filtered, "count", "20",
		"transforms", "drop", "transforms.drop.type", k+"Filter", "transforms.drop.predicate", "mine",
		"predicates", "mine", "predicates.mine.type", k+"predicates.TopicNameMatches", "predicates.mine.pattern", ".*smtf.*"))
	wait.Until(t, "smt-filter committed seq 19", func() bool { return h.committed("smt-filter")["0"] == 19 })
	if n := topicEnd(t, h.brokers, filtered); n != 0 {
		t.Errorf("the filter let %d records through", n)
	}

	failing := testbed.Topic(t, "smte")
	cast := []string{"transforms", "c", "transforms.c.type", k + "Cast$Value", "transforms.c.spec", "payload:int32"}
	h.create(genConfig("smt-none", failing, append([]string{"count", "10"}, cast...)...))
	st := h.waitStates("smt-none", herder.StateRunning, herder.StateFailed)
	for _, want := range []string{"transformation c (org.apache.kafka.connect.transforms.Cast$Value) failed",
		"while transforming the record of source partition map[task:0] at offset map[seq:0] for topic " + failing, "errors.tolerance=all"} {
		if !strings.Contains(st.Tasks[0].Trace, want) {
			t.Errorf("the trace does not contain %q:\n%s", want, st.Tasks[0].Trace)
		}
	}

	h.create(genConfig("smt-all", failing+"-all", append([]string{"count", "10", "errors.tolerance", "all",
		"errors.log.enable", "true", "errors.log.include.messages", "true"}, cast...)...))
	wait.Until(t, "smt-all skipped every record and committed seq 9", func() bool { return h.committed("smt-all")["0"] == 9 })
	if st := h.status("smt-all"); st.Tasks[0].State != herder.StateRunning {
		t.Errorf("smt-all task state = %s, want RUNNING", st.Tasks[0].State)
	}
	if n := topicEnd(t, h.brokers, failing+"-all"); n != 0 {
		t.Errorf("%d failed records were produced", n)
	}
}

// An invalid transform configuration is refused when the connector is created, with every
// problem listed.
func TestTransformsValidation(t *testing.T) {
	h := newHarness(t, nil)
	cfg := genConfig("smt-bad", testbed.Topic(t, "smtv"), "transforms", "a,b", "transforms.a.type", "org.example.Nope",
		"transforms.b.type", "org.apache.kafka.connect.transforms.RegexRouter", "errors.tolerance", "all")
	infos, err := h.herder.ValidateConnectorConfig(h.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, c := range infos.Configs {
		if c.Value != nil {
			msgs = append(msgs, c.Value.Errors...)
		}
	}
	all := strings.Join(msgs, "\n")
	if infos.ErrorCount != 2 || !strings.Contains(all, "Class org.example.Nope could not be found") ||
		!strings.Contains(all, `Missing required configuration "regex"`) {
		t.Errorf("error_count = %d, errors:\n%s", infos.ErrorCount, all)
	}
	if _, _, err := h.herder.PutConnectorConfig(h.ctx, "smt-bad", cfg, "", false); err == nil {
		t.Error("a connector with invalid transforms was created")
	}
}
