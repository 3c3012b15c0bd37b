package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/connect/api/progress"
	"github.com/connectd/connectd/connect/converter"
	"github.com/connectd/connectd/connect/runtime/herder"
	"github.com/connectd/connectd/connect/transforms"
	"github.com/connectd/connectd/offsets"
	"github.com/connectd/connectd/schemahistory"
)

// recordOverhead is what one record in flight holds beyond its key, value and headers: the
// producer's kgo.Record, the acknowledgement callback, the commit tracking entry and the
// connector's offset map, ~640 bytes with a MySQL binlog offset (BenchmarkInflightOverhead). Counting
// it keeps producer.buffer.memory a bound on the memory records in flight really take, for large
// and tiny records alike.
const recordOverhead = 640

// taskRunner runs one source task: a goroutine polls the task, converts each record, hands it to
// the worker's shared producer and tracks it until Kafka acknowledges it; another goroutine
// commits the acknowledged offsets every offset.flush.interval.ms. The bytes in flight are
// bounded: Poll is not called while the task has more than maxInflight bytes unacknowledged, which
// is the backpressure a slow Kafka exerts on the connector.
type taskRunner struct {
	// progressEvery overrides progressLogInterval (tests); 0: the default.
	progressEvery time.Duration

	id        herder.TaskID
	w         *Worker
	log       *slog.Logger
	task      api.SourceTask
	config    map[string]string
	keyConv   converter.Converter
	valueConv converter.Converter
	// producer is the worker's, or the connector's own when it has producer overrides.
	producer    Producer
	maxInflight int64
	// maxRequestSize is the producer's max.request.size; ownProducer says it came from the
	// connector's producer.override.* settings. Both only word the error of a too large record.
	maxRequestSize int64
	ownProducer    bool
	// deliveryTimeout is the producer's delivery.timeout.ms, watched by the committer
	// (deliveryOverdue; a transactional task has none: its commit waits for every record).
	deliveryTimeout time.Duration
	topicCreation   *topicCreation // nil: topics are not created by the worker
	// txn is the task's transactional producer under exactly-once support (nil: at least once).
	txn *eosTxn
	// ddls is touched only by the poll goroutine (send).
	ddls ddlContext
	// chain is the connector's transforms (nil: none), built when the task was set up and used
	// only by the poll goroutine.
	chain *transforms.Chain
	// errs is the connector's errors.* handling of transform and conversion errors.
	errs errorPolicy
	// stats are the task's Kafka Connect metrics (GET /metrics).
	stats taskStats
	// progress is what the connector reports of its work (Debezium's metrics, the REST
	// progress); nil when connector metrics are off.
	progress *progress.Task

	// pollCtx ends polling (stop requested, or a produce failure); hardCtx ends waiting for
	// Kafka (the graceful shutdown time is over).
	pollCtx  context.Context
	stopPoll context.CancelFunc
	hardCtx  context.Context
	abandon  context.CancelFunc

	targetMu sync.Mutex
	target   herder.TargetState
	wake     chan struct{} // a target state change

	subs          *submitted
	inflightBytes atomic.Int64
	inflightRecs  atomic.Int64
	space         chan struct{} // an acknowledgement freed in-flight room
	// ackMark is when (time since stats.started) a record was last acknowledged, or was sent
	// with nothing in flight: the oldest record in flight has waited at least since then.
	ackMark atomic.Int64

	failure  atomic.Pointer[error] // first failure outside the poll goroutine (produce, commit)
	failed   atomic.Bool           // FAILED was reported: later errors are only logged
	stopping atomic.Bool           // stop() was called: the end is not a failure
	silenced atomic.Bool           // abandoned: its late reports must not resurrect a status
	done     chan struct{}         // run returned
	stopOnce sync.Once             // task.Stop is called once
	commitMu sync.Mutex            // one offset commit at a time

	secrets []string // values resolved from config providers, scrubbed from traces

	// Owned by the poll goroutine.
	keyBuf     []byte
	encBuf     []byte // the key and value of the record being converted (encode)
	lastSize   int64  // the in-flight bytes of the last record converted (send's guess for the next)
	topicsSeen map[string]struct{}
	// hdrFrom are the connector headers hdrTo was converted from (a copy), when all of their
	// values are strings: the context headers Debezium puts on every record are the same for
	// the whole run, so their conversion is shared by the records that carry them. hdrTo is
	// never modified, as the producer may still be reading it.
	hdrFrom  []api.Header
	hdrTo    []kgo.RecordHeader
	hdrBytes int64
}

