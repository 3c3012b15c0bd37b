// Package generator is a deterministic source connector for connectd's own tests, not a product
// connector: each task emits records numbered from 0 (or from its stored offset + 1) with source
// partition {"task":"<n>"} and offset {"seq":N}, so a test can tell exactly where a task resumed.
//
// Settings: topic (required), tasks.max, count (records per task, 0 = unbounded), rate (records
// per second per task, 0 = as fast as the runtime takes them), payload.size (bytes of payload in
// each value), batch.size (records per poll), fail.at.seq (fail the task's Poll once, the first
// time it reaches that seq in this process; -1 = never) and password (a PASSWORD setting that does
// nothing, for masking tests).
package generator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectd/connectd/connect/api"
)

// Class is the connector class name to put in connector.class.
const Class = "io.connectd.tests.GeneratorConnector"

// Spec is the generator's configuration.
var Spec = api.ConfigSpec{
	{Name: "topic", Type: api.ConfigString, Required: true, Importance: api.High, Group: "Generator", Doc: "Topic the records are written to."},
	{Name: "count", Type: api.ConfigLong, Default: "0", Importance: api.Medium, Group: "Generator", Doc: "Records per task; 0 is unbounded.", Validate: nonNegative},
	{Name: "rate", Type: api.ConfigDouble, Default: "0", Importance: api.Medium, Group: "Generator", Doc: "Records per second per task; 0 is as fast as the runtime takes them.", Validate: nonNegative},
	{Name: "payload.size", Type: api.ConfigInt, Default: "16", Importance: api.Low, Group: "Generator", Doc: "Bytes of payload in each value.", Validate: nonNegative},
	{Name: "batch.size", Type: api.ConfigInt, Default: "100", Importance: api.Low, Group: "Generator", Doc: "Records returned by one poll at most.", Validate: positive},
	{Name: "fail.at.seq", Type: api.ConfigLong, Default: "-1", Importance: api.Low, Group: "Generator", Doc: "Fail Poll once per process when this seq is reached; -1 never."},
	{Name: "password", Type: api.ConfigPassword, Importance: api.Low, Group: "Generator", Doc: "Unused secret, to test that secrets are never shown."},
}

func nonNegative(v string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err == nil && f < 0 {
		return errors.New("Value must be at least 0")
	}
	return nil
}

func positive(v string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err == nil && f < 1 {
		return errors.New("Value must be at least 1")
	}
	return nil
}

// Plugin returns the generator's plugin, for a test binary's registry.
func Plugin() api.Plugin {
	return api.Plugin{Class: Class, Version: "1.0.0", Spec: Spec, New: func() api.SourceConnector { return &Connector{} }}
}

// Schemas of the records.
var (
	KeySchema = api.StructSchema().Name("io.connectd.tests.generator.Key").
			Field("seq", api.NewSchema(api.TypeInt64).Build()).Build()
	ValueSchema = api.StructSchema().Name("io.connectd.tests.generator.Value").
			Field("seq", api.NewSchema(api.TypeInt64).Build()).
			Field("task", api.NewSchema(api.TypeInt32).Build()).
			Field("payload", api.NewSchema(api.TypeString).Build()).Build()
)

// Connector splits the work into tasks.max identical tasks.
type Connector struct {
	config map[string]string
}

// Start implements api.SourceConnector.
func (c *Connector) Start(_ api.ConnectorContext, config map[string]string) error {
	if config["topic"] == "" {
		return errors.New("topic is required")
	}
	c.config = config
	return nil
}

// TaskConfigs implements api.SourceConnector.
func (c *Connector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		cfg := maps.Clone(c.config)
		cfg["task.id"] = strconv.Itoa(i)
		out[i] = cfg
	}
	return out, nil
}

// NewTask implements api.SourceConnector.
func (c *Connector) NewTask() api.SourceTask { return &Task{} }

// Stop implements api.SourceConnector.
func (c *Connector) Stop() error { return nil }

// AlterOffsets checks an offsets PATCH: partitions are {"task":"<n>"}, offsets {"seq":<int>}.
func (c *Connector) AlterOffsets(_ map[string]string, offsets []api.PartitionOffset) error {
	for _, po := range offsets {
		if _, ok := po.Partition["task"].(string); !ok || len(po.Partition) != 1 {
			return fmt.Errorf("a generator partition is {\"task\":\"<n>\"}, not %v", po.Partition)
		}
		if po.Offset == nil {
			continue
		}
		if _, ok := po.Offset["seq"].(int64); !ok || len(po.Offset) != 1 {
			return fmt.Errorf("a generator offset is {\"seq\":<integer>}, not %v", po.Offset)
		}
	}
	return nil
}

