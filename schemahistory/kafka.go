package schemahistory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectd/connectd/offsets/topiclog"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrUnsafeTopic is wrapped by OpenKafka's error about an existing history topic whose settings
// would lose or reorder history.
var ErrUnsafeTopic = errors.New("unsafe schema history topic")

// KafkaOptions configure a KafkaStore; ParseConfig fills them from Debezium's properties.
type KafkaOptions struct {
	// Topic is schema.history.internal.kafka.topic.
	Topic string
	// Brokers is schema.history.internal.kafka.bootstrap.servers.
	Brokers []string
	// ClientID is the Kafka client id (schema.history.internal.name); empty gives one derived
	// from the topic.
	ClientID string
	// ReplicationFactor of a topic OpenKafka creates; -1 (or 0) leaves it to the broker's
	// default.replication.factor, as Debezium does.
	ReplicationFactor int16
	// PollInterval is how long one poll waits for records during recovery
	// (schema.history.internal.kafka.recovery.poll.interval.ms, 100ms by default).
	PollInterval time.Duration
	// RecoveryAttempts is how many polls in a row may return nothing before recovery gives up
	// (schema.history.internal.kafka.recovery.attempts, 100 by default).
	RecoveryAttempts int
	// QueryTimeout bounds each metadata, settings or offsets query (3s by default).
	QueryTimeout time.Duration
	// CreateTimeout bounds the creation of the topic (30s by default).
	CreateTimeout time.Duration
	// CatalogBeforeSchema is handed to the decoder; see Decoder.
	CatalogBeforeSchema bool
	// ClientOpts are extra franz-go options for both the producing and the consuming client: the
	// runtime passes TLS and SASL settings here.
	ClientOpts []kgo.Opt
	// ConsumerClientOpts, when set, replace ClientOpts for the client reading the history back
	// (schema.history.internal.consumer.* may differ from .producer.*).
	ConsumerClientOpts []kgo.Opt
}

// The only partition of a history topic: Debezium writes every record to partition 0.
const historyPartition = 0

// metadataMinAge is how long the store's clients cache topic metadata.
const metadataMinAge = 100 * time.Millisecond

// retentionForever is the retention.ms Debezium sets on the topics it creates (Long.MAX_VALUE);
// like -1 it never deletes anything.
const retentionForever = math.MaxInt64

// KafkaStore keeps the history in a single-partition Kafka topic, as Debezium's
// KafkaSchemaHistory: records without keys on partition 0, each value a record in Jackson's
// pretty layout. Writes wait for every in-sync replica through an idempotent producer, so a
// retried write is never stored twice.
type KafkaStore struct {
	opts KafkaOptions
	cl   *kgo.Client
	adm  *kadm.Client

	mu  sync.Mutex // serialises Record: records of concurrent calls must not interleave
	buf []byte
}