func (w *Worker) newTaskRunner(id herder.TaskID, task api.SourceTask, config map[string]string, keyConv, valueConv converter.Converter, target herder.TargetState) *taskRunner {
	t := &taskRunner{
		id: id, w: w, task: task, config: config, keyConv: keyConv, valueConv: valueConv, ddls: ddlContext{},
		log:      w.log.With("connector", id.Connector, "task", id.Task),
		producer: w.producer, maxInflight: w.maxInflight, maxRequestSize: w.maxRequestSize, deliveryTimeout: w.deliveryTimeout,
		target: target, wake: make(chan struct{}, 1), space: make(chan struct{}, 1),
		subs: newSubmitted(), done: make(chan struct{}), topicsSeen: map[string]struct{}{},
	}
	t.stats.started = time.Now()
	base := context.Background()
	if w.cfg != nil {
		// A Kafka schema history on the worker's cluster uses the worker's security settings.
		base = schemahistory.WithWorkerClient(base, w.cfg.BootstrapServers, w.cfg.Props)
	}
	if w.connectorMetrics {
		t.progress = progress.New(id.Connector, id.Task)
		base = progress.NewContext(base, t.progress)
	}
	t.hardCtx, t.abandon = context.WithCancel(base)
	t.pollCtx, t.stopPoll = context.WithCancel(t.hardCtx)
	return t
}

// ConnectorName implements api.TaskContext.
func (t *taskRunner) ConnectorName() string { return t.id.Connector }

// TaskID implements api.TaskContext.
func (t *taskRunner) TaskID() int { return t.id.Task }

// Offsets implements api.TaskContext: reads go through the store, which catches up with every
// write (by any client) before answering.
func (t *taskRunner) Offsets() api.OffsetReader {
	return offsets.ReaderFor(t.w.offsets, t.id.Connector)
}

func (t *taskRunner) setTarget(s herder.TargetState) {
	t.targetMu.Lock()
	t.target = s
	t.targetMu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *taskRunner) currentTarget() herder.TargetState {
	t.targetMu.Lock()
	defer t.targetMu.Unlock()
	return t.target
}

func (t *taskRunner) report(s herder.State, trace string) {
	if t.silenced.Load() {
		return
	}
	t.w.listener.OnTaskState(t.id, s, trace)
}

// run is the task's goroutine: start, poll until stopped or failed, then drain, commit and stop.
func (t *taskRunner) run() {
	defer close(t.done)
	if t.txn != nil {
		defer t.txn.cl.Close() // idempotent; finishTxn closes it on the normal path
		if err := t.txn.fenceSelf(t.pollCtx); err != nil {
			if t.pollCtx.Err() == nil {
				t.fail("could not start the task's transactional producer", err)
			}
			return
		}
	}
	// Read the offset store to its end first, so an offset written while the connector was
	// stopped (over REST or by any Kafka client) is the one the task starts from, and a
	// malformed offset record fails the task with its explanation.
	if _, err := t.w.offsets.List(t.pollCtx, t.id.Connector); err != nil {
		if t.pollCtx.Err() == nil {
			t.fail("could not read the connector's offsets before starting the task", err)
		}
		return
	}
	if err := safely(func() error { return t.task.Start(t.pollCtx, t, t.config) }); err != nil {
		if t.pollCtx.Err() == nil || api.IsPanic(err) {
			t.fail("the task failed to start", err)
		}
		t.stopTask()
		return
	}
	stopFlush := make(chan struct{})
	flushDone := make(chan struct{})
	if t.txn == nil {
		go t.flushLoop(stopFlush, flushDone)
	} else {
		close(flushDone) // the transaction commit is the offset commit
	}
	go t.progressLoop(stopFlush)
	err := safely(t.pollLoop)
	close(stopFlush)
	<-flushDone
	if err != nil {
		var pe pollError
		if api.IsPanic(err) && !errors.As(err, &pe) {
			// Poll's own panics are pollErrors; this one is the runtime's conversion or produce path.
			t.fail("the task panicked while converting or producing a record", err)
		} else {
			t.fail("", err)
		}
	}
	t.finish()
	if err == nil && t.stopping.Load() && !t.failed.Load() {
		t.report(herder.StateUnassigned, "")
	}
}