// failed remembers which tasks already failed on fail.at.seq in this process.
var failed sync.Map

// Task emits the numbered records of one partition.
type Task struct {
	topic     string
	task      int
	partition map[string]any
	next      int64
	count     int64
	rate      float64
	batch     int
	payload   string
	failAt    int64
	failKey   string
	start     time.Time
	startSeq  int64
}

// Start implements api.SourceTask: it resumes after the stored offset.
func (t *Task) Start(ctx context.Context, tc api.TaskContext, config map[string]string) error {
	var err error
	t.topic = config["topic"]
	if t.task, err = strconv.Atoi(config["task.id"]); err != nil {
		return fmt.Errorf("task.id %q: %w", config["task.id"], err)
	}
	num := func(key, def string) float64 {
		v := config[key]
		if v == "" {
			v = def
		}
		f, perr := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if perr != nil && err == nil {
			err = fmt.Errorf("%s=%q is not a number", key, v)
		}
		return f
	}
	t.count = int64(num("count", "0"))
	t.rate = num("rate", "0")
	t.batch = int(num("batch.size", "100"))
	t.payload = strings.Repeat("x", int(num("payload.size", "16")))
	t.failAt = int64(num("fail.at.seq", "-1"))
	if err != nil {
		return err
	}
	if t.batch < 1 {
		t.batch = 1
	}
	t.failKey = tc.ConnectorName() + "/" + strconv.Itoa(t.task)
	t.partition = map[string]any{"task": strconv.Itoa(t.task)}
	off, err := tc.Offsets().Offset(ctx, t.partition)
	if err != nil {
		return fmt.Errorf("could not read the stored offset: %w", err)
	}
	if off != nil {
		seq, ok := off["seq"].(int64)
		if !ok {
			return fmt.Errorf("the stored offset %v has no integer seq", off)
		}
		t.next = seq + 1
	}
	t.start, t.startSeq = time.Now(), t.next
	return nil
}

// Poll implements api.SourceTask.
func (t *Task) Poll(ctx context.Context) ([]*api.SourceRecord, error) {
	n := t.batch
	if t.count > 0 {
		n = int(min(int64(n), t.count-t.next))
	}
	if n <= 0 {
		// Done: idle until stopped, returning now and then so the runtime can commit.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
			return nil, nil
		}
	}
	if t.rate > 0 {
		for {
			due := t.startSeq + int64(time.Since(t.start).Seconds()*t.rate) + 1 - t.next
			if due > 0 {
				n = int(min(int64(n), due))
				break
			}
			wait := time.Duration(float64(time.Second) / t.rate)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	out := make([]*api.SourceRecord, 0, n)
	for range n {
		seq := t.next
		if seq == t.failAt {
			if _, already := failed.Load(t.failKey); !already {
				if len(out) > 0 {
					return out, nil // hand over what comes before; fail at the next poll
				}
				failed.Store(t.failKey, true)
				return nil, fmt.Errorf("generator task %d was configured to fail at seq %d (fail.at.seq)", t.task, seq)
			}
		}
		key := api.NewStruct(KeySchema)
		key.PutIndex(0, seq)
		value := api.NewStruct(ValueSchema)
		value.PutIndex(0, seq)
		value.PutIndex(1, int32(t.task))
		value.PutIndex(2, t.payload)
		out = append(out, &api.SourceRecord{
			SourcePartition: t.partition,
			SourceOffset:    map[string]any{"seq": seq},
			Topic:           t.topic,
			Partition:       -1,
			KeySchema:       KeySchema, Key: key,
			ValueSchema: ValueSchema, Value: value,
		})
		t.next++
	}
	return out, nil
}

// Commit implements api.SourceTask; the generator has nothing to confirm anywhere.
func (t *Task) Commit(context.Context, []api.PartitionOffset) error { return nil }

// Stop implements api.SourceTask.
func (t *Task) Stop() error { return nil }

// ExactlyOnceSupport implements api.ExactlyOnceSupporter: each record carries the seq a restart
// resumes after.
func (c *Connector) ExactlyOnceSupport(map[string]string) api.ExactlyOnceSupport {
	return api.ExactlyOnceSupported
}
