package offsets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/connectd/connectd/connect/api"
	"github.com/connectd/connectd/offsets/topiclog"
)

// Defaults of the Kafka store, those of Kafka Connect's KafkaOffsetBackingStore.
const (
	DefaultTopic             = "connect-offsets"
	DefaultPartitions        = 25
	DefaultReplicationFactor = 3
	// HistoryTopicSuffix makes the default history topic name from the offsets topic name.
	HistoryTopicSuffix = "-history"
)

// KafkaConfig configures a KafkaStore, with the worker properties each field comes from.
type KafkaConfig struct {
	// Brokers are the bootstrap servers (bootstrap.servers).
	Brokers []string
	// Topic is the offsets topic (offset.storage.topic); default connect-offsets.
	Topic string
	// Partitions is used when the store creates the topic (offset.storage.partitions); default 25.
	Partitions int32
	// ReplicationFactor is used when the store creates its topics
	// (offset.storage.replication.factor); 0 means the default 3, -1 the broker's default.
	ReplicationFactor int16
	// HistoryTopic holds the offset history; default Topic + "-history".
	HistoryTopic string
	// HistoryPartitions is used when the store creates the history topic; default 1.
	HistoryPartitions int32
	// HistorySize is how many committed offsets per partition history keeps; default 100.
	HistorySize int
	// ClientOptions are added to the franz-go client's options (TLS, SASL, client ID...).
	ClientOptions []kgo.Opt
	// Logger receives warnings about malformed records of other connectors; default slog.Default().
	Logger *slog.Logger
}

// KafkaStore keeps offsets in a compacted Kafka topic in Kafka Connect's format, so Kafka Connect,
// Debezium's tooling, kcat and kafka-console-producer read and write the same records. It reads
// the topic to its end before answering any read and keeps the latest offset of every key in
// memory, as Kafka Connect does. See the package documentation for the formats and the history.
type KafkaStore struct {
	cfg    KafkaConfig
	logger *slog.Logger
	now    func() time.Time

	// readMu serialises reading the topics and Set, so a Set computes history from the latest
	// state and two readers do not fetch the same records twice.
	readMu     sync.Mutex
	cl         *kgo.Client
	adm        *kadm.Client
	offsetsLog *topiclog.Log
	historyLog *topiclog.Log

	mu       sync.Mutex // guards the fields below; records are applied under it
	started  bool
	book     *book                                 // effective offsets and history, by canonical key
	raws     map[string]*rawRecord                 // latest record of each raw key in the offsets topic
	variants map[string]map[string]*rawRecord      // canonical key → raw keys spelling it → record
	bad      map[string]map[string]*BadRecordError // connector → raw key → what is wrong
}

// rawRecord is the latest record of one raw key of the offsets topic.
type rawRecord struct {
	connector string
	canon     string // canonical key; empty when the key could not be decoded
	partition map[string]any
	offset    map[string]any
	value     []byte
	bad       *BadRecordError
	at        time.Time
	kafkaPart int32
	kafkaOff  int64
}

// NewKafkaStore returns a store for cfg; Start connects and reads the topics.
func NewKafkaStore(cfg KafkaConfig) (*KafkaStore, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("the Kafka offset store needs bootstrap.servers")
	}
	if cfg.Topic == "" {
		cfg.Topic = DefaultTopic
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = DefaultPartitions
	}
	if cfg.Partitions < 0 && cfg.Partitions != -1 {
		return nil, fmt.Errorf("offset.storage.partitions=%d: use a positive number, or -1 for the broker's default", cfg.Partitions)
	}
	if cfg.ReplicationFactor == 0 {
		cfg.ReplicationFactor = DefaultReplicationFactor
	}
	if cfg.ReplicationFactor < 0 && cfg.ReplicationFactor != -1 {
		return nil, fmt.Errorf("offset.storage.replication.factor=%d: use a positive number, or -1 for the broker's default", cfg.ReplicationFactor)
	}
	if cfg.HistoryTopic == "" {
		cfg.HistoryTopic = cfg.Topic + HistoryTopicSuffix
	}
	if cfg.HistoryTopic == cfg.Topic {
		return nil, fmt.Errorf("the offset history topic must differ from the offsets topic %s", cfg.Topic)
	}
	if cfg.HistoryPartitions == 0 {
		cfg.HistoryPartitions = 1
	}
	if cfg.HistorySize <= 0 {
		cfg.HistorySize = DefaultHistorySize
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &KafkaStore{cfg: cfg, logger: logger, now: time.Now}, nil
}