// safely runs fn, turning a panic into an *api.PanicError (value and stack) so one broken
// connector cannot bring the worker down.
func safely(fn func() error) error { return api.Guard(fn) }

// withStack appends the stack of the panic err carries, if any, to msg: the trace of a task or
// connector that panicked must show where.
func withStack(msg string, err error) string {
	if st := api.PanicStack(err); st != nil {
		return msg + "\n\nStack of the panic:\n" + string(st)
	}
	return msg
}

// pollError is an error the connector's Poll returned, told apart from the runtime's own
// failures so the trace says where it came from.
type pollError struct{ err error }

func (e pollError) Error() string { return e.err.Error() }
func (e pollError) Unwrap() error { return e.err }

// fail reports the task FAILED with err (and what the task was doing) as its trace; only the
// first failure is reported, so a later error while stopping does not hide the cause.
func (t *taskRunner) fail(what string, err error) {
	if !t.failed.CompareAndSwap(false, true) {
		t.log.Warn("task error after it failed", "what", what, "error", err)
		return
	}
	var msg string
	var pe pollError
	switch {
	case what != "":
		msg = what + ": " + err.Error()
	case errors.As(err, &pe):
		msg = "the task failed while polling for records: " + pe.err.Error()
	default:
		msg = err.Error()
	}
	msg = scrub(msg, t.secrets)
	if st := api.PanicStack(err); st != nil {
		t.log.Error("task failed", "error", msg, "stack", string(st))
	} else {
		t.log.Error("task failed", "error", msg)
	}
	t.report(herder.StateFailed, scrub(withStack(msg+fmt.Sprintf("\n\nThe task stays FAILED until it is restarted; after fixing the cause, run POST /connectors/%s/tasks/%d/restart (or POST /connectors/%s/restart?includeTasks=true&onlyFailed=true).", t.id.Connector, t.id.Task, t.id.Connector), err), t.secrets))
}

// setFailure records the first failure found outside the poll goroutine (a producer callback, the
// committer) and interrupts polling; the poll goroutine then fails the task with it.
func (t *taskRunner) setFailure(err error) {
	if t.failure.CompareAndSwap(nil, &err) {
		t.stopPoll() // interrupt a blocked Poll: the task must stop producing
	}
}

// pollLoop polls until stopped (nil) or failed (the error).
func (t *taskRunner) pollLoop() error {
	reported := herder.State("")
	for {
		if f := t.failure.Load(); f != nil {
			return *f
		}
		if t.pollCtx.Err() != nil {
			return nil
		}
		if t.currentTarget() != herder.TargetStarted {
			// PAUSED keeps the task started but idle; acknowledgements and offset commits go on.
			if t.txn != nil && t.txn.open {
				if err := t.commitTxn(); err != nil {
					return err
				}
			}
			if reported != herder.StatePaused {
				t.report(herder.StatePaused, "")
				reported = herder.StatePaused
			}
			select {
			case <-t.wake:
			case <-t.pollCtx.Done():
			}
			continue
		}
		if reported != herder.StateRunning {
			t.report(herder.StateRunning, "")
			reported = herder.StateRunning
		}
		if t.inflightBytes.Load() >= t.maxInflight {
			select {
			case <-t.space:
			case <-t.wake:
			case <-t.pollCtx.Done():
			}
			continue
		}
		var recs []*api.SourceRecord
		pollStart := time.Now()
		err := safely(func() error {
			var err error
			recs, err = t.task.Poll(t.pollCtx)
			return err
		})
		t.stats.poll.observe(time.Since(pollStart))
		t.stats.polled.Add(int64(len(recs)))
		if err != nil {
			if t.pollCtx.Err() != nil && !api.IsPanic(err) {
				continue // stopping (or a produce failure): the loop head decides
			}
			return pollError{err}
		}
		for i, r := range recs {
			if t.failure.Load() != nil {
				break // Kafka refused a record: produce nothing after it
			}
			if r == nil {
				continue
			}
			// Once converted, a record's values are garbage: only its offset is kept (track).
			// The batch must not keep a 10 MB row's values alive while send waits for room.
			recs[i] = nil
			if err := t.send(r); err != nil {
				return err
			}
		}
		if t.txn != nil && t.txn.due() {
			if f := t.failure.Load(); f != nil {
				return *f
			}
			if err := t.commitTxn(); err != nil {
				return err
			}
		}
	}
}

