package runtime

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/workerconfig"
	"github.com/connectd/connectd/tests/testbed"
	"github.com/connectd/connectd/tests/wait"
)

// createTopic creates a one-partition topic with the given topic configs.
func createTopic(t *testing.T, brokers, topic string, configs map[string]*string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// valueSizes reads n records of topic and returns the sizes of their values.
func valueSizes(t *testing.T, brokers, topic string, n int) []int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(16<<20), kgo.FetchMaxPartitionBytes(16<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []int
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("timed out reading %s: %d records of %d", topic, len(out), n)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, len(r.Value)) })
	}
	return out
}

// checkTooLarge waits for the connector's task to fail on a too large record and checks that its
// trace names the record and the settings, that nothing was produced and nothing committed.
func checkTooLarge(t *testing.T, h *harness, name, topic string, want ...string) {
	t.Helper()
	st := h.waitStates(name, herder.StateRunning, herder.StateFailed)
	tr := st.Tasks[0].Trace
	for _, s := range append([]string{"Kafka did not accept a record for topic " + topic + ` with key {"seq":0}:`,
		"MESSAGE_TOO_LARGE", "message.max.bytes", "max.message.bytes", "max.request.size", "restart"}, want...) {
		if !strings.Contains(tr, s) {
			t.Errorf("%s: the trace does not contain %q:\n%s", name, s, tr)
		}
	}
	// No retry loop and no silent drop: the task stays FAILED, nothing reached the topic and no
	// offset was committed for the refused records.
	time.Sleep(time.Second)
	if st := h.status(name); st.Tasks[0].State != herder.StateFailed {
		t.Errorf("%s: the task left FAILED: %+v", name, st)
	}
	if c := h.committed(name); len(c) != 0 {
		t.Errorf("%s: offsets committed for records Kafka refused: %v", name, c)
	}
	if n := topicEnd(t, h.brokers, topic); n != 0 {
		t.Errorf("%s: %d records in %s", name, n, topic)
	}
}

// Record size limits follow Kafka's producer: with default settings a record just under the
// broker's default message.max.bytes is delivered; a larger one, or one larger than a topic's
// max.message.bytes, fails the task with a message naming the record and the settings to change;
// producer.override.max.request.size lets a connector send larger records.
func TestRecordSizeLimits(t *testing.T) {
	h := newHarness(t, nil)

	// ~1,040,000 bytes: over franz-go's own default batch limit (1,000,012), under Kafka's.
	fits := testbed.Topic(t, "big")
	h.create(genConfig("fits", fits, "count", "2", "payload.size", "1040000", "batch.size", "1"))
	wait.Until(t, "both large records are committed", func() bool { return h.committed("fits")["0"] == 1 })
	for _, n := range valueSizes(t, h.brokers, fits, 2) {
		if n < 1040000 {
			t.Errorf("a delivered value has %d bytes", n)
		}
	}

	// Over max.request.size: refused by the producer.
	over := testbed.Topic(t, "over")
	h.create(genConfig("over", over, "count", "3", "payload.size", "1100000", "batch.size", "1"))
	checkTooLarge(t, h, "over", over, "the producer refused it before sending", "max.request.size=1048576",
		"producer.max.request.size in the worker configuration (or producer.override.max.request.size in the connector configuration)")

	// Under max.request.size but over the topic's max.message.bytes: refused by the broker.
	small := testbed.Topic(t, "small")
	limit := "200000"
	createTopic(t, h.brokers, small, map[string]*string{"max.message.bytes": &limit})
	h.create(genConfig("brokerlimit", small, "count", "3", "payload.size", "300000", "batch.size", "1"))
	checkTooLarge(t, h, "brokerlimit", small, "the broker refused it")

	// A connector's producer.override.max.request.size, with a topic that takes the record.
	roomy := testbed.Topic(t, "roomy")
	limit = "3000000"
	createTopic(t, h.brokers, roomy, map[string]*string{"max.message.bytes": &limit})
	h.create(genConfig("override", roomy, "count", "2", "payload.size", "1100000", "batch.size", "1",
		"producer.override.max.request.size", "2000000"))
	wait.Until(t, "the overridden connector's records are committed", func() bool { return h.committed("override")["0"] == 1 })
	// The same connector's producer refuses what is over its own limit, and says which setting.
	h.create(genConfig("override2", testbed.Topic(t, "ovr"), "count", "1", "payload.size", "2100000",
		"producer.override.max.request.size", "2000000"))
	st := h.waitStates("override2", herder.StateRunning, herder.StateFailed)
	if tr := st.Tasks[0].Trace; !strings.Contains(tr, "max.request.size=2000000") || !strings.Contains(tr, "raise producer.override.max.request.size in the connector configuration") {
		t.Errorf("the override's trace does not name it:\n%s", tr)
	}
}

// producer.max.request.size in the worker configuration lowers (or raises) the limit for every
// connector without overrides.
func TestWorkerMaxRequestSize(t *testing.T) {
	h := newHarness(t, map[string]string{"producer.max.request.size": "500000"})
	topic := testbed.Topic(t, "wmrs")
	h.create(genConfig("wmrs", topic, "count", "1", "payload.size", "600000"))
	checkTooLarge(t, h, "wmrs", topic, "the producer refused it before sending", "max.request.size=500000")
	if _, err := NewWorker(WorkerOptions{Config: h.worker.cfg}); err != nil {
		t.Fatal(err)
	}
	bad := *h.worker.cfg
	bad.Props = map[string]string{"producer.max.request.size": "lots"}
	if _, err := NewWorker(WorkerOptions{Config: &bad}); err == nil || !strings.Contains(err.Error(), "producer.max.request.size=lots") {
		t.Errorf("a bad producer.max.request.size: %v", err)
	}
}

func TestQuoteKey(t *testing.T) {
	long := `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"prefix.db.table.Key"` + strings.Repeat(" ", 100) + `},"payload":{"id":1}}`
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{`{"id":1}`, `{"id":1}`},
		{"a\x00b", `"a\x00b"`},
		{long, `…"payload":{"id":1}} (` + strconv.Itoa(len(long)) + ` bytes in all)`},
		{strings.Repeat("k", 300), strings.Repeat("k", maxKeyInError) + "… (300 bytes in all)"},
	} {
		if got := quoteKey([]byte(c.in)); got != c.want {
			t.Errorf("quoteKey(%.40q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := quoteKey(nil); got != "null" {
		t.Errorf("quoteKey(nil) = %s", got)
	}
}

// Every max.request.size in range builds a producer (franz-go checks its batch limit against its
// request limit); out of range is refused with the setting named.
func TestMaxRequestSizeRange(t *testing.T) {
	base := map[string]string{"bootstrap.servers": "127.0.0.1:1", "offset.storage.file.filename": "unused"}
	cfg, _, err := workerconfig.Parse(base, workerconfig.Standalone)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"512", "1048576", "200000000", "1073741824"} {
		cl, err := newProducer(cfg, map[string]string{"max.request.size": v}, "producer.")
		if err != nil {
			t.Errorf("max.request.size=%s: %v", v, err)
			continue
		}
		cl.Close()
	}
	for _, v := range []string{"0", "511", "1073741825", "big"} {
		if _, err := newProducer(cfg, map[string]string{"max.request.size": v}, "producer.override."); err == nil || !strings.Contains(err.Error(), "producer.override.max.request.size="+v) {
			t.Errorf("max.request.size=%s: %v", v, err)
		}
	}
}