// murmur2Partitioner places records as the Java producer's default partitioner does for keyed
// records, using this package's Murmur2 so the placement is the one the tests pin down.
func murmur2Partitioner() kgo.Partitioner {
	return kgo.BasicConsistentPartitioner(func(string) func(*kgo.Record, int) int {
		return func(r *kgo.Record, n int) int { return int(PartitionFor(r.Key, int32(n))) }
	})
}

// Start connects, creates the topics if they are missing (cleanup.policy=compact), refuses topics
// that would delete offsets, and reads both topics to their end.
func (s *KafkaStore) Start(ctx context.Context) error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if started {
		return nil
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.RecordPartitioner(murmur2Partitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), // and idempotent, kgo's default, as Kafka Connect's producer
		kgo.ProducerLinger(0),              // a commit waits for its acks; nothing to gain by lingering
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		// The admin helpers answer from cached metadata no older than this. kgo's default (5s)
		// would keep reporting a topic we just created as unknown for seconds.
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	cl, err := kgo.NewClient(append(opts, s.cfg.ClientOptions...)...)
	if err != nil {
		return fmt.Errorf("cannot create the Kafka client of the offset store: %w", err)
	}
	adm := kadm.NewClient(cl)
	fail := func(err error) error {
		cl.Close()
		return err
	}
	if _, err := topiclog.EnsureCompacted(ctx, adm, s.cfg.Brokers, topiclog.TopicSpec{Name: s.cfg.Topic, Partitions: s.cfg.Partitions,
		ReplicationFactor: s.cfg.ReplicationFactor, Property: "offset.storage.topic", Purpose: "source connector offsets"}); err != nil {
		return fail(err)
	}
	if _, err := topiclog.EnsureCompacted(ctx, adm, s.cfg.Brokers, topiclog.TopicSpec{Name: s.cfg.HistoryTopic, Partitions: s.cfg.HistoryPartitions,
		ReplicationFactor: s.cfg.ReplicationFactor, Property: "offset history topic", Purpose: "the offset history"}); err != nil {
		return fail(err)
	}
	s.mu.Lock()
	s.cl, s.adm = cl, adm
	s.book = newBook(s.cfg.HistorySize)
	s.raws = make(map[string]*rawRecord)
	s.variants = make(map[string]map[string]*rawRecord)
	s.bad = make(map[string]map[string]*BadRecordError)
	s.mu.Unlock()
	s.offsetsLog = topiclog.New(cl, s.cfg.Topic, s.logger, s.lockedApply(s.applyOffset))
	s.historyLog = topiclog.New(cl, s.cfg.HistoryTopic, s.logger, s.lockedApply(s.applyHistory))
	if err := s.offsetsLog.ReadToEnd(ctx); err != nil {
		return fail(fmt.Errorf("cannot read the offsets topic %s: %w", s.cfg.Topic, err))
	}
	if err := s.historyLog.ReadToEnd(ctx); err != nil {
		return fail(fmt.Errorf("cannot read the offset history topic %s: %w", s.cfg.HistoryTopic, err))
	}
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	return nil
}

func (s *KafkaStore) lockedApply(fn func(*kgo.Record)) func(*kgo.Record) {
	return func(r *kgo.Record) {
		s.mu.Lock()
		defer s.mu.Unlock()
		fn(r)
	}
}

