// Package topiclog reads compacted Kafka topics the way Kafka Connect's KafkaBasedLog does (from
// the start, then on demand up to the current end) and creates or checks the compacted topics
// Kafka Connect keeps its state in: offsets, connector configurations and statuses.
package topiclog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Log reads one compacted topic from the start and then on demand up to its current end, as
// Kafka Connect's KafkaBasedLog does. It issues its own Fetch requests rather than using a kgo
// consumer because ReadToEnd must know exactly how far each partition has been read: the last
// offsets of a partition can be transaction markers, aborted records or batches emptied by
// compaction, none of which a consumer hands out as records, and waiting for a record at end-1
// would then never finish. kgo.ProcessFetchPartition decodes the batches (decompression, control
// records, aborted transactions) and returns the exact next offset.
//
// A Log is safe for concurrent use; reads are serialised, and apply is called from one goroutine
// at a time.
type Log struct {
	mu     sync.Mutex // serialises reads: parts and the fetch position
	cl     *kgo.Client
	adm    *kadm.Client
	topic  string
	id     [16]byte
	parts  []logPartition // indexed by partition number
	apply  func(*kgo.Record)
	logger *slog.Logger
	dec    kgo.Decompressor
}

// logPartition is how far one partition has been read and where its leader is.
type logPartition struct {
	next   int64 // offset of the next record to read
	leader int32
	epoch  int32
}

// New returns a Log of topic that hands every record it reads, in partition order, to apply. It
// reads nothing until ReadToEnd. A nil logger means slog.Default().
func New(cl *kgo.Client, topic string, logger *slog.Logger, apply func(*kgo.Record)) *Log {
	if logger == nil {
		logger = slog.Default()
	}
	return &Log{cl: cl, adm: kadm.NewClient(cl), topic: topic, apply: apply, logger: logger, dec: kgo.DefaultDecompressor()}
}

// Topic returns the name of the topic the Log reads.
func (l *Log) Topic() string { return l.topic }

// Position returns, for each partition, the offset of the next record to read (0 before the first
// ReadToEnd of an empty topic). For a one-partition topic, Position()[0] is what Kafka Connect
// calls the config offset.
func (l *Log) Position() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int64, len(l.parts))
	for i, p := range l.parts {
		out[i] = p.next
	}
	return out
}

// retrying calls fn until it succeeds, fails for good, or ctx ends. Right after a topic is
// created, or while a leader moves, brokers answer with retriable errors for a moment (unknown
// topic, no leader); a consumer rides them out, and so do we.
func retrying(ctx context.Context, fn func() (retry bool, err error)) error {
	backoff := 50 * time.Millisecond
	for {
		retry, err := fn()
		if !retry {
			return err
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return fmt.Errorf("gave up waiting for the broker: %w", err)
		case <-time.After(backoff):
		}
		if backoff < time.Second {
			backoff *= 2
		}
	}
}

// retriable tells errors a broker returns while it settles (see retrying).
func retriable(err error) bool {
	var ke *kerr.Error
	return errors.As(err, &ke) && ke.Retriable
}

