package distributed

import (
	"context"
	"testing"
	"time"

	"github.com/connectd/connectd/connect/runtime"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/tests/broker"
	"github.com/connectd/connectd/tests/testbed"
)

// A worker giving an instance up late (UNASSIGNED) must not hide that another worker of a newer
// generation runs it; its own statuses it may overwrite. Deleting leaves no status behind.
func TestStatusStoreSafeWritesAndTombstones(t *testing.T) {
	brokers := broker.Kafka(t)
	topic := testbed.Topic(t, "status")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	open := func(id string) *StatusStore {
		s := NewStatusStore(StatusStoreOptions{Brokers: []string{brokers}, Topic: topic, Partitions: 3, ReplicationFactor: 1, WorkerID: id})
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	a, b := open("a:1"), open("b:1")
	task := herder.TaskID{Connector: "c-1", Task: 3}
	sync := func(ss ...*StatusStore) {
		for _, s := range ss {
			if err := s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}

	a.SetGeneration(5)
	a.PutConnector(runtime.ConnectorStatus{Name: "c-1", State: herder.StateRunning})
	a.PutTask(runtime.TaskStatus{ID: task, State: herder.StateRunning})
	a.AddTopic("c-1", "out.topic")
	sync(a, b)
	if st, ok := b.Task(task); !ok || st.State != herder.StateRunning || st.WorkerID != "a:1" || st.Generation != 5 {
		t.Fatalf("b reads %+v %v", st, ok)
	}
	if got := b.Topics("c-1"); len(got) != 1 || got[0] != "out.topic" {
		t.Fatalf("topics %v", got)
	}

	b.SetGeneration(6)
	b.PutTask(runtime.TaskStatus{ID: task, State: herder.StateRunning})
	sync(b, a)
	a.PutTask(runtime.TaskStatus{ID: task, State: herder.StateUnassigned}) // late, generation 5
	sync(a, b)
	if st, _ := b.Task(task); st.WorkerID != "b:1" || st.State != herder.StateRunning {
		t.Fatalf("a late UNASSIGNED from an older generation replaced b's status: %+v", st)
	}
	b.PutTask(runtime.TaskStatus{ID: task, State: herder.StateUnassigned}) // b's own: allowed
	sync(b)
	if st, _ := b.Task(task); st.State != herder.StateUnassigned {
		t.Fatalf("b could not mark its own task UNASSIGNED: %+v", st)
	}

	a.DeleteConnector("c-1")
	sync(a, b)
	if _, ok := b.Connector("c-1"); ok {
		t.Error("connector status survived its tombstone")
	}
	if ts := b.Tasks("c-1"); len(ts) != 0 {
		t.Errorf("task statuses survived: %+v", ts)
	}
	if got := b.Topics("c-1"); len(got) != 0 {
		t.Errorf("active topics survived: %v", got)
	}
}