// applyOffset applies one record of the offsets topic. Called with s.mu held.
func (s *KafkaStore) applyOffset(r *kgo.Record) {
	raw := string(r.Key)
	if old := s.raws[raw]; old != nil {
		s.forget(raw, old)
	}
	if r.Key == nil {
		s.logger.Warn("offset store: ignoring an offset record with a null key", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset)
		return
	}
	connector, partition, known, err := decodeKey(r.Key)
	if err != nil {
		if !known {
			s.logger.Warn("offset store: ignoring a malformed offset record whose connector cannot be told",
				"topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "key", quoteBytes(r.Key), "error", err)
			return
		}
		if r.Value == nil {
			return // a tombstone clears a bad key
		}
		s.addBad(raw, &rawRecord{connector: connector, at: r.Timestamp, kafkaPart: r.Partition, kafkaOff: r.Offset}, r, err)
		return
	}
	canon, err := EncodeKey(connector, partition)
	if err != nil {
		s.addBad(raw, &rawRecord{connector: connector, at: r.Timestamp, kafkaPart: r.Partition, kafkaOff: r.Offset}, r, err)
		return
	}
	if r.Value == nil {
		s.recompute(string(canon))
		return
	}
	offset, err := DecodeOffset(r.Value)
	if err == nil && offset == nil {
		s.recompute(string(canon)) // a JSON null value: no offset, as in Kafka Connect
		return
	}
	rec := &rawRecord{connector: connector, canon: string(canon), at: r.Timestamp, kafkaPart: r.Partition, kafkaOff: r.Offset}
	if err != nil {
		s.addBad(raw, rec, r, err)
	} else {
		rec.partition, _ = canonicalPartition(canon)
		rec.offset = offset
		if rec.value, err = EncodeOffset(offset); err != nil {
			s.addBad(raw, rec, r, err)
		}
	}
	s.raws[raw] = rec
	vs := s.variants[rec.canon]
	if vs == nil {
		vs = make(map[string]*rawRecord)
		s.variants[rec.canon] = vs
	}
	vs[raw] = rec
	s.recompute(rec.canon)
}

// addBad records a malformed record under its connector, so Get and List of that connector fail.
func (s *KafkaStore) addBad(raw string, rec *rawRecord, r *kgo.Record, err error) {
	rec.bad = &BadRecordError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Connector: rec.connector,
		Key: slices.Clone(r.Key), Err: err}
	s.raws[raw] = rec
	m := s.bad[rec.connector]
	if m == nil {
		m = make(map[string]*BadRecordError)
		s.bad[rec.connector] = m
	}
	m[raw] = rec.bad
	s.logger.Warn("offset store: malformed offset record; the connector will fail until it is fixed",
		"topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "connector", rec.connector, "key", quoteBytes(r.Key), "error", err)
}

// forget removes what the previous record of a raw key contributed.
func (s *KafkaStore) forget(raw string, old *rawRecord) {
	delete(s.raws, raw)
	if old.bad != nil {
		if m := s.bad[old.connector]; m != nil {
			delete(m, raw)
			if len(m) == 0 {
				delete(s.bad, old.connector)
			}
		}
	}
	if old.canon != "" {
		if vs := s.variants[old.canon]; vs != nil {
			delete(vs, raw)
			if len(vs) == 0 {
				delete(s.variants, old.canon)
			}
		}
		s.recompute(old.canon)
	}
}

// recompute sets the effective offset of a canonical key from the keys that spell it. Normally
// there is one, the canonical bytes. An operator may have written the same partition with other
// spacing or field order: Kafka Connect would ignore such a record (it looks offsets up by exact
// bytes); we honour it when it is the newest, by record timestamp, the canonical spelling winning
// ties.
func (s *KafkaStore) recompute(canon string) {
	var best *rawRecord
	bestRaw := ""
	for raw, rec := range s.variants[canon] {
		if rec.bad != nil {
			continue
		}
		if best == nil || newer(raw, rec, bestRaw, best, canon) {
			best, bestRaw = rec, raw
		}
	}
	if best == nil {
		delete(s.book.slots, canon)
		return
	}
	s.book.put([]byte(canon), best.connector, best.partition, best.offset, best.value, best.at)
}

func newer(rawA string, a *rawRecord, rawB string, b *rawRecord, canon string) bool {
	if !a.at.Equal(b.at) {
		return a.at.After(b.at)
	}
	if (rawA == canon) != (rawB == canon) {
		return rawA == canon
	}
	if a.kafkaPart != b.kafkaPart {
		return a.kafkaPart > b.kafkaPart
	}
	return a.kafkaOff > b.kafkaOff
}

// applyHistory applies one record of the history topic. Called with s.mu held. History is an
// extension of ours: a malformed record there is logged and skipped, never fatal.
func (s *KafkaStore) applyHistory(r *kgo.Record) {
	connector, partition, err := DecodeKey(r.Key)
	var canon []byte
	if err == nil {
		canon, err = EncodeKey(connector, partition)
	}
	if err != nil {
		s.logger.Warn("offset store: ignoring a malformed offset history record", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "key", quoteBytes(r.Key), "error", err)
		return
	}
	if r.Value == nil {
		delete(s.book.history, string(canon))
		return
	}
	items, err := decodeHistoryValue(r.Value)
	if err != nil {
		s.logger.Warn("offset store: ignoring a malformed offset history record", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "key", quoteBytes(r.Key), "error", err)
		return
	}
	partition, _ = canonicalPartition(canon)
	s.book.storeHistory(canon, &historyList{connector: connector, partition: partition, items: items})
}

// encodeHistoryValue is the value of a history record: {"version":1,"entries":[...]}.
func encodeHistoryValue(items []historyItem) []byte {
	out := append([]byte(nil), `{"version":1,"entries":`...)
	out = appendHistoryItems(out, items)
	return append(out, '}')
}

func decodeHistoryValue(value []byte) ([]historyItem, error) {
	v, err := parseJSON(value)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("a JSON %s, not an object", jsonKind(v))
	}
	if ver, _ := obj["version"].(int64); ver != 1 {
		return nil, fmt.Errorf("unknown history record version %s", describeField(obj["version"]))
	}
	return historyItemsFromJSON(obj["entries"])
}