// send converts one record and hands it to the producer.
func (t *taskRunner) send(r *api.SourceRecord) error {
	if r.Topic == "" {
		return fmt.Errorf("the connector produced a record without a topic (source partition %v, offset %v); this is a bug in the connector", r.SourcePartition, r.SourceOffset)
	}
	orig := r
	if t.chain != nil {
		// The schema change events the DDL context reads are the connector's, not the transformed ones.
		t.ddls.note(r)
		out, err := t.chain.Apply(r)
		if err != nil {
			return t.recordError(orig, "transforming", fmt.Errorf("%w; check the connector's transforms.* settings", err))
		}
		if out == nil {
			return t.skip(orig) // dropped by a transform (Filter): its offset is still committed
		}
		if out.Topic == "" {
			return t.recordError(orig, "transforming", errors.New("the transforms left the record without a topic; check the connector's transforms.* settings"))
		}
		r = out
	}
	// The record's size is known only once converted; the last record's predicts it, so a run of
	// 10 MB rows waits for room before each is converted (holding its values, not also its
	// JSON). A mistaken guess costs a short wait; the check after conversion is exact.
	if !t.waitRoom(t.lastSize) {
		return nil // a produce failure or a stop: the loop head ends polling
	}
	key, value, err, valueErr := t.encode(r)
	if err != nil {
		return t.recordError(orig, "converting", fmt.Errorf("could not convert the key of a record for topic %s with the key converter: %w; check key.converter and its settings", r.Topic, err))
	}
	if err = valueErr; err != nil {
		if ddl := t.ddls.about(r.Topic); ddl != "" {
			return t.recordError(orig, "converting", fmt.Errorf("could not convert the value of a record for topic %s with the value converter: %w; the table's schema last changed with this DDL: %s; check value.converter and its settings (with a schema registry: the subject's compatibility level, or undo the change)", r.Topic, err, ddl))
		}
		return t.recordError(orig, "converting", fmt.Errorf("could not convert the value of a record for topic %s with the value converter: %w; check value.converter and its settings", r.Topic, err))
	}
	if t.chain == nil {
		t.ddls.note(r)
	}
	kr := &kgo.Record{Topic: r.Topic, Key: key, Value: value, Partition: -1, Timestamp: r.Timestamp}
	if r.Partition >= 0 {
		kr.Partition = r.Partition
	}
	size := int64(len(key) + len(value) + recordOverhead)
	t.lastSize = size
	if len(r.Headers) > 0 {
		var hsize int64
		kr.Headers, hsize = t.producerHeaders(r.Headers)
		size += hsize
	}
	if _, ok := t.topicsSeen[r.Topic]; !ok {
		if t.topicCreation != nil {
			// KIP-158: create the topic with the connector's settings before its first record.
			ctx, cancel := context.WithTimeout(t.hardCtx, 60*time.Second)
			err := t.w.topics.ensure(ctx, t.topicCreation, r.Topic)
			cancel()
			if err != nil {
				return err
			}
		}
		t.topicsSeen[r.Topic] = struct{}{}
		t.w.listener.OnTopicUsed(t.id.Connector, r.Topic)
	}
	p, err := t.track(orig)
	if err != nil {
		return err
	}
	if t.txn != nil {
		if err := t.txn.begin(); err != nil {
			return err
		}
	}
	// From here on only kr and p hold the record: its values can be collected while it waits.
	if !t.waitRoom(size) {
		// A produce failure or a stop: the loop head ends polling. The record stays tracked and
		// unacknowledged, so no offset is committed past it; it is read again after a restart.
		return nil
	}
	t.inflightBytes.Add(size)
	if t.inflightRecs.Load() == 0 {
		// Marked before the count turns positive: deliveryOverdue reads the count first, so
		// it never pairs this record with the mark of an idle spell before it.
		t.markDelivery()
	}
	t.inflightRecs.Add(1)
	t.producer.Produce(t.hardCtx, kr, func(kr *kgo.Record, err error) { t.acked(p, size, kr, err) })
	return nil
}

