// Package panicking is a test-only source connector that panics where its panic.in setting says,
// for the fault containment tests (connect/runtime, tests/runtime): a panic in a connector must
// fail that task or connector alone, never the worker. It is never registered in the product.
package panicking

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connectors/queue"
)

// Class is the test-only connector that panics where panic.in says: "reader" (in a goroutine
// of its own, started through api.Guard like the mysql and postgres readers, after panic.after
// records), "poll", "start", "commit", "stop" (the task's methods), "connector.start" or
// "taskconfigs" (the connector's). Its task emits records numbered from 0 with source partition
// {"p":"0"} and offset {"n":N} until it panics.
const Class = "io.connectd.tests.PanicConnector"

// Plugin returns the connector's plugin, for a test's registry.
func Plugin() api.Plugin {
	return api.Plugin{Class: Class, Version: "1.0.0", Spec: api.ConfigSpec{
		{Name: "topic", Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Topic of the records."},
		{Name: "panic.in", Type: api.ConfigString, Required: true, Importance: api.High, Doc: "Where to panic."},
		{Name: "panic.after", Type: api.ConfigInt, Default: "10", Importance: api.Low, Doc: "Records before the reader panics."},
	}, New: func() api.SourceConnector { return &Connector{} }}
}

// Connector is the connector-level object.
type Connector struct{ config map[string]string }

// Start implements api.SourceConnector; panic.in=connector.start panics here.
func (c *Connector) Start(_ api.ConnectorContext, config map[string]string) error {
	if config["panic.in"] == "connector.start" {
		panic("boom in connector Start")
	}
	c.config = config
	return nil
}

// TaskConfigs implements api.SourceConnector; panic.in=taskconfigs panics here (a nil map write).
func (c *Connector) TaskConfigs(int) ([]map[string]string, error) {
	if c.config["panic.in"] == "taskconfigs" {
		var m map[string]string
		m["x"] = "a nil map write, a runtime.Error panic"
	}
	return []map[string]string{c.config}, nil
}

// NewTask implements api.SourceConnector.
func (c *Connector) NewTask() api.SourceTask { return &Task{} }

// Stop implements api.SourceConnector.
func (c *Connector) Stop() error { return nil }

// Task emits records from its reader goroutine through a queue, as a CDC connector does.
type Task struct {
	where  string
	topic  string
	after  int
	q      *queue.Queue
	cancel context.CancelFunc
	done   chan struct{}
}

// Start implements api.SourceTask: it starts the reader goroutine through api.Guard, as the mysql
// and postgres connectors do; panic.in=start panics here instead.
func (t *Task) Start(_ context.Context, _ api.TaskContext, config map[string]string) error {
	t.where, t.topic = config["panic.in"], config["topic"]
	t.after, _ = strconv.Atoi(config["panic.after"])
	if t.where == "start" {
		panic("boom in task Start")
	}
	t.q = queue.New(100, 0)
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel, t.done = cancel, make(chan struct{})
	go func() {
		defer close(t.done)
		if err := api.Guard(func() error { return t.panickyReader(ctx) }); err != nil && (ctx.Err() == nil || api.IsPanic(err)) {
			t.q.Close(err)
		}
	}()
	return nil
}

// panickyReader stands for a connector's reader goroutine (a binlog or WAL reader).
func (t *Task) panickyReader(ctx context.Context) error {
	for n := 0; ; n++ {
		if t.where == "reader" && n == t.after {
			panic(fmt.Sprintf("boom in the reader goroutine after %d records", n))
		}
		r := &api.SourceRecord{SourcePartition: map[string]any{"p": "0"}, SourceOffset: map[string]any{"n": int64(n)},
			Topic: t.topic, Partition: -1, ValueSchema: api.StringSchema, Value: "rec-" + strconv.Itoa(n)}
		if err := t.q.Put(ctx, r, 100); err != nil {
			return err
		}
		if n >= t.after {
			select { // past the panic point (other modes): trickle on
			case <-ctx.Done():
				return nil
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// Poll implements api.SourceTask; panic.in=poll panics here.
func (t *Task) Poll(ctx context.Context) ([]*api.SourceRecord, error) {
	if t.where == "poll" {
		panic("boom in task Poll")
	}
	recs, err := t.q.Take(ctx, nil, 100, 100*time.Millisecond)
	if ctx.Err() != nil {
		return recs, nil
	}
	return recs, err
}

// Commit implements api.SourceTask; panic.in=commit panics here.
func (t *Task) Commit(context.Context, []api.PartitionOffset) error {
	if t.where == "commit" {
		panic("boom in task Commit")
	}
	return nil
}

// Stop implements api.SourceTask: it stops the reader; panic.in=stop then panics.
func (t *Task) Stop() error {
	if t.cancel != nil {
		t.cancel()
		<-t.done
	}
	if t.where == "stop" {
		panic("boom in task Stop")
	}
	return nil
}
