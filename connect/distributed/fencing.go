package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/connectd/connectd/connect/runtime"
)

// fenceTransactionTimeoutMs is the transaction timeout the fencing InitProducerId requests carry;
// the producer they create is never used, so any valid value does (Kafka's Admin.fenceProducers
// uses the producer default too).
const fenceTransactionTimeoutMs = 60000

// FenceProducers fences every producer using one of ids, as Kafka's Admin.fenceProducers does:
// an InitProducerId request with the transactional id bumps its epoch at the transaction
// coordinator, which aborts the id's open transaction and makes any older producer of it fail
// with PRODUCER_FENCED (or INVALID_PRODUCER_EPOCH) at its next send or commit.
func FenceProducers(ctx context.Context, cl *kgo.Client, ids []string) error {
	for _, id := range ids {
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID = kmsg.StringPtr(id)
		req.TransactionTimeoutMillis = fenceTransactionTimeoutMs
		req.ProducerID, req.ProducerEpoch = -1, -1
		var err error
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
			var resp *kmsg.InitProducerIDResponse
			if resp, err = req.RequestWith(ctx, cl); err == nil {
				err = kerr.ErrorForCode(resp.ErrorCode)
			}
			// CONCURRENT_TRANSACTIONS: the coordinator is still aborting the id's open transaction
			// (the first request started that); retried as the Java admin client retries it.
			if err == nil || !(kerr.IsRetriable(err) || errors.Is(err, kerr.ConcurrentTransactions)) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("could not fence the producers of transactional id %s before the deadline: %w", id, err)
			case <-time.After(backoff):
			}
		}
		if err != nil {
			return fmt.Errorf("could not fence the producers of transactional id %s: %w; check that the worker may write that transactional id (ACLs) and that the brokers' transaction coordinator is available", id, err)
		}
	}
	return nil
}

// taskCountValue is the value of Kafka Connect's task-count record (tasks-fencing-<connector>):
// how many tasks the connector had when its zombies were last fenced.
type taskCountValue struct {
	TaskCount int `json:"task-count"`
}

// applyTaskCount reads a task-count record. Called with s.mu held, from apply.
func (s *ConfigStore) applyTaskCount(key string, value []byte) {
	name := key[len(keyTaskCount):]
	if s.fenced == nil {
		s.fenced = map[string]int{}
	}
	if value == nil {
		delete(s.fenced, name)
		return
	}
	var v taskCountValue
	if err := json.Unmarshal(value, &v); err != nil || v.TaskCount < 0 {
		s.logger.Error("discarding a malformed task-count record", "topic", s.topic, "key", key, "value", string(value))
		return
	}
	s.fenced[name] = v.TaskCount
}

// FencedTaskCount returns the task count of the connector's last zombie fencing round, from its
// task-count record, and whether there is one.
func (s *ConfigStore) FencedTaskCount(name string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.fenced[name]
	return n, ok
}

// PutTaskCount writes the connector's task-count record after a fencing round, as Kafka
// Connect's leader does.
func (s *ConfigStore) PutTaskCount(ctx context.Context, name string, count int) error {
	return s.write(ctx, "the task count of connector "+name, s.record(keyTaskCount+name, []byte(`{"task-count":`+strconv.Itoa(count)+`}`)))
}

// fenceZombies is the leader's zombie fencing round of a connector whose task configurations it
// just wrote, under exactly-once source support, then it records the new task count. Every
// transactional id of the previous generation (as many as the larger of the last task-count
// record and the previous task count) is fenced before a new task commits: the ids the new
// generation no longer has here, the others by the new task itself, which initializes its id
// before it starts. Fencing those here too could fence a new task that already started, since
// workers do not wait for this round (Kafka Connect's do).
func (h *Herder) fenceZombies(ctx context.Context, name string, previous, count int) error {
	if h.cfg == nil || h.cfg.ExactlyOnce != "enabled" {
		return nil
	}
	if n, ok := h.configs.FencedTaskCount(name); ok && n > previous {
		previous = n
	}
	ids := make([]string, 0, max(previous-count, 0))
	for i := count; i < previous; i++ {
		ids = append(ids, runtime.TransactionalID(h.cfg.GroupID, name, i))
	}
	cl := h.configs.client()
	if cl == nil {
		return errors.New("the config store is not started")
	}
	if err := FenceProducers(ctx, cl, ids); err != nil {
		return err
	}
	if err := h.configs.PutTaskCount(ctx, name, count); err != nil {
		return err
	}
	h.log.Info("fenced the previous generation of the connector's tasks", "connector", name, "fenced", len(ids), "tasks", count)
	return nil
}

// putTaskConfigs writes a connector's task configurations and, under exactly-once support, runs
// the zombie fencing round of its previous generation.
func (h *Herder) putTaskConfigs(ctx context.Context, name string, cfgs []map[string]string) error {
	previous := h.configs.TaskCount(name)
	if err := h.configs.PutTaskConfigs(ctx, name, cfgs); err != nil {
		return err
	}
	if err := h.fenceZombies(ctx, name, previous, len(cfgs)); err != nil {
		return fmt.Errorf("could not fence the zombies of connector %s: %w", name, err)
	}
	return nil
}

// client returns the store's Kafka client (nil before Start).
func (s *ConfigStore) client() *kgo.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cl
}