// producerHeaders converts a record's headers for the producer, with their size in bytes. When
// they equal the previous record's and all hold strings (the context headers), the previous
// record's slice is returned: saving a slice and a copy of every value per record.
func (t *taskRunner) producerHeaders(hs []api.Header) ([]kgo.RecordHeader, int64) {
	if sameStringHeaders(hs, t.hdrFrom) {
		return t.hdrTo, t.hdrBytes
	}
	out := make([]kgo.RecordHeader, 0, len(hs))
	var size int64
	allStrings := true
	for _, h := range hs {
		_, isString := h.Value.(string)
		allStrings = allStrings && isString
		v := converter.HeaderValue(h.Schema, h.Value)
		out = append(out, kgo.RecordHeader{Key: h.Key, Value: v})
		size += int64(len(h.Key) + len(v))
	}
	if allStrings {
		t.hdrFrom, t.hdrTo, t.hdrBytes = append(t.hdrFrom[:0], hs...), out, size
	} else {
		t.hdrFrom, t.hdrTo, t.hdrBytes = t.hdrFrom[:0], nil, 0
	}
	return out, size
}

// sameStringHeaders reports whether a and b hold the same keys, schemas and string values
// (prev's values are all strings; equal strings are usually the same memory, which the
// comparison checks first).
func sameStringHeaders(hs, prev []api.Header) bool {
	if len(hs) != len(prev) || len(prev) == 0 {
		return false
	}
	for i := range hs {
		h, p := &hs[i], &prev[i]
		v, ok := h.Value.(string)
		if !ok || h.Key != p.Key || h.Schema != p.Schema || v != p.Value.(string) {
			return false
		}
	}
	return true
}

// waitRoom blocks while records are in flight and size more bytes would take them past
// producer.buffer.memory. The poll loop checks the bound only before each Poll, so without this a
// batch of large records (10 MB rows, ~27 MB of JSON each) would all be handed to the producer at
// once; here each waits for the acknowledgements that make room, as Java's producer blocks in
// send() while its buffer is full. Nothing is dropped: the record is produced once there is room,
// or at once when nothing is in flight (one record larger than the whole budget still goes). It
// reports false when a produce failure or the end of polling (a stop, a delivery timeout, an
// abandoned task) ended the wait.
func (t *taskRunner) waitRoom(size int64) bool {
	for {
		if t.failure.Load() != nil {
			return false
		}
		n := t.inflightBytes.Load()
		if n == 0 || n+size <= t.maxInflight {
			return true
		}
		select {
		case <-t.space:
		case <-t.pollCtx.Done():
			return false
		}
	}
}

// maxEncodeBuf is the largest conversion buffer a task keeps between records: a rare huge record
// (a 10 MB row) must not pin its buffer for the task's life.
const maxEncodeBuf = 1 << 20

// encode converts the record's key and value. When both converters can append (JSON), both are
// written into the task's reused buffer and copied into one exactly sized slice that the Kafka
// record's key and value share: one allocation per record instead of two slices regrown several
// times each, and no spare capacity held while the record waits for Kafka. The slice is new for
// every record because the producer keeps it until the record is acknowledged.
func (t *taskRunner) encode(r *api.SourceRecord) (key, value []byte, keyErr, valueErr error) {
	ka, kok := t.keyConv.(converter.Appender)
	va, vok := t.valueConv.(converter.Appender)
	if !kok || !vok {
		if key, keyErr = t.keyConv.FromConnectData(r.Topic, r.KeySchema, r.Key); keyErr != nil {
			return nil, nil, keyErr, nil
		}
		value, valueErr = t.valueConv.FromConnectData(r.Topic, r.ValueSchema, r.Value)
		return key, value, nil, valueErr
	}
	buf, keyNull, err := ka.AppendConnectData(t.encBuf[:0], r.Topic, r.KeySchema, r.Key)
	if err != nil {
		return nil, nil, err, nil
	}
	n := len(buf)
	buf, valueNull, err := va.AppendConnectData(buf, r.Topic, r.ValueSchema, r.Value)
	large := cap(buf) > maxEncodeBuf
	if large {
		t.encBuf = nil
	} else {
		t.encBuf = buf[:0]
	}
	if err != nil {
		return nil, nil, nil, err
	}
	// A large record keeps the buffer it was written into, which the task lets go: copying it
	// would hold a second copy of a 10 MB row's JSON at the moment memory peaks.
	out := buf
	if !large {
		out = make([]byte, len(buf))
		copy(out, buf)
	}
	if !keyNull {
		key = out[:n:n]
	}
	if !valueNull {
		value = out[n:]
	}
	return key, value, nil, nil
}