// OpenKafka connects to the brokers and makes sure the history topic is safe to use: it creates
// it when missing (1 partition, cleanup.policy=delete, retention.ms=-1, retention.bytes=-1), and
// refuses an existing one with more than one partition, compaction, or finite retention, with a
// message saying how to fix it.
func OpenKafka(ctx context.Context, opts KafkaOptions) (*KafkaStore, error) {
	if opts.Topic == "" {
		return nil, fmt.Errorf("the Kafka schema history needs a topic: set %s", PropKafkaTopic)
	}
	if len(opts.Brokers) == 0 {
		return nil, fmt.Errorf("the Kafka schema history needs brokers: set %s", PropKafkaBootstrapServers)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = defaultPollMillis * time.Millisecond
	}
	if opts.RecoveryAttempts <= 0 {
		opts.RecoveryAttempts = defaultAttempts
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = defaultQueryMillis * time.Millisecond
	}
	if opts.CreateTimeout <= 0 {
		opts.CreateTimeout = defaultCreateMilli * time.Millisecond
	}
	if opts.ClientID == "" {
		opts.ClientID = "connectd-schema-history-" + opts.Topic
	}
	clOpts := append([]kgo.Opt{
		kgo.SeedBrokers(opts.Brokers...),
		kgo.ClientID(opts.ClientID),
		kgo.DefaultProduceTopic(opts.Topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		// Every Record call waits for its acknowledgement: lingering would only add latency.
		kgo.ProducerLinger(0),
		// The store's few metadata and offset queries must see a topic created a moment ago;
		// franz-go otherwise caches a missing topic for 5s.
		kgo.MetadataMinAge(metadataMinAge),
	}, opts.ClientOpts...)
	cl, err := kgo.NewClient(clOpts...)
	if err != nil {
		return nil, fmt.Errorf("cannot create the Kafka client for schema history topic %q: %w", opts.Topic, err)
	}
	s := &KafkaStore{opts: opts, cl: cl, adm: kadm.NewClient(cl)}
	if err := s.ensureTopic(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	return s, nil
}

func (s *KafkaStore) consumerOpts() []kgo.Opt {
	if s.opts.ConsumerClientOpts != nil {
		return s.opts.ConsumerClientOpts
	}
	return s.opts.ClientOpts
}

// Topic returns the history topic's name.
func (s *KafkaStore) Topic() string { return s.opts.Topic }

func (s *KafkaStore) brokers() string { return strings.Join(s.opts.Brokers, ",") }

func (s *KafkaStore) ensureTopic(ctx context.Context) error {
	detail, err := s.describeTopic(ctx)
	if err != nil {
		return err
	}
	if errors.Is(detail.Err, kerr.UnknownTopicOrPartition) {
		if _, err := s.createTopic(ctx); err != nil {
			return err
		}
		// Created by us or, meanwhile, by someone else: either way it is checked like any
		// existing topic, once the brokers' metadata shows it.
		if detail, err = s.awaitTopic(ctx); err != nil {
			return err
		}
	}
	if detail.Err != nil {
		return fmt.Errorf("cannot look up schema history topic %q on %s: %w", s.opts.Topic, s.brokers(), detail.Err)
	}
	return s.checkTopic(ctx, len(detail.Partitions))
}

func (s *KafkaStore) describeTopic(ctx context.Context) (kadm.TopicDetail, error) {
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	details, err := s.adm.ListTopics(qctx, s.opts.Topic)
	if err != nil {
		return kadm.TopicDetail{}, fmt.Errorf("cannot look up schema history topic %q on %s: %w", s.opts.Topic, s.brokers(), err)
	}
	detail, ok := details[s.opts.Topic]
	if !ok {
		detail = kadm.TopicDetail{Topic: s.opts.Topic, Err: kerr.UnknownTopicOrPartition}
	}
	return detail, nil
}

// awaitTopic waits, up to the create timeout, until the metadata shows the topic with a leader
// for every partition: a topic just created is not at once visible on every broker.
func (s *KafkaStore) awaitTopic(ctx context.Context) (kadm.TopicDetail, error) {
	deadline := time.Now().Add(s.opts.CreateTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		detail, err := s.describeTopic(ctx)
		if err != nil {
			return detail, err
		}
		ready := detail.Err == nil && len(detail.Partitions) > 0
		for _, p := range detail.Partitions {
			ready = ready && p.Err == nil && p.Leader >= 0
		}
		if ready {
			return detail, nil
		}
		if time.Now().After(deadline) {
			return detail, fmt.Errorf("schema history topic %q on %s was created but is still not ready after %v: %v",
				s.opts.Topic, s.brokers(), s.opts.CreateTimeout, detail.Err)
		}
		select {
		case <-ctx.Done():
			return detail, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// createTopic creates the history topic and reports whether it did (false when it already
// existed).
func (s *KafkaStore) createTopic(ctx context.Context) (bool, error) {
	rf := s.opts.ReplicationFactor
	if rf == 0 {
		rf = -1
	}
	configs := map[string]*string{
		"cleanup.policy":  kadm.StringPtr("delete"),
		"retention.ms":    kadm.StringPtr("-1"),
		"retention.bytes": kadm.StringPtr("-1"),
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.CreateTimeout)
	defer cancel()
	_, err := s.adm.CreateTopic(cctx, 1, rf, configs, s.opts.Topic)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, kerr.TopicAlreadyExists):
		return false, nil
	}
	return false, fmt.Errorf("cannot create schema history topic %q on %s: %w; create it yourself with one partition: "+
		"kafka-topics.sh --bootstrap-server %s --create --topic %s --partitions 1 "+
		"--config cleanup.policy=delete --config retention.ms=-1 --config retention.bytes=-1",
		s.opts.Topic, s.brokers(), err, s.brokers(), s.opts.Topic)
}

// checkTopic refuses a topic that could reorder or delete history, listing every problem and its
// fix at once.
func (s *KafkaStore) checkTopic(ctx context.Context, partitions int) error {
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	configs, err := topiclog.DescribeConfigs(qctx, s.adm, s.opts.Topic)
	cancel()
	if err != nil {
		return fmt.Errorf("cannot read the settings of schema history topic %q on %s (DescribeConfigs must be allowed on it): %w",
			s.opts.Topic, s.brokers(), err)
	}
	rc, err := configs.On(s.opts.Topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return fmt.Errorf("cannot read the settings of schema history topic %q on %s: %w", s.opts.Topic, s.brokers(), err)
	}
	values := map[string]string{}
	for _, c := range rc.Configs {
		values[c.Key] = c.MaybeValue()
	}
	fix := func(key, value string) string {
		return fmt.Sprintf("kafka-configs.sh --bootstrap-server %s --alter --entity-type topics --entity-name %s --add-config %s=%s",
			s.brokers(), s.opts.Topic, key, value)
	}
	var problems []string
	if partitions != 1 {
		problems = append(problems, fmt.Sprintf("schema history topic %q has %d partitions: the history must stay in one total order, "+
			"which Kafka keeps only within a partition. Partitions cannot be removed in place: create a new topic "+
			"(kafka-topics.sh --bootstrap-server %s --create --topic NEW_TOPIC --partitions 1 --config cleanup.policy=delete "+
			"--config retention.ms=-1 --config retention.bytes=-1), point %s at it, and rebuild the history with snapshot.mode=recovery",
			s.opts.Topic, partitions, s.brokers(), PropKafkaTopic))
	}
	if policy := values["cleanup.policy"]; strings.Contains(policy, "compact") {
		problems = append(problems, fmt.Sprintf("schema history topic %q has cleanup.policy=%s: compaction deletes history records "+
			"(they have no key), and the connector needs every one of them to decode old events; set it with: %s",
			s.opts.Topic, policy, fix("cleanup.policy", "delete")))
	}
	if v := values["retention.ms"]; !unlimited(v) {
		problems = append(problems, fmt.Sprintf("schema history topic %q has retention.ms=%s: Kafka would delete history the connector "+
			"needs to decode old events; set it with: %s", s.opts.Topic, v, fix("retention.ms", "-1")))
	}
	if v := values["retention.bytes"]; !unlimited(v) {
		problems = append(problems, fmt.Sprintf("schema history topic %q has retention.bytes=%s: Kafka would delete history the connector "+
			"needs to decode old events; set it with: %s", s.opts.Topic, v, fix("retention.bytes", "-1")))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrUnsafeTopic, strings.Join(problems, "; also, "))
	}
	return nil
}

// unlimited reports whether a retention setting keeps records forever: -1, or Long.MAX_VALUE as
// Debezium sets it. A missing value (the broker hid it) is taken as the broker default, which
// cannot be judged here, so it passes.
func unlimited(v string) bool {
	if v == "" {
		return true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return err == nil && (n == -1 || n == retentionForever)
}

// Record implements Store: the records go to partition 0 in order, and Record returns once all
// in-sync replicas have them.
func (s *KafkaStore) Record(ctx context.Context, recs ...*Record) error {
	if len(recs) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	krecs := make([]*kgo.Record, len(recs))
	buf := s.buf[:0]
	for i, rec := range recs {
		start := len(buf)
		var err error
		if buf, err = AppendRecord(buf, rec, Pretty); err != nil {
			return fmt.Errorf("cannot record in schema history topic %q: %w", s.opts.Topic, err)
		}
		krecs[i] = &kgo.Record{Partition: historyPartition, Value: buf[start:len(buf):len(buf)]}
	}
	s.buf = buf
	if err := s.cl.ProduceSync(ctx, krecs...).FirstErr(); err != nil {
		return fmt.Errorf("cannot record in schema history topic %q on %s: %w", s.opts.Topic, s.brokers(), err)
	}
	return nil
}

// offsets returns the partition's log start and end offsets.
func (s *KafkaStore) offsets(ctx context.Context) (start, end int64, err error) {
	qctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	lookup := func(list func(context.Context, ...string) (kadm.ListedOffsets, error)) (int64, error) {
		listed, err := list(qctx, s.opts.Topic)
		if err != nil {
			return 0, err
		}
		o, ok := listed.Lookup(s.opts.Topic, historyPartition)
		if !ok {
			return 0, fmt.Errorf("partition %d is missing", historyPartition)
		}
		return o.Offset, o.Err
	}
	if start, err = lookup(s.adm.ListStartOffsets); err == nil {
		end, err = lookup(s.adm.ListEndOffsets)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cannot read the offsets of schema history topic %q on %s: %w", s.opts.Topic, s.brokers(), err)
	}
	return start, end, nil
}

// Exists implements Store: the topic holds at least one record.
func (s *KafkaStore) Exists(ctx context.Context) (bool, error) {
	start, end, err := s.offsets(ctx)
	return end > start, err
}

// Recover implements Store. It reads partition 0 from the first offset to the end offset it
// found when it started, so records written meanwhile are not waited for. A poll that returns
// nothing counts as an attempt; RecoveryAttempts empty polls in a row abort the recovery. A history
// whose first records Kafka already deleted is refused: the table model cannot be rebuilt from it.
func (s *KafkaStore) Recover(ctx context.Context, fn func(*Record) error) error {
	start, end, err := s.offsets(ctx)
	if err != nil {
		return err
	}
	if start > 0 {
		return fmt.Errorf("schema history topic %q starts at offset %d: Kafka deleted the records before it (retention, or a "+
			"records deletion), so the table model cannot be rebuilt from the history; set unlimited retention on the topic "+
			"and rebuild the history with snapshot.mode=recovery", s.opts.Topic, start)
	}
	if end <= start {
		return nil
	}
	consumerOpts := append([]kgo.Opt{
		kgo.SeedBrokers(s.opts.Brokers...),
		kgo.ClientID(s.opts.ClientID),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
			s.opts.Topic: {historyPartition: kgo.NewOffset().At(start)},
		}),
		kgo.FetchMaxWait(max(s.opts.PollInterval, 10*time.Millisecond)), // franz-go's floor
		kgo.MetadataMinAge(metadataMinAge),
	}, s.consumerOpts()...)
	cl, err := kgo.NewClient(consumerOpts...)
	if err != nil {
		return fmt.Errorf("cannot create the Kafka client reading schema history topic %q: %w", s.opts.Topic, err)
	}
	defer cl.Close()

	dec := NewDecoder(s.opts.CatalogBeforeSchema)
	next := start // the next offset to process
	for empty := 0; next < end; {
		if empty > s.opts.RecoveryAttempts {
			return fmt.Errorf("cannot recover the schema history from topic %q on %s: read up to offset %d of %d, then %d polls of %v "+
				"returned nothing; check the brokers, or raise %s or %s",
				s.opts.Topic, s.brokers(), next, end, empty, s.opts.PollInterval, PropKafkaRecoveryAttempts, PropKafkaPollInterval)
		}
		pctx, cancel := context.WithTimeout(ctx, s.opts.PollInterval)
		fetches := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
		processed := 0
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && ferr == nil {
				ferr = fmt.Errorf("cannot read schema history topic %q partition %d on %s: %w", t, p, s.brokers(), err)
			}
		})
		if ferr != nil {
			return ferr
		}
		iter := fetches.RecordIter()
		for !iter.Done() {
			r := iter.Next()
			if r.Offset < next || r.Offset >= end {
				continue
			}
			next = r.Offset + 1
			processed++
			if r.Value == nil {
				continue // Debezium skips null values too: they carry nothing
			}
			rec, err := dec.Decode(r.Value)
			if err != nil {
				return fmt.Errorf("schema history topic %q partition %d offset %d: %w", r.Topic, r.Partition, r.Offset, err)
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		if processed == 0 {
			empty++
		} else {
			empty = 0
		}
	}
	return nil
}

// Close implements Store.
func (s *KafkaStore) Close() error {
	s.cl.Close()
	return nil
}