// errIfBad returns the malformed record of the connector with the lowest position, if any.
// Called with s.mu held.
func (s *KafkaStore) errIfBad(connector string) error {
	m := s.bad[connector]
	if len(m) == 0 {
		return nil
	}
	var first *BadRecordError
	for _, e := range m {
		if first == nil || e.Partition < first.Partition || e.Partition == first.Partition && e.Offset < first.Offset {
			first = e
		}
	}
	if len(m) > 1 {
		return fmt.Errorf("%w (and %d more malformed records for this connector)", first, len(m)-1)
	}
	return first
}

// catchUp reads the given logs to their end. Called with s.readMu held.
func (s *KafkaStore) catchUp(ctx context.Context, logs ...*topiclog.Log) error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return ErrNotStarted
	}
	for _, l := range logs {
		if err := l.ReadToEnd(ctx); err != nil {
			return fmt.Errorf("cannot read topic %s to its end: %w", l.Topic(), err)
		}
	}
	return nil
}

// Get reads the offsets topic to its end and returns the offsets of the given partitions.
func (s *KafkaStore) Get(ctx context.Context, connector string, partitions []map[string]any) ([]map[string]any, error) {
	s.readMu.Lock()
	err := s.catchUp(ctx, s.offsetsLog)
	s.readMu.Unlock()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errIfBad(connector); err != nil {
		return nil, err
	}
	return s.book.get(connector, partitions)
}

// List reads the offsets topic to its end and returns the connector's offsets.
func (s *KafkaStore) List(ctx context.Context, connector string) ([]api.PartitionOffset, error) {
	s.readMu.Lock()
	err := s.catchUp(ctx, s.offsetsLog)
	s.readMu.Unlock()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.errIfBad(connector); err != nil {
		return nil, err
	}
	return s.book.list(connector), nil
}