// track registers the record's source position for the offset commit; a record without one gives
// nil. The position is the connector's record's, whatever the transforms made of it.
func (t *taskRunner) track(r *api.SourceRecord) (*pendingRecord, error) {
	if r.SourcePartition == nil || r.SourceOffset == nil {
		return nil, nil
	}
	if err := offsets.ValidateOffsetMap("offset", r.SourceOffset); err != nil {
		return nil, fmt.Errorf("the connector produced a record for topic %s with an offset that cannot be stored: %w", r.Topic, err)
	}
	var err error
	if t.keyBuf, err = offsets.AppendKey(t.keyBuf[:0], t.id.Connector, r.SourcePartition); err != nil {
		return nil, fmt.Errorf("the connector produced a record for topic %s with a source partition that cannot be stored: %w", r.Topic, err)
	}
	return t.subs.submit(t.keyBuf, r.SourcePartition, r.SourceOffset), nil
}

// skip passes over a record that is not produced (dropped by a transform, or failed with
// errors.tolerance=all) as if Kafka had acknowledged it, so its offset is committed in order with
// the records around it, as Kafka Connect does.
func (t *taskRunner) skip(r *api.SourceRecord) error {
	p, err := t.track(r)
	if err != nil {
		return err
	}
	if p != nil {
		p.acked.Store(true)
	}
	return nil
}

// recordError handles a transform or conversion error of one record by errors.tolerance: none
// fails the task with the record's position; all logs it (errors.log.enable) and skips the record.
func (t *taskRunner) recordError(r *api.SourceRecord, stage string, err error) error {
	if !t.errs.tolerateAll {
		return fmt.Errorf("%w (while %s the record of source partition %v at offset %v for topic %s; with errors.tolerance=all such records are skipped instead)", err, stage, r.SourcePartition, r.SourceOffset, r.Topic)
	}
	t.stats.skipped.Add(1)
	if t.errs.log {
		attrs := []any{"stage", stage, "error", err, "topic", r.Topic, "source_partition", r.SourcePartition, "source_offset", r.SourceOffset}
		if t.errs.includeMessages {
			attrs = append(attrs, "key", fmt.Sprint(r.Key), "value", fmt.Sprint(r.Value))
		}
		t.log.Error("skipping a record that failed (errors.tolerance=all)", attrs...)
	}
	return t.skip(r)
}

// errorPolicy is a connector's errors.tolerance, errors.log.enable and
// errors.log.include.messages.
type errorPolicy struct {
	tolerateAll, log, includeMessages bool
}

func parseErrorPolicy(config map[string]string) errorPolicy {
	is := func(k, v string) bool { return strings.EqualFold(strings.TrimSpace(config[k]), v) }
	return errorPolicy{tolerateAll: is("errors.tolerance", "all"), log: is("errors.log.enable", "true"), includeMessages: is("errors.log.include.messages", "true")}
}

// acked is the producer callback of one record.
func (t *taskRunner) acked(p *pendingRecord, size int64, kr *kgo.Record, err error) {
	if err != nil {
		if t.hardCtx.Err() == nil {
			t.setFailure(t.produceError(kr, err))
		}
	} else {
		t.stats.written.Add(1)
		if p != nil {
			p.acked.Store(true)
		}
		t.markDelivery()
	}
	t.inflightBytes.Add(-size)
	t.inflightRecs.Add(-1)
	select {
	case t.space <- struct{}{}:
	default:
	}
}

// maxKeyInError bounds how much of a record's key an error message quotes.
const maxKeyInError = 200