// refreshMetadata loads the topic's ID, partitions and leaders. New partitions start at their log
// start offset.
func (l *Log) refreshMetadata(ctx context.Context) error {
	var td kadm.TopicDetail
	err := retrying(ctx, func() (bool, error) {
		md, err := l.adm.Metadata(ctx, l.topic)
		if err != nil {
			return retriable(err), fmt.Errorf("cannot read the metadata of topic %s: %w", l.topic, err)
		}
		var ok bool
		td, ok = md.Topics[l.topic]
		if !ok {
			return true, fmt.Errorf("topic %s is missing from the metadata the broker returned", l.topic)
		}
		if td.Err != nil {
			return retriable(td.Err), fmt.Errorf("cannot read the metadata of topic %s: %w", l.topic, td.Err)
		}
		for _, pd := range td.Partitions {
			if pd.Leader < 0 || pd.Err != nil {
				return true, fmt.Errorf("%s partition %d has no leader yet: %v", l.topic, pd.Partition, pd.Err)
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	l.id = td.ID
	n := int32(len(td.Partitions))
	grown := len(l.parts) < int(n)
	for int32(len(l.parts)) < n {
		l.parts = append(l.parts, logPartition{next: -1, leader: -1})
	}
	for p, pd := range td.Partitions {
		if p < 0 || p >= n {
			continue
		}
		l.parts[p].leader = pd.Leader
		l.parts[p].epoch = pd.LeaderEpoch
	}
	if !grown {
		return nil
	}
	starts, err := l.listOffsets(ctx, "start", l.adm.ListStartOffsets)
	if err != nil {
		return err
	}
	for i := range l.parts {
		if l.parts[i].next < 0 {
			l.parts[i].next = starts[i]
		}
	}
	return nil
}

// listOffsets lists one kind of offset of every known partition, riding out retriable errors.
func (l *Log) listOffsets(ctx context.Context, kind string, list func(context.Context, ...string) (kadm.ListedOffsets, error)) ([]int64, error) {
	out := make([]int64, len(l.parts))
	err := retrying(ctx, func() (bool, error) {
		lo, err := list(ctx, l.topic)
		if err != nil {
			return retriable(err), fmt.Errorf("cannot list the %s offsets of topic %s: %w", kind, l.topic, err)
		}
		for i := range out {
			o, ok := lo.Lookup(l.topic, int32(i))
			if !ok {
				return true, fmt.Errorf("the broker returned no %s offset for %s partition %d", kind, l.topic, i)
			}
			if o.Err != nil {
				return retriable(o.Err), fmt.Errorf("cannot list the %s offset of %s partition %d: %w", kind, l.topic, i, o.Err)
			}
			out[i] = o.Offset
		}
		return false, nil
	})
	return out, err
}

// ReadToEnd reads every partition up to the end it has when ReadToEnd is called: the last stable
// offset, since records are read committed (a record written in a Kafka transaction counts once
// the transaction commits). What any client wrote before the call is applied when it returns.
func (l *Log) ReadToEnd(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.parts) == 0 {
		if err := l.refreshMetadata(ctx); err != nil {
			return err
		}
	}
	target, err := l.listOffsets(ctx, "end", l.adm.ListCommittedOffsets)
	if err != nil {
		return err
	}
	backoff := 50 * time.Millisecond
	for {
		byLeader := make(map[int32][]int32)
		for i, p := range l.parts {
			// Partitions found after the end offsets were listed are read by the next call.
			if i < len(target) && p.next < target[i] {
				byLeader[p.leader] = append(byLeader[p.leader], int32(i))
			}
		}
		if len(byLeader) == 0 {
			return nil
		}
		retry := false
		before := l.positions()
		for leader, parts := range byLeader {
			again, err := l.fetch(ctx, leader, parts)
			if err != nil {
				return err
			}
			retry = retry || again
		}
		if !retry && slices.Equal(before, l.positions()) {
			// A whole round without progress: the end may have moved back (a log truncated by
			// a leader change). Look again, never waiting for offsets the log no longer has.
			now, err := l.listOffsets(ctx, "end", l.adm.ListCommittedOffsets)
			if err != nil {
				return err
			}
			for i := range min(len(target), len(now)) {
				target[i] = min(target[i], now[i])
			}
			continue
		}
		if retry {
			// A leader moved or the topic is still being set up: reload metadata after a short
			// pause, as a consumer would.
			select {
			case <-ctx.Done():
				return fmt.Errorf("reading topic %s to its end: %w", l.topic, ctx.Err())
			case <-time.After(backoff):
			}
			if backoff < time.Second {
				backoff *= 2
			}
			if err := l.refreshMetadata(ctx); err != nil {
				return err
			}
		}
	}
}

func (l *Log) positions() []int64 {
	out := make([]int64, len(l.parts))
	for i, p := range l.parts {
		out[i] = p.next
	}
	return out
}

// fetch issues one Fetch to a leader for the given partitions and applies what it returns. It
// reports retry when metadata must be reloaded before trying again.
func (l *Log) fetch(ctx context.Context, leader int32, parts []int32) (retry bool, err error) {
	if leader < 0 {
		return true, nil
	}
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 500
	req.MinBytes = 1
	req.MaxBytes = 32 << 20
	req.IsolationLevel = 1
	req.SessionID = 0
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = l.topic
	rt.TopicID = l.id
	for _, p := range parts {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p
		rp.FetchOffset = l.parts[p].next
		rp.CurrentLeaderEpoch = l.parts[p].epoch
		rp.LogStartOffset = -1
		rp.PartitionMaxBytes = 4 << 20
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	kresp, err := l.cl.Broker(int(leader)).RetriableRequest(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("reading topic %s: %w", l.topic, ctx.Err())
		}
		l.logger.Warn("topic log: fetch failed, retrying", "topic", l.topic, "broker", leader, "error", err)
		return true, nil
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		if kerr.IsRetriable(err) {
			return true, nil
		}
		return false, fmt.Errorf("fetching topic %s from broker %d: %w", l.topic, leader, err)
	}
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic != l.topic && t.TopicID != l.id {
			continue
		}
		for j := range t.Partitions {
			rp := &t.Partitions[j]
			p := rp.Partition
			if p < 0 || int(p) >= len(l.parts) {
				continue
			}
			switch perr := kerr.ErrorForCode(rp.ErrorCode); {
			case perr == nil:
			case errors.Is(perr, kerr.OffsetOutOfRange):
				if err := l.resetOutOfRange(ctx, p); err != nil {
					return false, err
				}
				continue
			case kerr.IsRetriable(perr) || errors.Is(perr, kerr.UnknownTopicID):
				retry = true
				continue
			default:
				return false, fmt.Errorf("fetching %s partition %d at offset %d: %w", l.topic, p, l.parts[p].next, perr)
			}
			fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
				Offset:         l.parts[p].next,
				IsolationLevel: kgo.ReadCommitted(),
				Topic:          l.topic,
				Partition:      p,
			}, rp, l.dec, nil)
			if fp.Err != nil && len(fp.Records) == 0 {
				return false, fmt.Errorf("decoding %s partition %d at offset %d: %w", l.topic, p, l.parts[p].next, fp.Err)
			}
			for _, r := range fp.Records {
				l.apply(r)
			}
			if next > l.parts[p].next {
				l.parts[p].next = next
			}
		}
	}
	return retry, nil
}

// resetOutOfRange handles a fetch position the log no longer has: records before it were deleted
// (the topic was not compacted, or someone deleted records), or the log was truncated below it.
// Reading resumes at the log start.
func (l *Log) resetOutOfRange(ctx context.Context, p int32) error {
	starts, err := l.listOffsets(ctx, "start", l.adm.ListStartOffsets)
	if err != nil {
		return err
	}
	l.logger.Warn("topic log: the fetch position is no longer in the topic (records were deleted or the log truncated); reading on from the log start",
		"topic", l.topic, "partition", p, "position", l.parts[p].next, "log_start", starts[p])
	l.parts[p].next = starts[p]
	return nil
}