// History reads the history topic to its end and returns the connector's offset history.
func (s *KafkaStore) History(ctx context.Context, connector string) ([]HistoryEntry, error) {
	s.readMu.Lock()
	err := s.catchUp(ctx, s.historyLog)
	s.readMu.Unlock()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.historyOf(connector), nil
}

// Set writes a batch of offsets and returns once Kafka acknowledged every record (acks=all). It
// first reads both topics to their end so history appends to the latest list. Besides the offset
// records it writes tombstones for other spellings of the same keys (hand-written variants), so
// they cannot shadow the new offset later, and the updated history lists. If it fails, part of
// the batch may have been written.
func (s *KafkaStore) Set(ctx context.Context, connector string, entries []api.PartitionOffset) error {
	changes, err := prepare(connector, entries)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return nil
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if err := s.catchUp(ctx, s.offsetsLog, s.historyLog); err != nil {
		return err
	}

	s.mu.Lock()
	keys := make([]string, len(changes))
	for i, c := range changes {
		keys[i] = string(c.key)
	}
	scratch := s.book.subset(keys)
	now := s.now().Truncate(time.Millisecond) // Kafka timestamps are milliseconds
	recs := make([]*kgo.Record, 0, len(changes)+2)
	historyChanged := make(map[string]bool)
	for _, c := range changes {
		if scratch.recordHistory(c.key, c.connector, c.partition, c.offset, c.value, now) {
			historyChanged[string(c.key)] = true
		}
		scratch.put(c.key, c.connector, c.partition, c.offset, c.value, now)
		recs = append(recs, &kgo.Record{Topic: s.cfg.Topic, Key: c.key, Value: c.value, Timestamp: now})
		for raw := range s.variants[string(c.key)] {
			if raw != string(c.key) {
				recs = append(recs, &kgo.Record{Topic: s.cfg.Topic, Key: []byte(raw), Timestamp: now})
			}
		}
	}
	for _, k := range sortedKeys(historyChanged) {
		recs = append(recs, &kgo.Record{Topic: s.cfg.HistoryTopic, Key: []byte(k), Value: encodeHistoryValue(scratch.history[k].items), Timestamp: now})
	}
	cl := s.cl
	s.mu.Unlock()

	results := cl.ProduceSync(ctx, recs...)
	if err := results.FirstErr(); err != nil {
		return fmt.Errorf("cannot write %d offsets of connector %q to Kafka (topics %s, %s): %w", len(changes), connector, s.cfg.Topic, s.cfg.HistoryTopic, err)
	}
	// Apply what Kafka acknowledged as if it had been read back, so this process reads its own
	// writes at once; reading the records again later changes nothing.
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range results {
		if r.Record.Topic == s.cfg.Topic {
			s.applyOffset(r.Record)
		} else {
			s.applyHistory(r.Record)
		}
	}
	return nil
}

// Delete writes tombstones for the given partitions of the connector.
func (s *KafkaStore) Delete(ctx context.Context, connector string, partitions []map[string]any) error {
	return s.Set(ctx, connector, tombstones(partitions))
}

// Close closes the Kafka client. Writes that returned are already acknowledged.
func (s *KafkaStore) Close() error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl != nil {
		s.cl.Close()
		s.cl = nil
	}
	s.started = false
	return nil
}

// Topic returns the offsets topic name.
func (s *KafkaStore) Topic() string { return s.cfg.Topic }

// HistoryTopic returns the offset history topic name.
func (s *KafkaStore) HistoryTopic() string { return s.cfg.HistoryTopic }

// subset copies the entries of the given keys into a new book, for computing a change before it
// is committed.
func (b *book) subset(keys []string) *book {
	n := &book{slots: make(map[string]*slot, len(keys)), history: make(map[string]*historyList, len(keys)), limit: b.limit}
	for _, k := range keys {
		if v, ok := b.slots[k]; ok {
			n.slots[k] = v
		}
		if v, ok := b.history[k]; ok {
			c := *v
			c.items = append([]historyItem(nil), v.items...)
			n.history[k] = &c
		}
	}
	return n
}

var _ Store = (*KafkaStore)(nil)