// produceError explains why Kafka refused a record. A record too large for the producer's
// max.request.size (franz-go refuses it before sending) or for the broker's message.max.bytes /
// the topic's max.message.bytes (the broker answers MESSAGE_TOO_LARGE) is retried by neither, so
// the message names the record and every setting that decides its fate.
func (t *taskRunner) produceError(kr *kgo.Record, err error) error {
	if !errors.Is(err, kerr.MessageTooLarge) {
		return fmt.Errorf("Kafka did not accept a record for topic %s: %w. Offsets are committed only up to the records Kafka acknowledged before it, so nothing is lost or skipped; fix the cause (topic exists and is writable, ACLs, record size against max.message.bytes) before restarting", kr.Topic, err)
	}
	size := len(kr.Key) + len(kr.Value)
	for _, h := range kr.Headers {
		size += len(h.Key) + len(h.Value)
	}
	setting := "producer.max.request.size in the worker configuration (or producer.override.max.request.size in the connector configuration)"
	if t.ownProducer {
		setting = "producer.override.max.request.size in the connector configuration"
	}
	// franz-go refuses a record that cannot fit in a batch of max.request.size bytes with its
	// batch and record headers (about 80 bytes); a smaller one was refused by the broker.
	who := fmt.Sprintf("the broker refused it, or the batch holding it: the broker's message.max.bytes or the topic's max.message.bytes is smaller (the producer batches records up to max.request.size=%d bytes, so a topic with a lower max.message.bytes also needs max.request.size lowered to it)", t.maxRequestSize)
	if int64(size)+100 > t.maxRequestSize {
		who = fmt.Sprintf("the producer refused it before sending: with its batch headers it is larger than max.request.size=%d bytes", t.maxRequestSize)
	}
	return fmt.Errorf("Kafka did not accept a record for topic %s with key %s: the record is %d bytes (key %d, value %d) and %s (%w). "+
		"The task stopped producing; offsets are committed only up to the records acknowledged before it, so nothing is lost or skipped (records after it may be delivered again after the restart). "+
		"To deliver it, raise %s and the broker's message.max.bytes or the topic's max.message.bytes (kafka-configs --alter --entity-type topics --entity-name %s --add-config max.message.bytes=<bytes>) above the record's size, then restart the task",
		kr.Topic, quoteKey(kr.Key), size, len(kr.Key), len(kr.Value), who, err, setting, kr.Topic)
}

// quoteKey shows a record key in a message, at most maxKeyInError bytes of it: as it is when it is
// text (a JSON key reads best unescaped), quoted otherwise. A long key in the JSON converter's
// schema envelope is shown from its "payload", the part that tells which row it is.
func quoteKey(k []byte) string {
	if k == nil {
		return "null"
	}
	if len(k) == 0 {
		return `""`
	}
	part, head, tail := k, "", ""
	if len(k) > maxKeyInError {
		if i := bytes.Index(k, []byte(`"payload":`)); i > 0 {
			part, head = k[i:], "…"
		}
		if len(part) > maxKeyInError {
			part, tail = part[:maxKeyInError], "…"
		}
	}
	q := string(part)
	if !printable(part) {
		q = fmt.Sprintf("%q", part)
	}
	if head != "" || tail != "" {
		return fmt.Sprintf("%s%s%s (%d bytes in all)", head, q, tail, len(k))
	}
	return q
}

// printable reports whether b is UTF-8 text without control characters.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func (t *taskRunner) flushLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(t.w.flushInterval)
	defer tick.Stop()
	var watch <-chan time.Time // nil: no delivery timeout to watch
	if t.deliveryTimeout > 0 {
		tk := time.NewTicker(max(10*time.Millisecond, min(time.Second, t.deliveryTimeout/4)))
		defer tk.Stop()
		watch = tk.C
	}
	for {
		select {
		case <-tick.C:
			if err := safely(t.commit); err != nil {
				t.setFailure(fmt.Errorf("the offset commit failed: %w", err))
			}
		case <-watch:
			if err := t.deliveryOverdue(); err != nil {
				t.setFailure(err)
			}
		case <-stop:
			return
		}
	}
}

// markDelivery notes that Kafka acknowledged a record, or that a record was sent with none in
// flight (so a record in flight has waited since its own send at least).
func (t *taskRunner) markDelivery() {
	t.ackMark.Store(int64(time.Since(t.stats.started)))
}

// deliveryOverdue fails the task when records are in flight and Kafka acknowledged none of them
// for longer than delivery.timeout.ms. franz-go expires buffered records only once it reaches a
// broker again, so with Kafka unreachable the task would otherwise stay RUNNING for the whole
// outage; Kafka Connect's producer fails the record, and so the task, after the timeout. Nothing
// is committed past the unacknowledged records.
func (t *taskRunner) deliveryOverdue() error {
	if t.deliveryTimeout <= 0 {
		return nil
	}
	n := t.inflightRecs.Load()
	if n <= 0 {
		return nil
	}
	waited := time.Since(t.stats.started) - time.Duration(t.ackMark.Load())
	if waited <= t.deliveryTimeout {
		return nil
	}
	return fmt.Errorf("Kafka did not accept a record within delivery.timeout.ms (%s): %d records waited %s without an acknowledgement "+
		"(the brokers unreachable, or no leader for their partitions). Offsets are committed only up to the records Kafka acknowledged, "+
		"so nothing is lost or skipped (records after them may be delivered again after the restart); make the brokers in "+
		"bootstrap.servers reachable, then restart the task", t.deliveryTimeout, n, waited.Round(time.Millisecond))
}

