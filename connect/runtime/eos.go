package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/converter"
	"github.com/connectd/connectd/connect/plugins"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/offsets"
)

// Connector settings of exactly-once source support (KIP-618), as Kafka Connect's
// SourceConnectorConfig names them.
const (
	ExactlyOnceSupportConfig          = "exactly.once.support"
	TransactionBoundaryConfig         = "transaction.boundary"
	TransactionBoundaryIntervalConfig = "transaction.boundary.interval.ms"
)

// Transaction boundaries a connector can ask for (transaction.boundary).
const (
	BoundaryPoll      = "poll"
	BoundaryInterval  = "interval"
	BoundaryConnector = "connector"
)

// errStandaloneExactlyOnce is why a standalone worker refuses exactly.once.source.support=enabled:
// a standalone worker has neither a group to fence zombies in nor a Kafka offsets topic.
var errStandaloneExactlyOnce = errors.New("exactly.once.source.support=enabled: exactly-once support for source connectors is only available in distributed mode; standalone Connect workers cannot provide exactly-once semantics. Run a distributed worker (connectd distributed) or set exactly.once.source.support=disabled")

// TransactionalID is the transactional.id of a source task's producer under exactly-once
// support, formed as Kafka Connect forms it (${groupId}-${connector}-${taskId}), so a connectd
// task and a Kafka Connect task of the same cluster and connector fence each other.
func TransactionalID(groupID, connector string, task int) string {
	return groupID + "-" + connector + "-" + strconv.Itoa(task)
}

// eosConfig is a connector's exactly-once settings once validated.
type eosConfig struct {
	required bool
	boundary string
	interval time.Duration // transaction.boundary=interval only
}

// parseEOSConfig reads a connector's exactly-once settings; flushInterval is the worker's
// offset.flush.interval.ms, the default interval as in Kafka Connect.
func parseEOSConfig(config map[string]string, flushInterval time.Duration) (eosConfig, []herder.ConfigInfo) {
	c := eosConfig{boundary: BoundaryPoll, interval: flushInterval}
	var probs []herder.ConfigInfo
	add := func(key, msg string) {
		v := config[key]
		probs = append(probs, herder.ConfigInfo{Value: &herder.ConfigValueInfo{Name: key, Value: &v, RecommendedValues: []string{}, Errors: []string{msg}, Visible: true}})
	}
	if v, ok := config[ExactlyOnceSupportConfig]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "requested":
		case "required":
			c.required = true
		default:
			add(ExactlyOnceSupportConfig, fmt.Sprintf("Invalid value %s for configuration %s: String must be one of (case insensitive): REQUIRED, REQUESTED", v, ExactlyOnceSupportConfig))
		}
	}
	if v, ok := config[TransactionBoundaryConfig]; ok {
		switch b := strings.ToLower(strings.TrimSpace(v)); b {
		case BoundaryPoll, BoundaryInterval, BoundaryConnector:
			c.boundary = b
		default:
			add(TransactionBoundaryConfig, fmt.Sprintf("Invalid value %s for configuration %s: String must be one of (case insensitive): POLL, INTERVAL, CONNECTOR", v, TransactionBoundaryConfig))
		}
	}
	if v, ok := config[TransactionBoundaryIntervalConfig]; ok && strings.TrimSpace(v) != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch {
		case err != nil:
			add(TransactionBoundaryIntervalConfig, fmt.Sprintf("Invalid value %s for configuration %s: Not a number of type LONG", v, TransactionBoundaryIntervalConfig))
		case n < 0:
			add(TransactionBoundaryIntervalConfig, fmt.Sprintf("Invalid value %d for configuration %s: Value must be at least 0", n, TransactionBoundaryIntervalConfig))
		default:
			c.interval = time.Duration(n) * time.Millisecond
		}
	}
	return c, probs
}