// commit writes the offsets of acknowledged records to the offset store and then tells the task
// (api.SourceTask.Commit), never the other way round: a connector confirms a position to its
// database only once a restart would resume after it. An offset store error is retried at the
// next flush and Commit's error is logged, as Kafka Connect does, except a full disk, which is
// returned; a panic in Commit is returned too. Both fail the task.
func (t *taskRunner) commit() error {
	t.commitMu.Lock()
	defer t.commitMu.Unlock()
	offs := t.subs.collect()
	if len(offs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(t.hardCtx, t.w.flushTimeout)
	defer cancel()
	commitStart := time.Now()
	err := t.w.offsets.Set(ctx, t.id.Connector, offs)
	t.stats.commit.observe(time.Since(commitStart))
	if err != nil {
		t.stats.commitFailures.Add(1)
		t.subs.retry(offs, func(p map[string]any) string {
			k, _ := offsets.EncodeKey(t.id.Connector, p)
			return string(k)
		})
		if diskFull(err) {
			// Going on would produce records whose positions cannot be saved, growing what a
			// restart sends again, with a status saying all is well. A full disk rarely heals
			// by itself: fail, and let the operator restart once there is room.
			return fmt.Errorf("%w. The disk holding the offset store is full: the task stopped rather than go on producing "+
				"records whose offsets cannot be saved. The offsets file is left as it was (it is only ever replaced whole); "+
				"free space on that disk (or move offset.storage.file.filename), then restart the task: it resumes from the "+
				"last committed offset and the records since then are delivered again", err)
		}
		t.log.Warn("could not commit offsets; they are retried at the next flush", "error", err)
		return nil
	}
	if err := safely(func() error { return t.task.Commit(ctx, offs) }); err != nil {
		if api.IsPanic(err) {
			return fmt.Errorf("the task's Commit panicked after the offsets were stored: %w", err)
		}
		t.log.Warn("the task's commit callback failed", "error", err)
	}
	return nil
}

// diskFull reports whether the offset store failed for lack of space (the file store's disk).
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// finish waits (bounded by offset.flush.timeout.ms) for Kafka to acknowledge the records in
// flight, commits their offsets and stops the task.
func (t *taskRunner) finish() {
	if t.txn != nil {
		t.finishTxn()
		t.stopTask()
		return
	}
	if t.inflightRecs.Load() > 0 {
		timer := time.NewTimer(t.w.flushTimeout)
	wait:
		for t.inflightRecs.Load() > 0 {
			select {
			case <-t.space:
			case <-timer.C:
				t.log.Warn("records still unacknowledged after offset.flush.timeout.ms; their offsets are not committed and they are sent again after a restart",
					"records", t.inflightRecs.Load(), "timeout", t.w.flushTimeout)
				break wait
			case <-t.hardCtx.Done():
				break wait
			}
		}
		timer.Stop()
	}
	if err := safely(t.commit); err != nil {
		t.fail("the final offset commit failed", err)
	}
	t.stopTask()
}

func (t *taskRunner) stopTask() {
	t.stopOnce.Do(func() {
		if err := safely(t.task.Stop); err != nil {
			if api.IsPanic(err) {
				t.fail("the task panicked while stopping", err)
			} else {
				t.log.Warn("the task's Stop returned an error", "error", err)
			}
		}
	})
}

// stop asks the task to stop and waits up to timeout for it; a task whose Poll ignores its
// context is then stopped from outside (Stop unblocks it) and abandoned. It reports whether the
// task finished.
func (t *taskRunner) stop(timeout time.Duration) bool {
	t.stopping.Store(true)
	t.stopPoll()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.done:
		return true
	case <-timer.C:
	}
	t.log.Error("the task did not stop within task.shutdown.graceful.timeout.ms; stopping it forcibly", "timeout", timeout)
	t.abandon()
	go t.stopTask()
	select {
	case <-t.done:
		return true
	case <-time.After(time.Second):
		t.silenced.Store(true)
		t.log.Error("the task is still running after being stopped; abandoning it")
		return false
	}
}