// eosChecks validates a source connector's exactly-once settings as Kafka Connect's distributed
// herder does: the values themselves; with exactly.once.support=required, that the worker has
// support enabled and that the connector answers SUPPORTED; with transaction.boundary=connector,
// that the connector can define transaction boundaries. workerEnabled is the worker's
// exactly.once.source.support=enabled.
func eosChecks(reg *plugins.Registry, config map[string]string, workerEnabled bool) []herder.ConfigInfo {
	c, probs := parseEOSConfig(config, 0)
	if len(probs) > 0 {
		return probs
	}
	p, ok := reg.Lookup(config["connector.class"])
	if !ok || p.New == nil {
		return nil
	}
	var conn api.SourceConnector
	if err := safely(func() error { conn = p.New(); return nil }); err != nil || conn == nil {
		return nil
	}
	add := func(key, msg string) {
		v := config[key]
		probs = append(probs, herder.ConfigInfo{Value: &herder.ConfigValueInfo{Name: key, Value: &v, RecommendedValues: []string{}, Errors: []string{msg}, Visible: true}})
	}
	if c.required {
		if !workerEnabled {
			add(ExactlyOnceSupportConfig, "This worker does not have exactly-once source support enabled.")
		}
		if s, ok := conn.(api.ExactlyOnceSupporter); !ok {
			add(ExactlyOnceSupportConfig, `The connector does not implement the API required for preflight validation of exactly-once source support. Please consult the documentation for the connector to determine whether it supports exactly-once semantics, and then consider reconfiguring the connector to use the value "requested" for this property (which will disable this preflight check and allow the connector to be created).`)
		} else {
			var support api.ExactlyOnceSupport
			err := safely(func() error { support = s.ExactlyOnceSupport(config); return nil })
			switch {
			case err != nil:
				add(ExactlyOnceSupportConfig, "An unexpected error occurred during validation: "+strings.TrimSpace(err.Error()))
			case support != api.ExactlyOnceSupported:
				add(ExactlyOnceSupportConfig, "The connector does not support exactly-once semantics with the provided configuration.")
			}
		}
	}
	if c.boundary == BoundaryConnector {
		d, ok := conn.(api.TransactionBoundaryDefiner)
		var can bool
		if ok {
			_ = safely(func() error { can = d.CanDefineTransactionBoundaries(config); return nil })
		}
		if !can {
			add(TransactionBoundaryConfig, "The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.")
		}
	}
	return probs
}

// withEOSChecks adds the exactly-once problems of config to infos.
func (c *HerderCore) withEOSChecks(infos herder.ConfigInfos, config map[string]string) herder.ConfigInfos {
	enabled := c.worker != nil && c.worker.eosEnabled()
	for _, p := range eosChecks(c.plugins, config, enabled) {
		infos.Configs = append(infos.Configs, p)
		infos.ErrorCount += len(p.Value.Errors)
	}
	return infos
}

// eosEnabled says whether this worker writes source records and offsets in transactions.
func (w *Worker) eosEnabled() bool {
	return w.cfg != nil && w.cfg.ExactlyOnce == "enabled"
}

// eosTxn is a source task's transactional producer and the state of its open transaction. It is
// used by the poll goroutine only (and by finish, after the poll goroutine ended).
type eosTxn struct {
	cl           *kgo.Client
	id           string
	offsetsTopic string
	cfg          eosConfig
	open         bool
	began        time.Time
}

// offsetsTopicNamer is the offset store of a distributed worker (offsets.KafkaStore).
type offsetsTopicNamer interface{ Topic() string }

// newEOSTxn creates the transactional producer of a task: the worker's producer settings with
// the connector's producer.override.* over them, and transactional.id as Kafka Connect forms it.
func (w *Worker) newEOSTxn(id herder.TaskID, connConfig map[string]string) (*eosTxn, error) {
	c, probs := parseEOSConfig(connConfig, w.flushInterval)
	if len(probs) > 0 {
		return nil, fmt.Errorf("invalid %s: %s", probs[0].Value.Name, probs[0].Value.Errors[0])
	}
	if c.boundary == BoundaryConnector {
		return nil, errors.New("transaction.boundary=connector: the connector does not support connector-defined transaction boundaries; use poll or interval")
	}
	named, ok := w.offsets.(offsetsTopicNamer)
	if !ok {
		return nil, errors.New("exactly-once source support needs the Kafka offset store (offset.storage.topic) of a distributed worker")
	}
	if strings.TrimSpace(connConfig["offsets.storage.topic"]) != "" {
		return nil, errors.New("offsets.storage.topic: a connector-specific offsets topic is not supported by connectd yet; remove the setting so the connector's offsets go to the worker's offsets topic inside its transactions")
	}
	groupID := strings.TrimSpace(w.cfg.Props["group.id"])
	if groupID == "" {
		return nil, errors.New("exactly-once source support needs the worker's group.id, which names the tasks' transactional ids")
	}
	settings := map[string]string{}
	for k, v := range w.cfg.Props {
		if rest, ok := strings.CutPrefix(k, "producer."); ok {
			settings[rest] = v
		}
	}
	maps.Copy(settings, converter.Settings(connConfig, "producer.override."))
	txnID := TransactionalID(groupID, id.Connector, id.Task)
	opts := []kgo.Opt{kgo.TransactionalID(txnID)}
	if v, ok := settings["transaction.timeout.ms"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("producer.transaction.timeout.ms=%s: expected a positive number of milliseconds", v)
		}
		opts = append(opts, kgo.TransactionTimeout(time.Duration(n)*time.Millisecond))
	}
	cl, err := newProducer(w.cfg, settings, "producer.override.", opts...)
	if err != nil {
		return nil, fmt.Errorf("could not create the transactional producer of task %s: %w", id, err)
	}
	return &eosTxn{cl: cl, id: txnID, offsetsTopic: named.Topic(), cfg: c}, nil
}

// fenceSelf initializes the task's transactional id before the task starts. InitProducerId bumps
// the id's epoch, which fences any older producer with the same id (a zombie of this task on a
// worker that lost its assignment) and aborts its open transaction, so read_committed consumers
// never see it and the offsets the task starts from are the last committed ones.
func (x *eosTxn) fenceSelf(ctx context.Context) error {
	if _, _, err := x.cl.ProducerID(ctx); err != nil {
		return fmt.Errorf("could not initialize the transactional id %s (which fences older producers of this task): %w; check that the brokers allow transactions (transaction.state.log.* settings, WRITE on TransactionalId ACLs)", x.id, err)
	}
	return nil
}

// due says whether the open transaction must be committed after a poll.
func (x *eosTxn) due() bool {
	if x.cfg.boundary == BoundaryPoll {
		return true
	}
	return x.open && time.Since(x.began) >= x.cfg.interval
}

// begin opens a transaction if none is open; records are produced only inside one.
func (x *eosTxn) begin() error {
	if x.open {
		return nil
	}
	if err := x.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("could not begin a transaction with transactional id %s: %w", x.id, err)
	}
	x.open, x.began = true, time.Now()
	return nil
}

// commitTxn ends the task's transaction: it waits for Kafka to acknowledge every record of it,
// adds the offset records of those records to the offsets topic and commits, so the records and
// the offsets a restart resumes from become visible together or not at all. It is the offset
// commit of an exactly-once task; there is no separate offset flush. Any failure aborts the
// transaction and is returned: the task then fails and, restarted, resumes after the last
// committed transaction.
func (t *taskRunner) commitTxn() error {
	x := t.txn
	ctx, cancel := context.WithTimeout(t.hardCtx, t.w.flushTimeout)
	defer cancel()
	commitStart := time.Now()
	if x.open {
		if err := x.cl.Flush(ctx); err != nil {
			return t.abortTxn(fmt.Errorf("could not deliver the records of the transaction within offset.flush.timeout.ms: %w", err))
		}
		if f := t.failure.Load(); f != nil {
			return t.abortTxn(*f)
		}
	}
	offs := t.subs.collect()
	if !x.open && len(offs) == 0 {
		return nil
	}
	if err := x.begin(); err != nil {
		return err
	}
	recs := make([]*kgo.Record, 0, len(offs))
	for _, po := range offs {
		key, err := offsets.EncodeKey(t.id.Connector, po.Partition)
		if err != nil {
			return t.abortTxn(fmt.Errorf("could not encode the source partition %v: %w", po.Partition, err))
		}
		var value []byte
		if po.Offset != nil {
			if value, err = offsets.EncodeOffset(po.Offset); err != nil {
				return t.abortTxn(fmt.Errorf("could not encode the offset %v: %w", po.Offset, err))
			}
		}
		recs = append(recs, &kgo.Record{Topic: x.offsetsTopic, Key: key, Value: value, Partition: -1})
	}
	if err := x.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return t.abortTxn(fmt.Errorf("could not write the offsets of the transaction to the offsets topic %s: %w", x.offsetsTopic, err))
	}
	if err := x.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		x.open = false
		t.stats.commitFailures.Add(1)
		return fmt.Errorf("could not commit the transaction of transactional id %s (%w); its records and offsets are discarded, and the task resumes after the last committed transaction when restarted. If the producer was fenced, another worker runs this task now", x.id, err)
	}
	x.open = false
	t.stats.commit.observe(time.Since(commitStart))
	if err := safely(func() error { return t.task.Commit(ctx, offs) }); err != nil {
		if api.IsPanic(err) {
			return fmt.Errorf("the task's Commit panicked after the transaction committed: %w", err)
		}
		t.log.Warn("the task's commit callback failed", "error", err)
	}
	return nil
}

// abortTxn aborts the open transaction after cause and returns cause (with the abort's own
// failure, if any): nothing of the transaction becomes visible to read_committed consumers.
func (t *taskRunner) abortTxn(cause error) error {
	x := t.txn
	if !x.open {
		return cause
	}
	x.open = false
	ctx, cancel := context.WithTimeout(context.Background(), t.w.flushTimeout)
	defer cancel()
	if err := x.cl.AbortBufferedRecords(ctx); err != nil {
		return fmt.Errorf("%w (and the records not yet sent could not be dropped: %v)", cause, err)
	}
	if err := x.cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		return fmt.Errorf("%w (and the transaction could not be aborted: %v; the transaction coordinator aborts it after transaction.timeout.ms)", cause, err)
	}
	return cause
}

// finishTxn ends the task's transactional work when it stops: a clean stop commits the open
// transaction, a failure aborts it. run closes the producer.
func (t *taskRunner) finishTxn() {
	x := t.txn
	if x == nil {
		return
	}
	if f := t.failure.Load(); f != nil || t.failed.Load() {
		cause := errors.New("the task failed")
		if f != nil {
			cause = *f
		}
		if err := t.abortTxn(cause); err != cause {
			t.log.Warn("aborting the transaction failed", "error", err)
		}
	} else if err := safely(t.commitTxn); err != nil {
		t.fail("the final transaction commit failed", err)
	}
}
